/*
 * pcaplog.h: a pcap file of the datagrams an rdt endpoint sends and
 * receives (RDT_PCAP), written without privileges or a capture device.
 *
 * The file has link type DLT_RAW (LINKTYPE_RAW: each record starts with an
 * IPv4 or IPv6 header) and nanosecond timestamps.  Each record is one UDP
 * datagram with an IP and a UDP header synthesized from the addresses the
 * caller gives: lengths and checksums are correct, so tcpdump, tshark,
 * Wireshark (with docs/rdt.lua) and rdt-pcap read it as a capture, and
 * port filters work.  The file is written without libpcap (pcaplog.c
 * says why), so RDT_PCAP works in every build.
 */
#ifndef RDT_RUNTIME_PCAPLOG_H
#define RDT_RUNTIME_PCAPLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* Records not yet flushed to the file are flushed once there are this
 * many, or once the oldest of them is RDT_PCAPLOG_FLUSH_MS old. */
#define RDT_PCAPLOG_FLUSH_RECORDS 64
#define RDT_PCAPLOG_FLUSH_MS 100

struct rdt_pcaplog;

/*
 * rdt_pcaplog_open creates (or truncates) the file at |path| and writes
 * the pcap file header.  Returns NULL with errno set on failure: the
 * open(2) errno, ENOMEM, or the errno of writing the header.  The
 * returned log belongs to the caller until rdt_pcaplog_close.  A background thread (all signals blocked) does the
 * time-based flushing; it sleeps while nothing is pending.
 */
struct rdt_pcaplog *rdt_pcaplog_open(const char *path);

/*
 * rdt_pcaplog_write appends one UDP datagram |payload|[0, |len|) sent from
 * |src| to |dst| at wall-clock time |ts|.  |src| and |dst| are both
 * AF_INET or both AF_INET6; an IPv4-mapped IPv6 pair is written as IPv4.
 * Everything is copied; nothing is kept.  Safe to call from any thread.
 * Never fails the caller: a datagram that cannot be recorded (mismatched
 * families, longer than an IP packet holds) or a failed write is counted
 * and reported once on stderr.  A NULL |log| is a no-op, so callers need
 * not test whether logging is on.
 */
void rdt_pcaplog_write(struct rdt_pcaplog *log, const struct timespec *ts,
		       const struct sockaddr *src, const struct sockaddr *dst,
		       const uint8_t *payload, size_t len);

/*
 * rdt_pcaplog_close flushes and closes the file and frees |log|; a
 * summary line goes to stderr if records were lost.  NULL is a no-op.
 */
void rdt_pcaplog_close(struct rdt_pcaplog *log);

/*
 * rdt_pcaplog_forget_in_child, in a forked child only (an atfork
 * handler), leaves the parent's |log| to the parent: the child never
 * writes to it, but stdio would write the records it held unflushed at
 * the fork a second time when the child exits (exit flushes every open
 * stream), in the middle of the parent's.  The stream's descriptor is
 * pointed at /dev/null instead.  Async-signal-safe; NULL is a no-op.
 */
void rdt_pcaplog_forget_in_child(struct rdt_pcaplog *log);

#endif
