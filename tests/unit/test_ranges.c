/*
 * test_ranges.c: unit tests for src/core/ranges.c.
 *
 * Hand-written cases pin each operation's result and return value, the
 * |max| bound and the "unchanged on error" promise.  An allocation torture
 * test fails the Nth allocation for every N.  Finally a differential test
 * drives the set and a plain bitmap through the same random operations
 * and compares them after every step; on a mismatch it prints the seed
 * and step to replay.
 *
 * Every fixture allocates through a counting allocator, and teardown
 * checks that everything allocated was freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/ranges.h"
#include "helpers/fail_mem.h"
#include "util/prng.h"

struct fixture {
	struct fail_mem fm;
	struct rdt_ranges rs;
};

/* The bound most cases use; large enough never to get in the way. */
#define FIXTURE_MAX 64

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fail_mem_init(&f->fm, 0);
	if (rdt_ranges_init(&f->rs, FIXTURE_MAX, &f->fm.mem) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	long live;

	rdt_ranges_free(&f->rs);
	live = f->fm.live;
	free(f);
	/* Everything the set allocated must be back. */
	return live == 0 ? 0 : -1;
}

/* Re-initialises the fixture's set with another bound. */
static struct rdt_ranges *reinit(struct fixture *f, size_t max)
{
	rdt_ranges_free(&f->rs);
	assert_int_equal(rdt_ranges_init(&f->rs, max, &f->fm.mem), 0);
	return &f->rs;
}

/* The structural promises of ranges.h. */
static void check_invariants(const struct rdt_ranges *rs)
{
	size_t k;

	assert_true(rs->n <= rs->cap);
	assert_true(rs->n <= rs->max);
	assert_true(rs->cap <= rs->max);
	for (k = 0; k < rs->n; k++) {
		assert_true(rs->v[k].start < rs->v[k].end);
		if (k > 0)
			assert_true(rs->v[k - 1].end < rs->v[k].start);
	}
}

/* Asserts the set holds exactly the |n| ranges in |want| (start, end). */
static void expect_ranges(const struct rdt_ranges *rs, const uint64_t *want,
			  size_t n)
{
	size_t k;

	check_invariants(rs);
	assert_int_equal(rs->n, n);
	for (k = 0; k < n; k++) {
		assert_int_equal(rs->v[k].start, want[2 * k]);
		assert_int_equal(rs->v[k].end, want[2 * k + 1]);
	}
}

#define EXPECT(rs, ...)                                                    \
	do {                                                               \
		const uint64_t want_[] = { __VA_ARGS__ };                  \
		expect_ranges((rs), want_,                                 \
			      sizeof(want_) / sizeof(want_[0]) / 2);       \
	} while (0)

/* A copy of a set's contents, to prove a failed call changed nothing. */
struct snapshot {
	struct rdt_range v[256];
	size_t n;
};

static void take(struct snapshot *s, const struct rdt_ranges *rs)
{
	assert_true(rs->n <= 256);
	s->n = rs->n;
	if (rs->n)
		memcpy(s->v, rs->v, rs->n * sizeof(rs->v[0]));
}

static void expect_same(const struct snapshot *s,
			const struct rdt_ranges *rs)
{
	check_invariants(rs);
	assert_int_equal(rs->n, s->n);
	if (s->n)
		assert_memory_equal(rs->v, s->v, s->n * sizeof(s->v[0]));
}

static void test_ranges_init_empty(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges rs;
	uint64_t s, e;

	assert_true(rdt_ranges_empty(&f->rs));
	assert_int_equal(f->fm.calls, 0);
	assert_false(rdt_ranges_contains(&f->rs, 0, 1));
	assert_int_equal(rdt_ranges_count_in(&f->rs, 0, UINT64_MAX), 0);
	assert_int_equal(rdt_ranges_first_gap(&f->rs, 3, 9, &s, &e), 1);
	assert_int_equal(s, 3);
	assert_int_equal(e, 9);
	/* A set with no room at all is a caller bug. */
	assert_int_equal(rdt_ranges_init(&rs, 0, &f->fm.mem),
			 RDT_ERR_INVALID);
	assert_int_equal(rdt_ranges_init(&rs, 4, NULL), RDT_ERR_INVALID);
}

