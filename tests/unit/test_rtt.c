/*
 * test_rtt.c: unit tests for src/core/rtt.c.
 *
 * Each expected value is worked out by hand in the comment above it from
 * the formulas of RFC 6298 section 2 and RFC 9002 section 5:
 *   first sample R:  srtt = R, rttvar = R/2, min_rtt = R;
 *   later sample R:  adjusted = R - min(ack_delay, max_ack_delay) if that
 *                    stays >= min_rtt, else R;
 *                    rttvar = 3/4 rttvar + 1/4 |srtt - adjusted|;
 *                    srtt = 7/8 srtt + 1/8 adjusted;
 *   RTO = srtt + max(1 ms, 4 rttvar) + max_ack_delay, clamped to
 *         [min_rto, max_rto], times 2^backoff, clamped to max_rto.
 * The samples are chosen so every value is a whole number of nanoseconds
 * and integer division loses nothing.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/rtt.h"

/* The RFC 9002 6.2.2 initial RTT. */
#define INITIAL_RTT (333 * RDT_MS)
/* Bounds wide enough that only the tests about clamping meet them. */
#define NO_MIN 0
#define NO_MAX UINT64_MAX

static int setup(void **state)
{
	struct rdt_rtt *rtt = malloc(sizeof(*rtt));

	if (!rtt)
		return -1;
	rdt_rtt_init(rtt, INITIAL_RTT);
	*state = rtt;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* RTO with no ACK delay, no clamping and no backoff. */
static rdt_tstamp plain_rto(const struct rdt_rtt *rtt)
{
	return rdt_rtt_rto(rtt, 0, NO_MIN, NO_MAX, 0);
}

static void test_rtt_initial_state(void **state)
{
	struct rdt_rtt *rtt = *state;

	assert_false(rtt->has_sample);
	assert_int_equal(rtt->samples, 0);
	assert_int_equal(rtt->min_rtt, 0);
	assert_int_equal(rtt->latest_rtt, 0);
	/* srtt = 333 ms, rttvar = 333/2 = 166.5 ms. */
	assert_int_equal(rtt->srtt, 333 * RDT_MS);
	assert_int_equal(rtt->rttvar, 166500 * RDT_US);
	/* RTO = 333 + 4 * 166.5 = 999 ms: RFC 9002's initial PTO, and
	 * RFC 6298's 1 s within a millisecond. */
	assert_int_equal(plain_rto(rtt), 999 * RDT_MS);
}

static void test_rtt_first_sample(void **state)
{
	struct rdt_rtt *rtt = *state;

	/* R = 100 ms: srtt 100, rttvar 50, RTO = 100 + 4 * 50 = 300 ms. */
	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	assert_true(rtt->has_sample);
	assert_int_equal(rtt->samples, 1);
	assert_int_equal(rtt->latest_rtt, 100 * RDT_MS);
	assert_int_equal(rtt->min_rtt, 100 * RDT_MS);
	assert_int_equal(rtt->srtt, 100 * RDT_MS);
	assert_int_equal(rtt->rttvar, 50 * RDT_MS);
	assert_int_equal(plain_rto(rtt), 300 * RDT_MS);
}

static void test_rtt_later_samples(void **state)
{
	struct rdt_rtt *rtt = *state;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	/*
	 * R = 200 ms, srtt 100, rttvar 50:
	 *   rttvar = 3/4 * 50 + 1/4 * |100 - 200| = 37.5 + 25 = 62.5 ms
	 *   srtt   = 7/8 * 100 + 1/8 * 200 = 87.5 + 25 = 112.5 ms
	 *   RTO    = 112.5 + 4 * 62.5 = 362.5 ms
	 */
	rdt_rtt_update(rtt, 200 * RDT_MS, 0, 0);
	assert_int_equal(rtt->rttvar, 62500 * RDT_US);
	assert_int_equal(rtt->srtt, 112500 * RDT_US);
	assert_int_equal(plain_rto(rtt), 362500 * RDT_US);
	assert_int_equal(rtt->min_rtt, 100 * RDT_MS);
	assert_int_equal(rtt->latest_rtt, 200 * RDT_MS);
	/*
	 * R = 80 ms, srtt 112.5, rttvar 62.5:
	 *   rttvar = 3/4 * 62.5 + 1/4 * 32.5 = 46.875 + 8.125 = 55 ms
	 *   srtt   = 7/8 * 112.5 + 1/8 * 80 = 98.4375 + 10 = 108.4375 ms
	 *   RTO    = 108.4375 + 220 = 328.4375 ms
	 * and 80 ms is the new minimum.
	 */
	rdt_rtt_update(rtt, 80 * RDT_MS, 0, 0);
	assert_int_equal(rtt->rttvar, 55 * RDT_MS);
	assert_int_equal(rtt->srtt, 108437500 * RDT_NS);
	assert_int_equal(plain_rto(rtt), 328437500 * RDT_NS);
	assert_int_equal(rtt->min_rtt, 80 * RDT_MS);
	assert_int_equal(rtt->samples, 3);
}

static void test_rtt_steady_samples_converge(void **state)
{
	struct rdt_rtt *rtt = *state;
	int k;

	/* Identical samples: srtt stays put and rttvar decays towards 0,
	 * so the RTO approaches srtt + G. */
	for (k = 0; k < 200; k++)
		rdt_rtt_update(rtt, 40 * RDT_MS, 0, 0);
	assert_int_equal(rtt->srtt, 40 * RDT_MS);
	assert_true(rtt->rttvar < RDT_US);
	assert_int_equal(plain_rto(rtt), 41 * RDT_MS);
}

static void test_rtt_first_sample_ignores_ack_delay(void **state)
{
	struct rdt_rtt *rtt = *state;

	/* No min_rtt yet to judge the delay by: the sample is taken raw. */
	rdt_rtt_update(rtt, 100 * RDT_MS, 30 * RDT_MS, 25 * RDT_MS);
	assert_int_equal(rtt->srtt, 100 * RDT_MS);
	assert_int_equal(rtt->rttvar, 50 * RDT_MS);
	assert_int_equal(rtt->min_rtt, 100 * RDT_MS);
}

static void test_rtt_ack_delay_capped_and_subtracted(void **state)
{
	struct rdt_rtt *rtt = *state;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 25 * RDT_MS);
	/*
	 * R = 150 ms, ack_delay 30 ms capped at max_ack_delay 25 ms;
	 * 150 - 25 = 125 >= min_rtt 100, so adjusted = 125 ms:
	 *   rttvar = 3/4 * 50 + 1/4 * 25 = 37.5 + 6.25 = 43.75 ms
	 *   srtt   = 7/8 * 100 + 1/8 * 125 = 87.5 + 15.625 = 103.125 ms
	 * min_rtt and latest_rtt see the raw 150 ms.
	 */
	rdt_rtt_update(rtt, 150 * RDT_MS, 30 * RDT_MS, 25 * RDT_MS);
	assert_int_equal(rtt->rttvar, 43750 * RDT_US);
	assert_int_equal(rtt->srtt, 103125 * RDT_US);
	assert_int_equal(rtt->latest_rtt, 150 * RDT_MS);
	assert_int_equal(rtt->min_rtt, 100 * RDT_MS);
}

