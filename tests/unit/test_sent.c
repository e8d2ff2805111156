/*
 * test_sent.c: unit tests for src/core/sent.c, the sent-packet tracker:
 * order through pushes, pops and growth (also when the ring has wrapped),
 * the binary search by packet number, the limit, and allocation failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/sent.h"
#include "helpers/fail_mem.h"

/* Far above the ring's initial capacity (64), so growth is exercised. */
#define MANY 1000

struct fixture {
	struct fail_mem fm;
	struct rdt_sent s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	fail_mem_init(&f->fm, 0);
	rdt_sent_init(&f->s, MANY, &f->fm.mem);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rdt_sent_free(&f->s);
	/* Everything the tracker allocated went back. */
	assert_int_equal(f->fm.live, 0);
	free(f);
	return 0;
}

static struct rdt_sent_pkt rec_of(rdt_pktnum pn)
{
	struct rdt_sent_pkt rec;

	memset(&rec, 0, sizeof(rec));
	rec.pn = pn;
	rec.sent_time = 1000 + pn;
	rec.off = pn * 10;
	rec.len = 10;
	return rec;
}

static void push_ok(struct rdt_sent *s, rdt_pktnum pn)
{
	struct rdt_sent_pkt rec = rec_of(pn);

	assert_int_equal(rdt_sent_push(s, &rec), 0);
}

/* The held records are exactly pns first, first + step, ... (n of them),
 * each with the fields it was pushed with. */
static void assert_holds(const struct rdt_sent *s, rdt_pktnum first,
			 rdt_pktnum step, size_t n)
{
	size_t i;

	assert_int_equal(s->n, n);
	for (i = 0; i < n; i++) {
		const struct rdt_sent_pkt *rec = rdt_sent_at(s, i);
		rdt_pktnum pn = first + i * step;

		assert_int_equal(rec->pn, pn);
		assert_int_equal(rec->sent_time, 1000 + pn);
		assert_int_equal(rec->off, pn * 10);
	}
}

static void test_sent_push_keeps_order_through_growth(void **state)
{
	struct fixture *f = *state;
	rdt_pktnum pn;

	assert_int_equal(f->s.n, 0);
	for (pn = 0; pn < MANY; pn++)
		push_ok(&f->s, 100 + pn);
	assert_holds(&f->s, 100, 1, MANY);
}

static void test_sent_pop_front_oldest_first(void **state)
{
	struct fixture *f = *state;
	rdt_pktnum pn;

	for (pn = 0; pn < 10; pn++)
		push_ok(&f->s, pn);
	rdt_sent_pop_front(&f->s);
	rdt_sent_pop_front(&f->s);
	assert_holds(&f->s, 2, 1, 8);
	while (f->s.n > 0)
		rdt_sent_pop_front(&f->s);
	/* Popping an empty tracker changes nothing. */
	rdt_sent_pop_front(&f->s);
	assert_int_equal(f->s.n, 0);
	push_ok(&f->s, 50);
	assert_holds(&f->s, 50, 1, 1);
}

/* Growth while the ring has wrapped must keep the records in order. */
static void test_sent_grow_after_wrap(void **state)
{
	struct fixture *f = *state;
	rdt_pktnum pn, next = 0;
	size_t cap;

	for (pn = 0; pn < 64; pn++)
		push_ok(&f->s, next++);
	cap = f->s.cap;
	for (pn = 0; pn < 40; pn++)
		rdt_sent_pop_front(&f->s);
	/* Refill to capacity: the newest records sit at the ring's start. */
	while (f->s.n < cap)
		push_ok(&f->s, next++);
	assert_int_equal(f->s.cap, cap);
	assert_true(f->s.head != 0);
	push_ok(&f->s, next++);
	assert_true(f->s.cap > cap);
	assert_holds(&f->s, 40, 1, (size_t)(next - 40));
}

