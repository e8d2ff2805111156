/*
 * sent.c: the sent-packet tracker (see sent.h): a growable power-of-two
 * ring with push at the back, pop at the front and a binary search by
 * packet number.
 */
#include <string.h>

#include "err.h"
#include "sent.h"

/* The ring starts this big and doubles up to |max|: small, because most
 * connections spend most of their life with a handful of packets in
 * flight, and an idle one keeps what it has until it is trimmed. */
#define SENT_INITIAL_CAP 4

void rdt_sent_init(struct rdt_sent *s, size_t max, const struct rdt_mem *mem)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
	s->mem = mem;
}

void rdt_sent_free(struct rdt_sent *s)
{
	rdt_mem_free(s->mem, s->v);
	s->v = NULL;
	s->cap = s->head = s->n = 0;
}

static int grow(struct rdt_sent *s)
{
	size_t cap = s->cap ? s->cap * 2 : SENT_INITIAL_CAP;
	struct rdt_sent_pkt *v;
	size_t i;

	v = rdt_mem_malloc(s->mem, cap * sizeof(*v));
	if (v == NULL)
		return RDT_ERR_NOMEM;
	for (i = 0; i < s->n; i++)
		v[i] = *rdt_sent_at(s, i);
	rdt_mem_free(s->mem, s->v);
	s->v = v;
	s->cap = cap;
	s->head = 0;
	return 0;
}

int rdt_sent_reserve(struct rdt_sent *s)
{
	if (s->n >= s->max)
		return RDT_ERR_NOBUF;
	return s->n == s->cap ? grow(s) : 0;
}

int rdt_sent_push(struct rdt_sent *s, const struct rdt_sent_pkt *rec)
{
	int rv = rdt_sent_reserve(s);

	if (rv != 0)
		return rv;
	s->v[(s->head + s->n) & (s->cap - 1)] = *rec;
	s->n++;
	return 0;
}

size_t rdt_sent_lower_bound(const struct rdt_sent *s, rdt_pktnum pn)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rdt_sent_at(s, mid)->pn < pn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void rdt_sent_pop_front(struct rdt_sent *s)
{
	if (s->n == 0)
		return;
	s->head = (s->head + 1) & (s->cap - 1);
	s->n--;
}