static void test_rtt_ack_delay_kept_above_min_rtt(void **state)
{
	struct rdt_rtt *rtt = *state;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 25 * RDT_MS);
	/*
	 * R = 110 ms, ack_delay 20 ms: 110 - 20 = 90 < min_rtt 100, so the
	 * delay is not subtracted and adjusted = 110 ms:
	 *   rttvar = 3/4 * 50 + 1/4 * 10 = 37.5 + 2.5 = 40 ms
	 *   srtt   = 7/8 * 100 + 1/8 * 110 = 87.5 + 13.75 = 101.25 ms
	 */
	rdt_rtt_update(rtt, 110 * RDT_MS, 20 * RDT_MS, 25 * RDT_MS);
	assert_int_equal(rtt->rttvar, 40 * RDT_MS);
	assert_int_equal(rtt->srtt, 101250 * RDT_US);
}

static void test_rtt_ack_delay_exactly_to_min_rtt(void **state)
{
	struct rdt_rtt *rtt = *state;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 25 * RDT_MS);
	/*
	 * R = 120 ms, ack_delay 20 ms: 120 - 20 = 100 == min_rtt, allowed,
	 * so adjusted = 100 ms = srtt:
	 *   rttvar = 3/4 * 50 + 0 = 37.5 ms, srtt stays 100 ms.
	 */
	rdt_rtt_update(rtt, 120 * RDT_MS, 20 * RDT_MS, 25 * RDT_MS);
	assert_int_equal(rtt->rttvar, 37500 * RDT_US);
	assert_int_equal(rtt->srtt, 100 * RDT_MS);
}

