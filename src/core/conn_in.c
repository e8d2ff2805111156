/*
 * conn_in.c: what a connection does with a datagram it receives.
 *
 *   rdt_conn_recv_pkt      decode (CRC first), check the connection ID,
 *                          dispatch by type; every drop is counted
 *   on_accept / on_reset   handshake completion and abort
 *   on_data                packet number bookkeeping, then
 *     on_ack               acknowledged packets, RTT sample, cumulative
 *                          point, then rdt_conn_detect_lost
 *     on_stream            reassembly into the receive ring, FIN
 *   rdt_conn_detect_lost       RFC 9002 6.1: packet and time thresholds,
 *                          both raised when reordering proves them short
 *
 * Order of calls for one DATA datagram: on_data -> on_ack -> on_stream ->
 * ACK scheduling.  Nothing here sends; conn_out.c picks up the flags.
 */
#include "conn_int.h"
#include "err.h"
#include "seq.h"
#include "../wire/pkt.h"

static void schedule_ack(struct rdt_conn *conn, rdt_tstamp now)
{
	conn->ack_eliciting_unacked++;
	if (conn->ack_eliciting_unacked >= CONN_ACK_EVERY)
		conn->ack_now = 1;
	else if (conn->ack_deadline == RDT_TSTAMP_NEVER)
		conn->ack_deadline = now + conn->cfg.max_ack_delay;
}

/* Has |pn| been received already (or is it too old to tell)? */
static int pn_seen(const struct rdt_conn *conn, rdt_pktnum pn)
{
	if (!conn->have_rcv_pn)
		return 0;
	if (rdt_ranges_contains(&conn->rcv_pns, pn, pn + 1))
		return 1;
	return conn->rcv_pns.n == CONN_MAX_RCV_PN_RANGES &&
	       pn < conn->rcv_pns.v[0].start;
}

/*
 * Note a packet as received: it will be acknowledged.  Called only once
 * everything it carried was taken, since acknowledging a packet tells the
 * sender its bytes need no resending.
 */
static void record_pn(struct rdt_conn *conn, rdt_pktnum pn, rdt_tstamp now)
{
	if (rdt_ranges_add(&conn->rcv_pns, pn, pn + 1) == RDT_ERR_NOBUF) {
		rdt_ranges_drop_lowest(&conn->rcv_pns);
		(void)rdt_ranges_add(&conn->rcv_pns, pn, pn + 1);
	}
	/* The ACK delay is measured from the arrival of the largest number
	 * the ACK names, so only a recorded packet may move it. */
	if (conn->rcv_pns.n > 0 &&
	    conn->rcv_pns.v[conn->rcv_pns.n - 1].end == pn + 1)
		conn->largest_rcv_time = now;
}

/*
 * Reordering and gaps in packet numbers call for an immediate ACK, but
 * only when the packet itself asks for one (|eliciting|, RFC 9000
 * 13.2.1): a pure ACK that arrives out of order or after a lost one
 * must not be answered, or two peers whose ACKs a jittery path reorders
 * answer each other's ACKs for ever (found on a +-5 ms jitter path,
 * where 93% of a sender's datagrams had become such ACKs).
 */
static void track_largest(struct rdt_conn *conn, rdt_pktnum pn,
			  int eliciting)
{
	if (!conn->have_rcv_pn || pn > conn->largest_rcv_pn) {
		/* A jump means something before it is missing: tell the
		 * sender at once so its loss detection starts early. */
		if (conn->have_rcv_pn && pn > conn->largest_rcv_pn + 1 &&
		    eliciting)
			conn->ack_now = 1;
		conn->have_rcv_pn = 1;
		conn->largest_rcv_pn = pn;
	} else {
		conn->stats.pkts_reordered++;
		if (eliciting)
			conn->ack_now = 1;
	}
}

static void update_peer_edge(struct rdt_conn *conn, uint32_t wire_edge)
{
	uint64_t edge = rdt_seq32_expand(conn->snd_una,
					 wire_edge - conn->local_isn);

	/* The window only grows; an older, smaller edge is ignored, and one
	 * absurdly far ahead is not trusted. */
	if (edge > conn->peer_edge && edge <= conn->snd_una + CONN_MAX_BUF)
		conn->peer_edge = edge;
}