static void test_ranges_add_disjoint_counts(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 30, 35), 5);
	/* Below the lowest range: inserted at the front. */
	assert_int_equal(rdt_ranges_add(rs, 0, 5), 5);
	/* Between two ranges without touching either. */
	assert_int_equal(rdt_ranges_add(rs, 22, 28), 6);
	EXPECT(rs, 0, 5, 10, 20, 22, 28, 30, 35);
	assert_false(rdt_ranges_empty(rs));
}

static void test_ranges_add_adjacent_merges(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	/* [a, b) + [b, c) is one range. */
	assert_int_equal(rdt_ranges_add(rs, 20, 25), 5);
	EXPECT(rs, 10, 25);
	/* Adjacent on the left. */
	assert_int_equal(rdt_ranges_add(rs, 5, 10), 5);
	EXPECT(rs, 5, 25);
	/* A range that exactly fills a gap joins both neighbours. */
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	assert_int_equal(rdt_ranges_add(rs, 25, 30), 5);
	EXPECT(rs, 5, 40);
}

static void test_ranges_add_overlap_counts(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 0, 10), 10);
	assert_int_equal(rdt_ranges_add(rs, 5, 15), 5);
	EXPECT(rs, 0, 15);
	assert_int_equal(rdt_ranges_add(rs, 20, 30), 10);
	assert_int_equal(rdt_ranges_add(rs, 40, 50), 10);
	/* Bridges three ranges: only the two gaps (15..20, 30..40) are new,
	 * plus 50..55 past the last one. */
	assert_int_equal(rdt_ranges_add(rs, 12, 55), 5 + 10 + 5);
	EXPECT(rs, 0, 55);
	/* A superset of everything: adds both ends. */
	assert_int_equal(rdt_ranges_add(rs, 100, 110), 10);
	assert_int_equal(rdt_ranges_add(rs, 0, 200), 200 - 55 - 10);
	EXPECT(rs, 0, 200);
}

static void test_ranges_add_duplicate_returns_zero(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 10, 20), 0);
	/* Contained strictly inside, and touching either edge. */
	assert_int_equal(rdt_ranges_add(rs, 12, 18), 0);
	assert_int_equal(rdt_ranges_add(rs, 10, 11), 0);
	assert_int_equal(rdt_ranges_add(rs, 19, 20), 0);
	/* Empty and inverted ranges are no-ops. */
	assert_int_equal(rdt_ranges_add(rs, 50, 50), 0);
	assert_int_equal(rdt_ranges_add(rs, 60, 50), 0);
	EXPECT(rs, 10, 20);
}

static void test_ranges_add_in_order_is_one_range(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;
	uint64_t pn;
	unsigned long calls;

	/* The receive path: packet numbers arriving one by one. */
	for (pn = 0; pn < 10000; pn++)
		assert_int_equal(rdt_ranges_add(rs, pn, pn + 1), 1);
	EXPECT(rs, 0, 10000);
	/* With a gap below, in-order arrivals extend the highest range. */
	assert_int_equal(rdt_ranges_add(rs, 10001, 10002), 1);
	calls = f->fm.calls;
	for (pn = 10002; pn < 20000; pn++)
		assert_int_equal(rdt_ranges_add(rs, pn, pn + 1), 1);
	EXPECT(rs, 0, 10000, 10001, 20000);
	/* Extending never allocates. */
	assert_int_equal(f->fm.calls, calls);
}

static void test_ranges_max_nobuf_unchanged(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = reinit(f, 3);
	struct snapshot snap;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	assert_int_equal(rdt_ranges_add(rs, 50, 60), 10);
	take(&snap, rs);
	/* A fourth disjoint range does not fit, anywhere. */
	assert_int_equal(rdt_ranges_add(rs, 0, 5), RDT_ERR_NOBUF);
	expect_same(&snap, rs);
	assert_int_equal(rdt_ranges_add(rs, 25, 26), RDT_ERR_NOBUF);
	expect_same(&snap, rs);
	assert_int_equal(rdt_ranges_add(rs, 70, 80), RDT_ERR_NOBUF);
	expect_same(&snap, rs);
	/* Extending or merging needs no new slot and still works. */
	assert_int_equal(rdt_ranges_add(rs, 60, 65), 5);
	assert_int_equal(rdt_ranges_add(rs, 5, 10), 5);
	assert_int_equal(rdt_ranges_add(rs, 20, 30), 10);
	EXPECT(rs, 5, 40, 50, 65);
	/* The array never grows beyond max. */
	assert_true(rs->cap <= 3);
	/* Now there is room again. */
	assert_int_equal(rdt_ranges_add(rs, 70, 80), 10);
	EXPECT(rs, 5, 40, 50, 65, 70, 80);
}

