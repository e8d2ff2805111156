/*
 * rtt.c: the RTT estimator and retransmission timeout of rtt.h.
 *
 * What lives here, in order of use:
 *   rdt_rtt_init     the state before any sample (RFC 9002 6.2.2);
 *   rdt_rtt_update   one sample: min_rtt, the ACK-delay adjustment and the
 *                    smoothed estimates (RFC 9002 5.2 and 5.3);
 *   rdt_rtt_rto      the timeout from the estimates, with clamping and
 *                    exponential backoff (RFC 6298 2 and 5.5).
 *
 * All arithmetic is on unsigned nanoseconds and saturates instead of
 * wrapping, so a nonsensical input gives a large timeout, never a tiny
 * one.
 */
#include "rtt.h"

/*
 * A sample longer than this (about 36 years) can only come from a bug in
 * the caller; clamping it keeps 7 * srtt and 3 * rttvar below 2^64.
 */
#define RTT_SAMPLE_MAX ((rdt_tstamp)1 << 60)

static rdt_tstamp add_sat(rdt_tstamp a, rdt_tstamp b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void rdt_rtt_init(struct rdt_rtt *rtt, rdt_tstamp initial_rtt)
{
	if (initial_rtt > RTT_SAMPLE_MAX)
		initial_rtt = RTT_SAMPLE_MAX;
	rtt->latest_rtt = 0;
	/* 0 with has_sample == 0 means "no minimum yet". */
	rtt->min_rtt = 0;
	rtt->srtt = initial_rtt;
	rtt->rttvar = initial_rtt / 2;
	rtt->has_sample = 0;
	rtt->samples = 0;
}

void rdt_rtt_update(struct rdt_rtt *rtt, rdt_tstamp sample,
		    rdt_tstamp ack_delay, rdt_tstamp max_ack_delay)
{
	rdt_tstamp adjusted, diff;

	if (sample > RTT_SAMPLE_MAX)
		sample = RTT_SAMPLE_MAX;
	rtt->latest_rtt = sample;
	rtt->samples++;

	/*
	 * The first sample replaces the initial guess outright (RFC 9002
	 * 5.3, RFC 6298 2.2).  Its ACK delay is ignored: with no min_rtt
	 * yet, nothing tells us whether subtracting it is plausible.
	 */
	if (!rtt->has_sample) {
		rtt->has_sample = 1;
		rtt->min_rtt = sample;
		rtt->srtt = sample;
		rtt->rttvar = sample / 2;
		return;
	}

	/* min_rtt takes raw samples: the delay is the peer's claim. */
	if (sample < rtt->min_rtt)
		rtt->min_rtt = sample;

	/*
	 * Take out the time the peer says it held the ACK, but never more
	 * than it promised (max_ack_delay), and never so much that the
	 * sample drops below the shortest path we have measured: a peer
	 * cannot make the path look faster than it is (RFC 9002 5.3).
	 */
	if (ack_delay > max_ack_delay)
		ack_delay = max_ack_delay;
	adjusted = sample;
	if (sample - rtt->min_rtt >= ack_delay)
		adjusted = sample - ack_delay;

	/*
	 * rttvar = 3/4 rttvar + 1/4 |srtt - adjusted|, then
	 * srtt = 7/8 srtt + 1/8 adjusted; rttvar uses the old srtt
	 * (RFC 6298 2.3 gives that order).
	 */
	diff = rtt->srtt > adjusted ? rtt->srtt - adjusted
				    : adjusted - rtt->srtt;
	rtt->rttvar = (3 * rtt->rttvar + diff) / 4;
	rtt->srtt = (7 * rtt->srtt + adjusted) / 8;
}

rdt_tstamp rdt_rtt_rto(const struct rdt_rtt *rtt, rdt_tstamp max_ack_delay,
		       rdt_tstamp min_rto, rdt_tstamp max_rto,
		       unsigned backoff)
{
	rdt_tstamp var4, rto;

	/* RTO = srtt + max(G, 4 rttvar) + max_ack_delay. */
	var4 = rtt->rttvar > UINT64_MAX / 4 ? UINT64_MAX : 4 * rtt->rttvar;
	if (var4 < RDT_RTT_GRANULARITY)
		var4 = RDT_RTT_GRANULARITY;
	rto = add_sat(add_sat(rtt->srtt, var4), max_ack_delay);

	/* max_rto wins if the caller's bounds cross. */
	if (rto < min_rto)
		rto = min_rto;
	if (rto > max_rto)
		rto = max_rto;

	/*
	 * Doubling per backoff: rto << backoff exceeds max_rto exactly when
	 * rto > max_rto >> backoff, so testing that first means the shift
	 * never loses bits, and a shift of 64 or more is never attempted.
	 */
	if (backoff >= 64 || rto > (max_rto >> backoff))
		return max_rto;
	return rto << backoff;
}
