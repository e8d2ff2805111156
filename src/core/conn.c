/*
 * conn.c: a connection's life cycle and its application side.
 *
 *   rdt_conn_config_default, rdt_conn_client_new, rdt_conn_server_new,
 *   rdt_conn_del                    creation and teardown
 *   rdt_conn_send, rdt_conn_recv,   the application's bytes in and out
 *   rdt_conn_shutdown, rdt_conn_abort
 *   rdt_conn_after_event                state and timer bookkeeping run at
 *                                   the end of every public call
 *   rdt_conn_get_info and accessors observability
 *
 * Datagrams in are in conn_in.c (ACKs of them in acks.c, of ours in
 * recovery.c), datagrams out in conn_out.c, timers in
 * conn_timer.c.
 */
#include <string.h>

#include <sodium.h>

#include "conn_int.h"
#include "err.h"
#include "../wire/pkt.h"

void rdt_conn_config_default(struct rdt_conn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_dgram = 1400;
	cfg->sndbuf = 4u << 20;
	cfg->rcvbuf = 4u << 20;
	cfg->initial_rtt = 333 * RDT_MS;
	cfg->min_rto = 50 * RDT_MS;
	cfg->max_rto = 5 * RDT_S;
	cfg->max_ack_delay = 25 * RDT_MS;
	cfg->user_timeout = 60 * RDT_S;
}

static int config_valid(const struct rdt_conn_config *cfg)
{
	return cfg->rand64 != NULL &&
	       cfg->max_dgram >= (cfg->use_pk	 ? CONN_SEALED_PK_MIN_DGRAM :
				  cfg->use_psk ? CONN_SEALED_MIN_DGRAM :
						 RDT_PKT_INIT_MIN_SIZE) &&
	       !(cfg->use_pk && cfg->use_psk) &&
	       cfg->max_dgram <= RDT_PKT_MAX_DGRAM &&
	       cfg->sndbuf >= cfg->max_dgram && cfg->sndbuf <= CONN_MAX_BUF &&
	       cfg->rcvbuf >= cfg->max_dgram && cfg->rcvbuf <= CONN_MAX_BUF &&
	       cfg->min_rto <= cfg->max_rto && cfg->user_timeout > 0;
}

/* A connection ID of 0 is reserved for INIT's dcid. */
static uint64_t nonzero_random(const struct rdt_conn_config *cfg)
{
	uint64_t v;

	do
		v = cfg->rand64(cfg->rand_ctx);
	while (v == 0);
	return v;
}

