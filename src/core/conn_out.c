/*
 * conn_out.c: building the next datagram a connection wants to send.
 *
 *   rdt_conn_write_pkt   one datagram per call, by priority:
 *                        RESET after a failure; INIT / ACCEPT during the
 *                        handshake; otherwise one DATA that carries what is
 *                        due of: an ACK, resent bytes (lowest first), new
 *                        bytes within min(cwnd, peer window), the FIN, a
 *                        PING
 *   rdt_conn_queue_rtx   queue lost bytes for resending, minus what the
 *                        peer already acknowledged selectively
 *
 * One DATA datagram (write_data) in four steps:
 *   plan_data            what it carries: plan_stream picks the bytes and
 *                        FIN, plan_ping the PING, acks.c says whether an
 *                        ACK is wanted or due
 *   fill_ack             the ACK section, as many ranges as fit
 *   reserve_record       room in the sent-packet tracker, or no datagram
 *   on_data_sent         after encoding: the record, on_stream_sent for
 *                        the stream bytes, probes, pending ACK, stats
 *
 * Each call either returns a datagram and consumes what it carried, or
 * returns 0; so a caller draining it until 0 always terminates.
 */
#include <string.h>

#include <sodium.h>

#include "conn_int.h"
#include "err.h"
#include "seq.h"
#include "../wire/pkt.h"

void rdt_conn_queue_rtx(struct rdt_conn *conn, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, gs, ge;

	if (off < conn->snd_una)
		off = conn->snd_una;
	while (off < end &&
	       rdt_ranges_first_gap(&conn->sacked, off, end, &gs, &ge)) {
		if (rdt_ranges_add(&conn->rtx, gs, ge) < 0) {
			/* The table is full: resend everything outstanding
			 * rather than forget a hole. */
			rdt_ranges_free(&conn->rtx);
			(void)rdt_ranges_add(&conn->rtx, conn->snd_una,
					     conn->snd_nxt);
			return;
		}
		off = ge;
	}
}

static rdt_ssize write_handshake(struct rdt_conn *conn, uint8_t *dest,
				 size_t cap, rdt_tstamp now)
{
	struct rdt_pkt pkt;
	struct rdt_sent_pkt rec;
	rdt_ssize n;

	memset(&pkt, 0, sizeof(pkt));
	pkt.pn = (uint32_t)conn->next_pn;
	pkt.scid = conn->local_cid;
	pkt.isn = conn->local_isn;
	pkt.window = (uint32_t)conn->rcvcap;
	pkt.max_dgram = (uint16_t)conn->cfg.max_dgram;
	memcpy(pkt.reset_token, conn->reset_token, sizeof(pkt.reset_token));
	if (conn->is_server) {
		pkt.type = RDT_PKT_ACCEPT;
		pkt.dcid = conn->peer_cid;
		pkt.echo_pn = (uint32_t)conn->peer_init_pn;
	} else {
		pkt.type = RDT_PKT_INIT;
		pkt.token_len = conn->token_len;
		pkt.token = conn->token;
	}
	n = rdt_pkt_encode(dest, cap, &pkt);
	if (n < 0)
		return n;
	memset(&rec, 0, sizeof(rec));
	rec.pn = conn->next_pn;
	rec.sent_time = now;
	rec.size = (uint16_t)n;
	rec.flags = RDT_SENT_HANDSHAKE;
	if (conn->is_server)
		rec.flags |= RDT_SENT_ACK_ELICITING;
	/* The tracker only serves RTT samples here; a full one is harmless. */
	(void)rdt_sent_push(&conn->sent, &rec);
	conn->next_pn++;
	conn->hs_due = 0;
	/*
	 * A server resends its ACCEPT a backoff step later than the client
	 * resends its INIT, so a lost ACCEPT is normally recovered through
	 * the client's next INIT, answered at once.  An ACCEPT the server
	 * resends on its own timer would reach a waiting client with the
	 * wait included in the echoed INIT's RTT sample (1 s instead of
	 * 0.1 ms on loopback, found by reliable-cat's tests); this one only
	 * fires when the client, already established, lost its ACK.
	 */
	conn->hs_next = now + rdt_conn_rto(conn, conn->hs_count + conn->is_server);
	conn->hs_count++;
	conn->stats.pkts_sent++;
	if (conn->is_server)
		conn->adv_edge = rdt_conn_rcv_edge(conn);
	if (conn->observer)
		rdt_conn_observe_pkt(conn, RDT_CONN_EV_SENT, &pkt, (size_t)n,
				     now);
	return n;
}

