/*
 * test_seq.c: unit tests for src/core/seq.h.
 *
 * Serial comparisons are checked on both sides of the 32-bit wrap;
 * truncation against hand-picked values; expansion at and around every
 * wrap point k * 2^32 for k = 0..3 with the expected value and the true
 * value on either side; expansion near zero for underflow; and finally
 * the defining property, expand(expected, truncate(x)) == x whenever
 * |x - expected| < 2^31, over many random pairs from a fixed seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/seq.h"
#include "util/prng.h"

#define WIN RDT_SEQ32_WIN
#define HWIN RDT_SEQ32_HWIN
/* The farthest apart expected and true values may be and still decode. */
#define RADIUS (HWIN - 1)

#define RANDOM_SEED 0x5e9a11c3ull
#define RANDOM_ROUNDS 200000

static void test_seq_lt_le_plain(void **state)
{
	(void)state;
	assert_true(rdt_seq32_lt(1, 2));
	assert_false(rdt_seq32_lt(2, 1));
	assert_false(rdt_seq32_lt(5, 5));
	assert_true(rdt_seq32_le(5, 5));
	assert_true(rdt_seq32_le(1, 2));
	assert_false(rdt_seq32_le(2, 1));
	assert_true(rdt_seq32_lt(0, 0x7FFFFFFFu));
	assert_false(rdt_seq32_lt(0x7FFFFFFFu, 0));
}

static void test_seq_lt_le_across_wrap(void **state)
{
	static const uint32_t base[] = {
		0xFFFFFFF0u, 0xFFFFFFFFu, 0, 0x7FFFFFFFu, 0x80000000u,
	};
	static const uint32_t step[] = { 1, 2, 16, 0x10000, 0x7FFFFFFFu };
	size_t i, j;

	(void)state;
	/* 0xFFFFFFFF comes just before 0 in serial order. */
	assert_true(rdt_seq32_lt(0xFFFFFFFFu, 0));
	assert_false(rdt_seq32_lt(0, 0xFFFFFFFFu));
	assert_true(rdt_seq32_le(0xFFFFFFF0u, 0x10));
	assert_false(rdt_seq32_le(0x10, 0xFFFFFFF0u));
	/* a + d follows a for every d in [1, 2^31 - 1], wrapped or not. */
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		for (j = 0; j < sizeof(step) / sizeof(step[0]); j++) {
			uint32_t a = base[i], b = a + step[j];

			assert_true(rdt_seq32_lt(a, b));
			assert_true(rdt_seq32_le(a, b));
			assert_false(rdt_seq32_lt(b, a));
			assert_false(rdt_seq32_le(b, a));
			assert_false(rdt_seq32_lt(a, a));
			assert_true(rdt_seq32_le(b, b));
		}
	}
}

static void test_seq_truncate(void **state)
{
	(void)state;
	assert_int_equal(rdt_seq32_truncate(0), 0);
	assert_int_equal(rdt_seq32_truncate(0xFFFFFFFFull), 0xFFFFFFFFu);
	assert_int_equal(rdt_seq32_truncate(WIN), 0);
	assert_int_equal(rdt_seq32_truncate(WIN + 7), 7);
	assert_int_equal(rdt_seq32_truncate(0x123456789ABCDEF0ull),
			 0x9ABCDEF0u);
	assert_int_equal(rdt_seq32_truncate(UINT64_MAX), 0xFFFFFFFFu);
}

/* Asserts that |x| survives the wire when the receiver expects |exp|. */
static void round_trip(uint64_t exp, uint64_t x)
{
	uint64_t got = rdt_seq32_expand(exp, rdt_seq32_truncate(x));

	if (got != x) {
		print_message("expand(0x%llx, 0x%08x) = 0x%llx, want 0x%llx\n",
			      (unsigned long long)exp,
			      (unsigned)rdt_seq32_truncate(x),
			      (unsigned long long)got, (unsigned long long)x);
		fail();
	}
}

static void test_seq_expand_around_wrap_points(void **state)
{
	/* Offsets from a wrap point for the expected and the true value. */
	static const int64_t exp_off[] = {
		-(int64_t)(HWIN / 2), -1000, -2, -1, 0, 1, 2, 1000,
		(int64_t)(HWIN / 2),
	};
	/* One less than half the window, so no pair is 2^31 apart. */
	static const int64_t x_off[] = {
		-(int64_t)(HWIN / 2 - 1), -1000, -3, -1, 0, 1, 3, 1000,
		(int64_t)(HWIN / 2 - 1),
	};
	const size_t n_exp = sizeof(exp_off) / sizeof(exp_off[0]);
	const size_t n_x = sizeof(x_off) / sizeof(x_off[0]);
	uint64_t k, w;
	size_t i, j;

	(void)state;
	for (k = 0; k <= 3; k++) {
		w = k * WIN;
		for (i = 0; i < n_exp; i++) {
			if (k == 0 && exp_off[i] < 0)
				continue;
			for (j = 0; j < n_x; j++) {
				if (k == 0 && x_off[j] < 0)
					continue;
				round_trip(w + (uint64_t)exp_off[i],
					   w + (uint64_t)x_off[j]);
			}
		}
	}
	/* Spelled out once: just above 2^32 expected, wire just below. */
	assert_int_equal(rdt_seq32_expand(WIN + 2, 0xFFFFFFFEu), WIN - 2);
	/* Just below 2^32 expected, wire just above. */
	assert_int_equal(rdt_seq32_expand(WIN - 2, 1), WIN + 1);
	assert_int_equal(rdt_seq32_expand(3 * WIN - 1, 0), 3 * WIN);
	assert_int_equal(rdt_seq32_expand(3 * WIN, 0xFFFFFFFFu), 3 * WIN - 1);
}