static int conn_new(struct rdt_conn **pconn, const struct rdt_conn_config *cfg,
		    const struct rdt_mem *mem, rdt_tstamp now)
{
	struct rdt_conn *conn;

	if (pconn == NULL || cfg == NULL || mem == NULL || !config_valid(cfg))
		return RDT_ERR_INVALID;
	conn = rdt_mem_calloc(mem, 1, sizeof(*conn));
	if (conn == NULL)
		return RDT_ERR_NOMEM;
	conn->cfg = *cfg;
	conn->mem = mem;
	if (cfg->use_psk || cfg->use_pk) {
		conn->open_buf = rdt_mem_malloc(mem, cfg->max_dgram);
		if (conn->open_buf == NULL) {
			rdt_mem_free(mem, conn);
			return RDT_ERR_NOMEM;
		}
	}
	conn->sndcap = cfg->sndbuf;
	conn->rcvcap = cfg->rcvbuf;
	rdt_ranges_init(&conn->rcv_pns, CONN_MAX_RCV_PN_RANGES, mem);
	rdt_ranges_init(&conn->ooo, CONN_MAX_OOO_RANGES, mem);
	rdt_ranges_init(&conn->sacked, CONN_MAX_SACK_RANGES, mem);
	rdt_ranges_init(&conn->rtx, CONN_MAX_RTX_RANGES, mem);
	rdt_sent_init(&conn->sent, CONN_MAX_SENT, mem);
	rdt_rtt_init(&conn->rtt, cfg->initial_rtt);
	rdt_cc_init(&conn->cc, cfg->cc ? cfg->cc : rdt_cc_default(),
		    cfg->max_dgram, now);
	rdt_rate_init(&conn->rate);
	rdt_pacer_init(&conn->pacer);

	conn->local_cid = nonzero_random(cfg);
	if (cfg->fixed_initial) {
		conn->first_pn = cfg->initial_pn;
		conn->local_isn = cfg->initial_isn;
	} else {
		/* Below 2^31, as PROTOCOL.md asks of senders. */
		conn->first_pn = cfg->rand64(cfg->rand_ctx) >> 33;
		conn->local_isn = (uint32_t)cfg->rand64(cfg->rand_ctx);
	}
	/* Drawn after the numbers above, so that a given rand64 sequence
	 * still gives the IDs and initial numbers it gave before. */
	{
		uint64_t r[2] = { cfg->rand64(cfg->rand_ctx),
				  cfg->rand64(cfg->rand_ctx) };

		memcpy(conn->reset_token, r, sizeof(conn->reset_token));
	}
	conn->next_pn = conn->first_pn;
	conn->max_dgram = cfg->max_dgram;
	conn->created = now;
	conn->ack_deadline = RDT_TSTAMP_NEVER;
	conn->loss_time = RDT_TSTAMP_NEVER;
	conn->persist_next = RDT_TSTAMP_NEVER;
	conn->close_deadline = RDT_TSTAMP_NEVER;
	conn->silence_probe_at = RDT_TSTAMP_NEVER;
	conn->pkt_threshold = CONN_PKT_THRESHOLD;
	conn->last_progress = now;
	conn->last_recv = now;
	conn->hs_due = 1;
	conn->hs_next = RDT_TSTAMP_NEVER;
	*pconn = conn;
	return 0;
}

int rdt_conn_client_new(struct rdt_conn **pconn,
			const struct rdt_conn_config *cfg,
			const struct rdt_mem *mem, rdt_tstamp now)
{
	int rv = conn_new(pconn, cfg, mem, now);

	if (rv != 0)
		return rv;
	(*pconn)->state = RDT_CONN_SYN_SENT;
	rv = rdt_conn_seal_setup(*pconn);
	if (rv != 0) {
		rdt_conn_del(*pconn);
		*pconn = NULL;
	}
	return rv;
}

int rdt_conn_server_new(struct rdt_conn **pconn,
			const struct rdt_conn_config *cfg,
			const struct rdt_mem *mem, const struct rdt_pkt *init,
			rdt_tstamp now)
{
	struct rdt_conn *conn;
	int rv;

	if (init == NULL || init->type != RDT_PKT_INIT || init->scid == 0)
		return RDT_ERR_INVALID;
	rv = conn_new(pconn, cfg, mem, now);
	if (rv != 0)
		return rv;
	conn = *pconn;
	conn->is_server = 1;
	conn->state = RDT_CONN_SYN_RCVD;
	conn->peer_cid = init->scid;
	memcpy(conn->peer_reset_token, init->reset_token,
	       sizeof(conn->peer_reset_token));
	conn->peer_token_known = 1;
	conn->peer_isn = init->isn;
	conn->peer_edge = init->window;
	conn->peer_window0 = init->window;
	if (init->max_dgram < conn->max_dgram)
		conn->max_dgram = init->max_dgram;
	conn->peer_init_pn = init->pn;
	rv = rdt_conn_seal_setup(conn);
	if (rv != 0) {
		rdt_conn_del(conn);
		*pconn = NULL;
		return rv;
	}
	rdt_conn_derive_keys(conn);
	conn->have_rcv_pn = 1;
	conn->largest_rcv_pn = init->pn;
	conn->largest_rcv_time = now;
	conn->stats.pkts_received = 1;
	return 0;
}