static rdt_ssize write_reset(struct rdt_conn *conn, uint8_t *dest, size_t cap,
			     rdt_tstamp now)
{
	struct rdt_pkt pkt;
	rdt_ssize n;

	conn->reset_pending = 0;
	if (conn->peer_cid == 0)
		return 0;
	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_RESET;
	pkt.dcid = conn->peer_cid;
	pkt.pn = (uint32_t)conn->next_pn++;
	pkt.reason = conn->reset_reason;
	/* Our token is what makes the peer believe us (PROTOCOL.md 7.8). */
	pkt.has_reset_token = 1;
	memcpy(pkt.reset_token, conn->reset_token, sizeof(pkt.reset_token));
	n = rdt_pkt_encode(dest, cap, &pkt);
	if (n > 0)
		conn->stats.pkts_sent++;
	if (n > 0 && conn->observer)
		rdt_conn_observe_pkt(conn, RDT_CONN_EV_SENT, &pkt, (size_t)n,
				     now);
	return n;
}

/* Fill the ACK section from the received packet numbers, newest first;
 * returns how many extra ranges it holds. */
static unsigned build_ack(struct rdt_conn *conn, struct rdt_pkt_ack *ack,
			  unsigned max_ranges, rdt_tstamp now)
{
	const struct rdt_ranges *rs = &conn->rcv_pns;
	size_t i = rs->n - 1;
	uint64_t prev_start;

	ack->cum = conn->peer_isn + (uint32_t)conn->rcv_nxt;
	ack->largest = (uint32_t)(rs->v[i].end - 1);
	ack->first_len = (uint32_t)(rs->v[i].end - 1 - rs->v[i].start);
	ack->ack_delay_us = (uint32_t)((now - conn->largest_rcv_time) / RDT_US);
	ack->nranges = 0;
	prev_start = rs->v[i].start;
	while (i-- > 0 && ack->nranges < max_ranges) {
		uint64_t gap = prev_start - rs->v[i].end - 1;
		uint64_t len = rs->v[i].end - 1 - rs->v[i].start;

		if (gap > UINT32_MAX || len > UINT32_MAX)
			break;
		ack->ranges[ack->nranges].gap = (uint32_t)gap;
		ack->ranges[ack->nranges].len = (uint32_t)len;
		ack->nranges++;
		prev_start = rs->v[i].start;
	}
	return ack->nranges;
}

static int have_new_data(const struct rdt_conn *conn)
{
	return conn->snd_end > conn->snd_nxt &&
	       conn->snd_nxt < conn->peer_edge;
}

static int fin_due(const struct rdt_conn *conn)
{
	return conn->fin_queued && conn->snd_nxt == conn->snd_end &&
	       (!conn->fin_sent || conn->fin_rtx);
}

static int have_stream_to_send(const struct rdt_conn *conn)
{
	return !rdt_ranges_empty(&conn->rtx) || conn->fin_rtx ||
	       have_new_data(conn) || fin_due(conn);
}

/*
 * May a datagram of up to |cap| bytes that counts in flight leave now?
 * The window must have room for it and the pacer must have credit.  The
 * pacer is asked only when there is something to send and the window
 * allows it, since a refusal becomes a deadline (rdt_conn_deadline):
 * asking with nothing to send would make a deadline that serves nothing.
 */