static void test_ranges_remove_splits(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 0, 100), 100);
	/* A hole in the middle splits the range. */
	assert_int_equal(rdt_ranges_remove(rs, 40, 60), 0);
	EXPECT(rs, 0, 40, 60, 100);
	/* Trimming either edge of a range. */
	assert_int_equal(rdt_ranges_remove(rs, 0, 10), 0);
	assert_int_equal(rdt_ranges_remove(rs, 90, 100), 0);
	EXPECT(rs, 10, 40, 60, 90);
	/* Removing values that are not there is a no-op. */
	assert_int_equal(rdt_ranges_remove(rs, 40, 60), 0);
	assert_int_equal(rdt_ranges_remove(rs, 200, 300), 0);
	assert_int_equal(rdt_ranges_remove(rs, 0, 10), 0);
	assert_int_equal(rdt_ranges_remove(rs, 30, 20), 0);
	EXPECT(rs, 10, 40, 60, 90);
	/* Spanning several ranges: trims the outer two, drops the middle. */
	assert_int_equal(rdt_ranges_add(rs, 45, 50), 5);
	assert_int_equal(rdt_ranges_remove(rs, 30, 70), 0);
	EXPECT(rs, 10, 30, 70, 90);
	/* Exactly one whole range. */
	assert_int_equal(rdt_ranges_remove(rs, 10, 30), 0);
	EXPECT(rs, 70, 90);
	/* Everything. */
	assert_int_equal(rdt_ranges_remove(rs, 0, UINT64_MAX), 0);
	assert_true(rdt_ranges_empty(rs));
}

static void test_ranges_remove_split_nobuf_unchanged(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = reinit(f, 2);
	struct snapshot snap;

	assert_int_equal(rdt_ranges_add(rs, 0, 100), 100);
	assert_int_equal(rdt_ranges_add(rs, 200, 300), 100);
	take(&snap, rs);
	/* Splitting would need a third range. */
	assert_int_equal(rdt_ranges_remove(rs, 40, 60), RDT_ERR_NOBUF);
	expect_same(&snap, rs);
	/* Trimming needs none. */
	assert_int_equal(rdt_ranges_remove(rs, 90, 210), 0);
	EXPECT(rs, 0, 90, 210, 300);
}

static void test_ranges_remove_below(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	assert_int_equal(rdt_ranges_add(rs, 50, 60), 10);
	rdt_ranges_remove_below(rs, 5);
	EXPECT(rs, 10, 20, 30, 40, 50, 60);
	/* A point on a range's end drops the whole range. */
	rdt_ranges_remove_below(rs, 20);
	EXPECT(rs, 30, 40, 50, 60);
	/* A point inside a range trims it. */
	rdt_ranges_remove_below(rs, 35);
	EXPECT(rs, 35, 40, 50, 60);
	/* A point in a gap. */
	rdt_ranges_remove_below(rs, 45);
	EXPECT(rs, 50, 60);
	rdt_ranges_remove_below(rs, UINT64_MAX);
	assert_true(rdt_ranges_empty(rs));
	rdt_ranges_remove_below(rs, 7);
	assert_true(rdt_ranges_empty(rs));
}

static void test_ranges_drop_lowest(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	/* Dropping from an empty set is a no-op. */
	rdt_ranges_drop_lowest(rs);
	assert_true(rdt_ranges_empty(rs));
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 50, 60), 10);
	rdt_ranges_drop_lowest(rs);
	EXPECT(rs, 30, 40, 50, 60);
	rdt_ranges_drop_lowest(rs);
	rdt_ranges_drop_lowest(rs);
	assert_true(rdt_ranges_empty(rs));
}

static void test_ranges_contains(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	assert_true(rdt_ranges_contains(rs, 10, 20));
	assert_true(rdt_ranges_contains(rs, 12, 13));
	assert_true(rdt_ranges_contains(rs, 39, 40));
	assert_false(rdt_ranges_contains(rs, 9, 11));
	assert_false(rdt_ranges_contains(rs, 19, 21));
	/* Two ranges with a gap between do not contain the span. */
	assert_false(rdt_ranges_contains(rs, 15, 35));
	assert_false(rdt_ranges_contains(rs, 20, 30));
	assert_false(rdt_ranges_contains(rs, 40, 41));
	/* The empty range is in every set. */
	assert_true(rdt_ranges_contains(rs, 25, 25));
}

