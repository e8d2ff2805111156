/*
 * cc_newreno.c: NewReno congestion control as RFC 9002 section 7
 * describes it for a transport with unambiguous packet numbers (the
 * window logic of RFC 5681 and RFC 6582 without their duplicate-ACK
 * machinery, which loss detection replaces).
 *
 * What lives here, in the order a connection calls it:
 *   newreno_init           initial window (RFC 9002 7.2);
 *   newreno_on_ack         slow start, then congestion avoidance with
 *                          Appropriate Byte Counting (RFC 3465);
 *   newreno_on_congestion  halve once per recovery period (RFC 9002 7.3.2);
 *   newreno_on_rto         collapse to the minimum window (RFC 9002 7.6.2,
 *                          RFC 5681 3.1);
 *   newreno_on_spurious    undo the last reduction (RFC 4015 response, as
 *                          Linux's tcp undo does);
 *   rdt_cc_newreno         the ops table.
 *
 * Recovery is tracked by time alone: a packet sent at or before
 * recovery_start belongs to the round that already paid for its loss, so
 * its loss reduces nothing and its ACK grows nothing.  Recovery therefore
 * ends by itself when the first packet sent after it began is acked, as
 * RFC 9002 7.3.2 says, without a separate flag.
 */
#include <stdint.h>

#include "cc.h"

/* priv[] slot: bytes acked in congestion avoidance not yet turned into
 * window growth (the "bytes_acked" counter of RFC 3465). */
#define CA_ACKED 0

/* The initial window cap of RFC 9002 7.2: max(14720, 2 * mss) bytes. */
#define NEWRENO_IW_BYTES 14720

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Non-zero if a packet sent at |sent_time| predates the recovery period. */
static int in_recovery(const struct rdt_cc *cc, rdt_tstamp sent_time)
{
	return cc->recovery_start != 0 && sent_time <= cc->recovery_start;
}

/*
 * Initial window, RFC 9002 7.2: ten packets, but no more than 14720 bytes
 * unless that is less than two packets.  |mss| must be > 0.
 */
static void newreno_init(struct rdt_cc *cc, size_t mss, rdt_tstamp now)
{
	uint64_t iw = max_u64(RDT_CC_MIN_WINDOW(mss), NEWRENO_IW_BYTES);

	(void)now;
	cc->mss = mss;
	cc->cwnd = 10 * (uint64_t)mss < iw ? 10 * (uint64_t)mss : iw;
	cc->ssthresh = UINT64_MAX;
	cc->recovery_start = 0;
	cc->prior_cwnd = 0;
	cc->prior_ssthresh = 0;
	cc->priv[CA_ACKED] = 0;
}

static void newreno_on_ack(struct rdt_cc *cc, uint64_t acked,
			   rdt_tstamp sent_time, int app_limited,
			   rdt_tstamp now)
{
	uint64_t room;

	(void)now;
	/*
	 * No growth for a packet from before the reduction (its round
	 * already lost data), nor when the application, not the window,
	 * limited sending: the ACK then says nothing about whether a larger
	 * window would be safe (RFC 9002 7.8).
	 */
	if (in_recovery(cc, sent_time) || app_limited)
		return;

	/*
	 * Slow start: one byte of window per byte acked, which doubles the
	 * window every round.  Growth stops at ssthresh and the rest of
	 * this ACK counts towards congestion avoidance (RFC 5681 3.1 lets
	 * either mode run at cwnd == ssthresh; splitting keeps the window
	 * from overshooting the threshold by a whole packet).
	 */
	if (cc->cwnd < cc->ssthresh) {
		room = cc->ssthresh - cc->cwnd;
		if (acked < room) {
			cc->cwnd = add_sat(cc->cwnd, acked);
			return;
		}
		cc->cwnd = cc->ssthresh;
		acked -= room;
	}

	/*
	 * Congestion avoidance with Appropriate Byte Counting (RFC 3465):
	 * once a full window's worth of bytes has been acked, the window
	 * grows by one mss, i.e. by one packet per round trip.  Counting
	 * bytes rather than ACKs keeps ACK decimation from slowing growth.
	 * Each pass consumes at least 2 * mss bytes, so the loop is short.
	 */
	cc->priv[CA_ACKED] = add_sat(cc->priv[CA_ACKED], acked);
	while (cc->priv[CA_ACKED] >= cc->cwnd) {
		cc->priv[CA_ACKED] -= cc->cwnd;
		cc->cwnd = add_sat(cc->cwnd, cc->mss);
	}
}