void rdt_conn_del(struct rdt_conn *conn)
{
	if (conn == NULL)
		return;
	rdt_conn_trim(conn);
	rdt_ranges_free(&conn->rcv_pns);
	if (conn->open_buf != NULL)
		rdt_mem_free(conn->mem, conn->open_buf);
	sodium_memzero(conn->cfg.psk, sizeof(conn->cfg.psk));
	rdt_conn_forget_pk_secrets(conn);
	sodium_memzero(conn->tx_key, sizeof(conn->tx_key));
	sodium_memzero(conn->rx_key, sizeof(conn->rx_key));
	sodium_memzero(conn->hs_tx_key, sizeof(conn->hs_tx_key));
	sodium_memzero(conn->hs_rx_key, sizeof(conn->hs_rx_key));
	rdt_mem_free(conn->mem, conn);
}

int rdt_conn_established(const struct rdt_conn *conn)
{
	return conn->state >= RDT_CONN_ESTABLISHED &&
	       conn->state < RDT_CONN_CLOSED;
}

/* Is anything waiting for the peer to acknowledge it?  While so, the
 * user timeout runs. */
int rdt_conn_outstanding(const struct rdt_conn *conn)
{
	if (conn->state == RDT_CONN_SYN_SENT ||
	    conn->state == RDT_CONN_SYN_RCVD)
		return 1;
	return conn->snd_una < conn->snd_nxt ||
	       (conn->fin_sent && !conn->fin_acked) || conn->ping_outstanding;
}

rdt_tstamp rdt_conn_rto(const struct rdt_conn *conn, unsigned backoff)
{
	return rdt_rtt_rto(&conn->rtt, conn->cfg.max_ack_delay,
			   conn->cfg.min_rto, conn->cfg.max_rto, backoff);
}

void rdt_conn_sent_pop_front(struct rdt_conn *conn)
{
	rdt_sent_pop_front(&conn->sent);
	if (conn->loss_scan_from > 0)
		conn->loss_scan_from--;
}

void rdt_conn_restart_time_wait(struct rdt_conn *conn, rdt_tstamp now)
{
	if (conn->state == RDT_CONN_TIME_WAIT)
		conn->close_deadline =
			now + CONN_TIME_WAIT_MAX_RTOS * conn->cfg.max_rto;
}

void rdt_conn_fail(struct rdt_conn *conn, int error, rdt_tstamp now)
{
	(void)now;
	if (conn->state == RDT_CONN_CLOSED)
		return;
	conn->error = error;
	conn->state = RDT_CONN_CLOSED;
	/* Tell a peer that may still be there, unless it told us. */
	if (error == RDT_ERR_TIMEOUT || error == RDT_ERR_ABORTED) {
		conn->reset_pending = 1;
		conn->reset_reason = error == RDT_ERR_TIMEOUT ?
					     RDT_RESET_TIMEOUT :
					     RDT_RESET_ABORT;
	}
}

/*
 * Does our sending direction wait for the peer's window alone?  Then the
 * persist timer must probe it (RFC 9293 3.8.6.1), or a lost window update
 * would deadlock both sides.
 */
static int window_blocked(const struct rdt_conn *conn)
{
	return rdt_conn_established(conn) && conn->snd_end > conn->snd_nxt &&
	       conn->snd_nxt >= conn->peer_edge &&
	       conn->bytes_in_flight == 0 && rdt_ranges_empty(&conn->rtx);
}

static void update_state(struct rdt_conn *conn, rdt_tstamp now)
{
	enum rdt_conn_state next;

	if (!rdt_conn_established(conn))
		return;
	/* The FIN's own ACK may overtake the ACK of a hole before it:
	 * our direction is done only when every byte is acknowledged. */
	if (conn->fin_acked && conn->snd_una == conn->snd_nxt &&
	    conn->peer_fin_rcvd)
		next = RDT_CONN_TIME_WAIT;
	else if (conn->fin_queued && conn->peer_fin_rcvd)
		next = RDT_CONN_LAST_ACK;
	else if (conn->fin_queued)
		next = RDT_CONN_FIN_WAIT;
	else if (conn->peer_fin_rcvd)
		next = RDT_CONN_CLOSE_WAIT;
	else
		next = RDT_CONN_ESTABLISHED;
	if (next == RDT_CONN_TIME_WAIT && conn->state != RDT_CONN_TIME_WAIT) {
		conn->state = next;
		rdt_conn_restart_time_wait(conn, now);
	}
	conn->state = next;
}