static void test_ranges_count_in(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	assert_int_equal(rdt_ranges_add(rs, 50, 60), 10);
	assert_int_equal(rdt_ranges_count_in(rs, 0, 100), 30);
	assert_int_equal(rdt_ranges_count_in(rs, 15, 35), 5 + 5);
	assert_int_equal(rdt_ranges_count_in(rs, 20, 30), 0);
	assert_int_equal(rdt_ranges_count_in(rs, 12, 14), 2);
	assert_int_equal(rdt_ranges_count_in(rs, 39, 51), 2);
	assert_int_equal(rdt_ranges_count_in(rs, 60, UINT64_MAX), 0);
	assert_int_equal(rdt_ranges_count_in(rs, 14, 14), 0);
}

static void test_ranges_first_gap(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;
	uint64_t s = 0, e = 0;

	assert_int_equal(rdt_ranges_add(rs, 10, 20), 10);
	assert_int_equal(rdt_ranges_add(rs, 30, 40), 10);
	/* Start covered: the gap begins where that range ends. */
	assert_int_equal(rdt_ranges_first_gap(rs, 12, 100, &s, &e), 1);
	assert_int_equal(s, 20);
	assert_int_equal(e, 30);
	/* Start in a gap: the gap runs to the next range. */
	assert_int_equal(rdt_ranges_first_gap(rs, 0, 100, &s, &e), 1);
	assert_int_equal(s, 0);
	assert_int_equal(e, 10);
	/* The gap is clipped to the query. */
	assert_int_equal(rdt_ranges_first_gap(rs, 22, 25, &s, &e), 1);
	assert_int_equal(s, 22);
	assert_int_equal(e, 25);
	assert_int_equal(rdt_ranges_first_gap(rs, 35, 50, &s, &e), 1);
	assert_int_equal(s, 40);
	assert_int_equal(e, 50);
	/* Fully covered, and empty queries. */
	assert_int_equal(rdt_ranges_first_gap(rs, 10, 20, &s, &e), 0);
	assert_int_equal(rdt_ranges_first_gap(rs, 31, 33, &s, &e), 0);
	assert_int_equal(rdt_ranges_first_gap(rs, 25, 25, &s, &e), 0);
}

static void test_ranges_extreme_values(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;
	uint64_t top = UINT64_MAX, s, e;

	assert_int_equal(rdt_ranges_add(rs, top - 10, top), 10);
	assert_int_equal(rdt_ranges_add(rs, 0, 1), 1);
	assert_int_equal(rdt_ranges_remove(rs, top - 5, top - 4), 0);
	EXPECT(rs, 0, 1, top - 10, top - 5, top - 4, top);
	assert_true(rdt_ranges_contains(rs, top - 1, top));
	assert_int_equal(rdt_ranges_count_in(rs, 0, top), 10);
	assert_int_equal(rdt_ranges_first_gap(rs, top - 10, top, &s, &e), 1);
	assert_int_equal(s, top - 5);
	assert_int_equal(e, top - 4);
	rdt_ranges_remove_below(rs, top - 1);
	EXPECT(rs, top - 1, top);
	/* A count beyond INT64_MAX saturates instead of looking negative. */
	rdt_ranges_remove_below(rs, top);
	assert_int_equal(rdt_ranges_add(rs, 0, top), INT64_MAX);
	EXPECT(rs, 0, top);
}

static void test_ranges_free_and_reuse(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = &f->rs;

	assert_int_equal(rdt_ranges_add(rs, 1, 2), 1);
	rdt_ranges_free(rs);
	assert_true(rdt_ranges_empty(rs));
	assert_int_equal(f->fm.live, 0);
	/* Freeing twice is harmless, and the set works again after. */
	rdt_ranges_free(rs);
	assert_int_equal(rdt_ranges_add(rs, 5, 9), 4);
	EXPECT(rs, 5, 9);
}

static void test_ranges_growth_is_geometric(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges *rs = reinit(f, 1000);
	uint64_t k;
	unsigned long calls = f->fm.calls;

	/* 1000 disjoint ranges: a doubling array needs about log2 blocks. */
	for (k = 0; k < 1000; k++)
		assert_int_equal(rdt_ranges_add(rs, 2 * k, 2 * k + 1), 1);
	check_invariants(rs);
	assert_int_equal(rs->n, 1000);
	assert_int_equal(rs->cap, 1000);
	assert_true(f->fm.calls - calls <= 10);
	assert_int_equal(rdt_ranges_add(rs, 5000, 5001), RDT_ERR_NOBUF);
}

