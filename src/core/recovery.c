/*
 * recovery.c: the sender's side of loss recovery (RFC 9002).
 *
 *   rdt_conn_on_ack          an ACK frame: packets newly acknowledged, RTT
 *                            sample, cumulative point, then loss detection
 *                            and the delivery-rate sample for the
 *                            congestion controller
 *   rdt_conn_detect_lost     packet and time thresholds, both raised when
 *                            reordering proves them short (RFC 8985 7.2)
 *   rdt_conn_declare_lost    one packet lost: its bytes and FIN queued for
 *                            resending, the controller told
 *
 * Timers (PTO, RTO) live in conn_timer.c and call in here.
 */
#include "conn_int.h"
#include "err.h"
#include "seq.h"
#include "../wire/pkt.h"

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
int rdt_conn_on_ack(struct rdt_conn *conn, const struct rdt_pkt_ack *ack,
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
			   enum rdt_conn_loss_trigger trigger, rdt_tstamp now)
{
	uint64_t before = conn->cc.congestion_events;
	/* A timeout's losses are the controller's on_rto, not one
	 * congestion event each. */
	int congestion = trigger != RDT_CONN_LOSS_PTO;

	rec->flags |= RDT_SENT_LOST;
	conn->stats.pkts_lost++;
	if (conn->observer)
		rdt_conn_observe_lost(conn, rec, trigger, now);
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
		if (conn->largest_acked - rec->pn >= conn->pkt_threshold)
			rdt_conn_declare_lost(conn, rec,
					      RDT_CONN_LOSS_REORDERING, now);
		else if (rec->sent_time + loss_delay <= now)
			rdt_conn_declare_lost(conn, rec, RDT_CONN_LOSS_TIME,
					      now);
		else if (rec->sent_time + loss_delay < conn->loss_time)
			conn->loss_time = rec->sent_time + loss_delay;
	}
}