static void test_seq_expand_radius_edges(void **state)
{
	static const uint64_t centre[] = {
		HWIN, WIN - 1, WIN, WIN + HWIN, 2 * WIN + 12345,
		0x00000123FFFFFF00ull,
	};
	size_t i;

	(void)state;
	/* The farthest decodable values on either side of |expected|. */
	for (i = 0; i < sizeof(centre) / sizeof(centre[0]); i++) {
		round_trip(centre[i], centre[i] + RADIUS);
		round_trip(centre[i], centre[i] - RADIUS);
		round_trip(centre[i], centre[i]);
	}
}

static void test_seq_expand_near_zero_never_underflows(void **state)
{
	static const uint32_t wire[] = {
		0xFFFFFFFFu, 0xFFFFFFF0u, 0xC0000000u, 0x80000001u,
		0x80000000u, 0x7FFFFFFFu, 0, 1,
	};
	uint64_t exp, got;
	size_t i;

	(void)state;
	/*
	 * Expecting a small number, a wire value "just below zero" cannot
	 * mean a negative number: it must come back in the first window
	 * (as the header says, one window higher than the naive answer).
	 */
	for (exp = 0; exp < 64; exp++) {
		for (i = 0; i < sizeof(wire) / sizeof(wire[0]); i++) {
			got = rdt_seq32_expand(exp, wire[i]);
			assert_true(got < WIN);
			assert_int_equal(got, wire[i]);
		}
	}
	/* Likewise with the expected value anywhere in the first half. */
	assert_int_equal(rdt_seq32_expand(HWIN - 1, 0xFFFFFFFFu),
			 0xFFFFFFFFull);
	assert_int_equal(rdt_seq32_expand(1000, 0xFFFFFFF0u), 0xFFFFFFF0ull);
}

/* A random 64-bit value, often close to a wrap point. */
static uint64_t random_value(struct prng *p)
{
	uint64_t x = prng_next(p);

	switch (prng_below(p, 4)) {
	case 0:
		/* Within a few thousand of a wrap point. */
		x = (x & ~(WIN - 1)) + prng_below(p, 8192) - 4096;
		break;
	case 1:
		/* A small number, as early in a connection. */
		x = prng_below(p, 4 * WIN);
		break;
	default:
		break;
	}
	return x;
}

static void test_seq_expand_random_round_trip(void **state)
{
	const char *env = getenv("RDT_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : RANDOM_SEED;
	uint64_t x, exp, d;
	struct prng p;
	int round, ahead;

	(void)state;
	prng_seed(&p, seed);
	for (round = 0; round < RANDOM_ROUNDS; round++) {
		x = random_value(&p);
		/* Stay clear of the top of the 64-bit space, see below. */
		if (x > UINT64_MAX - 2 * WIN)
			x -= 2 * WIN;
		d = prng_below(&p, RADIUS + 1);
		/* Occasionally exactly on the edge of the radius. */
		if (prng_below(&p, 16) == 0)
			d = RADIUS;
		ahead = (int)prng_below(&p, 2);
		if (ahead) {
			exp = x + d;
		} else {
			/* Expected below zero is no expectation at all. */
			if (d > x)
				d = x;
			exp = x - d;
		}
		if (rdt_seq32_expand(exp, rdt_seq32_truncate(x)) != x) {
			print_message("seed 0x%llx round %d: x 0x%llx "
				      "expected 0x%llx\n",
				      (unsigned long long)seed, round,
				      (unsigned long long)x,
				      (unsigned long long)exp);
			fail();
		}
	}
}

int main(void)
{
	/*
	 * The values tested here stay at least two windows below 2^64:
	 * packet numbers and offsets start at zero and never get there.
	 */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_lt_le_plain),
		cmocka_unit_test(test_seq_lt_le_across_wrap),
		cmocka_unit_test(test_seq_truncate),
		cmocka_unit_test(test_seq_expand_around_wrap_points),
		cmocka_unit_test(test_seq_expand_radius_edges),
		cmocka_unit_test(test_seq_expand_near_zero_never_underflows),
		cmocka_unit_test(test_seq_expand_random_round_trip),
	};

	return cmocka_run_group_tests_name("seq", tests, NULL, NULL);
}
