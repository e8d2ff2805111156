/*
 * conn.h: one rdt connection, sans I/O.
 *
 * The connection is driven only by what its caller hands it: datagrams
 * (rdt_conn_recv_pkt), application bytes (rdt_conn_send) and the current
 * time |now| on every call.  It gives back datagrams to send
 * (rdt_conn_write_pkt), in-order bytes (rdt_conn_recv) and the next time it
 * wants to be woken (rdt_conn_deadline).  It reads no clock, opens no
 * socket, starts no thread and touches no global: two connections and a
 * simulated network reproduce the same bytes from the same seed.
 *
 * A caller's loop, per event:
 *
 *	feed every readable datagram to rdt_conn_recv_pkt(conn, dg, len, now);
 *	if (now >= rdt_conn_deadline(conn))
 *		rdt_conn_on_deadline(conn, now);
 *	move application bytes with rdt_conn_send / rdt_conn_recv;
 *	while ((n = rdt_conn_write_pkt(conn, buf, sizeof(buf), now)) > 0)
 *		send buf[0..n);
 *	sleep until rdt_conn_deadline(conn) or the next datagram.
 *
 * Every call that may change what the connection wants to send must be
 * followed by draining rdt_conn_write_pkt before sleeping.
 */
#ifndef RDT_CORE_CONN_H
#define RDT_CORE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "cc.h"
#include "mem.h"
#include "types.h"

struct rdt_pkt;

/* Where a connection is in its life; see rdt_conn_state. */
enum rdt_conn_state {
	/* Client: INIT sent, waiting for ACCEPT. */
	RDT_CONN_SYN_SENT = 1,
	/* Server: ACCEPT sent, waiting for the client's first DATA. */
	RDT_CONN_SYN_RCVD,
	/* Both directions open. */
	RDT_CONN_ESTABLISHED,
	/* We sent FIN; the peer may still send. */
	RDT_CONN_FIN_WAIT,
	/* The peer sent FIN; we may still send. */
	RDT_CONN_CLOSE_WAIT,
	/* Both FINs seen; ours is not acknowledged yet. */
	RDT_CONN_LAST_ACK,
	/* Both directions finished; lingering to re-acknowledge the peer's
	 * FIN should our acknowledgement have been lost. */
	RDT_CONN_TIME_WAIT,
	/* Finished: cleanly if rdt_conn_error() is 0, else failed. */
	RDT_CONN_CLOSED,
};