static int may_send_paced(struct rdt_conn *conn, size_t cap, rdt_tstamp now)
{
	if (conn->bytes_in_flight + cap > conn->cc.cwnd)
		return 0;
	if (!have_stream_to_send(conn) || rdt_sent_full(&conn->sent))
		return 1;
	return rdt_pacer_allows(&conn->pacer, conn->cc.pacing_rate,
				conn->max_dgram, now);
}

/* What the next DATA datagram carries, decided before it is encoded. */
struct data_plan {
	/* RDT_PKT_F_STREAM, _FIN and _PING; _ACK is added when encoding. */
	uint8_t flags;
	int want_ack;		/* it carries an ACK section */
	int is_rtx;		/* its stream bytes are resent ones */
	uint64_t off, len;	/* its stream range */
};

/* A probe with nothing of its own to carry takes the newest bytes in
 * flight (rdt_conn_prepare_probe); with none of those either, there is
 * nothing to probe with and the probe is dropped. */
static void drop_empty_probes(struct rdt_conn *conn)
{
	if (conn->probes_pending > 0 && rdt_ranges_empty(&conn->rtx) &&
	    !conn->fin_rtx && !have_new_data(conn) && !fin_due(conn) &&
	    !rdt_conn_prepare_probe(conn))
		conn->probes_pending = 0;
}

/*
 * Choose the stream bytes: resent ones first (lowest first), else new
 * ones within the peer's window, else only the FIN.  Clears
 * RDT_PKT_F_STREAM again if nothing is worth sending after all.
 */
static void plan_stream(struct rdt_conn *conn, struct data_plan *plan,
			size_t cap)
{
	/* Room left for payload with every ACK range we may send. */
	unsigned max_ranges = plan->want_ack ? 8 : 0;
	size_t payload_cap = cap - rdt_pkt_data_overhead(plan->want_ack,
							 max_ranges, 1);
	uint64_t off = 0, len = 0, ring_left;

	plan->flags |= RDT_PKT_F_STREAM;
	if (!rdt_ranges_empty(&conn->rtx)) {
		off = conn->rtx.v[0].start;
		len = conn->rtx.v[0].end - off;
		plan->is_rtx = 1;
	} else if (have_new_data(conn)) {
		off = conn->snd_nxt;
		len = conn->snd_end - off;
		if (len > conn->peer_edge - off)
			len = conn->peer_edge - off;
		/* Nagle (RFC 896): hold a small tail while data is
		 * in flight; its ACK will let it go out fuller. */
		if (len < payload_cap && !conn->cfg.nodelay &&
		    !conn->fin_queued && conn->bytes_in_flight > 0 &&
		    conn->probes_pending == 0) {
			plan->flags &= ~RDT_PKT_F_STREAM;
			len = 0;
		}
	} else {
		off = conn->snd_end;
	}
	if (len > payload_cap)
		len = payload_cap;
	/* Resent or not, the bytes come from the send ring: keep to
	 * its contiguous part so they can be encoded in place. */
	ring_left = len > 0 ? conn->snd.size - (off % conn->snd.size) : 0;
	if (len > ring_left)
		len = ring_left;
	if ((plan->flags & RDT_PKT_F_STREAM) && conn->fin_queued &&
	    off + len == conn->snd_end && (!conn->fin_sent || conn->fin_rtx))
		plan->flags |= RDT_PKT_F_FIN;
	if ((plan->flags & RDT_PKT_F_STREAM) && len == 0 &&
	    !(plan->flags & RDT_PKT_F_FIN))
		plan->flags &= ~RDT_PKT_F_STREAM;
	plan->off = off;
	plan->len = len;
}

