/*
 * conn_int.h: the inside of struct rdt_conn, shared by conn.c (life cycle
 * and application side), conn_in.c (datagrams in), acks.c (what to
 * acknowledge), recovery.c (what the peer acknowledged or lost),
 * conn_out.c (datagrams out) and conn_timer.c (deadlines).  Nothing
 * outside src/core includes it.
 *
 * Stream positions are 64-bit and relative: position 0 is the first byte
 * of a direction's stream, and its FIN takes the position after the last
 * byte, as in TCP.  On the wire a position p travels as (isn + p) mod 2^32.
 */
#ifndef RDT_CORE_CONN_INT_H
#define RDT_CORE_CONN_INT_H

#include "conn.h"
#include "pacer.h"
#include "ranges.h"
#include "rate.h"
#include "rtt.h"
#include "seal.h"
#include "sent.h"
#include "../wire/pkt.h"

/* RFC 9002 kPacketThreshold: the initial reordering tolerance. */
#define CONN_PKT_THRESHOLD 3
/* The most the packet threshold adapts up to on observed reordering. */
#define CONN_PKT_THRESHOLD_MAX 1024
/* The time threshold is (1 + 2^reo_shift / 8) RTTs: 9/8 at first (RFC
 * 9002 kTimeThreshold), raised one step per spurious loss up to 3. */
#define CONN_REO_SHIFT_MAX 4
/* Most packet-number ranges remembered for ACK frames. */
#define CONN_MAX_RCV_PN_RANGES 64
/* Most out-of-order byte ranges the receive buffer holds. */
#define CONN_MAX_OOO_RANGES 1024
/* Most selectively acknowledged / to-be-resent byte ranges. */
#define CONN_MAX_SACK_RANGES 4096
#define CONN_MAX_RTX_RANGES 65536
/* Most sent datagrams tracked at once; a full tracker blocks sending. */
#define CONN_MAX_SENT 65536
/* Acknowledge at least every this many ack-eliciting datagrams (RFC 9000
 * 13.2.2, RFC 5681 4.2); anything fewer waits up to max_ack_delay. */
#define CONN_ACK_EVERY 2
/*
 * A packet that proves nothing (no new stream bytes, no FIN, no new
 * acknowledgement: a PING or a repeated ACK) is believed only this many
 * packet numbers beyond the largest received; further ahead it is
 * dropped, so one forged number cannot become the reference that later
 * genuine packets are judged by.  Honest peers jump this far only after
 * losing as many packets in a row, and then their data (which proves
 * itself) follows.  The same allowance bounds how far an ACK may name
 * packet numbers we have not sent yet (the peer may have been fed a
 * forged one within it).
 */
#define CONN_PN_UNPROVEN_JUMP 64
/* The receive buffer is kept below this so 32-bit offsets stay clear. */
#define CONN_MAX_BUF ((size_t)1 << 29)
/* Time-wait lingers this many maximum RTOs: long enough to answer
 * several retransmissions of a peer at its longest backoff, whose ACKs
 * were lost (TCP's 2 MSL plays the same part). */
#define CONN_TIME_WAIT_MAX_RTOS 4
/*
 * The stream buffers are allocated as they are needed, not at the size
 * the window allows: they start at CONN_RING_MIN, double as data piles
 * up, and are given back (with the other trackers, rdt_conn_trim) when
 * all are empty and no datagram came for CONN_TRIM_IDLE, so an idle
 * connection holds none (10,000 idle connections reserved 80 GB of
 * address space with the buffers made up front).
 */
#define CONN_RING_MIN ((size_t)16384)
#define CONN_TRIM_IDLE (1000 * RDT_MS)
/* The smallest max_dgram of the encrypted mode: a padded INIT and its
 * tag. */
#define CONN_SEALED_MIN_DGRAM (RDT_PKT_INIT_MIN_SIZE + RDT_SEAL_TAG_SIZE)
/* And of the public-key handshake: the INIT carries an ephemeral key. */
#define CONN_SEALED_PK_MIN_DGRAM (RDT_PKT_INIT_MIN_SIZE + RDT_SEAL_PK_OVERHEAD)

/* A byte ring addressed by absolute stream position (position % size). */
struct rdt_ring {
	uint8_t *buf;
	size_t size;		/* 0: nothing allocated */
};