static void on_packet_acked(struct rdt_conn *conn, struct rdt_sent_pkt *rec,
			    rdt_tstamp now)
{
	if (rec->flags & RDT_SENT_LOST) {
		/* It arrived after all: the loss was reordering.  Tolerate
		 * as much reordering from now on (RFC 8985 7.2's spirit). */
		uint64_t distance = conn->largest_acked - rec->pn + 1;

		conn->stats.pkts_spurious_lost++;
		/* Its bytes did arrive: count them as delivered. */
		if (rec->flags & RDT_SENT_IN_FLIGHT)
			rdt_rate_on_acked(&conn->rate, rec, now);
		if (distance > conn->pkt_threshold)
			conn->pkt_threshold = distance > CONN_PKT_THRESHOLD_MAX ?
						      CONN_PKT_THRESHOLD_MAX :
						      (unsigned)distance;
		if (conn->reo_shift < CONN_REO_SHIFT_MAX)
			conn->reo_shift++;
		if (conn->have_recovery_trigger &&
		    rec->pn == conn->recovery_trigger_pn) {
			conn->have_recovery_trigger = 0;
			if (conn->cc.ops->on_spurious)
				conn->cc.ops->on_spurious(&conn->cc, now);
		}
	} else if (rec->flags & RDT_SENT_IN_FLIGHT) {
		conn->bytes_in_flight -= rec->size;
		rdt_rate_on_acked(&conn->rate, rec, now);
		conn->cc.ops->on_ack(&conn->cc, rec->size, rec->sent_time,
				     !!(rec->flags & RDT_SENT_APP_LIMITED),
				     now);
	}
	rec->flags |= RDT_SENT_ACKED;
	if (rec->len > 0 && rec->off + rec->len > conn->snd_una) {
		uint64_t start = rec->off > conn->snd_una ? rec->off :
							     conn->snd_una;

		/* A full SACK table only costs needless resends. */
		(void)rdt_ranges_add(&conn->sacked, start, rec->off + rec->len);
		(void)rdt_ranges_remove(&conn->rtx, start, rec->off + rec->len);
	}
	if (rec->flags & RDT_SENT_FIN) {
		conn->fin_acked = 1;
		conn->fin_rtx = 0;
	}
}

/* Drop records nobody will ask about again: acknowledged ones, and lost
 * ones older than a few RTTs (a later ACK would only have told us about
 * reordering that long). */
static void trim_sent(struct rdt_conn *conn, rdt_tstamp now)
{
	rdt_tstamp horizon = 4 * (conn->rtt.srtt > conn->rtt.latest_rtt ?
					  conn->rtt.srtt :
					  conn->rtt.latest_rtt);

	while (conn->sent.n > 0) {
		struct rdt_sent_pkt *rec = rdt_sent_at(&conn->sent, 0);
		int old = rec->sent_time + horizon < now;

		/* Lost or never in flight (a PING, an ACCEPT): once old, no
		 * acknowledgement of it can matter any more. */
		if (!(rec->flags & RDT_SENT_ACKED) &&
		    !(old && (rec->flags & RDT_SENT_LOST ||
			      !(rec->flags & RDT_SENT_IN_FLIGHT))))
			break;
		rdt_conn_sent_pop_front(conn);
	}
}

static void release_acked(struct rdt_conn *conn, uint64_t cum)
{
	uint64_t data_end = conn->snd_nxt;

	if (cum > data_end) {
		/* Past the last byte only the FIN can be acknowledged. */
		conn->fin_acked = 1;
		conn->fin_rtx = 0;
		cum = data_end;
	}
	if (cum <= conn->snd_una)
		return;
	conn->stats.bytes_acked += cum - conn->snd_una;
	conn->snd_una = cum;
	rdt_ranges_remove_below(&conn->sacked, cum);
	rdt_ranges_remove_below(&conn->rtx, cum);
}

/*
 * Walk the ACK's packet-number ranges, newest first, and mark what they
 * cover.  Returns 1 if anything was newly acknowledged; sets *prtt_from to
 * the send time of |largest| if it was newly acknowledged and
 * ack-eliciting (the only unambiguous RTT sample an ACK gives), and
 * raises *phighest to the highest packet we sent that the ranges cover.
 * Numbers we have not sent match no record, so a range reaching past
 * next_pn acknowledges only what it covers below it.
 */
