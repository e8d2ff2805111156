/*
 * cc_bbr.h: what BBR's two files share (cc_bbr.c, the model and its
 * modes; cc_bbr_cap.c, loss response 2, the flight cap): the model's
 * parameters, its state and the BDP it implies.  Internal to the core.
 */
#ifndef RDT_CORE_CC_BBR_H
#define RDT_CORE_CC_BBR_H

#include <stdint.h>

#include "cc.h"

#define BBR_UNIT 256
/* 2/ln(2) = 2.885: the smallest gain that doubles the delivery rate each
 * round in STARTUP (draft BBRStartupPacingGain, Linux bbr_high_gain). */
#define BBR_HIGH_GAIN (BBR_UNIT * 2885 / 1000 + 1)
/* ln(2)/2, its inverse, to drain the STARTUP queue in one round. */
#define BBR_DRAIN_GAIN (BBR_UNIT * 1000 / 2885)
/* The window is twice the estimated BDP (BBRDefaultCwndGain). */
#define BBR_CWND_GAIN (BBR_UNIT * 2)
/* The bandwidth filter's length in round trips (BBRMaxBwFilterLen). */
#define BBR_BW_ROUNDS 10
/* How long a min RTT sample stays valid (BBRMinRTTFilterLen). */
#define BBR_MIN_RTT_WINDOW (10 * RDT_S)
/* How often PROBE_RTT runs at most (draft BBRProbeRTTInterval). */
#define BBR_PROBE_RTT_INTERVAL (5 * RDT_S)
/* PROBE_RTT's window: half a BDP (draft BBRProbeRTTCwndGain). */
#define BBR_PROBE_RTT_CWND_GAIN (BBR_UNIT / 2)
/* PROBE_RTT's duration (BBRProbeRTTDuration). */
#define BBR_PROBE_RTT_TIME (200 * RDT_MS)
/* The smallest window: four datagrams (BBRMinPipeCwnd). */
#define BBR_MIN_CWND_PKTS 4
/* Rounds without 25% more bandwidth that mean the pipe is full. */
#define BBR_FULL_BW_ROUNDS 3
#define BBR_FULL_BW_GROWTH (BBR_UNIT * 5 / 4)
/* Pace at 99% of the bandwidth estimate so the queue stays empty
 * (Linux bbr_pacing_margin_percent). */
#define BBR_PACING_MARGIN_PERCENT 1

enum bbr_mode { BBR_STARTUP, BBR_DRAIN, BBR_PROBE_BW, BBR_PROBE_RTT };

struct bbr {
	enum bbr_mode mode;
	/* Round trips, counted by delivered bytes (draft 4.5.1). */
	uint64_t round_count;
	uint64_t next_round_delivered;
	int round_start;
	/* The bandwidth filter: the largest sample of each of the last
	 * BBR_BW_ROUNDS rounds, indexed by round_count modulo. */
	uint64_t bw_slot[BBR_BW_ROUNDS];
	uint64_t max_bw;
	rdt_tstamp min_rtt;
	rdt_tstamp min_rtt_stamp;
	/* The smallest RTT since the last PROBE_RTT (draft
	 * BBR.probe_rtt_min_delay), and since when. */
	rdt_tstamp probe_rtt_min_delay;
	rdt_tstamp probe_rtt_min_stamp;
	/* STARTUP's full-pipe detection. */
	uint64_t full_bw;
	unsigned full_bw_count;
	int filled_pipe;
	/* PROBE_BW. */
	unsigned cycle_index;
	rdt_tstamp cycle_stamp;
	uint32_t pacing_gain;
	uint32_t cwnd_gain;
	/* PROBE_RTT. */
	rdt_tstamp probe_rtt_done;
	int probe_rtt_round_done;
	uint64_t prior_cwnd;
	/* Loss response 2: this round's start totals, its largest flight
	 * and smallest RTT; the cap and how much the next clean round
	 * lifts it. */
	uint64_t round_lost_start;
	uint64_t round_delivered_start;
	uint64_t round_max_in_flight;
	rdt_tstamp round_min_rtt;
	/* Rounds in a row whose smallest RTT showed a queue. */
	unsigned standing_rounds;
	/* This round's RTT samples, summed; the mean RTT of the round that
	 * just ended (0: no sample); the smallest such mean within
	 * BBR_MIN_RTT_WINDOW, and since when. */
	rdt_tstamp round_rtt_sum;
	unsigned round_rtt_n;
	rdt_tstamp round_mean_rtt;
	/* How much round means move from one round to the next (mean
	 * deviation, smoothed as RFC 6298 smooths rttvar). */
	rdt_tstamp round_mean_dev;
	/* The loss rate of rounds without a raised RTT, parts per million,
	 * smoothed over about eight such rounds. */
	uint64_t random_loss_ppm;
	rdt_tstamp typical_rtt;
	rdt_tstamp typical_rtt_stamp;
	uint64_t inflight_hi;
	uint64_t probe_up;
	/* Window before an RTO, for on_spurious. */
	uint64_t rto_prior_cwnd;
};

_Static_assert(sizeof(struct bbr) <= sizeof(((struct rdt_cc *)0)->priv),
	       "struct bbr must fit in rdt_cc.priv");

static inline struct bbr *bbr_of(struct rdt_cc *cc)
{
	return (struct bbr *)(void *)cc->priv;
}

static inline const struct bbr *bbr_of_const(const struct rdt_cc *cc)
{
	return (const struct bbr *)(const void *)cc->priv;
}

static inline uint64_t min_window(const struct rdt_cc *cc)
{
	return BBR_MIN_CWND_PKTS * (uint64_t)cc->mss;
}

/* bandwidth * RTT * gain, bytes; 0 while either is unknown. */
static inline uint64_t bdp_at(const struct bbr *b, rdt_tstamp rtt,
			      uint32_t gain)
{
	uint64_t bytes;

	if (b->max_bw == 0 || rtt == 0)
		return 0;
	/* The RTT in microseconds keeps the product in 64 bits for any
	 * rate and RTT a path can have. */
	bytes = b->max_bw * (rtt / RDT_US) / (RDT_S / RDT_US);
	return bytes / BBR_UNIT * gain + bytes % BBR_UNIT * gain / BBR_UNIT;
}

/* The model's BDP: bandwidth * min RTT * gain. */
static inline uint64_t bdp(const struct bbr *b, uint32_t gain)
{
	return bdp_at(b, b->min_rtt, gain);
}

/* STARTUP is over: the pipe is full (cc_bbr.c). */
void rdt_bbr_fill_pipe(struct rdt_cc *cc, struct bbr *b);
/* Loss response 2, when a round ends (cc_bbr_cap.c). */
void rdt_bbr_update_typical_rtt(struct bbr *b,
				const struct rdt_rate_sample *rs,
				rdt_tstamp now);
void rdt_bbr_check_congestive_loss(struct rdt_cc *cc, struct bbr *b,
				   const struct rdt_rate_sample *rs);

#endif