struct rdt_conn {
	struct rdt_conn_config cfg;
	const struct rdt_mem *mem;
	int is_server;
	enum rdt_conn_state state;
	int error;
	uint64_t local_cid;
	uint64_t peer_cid;
	/* Reset tokens (PROTOCOL.md 7.8): ours, drawn at creation and sent
	 * in our INIT or ACCEPT and every RESET; the peer's, learnt from its
	 * INIT or ACCEPT, without which no RESET of its is believed.  Only
	 * a client waiting for its ACCEPT knows none (peer_token_known 0):
	 * it believes a listener's stateless REFUSED. */
	uint8_t reset_token[RDT_PKT_RESET_TOKEN_SIZE];
	uint8_t peer_reset_token[RDT_PKT_RESET_TOKEN_SIZE];
	int peer_token_known;
	/* Encrypted mode (cfg.use_psk): the keys of our direction and the
	 * peer's, once both connection IDs are known (session_keys), and
	 * where a datagram is opened before it is decoded (cfg.max_dgram
	 * bytes: no sealed datagram we accept is longer). */
	int session_keys;
	uint8_t tx_key[RDT_SEAL_KEY_SIZE];
	uint8_t rx_key[RDT_SEAL_KEY_SIZE];
	/* The keys of the INIT or ACCEPT we write and of the one we read
	 * (a public-key client learns the latter from the first ACCEPT). */
	uint8_t hs_tx_key[RDT_SEAL_KEY_SIZE];
	uint8_t hs_rx_key[RDT_SEAL_KEY_SIZE];
	/* The public-key handshake: our ephemeral key pair, the peer's
	 * ephemeral public key, and the two Diffie-Hellman results; the
	 * secrets are wiped as soon as the session keys are made, which is
	 * what makes a static key stolen later useless. */
	uint8_t eph_secret[RDT_SEAL_PUBLIC_SIZE];
	uint8_t eph_public[RDT_SEAL_PUBLIC_SIZE];
	uint8_t peer_eph[RDT_SEAL_PUBLIC_SIZE];
	uint8_t dh1[RDT_SEAL_PUBLIC_SIZE], dh2[RDT_SEAL_PUBLIC_SIZE];
	uint8_t *open_buf;
	/* Largest datagram we send: ours and the peer's limit. */
	size_t max_dgram;
	rdt_tstamp created;

	/* Packet numbers we send. */
	rdt_pktnum first_pn;
	rdt_pktnum next_pn;

	/* Packet numbers we received, for ACK frames and duplicates. */
	struct rdt_ranges rcv_pns;
	int have_rcv_pn;
	rdt_pktnum largest_rcv_pn;
	rdt_tstamp largest_rcv_time;
	unsigned ack_eliciting_unacked;
	int ack_now;
	rdt_tstamp ack_deadline;

	/* Sending stream. */
	uint32_t local_isn;
	struct rdt_ring snd;	/* [snd_una, snd_end) of the stream */
	size_t sndcap;		/* the most snd may grow to */
	uint64_t snd_una;	/* everything below is acknowledged */
	uint64_t snd_nxt;	/* first position never sent */
	uint64_t snd_end;	/* first position not yet written by the app */
	uint64_t peer_edge;	/* the peer accepts positions below this */
	/* The peer's buffer size, from its handshake: every edge it
	 * advertises is its read position plus this. */
	uint64_t peer_window0;
	int fin_queued;		/* FIN follows snd_end */
	int fin_sent;
	int fin_acked;
	int fin_rtx;		/* the FIN needs sending again */
	struct rdt_ranges sacked;	/* acknowledged above snd_una */
	struct rdt_ranges rtx;		/* to resend, above snd_una */

	/* Receiving stream. */
	uint32_t peer_isn;
	struct rdt_ring rcv;	/* [rcv_read, rcv_read + rcvcap) */
	size_t rcvcap;		/* the window; the most rcv may grow to */
	uint64_t rcv_read;	/* next position the app reads */
	uint64_t rcv_nxt;	/* every position below was received */
	uint64_t adv_edge;	/* the window edge we last advertised */
	struct rdt_ranges ooo;	/* received above rcv_nxt */
	int peer_fin_known;
	uint64_t peer_fin_off;
	int peer_fin_rcvd;	/* rcv_nxt moved past the FIN */
	/* The in-order FIN last refused because bytes were held beyond
	 * it (conn_in.c, fin_outranks_held_bytes). */
	int fin_conflict_known;
	uint64_t fin_conflict_end;
	rdt_pktnum fin_conflict_pn;

	/* Loss recovery and congestion control. */
	struct rdt_sent sent;
	struct rdt_rtt rtt;
	struct rdt_cc cc;
	struct rdt_rate rate;
	struct rdt_pacer pacer;
	/* The last valid delivery-rate sample, bytes per second. */
	uint64_t delivery_rate;
	uint64_t bytes_in_flight;
	int have_largest_acked;
	rdt_pktnum largest_acked;
	rdt_tstamp last_in_flight_sent;
	unsigned pto_count;
	unsigned probes_pending;
	rdt_tstamp loss_time;
	size_t loss_scan_from;	/* sent records before it are final */
	unsigned pkt_threshold;
	unsigned reo_shift;
	int have_recovery_trigger;
	rdt_pktnum recovery_trigger_pn;

	/* Handshake retransmission. */
	int hs_due;
	unsigned hs_count;
	rdt_tstamp hs_next;
	rdt_pktnum peer_init_pn;	/* server: the INIT to echo */
	/* Client: the address-validation token the listener's RETRY gave,
	 * sent in every later INIT; how many RETRYs were obeyed. */
	uint8_t token[RDT_PKT_MAX_TOKEN];
	uint8_t token_len;
	uint8_t retries;