static int ack_ranges(struct rdt_conn *conn, const struct rdt_pkt_ack *ack,
		      rdt_pktnum largest, rdt_tstamp *prtt_from,
		      rdt_pktnum *phighest, rdt_tstamp now)
{
	rdt_pktnum hi = largest, lo = largest - ack->first_len;
	int newly_acked = 0;
	unsigned i;

	for (i = 0;; i++) {
		size_t k = rdt_sent_lower_bound(&conn->sent, lo);

		for (; k < conn->sent.n; k++) {
			struct rdt_sent_pkt *rec = rdt_sent_at(&conn->sent, k);

			if (rec->pn > hi)
				break;
			if (*phighest == UINT64_MAX || rec->pn > *phighest)
				*phighest = rec->pn;
			if (rec->flags & RDT_SENT_ACKED)
				continue;
			if (rec->pn == largest &&
			    (rec->flags & RDT_SENT_ACK_ELICITING))
				*prtt_from = rec->sent_time;
			on_packet_acked(conn, rec, now);
			newly_acked = 1;
		}
		if (i == ack->nranges)
			break;
		/* Ranges that would reach below our first packet number are
		 * bogus; the ones before them still count. */
		if (lo < conn->first_pn + (uint64_t)ack->ranges[i].gap + 2)
			break;
		hi = lo - ack->ranges[i].gap - 2;
		if (ack->ranges[i].len > hi - conn->first_pn)
			break;
		lo = hi - ack->ranges[i].len;
	}
	return newly_acked;
}

/* An RTT sample without the time the peer held the ACK (within what it
 * promised, and never below the minimum), as RFC 9002 5.3 adjusts srtt:
 * a congestion controller reading queueing delay from it must not see
 * delayed ACKs as a queue. */
static rdt_tstamp path_rtt(const struct rdt_conn *conn, rdt_tstamp sample,
			   rdt_tstamp ack_delay)
{
	if (ack_delay > conn->cfg.max_ack_delay)
		ack_delay = conn->cfg.max_ack_delay;
	if (sample >= conn->rtt.min_rtt + ack_delay)
		return sample - ack_delay;
	return sample > conn->rtt.min_rtt ? conn->rtt.min_rtt : sample;
}

/* Once per ACK, after loss detection: the delivery-rate sample goes to
 * the congestion controller, which then sets cwnd and the pacing rate. */
static void feed_rate_sample(struct rdt_conn *conn, uint64_t prior_in_flight,
			     rdt_tstamp rtt, rdt_tstamp now)
{
	struct rdt_rate_sample rs;
	rdt_tstamp min_rtt = conn->rtt.has_sample ? conn->rtt.min_rtt : 0;

	if (!rdt_rate_sample(&conn->rate, &rs, min_rtt))
		return;
	rs.rtt = rtt;
	rs.min_rtt = min_rtt;
	rs.srtt = conn->rtt.has_sample ? conn->rtt.srtt : 0;
	rs.rttvar = conn->rtt.has_sample ? conn->rtt.rttvar : 0;
	rs.prior_in_flight = prior_in_flight;
	rs.in_flight = conn->bytes_in_flight;
	if (rs.interval > 0)
		conn->delivery_rate = rs.delivered * RDT_S / rs.interval;
	rdt_cc_on_ack_sample(&conn->cc, &rs, now);
}

/*
 * Process an ACK frame.  Returns 1 if it acknowledged anything new (bytes
 * or packets): something only the peer can know, which makes the packet
 * that carried it believable.
 */