static void plan_ping(const struct rdt_conn *conn, struct data_plan *plan,
		      size_t cap)
{
	if (conn->ping_pending && !(plan->flags & RDT_PKT_F_STREAM))
		plan->flags |= RDT_PKT_F_PING;
	/*
	 * The last datagram the window lets out asks for an immediate ACK:
	 * its ACK is what lets the next ones go, and a delayed-ACK timer
	 * holding it would stall the whole flight (the idea of QUIC's
	 * ACK-frequency IMMEDIATE_ACK).
	 */
	if ((plan->flags & RDT_PKT_F_STREAM) &&
	    conn->bytes_in_flight + 2 * cap > conn->cc.cwnd)
		plan->flags |= RDT_PKT_F_PING;
}

/* Decide what the next DATA datagram carries; returns 0 if nothing is
 * worth a datagram now. */
static int plan_data(struct rdt_conn *conn, struct data_plan *plan,
		     size_t cap, rdt_tstamp now)
{
	int cc_ok;

	memset(plan, 0, sizeof(*plan));
	/* Held back or not is decided afresh on every call. */
	conn->pacer.blocked = 0;
	drop_empty_probes(conn);
	plan->want_ack = rdt_conn_ack_wanted(conn, now);
	cc_ok = (conn->probes_pending > 0 || may_send_paced(conn, cap, now)) &&
		!rdt_sent_full(&conn->sent);
	if (cc_ok && have_stream_to_send(conn))
		plan_stream(conn, plan, cap);
	plan_ping(conn, plan, cap);
	if (plan->flags & (RDT_PKT_F_STREAM | RDT_PKT_F_PING))
		return 1;
	/* A pure ACK is only worth sending when one is due. */
	return plan->want_ack && rdt_conn_ack_due(conn, now);
}

/* The ACK section: as many ranges as fit, that is all the room a pure
 * ACK has, or the eight plan_stream sized the payload for. */
static void fill_ack(struct rdt_conn *conn, struct rdt_pkt *pkt, size_t cap,
		     rdt_tstamp now)
{
	size_t fit = (cap - rdt_pkt_data_overhead(1, 0, 0)) /
		     sizeof(struct rdt_pkt_ack_range);

	if (pkt->flags & RDT_PKT_F_STREAM)
		fit = 8;
	if (fit > RDT_PKT_MAX_ACK_RANGES)
		fit = RDT_PKT_MAX_ACK_RANGES;
	pkt->flags |= RDT_PKT_F_ACK;
	build_ack(conn, &pkt->ack, (unsigned)fit, now);
}

/*
 * Track it or do not send it: an untracked datagram in flight could
 * never be declared lost.  A PING can wait (it is taken out of
 * |pkt|); an ACK that is due still goes out without it.  Returns 1 if
 * the datagram may go, else what write_data returns: 0 or RDT_ERR_*.
 */
static rdt_ssize reserve_record(struct rdt_conn *conn, struct rdt_pkt *pkt)
{
	int rv;

	if (!(pkt->flags & (RDT_PKT_F_STREAM | RDT_PKT_F_PING)))
		return 1;
	rv = rdt_sent_reserve(&conn->sent);
	if (rv == 0)
		return 1;
	if (pkt->flags & RDT_PKT_F_STREAM)
		return rv;
	pkt->flags &= ~RDT_PKT_F_PING;
	if (!(pkt->flags & RDT_PKT_F_ACK))
		return rv == RDT_ERR_NOBUF ? 0 : rv;
	return 1;
}

/* Stream bytes left in the datagram |rec|: mark them sent, count them
 * in flight and tell the rate estimator, controller and pacer. */