	/* Probes, keepalive and timeouts. */
	int ping_pending;
	int ping_outstanding;
	rdt_tstamp ping_sent;		/* when the outstanding PING left */
	unsigned ping_backoff;		/* resends of an unanswered PING */
	rdt_tstamp persist_next;
	unsigned persist_backoff;
	rdt_tstamp last_progress;
	rdt_tstamp last_recv;
	/* The peer was sending stream bytes: if it falls silent without a
	 * FIN until then, one PING asks whether it is still there (a dead
	 * process's host answers with ICMP port unreachable). */
	rdt_tstamp silence_probe_at;
	rdt_tstamp close_deadline;
	int reset_pending;
	uint32_t reset_reason;

	struct rdt_conn_stats stats;

	/* RDT_QLOG's observer (observe.c), or NULL. */
	rdt_conn_observer observer;
	void *observer_ctx;
};

/* conn.c */
void rdt_conn_fail(struct rdt_conn *conn, int error, rdt_tstamp now);
void rdt_conn_restart_time_wait(struct rdt_conn *conn, rdt_tstamp now);
void rdt_conn_sent_pop_front(struct rdt_conn *conn);
void rdt_conn_after_event(struct rdt_conn *conn, rdt_tstamp now);
int rdt_conn_outstanding(const struct rdt_conn *conn);
int rdt_conn_established(const struct rdt_conn *conn);
/* Encrypted mode: make the session keys once both connection IDs are
 * known (the server at creation, the client at its ACCEPT). */
void rdt_conn_derive_keys(struct rdt_conn *conn);
/* Encrypted mode (conn_seal.c): the keys a connection needs at creation,
 * once is_server and, for a server, the peer's fields are set; returns
 * 0 or RDT_ERR_INVALID (a public key that yields no secret).  And the
 * public-key handshake's secrets wiped. */
int rdt_conn_seal_setup(struct rdt_conn *conn);
void rdt_conn_forget_pk_secrets(struct rdt_conn *conn);
rdt_tstamp rdt_conn_rto(const struct rdt_conn *conn, unsigned backoff);
rdt_tstamp rdt_conn_silence_interval(const struct rdt_conn *conn);
uint64_t rdt_conn_rcv_edge(const struct rdt_conn *conn);
int rdt_conn_rcvbuf_reserve(struct rdt_conn *conn, uint64_t end);
void rdt_conn_rcvbuf_put(struct rdt_conn *conn, uint64_t pos, const uint8_t *src,
		     size_t len);
int rdt_conn_can_trim(const struct rdt_conn *conn);
void rdt_conn_trim(struct rdt_conn *conn);

/* acks.c */
void rdt_conn_ack_at_once(struct rdt_conn *conn);
void rdt_conn_ack_on_datagram(struct rdt_conn *conn,
			      const struct rdt_pkt *pkt, rdt_pktnum pn,
			      int seen, int taken, rdt_tstamp now);
void rdt_conn_ack_on_timer(struct rdt_conn *conn, rdt_tstamp now);
int rdt_conn_ack_wanted(const struct rdt_conn *conn, rdt_tstamp now);
int rdt_conn_ack_due(const struct rdt_conn *conn, rdt_tstamp now);
rdt_tstamp rdt_conn_ack_deadline(const struct rdt_conn *conn);
void rdt_conn_ack_sent(struct rdt_conn *conn);
int rdt_conn_pn_seen(const struct rdt_conn *conn, rdt_pktnum pn);
void rdt_conn_record_pn(struct rdt_conn *conn, rdt_pktnum pn, rdt_tstamp now);
void rdt_conn_track_largest(struct rdt_conn *conn, rdt_pktnum pn,
			    int eliciting);

/* recovery.c */
struct rdt_pkt_ack;
int rdt_conn_on_ack(struct rdt_conn *conn, const struct rdt_pkt_ack *ack,
		    rdt_tstamp now);
void rdt_conn_detect_lost(struct rdt_conn *conn, rdt_tstamp now);
void rdt_conn_declare_lost(struct rdt_conn *conn, struct rdt_sent_pkt *rec,
			   enum rdt_conn_loss_trigger trigger, rdt_tstamp now);

/* observe.c: callers test conn->observer first, so an unobserved
 * connection pays one branch per event. */
void rdt_conn_observe_pkt(struct rdt_conn *conn,
			  enum rdt_conn_event_type type,
			  const struct rdt_pkt *pkt, size_t len,
			  rdt_tstamp now);
void rdt_conn_observe_lost(struct rdt_conn *conn,
			   const struct rdt_sent_pkt *rec,
			   enum rdt_conn_loss_trigger trigger, rdt_tstamp now);
void rdt_conn_observe_updated(struct rdt_conn *conn, rdt_tstamp now);

/* conn_timer.c */
int rdt_conn_prepare_probe(struct rdt_conn *conn);

/* conn_out.c */
void rdt_conn_queue_rtx(struct rdt_conn *conn, uint64_t off, uint64_t len);

/* Is the connection in the encrypted mode, either kind? */
static inline int conn_sealed(const struct rdt_conn *conn)
{
	return conn->cfg.use_psk || conn->cfg.use_pk;
}

#endif