static int on_ack(struct rdt_conn *conn, const struct rdt_pkt_ack *ack,
		  rdt_tstamp now)
{
	rdt_pktnum largest = 0, highest = UINT64_MAX;
	rdt_tstamp rtt_from = RDT_TSTAMP_NEVER;
	uint64_t cum, prior_in_flight = conn->bytes_in_flight;
	int newly_acked = 0, ranges_valid, progress;

	if (conn->next_pn > conn->first_pn)
		largest = rdt_seq32_expand(conn->next_pn - 1, ack->largest);
	/*
	 * The peer may have been fed a forged packet number a little ahead
	 * of ours (CONN_PN_UNPROVEN_JUMP) and will name it in its ACKs
	 * until it falls out of its ranges: the ranges are used for what
	 * they say about packets we sent, not thrown away whole, or one
	 * forged number would blind loss detection for as long.
	 */
	ranges_valid = conn->next_pn > conn->first_pn &&
		       largest < conn->next_pn + CONN_PN_UNPROVEN_JUMP &&
		       largest >= conn->first_pn &&
		       ack->first_len <= largest - conn->first_pn;
	cum = rdt_seq32_expand(conn->snd_una, ack->cum - conn->local_isn);
	if (cum > conn->snd_nxt + (conn->fin_sent ? 1 : 0)) {
		conn->stats.drop_invalid_ack++;
		return 0;
	}
	/* An older cumulative point (a reordered ACK) teaches nothing. */
	if (cum < conn->snd_una)
		cum = conn->snd_una;
	/*
	 * Ranges naming packets we never sent are a broken or forged ACK:
	 * ignore them, but keep the cumulative point, which was checked on
	 * its own, so one bad packet number cannot stall the transfer.
	 */
	if (!ranges_valid || largest >= conn->next_pn)
		conn->stats.drop_invalid_ack++;
	if (ranges_valid)
		newly_acked = ack_ranges(conn, ack, largest, &rtt_from,
					 &highest, now);
	/* Loss detection counts back from the largest acknowledged: only a
	 * packet we sent may be it. */
	if (ranges_valid && largest >= conn->next_pn)
		largest = highest;
	if (ranges_valid && largest != UINT64_MAX &&
	    (!conn->have_largest_acked || largest > conn->largest_acked)) {
		conn->have_largest_acked = 1;
		conn->largest_acked = largest;
	}
	if (rtt_from != RDT_TSTAMP_NEVER && now > rtt_from)
		rdt_rtt_update(&conn->rtt, now - rtt_from,
			       (rdt_tstamp)ack->ack_delay_us * RDT_US,
			       conn->cfg.max_ack_delay);
	progress = cum > conn->snd_una || newly_acked;
	if (progress) {
		conn->last_progress = now;
		conn->pto_count = 0;
		conn->ping_outstanding = 0;
		conn->ping_backoff = 0;
	}
	release_acked(conn, cum);
	rdt_conn_detect_lost(conn, now);
	trim_sent(conn, now);
	feed_rate_sample(conn, prior_in_flight,
			 rtt_from != RDT_TSTAMP_NEVER && now > rtt_from ?
				 path_rtt(conn, now - rtt_from,
					  (rdt_tstamp)ack->ack_delay_us *
						  RDT_US) :
				 0,
			 now);
	return progress;
}

void rdt_conn_declare_lost(struct rdt_conn *conn, struct rdt_sent_pkt *rec,
		       int congestion, rdt_tstamp now)
{
	uint64_t before = conn->cc.congestion_events;

	rec->flags |= RDT_SENT_LOST;
	conn->stats.pkts_lost++;
	if (rec->flags & RDT_SENT_IN_FLIGHT) {
		conn->bytes_in_flight -= rec->size;
		rdt_rate_on_lost(&conn->rate, rec->size);
	}
	if (rec->len > 0)
		rdt_conn_queue_rtx(conn, rec->off, rec->len);
	if ((rec->flags & RDT_SENT_FIN) && !conn->fin_acked)
		conn->fin_rtx = 1;
	if (congestion && (rec->flags & RDT_SENT_IN_FLIGHT)) {
		conn->cc.ops->on_congestion(&conn->cc, rec->sent_time, now);
		if (conn->cc.congestion_events != before) {
			conn->have_recovery_trigger = 1;
			conn->recovery_trigger_pn = rec->pn;
			/* RFC 9002 7.3.2: one datagram may leave before the
			 * reduction bites, so the hole is filled an RTT
			 * sooner; it carries the lost bytes first. */
			conn->probes_pending = 1;
		}
	}
}