void rdt_conn_after_event(struct rdt_conn *conn, rdt_tstamp now)
{
	update_state(conn, now);
	if (conn->observer)
		rdt_conn_observe_updated(conn, now);
	if (window_blocked(conn)) {
		if (conn->persist_next == RDT_TSTAMP_NEVER &&
		    !conn->ping_outstanding && !conn->ping_pending)
			conn->persist_next =
				now + rdt_conn_rto(conn, conn->persist_backoff);
	} else {
		conn->persist_next = RDT_TSTAMP_NEVER;
		if (conn->snd_nxt < conn->peer_edge)
			conn->persist_backoff = 0;
	}
}

/* Copy |len| bytes between a ring of |cap| bytes at position |pos| and a
 * flat buffer; the ring may wrap once. */
static void ring_put(uint8_t *ring, size_t cap, uint64_t pos,
		     const uint8_t *src, size_t len)
{
	size_t at = (size_t)(pos % cap);
	size_t first = len < cap - at ? len : cap - at;

	memcpy(ring + at, src, first);
	memcpy(ring, src + first, len - first);
}

static void ring_get(const uint8_t *ring, size_t cap, uint64_t pos,
		     uint8_t *dst, size_t len)
{
	size_t at = (size_t)(pos % cap);
	size_t first = len < cap - at ? len : cap - at;

	memcpy(dst, ring + at, first);
	memcpy(dst + first, ring, len - first);
}

/*
 * ring_reserve: make RING hold at least NEED bytes from position BASE on
 * (NEED <= LIMIT), keeping the bytes [BASE, BASE + its old size).  It
 * doubles rather than fitting NEED exactly so that a stream that keeps
 * growing copies each byte a bounded number of times.
 */
static int ring_reserve(struct rdt_ring *ring, const struct rdt_mem *mem,
			size_t limit, uint64_t base, size_t need)
{
	size_t size, at, first;
	uint8_t *buf;

	if (need <= ring->size)
		return 0;
	if (need > limit)
		return RDT_ERR_INVALID;
	size = ring->size > 0 ? ring->size : CONN_RING_MIN;
	while (size < need && size < limit)
		size *= 2;
	if (size > limit)
		size = limit;
	buf = rdt_mem_malloc(mem, size);
	if (buf == NULL)
		return RDT_ERR_NOMEM;
	if (ring->size > 0) {
		at = (size_t)(base % ring->size);
		first = ring->size - at;
		ring_put(buf, size, base, ring->buf + at, first);
		ring_put(buf, size, base + first, ring->buf, at);
		rdt_mem_free(mem, ring->buf);
	}
	ring->buf = buf;
	ring->size = size;
	return 0;
}

/* Room for received bytes up to position END, which the window allows. */
int rdt_conn_rcvbuf_reserve(struct rdt_conn *conn, uint64_t end)
{
	return ring_reserve(&conn->rcv, conn->mem, conn->rcvcap, conn->rcv_read,
			    (size_t)(end - conn->rcv_read));
}

/* Bytes [POS, POS + LEN) arrived, where rdt_conn_rcvbuf_reserve made room. */
void rdt_conn_rcvbuf_put(struct rdt_conn *conn, uint64_t pos, const uint8_t *src,
		     size_t len)
{
	ring_put(conn->rcv.buf, conn->rcv.size, pos, src, len);
}

/*
 * An idle connection can give back its rings when they are allocated
 * and empty, and with them the trackers that are empty too.  (rcv_pns
 * stays: the ACKs it makes must go on naming what was received.)  A
 * connection that never carried a byte holds only trackers of a few
 * hundred bytes, not worth waking up for: idle connections cost no CPU.
 */