struct rdt_conn_config {
	/* Largest datagram we build or accept, bytes (default 1400). */
	size_t max_dgram;
	/* Send and receive buffer sizes, bytes (default 4 MiB each; the
	 * receive buffer is capped below 2^30 so offsets stay unambiguous). */
	size_t sndbuf;
	size_t rcvbuf;
	/* RTT assumed before the first sample (default 333 ms, RFC 9002). */
	rdt_tstamp initial_rtt;
	/* Bounds of the retransmission timeout (default 50 ms and 5 s).
	 * The floor is below Linux's 200 ms because the timeout already
	 * adds the peer's max_ack_delay, so delayed ACKs cannot fire it
	 * early, the way QUIC's PTO does; on a low-RTT lossy path each
	 * backoff chain from 200 ms cost seconds of stall (netem-scripts'
	 * torture profile, 8 MiB: 44.8 s at 200 ms, 14.6 s at 50 ms).
	 * The ceiling is below RFC 6298's 60 s on purpose: a transport over
	 * UDP probes through an outage with one or two datagrams per
	 * ceiling, and a low one lets it notice the path's return within
	 * seconds and fit many probes into the user timeout. */
	rdt_tstamp min_rto;
	rdt_tstamp max_rto;
	/* Longest we delay an acknowledgement (default 25 ms). */
	rdt_tstamp max_ack_delay;
	/* Fail with RDT_ERR_TIMEOUT when sent data, a probe or the handshake
	 * stays unacknowledged this long (default 60 s). */
	rdt_tstamp user_timeout;
	/* Fail with RDT_ERR_IDLE after this long without hearing from the
	 * peer; 0 disables (the default, as on TCP). */
	rdt_tstamp idle_timeout;
	/* Send a PING after this long without traffic; 0 disables. */
	rdt_tstamp keepalive;
	/* Send small segments at once instead of coalescing (Nagle). */
	int nodelay;
	/* Congestion control, e.g. rdt_cc_find("bbr"); NULL selects the
	 * default (rdt_cc_default()). */
	const struct rdt_cc_ops *cc;
	/* The encrypted mode (PROTOCOL.md 11): with |use_psk|, every
	 * datagram is sealed with keys from |psk| and nothing in clear is
	 * believed but a listener's answers to our INIT.  The datagram size
	 * must then leave room for the tag: max_dgram >= 1216. */
	int use_psk;
	uint8_t psk[32];
	/* Or the public-key handshake (PROTOCOL.md 11): a client gives the
	 * server's static public key in |pk_peer|; a server its static key
	 * pair in |pk_secret| and |pk_public|, and the client's ephemeral
	 * public key from the INIT in |pk_peer| (the listener read it).
	 * Then max_dgram >= 1248; not with |use_psk|. */
	int use_pk;
	uint8_t pk_secret[32];
	uint8_t pk_public[32];
	uint8_t pk_peer[32];
	/* Randomness for connection IDs and initial numbers: required. */
	uint64_t (*rand64)(void *ctx);
	void *rand_ctx;
	/* Tests only: start from these numbers instead of random ones, to
	 * cross the 32-bit wire wrap on purpose. */
	int fixed_initial;
	uint64_t initial_pn;
	uint32_t initial_isn;
};

/* Counters behind RDT_INFO.  Every dropped datagram lands in one drop_*. */
struct rdt_conn_stats {
	uint64_t pkts_sent;
	uint64_t pkts_received;
	uint64_t bytes_sent;		/* stream bytes, retransmissions too */
	uint64_t bytes_retransmitted;
	uint64_t pkts_retransmitted;	/* datagrams carrying resent bytes */
	uint64_t bytes_acked;		/* stream bytes the peer confirmed */
	uint64_t bytes_received;	/* unique stream bytes received */
	uint64_t bytes_delivered;	/* handed to the application */
	uint64_t pkts_lost;		/* declared lost */
	uint64_t pkts_spurious_lost;	/* declared lost, then acknowledged */
	uint64_t pkts_reordered;	/* arrived below the largest pn seen */
	uint64_t pkts_duplicate;	/* pn already received */
	uint64_t bytes_duplicate;	/* stream bytes received again */
	uint64_t tlp_count;		/* tail-loss probes */
	uint64_t rto_count;		/* retransmission timeouts */
	uint64_t persist_probes;	/* zero-window probes */
	uint64_t drop_checksum;
	uint64_t drop_malformed;
	uint64_t drop_version;
	uint64_t drop_unknown_cid;
	uint64_t drop_beyond_window;
	uint64_t drop_invalid_ack;	/* acknowledged what was never sent */
	uint64_t drop_state;		/* not valid in the current state */
	uint64_t drop_reassembly_full;
	uint64_t drop_nomem;		/* no memory to grow the receive ring */
	/*
	 * Forgeries (issue 10; see PROTOCOL.md "Robustness without
	 * cryptography").  A datagram counted here was dropped whole, or,
	 * for fin_deferred and pn_collisions, not acknowledged or noted.
	 */
	uint64_t drop_forged_pn;	/* number implausibly far from ours */
	uint64_t drop_forged_fin;	/* FIN off the in-order end or window */
	uint64_t drop_past_fin;		/* bytes beyond the known FIN */
	uint64_t drop_invalid_edge;	/* window edge the peer never had */
	uint64_t drop_forged_reset;	/* RESET without the peer's token */
	uint64_t fin_deferred;		/* FIN ahead of a hole: not acked */
	uint64_t pn_collisions;		/* a seen number brought new bytes */
	uint64_t sack_reneged;		/* SACKs withdrawn to unstall */
	uint64_t retry_received;	/* RETRYs obeyed: INIT resent */
	/* Encrypted mode: datagrams that failed authentication, or came
	 * in clear where only sealed ones are believed. */
	uint64_t drop_auth;
};

