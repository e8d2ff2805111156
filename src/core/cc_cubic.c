/*
 * cc_cubic.c: CUBIC congestion control (RFC 9438) with HyStart++ slow
 * start (RFC 9406).
 *
 * What lives here, in the order a connection calls it:
 *   cubic_init           initial window (RFC 9002 7.2), slow start;
 *   cubic_on_ack         per packet: slow start (a quarter as fast in
 *                        HyStart++'s conservative slow start), then the
 *                        cubic window growth of RFC 9438 4.2-4.4;
 *   cubic_on_ack_sample  per ACK: HyStart++ rounds and RTT samples;
 *   cubic_on_congestion  multiplicative decrease by beta 0.7 once per
 *                        recovery period, fast convergence (4.6, 4.7);
 *   cubic_on_rto         collapse to the minimum window (4.8);
 *   cubic_on_spurious    undo (4.9).
 *
 * The window in congestion avoidance is
 *   W_cubic(t) = C * (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)
 * in segments and seconds, where t is the time since the reduction
 * (the epoch) and W_max the window before it; C is 0.4.  Each ACK moves
 * cwnd towards W_cubic one RTT ahead, by at most half a window per RTT.
 * The Reno-friendly estimate W_est grows as Reno with the same average
 * rate would (alpha = 3 (1 - beta) / (1 + beta) segments per RTT), and
 * the window never falls below it (4.3).  Recovery is tracked by time
 * as in cc_newreno.c.
 *
 * Arithmetic is in double: windows in bytes, times in seconds.  The cube
 * root is computed here (Newton's method) so the core needs no libm.
 */
#include <stdint.h>
#include <string.h>

#include "cc.h"

/* RFC 9438 4.5 and 4.6: C = 0.4 segments per second cubed, beta 0.7. */
#define CUBIC_C 0.4
#define CUBIC_BETA 0.7
/* RFC 9438 4.3: alpha of the Reno-friendly region. */
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))
/* RFC 9406 4.3 constants. */
#define HS_MIN_RTT_THRESH (4 * RDT_MS)
#define HS_MAX_RTT_THRESH (16 * RDT_MS)
#define HS_MIN_RTT_DIVISOR 8
#define HS_N_RTT_SAMPLE 8
#define HS_CSS_GROWTH_DIVISOR 4
#define HS_CSS_ROUNDS 5
/* The initial window cap of RFC 9002 7.2. */
#define CUBIC_IW_BYTES 14720

enum hystart_phase { HS_SLOW_START, HS_CSS, HS_DONE };

struct cubic {
	/* RFC 9438 state: the epoch's start (0: none), W_max, K, the
	 * window at the epoch's start and the Reno-friendly estimate. */
	rdt_tstamp epoch_start;
	double w_max;
	double k;
	double cwnd_epoch;
	double w_est;
	/* Window growth in bytes not yet applied (fractions of a byte). */
	double pending;
	/* The same before the last reduction, for undo. */
	double prior_w_max;
	/* Smoothed RTT for the "one RTT ahead" target, seconds. */
	double srtt;
	/* HyStart++ (RFC 9406 4.2). */
	enum hystart_phase phase;
	uint64_t next_round_delivered;
	rdt_tstamp last_round_min_rtt;
	rdt_tstamp current_round_min_rtt;
	unsigned rtt_sample_count;
	rdt_tstamp css_baseline_min_rtt;
	unsigned css_rounds;
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct rdt_cc *)0)->priv),
	       "struct cubic must fit in rdt_cc.priv");

static struct cubic *cubic_of(struct rdt_cc *cc)
{
	return (struct cubic *)(void *)cc->priv;
}

static const struct cubic *cubic_of_const(const struct rdt_cc *cc)
{
	return (const struct cubic *)(const void *)cc->priv;
}

