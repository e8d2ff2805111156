/*
 * cc_bbr.c: BBR congestion control, after draft-ietf-ccwg-bbr and the
 * Linux tcp_bbr module (BBR version 1 structure), with two loss responses
 * of our own choosing (below).
 *
 * BBR models the path by two numbers: the bottleneck bandwidth (the
 * largest delivery rate sampled over the last BBR_BW_ROUNDS round trips)
 * and the round-trip propagation time (the smallest RTT of the last
 * BBR_MIN_RTT_WINDOW).  It paces at gain * bandwidth and caps what is in
 * flight at cwnd_gain * bandwidth * min RTT.  Loss as such is no signal:
 * random loss does not lower the sending rate.
 *
 * The modes, in the order a connection meets them:
 *   STARTUP    pacing gain 2/ln 2, which doubles the delivery rate each
 *              round, until three rounds bring less than 25% more
 *              bandwidth (the pipe is full);
 *   DRAIN      the inverse gain, until the queue STARTUP built is gone
 *              (in flight <= one BDP);
 *   PROBE_BW   a cycle of eight phases of about one min RTT each: 1.25
 *              (probe for more bandwidth), 0.75 (drain what that
 *              queued), then six at 1.0;
 *   PROBE_RTT  when no RTT as low as the min RTT was seen for 5 s (the
 *              draft's ProbeRTTInterval; v1 waited 10 s): half a BDP in
 *              flight for 200 ms and one round, so the queue empties and
 *              the true propagation delay shows.  Flows sharing a queue
 *              drain it together, which is also what lets a late flow
 *              take its share quickly.
 *
 * Loss responses (what we chose beyond BBR v1 and why):
 *   1. A retransmission timeout collapses cwnd to the minimum window;
 *      cwnd then grows by what each ACK delivers back up to its target.
 *      An RTO means the model no longer matches the path (a blackout, a
 *      route change), and sending a full BDP into it would be blind.
 *      on_spurious undoes it, as for NewReno.
 *   2. Congestive loss bounds the flight (cc_bbr_cap.c), in the manner
 *      of BBR v2's inflight_hi.  A round trip is congestive if it lost
 *      data while a queue stood: either more than BBR_LOSS_THRESH of its data
 *      (and in STARTUP at least eight datagrams) with the round's mean
 *      RTT raised above the smallest recent round mean (of rounds with
 *      eight RTT samples or more) by an eighth of it, by two mean
 *      deviations of RTT and by three of the round means themselves (a
 *      queue overflowed: jitter moves a round's largest RTT far, its
 *      mean little) and a loss rate also above three times the path's
 *      own (learnt from rounds without a raised RTT), or any loss after five
 *      rounds in a row in which even the smallest RTT was raised that
 *      much (a standing queue, which a loss-based flow sharing the
 *      bottleneck or a bloated buffer keeps full).  The mean deviation
 *      keeps a jittery path's RTTs from passing for a queue.
 *      Such a round caps the flight at 70% of the round's largest
 *      flight (BBRBeta), never below one BDP of our own delivery
 *      rate; an overflow also ends STARTUP (a standing queue alone
 *      does not: it may be other flows', and a newcomer must still
 *      grow into its share).  Rounds without congestive loss
 *      lift the cap again: by 2, 4, 8, ... datagrams per round while
 *      no queue stands (a path that freed up is found again quickly),
 *      by two datagrams per round while one does (twice Reno's pace:
 *      a CUBIC or Reno flow sharing the queue keeps a fair part of
 *      it, and BBR flows sharing it converge within seconds); a cap
 *      that reaches twice the BDP is dropped.  Random loss on a path
 *      without a queue meets neither condition and leaves the rate
 *      alone.
 *   BBR v1's packet conservation during fast recovery is left out: it
 *   holds the window to what was delivered for a round after every loss
 *   and so costs throughput on randomly lossy paths, which is exactly
 *   what BBR is here for.
 *
 * Units: bandwidth in bytes per second, gains in 1/256 (BBR_UNIT).
 */
#include <stdint.h>
#include <string.h>

#include "cc_bbr.h"
#include "pacer.h"

/* PROBE_BW's gain cycle (BBRPacingGainCycle / Linux bbr_pacing_gain). */
#define BBR_CYCLE_LEN 8
static const uint32_t pacing_gain_cycle[BBR_CYCLE_LEN] = {
	BBR_UNIT * 5 / 4, BBR_UNIT * 3 / 4, BBR_UNIT, BBR_UNIT,
	BBR_UNIT, BBR_UNIT, BBR_UNIT, BBR_UNIT,
};