/* A snapshot of the connection, in the spirit of TCP_INFO. */
struct rdt_conn_info {
	enum rdt_conn_state state;
	int error;
	rdt_tstamp srtt, rttvar, min_rtt, latest_rtt, rto;
	uint64_t cwnd, ssthresh, bytes_in_flight;
	uint64_t peer_window;		/* bytes the peer still accepts */
	unsigned pkt_threshold;		/* current reordering tolerance */
	/* The congestion controller: its pacing rate and the last valid
	 * delivery-rate sample, bytes per second (0: none yet); its name
	 * and the name of its state (static strings). */
	uint64_t pacing_rate, delivery_rate;
	const char *cc_name;
	const char *cc_state;
	/* Bytes allocated to the send and receive rings now (they grow up
	 * to the buffer sizes as data piles up; 0 when idle). */
	size_t snd_ring, rcv_ring;
	struct rdt_conn_stats stats;
};

struct rdt_conn;

/*
 * Observing a connection (RDT_QLOG).  The core cannot write a log itself
 * (no files, no clock), so it tells an observer what happened, with the
 * |now| of the call that made it happen, and the observer decides what
 * to keep.  Without an observer each place that could report costs one
 * test of a pointer.
 */
enum rdt_conn_event_type {
	/* A datagram was built: |pkt|, |pn|, |len|. */
	RDT_CONN_EV_SENT = 1,
	/* A datagram passed its checks and is about to be processed:
	 * |pkt|, |pn|, |len|. */
	RDT_CONN_EV_RECEIVED,
	/* Packet |pn| of |len| bytes was declared lost, by |trigger|. */
	RDT_CONN_EV_LOST,
	/* A call ends: the RTT, window, controller state and bytes in
	 * flight may have changed (rdt_conn_get_info has them). */
	RDT_CONN_EV_UPDATED,
};

/* What declared a packet lost; the names of RFC 9002 section 6. */
enum rdt_conn_loss_trigger {
	/* kPacketThreshold: enough later packets were acknowledged. */
	RDT_CONN_LOSS_REORDERING = 1,
	/* kTimeThreshold: sent long enough before an acknowledged one. */
	RDT_CONN_LOSS_TIME,
	/* The retransmission timeout fired: everything in flight. */
	RDT_CONN_LOSS_PTO,
};

struct rdt_conn_event {
	enum rdt_conn_event_type type;
	/* The full 64-bit packet number (the wire carries the low 32). */
	rdt_pktnum pn;
	/* Bytes of the datagram. */
	size_t len;
	/* SENT, RECEIVED: the decoded datagram, borrowed for the call. */
	const struct rdt_pkt *pkt;
	/* With a STREAM section: its offset from the start of the stream
	 * (the wire carries it plus the ISN, mod 2^32). */
	uint64_t stream_off;
	/* With an ACK section: its largest, as a full packet number; the
	 * ranges below it follow from the section's lengths and gaps. */
	rdt_pktnum ack_largest;
	/* LOST. */
	enum rdt_conn_loss_trigger trigger;
};

/*
 * An observer is called synchronously, inside the connection's call, with
 * the |now| that call was given.  It may read |conn| through the const
 * accessors (rdt_conn_get_info) but must not call anything that changes
 * it.  |ctx| is the caller's.
 */
typedef void (*rdt_conn_observer)(void *ctx, const struct rdt_conn *conn,
				  const struct rdt_conn_event *ev,
				  rdt_tstamp now);

/* rdt_conn_config_default fills |cfg| with the documented defaults. */
void rdt_conn_config_default(struct rdt_conn_config *cfg);