static void on_stream_sent(struct rdt_conn *conn, struct rdt_sent_pkt *rec,
			   const struct data_plan *plan, uint8_t flags,
			   rdt_tstamp now)
{
	uint64_t off = plan->off, len = plan->len;

	rec->off = off;
	rec->len = (uint32_t)len;
	rec->flags |= RDT_SENT_IN_FLIGHT;
	if (flags & RDT_PKT_F_FIN) {
		rec->flags |= RDT_SENT_FIN;
		conn->fin_sent = 1;
		conn->fin_rtx = 0;
	}
	if (plan->is_rtx) {
		(void)rdt_ranges_remove(&conn->rtx, off, off + len);
		conn->stats.bytes_retransmitted += len;
		conn->stats.pkts_retransmitted++;
	} else if (off + len > conn->snd_nxt) {
		conn->snd_nxt = off + len;
	}
	conn->stats.bytes_sent += len;
	rdt_rate_on_sent(&conn->rate, rec, conn->bytes_in_flight, now);
	if (conn->cc.ops->on_sent)
		conn->cc.ops->on_sent(&conn->cc, rec->size,
				      conn->bytes_in_flight, now);
	if (conn->probes_pending == 0)
		rdt_pacer_on_sent(&conn->pacer, conn->cc.pacing_rate,
				  rec->size);
	if (!have_new_data(conn) && rdt_ranges_empty(&conn->rtx)) {
		rec->flags |= RDT_SENT_APP_LIMITED;
		rdt_rate_app_limited(&conn->rate,
				     conn->bytes_in_flight + rec->size);
	}
	conn->bytes_in_flight += rec->size;
	conn->last_in_flight_sent = now;
	if (conn->probes_pending > 0)
		conn->probes_pending--;
}

/* Everything the datagram of |size| bytes with |flags| changes once it
 * is encoded: its record, the stream, probes and pending ACK. */
static void on_data_sent(struct rdt_conn *conn, const struct data_plan *plan,
			 uint8_t flags, size_t size, rdt_tstamp now)
{
	int outstanding_before = rdt_conn_outstanding(conn);
	struct rdt_sent_pkt rec;

	memset(&rec, 0, sizeof(rec));
	rec.pn = conn->next_pn++;
	rec.sent_time = now;
	/* What the path carries, which the controller and pacer meter: a
	 * sealed datagram is its tag longer than the one built here. */
	rec.size = (uint16_t)(size + (conn_sealed(conn) ? RDT_SEAL_TAG_SIZE
							: 0));
	if (flags & (RDT_PKT_F_STREAM | RDT_PKT_F_PING))
		rec.flags |= RDT_SENT_ACK_ELICITING;
	if (flags & RDT_PKT_F_STREAM)
		on_stream_sent(conn, &rec, plan, flags, now);
	if (rec.flags & RDT_SENT_ACK_ELICITING)
		(void)rdt_sent_push(&conn->sent, &rec);	/* reserved */
	/* Stream bytes draw an ACK as well as a PING would. */
	conn->ping_pending = 0;
	if ((flags & RDT_PKT_F_PING) && !(flags & RDT_PKT_F_STREAM)) {
		conn->ping_outstanding = 1;
		conn->ping_sent = now;
	}
	if (flags & RDT_PKT_F_ACK)
		rdt_conn_ack_sent(conn);
	conn->adv_edge = rdt_conn_rcv_edge(conn);
	if (!outstanding_before && rdt_conn_outstanding(conn))
		conn->last_progress = now;
	conn->stats.pkts_sent++;
}

/* One DATA datagram: plan it, build it, encode it, account for it. */
static rdt_ssize write_data(struct rdt_conn *conn, uint8_t *dest, size_t cap,
			    rdt_tstamp now)
{
	struct data_plan plan;
	struct rdt_pkt pkt;
	rdt_ssize n;

	if (!plan_data(conn, &plan, cap, now))
		return 0;
	pkt.type = RDT_PKT_DATA;
	pkt.dcid = conn->peer_cid;
	pkt.pn = (uint32_t)conn->next_pn;
	pkt.window_edge = conn->peer_isn + (uint32_t)rdt_conn_rcv_edge(conn);
	pkt.flags = plan.flags;
	pkt.ack.nranges = 0;
	if (plan.want_ack)
		fill_ack(conn, &pkt, cap, now);
	pkt.offset = conn->local_isn + (uint32_t)plan.off;
	pkt.data_len = (uint16_t)plan.len;
	pkt.data = plan.len ? conn->snd.buf + (plan.off % conn->snd.size) : NULL;
	n = reserve_record(conn, &pkt);
	if (n != 1)
		return n;
	n = rdt_pkt_encode(dest, cap, &pkt);
	if (n < 0)
		return n;
	on_data_sent(conn, &plan, pkt.flags, (size_t)n, now);
	if (conn->observer)
		rdt_conn_observe_pkt(conn, RDT_CONN_EV_SENT, &pkt, (size_t)n,
				     now);
	return n;
}

