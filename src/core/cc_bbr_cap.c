/*
 * cc_bbr_cap.c: BBR's loss response 2 (cc_bbr.c's overview says what it
 * does and why): when a round ends, decide whether its loss was
 * congestive, from the round's mean and smallest RTT against the
 * typical and min RTT, and cap the flight or lift the cap.
 */
#include <stdint.h>

#include "cc_bbr.h"

/* Loss above 2% of a round's data may be congestion (BBRLossThresh). */
#define BBR_LOSS_THRESH_PERCENT 2
/* In STARTUP it must also be at least eight datagrams (Linux BBR v2's
 * bbr_full_loss_cnt): early rounds are a few dozen datagrams, where one
 * reordered datagram taken for lost is already 2%, and ending STARTUP
 * early costs many round trips of PROBE_BW's slow growth. */
#define BBR_STARTUP_LOSS_EVENTS 8
/* An RTT counts as raised by a queue when it exceeds the minimum by an
 * eighth of it and by three mean deviations (rttvar): jitter alone
 * raises RTTs, even a round's smallest, without any queue. */
#define BBR_JITTER_MULT 3
/*
 * A queue stands if even the smallest RTT of this many rounds in a row
 * shows it.  Jitter through a FIFO link (netem, rdt-impair) lifts a few
 * rounds' smallest RTT in a row too, and with random loss each such run
 * cut the cap: at 3 rounds the wifi-lossy twin got 0.758 of its link, at
 * 5 0.817 (20 seeds), and 7 paired runs through rdt-impair a median of
 * 0.58 against 0.66.  A late flow, which converges through the cuts a
 * standing queue brings, reached its share in 8 s instead of 6 (7 rounds:
 * 11 s, past issue 9's 10; 7 s once the lift below kept to two).
 */
#define BBR_STANDING_ROUNDS 5
/* The flight cap after congestive loss: 70% of that round's largest
 * flight (the draft's BBRBeta). */
#define BBR_BETA_PERCENT 70
/*
 * Datagrams a clean round adds to the flight cap while a queue stands.
 * Flows that share a standing queue converge only through the cuts
 * that the queue's overflows bring, and the growth between cuts sets
 * how often those come.  At one datagram per round (Reno's pace) a flow
 * starting next to an established one took 11 s to reach 80% of its
 * share (median of 20 simulated seeds, 100 Mbit/s, 40 ms); at two it
 * takes 6 s, while a CUBIC flow sharing the queue keeps 0.37 of the
 * link (0.41 at one, 0.31 at three; docs/congestion-control.md).
 */
#define BBR_STANDING_PROBE_PKTS 2
/* An overflow loses more than this many times the path's own loss. */
#define BBR_RANDOM_LOSS_MULT 3
/* A round's mean RTT counts towards the typical RTT only if the round
 * had this many RTT samples. */
#define BBR_MEAN_RTT_SAMPLES 8

/*
 * Loss response 2, evaluated when a round ends: was the round's loss
 * congestive?  Then cap the flight; if not, lift the cap.
 */
/*
 * The smallest mean RTT of a recent round.  On a path with jitter the
 * min RTT is a rare tail (5.5 ms where the mean is 28 ms on the
 * wifi-lossy profile) and a round's largest RTT is far above it without
 * any queue; a round's mean barely moves with jitter, and rises by the
 * whole queue when one overflows.
 */
void rdt_bbr_update_typical_rtt(struct bbr *b,
				const struct rdt_rate_sample *rs,
				rdt_tstamp now)
{
	rdt_tstamp prev;

	/* The sample that ends a round counts in it, as its loss does. */
	if (rs->rtt > 0) {
		b->round_rtt_sum += rs->rtt;
		b->round_rtt_n++;
	}
	if (!b->round_start)
		return;
	prev = b->round_mean_rtt;
	b->round_mean_rtt = b->round_rtt_n > 0 ?
		b->round_rtt_sum / b->round_rtt_n : 0;
	if (prev > 0 && b->round_mean_rtt > 0 &&
	    b->round_rtt_n >= BBR_MEAN_RTT_SAMPLES) {
		rdt_tstamp d = b->round_mean_rtt > prev ?
				       b->round_mean_rtt - prev :
				       prev - b->round_mean_rtt;

		b->round_mean_dev = b->round_mean_dev - b->round_mean_dev / 4 +
				    d / 4;
	}
	/* A mean of few samples is as much a tail as the min RTT (the
	 * first round has one, the handshake's). */
	if (b->round_rtt_n >= BBR_MEAN_RTT_SAMPLES &&
	    (b->typical_rtt == 0 || b->round_mean_rtt <= b->typical_rtt ||
	     now > b->typical_rtt_stamp + BBR_MIN_RTT_WINDOW)) {
		b->typical_rtt = b->round_mean_rtt;
		b->typical_rtt_stamp = now;
	}
	b->round_rtt_sum = 0;
	b->round_rtt_n = 0;
}