static void bbr_init(struct rdt_cc *cc, size_t mss, rdt_tstamp now)
{
	struct bbr *b = bbr_of(cc);

	memset(b, 0, sizeof(*b));
	cc->mss = mss;
	/* The initial window of RFC 9002 7.2, as NewReno's. */
	cc->cwnd = 10 * (uint64_t)mss < 14720 ? 10 * (uint64_t)mss : 14720;
	if (cc->cwnd < RDT_CC_MIN_WINDOW(mss))
		cc->cwnd = RDT_CC_MIN_WINDOW(mss);
	cc->ssthresh = UINT64_MAX;
	b->mode = BBR_STARTUP;
	b->pacing_gain = BBR_HIGH_GAIN;
	b->cwnd_gain = BBR_HIGH_GAIN;
	b->min_rtt_stamp = now;
	b->probe_rtt_min_stamp = now;
	b->inflight_hi = UINT64_MAX;
	b->round_min_rtt = RDT_TSTAMP_NEVER;
}

static void update_round(struct bbr *b, const struct rdt_rate_sample *rs)
{
	b->round_start = 0;
	if (rs->prior_delivered >= b->next_round_delivered) {
		b->next_round_delivered = rs->delivered_total;
		b->round_count++;
		b->round_start = 1;
	}
}

static void update_bw(struct bbr *b, const struct rdt_rate_sample *rs)
{
	uint64_t bw, *slot = &b->bw_slot[b->round_count % BBR_BW_ROUNDS];
	unsigned i;

	if (b->round_start)
		*slot = 0;	/* that round fell out of the window */
	if (rs->interval > 0) {
		bw = rs->delivered * RDT_S / rs->interval;
		/* An app-limited sample only counts if it beats the model:
		 * it can underestimate the path, never overestimate it. */
		if ((!rs->is_app_limited || bw >= b->max_bw) && bw > *slot)
			*slot = bw;
	}
	b->max_bw = 0;
	for (i = 0; i < BBR_BW_ROUNDS; i++)
		if (b->bw_slot[i] > b->max_bw)
			b->max_bw = b->bw_slot[i];
}

static void enter_probe_bw(struct bbr *b, const struct rdt_rate_sample *rs,
			   rdt_tstamp now)
{
	b->mode = BBR_PROBE_BW;
	b->cwnd_gain = BBR_CWND_GAIN;
	/*
	 * Start anywhere but in the draining phase, varied by what has been
	 * delivered so that flows sharing a link probe at different times
	 * (Linux draws it at random; the core has no random source here).
	 */
	b->cycle_index = (unsigned)(2 + rs->delivered_total / 1024 %
				    (BBR_CYCLE_LEN - 1)) % BBR_CYCLE_LEN;
	b->cycle_stamp = now;
	b->pacing_gain = pacing_gain_cycle[b->cycle_index];
}

static void advance_cycle(struct bbr *b, const struct rdt_rate_sample *rs,
			  rdt_tstamp now)
{
	int full_length = now - b->cycle_stamp > b->min_rtt;
	int next;

	if (b->pacing_gain == BBR_UNIT)
		next = full_length;
	else if (b->pacing_gain > BBR_UNIT)
		/* Probe until the flight reached the probe's target, or
		 * loss says there is no more room. */
		next = full_length && (rs->lost > 0 ||
				       rs->prior_in_flight >=
					       bdp(b, b->pacing_gain));
	else
		/* Drain until the queue the probe built is gone. */
		next = full_length || rs->prior_in_flight <= bdp(b, BBR_UNIT);
	if (!next)
		return;
	b->cycle_index = (b->cycle_index + 1) % BBR_CYCLE_LEN;
	b->cycle_stamp = now;
	b->pacing_gain = pacing_gain_cycle[b->cycle_index];
}

void rdt_bbr_fill_pipe(struct rdt_cc *cc, struct bbr *b)
{
	b->filled_pipe = 1;
	/* For RDT_INFO and tools that watch ssthresh to see slow start
	 * end: the window BBR aims at from now on. */
	cc->ssthresh = bdp(b, BBR_CWND_GAIN);
	if (cc->ssthresh == 0)
		cc->ssthresh = cc->cwnd;
}