int rdt_conn_can_trim(const struct rdt_conn *conn)
{
	return (conn->snd.size > 0 || conn->rcv.size > 0) &&
	       conn->snd_una == conn->snd_end &&
	       conn->rcv_read == conn->rcv_nxt && conn->ooo.n == 0 &&
	       conn->sent.n == 0 && conn->sacked.n == 0 && conn->rtx.n == 0;
}

/* Gives back the rings and the trackers but rcv_pns: emptied ones when
 * rdt_conn_can_trim says so, everything when the connection ends. */
void rdt_conn_trim(struct rdt_conn *conn)
{
	rdt_mem_free(conn->mem, conn->snd.buf);
	rdt_mem_free(conn->mem, conn->rcv.buf);
	conn->snd = (struct rdt_ring){ NULL, 0 };
	conn->rcv = (struct rdt_ring){ NULL, 0 };
	rdt_sent_free(&conn->sent);
	rdt_ranges_free(&conn->ooo);
	rdt_ranges_free(&conn->sacked);
	rdt_ranges_free(&conn->rtx);
}

size_t rdt_conn_writable(const struct rdt_conn *conn)
{
	if (conn->fin_queued || conn->state == RDT_CONN_CLOSED)
		return 0;
	return conn->sndcap - (size_t)(conn->snd_end - conn->snd_una);
}

rdt_ssize rdt_conn_send(struct rdt_conn *conn, const uint8_t *data,
			size_t len, rdt_tstamp now)
{
	size_t room, used;

	if (conn == NULL || (data == NULL && len > 0))
		return RDT_ERR_INVALID;
	if (conn->error != 0)
		return conn->error;
	if (conn->state == RDT_CONN_CLOSED)
		return RDT_ERR_STATE;
	if (conn->fin_queued)
		return RDT_ERR_SHUTDOWN;
	room = rdt_conn_writable(conn);
	if (room == 0)
		return len == 0 ? 0 : RDT_ERR_AGAIN;
	if (len > room)
		len = room;
	used = (size_t)(conn->snd_end - conn->snd_una);
	if (ring_reserve(&conn->snd, conn->mem, conn->sndcap, conn->snd_una,
			 used + len) != 0) {
		/* Short of memory: take what the ring already holds room for. */
		if (conn->snd.size - used < len)
			len = conn->snd.size - used;
		if (len == 0)
			return RDT_ERR_NOMEM;
	}
	ring_put(conn->snd.buf, conn->snd.size, conn->snd_end, data, len);
	conn->snd_end += len;
	rdt_conn_after_event(conn, now);
	return (rdt_ssize)len;
}

/*
 * The contiguous room at the end of the send ring, which grows (doubling)
 * when what it holds fills it.  0 when the window's worth is queued, or
 * when memory for a larger ring is short (ACKs will make room).
 */
size_t rdt_conn_send_space(struct rdt_conn *conn, uint8_t **p)
{
	size_t room, used, at;

	if (conn->error != 0 || conn->state == RDT_CONN_CLOSED)
		return 0;
	room = rdt_conn_writable(conn);
	if (room == 0)
		return 0;
	used = (size_t)(conn->snd_end - conn->snd_una);
	if (used == conn->snd.size &&
	    ring_reserve(&conn->snd, conn->mem, conn->sndcap, conn->snd_una,
			 used + 1) != 0)
		return 0;
	room = conn->snd.size - used;
	at = (size_t)(conn->snd_end % conn->snd.size);
	*p = conn->snd.buf + at;
	return room < conn->snd.size - at ? room : conn->snd.size - at;
}

void rdt_conn_send_commit(struct rdt_conn *conn, size_t len, rdt_tstamp now)
{
	conn->snd_end += len;
	rdt_conn_after_event(conn, now);
}

/* The window edge we would advertise now. */
uint64_t rdt_conn_rcv_edge(const struct rdt_conn *conn)
{
	return conn->rcv_read + conn->rcvcap;
}