void rdt_bbr_check_congestive_loss(struct rdt_cc *cc, struct bbr *b,
				   const struct rdt_rate_sample *rs)
{
	uint64_t lost, delivered, cap, floor, loss_ppm, loss_thresh_ppm;
	rdt_tstamp margin = b->min_rtt / 8, queue_delay, overflow_delay, ref;
	int raised, overflowed, standing;

	if (!b->round_start)
		return;
	/* A queue must stand out from the path's own jitter. */
	if (margin < BBR_JITTER_MULT * rs->rttvar)
		margin = BBR_JITTER_MULT * rs->rttvar;
	queue_delay = b->min_rtt + margin;
	lost = rs->lost_total - b->round_lost_start;
	delivered = rs->delivered_total - b->round_delivered_start;
	/*
	 * The queue overflowed if the round's mean RTT rose above the
	 * recent rounds' by more than jitter moves a mean.  round_mean_dev
	 * already holds this round's own move (a quarter of it), so a
	 * round whose mean jumped by d from its predecessor must exceed
	 * the reference by about 9 times the earlier deviation rather than
	 * 3: deliberately deaf to single rounds, which jitter through a
	 * FIFO link lifts; a queue that overflows keeps lifting them.
	 */
	ref = b->typical_rtt > b->min_rtt ? b->typical_rtt : b->min_rtt;
	overflow_delay = ref + ref / 8;
	if (overflow_delay < ref + 2 * rs->rttvar)
		overflow_delay = ref + 2 * rs->rttvar;
	if (overflow_delay < ref + 3 * b->round_mean_dev)
		overflow_delay = ref + 3 * b->round_mean_dev;
	raised = b->round_mean_rtt > overflow_delay;
	/*
	 * The path's own loss, which no queue causes, is learnt from rounds
	 * whose RTT shows none; an overflow must lose clearly more than
	 * that.  Without this, 2% random loss on a path where PROBE_BW's
	 * 1.25 gain raises a round's RTT (as it should) counted as an
	 * overflow in half of the probing rounds.
	 */
	loss_ppm = lost + delivered > 0 ? lost * 1000000 / (lost + delivered) :
					  0;
	if (!raised && b->filled_pipe)
		b->random_loss_ppm = b->random_loss_ppm -
				     b->random_loss_ppm / 8 + loss_ppm / 8;
	loss_thresh_ppm = BBR_LOSS_THRESH_PERCENT * 10000;
	if (loss_thresh_ppm < BBR_RANDOM_LOSS_MULT * b->random_loss_ppm)
		loss_thresh_ppm = BBR_RANDOM_LOSS_MULT * b->random_loss_ppm;
	overflowed = raised && loss_ppm > loss_thresh_ppm &&
		     (b->filled_pipe ||
		      lost >= BBR_STARTUP_LOSS_EVENTS * (uint64_t)cc->mss);
	/* A standing queue lasts: jitter may lift one round's smallest
	 * RTT, a queue that a loss-based flow keeps full lifts them all. */
	if (b->min_rtt > 0 && b->round_min_rtt != RDT_TSTAMP_NEVER &&
	    b->round_min_rtt > queue_delay)
		b->standing_rounds++;
	else
		b->standing_rounds = 0;
	standing = b->standing_rounds >= BBR_STANDING_ROUNDS;
	if (b->min_rtt > 0 && lost > 0 && (overflowed || standing)) {
		floor = bdp(b, BBR_UNIT);
		cap = b->round_max_in_flight / 100 * BBR_BETA_PERCENT;
		if (cap < floor)
			cap = floor;
		if (cap < min_window(cc))
			cap = min_window(cc);
		if (cap < b->inflight_hi)
			b->inflight_hi = cap;
		b->probe_up = BBR_STANDING_PROBE_PKTS * (uint64_t)cc->mss;
		/* A standing queue alone may be another flow's: a newcomer
		 * keeps starting up until the queue overflows. */
		if (!b->filled_pipe && overflowed)
			rdt_bbr_fill_pipe(cc, b);
		cc->congestion_events++;
	} else if (b->inflight_hi != UINT64_MAX) {
		/* A queue that stands again after clean rounds doubled the
		 * lift brings it back to the standing pace. */
		if (standing &&
		    b->probe_up > BBR_STANDING_PROBE_PKTS * (uint64_t)cc->mss)
			b->probe_up = BBR_STANDING_PROBE_PKTS * (uint64_t)cc->mss;
		b->inflight_hi += b->probe_up;
		if (!standing)
			b->probe_up *= 2;
		if (b->inflight_hi >= bdp(b, BBR_CWND_GAIN))
			b->inflight_hi = UINT64_MAX;
	}
	b->round_lost_start = rs->lost_total;
	b->round_delivered_start = rs->delivered_total;
	b->round_max_in_flight = 0;
	b->round_min_rtt = RDT_TSTAMP_NEVER;
}
