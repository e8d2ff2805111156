/*
 * test_cc_cubic.c: unit tests for src/core/cc_cubic.c (RFC 9438 with
 * RFC 9406 HyStart++).
 *
 * A test acknowledges whole windows ("rounds") of mss-sized packets sent
 * after any recovery began, and feeds HyStart++ the per-ACK samples the
 * connection would, with an RTT it chooses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cc.h"

#define MSS 1000
#define T0 RDT_S
#define RTT (40 * RDT_MS)

struct fixture {
	struct rdt_cc cc;
	rdt_tstamp t;
	uint64_t delivered;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->t = T0;
	rdt_cc_init(&f->cc, &rdt_cc_cubic, MSS, f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* One round: the window's packets, sent now, acked one RTT later, each
 * ACK with a sample measuring |rtt|. */
static void round_trip(struct fixture *f, rdt_tstamp rtt)
{
	uint64_t n = f->cc.cwnd / MSS, i, round_start = f->delivered;
	rdt_tstamp sent = f->t;
	struct rdt_rate_sample rs;

	f->t += rtt;
	for (i = 0; i < n; i++) {
		f->cc.ops->on_ack(&f->cc, MSS, sent, 0, f->t);
		memset(&rs, 0, sizeof(rs));
		/* The first ACK of the round starts it. */
		rs.prior_delivered = i == 0 ? f->delivered : round_start;
		f->delivered += MSS;
		rs.delivered_total = f->delivered;
		rs.acked = MSS;
		rs.rtt = rtt;
		rs.srtt = rtt;
		rdt_cc_on_ack_sample(&f->cc, &rs, f->t);
	}
}

/* A loss cuts the window to 0.7 of itself, once per recovery period. */
static void test_cc_cubic_beta(void **state)
{
	struct fixture *f = *state;
	uint64_t w;

	f->cc.cwnd = 100 * MSS;
	f->cc.ops->on_congestion(&f->cc, f->t - RDT_MS, f->t);
	assert_int_equal(f->cc.cwnd, 70 * MSS);
	assert_int_equal(f->cc.ssthresh, 70 * MSS);
	w = f->cc.cwnd;
	f->cc.ops->on_congestion(&f->cc, f->t - RDT_MS, f->t + RDT_MS);
	assert_int_equal(f->cc.cwnd, w);
	/* Undo puts it back. */
	f->cc.ops->on_spurious(&f->cc, f->t);
	assert_int_equal(f->cc.cwnd, 100 * MSS);
}

/* After a reduction from W_max = 100 packets, on a path with a 1 s RTT
 * (where the cubic curve, not the Reno-friendly estimate, leads) the
 * window is back near W_max at K = cbrt(100 * 0.3 / 0.4) = 4.2 s, stays
 * flat around it, and grows past it in the convex region beyond. */
static void test_cc_cubic_regrowth_around_k(void **state)
{
	struct fixture *f = *state;
	rdt_tstamp cut;

	f->cc.cwnd = 100 * MSS;
	f->cc.ssthresh = 100 * MSS;
	f->cc.ops->on_congestion(&f->cc, f->t - RDT_MS, f->t);
	cut = f->t;
	f->t += RDT_MS;	/* what follows was sent after the cut */
	round_trip(f, RDT_S);
	/* Concave: fast at first (Reno-friendly growth alone: 70.5). */
	assert_true(f->cc.cwnd > 75 * MSS);
	while (f->t < cut + 3 * RDT_S)
		round_trip(f, RDT_S);
	assert_true(f->cc.cwnd > 95 * MSS);
	assert_true(f->cc.cwnd < 101 * MSS);
	while (f->t < cut + 8 * RDT_S)
		round_trip(f, RDT_S);
	assert_true(f->cc.cwnd > 105 * MSS);
}

/* With a 40 ms RTT the Reno-friendly estimate leads (RFC 9438 4.3): it
 * grows 0.53 packets per RTT up to W_max and one per RTT beyond, so 4 s
 * (100 rounds) after the cut the window is near 70 + 57 * 0.53 + 43. */
static void test_cc_cubic_reno_friendly(void **state)
{
	struct fixture *f = *state;
	rdt_tstamp cut;

	f->cc.cwnd = 100 * MSS;
	f->cc.ssthresh = 100 * MSS;
	f->cc.ops->on_congestion(&f->cc, f->t - RDT_MS, f->t);
	cut = f->t;
	f->t += RDT_MS;	/* what follows was sent after the cut */
	while (f->t < cut + 4 * RDT_S)
		round_trip(f, RTT);
	assert_true(f->cc.cwnd > 135 * MSS);
	assert_true(f->cc.cwnd < 148 * MSS);
}

/* HyStart++: an RTT that rises by more than its threshold moves slow
 * start to conservative slow start and, five rounds later, ends it
 * without any loss. */
static void test_cc_cubic_hystart_exit(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 3; i++)
		round_trip(f, RTT);
	assert_string_equal(rdt_cc_state_name(&f->cc), "slow_start");
	round_trip(f, RTT + 10 * RDT_MS);
	assert_string_equal(rdt_cc_state_name(&f->cc),
			    "conservative_slow_start");
	for (i = 0; i < 6; i++)
		round_trip(f, RTT + 10 * RDT_MS);
	assert_int_equal(f->cc.congestion_events, 0);
	assert_true(f->cc.ssthresh != UINT64_MAX);
	assert_string_equal(rdt_cc_state_name(&f->cc),
			    "congestion_avoidance");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cc_cubic_beta),
		T(test_cc_cubic_regrowth_around_k),
		T(test_cc_cubic_reno_friendly),
		T(test_cc_cubic_hystart_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