static void test_sent_lower_bound(void **state)
{
	struct fixture *f = *state;
	rdt_pktnum pn;

	/* Even numbers 10, 12, ..., 208, with the ring wrapped. */
	for (pn = 0; pn < 20; pn++)
		push_ok(&f->s, pn);
	for (pn = 0; pn < 20; pn++)
		rdt_sent_pop_front(&f->s);
	for (pn = 10; pn < 210; pn += 2)
		push_ok(&f->s, pn);
	assert_holds(&f->s, 10, 2, 100);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 0), 0);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 10), 0);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 11), 1);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 12), 1);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 107), 49);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 108), 49);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 208), 99);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 209), 100);
	assert_int_equal(rdt_sent_lower_bound(&f->s, UINT64_MAX), 100);
}

static void test_sent_lower_bound_empty(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rdt_sent_lower_bound(&f->s, 0), 0);
	assert_int_equal(rdt_sent_lower_bound(&f->s, 42), 0);
}

static void test_sent_full_at_max(void **state)
{
	struct fixture *f = *state;
	struct rdt_sent_pkt rec = rec_of(MANY);
	rdt_pktnum pn;

	for (pn = 0; pn < MANY; pn++) {
		assert_false(rdt_sent_full(&f->s));
		push_ok(&f->s, pn);
	}
	assert_true(rdt_sent_full(&f->s));
	assert_int_equal(rdt_sent_reserve(&f->s), RDT_ERR_NOBUF);
	assert_int_equal(rdt_sent_push(&f->s, &rec), RDT_ERR_NOBUF);
	assert_holds(&f->s, 0, 1, MANY);
	/* Room again once the oldest leaves. */
	rdt_sent_pop_front(&f->s);
	assert_false(rdt_sent_full(&f->s));
	assert_int_equal(rdt_sent_push(&f->s, &rec), 0);
	assert_holds(&f->s, 1, 1, MANY);
}

/* reserve makes room without adding a record, so the push that follows
 * cannot fail. */
static void test_sent_reserve_then_push(void **state)
{
	struct fixture *f = *state;
	rdt_pktnum pn;

	for (pn = 0; pn < 64; pn++)
		push_ok(&f->s, pn);
	assert_int_equal(f->s.cap, 64);
	assert_int_equal(rdt_sent_reserve(&f->s), 0);
	assert_int_equal(f->s.n, 64);
	assert_true(f->s.cap > 64);
	f->fm.fail_at = f->fm.calls + 1;
	push_ok(&f->s, 64);
	assert_int_equal(f->fm.failed, 0);
	assert_holds(&f->s, 0, 1, 65);
}

static void test_sent_grow_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct rdt_sent_pkt rec = rec_of(64);
	rdt_pktnum pn;

	for (pn = 0; pn < 64; pn++)
		push_ok(&f->s, pn);
	f->fm.fail_at = f->fm.calls + 1;
	assert_int_equal(rdt_sent_push(&f->s, &rec), RDT_ERR_NOMEM);
	assert_int_equal(f->fm.failed, 1);
	/* Nothing held was lost, and the next attempt succeeds. */
	assert_holds(&f->s, 0, 1, 64);
	assert_int_equal(rdt_sent_push(&f->s, &rec), 0);
	assert_holds(&f->s, 0, 1, 65);
}

static void test_sent_free_then_reuse(void **state)
{
	struct fixture *f = *state;

	push_ok(&f->s, 7);
	rdt_sent_free(&f->s);
	assert_int_equal(f->s.n, 0);
	assert_int_equal(f->fm.live, 0);
	/* Freed, not broken: the tracker can be used again. */
	push_ok(&f->s, 8);
	assert_holds(&f->s, 8, 1, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_sent_push_keeps_order_through_growth),
		T(test_sent_pop_front_oldest_first),
		T(test_sent_grow_after_wrap),
		T(test_sent_lower_bound),
		T(test_sent_lower_bound_empty),
		T(test_sent_full_at_max),
		T(test_sent_reserve_then_push),
		T(test_sent_grow_fails_cleanly),
		T(test_sent_free_then_reuse),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