/*
 * The script the torture test replays: enough disjoint ranges to make the
 * array grow several times, merges, and removals that split.
 */
static int64_t torture_op(struct rdt_ranges *rs, int step)
{
	uint64_t k = (uint64_t)step;

	if (step < 40)
		return rdt_ranges_add(rs, 10 * k, 10 * k + 3);
	if (step < 60)
		return rdt_ranges_remove(rs, 10 * (k - 40) + 1,
					 10 * (k - 40) + 2);
	if (step < 70)
		return rdt_ranges_add(rs, 50 * (k - 60), 50 * (k - 60) + 12);
	return rdt_ranges_remove(rs, 100 * (k - 70) + 5,
				 100 * (k - 70) + 6);
}

#define TORTURE_STEPS 90

static void test_ranges_alloc_failure_every_n(void **state)
{
	struct fixture *f = *state;
	struct rdt_ranges ref, *rs;
	struct fail_mem ref_mem;
	struct snapshot snap, want;
	unsigned long n;
	int step;
	int64_t rv;

	/* The result without failures. */
	fail_mem_init(&ref_mem, 0);
	assert_int_equal(rdt_ranges_init(&ref, 256, &ref_mem.mem), 0);
	for (step = 0; step < TORTURE_STEPS; step++)
		assert_true(torture_op(&ref, step) >= 0);
	take(&want, &ref);
	rdt_ranges_free(&ref);
	assert_int_equal(ref_mem.live, 0);
	assert_true(ref_mem.calls >= 3);

	for (n = 1;; n++) {
		rs = reinit(f, 256);
		f->fm.calls = 0;
		f->fm.failed = 0;
		f->fm.fail_at = n;
		for (step = 0; step < TORTURE_STEPS; step++) {
			take(&snap, rs);
			rv = torture_op(rs, step);
			if (rv == RDT_ERR_NOMEM) {
				/* Unchanged, and the retry succeeds. */
				expect_same(&snap, rs);
				rv = torture_op(rs, step);
			}
			if (rv < 0)
				print_message("fail_at %lu step %d rv %lld\n",
					      n, step, (long long)rv);
			assert_true(rv >= 0);
			check_invariants(rs);
		}
		expect_same(&want, rs);
		rdt_ranges_free(rs);
		assert_int_equal(f->fm.live, 0);
		/* Stop after the first run in which nothing failed. */
		if (f->fm.failed == 0)
			break;
		assert_int_equal(f->fm.failed, 1);
	}
	f->fm.fail_at = 0;
	assert_true(n > 3);
}

/* The differential test: a bitmap over a small universe is the model. */
#define UNIVERSE 160
#define RANDOM_OPS 20000
#define RANDOM_SEED 0x5eed2a4e5ull

struct model {
	unsigned char bit[UNIVERSE];
};

static size_t model_ranges(const struct model *m)
{
	size_t k, n = 0;

	for (k = 0; k < UNIVERSE; k++)
		if (m->bit[k] && (k == 0 || !m->bit[k - 1]))
			n++;
	return n;
}

/* Fails, naming the seed and step, unless the set equals the model. */
static void model_compare(const struct model *m, const struct rdt_ranges *rs,
			  uint64_t seed, int step)
{
	struct model got;
	size_t k;
	uint64_t x;
	int ok = 1;

	memset(&got, 0, sizeof(got));
	for (k = 0; k < rs->n; k++) {
		if (rs->v[k].start >= rs->v[k].end ||
		    rs->v[k].end > UNIVERSE ||
		    (k > 0 && rs->v[k - 1].end >= rs->v[k].start)) {
			ok = 0;
			break;
		}
		for (x = rs->v[k].start; x < rs->v[k].end; x++)
			got.bit[x] = 1;
	}
	if (!ok || rs->n > rs->max ||
	    memcmp(got.bit, m->bit, sizeof(got.bit)) != 0) {
		print_message("set differs from model: seed 0x%llx step %d\n",
			      (unsigned long long)seed, step);
		fail();
	}
}

#define CHECK(cond, seed, step)                                          \
	do {                                                             \
		if (!(cond)) {                                           \
			print_message("%s failed: seed 0x%llx step %d\n", \
				      #cond, (unsigned long long)(seed), \
				      (step));                           \
			fail();                                          \
		}                                                        \
	} while (0)