/* Remembers the state a reduction is about to change, for undo. */
static void save_prior(struct rdt_cc *cc)
{
	cc->prior_cwnd = cc->cwnd;
	cc->prior_ssthresh = cc->ssthresh;
}

static void newreno_on_congestion(struct rdt_cc *cc, rdt_tstamp sent_time,
				  rdt_tstamp now)
{
	/* One reduction per round: this loss is part of the current one. */
	if (in_recovery(cc, sent_time))
		return;
	save_prior(cc);
	/*
	 * Enter recovery: halve the window (RFC 9002 kLossReductionFactor
	 * 0.5), never below the minimum window, and make it the threshold
	 * so growth resumes in congestion avoidance.  |now| is the start of
	 * the period: every packet in flight was sent before it.
	 */
	cc->recovery_start = now;
	cc->ssthresh = max_u64(cc->cwnd / 2, RDT_CC_MIN_WINDOW(cc->mss));
	cc->cwnd = cc->ssthresh;
	cc->priv[CA_ACKED] = 0;
	cc->congestion_events++;
}

static void newreno_on_rto(struct rdt_cc *cc, rdt_tstamp now)
{
	/*
	 * Everything in flight is gone (RFC 9002 7.6.2 persistent
	 * congestion, RFC 5681 3.1 loss window): remember half the window
	 * as the threshold and restart slow start from the minimum window.
	 * Unlike a fast loss, a timeout always reduces: it is the strongest
	 * signal there is.
	 */
	save_prior(cc);
	cc->recovery_start = now;
	cc->ssthresh = max_u64(cc->cwnd / 2, RDT_CC_MIN_WINDOW(cc->mss));
	cc->cwnd = RDT_CC_MIN_WINDOW(cc->mss);
	cc->priv[CA_ACKED] = 0;
	cc->congestion_events++;
}

static void newreno_on_spurious(struct rdt_cc *cc, rdt_tstamp now)
{
	(void)now;
	/* Nothing to undo: no reduction since init or the last undo. */
	if (cc->recovery_start == 0)
		return;
	/*
	 * The loss that started recovery was reordering: put window and
	 * threshold back (RFC 4015 3.2; Linux tcp_undo_cwnd_reduction).
	 * max() keeps any growth since the reduction.
	 */
	cc->cwnd = max_u64(cc->cwnd, cc->prior_cwnd);
	cc->ssthresh = max_u64(cc->ssthresh, cc->prior_ssthresh);
	/*
	 * End the recovery period, not just the reduction.  Had we kept
	 * recovery_start, ACKs of packets sent before it would still be
	 * denied growth, although the round they belong to lost nothing;
	 * and the next real loss of such a packet would be ignored, leaving
	 * the restored window unchecked.  With recovery_start = 0 both
	 * behave as if the false loss had never been declared.  Loss
	 * detection, not this module, must keep the same reordering from
	 * being declared a loss again (by widening its threshold).
	 * The prior values are used up, so a second call is a no-op.
	 */
	cc->recovery_start = 0;
	cc->prior_cwnd = 0;
	cc->prior_ssthresh = 0;
}

static const char *newreno_state_name(const struct rdt_cc *cc)
{
	if (cc->recovery_start != 0 && cc->ssthresh == cc->cwnd)
		return "recovery";
	return cc->cwnd < cc->ssthresh ? "slow_start" :
					 "congestion_avoidance";
}

const struct rdt_cc_ops rdt_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_congestion = newreno_on_congestion,
	.on_rto = newreno_on_rto,
	.on_spurious = newreno_on_spurious,
	.state_name = newreno_state_name,
};
