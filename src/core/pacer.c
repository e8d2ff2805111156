/*
 * pacer.c: the token-bucket pacer of pacer.h.
 *
 *   rdt_pacer_quantum    burst size for a rate
 *   rdt_pacer_allows     refill, then may a datagram leave now?
 *   rdt_pacer_on_sent    charge a datagram
 *   rdt_pacer_next_send  when a held-back datagram may leave
 */
#include <string.h>

#include "pacer.h"

void rdt_pacer_init(struct rdt_pacer *p)
{
	memset(p, 0, sizeof(*p));
}

static int unpaced(uint64_t rate)
{
	return rate == 0 || rate > RDT_PACER_MAX_RATE;
}

uint64_t rdt_pacer_quantum(uint64_t rate, size_t mss)
{
	uint64_t q = rate / (RDT_S / RDT_PACER_QUANTUM_TIME);

	if (q > RDT_PACER_MAX_QUANTUM)
		q = RDT_PACER_MAX_QUANTUM;
	if (q < 2 * (uint64_t)mss)
		q = 2 * (uint64_t)mss;
	return q;
}

int rdt_pacer_allows(struct rdt_pacer *p, uint64_t rate, size_t mss,
		     rdt_tstamp now)
{
	int64_t cap;
	rdt_tstamp dt;

	if (unpaced(rate)) {
		p->blocked = 0;
		p->last = now;
		return 1;
	}
	cap = (int64_t)(rdt_pacer_quantum(rate, mss) * RDT_S);
	dt = now > p->last ? now - p->last : 0;
	p->last = now;
	/* A second's credit is more than any quantum: no need to multiply
	 * (and rate * dt stays below 2^63 for dt <= 1 s). */
	if (dt >= RDT_S || (int64_t)(rate * dt) >= cap - p->credit)
		p->credit = cap;
	else
		p->credit += (int64_t)(rate * dt);
	p->blocked = p->credit <= 0;
	return !p->blocked;
}

void rdt_pacer_on_sent(struct rdt_pacer *p, uint64_t rate, size_t bytes)
{
	if (unpaced(rate))
		return;
	p->credit -= (int64_t)(bytes * RDT_S);
}

rdt_tstamp rdt_pacer_next_send(const struct rdt_pacer *p, uint64_t rate)
{
	if (!p->blocked || unpaced(rate) || p->credit > 0)
		return RDT_TSTAMP_NEVER;
	/* The first instant the credit is above zero again. */
	return p->last + (rdt_tstamp)(-p->credit) / rate + 1;
}
