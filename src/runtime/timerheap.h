/*
 * timerheap.h: a min-heap of deadlines with O(log n) update and removal.
 *
 * The runtime keeps one entry per connection, keyed by the connection's
 * next deadline, and sleeps until the smallest.  Deadlines change on
 * almost every datagram, so an entry knows its own position in the heap
 * and moves in place instead of being removed and inserted again.
 *
 * Pure: no clock, no allocation beyond the heap's own array, no locking
 * (the caller serialises access).
 */
#ifndef RDT_RUNTIME_TIMERHEAP_H
#define RDT_RUNTIME_TIMERHEAP_H

#include <stddef.h>

#include "core/types.h"

/* Embed one in each object that has a deadline. */
struct rdt_timer {
	rdt_tstamp when;
	/* Position in the heap's array, or RDT_TIMER_IDLE when not queued. */
	size_t index;
};

#define RDT_TIMER_IDLE ((size_t)-1)

struct rdt_timerheap {
	struct rdt_timer **items;
	size_t len, cap;
};

static inline void rdt_timer_init(struct rdt_timer *t)
{
	t->when = RDT_TSTAMP_NEVER;
	t->index = RDT_TIMER_IDLE;
}

void rdt_timerheap_init(struct rdt_timerheap *h);
void rdt_timerheap_free(struct rdt_timerheap *h);

/*
 * rdt_timerheap_set queues |t| for |when|, moving it if already queued;
 * RDT_TSTAMP_NEVER removes it.  Returns 0, or -ENOMEM if the array
 * could not grow (|t| is then left as it was).
 */
int rdt_timerheap_set(struct rdt_timerheap *h, struct rdt_timer *t,
		      rdt_tstamp when);

/*
 * rdt_timerheap_reserve makes room for |n| entries, so that setting up to
 * that many cannot fail.  Returns 0 or -ENOMEM.
 */
int rdt_timerheap_reserve(struct rdt_timerheap *h, size_t n);

/* rdt_timerheap_remove takes |t| out if queued. */
void rdt_timerheap_remove(struct rdt_timerheap *h, struct rdt_timer *t);

/* The earliest entry, or NULL when empty. */
static inline struct rdt_timer *rdt_timerheap_min(const struct rdt_timerheap *h)
{
	return h->len ? h->items[0] : NULL;
}

#endif
