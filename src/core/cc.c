/*
 * cc.c: the registry of congestion-control algorithms and the one entry
 * point that sets a connection's struct rdt_cc up.
 *
 * What lives here:
 *   algorithms[]      every known ops table, the default first; adding an
 *                     algorithm (CUBIC, BBR) is one line here plus its own
 *                     cc_<name>.c;
 *   rdt_cc_find       lookup by name, for the socket option that picks one;
 *   rdt_cc_default    the first entry of the table (BBR);
 *   rdt_cc_init       clears the shared state and calls the ops' init;
 *   rdt_cc_on_ack_sample  the per-ACK hook, then the pacing rate of a
 *                     loss-based algorithm.
 */
#include <string.h>

#include "cc.h"

/*
 * Known algorithms; the first one is the default.  BBR is, because on
 * the simulated 100 Mbit/s, 40 ms path it keeps 0.96 of the link with 1%
 * random loss where CUBIC keeps 0.04 and NewReno 0.03, and it keeps the
 * RTT of a 10 x BDP buffer at 1.0 x the minimum where they reach 8.6 x
 * (tests/sim/cc_accept.h; docs/congestion-control.md has the numbers).
 */
static const struct rdt_cc_ops *const algorithms[] = {
	&rdt_cc_bbr,
	&rdt_cc_cubic,
	&rdt_cc_newreno,
};

#define N_ALGORITHMS (sizeof(algorithms) / sizeof(algorithms[0]))

const struct rdt_cc_ops *rdt_cc_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < N_ALGORITHMS; i++)
		if (strcmp(algorithms[i]->name, name) == 0)
			return algorithms[i];
	return NULL;
}

const struct rdt_cc_ops *rdt_cc_default(void)
{
	return algorithms[0];
}

void rdt_cc_init(struct rdt_cc *cc, const struct rdt_cc_ops *ops, size_t mss,
		 rdt_tstamp now)
{
	/*
	 * Start from all-zero so an algorithm's init only has to set what
	 * differs, and nothing of a previous algorithm's priv[] survives a
	 * switch.  A NULL |ops| means "the default", which lets a connection
	 * pass its configured choice through unchecked.
	 */
	memset(cc, 0, sizeof(*cc));
	cc->ops = ops ? ops : rdt_cc_default();
	cc->mss = mss;
	cc->ops->init(cc, mss, now);
}

void rdt_cc_on_ack_sample(struct rdt_cc *cc, const struct rdt_rate_sample *rs,
			  rdt_tstamp now)
{
	uint64_t percent, rate;

	if (cc->ops->on_ack_sample)
		cc->ops->on_ack_sample(cc, rs, now);
	if (cc->ops->sets_pacing_rate || rs->srtt == 0)
		return;
	/* Slow start lasts while cwnd < ssthresh; the half keeps the
	 * higher gain off a window that has just been cut to ssthresh. */
	percent = cc->cwnd < cc->ssthresh / 2 ? RDT_CC_PACING_SS_PERCENT :
						RDT_CC_PACING_CA_PERCENT;
	/* The clamp keeps rate * RDT_S in range for any window. */
	rate = cc->cwnd * percent / 100;
	if (rate > UINT64_MAX / RDT_S)
		rate = UINT64_MAX / RDT_S;
	cc->pacing_rate = rate * RDT_S / rs->srtt;
}

const char *rdt_cc_state_name(const struct rdt_cc *cc)
{
	return cc->ops->state_name ? cc->ops->state_name(cc) : "";
}