/* Cube root of |x| >= 0 by Newton's method from a power-of-two guess. */
static double cube_root(double x)
{
	double y = 1.0;
	int i;

	if (x <= 0.0)
		return 0.0;
	while (y * y * y < x)
		y *= 2.0;
	for (i = 0; i < 60; i++) {
		double next = y - (y * y * y - x) / (3.0 * y * y);

		if (next >= y)
			break;	/* converged from above */
		y = next;
	}
	return y;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static int in_recovery(const struct rdt_cc *cc, rdt_tstamp sent_time)
{
	return cc->recovery_start != 0 && sent_time <= cc->recovery_start;
}

static void cubic_init(struct rdt_cc *cc, size_t mss, rdt_tstamp now)
{
	struct cubic *c = cubic_of(cc);
	uint64_t iw = max_u64(RDT_CC_MIN_WINDOW(mss), CUBIC_IW_BYTES);

	(void)now;
	memset(c, 0, sizeof(*c));
	cc->mss = mss;
	cc->cwnd = 10 * (uint64_t)mss < iw ? 10 * (uint64_t)mss : iw;
	cc->ssthresh = UINT64_MAX;
	c->phase = HS_SLOW_START;
	c->last_round_min_rtt = RDT_TSTAMP_NEVER;
	c->current_round_min_rtt = RDT_TSTAMP_NEVER;
}

/* Add |bytes| (possibly fractional) of window growth. */
static void grow(struct rdt_cc *cc, struct cubic *c, double bytes)
{
	c->pending += bytes;
	if (c->pending >= 1.0) {
		uint64_t whole = (uint64_t)c->pending;

		cc->cwnd += whole;
		c->pending -= (double)whole;
	}
}

/* RFC 9438 4.2: a new epoch starts with the first ACK after a
 * reduction (or after slow start ends without one). */
static void start_epoch(struct rdt_cc *cc, struct cubic *c, rdt_tstamp now)
{
	double mss = (double)cc->mss, cwnd = (double)cc->cwnd;

	c->epoch_start = now;
	c->cwnd_epoch = cwnd;
	c->w_est = cwnd;
	if (c->w_max < cwnd) {
		/* Slow start ended without loss: the plateau is here. */
		c->w_max = cwnd;
		c->k = 0.0;
	} else {
		c->k = cube_root((c->w_max - cwnd) / mss / CUBIC_C);
	}
}

static void congestion_avoidance(struct rdt_cc *cc, struct cubic *c,
				 uint64_t acked, rdt_tstamp now)
{
	double mss = (double)cc->mss, cwnd = (double)cc->cwnd;
	double t, target, w_cubic;

	if (c->epoch_start == 0)
		start_epoch(cc, c, now);
	/* W_cubic one RTT from now (RFC 9438 4.2). */
	t = (double)(now - c->epoch_start) / 1e9 + c->srtt;
	w_cubic = CUBIC_C * (t - c->k) * (t - c->k) * (t - c->k) * mss +
		  c->w_max;
	/* RFC 9438 4.3: the Reno-friendly window grows by alpha segments
	 * per window acked (cwnd_epoch < W_max, alpha; else 1). */
	c->w_est += (c->w_est < c->w_max ? CUBIC_ALPHA : 1.0) * mss *
		    (double)acked / cwnd;
	if (w_cubic < c->w_est) {
		if (c->w_est > cwnd)
			grow(cc, c, c->w_est - cwnd);
		return;
	}
	/* RFC 9438 4.4: at most half a window per RTT, never shrink. */
	target = w_cubic;
	if (target < cwnd)
		target = cwnd;
	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	grow(cc, c, (target - cwnd) * (double)acked / cwnd);
}

static void cubic_on_ack(struct rdt_cc *cc, uint64_t acked,
			 rdt_tstamp sent_time, int app_limited, rdt_tstamp now)
{
	struct cubic *c = cubic_of(cc);
	uint64_t room;

	if (in_recovery(cc, sent_time) || app_limited)
		return;
	if (cc->cwnd < cc->ssthresh) {
		/* RFC 9406 4.2: a quarter of slow start's growth while
		 * the RTT says the queue has started to build. */
		uint64_t grow_by = c->phase == HS_CSS ?
					   acked / HS_CSS_GROWTH_DIVISOR :
					   acked;

		room = cc->ssthresh - cc->cwnd;
		if (grow_by < room) {
			cc->cwnd += grow_by;
			return;
		}
		cc->cwnd = cc->ssthresh;
		acked = grow_by - room;
	}
	congestion_avoidance(cc, c, acked, now);
}

/* Slow start is over for good: congestion avoidance from this window. */
static void end_slow_start(struct rdt_cc *cc, struct cubic *c)
{
	c->phase = HS_DONE;
	if (cc->ssthresh > cc->cwnd)
		cc->ssthresh = cc->cwnd;
	c->epoch_start = 0;
}

/* RFC 9406 4.2, once per ACK: per-round minimum RTT, and the switches
 * between slow start, conservative slow start and avoidance. */
static void hystart(struct rdt_cc *cc, struct cubic *c,
		    const struct rdt_rate_sample *rs)
{
	rdt_tstamp thresh;

	if (rs->prior_delivered >= c->next_round_delivered) {
		c->next_round_delivered = rs->delivered_total;
		if (c->phase == HS_CSS && ++c->css_rounds >= HS_CSS_ROUNDS) {
			end_slow_start(cc, c);
			return;
		}
		c->last_round_min_rtt = c->current_round_min_rtt;
		c->current_round_min_rtt = RDT_TSTAMP_NEVER;
		c->rtt_sample_count = 0;
	}
	if (rs->rtt == 0)
		return;
	if (rs->rtt < c->current_round_min_rtt)
		c->current_round_min_rtt = rs->rtt;
	c->rtt_sample_count++;
	if (c->rtt_sample_count < HS_N_RTT_SAMPLE ||
	    c->current_round_min_rtt == RDT_TSTAMP_NEVER ||
	    c->last_round_min_rtt == RDT_TSTAMP_NEVER)
		return;
	if (c->phase == HS_SLOW_START) {
		thresh = c->last_round_min_rtt / HS_MIN_RTT_DIVISOR;
		if (thresh < HS_MIN_RTT_THRESH)
			thresh = HS_MIN_RTT_THRESH;
		if (thresh > HS_MAX_RTT_THRESH)
			thresh = HS_MAX_RTT_THRESH;
		if (c->current_round_min_rtt >=
		    c->last_round_min_rtt + thresh) {
			c->css_baseline_min_rtt = c->current_round_min_rtt;
			c->phase = HS_CSS;
			c->css_rounds = 0;
		}
	} else if (c->current_round_min_rtt < c->css_baseline_min_rtt) {
		/* The RTT rise was a fluke: back to slow start. */
		c->phase = HS_SLOW_START;
	}
}

static void cubic_on_ack_sample(struct rdt_cc *cc,
				const struct rdt_rate_sample *rs,
				rdt_tstamp now)
{
	struct cubic *c = cubic_of(cc);

	(void)now;
	if (rs->srtt > 0)
		c->srtt = (double)rs->srtt / 1e9;
	if (c->phase != HS_DONE && cc->cwnd < cc->ssthresh)
		hystart(cc, c, rs);
}

static void reduce(struct rdt_cc *cc, struct cubic *c, rdt_tstamp now)
{
	double cwnd = (double)cc->cwnd;

	cc->prior_cwnd = cc->cwnd;
	cc->prior_ssthresh = cc->ssthresh;
	c->prior_w_max = c->w_max;
	/* RFC 9438 4.7 fast convergence: a flow whose plateau dropped
	 * gives up some more, making room for newer flows. */
	if (cwnd < c->w_max)
		c->w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	else
		c->w_max = cwnd;
	cc->recovery_start = now;
	cc->ssthresh = max_u64((uint64_t)(cwnd * CUBIC_BETA),
			       RDT_CC_MIN_WINDOW(cc->mss));
	c->epoch_start = 0;
	c->pending = 0.0;
	c->phase = HS_DONE;
	cc->congestion_events++;
}

static void cubic_on_congestion(struct rdt_cc *cc, rdt_tstamp sent_time,
				rdt_tstamp now)
{
	struct cubic *c = cubic_of(cc);

	if (in_recovery(cc, sent_time))
		return;
	reduce(cc, c, now);
	cc->cwnd = cc->ssthresh;
}

static void cubic_on_rto(struct rdt_cc *cc, rdt_tstamp now)
{
	struct cubic *c = cubic_of(cc);

	/* RFC 9438 4.8: ssthresh as for a loss, the window to the
	 * minimum, slow start again. */
	reduce(cc, c, now);
	cc->cwnd = RDT_CC_MIN_WINDOW(cc->mss);
}

static void cubic_on_spurious(struct rdt_cc *cc, rdt_tstamp now)
{
	struct cubic *c = cubic_of(cc);

	(void)now;
	if (cc->recovery_start == 0)
		return;
	/* RFC 9438 4.9: restore what the false loss changed. */
	cc->cwnd = max_u64(cc->cwnd, cc->prior_cwnd);
	cc->ssthresh = max_u64(cc->ssthresh, cc->prior_ssthresh);
	c->w_max = c->prior_w_max;
	c->epoch_start = 0;
	cc->recovery_start = 0;
	cc->prior_cwnd = 0;
	cc->prior_ssthresh = 0;
}

static const char *cubic_state_name(const struct rdt_cc *cc)
{
	const struct cubic *c = cubic_of_const(cc);

	if (cc->recovery_start != 0 && cc->cwnd == cc->ssthresh)
		return "recovery";
	if (cc->cwnd < cc->ssthresh)
		return c->phase == HS_CSS ? "conservative_slow_start" :
					    "slow_start";
	return "congestion_avoidance";
}

const struct rdt_cc_ops rdt_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_congestion = cubic_on_congestion,
	.on_rto = cubic_on_rto,
	.on_spurious = cubic_on_spurious,
	.on_ack_sample = cubic_on_ack_sample,
	.state_name = cubic_state_name,
};