void rdt_conn_detect_lost(struct rdt_conn *conn, rdt_tstamp now)
{
	rdt_tstamp rtt, loss_delay;
	size_t k;

	conn->loss_time = RDT_TSTAMP_NEVER;
	if (!conn->have_largest_acked)
		return;
	rtt = conn->rtt.srtt > conn->rtt.latest_rtt ? conn->rtt.srtt :
						      conn->rtt.latest_rtt;
	loss_delay = rtt + (rtt << conn->reo_shift) / 8;
	if (loss_delay < RDT_RTT_GRANULARITY)
		loss_delay = RDT_RTT_GRANULARITY;
	/* Records before loss_scan_from are all acknowledged or lost for
	 * good, so each ACK looks only at what can still change. */
	while (conn->loss_scan_from < conn->sent.n &&
	       rdt_sent_at(&conn->sent, conn->loss_scan_from)->flags &
		       (RDT_SENT_ACKED | RDT_SENT_LOST))
		conn->loss_scan_from++;
	for (k = conn->loss_scan_from; k < conn->sent.n; k++) {
		struct rdt_sent_pkt *rec = rdt_sent_at(&conn->sent, k);

		if (rec->pn >= conn->largest_acked)
			break;
		if (rec->flags & (RDT_SENT_ACKED | RDT_SENT_LOST) ||
		    !(rec->flags & RDT_SENT_IN_FLIGHT))
			continue;
		if (conn->largest_acked - rec->pn >= conn->pkt_threshold ||
		    rec->sent_time + loss_delay <= now)
			rdt_conn_declare_lost(conn, rec, 1, now);
		else if (rec->sent_time + loss_delay < conn->loss_time)
			conn->loss_time = rec->sent_time + loss_delay;
	}
}

/*
 * Place a STREAM section's bytes.  Returns 1 if every byte was taken or
 * was already held, 0 if any was refused (beyond the window, no room to
 * track it, or a FIN not taken): then the packet must not be
 * acknowledged.  Sets *pfresh if the section brought anything new (bytes
 * or the FIN): that is what makes its packet number believable.
 *
 * A FIN is believed only where it closes the in-order stream: at rcv_nxt
 * once the section's own bytes are placed.  A FIN below the in-order
 * point, beyond the window, or unlike an earlier one is a forgery and
 * dropped whole.  A FIN ahead of a hole may be genuine (reordering) but
 * may as well be forged, and once believed it would refuse every genuine
 * byte past it: its bytes are kept, the FIN is not, and the packet is
 * not acknowledged, so the sender sends the FIN again, in order this
 * time.  That costs a round trip only when the FIN itself was reordered.
 */