static rdt_ssize write_clear(struct rdt_conn *conn, uint8_t *dest, size_t cap,
			     rdt_tstamp now)
{
	rdt_ssize n;

	switch (conn->state) {
	case RDT_CONN_CLOSED:
		return conn->reset_pending ?
			       write_reset(conn, dest, cap, now) : 0;
	case RDT_CONN_SYN_SENT:
	case RDT_CONN_SYN_RCVD:
		if (!conn->hs_due)
			return 0;
		if (cap < RDT_PKT_INIT_MIN_SIZE)
			return RDT_ERR_NOBUF;
		return write_handshake(conn, dest, cap, now);
	default:
		n = write_data(conn, dest, cap, now);
		if (n > 0)
			rdt_conn_after_event(conn, now);
		return n;
	}
}

/*
 * Encrypted mode: the datagram is built as in clear, |cap| less the tag,
 * and sealed in place.  Every writer numbers its datagram next_pn, so
 * the number it took is the one before the call's end.
 */
static rdt_ssize write_sealed(struct rdt_conn *conn, uint8_t *dest,
			      size_t cap, rdt_tstamp now)
{
	struct rdt_seal_nonce nonce;
	rdt_pktnum pn = conn->next_pn;
	/* Only the handshake's states write INITs and ACCEPTs, which in
	 * the public-key handshake carry an ephemeral key too. */
	int handshake = conn->state == RDT_CONN_SYN_SENT ||
			conn->state == RDT_CONN_SYN_RCVD;
	size_t room = handshake && conn->cfg.use_pk ? RDT_SEAL_PK_OVERHEAD :
						      RDT_SEAL_TAG_SIZE;
	rdt_ssize n;

	n = write_clear(conn, dest, cap - room, now);
	if (n <= 0)
		return n;
	if (dest[1] == RDT_PKT_INIT || dest[1] == RDT_PKT_ACCEPT) {
		nonce.cid = conn->local_cid;
		nonce.pn = (uint32_t)pn;
		nonce.handshake = 1;
		return (rdt_ssize)rdt_seal(dest, (size_t)n, conn->hs_tx_key,
					   &nonce,
					   conn->cfg.use_pk ? conn->eph_public :
							      NULL);
	}
	/* A client has no session keys before its ACCEPT, and sends
	 * nothing but INITs before it either. */
	if (!conn->session_keys)
		return RDT_ERR_STATE;
	nonce.cid = 0;
	nonce.pn = pn;
	nonce.handshake = 0;
	return (rdt_ssize)rdt_seal(dest, (size_t)n, conn->tx_key, &nonce,
				   NULL);
}

rdt_ssize rdt_conn_write_pkt(struct rdt_conn *conn, uint8_t *dest,
			     size_t destlen, rdt_tstamp now)
{
	size_t cap;

	if (conn == NULL || dest == NULL)
		return RDT_ERR_INVALID;
	if (destlen < RDT_PKT_MIN_DGRAM)
		return RDT_ERR_NOBUF;
	cap = destlen < conn->max_dgram ? destlen : conn->max_dgram;
	if (conn_sealed(conn))
		return write_sealed(conn, dest, cap, now);
	return write_clear(conn, dest, cap, now);
}
