/*
 * timerheap.c: a binary min-heap whose entries track their own index.
 */
#include <errno.h>
#include <stdlib.h>

#include "timerheap.h"

void rdt_timerheap_init(struct rdt_timerheap *h)
{
	h->items = NULL;
	h->len = 0;
	h->cap = 0;
}

void rdt_timerheap_free(struct rdt_timerheap *h)
{
	size_t i;

	for (i = 0; i < h->len; i++)
		h->items[i]->index = RDT_TIMER_IDLE;
	free(h->items);
	rdt_timerheap_init(h);
}

static void place(struct rdt_timerheap *h, struct rdt_timer *t, size_t i)
{
	h->items[i] = t;
	t->index = i;
}

static void sift_up(struct rdt_timerheap *h, size_t i)
{
	struct rdt_timer *t = h->items[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (h->items[parent]->when <= t->when)
			break;
		place(h, h->items[parent], i);
		i = parent;
	}
	place(h, t, i);
}

static void sift_down(struct rdt_timerheap *h, size_t i)
{
	struct rdt_timer *t = h->items[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->len)
			break;
		if (child + 1 < h->len &&
		    h->items[child + 1]->when < h->items[child]->when)
			child++;
		if (t->when <= h->items[child]->when)
			break;
		place(h, h->items[child], i);
		i = child;
	}
	place(h, t, i);
}

void rdt_timerheap_remove(struct rdt_timerheap *h, struct rdt_timer *t)
{
	size_t i = t->index;
	struct rdt_timer *last;

	if (i == RDT_TIMER_IDLE)
		return;
	t->index = RDT_TIMER_IDLE;
	last = h->items[--h->len];
	if (last == t)
		return;
	place(h, last, i);
	sift_up(h, i);
	sift_down(h, last->index);
}

int rdt_timerheap_reserve(struct rdt_timerheap *h, size_t n)
{
	size_t cap = h->cap ? h->cap : 64;
	struct rdt_timer **items;

	if (n <= h->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	items = realloc(h->items, cap * sizeof(*items));
	if (items == NULL)
		return -ENOMEM;
	h->items = items;
	h->cap = cap;
	return 0;
}

int rdt_timerheap_set(struct rdt_timerheap *h, struct rdt_timer *t,
		      rdt_tstamp when)
{
	if (when == RDT_TSTAMP_NEVER) {
		rdt_timerheap_remove(h, t);
		t->when = when;
		return 0;
	}
	if (t->index == RDT_TIMER_IDLE) {
		if (rdt_timerheap_reserve(h, h->len + 1) != 0)
			return -ENOMEM;
		t->when = when;
		place(h, t, h->len++);
		sift_up(h, t->index);
		return 0;
	}
	t->when = when;
	sift_up(h, t->index);
	sift_down(h, t->index);
	return 0;
}