static int on_stream(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		     int *pfresh)
{
	uint64_t off = rdt_seq32_expand(conn->rcv_nxt,
					pkt->offset - conn->peer_isn);
	uint64_t end = off + pkt->data_len;
	uint64_t limit = rdt_conn_rcv_edge(conn);
	uint64_t start;
	int64_t added;
	int fin = !!(pkt->flags & RDT_PKT_F_FIN), whole = 1;

	if (fin) {
		if (conn->peer_fin_known) {
			if (end != conn->peer_fin_off) {
				conn->stats.drop_forged_fin++;
				return 0;
			}
			/* A repeat of the FIN we hold: handled below. */
			fin = 0;
		} else if (end > limit || end < conn->rcv_nxt) {
			conn->stats.drop_forged_fin++;
			return 0;
		}
	} else if (conn->peer_fin_known && end > conn->peer_fin_off) {
		conn->stats.drop_past_fin++;
		return 0;
	}
	if (pkt->data_len > 0) {
		if (off >= limit) {
			conn->stats.drop_beyond_window++;
			return 0;
		}
		if (end > limit) {
			conn->stats.drop_beyond_window++;
			end = limit;
			whole = 0;
		}
		start = off > conn->rcv_nxt ? off : conn->rcv_nxt;
		if (end <= start) {
			conn->stats.bytes_duplicate += pkt->data_len;
			/* The sender resent what we have: our ACK was lost. */
			conn->ack_now = 1;
		} else {
			added = rdt_ranges_add(&conn->ooo, start, end);
			if (added < 0) {
				conn->stats.drop_reassembly_full++;
				return 0;
			}
			if (added > 0)
				*pfresh = 1;
			rdt_conn_rcvbuf_put(conn, start, pkt->data + (start - off),
					(size_t)(end - start));
			conn->stats.bytes_received += (uint64_t)added;
			/* Bytes before rcv_nxt or already held. */
			conn->stats.bytes_duplicate +=
				(end - off) - (uint64_t)added;
			if (start > conn->rcv_nxt)
				conn->ack_now = 1;
			if (conn->ooo.v[0].start == conn->rcv_nxt) {
				/* A filled hole (more than these bytes moved
				 * rcv_nxt): the sender wants to know at once. */
				if (conn->ooo.v[0].end > end || conn->ooo.n > 1)
					conn->ack_now = 1;
				conn->rcv_nxt = conn->ooo.v[0].end;
				rdt_ranges_drop_lowest(&conn->ooo);
			}
		}
	}
	if (fin) {
		if (whole && conn->rcv_nxt == end) {
			/* Bytes held beyond an in-order FIN cannot both be
			 * genuine, and trusting the bytes would let one
			 * forged segment past the end refuse the true FIN
			 * for ever.  The FIN wins; if it is the forgery, the
			 * stream is a prefix of the truth and the sender's
			 * unacknowledged bytes end the connection in error. */
			if (!rdt_ranges_empty(&conn->ooo)) {
				conn->stats.drop_past_fin++;
				(void)rdt_ranges_remove(&conn->ooo, end,
							UINT64_MAX);
			}
			conn->peer_fin_known = 1;
			conn->peer_fin_off = end;
			*pfresh = 1;
		} else {
			conn->stats.fin_deferred++;
			whole = 0;
		}
		conn->ack_now = 1;
	}
	if (conn->peer_fin_known && !conn->peer_fin_rcvd &&
	    conn->rcv_nxt == conn->peer_fin_off) {
		conn->rcv_nxt++;
		conn->peer_fin_rcvd = 1;
		conn->ack_now = 1;
	}
	return whole;
}

/* Farther from the largest received than this a packet number is not
 * believed at all: an honest peer cannot lose a million datagrams in a
 * row and still be talking, nor deliver one that late.  Also what keeps
 * a blind forger's chance of a usable number near 2^21 / 2^32. */
#define CONN_MAX_PN_JUMP ((uint64_t)1 << 20)

/*
 * Could the peer have sent this DATA datagram?  Every one carries the
 * window edge it advertises, its read position plus the buffer size it
 * announced in the handshake: that position is somewhere in [0, what we
 * sent], and an ACK's cumulative point no further back than our send
 * buffer reaches.  An off-path forger who knows the connection ID but not
 * the initial numbers fails these as RFC 5961 5.2 makes a blind TCP
 * forger fail its ACK check, and the packet is dropped whole: its bytes
 * are no more believable than the numbers that came with them.
 */
static int acceptable(struct rdt_conn *conn, const struct rdt_pkt *pkt)
{
	uint64_t sent_end = conn->snd_nxt + (conn->fin_sent ? 1 : 0);
	uint64_t edge = rdt_seq32_expand(conn->snd_una,
					 pkt->window_edge - conn->local_isn);

	if (edge < conn->peer_window0 ||
	    edge - conn->peer_window0 > sent_end) {
		conn->stats.drop_invalid_edge++;
		return 0;
	}
	if (pkt->flags & RDT_PKT_F_ACK) {
		uint64_t cum = rdt_seq32_expand(conn->snd_una,
						pkt->ack.cum - conn->local_isn);

		if (cum > sent_end ||
		    (cum < conn->snd_una && conn->snd_una - cum > conn->sndcap)) {
			conn->stats.drop_invalid_ack++;
			return 0;
		}
		if (conn->next_pn > conn->first_pn &&
		    rdt_seq32_expand(conn->next_pn - 1, pkt->ack.largest) >=
			    conn->next_pn + CONN_PN_UNPROVEN_JUMP) {
			conn->stats.drop_invalid_ack++;
			return 0;
		}
	}
	return 1;
}