/*
 * rdt_conn_client_new makes a client connection that starts its handshake
 * at once (its first rdt_conn_write_pkt returns the INIT).  |cfg| is
 * copied; |mem| is borrowed and must outlive the connection.  Returns 0,
 * RDT_ERR_INVALID (bad config, no rand64) or RDT_ERR_NOMEM.
 */
int rdt_conn_client_new(struct rdt_conn **pconn,
			const struct rdt_conn_config *cfg,
			const struct rdt_mem *mem, rdt_tstamp now);

/*
 * rdt_conn_server_new makes the server side of a connection from a
 * decoded INIT |init| (the runtime decodes it to route it).  Its first
 * rdt_conn_write_pkt returns the ACCEPT.  Returns 0, RDT_ERR_INVALID
 * (|init| is not an INIT, bad config) or RDT_ERR_NOMEM.
 */
int rdt_conn_server_new(struct rdt_conn **pconn,
			const struct rdt_conn_config *cfg,
			const struct rdt_mem *mem, const struct rdt_pkt *init,
			rdt_tstamp now);

/* rdt_conn_del frees the connection; NULL is a no-op. */
void rdt_conn_del(struct rdt_conn *conn);

/*
 * rdt_conn_recv_pkt processes one datagram of |len| bytes at |pkt|
 * (borrowed for the call).  A datagram that fails any check is dropped
 * and counted in the stats; that is not an error.  Returns 0, or
 * RDT_ERR_INVALID for a NULL argument.
 */
int rdt_conn_recv_pkt(struct rdt_conn *conn, const uint8_t *pkt, size_t len,
		      rdt_tstamp now);

/*
 * rdt_conn_write_pkt writes the next datagram to send into |dest|
 * (|destlen| bytes, at least RDT_PKT_MIN_DGRAM) and returns its length, or
 * 0 when there is nothing to send now.  Returns RDT_ERR_NOBUF if |destlen|
 * is too small.
 */
rdt_ssize rdt_conn_write_pkt(struct rdt_conn *conn, uint8_t *dest,
			     size_t destlen, rdt_tstamp now);

/* The earliest time the connection needs rdt_conn_on_deadline, or
 * RDT_TSTAMP_NEVER. */
rdt_tstamp rdt_conn_deadline(const struct rdt_conn *conn);

/* rdt_conn_on_deadline runs every timer that expired by |now|. */
void rdt_conn_on_deadline(struct rdt_conn *conn, rdt_tstamp now);

/*
 * rdt_conn_send queues up to |len| bytes from |data| (copied) and returns
 * how many were taken (possibly fewer: the send buffer is bounded).
 * Returns RDT_ERR_AGAIN if the buffer is full, RDT_ERR_SHUTDOWN after
 * rdt_conn_shutdown, the connection's error if it failed, RDT_ERR_STATE
 * once closed.  Bytes may be queued during the handshake.
 */
rdt_ssize rdt_conn_send(struct rdt_conn *conn, const uint8_t *data,
			size_t len, rdt_tstamp now);

/*
 * rdt_conn_recv moves up to |len| in-order bytes into |buf| and returns
 * how many; 0 means end of stream (the peer's FIN, after every byte).
 * Returns RDT_ERR_AGAIN if nothing is ready, or the connection's error
 * if it failed.  With |peek| non-zero the bytes stay queued.
 */
rdt_ssize rdt_conn_recv(struct rdt_conn *conn, uint8_t *buf, size_t len,
			int peek, rdt_tstamp now);

/*
 * Without a copy, for a caller that moves bytes straight between the
 * connection's buffers and a kernel descriptor:
 * rdt_conn_recv_view points |*p| at the longest contiguous run of
 * readable bytes and returns its length (0: nothing, or reset);
 * rdt_conn_recv_consume then marks |len| of them read, as rdt_conn_recv.
 * rdt_conn_send_space points |*p| at contiguous free send-buffer space
 * and returns its length (0: full, shut down, failed or closed);
 * rdt_conn_send_commit queues the first |len| bytes written there.
 */