static void random_run(struct fixture *f, uint64_t seed)
{
	struct rdt_ranges *rs = &f->rs;
	struct model m, next;
	struct prng p;
	uint64_t a, b, x, gs = 0, ge = 0, cnt;
	size_t max = 0;
	int step, op, r;
	int64_t rv;

	prng_seed(&p, seed);
	memset(&m, 0, sizeof(m));
	for (step = 0; step < RANDOM_OPS; step++) {
		/* Now and then start over with a fresh bound. */
		if (step % 2000 == 0) {
			max = 1 + prng_below(&p, 12);
			rs = reinit(f, max);
			memset(&m, 0, sizeof(m));
		}
		a = prng_below(&p, UNIVERSE + 1);
		b = prng_below(&p, UNIVERSE + 1);
		if (a > b) {
			x = a;
			a = b;
			b = x;
		}
		/* Mostly short ranges, as packets and segments are. */
		if (prng_below(&p, 4) != 0 && b > a + 8)
			b = a + 1 + prng_below(&p, 8);
		op = (int)prng_below(&p, 10);
		next = m;
		switch (op) {
		case 0: case 1: case 2: case 3:
			cnt = 0;
			for (x = a; x < b; x++) {
				cnt += !next.bit[x];
				next.bit[x] = 1;
			}
			rv = rdt_ranges_add(rs, a, b);
			if (model_ranges(&next) > max) {
				CHECK(rv == RDT_ERR_NOBUF, seed, step);
			} else {
				CHECK(rv == (int64_t)cnt, seed, step);
				m = next;
			}
			break;
		case 4: case 5:
			for (x = a; x < b; x++)
				next.bit[x] = 0;
			r = rdt_ranges_remove(rs, a, b);
			if (model_ranges(&next) > max) {
				CHECK(r == RDT_ERR_NOBUF, seed, step);
			} else {
				CHECK(r == 0, seed, step);
				m = next;
			}
			break;
		case 6:
			/* Rare, or the set would stay nearly empty. */
			if (prng_below(&p, 4) == 0) {
				for (x = 0; x < a; x++)
					m.bit[x] = 0;
				rdt_ranges_remove_below(rs, a);
			} else if (prng_below(&p, 2) == 0) {
				for (x = 0; x < UNIVERSE && !m.bit[x]; x++)
					;
				for (; x < UNIVERSE && m.bit[x]; x++)
					m.bit[x] = 0;
				rdt_ranges_drop_lowest(rs);
			}
			break;
		default:
			/* Queries, against the model. */
			cnt = 0;
			for (x = a; x < b; x++)
				cnt += m.bit[x];
			CHECK(rdt_ranges_count_in(rs, a, b) == cnt, seed,
			      step);
			CHECK(!rdt_ranges_contains(rs, a, b) ==
				      !(cnt == b - a),
			      seed, step);
			r = rdt_ranges_first_gap(rs, a, b, &gs, &ge);
			for (x = a; x < b && m.bit[x]; x++)
				;
			CHECK(r == (x < b), seed, step);
			if (r) {
				CHECK(gs == x, seed, step);
				for (; x < b && !m.bit[x]; x++)
					;
				CHECK(ge == x, seed, step);
			}
			break;
		}
		model_compare(&m, rs, seed, step);
	}
}

/* RDT_TEST_SEED=0x... in the environment replays another seed. */
static void test_ranges_random_vs_bitmap(void **state)
{
	const char *env = getenv("RDT_TEST_SEED");

	random_run(*state, env ? strtoull(env, NULL, 0) : RANDOM_SEED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_ranges_init_empty),
		T(test_ranges_add_disjoint_counts),
		T(test_ranges_add_adjacent_merges),
		T(test_ranges_add_overlap_counts),
		T(test_ranges_add_duplicate_returns_zero),
		T(test_ranges_add_in_order_is_one_range),
		T(test_ranges_max_nobuf_unchanged),
		T(test_ranges_remove_splits),
		T(test_ranges_remove_split_nobuf_unchanged),
		T(test_ranges_remove_below),
		T(test_ranges_drop_lowest),
		T(test_ranges_contains),
		T(test_ranges_count_in),
		T(test_ranges_first_gap),
		T(test_ranges_extreme_values),
		T(test_ranges_free_and_reuse),
		T(test_ranges_growth_is_geometric),
		T(test_ranges_alloc_failure_every_n),
		T(test_ranges_random_vs_bitmap),
#undef T
	};

	return cmocka_run_group_tests_name("ranges", tests, NULL, NULL);
}