/*
 * Packet numbers never outrank stream offsets.  A packet number only
 * says which packet an ACK is about; whether bytes are new is decided by
 * their offsets alone, so a packet whose number was seen before still
 * has its bytes placed (a true duplicate changes nothing; a genuine
 * packet whose number a forgery took first is not thrown away).  A packet
 * is acknowledged only if everything it carried is held.  A packet that
 * brings nothing new cannot move the largest number far (see
 * CONN_PN_UNPROVEN_JUMP), so a forged jump is not acknowledged and does
 * not make the ACKs name packets the sender has not sent.
 */
static void on_data(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		    rdt_tstamp now)
{
	rdt_pktnum pn = conn->have_rcv_pn ?
				rdt_seq32_expand(conn->largest_rcv_pn, pkt->pn) :
				pkt->pn;
	int eliciting = !!(pkt->flags & (RDT_PKT_F_STREAM | RDT_PKT_F_PING));
	int taken = 1, fresh = 0, progress = 0, seen;

	if (conn->have_rcv_pn &&
	    (pn > conn->largest_rcv_pn + CONN_MAX_PN_JUMP ||
	     pn + CONN_MAX_PN_JUMP < conn->largest_rcv_pn)) {
		conn->stats.drop_forged_pn++;
		return;
	}
	if (!acceptable(conn, pkt))
		return;
	seen = pn_seen(conn, pn);
	if (seen)
		conn->stats.pkts_duplicate++;
	if (conn->state == RDT_CONN_SYN_RCVD) {
		conn->state = RDT_CONN_ESTABLISHED;
		conn->hs_next = RDT_TSTAMP_NEVER;
		conn->hs_due = 0;
		conn->last_progress = now;
	}
	update_peer_edge(conn, pkt->window_edge);
	if (pkt->flags & RDT_PKT_F_ACK)
		progress = on_ack(conn, &pkt->ack, now);
	/* The ACCEPT did its work whether or not it was acknowledged (its
	 * ACK, just processed, gave the server's first RTT sample); its
	 * record must not pin the tracker's front. */
	while (conn->sent.n > 0 &&
	       (rdt_sent_at(&conn->sent, 0)->flags & RDT_SENT_HANDSHAKE))
		rdt_conn_sent_pop_front(conn);
	if (pkt->flags & RDT_PKT_F_STREAM)
		taken = on_stream(conn, pkt, &fresh);
	if (seen) {
		/* The number was taken before, yet the bytes are new: the
		 * earlier packet with it was not this one (a forgery). */
		if (fresh)
			conn->stats.pn_collisions++;
	} else if (!fresh && !progress &&
		   pn > conn->largest_rcv_pn + CONN_PN_UNPROVEN_JUMP) {
		conn->stats.drop_forged_pn++;
		return;
	} else {
		track_largest(conn, pn, eliciting);
	}
	/* The peer is sending: should it fall silent without a FIN, the
	 * silence probe asks whether it is still there. */
	if (pkt->flags & RDT_PKT_F_STREAM)
		conn->silence_probe_at = conn->peer_fin_rcvd ?
			RDT_TSTAMP_NEVER :
			now + rdt_conn_silence_interval(conn);
	if (!taken)
		conn->ack_now = 1;
	else if (!seen)
		record_pn(conn, pn, now);
	if (pkt->flags & RDT_PKT_F_PING)
		conn->ack_now = 1;
	/* A duplicate FIN or data may mean our ACK was lost. */
	if (seen && eliciting)
		conn->ack_now = 1;
	if (eliciting) {
		if (!seen)
			schedule_ack(conn, now);
		/* The peer still resends: it has not heard our last ACK. */
		rdt_conn_restart_time_wait(conn, now);
	}
}