static uint64_t readable_end(const struct rdt_conn *conn)
{
	/* The FIN takes a position but carries no byte. */
	if (conn->peer_fin_rcvd)
		return conn->peer_fin_off;
	return conn->rcv_nxt;
}

size_t rdt_conn_readable(const struct rdt_conn *conn)
{
	return (size_t)(readable_end(conn) - conn->rcv_read);
}

int rdt_conn_peer_finished(const struct rdt_conn *conn)
{
	return conn->peer_fin_rcvd;
}

rdt_ssize rdt_conn_recv(struct rdt_conn *conn, uint8_t *buf, size_t len,
			int peek, rdt_tstamp now)
{
	size_t avail;

	if (conn == NULL || (buf == NULL && len > 0))
		return RDT_ERR_INVALID;
	/* A reset discards unread data, as on TCP. */
	if (conn->error == RDT_ERR_RESET)
		return conn->error;
	avail = rdt_conn_readable(conn);
	if (avail == 0) {
		if (conn->peer_fin_rcvd)
			return 0;
		if (conn->error != 0)
			return conn->error;
		return conn->state == RDT_CONN_CLOSED ? 0 : RDT_ERR_AGAIN;
	}
	if (len > avail)
		len = avail;
	ring_get(conn->rcv.buf, conn->rcv.size, conn->rcv_read, buf, len);
	if (peek)
		return (rdt_ssize)len;
	rdt_conn_recv_consume(conn, len, now);
	return (rdt_ssize)len;
}

size_t rdt_conn_recv_view(const struct rdt_conn *conn, const uint8_t **p)
{
	size_t avail, at;

	if (conn->error == RDT_ERR_RESET)
		return 0;
	avail = rdt_conn_readable(conn);
	if (avail == 0)
		return 0;
	at = (size_t)(conn->rcv_read % conn->rcv.size);
	*p = conn->rcv.buf + at;
	return avail < conn->rcv.size - at ? avail : conn->rcv.size - at;
}

void rdt_conn_recv_consume(struct rdt_conn *conn, size_t len, rdt_tstamp now)
{
	uint64_t edge;

	conn->rcv_read += len;
	conn->stats.bytes_delivered += len;
	/*
	 * Announce the opened window when it grew by a quarter of the buffer,
	 * or when the peer was nearly blocked: waiting for a later ACK would
	 * idle the sender (the receiver side of silly-window avoidance).
	 */
	edge = rdt_conn_rcv_edge(conn);
	if (rdt_conn_established(conn) && !conn->peer_fin_rcvd &&
	    (edge - conn->adv_edge >= conn->rcvcap / 4 ||
	     conn->adv_edge < conn->rcv_nxt + 2 * conn->max_dgram))
		rdt_conn_ack_at_once(conn);
	rdt_conn_after_event(conn, now);
}

int rdt_conn_shutdown(struct rdt_conn *conn, rdt_tstamp now)
{
	if (conn == NULL)
		return RDT_ERR_INVALID;
	if (conn->state == RDT_CONN_CLOSED)
		return conn->error ? conn->error : RDT_ERR_STATE;
	conn->fin_queued = 1;
	rdt_conn_after_event(conn, now);
	return 0;
}

void rdt_conn_abort(struct rdt_conn *conn, rdt_tstamp now)
{
	if (conn != NULL)
		rdt_conn_fail(conn, RDT_ERR_ABORTED, now);
}

void rdt_conn_refused(struct rdt_conn *conn, rdt_tstamp now)
{
	if (conn != NULL && conn->state == RDT_CONN_SYN_SENT)
		rdt_conn_fail(conn, RDT_ERR_REFUSED, now);
}

