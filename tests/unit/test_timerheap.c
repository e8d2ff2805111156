/*
 * test_timerheap.c: the deadline heap against a brute-force minimum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/prng.h"
#include "runtime/timerheap.h"

#define N 200

/* Every queued entry's index points back at it, and no child is earlier
 * than its parent. */
static void check_heap(const struct rdt_timerheap *h)
{
	size_t i;

	for (i = 0; i < h->len; i++) {
		assert_int_equal(h->items[i]->index, i);
		if (i > 0)
			assert_true(h->items[(i - 1) / 2]->when <=
				    h->items[i]->when);
	}
}

static struct rdt_timer *brute_min(struct rdt_timer *t, size_t n)
{
	struct rdt_timer *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].index != RDT_TIMER_IDLE &&
		    (best == NULL || t[i].when < best->when))
			best = &t[i];
	return best;
}

static void test_timerheap_random_ops(void **state)
{
	struct rdt_timer t[N];
	struct rdt_timerheap h;
	struct prng rng;
	size_t i, queued;
	int step;

	(void)state;
	prng_seed(&rng, 42);
	rdt_timerheap_init(&h);
	for (i = 0; i < N; i++)
		rdt_timer_init(&t[i]);
	for (step = 0; step < 100000; step++) {
		struct rdt_timer *x = &t[prng_next(&rng) % N];
		unsigned op = prng_next(&rng) % 4;

		if (op == 0)
			rdt_timerheap_remove(&h, x);
		else if (op == 1)
			assert_int_equal(rdt_timerheap_set(&h, x,
							   RDT_TSTAMP_NEVER),
					 0);
		else
			/* Few distinct values, so ties are exercised. */
			assert_int_equal(rdt_timerheap_set(
						 &h, x, prng_next(&rng) % 1000),
					 0);
		if (step % 97 == 0)
			check_heap(&h);
		if (brute_min(t, N) == NULL)
			assert_null(rdt_timerheap_min(&h));
		else
			assert_true(rdt_timerheap_min(&h)->when ==
				    brute_min(t, N)->when);
	}
	for (queued = 0, i = 0; i < N; i++)
		queued += t[i].index != RDT_TIMER_IDLE;
	assert_int_equal(queued, h.len);
	rdt_timerheap_free(&h);
	for (i = 0; i < N; i++)
		assert_int_equal(t[i].index, RDT_TIMER_IDLE);
}

/* Draining by repeatedly removing the minimum yields sorted deadlines. */
static void test_timerheap_drains_in_order(void **state)
{
	struct rdt_timer t[N];
	struct rdt_timerheap h;
	struct prng rng;
	rdt_tstamp last = 0;
	size_t i;

	(void)state;
	prng_seed(&rng, 7);
	rdt_timerheap_init(&h);
	for (i = 0; i < N; i++) {
		rdt_timer_init(&t[i]);
		assert_int_equal(rdt_timerheap_set(&h, &t[i],
						   prng_next(&rng) % 100000),
				 0);
	}
	for (i = 0; i < N; i++) {
		struct rdt_timer *m = rdt_timerheap_min(&h);

		assert_non_null(m);
		assert_true(m->when >= last);
		last = m->when;
		rdt_timerheap_remove(&h, m);
		assert_int_equal(m->index, RDT_TIMER_IDLE);
	}
	assert_null(rdt_timerheap_min(&h));
	rdt_timerheap_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timerheap_random_ops),
		cmocka_unit_test(test_timerheap_drains_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