static void test_rtt_ack_delay_on_new_minimum(void **state)
{
	struct rdt_rtt *rtt = *state;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 25 * RDT_MS);
	/*
	 * R = 92 ms is a new minimum, taken before the adjustment; then
	 * 92 - 12 = 80 < 92, so nothing is subtracted: adjusted = 92 ms.
	 *   rttvar = 3/4 * 50 + 1/4 * 8 = 37.5 + 2 = 39.5 ms
	 *   srtt   = 7/8 * 100 + 1/8 * 92 = 87.5 + 11.5 = 99 ms
	 */
	rdt_rtt_update(rtt, 92 * RDT_MS, 12 * RDT_MS, 25 * RDT_MS);
	assert_int_equal(rtt->min_rtt, 92 * RDT_MS);
	assert_int_equal(rtt->rttvar, 39500 * RDT_US);
	assert_int_equal(rtt->srtt, 99 * RDT_MS);
}

static void test_rtt_min_rtt_tracking(void **state)
{
	struct rdt_rtt *rtt = *state;
	static const unsigned ms[] = { 100, 50, 70, 40, 200, 41 };
	static const unsigned want[] = { 100, 50, 50, 40, 40, 40 };
	size_t k;

	for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++) {
		/* A large ACK delay must not drag min_rtt down. */
		rdt_rtt_update(rtt, ms[k] * RDT_MS, 30 * RDT_MS,
			       30 * RDT_MS);
		assert_int_equal(rtt->latest_rtt, ms[k] * RDT_MS);
		assert_int_equal(rtt->min_rtt, want[k] * RDT_MS);
		assert_int_equal(rtt->samples, k + 1);
	}
	/* A fresh init forgets it. */
	rdt_rtt_init(rtt, INITIAL_RTT);
	assert_false(rtt->has_sample);
	rdt_rtt_update(rtt, 300 * RDT_MS, 0, 0);
	assert_int_equal(rtt->min_rtt, 300 * RDT_MS);
}

static void test_rtt_rto_granularity_floor(void **state)
{
	struct rdt_rtt *rtt = *state;

	/* R = 100 us: rttvar = 50 us, 4 * rttvar = 200 us < G = 1 ms,
	 * so RTO = 100 us + 1 ms = 1.1 ms. */
	rdt_rtt_update(rtt, 100 * RDT_US, 0, 0);
	assert_int_equal(plain_rto(rtt), 1100 * RDT_US);
}

static void test_rtt_rto_adds_max_ack_delay(void **state)
{
	struct rdt_rtt *rtt = *state;

	/* 300 ms as in the first-sample case, plus 25 ms. */
	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	assert_int_equal(rdt_rtt_rto(rtt, 25 * RDT_MS, NO_MIN, NO_MAX, 0),
			 325 * RDT_MS);
}

static void test_rtt_rto_clamped(void **state)
{
	struct rdt_rtt *rtt = *state;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	/* 300 ms is raised to min_rto (RFC 6298 2.4's 1 s) ... */
	assert_int_equal(rdt_rtt_rto(rtt, 0, RDT_S, 60 * RDT_S, 0), RDT_S);
	/* ... lowered to max_rto, and left alone inside the bounds. */
	assert_int_equal(rdt_rtt_rto(rtt, 0, 0, 200 * RDT_MS, 0),
			 200 * RDT_MS);
	assert_int_equal(rdt_rtt_rto(rtt, 0, 200 * RDT_MS, 400 * RDT_MS, 0),
			 300 * RDT_MS);
	/* Bounds that cross: max_rto wins. */
	assert_int_equal(rdt_rtt_rto(rtt, 0, 2 * RDT_S, RDT_S, 0), RDT_S);
	/* min_rto applies before the backoff: 1 s doubled twice is 4 s. */
	assert_int_equal(rdt_rtt_rto(rtt, 0, RDT_S, 60 * RDT_S, 2),
			 4 * RDT_S);
}