void rdt_conn_peer_unreachable(struct rdt_conn *conn, rdt_tstamp now)
{
	if (conn == NULL)
		return;
	if (conn->state == RDT_CONN_SYN_SENT)
		rdt_conn_fail(conn, RDT_ERR_REFUSED, now);
	else if (conn_sealed(conn))
		/* Anyone who saw the connection ID can forge the ICMP, and
		 * an encrypted connection believes nothing unauthenticated
		 * once established: the user timeout decides. */
		return;
	else if (conn->state == RDT_CONN_LAST_ACK &&
		 conn->snd_una == conn->snd_nxt)
		/* Both streams were delivered and only the ACK of our FIN
		 * is missing: the peer left after its time-wait or without
		 * one, as the user timeout concludes too. */
		conn->state = RDT_CONN_CLOSED;
	else if (conn->state != RDT_CONN_CLOSED &&
		 conn->state != RDT_CONN_TIME_WAIT)
		/* Nobody is there to take or acknowledge another byte:
		 * what TCP learns from the RST a rebooted host sends. */
		rdt_conn_fail(conn, RDT_ERR_RESET, now);
}

int rdt_conn_send_done(const struct rdt_conn *conn)
{
	/* The FIN's packet can be acknowledged selectively while a hole
	 * before it is not: only the cumulative point says every byte
	 * arrived (as update_state asks before TIME_WAIT). */
	return conn->fin_acked && conn->snd_una == conn->snd_nxt;
}

void rdt_conn_tune(struct rdt_conn *conn, int nodelay, rdt_tstamp user_timeout,
		   rdt_tstamp idle_timeout, rdt_tstamp keepalive)
{
	conn->cfg.nodelay = nodelay;
	if (user_timeout > 0)
		conn->cfg.user_timeout = user_timeout;
	conn->cfg.idle_timeout = idle_timeout;
	conn->cfg.keepalive = keepalive;
}

enum rdt_conn_state rdt_conn_state(const struct rdt_conn *conn)
{
	return conn->state;
}

int rdt_conn_error(const struct rdt_conn *conn)
{
	return conn->error;
}

uint64_t rdt_conn_local_cid(const struct rdt_conn *conn)
{
	return conn->local_cid;
}

uint64_t rdt_conn_peer_cid(const struct rdt_conn *conn)
{
	return conn->peer_cid;
}

void rdt_conn_get_info(const struct rdt_conn *conn,
		       struct rdt_conn_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = conn->state;
	info->error = conn->error;
	info->srtt = conn->rtt.srtt;
	info->rttvar = conn->rtt.rttvar;
	info->min_rtt = conn->rtt.min_rtt;
	info->latest_rtt = conn->rtt.latest_rtt;
	info->rto = rdt_conn_rto(conn, conn->pto_count);
	info->cwnd = conn->cc.cwnd;
	info->ssthresh = conn->cc.ssthresh;
	info->bytes_in_flight = conn->bytes_in_flight;
	info->peer_window = conn->peer_edge > conn->snd_nxt ?
				    conn->peer_edge - conn->snd_nxt : 0;
	info->pkt_threshold = conn->pkt_threshold;
	info->pacing_rate = conn->cc.pacing_rate;
	info->delivery_rate = conn->delivery_rate;
	info->cc_name = conn->cc.ops->name;
	info->cc_state = rdt_cc_state_name(&conn->cc);
	info->snd_ring = conn->snd.size;
	info->rcv_ring = conn->rcv.size;
	info->stats = conn->stats;
}

const char *rdt_conn_state_name(enum rdt_conn_state state)
{
	switch (state) {
	case RDT_CONN_SYN_SENT: return "SYN_SENT";
	case RDT_CONN_SYN_RCVD: return "SYN_RCVD";
	case RDT_CONN_ESTABLISHED: return "ESTABLISHED";
	case RDT_CONN_FIN_WAIT: return "FIN_WAIT";
	case RDT_CONN_CLOSE_WAIT: return "CLOSE_WAIT";
	case RDT_CONN_LAST_ACK: return "LAST_ACK";
	case RDT_CONN_TIME_WAIT: return "TIME_WAIT";
	case RDT_CONN_CLOSED: return "CLOSED";
	}
	return "UNKNOWN";
}