static void on_accept(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		      rdt_tstamp now)
{
	rdt_pktnum echo;
	size_t k;

	if (conn->state != RDT_CONN_SYN_SENT) {
		/* Our answer to an earlier ACCEPT was lost: answer again. */
		if (rdt_conn_established(conn) && pkt->scid == conn->peer_cid) {
			rdt_pktnum pn = rdt_seq32_expand(conn->largest_rcv_pn,
							 pkt->pn);

			if (!pn_seen(conn, pn)) {
				track_largest(conn, pn, 1);
				record_pn(conn, pn, now);
			}
			conn->ack_now = 1;
		} else {
			conn->stats.drop_state++;
		}
		return;
	}
	echo = rdt_seq32_expand(conn->next_pn - 1, pkt->echo_pn);
	k = rdt_sent_lower_bound(&conn->sent, echo);
	if (k == conn->sent.n || rdt_sent_at(&conn->sent, k)->pn != echo ||
	    pkt->scid == 0) {
		conn->stats.drop_invalid_ack++;
		return;
	}
	/* The echo names the very INIT answered: an unambiguous sample. */
	if (now > rdt_sent_at(&conn->sent, k)->sent_time)
		rdt_rtt_update(&conn->rtt,
			       now - rdt_sent_at(&conn->sent, k)->sent_time, 0,
			       0);
	while (conn->sent.n > 0)
		rdt_conn_sent_pop_front(conn);
	conn->peer_cid = pkt->scid;
	conn->peer_isn = pkt->isn;
	conn->peer_edge = pkt->window;
	conn->peer_window0 = pkt->window;
	if (pkt->max_dgram < conn->max_dgram)
		conn->max_dgram = pkt->max_dgram;
	conn->state = RDT_CONN_ESTABLISHED;
	conn->hs_due = 0;
	conn->hs_next = RDT_TSTAMP_NEVER;
	conn->last_progress = now;
	conn->have_rcv_pn = 1;
	conn->largest_rcv_pn = pkt->pn;
	conn->largest_rcv_time = now;
	record_pn(conn, pkt->pn, now);
	conn->ack_now = 1;
}

static void on_init(struct rdt_conn *conn, const struct rdt_pkt *pkt)
{
	/* A retransmitted INIT: our ACCEPT was lost, send it again now. */
	if (conn->is_server && conn->state == RDT_CONN_SYN_RCVD &&
	    pkt->scid == conn->peer_cid) {
		conn->peer_init_pn = pkt->pn;
		conn->hs_due = 1;
	} else {
		conn->stats.drop_state++;
	}
}

static void on_reset(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		     rdt_tstamp now)
{
	if (conn->state == RDT_CONN_TIME_WAIT) {
		conn->state = RDT_CONN_CLOSED;
		return;
	}
	if (conn->state == RDT_CONN_SYN_SENT &&
	    pkt->reason == RDT_RESET_REFUSED)
		rdt_conn_fail(conn, RDT_ERR_REFUSED, now);
	else
		rdt_conn_fail(conn, RDT_ERR_RESET, now);
	/* Never answer a RESET with a RESET. */
	conn->reset_pending = 0;
}

int rdt_conn_recv_pkt(struct rdt_conn *conn, const uint8_t *dg, size_t len,
		      rdt_tstamp now)
{
	struct rdt_pkt pkt;
	int rv;

	if (conn == NULL || dg == NULL)
		return RDT_ERR_INVALID;
	rv = rdt_pkt_decode(&pkt, dg, len);
	if (rv == RDT_ERR_CHECKSUM) {
		conn->stats.drop_checksum++;
		return 0;
	}
	if (rv == RDT_ERR_VERSION) {
		conn->stats.drop_version++;
		return 0;
	}
	if (rv != 0) {
		conn->stats.drop_malformed++;
		return 0;
	}
	if (conn->state == RDT_CONN_CLOSED) {
		conn->stats.drop_state++;
		return 0;
	}
	if (pkt.type == RDT_PKT_INIT ? pkt.dcid != 0 :
				       pkt.dcid != conn->local_cid) {
		conn->stats.drop_unknown_cid++;
		return 0;
	}
	conn->stats.pkts_received++;
	conn->last_recv = now;
	switch (pkt.type) {
	case RDT_PKT_INIT:
		on_init(conn, &pkt);
		break;
	case RDT_PKT_ACCEPT:
		on_accept(conn, &pkt, now);
		break;
	case RDT_PKT_DATA:
		if (conn->state == RDT_CONN_SYN_SENT)
			conn->stats.drop_state++;
		else
			on_data(conn, &pkt, now);
		break;
	case RDT_PKT_RESET:
		on_reset(conn, &pkt, now);
		break;
	}
	rdt_conn_after_event(conn, now);
	return 0;
}
