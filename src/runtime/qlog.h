/*
 * qlog.h: RDT_QLOG=DIR, one qlog trace per connection, for qvis-style
 * tools that draw a congestion controller at work.
 *
 * The file is DIR/<id>-<client|server>.sqlog, <id> being the client's
 * connection ID in 16 hex digits, so both ends of one connection carry
 * the same name.  It is JSON-SEQ (RFC 7464): every record is 0x1E, one
 * JSON object and a newline.  The first record is the qlog header
 * (draft-ietf-quic-qlog-main-schema, qlog_version 0.3: a trace with its
 * vantage point and the wall-clock reference time); every later one is
 * an event of the QUIC event schema (draft-ietf-quic-qlog-quic-events):
 * transport:packet_sent and packet_received, recovery:packet_lost,
 * metrics_updated and congestion_state_updated.  docs/QLOG.md describes
 * the mapping from rdt's datagrams to those events.
 *
 * The core reports events to rdt_qlog_observe (its conn.h observer);
 * records collect in a fixed buffer per connection and are written with
 * write(2) by whichever thread holds the connection's lock: when the
 * buffer is nearly full, when the oldest record has waited
 * RDT_QLOG_FLUSH_MS at the connection's next servicing, and at close.
 * Memory is bounded: a record that cannot be made to fit is dropped and
 * counted.  A failed write turns the trace off and says so once on
 * stderr; a connection never fails because of its log.
 */
#ifndef RDT_RUNTIME_QLOG_H
#define RDT_RUNTIME_QLOG_H

#include <stdint.h>

#include "core/conn.h"

/* Records wait in memory up to this many bytes... */
#define RDT_QLOG_BUF 32768
/* ...of which the longest one takes at most this many (a packet with
 * an ACK of RDT_PKT_MAX_ACK_RANGES ranges fits twice over). */
#define RDT_QLOG_RECORD_MAX 2048
/* A record older than this is written at the next servicing. */
#define RDT_QLOG_FLUSH_MS 100

struct rdt_qlog;

/*
 * rdt_qlog_open creates DIR/<|odcid|>-<client|server>.sqlog (replacing
 * one of that name) and writes the header; |now| becomes time 0 of the
 * trace.  Returns NULL with errno set on failure, after saying why on
 * stderr (only for the first failure in the process: a server that
 * cannot write DIR would otherwise say it per connection).  The log
 * belongs to the caller until rdt_qlog_close.
 */
struct rdt_qlog *rdt_qlog_open(const char *dir, uint64_t odcid,
			       int is_server, rdt_tstamp now);

/*
 * rdt_qlog_observe is the rdt_conn_observer to install with |ctx| the
 * log.  Called with the connection's lock held, as every core call is.
 */
void rdt_qlog_observe(void *ctx, const struct rdt_conn *conn,
		      const struct rdt_conn_event *ev, rdt_tstamp now);

/*
 * rdt_qlog_flush writes the buffered records if |force|, or if the
 * oldest has waited RDT_QLOG_FLUSH_MS by |now|.  NULL is a no-op.
 */
void rdt_qlog_flush(struct rdt_qlog *q, rdt_tstamp now, int force);

/* rdt_qlog_close flushes, closes and frees |q|; NULL is a no-op.  The
 * observer must have been removed, or the connection deleted, first. */
void rdt_qlog_close(struct rdt_qlog *q);

/*
 * rdt_qlog_forget_in_child, in a forked child (an atfork handler),
 * leaves the parent's trace to the parent: the child's copy of the
 * descriptor is closed and the records buffered at the fork are never
 * written, so they cannot appear twice.  Async-signal-safe; NULL is a
 * no-op.  The memory stays the parent's (the child may not free what
 * another thread of the parent was using).
 */
void rdt_qlog_forget_in_child(struct rdt_qlog *q);

#endif