static void check_full_pipe(struct rdt_cc *cc, struct bbr *b,
			    const struct rdt_rate_sample *rs)
{
	if (b->filled_pipe || !b->round_start || rs->is_app_limited)
		return;
	if (b->max_bw >= b->full_bw / BBR_UNIT * BBR_FULL_BW_GROWTH +
				 b->full_bw % BBR_UNIT * BBR_FULL_BW_GROWTH /
					 BBR_UNIT) {
		b->full_bw = b->max_bw;
		b->full_bw_count = 0;
		return;
	}
	if (++b->full_bw_count >= BBR_FULL_BW_ROUNDS)
		rdt_bbr_fill_pipe(cc, b);
}

static void check_drain(struct bbr *b, const struct rdt_rate_sample *rs,
			rdt_tstamp now)
{
	if (b->mode == BBR_STARTUP && b->filled_pipe) {
		b->mode = BBR_DRAIN;
		b->pacing_gain = BBR_DRAIN_GAIN;
		b->cwnd_gain = BBR_HIGH_GAIN;
	}
	if (b->mode == BBR_DRAIN && rs->in_flight <= bdp(b, BBR_UNIT))
		enter_probe_bw(b, rs, now);
}

/* PROBE_RTT's window: half a BDP, never below the minimum window. */
static uint64_t probe_rtt_cwnd(const struct rdt_cc *cc, const struct bbr *b)
{
	uint64_t w = bdp(b, BBR_PROBE_RTT_CWND_GAIN);

	return w > min_window(cc) ? w : min_window(cc);
}

static void update_min_rtt(struct rdt_cc *cc, struct bbr *b,
			   const struct rdt_rate_sample *rs, rdt_tstamp now)
{
	int probe_due = now > b->probe_rtt_min_stamp + BBR_PROBE_RTT_INTERVAL;

	if (rs->rtt > 0 && (b->probe_rtt_min_delay == 0 ||
			    rs->rtt <= b->probe_rtt_min_delay || probe_due)) {
		b->probe_rtt_min_delay = rs->rtt;
		b->probe_rtt_min_stamp = now;
	}
	/* The model's min RTT: the probe's minimum, if lower or if the
	 * model's is older than its window. */
	if (b->probe_rtt_min_delay > 0 &&
	    (b->min_rtt == 0 || b->probe_rtt_min_delay < b->min_rtt ||
	     now > b->min_rtt_stamp + BBR_MIN_RTT_WINDOW)) {
		b->min_rtt = b->probe_rtt_min_delay;
		b->min_rtt_stamp = b->probe_rtt_min_stamp;
	}
	if (probe_due && b->mode != BBR_PROBE_RTT) {
		b->mode = BBR_PROBE_RTT;
		b->pacing_gain = BBR_UNIT;
		b->cwnd_gain = BBR_UNIT;
		b->prior_cwnd = cc->cwnd;
		b->probe_rtt_done = 0;
	}
	if (b->mode != BBR_PROBE_RTT)
		return;
	if (b->probe_rtt_done == 0 && rs->in_flight <= probe_rtt_cwnd(cc, b)) {
		/* The flight is down: hold it there for the probe's time
		 * and at least one round trip. */
		b->probe_rtt_done = now + BBR_PROBE_RTT_TIME;
		b->probe_rtt_round_done = 0;
		b->next_round_delivered = rs->delivered_total;
	} else if (b->probe_rtt_done != 0) {
		if (b->round_start)
			b->probe_rtt_round_done = 1;
		if (b->probe_rtt_round_done && now > b->probe_rtt_done) {
			b->probe_rtt_min_stamp = now;
			if (cc->cwnd < b->prior_cwnd)
				cc->cwnd = b->prior_cwnd;
			if (b->filled_pipe) {
				enter_probe_bw(b, rs, now);
			} else {
				b->mode = BBR_STARTUP;
				b->pacing_gain = BBR_HIGH_GAIN;
				b->cwnd_gain = BBR_HIGH_GAIN;
			}
		}
	}
}

static void set_pacing_rate(struct rdt_cc *cc, const struct bbr *b,
			    const struct rdt_rate_sample *rs)
{
	uint64_t rate;

	if (b->max_bw == 0) {
		/* No bandwidth sample yet: the initial window per RTT at
		 * STARTUP's gain, as draft 4.6.2 BBRInitPacingRate. */
		if (rs->srtt == 0)
			return;
		rate = cc->cwnd * RDT_S / rs->srtt;
	} else {
		rate = b->max_bw;
	}
	rate = rate / BBR_UNIT * b->pacing_gain +
	       rate % BBR_UNIT * b->pacing_gain / BBR_UNIT;
	rate = rate / 100 * (100 - BBR_PACING_MARGIN_PERCENT);
	/* Before the pipe is full a lower estimate is noise, not news. */
	if (b->filled_pipe || rate > cc->pacing_rate)
		cc->pacing_rate = rate;
}