size_t rdt_conn_recv_view(const struct rdt_conn *conn, const uint8_t **p);
void rdt_conn_recv_consume(struct rdt_conn *conn, size_t len, rdt_tstamp now);
size_t rdt_conn_send_space(struct rdt_conn *conn, uint8_t **p);
void rdt_conn_send_commit(struct rdt_conn *conn, size_t len, rdt_tstamp now);

/* How many in-order bytes rdt_conn_recv can return now. */
size_t rdt_conn_readable(const struct rdt_conn *conn);

/* Non-zero once our direction is finished and the peer acknowledged
 * every byte and the FIN: nothing we sent can be lost any more. */
int rdt_conn_send_done(const struct rdt_conn *conn);

/* How many bytes rdt_conn_send can take now. */
size_t rdt_conn_writable(const struct rdt_conn *conn);

/*
 * rdt_conn_shutdown ends our sending direction: a FIN follows the queued
 * bytes (half-close).  Idempotent.  Returns 0 or RDT_ERR_STATE if closed.
 */
int rdt_conn_shutdown(struct rdt_conn *conn, rdt_tstamp now);

/*
 * rdt_conn_abort ends the connection at once with error RDT_ERR_ABORTED
 * and queues a RESET for the peer (returned by the next write_pkt).
 */
void rdt_conn_abort(struct rdt_conn *conn, rdt_tstamp now);

/*
 * rdt_conn_peer_unreachable: the peer's host says nothing listens on its
 * port any more (a validated ICMP port unreachable, see PROTOCOL.md):
 * during the handshake the connection fails with RDT_ERR_REFUSED, later
 * with RDT_ERR_RESET; in LAST_ACK with every byte acknowledged it closes
 * cleanly (only the ACK of our FIN was missing); closed or in TIME_WAIT,
 * nothing changes.
 */
void rdt_conn_peer_unreachable(struct rdt_conn *conn, rdt_tstamp now);

/*
 * rdt_conn_refused tells a client still in its handshake that nothing
 * listens at the peer's address (the runtime saw an ICMP port
 * unreachable): the connection fails with RDT_ERR_REFUSED, as a RESET
 * with reason REFUSED would make it.  Later, such news is ignored, as TCP
 * ignores it on an established connection: it may be forged or stale,
 * and the user timeout decides.
 */
void rdt_conn_refused(struct rdt_conn *conn, rdt_tstamp now);

/*
 * rdt_conn_tune changes what may change on a live connection, as
 * setsockopt does on a TCP socket: no-delay, the user timeout (0 keeps
 * the current one), the idle timeout and the keepalive interval (0
 * disables either).  Buffers, datagram size and congestion control are
 * fixed when the connection is made.  The next deadline may move: call
 * rdt_conn_deadline again.
 */
void rdt_conn_tune(struct rdt_conn *conn, int nodelay, rdt_tstamp user_timeout,
		   rdt_tstamp idle_timeout, rdt_tstamp keepalive);

enum rdt_conn_state rdt_conn_state(const struct rdt_conn *conn);

/* 0 while healthy or closed cleanly, else the fatal RDT_ERR_* code. */
int rdt_conn_error(const struct rdt_conn *conn);

/* Non-zero once every byte the peer will ever send was received (EOF
 * is known), whether or not the application has read it all. */
int rdt_conn_peer_finished(const struct rdt_conn *conn);

void rdt_conn_get_info(const struct rdt_conn *conn,
		       struct rdt_conn_info *info);

/*
 * rdt_conn_set_observer makes |fn| (with |ctx|) the connection's one
 * observer from now on; NULL stops observing.  |ctx| must stay valid
 * until it is replaced or the connection is deleted.
 */
void rdt_conn_set_observer(struct rdt_conn *conn, rdt_conn_observer fn,
			   void *ctx);

/* This side's connection ID (what the peer puts in dcid), and the peer's. */
uint64_t rdt_conn_local_cid(const struct rdt_conn *conn);
uint64_t rdt_conn_peer_cid(const struct rdt_conn *conn);

/* A name for |state|, for logs. */
const char *rdt_conn_state_name(enum rdt_conn_state state);

#endif