static void test_rtt_backoff_doubles(void **state)
{
	struct rdt_rtt *rtt = *state;
	rdt_tstamp want = 300 * RDT_MS;
	unsigned b;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	/* 300 ms * 2^b until 2^b * 300 ms passes 60 s: b = 0..7 gives
	 * 0.3, 0.6, ..., 38.4 s; b = 8 would be 76.8 s, so 60 s. */
	for (b = 0; b <= 7; b++, want *= 2)
		assert_int_equal(rdt_rtt_rto(rtt, 0, 0, 60 * RDT_S, b), want);
	assert_int_equal(rdt_rtt_rto(rtt, 0, 0, 60 * RDT_S, 8), 60 * RDT_S);
	assert_int_equal(rdt_rtt_rto(rtt, 0, 0, 60 * RDT_S, 9), 60 * RDT_S);
}

static void test_rtt_backoff_no_overflow(void **state)
{
	struct rdt_rtt *rtt = *state;
	static const unsigned big[] = { 36, 62, 63, 64, 65, 1000, UINT_MAX };
	size_t k;

	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	/* With max_rto at 60 s, every large backoff stops at 60 s. */
	for (k = 0; k < sizeof(big) / sizeof(big[0]); k++)
		assert_int_equal(rdt_rtt_rto(rtt, 0, 0, 60 * RDT_S, big[k]),
				 60 * RDT_S);
	/*
	 * With no max_rto the result saturates instead of wrapping:
	 * 3e8 ns * 2^35 ~ 1.03e19 still fits in 64 bits (exact), and
	 * 3e8 * 2^36 ~ 2.06e19 does not.
	 */
	assert_int_equal(rdt_rtt_rto(rtt, 0, 0, NO_MAX, 35),
			 (300 * RDT_MS) << 35);
	for (k = 0; k < sizeof(big) / sizeof(big[0]); k++)
		assert_int_equal(rdt_rtt_rto(rtt, 0, 0, NO_MAX, big[k]),
				 UINT64_MAX);
}

static void test_rtt_huge_values_saturate(void **state)
{
	struct rdt_rtt *rtt = *state;
	rdt_tstamp rto;

	/* Absurd inputs must give a long timeout, never a short one. */
	rdt_rtt_init(rtt, UINT64_MAX);
	rto = rdt_rtt_rto(rtt, UINT64_MAX, 0, NO_MAX, 0);
	assert_int_equal(rto, UINT64_MAX);
	rto = rdt_rtt_rto(rtt, 0, 0, NO_MAX, 0);
	assert_true(rto >= rtt->srtt);
	rdt_rtt_update(rtt, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	rdt_rtt_update(rtt, UINT64_MAX, 0, 0);
	assert_true(rtt->srtt > 100 * RDT_S);
	assert_true(rdt_rtt_rto(rtt, 0, 0, NO_MAX, 0) >= rtt->srtt);
	/* And the estimator recovers once sane samples arrive. */
	rdt_rtt_init(rtt, INITIAL_RTT);
	rdt_rtt_update(rtt, 100 * RDT_MS, 0, 0);
	assert_int_equal(plain_rto(rtt), 300 * RDT_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_rtt_initial_state),
		T(test_rtt_first_sample),
		T(test_rtt_later_samples),
		T(test_rtt_steady_samples_converge),
		T(test_rtt_first_sample_ignores_ack_delay),
		T(test_rtt_ack_delay_capped_and_subtracted),
		T(test_rtt_ack_delay_kept_above_min_rtt),
		T(test_rtt_ack_delay_exactly_to_min_rtt),
		T(test_rtt_ack_delay_on_new_minimum),
		T(test_rtt_min_rtt_tracking),
		T(test_rtt_rto_granularity_floor),
		T(test_rtt_rto_adds_max_ack_delay),
		T(test_rtt_rto_clamped),
		T(test_rtt_backoff_doubles),
		T(test_rtt_backoff_no_overflow),
		T(test_rtt_huge_values_saturate),
#undef T
	};

	return cmocka_run_group_tests_name("rtt", tests, NULL, NULL);
}