static void set_cwnd(struct rdt_cc *cc, const struct bbr *b,
		     const struct rdt_rate_sample *rs)
{
	/* The round trip the window must cover: with jitter, the typical
	 * one, not the min (see rdt_bbr_update_typical_rtt). */
	rdt_tstamp rtt = b->typical_rtt > b->min_rtt ? b->typical_rtt :
						       b->min_rtt;
	uint64_t target = bdp_at(b, rtt, b->cwnd_gain);

	if (target == 0) {
		/* No model yet: grow as slow start does. */
		cc->cwnd += rs->acked;
	} else {
		/*
		 * Room for the bursts the pacer and ACK decimation make
		 * (Linux adds three TSO bursts for the same reason).
		 */
		target += 3 * rdt_pacer_quantum(cc->pacing_rate, cc->mss);
		if (b->filled_pipe) {
			cc->cwnd = cc->cwnd + rs->acked < target ?
					   cc->cwnd + rs->acked :
					   target;
		} else if (cc->cwnd < target) {
			cc->cwnd += rs->acked;
		}
	}
	if (cc->cwnd > b->inflight_hi)
		cc->cwnd = b->inflight_hi;
	if (cc->cwnd < min_window(cc))
		cc->cwnd = min_window(cc);
	if (b->mode == BBR_PROBE_RTT && cc->cwnd > probe_rtt_cwnd(cc, b))
		cc->cwnd = probe_rtt_cwnd(cc, b);
}

static void bbr_on_ack_sample(struct rdt_cc *cc,
			      const struct rdt_rate_sample *rs,
			      rdt_tstamp now)
{
	struct bbr *b = bbr_of(cc);

	if (rs->prior_in_flight > b->round_max_in_flight)
		b->round_max_in_flight = rs->prior_in_flight;
	if (rs->rtt > 0 && rs->rtt < b->round_min_rtt)
		b->round_min_rtt = rs->rtt;
	update_round(b, rs);
	rdt_bbr_update_typical_rtt(b, rs, now);
	update_bw(b, rs);
	if (b->mode == BBR_PROBE_BW)
		advance_cycle(b, rs, now);
	check_full_pipe(cc, b, rs);
	rdt_bbr_check_congestive_loss(cc, b, rs);
	check_drain(b, rs, now);
	update_min_rtt(cc, b, rs, now);
	set_pacing_rate(cc, b, rs);
	set_cwnd(cc, b, rs);
}

/* Per-packet hooks: BBR reads the per-ACK sample instead. */
static void bbr_on_ack(struct rdt_cc *cc, uint64_t acked,
		       rdt_tstamp sent_time, int app_limited, rdt_tstamp now)
{
	(void)cc;
	(void)acked;
	(void)sent_time;
	(void)app_limited;
	(void)now;
}

static void bbr_on_congestion(struct rdt_cc *cc, rdt_tstamp sent_time,
			      rdt_tstamp now)
{
	/* A single loss is no signal; loss response 2 looks at whole
	 * rounds, in on_ack_sample. */
	(void)cc;
	(void)sent_time;
	(void)now;
}

static void bbr_on_rto(struct rdt_cc *cc, rdt_tstamp now)
{
	struct bbr *b = bbr_of(cc);

	(void)now;
	/* Loss response 1. */
	b->rto_prior_cwnd = cc->cwnd;
	cc->prior_cwnd = cc->cwnd;
	cc->cwnd = min_window(cc);
	cc->congestion_events++;
}

static void bbr_on_spurious(struct rdt_cc *cc, rdt_tstamp now)
{
	struct bbr *b = bbr_of(cc);

	(void)now;
	if (b->rto_prior_cwnd > cc->cwnd)
		cc->cwnd = b->rto_prior_cwnd;
	b->rto_prior_cwnd = 0;
}

static const char *bbr_state_name(const struct rdt_cc *cc)
{
	static const char *const names[] = {
		"startup", "drain", "probe_bw", "probe_rtt",
	};

	return names[bbr_of_const(cc)->mode];
}

const struct rdt_cc_ops rdt_cc_bbr = {
	.name = "bbr",
	.init = bbr_init,
	.on_ack = bbr_on_ack,
	.on_congestion = bbr_on_congestion,
	.on_rto = bbr_on_rto,
	.on_spurious = bbr_on_spurious,
	.on_ack_sample = bbr_on_ack_sample,
	.state_name = bbr_state_name,
	.sets_pacing_rate = 1,
};
