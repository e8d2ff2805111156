/*
 * test_pacer.c: unit tests for src/core/pacer.c, the token-bucket pacer.
 *
 * Rates are bytes per second; a test owns its clock and advances it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/pacer.h"

#define MSS 1400
#define T0 RDT_S

static void test_pacer_quantum_bounds(void **state)
{
	(void)state;
	/* Two datagrams at least, 1 ms of data between, 256 KiB at most. */
	assert_int_equal(rdt_pacer_quantum(1000000, MSS), 2 * MSS);
	assert_int_equal(rdt_pacer_quantum(10000000, MSS), 10000);
	assert_int_equal(rdt_pacer_quantum(200000000, MSS), 200000);
	assert_int_equal(rdt_pacer_quantum(1000000000, MSS), 262144);
}

static void test_pacer_unpaced_rate_zero(void **state)
{
	struct rdt_pacer p;
	int i;

	(void)state;
	rdt_pacer_init(&p);
	for (i = 0; i < 1000; i++) {
		assert_true(rdt_pacer_allows(&p, 0, MSS, T0));
		rdt_pacer_on_sent(&p, 0, MSS);
	}
	assert_int_equal(rdt_pacer_next_send(&p, 0), RDT_TSTAMP_NEVER);
}

/* A quantum leaves at once; then one datagram per size / rate, and the
 * deadline names the instant the credit returns. */
static void test_pacer_burst_then_spaced(void **state)
{
	struct rdt_pacer p;
	uint64_t rate = 10000000;	/* 10 MB/s: quantum 10000 B */
	rdt_tstamp t = T0, next;
	int sent = 0;

	(void)state;
	rdt_pacer_init(&p);
	while (rdt_pacer_allows(&p, rate, MSS, t)) {
		rdt_pacer_on_sent(&p, rate, MSS);
		sent++;
	}
	/* 10000 B of credit: 8 datagrams take it to 10000 - 11200 < 0. */
	assert_int_equal(sent, 8);
	assert_true(p.blocked);
	next = rdt_pacer_next_send(&p, rate);
	/* 1200 B short at 10 B/us: 120 us, plus the 1 ns to go positive. */
	assert_int_equal(next, t + 120 * RDT_US + 1);
	assert_false(rdt_pacer_allows(&p, rate, MSS, t));
	assert_true(rdt_pacer_allows(&p, rate, MSS, next));
	assert_int_equal(rdt_pacer_next_send(&p, rate), RDT_TSTAMP_NEVER);
}

/* Over a second of sending whenever allowed, the bytes sent match the
 * rate within one quantum and one datagram. */
static void test_pacer_long_run_rate(void **state)
{
	struct rdt_pacer p;
	uint64_t rate = 12500000, bytes = 0;
	rdt_tstamp t = T0;

	(void)state;
	rdt_pacer_init(&p);
	while (t < T0 + RDT_S) {
		if (rdt_pacer_allows(&p, rate, MSS, t)) {
			rdt_pacer_on_sent(&p, rate, MSS);
			bytes += MSS;
		} else {
			t = rdt_pacer_next_send(&p, rate);
		}
	}
	assert_true(bytes >= rate);
	assert_true(bytes <= rate + rdt_pacer_quantum(rate, MSS) + MSS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pacer_quantum_bounds),
		cmocka_unit_test(test_pacer_unpaced_rate_zero),
		cmocka_unit_test(test_pacer_burst_then_spaced),
		cmocka_unit_test(test_pacer_long_run_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
