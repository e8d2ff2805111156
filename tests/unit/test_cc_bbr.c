/*
 * test_cc_bbr.c: unit tests for src/core/cc_bbr.c.
 *
 * A test plays a path to BBR through per-ACK rate samples: a bottleneck
 * of BW bytes per second and a min RTT of 40 ms.  One "round" is one
 * sample whose prior_delivered has reached what was delivered when the
 * previous round's sample was made, as the connection's samples do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cc.h"

#define MSS 1400
#define T0 RDT_S
#define RTT (40 * RDT_MS)
#define BW 12500000ull			/* 100 Mbit/s */
#define BDP (BW * RTT / RDT_S)		/* 500000 bytes */

struct fixture {
	struct rdt_cc cc;
	rdt_tstamp t;
	uint64_t delivered, lost;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->t = T0;
	rdt_cc_init(&f->cc, &rdt_cc_bbr, MSS, f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* One round trip: a sample of |bw| over one RTT measured at |rtt|, with
 * |lost| bytes lost in it and |in_flight| in flight. */
static void round_trip(struct fixture *f, uint64_t bw, rdt_tstamp rtt,
		       uint64_t lost, uint64_t in_flight)
{
	struct rdt_rate_sample rs;

	memset(&rs, 0, sizeof(rs));
	f->t += RTT;
	rs.prior_delivered = f->delivered;
	rs.delivered = bw * RTT / RDT_S;
	rs.interval = RTT;
	f->delivered += rs.delivered;
	f->lost += lost;
	rs.acked = rs.delivered;
	rs.lost = lost;
	rs.delivered_total = f->delivered;
	rs.lost_total = f->lost;
	rs.rtt = rtt;
	rs.min_rtt = RTT;
	rs.srtt = rtt;
	rs.prior_in_flight = in_flight;
	rs.in_flight = in_flight;
	rdt_cc_on_ack_sample(&f->cc, &rs, f->t);
}

/* Startup paces at 2/ln 2 of the bandwidth; a bandwidth that stops
 * growing for three rounds ends it, and a drained queue leads to
 * PROBE_BW with a window of two BDPs plus the burst allowance. */
static void test_cc_bbr_startup_to_probe_bw(void **state)
{
	struct fixture *f = *state;
	int i;

	assert_string_equal(rdt_cc_state_name(&f->cc), "startup");
	round_trip(f, BW, RTT, 0, BDP);
	assert_true(f->cc.pacing_rate > BW * 28 / 10);
	assert_true(f->cc.pacing_rate < BW * 29 / 10);
	for (i = 0; i < 4; i++)
		round_trip(f, BW, RTT, 0, 2 * BDP);
	assert_string_equal(rdt_cc_state_name(&f->cc), "drain");
	assert_true(f->cc.pacing_rate < BW / 2);
	round_trip(f, BW, RTT, 0, BDP);
	assert_string_equal(rdt_cc_state_name(&f->cc), "probe_bw");
	for (i = 0; i < 20; i++)
		round_trip(f, BW, RTT, 0, BDP);
	assert_true(f->cc.cwnd >= 2 * BDP);
	assert_true(f->cc.cwnd <= 2 * BDP + 3 * 65536);
	assert_true(f->cc.ssthresh != UINT64_MAX);
}

/* Random loss on a path with no queue (RTT at its minimum) leaves the
 * window and the pacing rate alone, even at 10%. */
static void test_cc_bbr_random_loss_ignored(void **state)
{
	struct fixture *f = *state;
	uint64_t cwnd, rate;
	int i;

	for (i = 0; i < 30; i++)
		round_trip(f, BW, RTT, 0, BDP);
	cwnd = f->cc.cwnd;
	rate = f->cc.pacing_rate;
	for (i = 0; i < 30; i++)
		round_trip(f, BW, RTT, BDP / 10, BDP);
	assert_true(f->cc.cwnd >= cwnd);
	assert_true(f->cc.pacing_rate >= rate * 3 / 4);
	assert_int_equal(f->cc.congestion_events, 0);
}

/* Loss while a queue stands caps the flight below what it was; clean
 * rounds lift the cap again. */
static void test_cc_bbr_congestive_loss_caps(void **state)
{
	struct fixture *f = *state;
	uint64_t cwnd;
	int i;

	for (i = 0; i < 30; i++)
		round_trip(f, BW, RTT, 0, 2 * BDP);
	cwnd = f->cc.cwnd;
	assert_true(cwnd >= 2 * BDP);
	round_trip(f, BW, RTT * 3 / 2, BDP / 10, 2 * BDP);
	round_trip(f, BW, RTT * 3 / 2, 0, 2 * BDP);
	assert_true(f->cc.congestion_events > 0);
	assert_true(f->cc.cwnd < cwnd);
	assert_true(f->cc.cwnd >= BDP);
	for (i = 0; i < 200; i++)
		round_trip(f, BW, RTT, 0, BDP);
	assert_true(f->cc.cwnd >= 2 * BDP);
}

/* While a queue stands, clean rounds lift the cap by two datagrams each,
 * even when clean rounds without a queue had doubled the lift before
 * the queue stood again. */
static void test_cc_bbr_standing_lift(void **state)
{
	struct fixture *f = *state;
	uint64_t before;
	int i;

	for (i = 0; i < 30; i++)
		round_trip(f, BW, RTT, 0, BDP);
	/* A queue stands (each round's RTT raised), then a loss: a cut. */
	for (i = 0; i < 5; i++)
		round_trip(f, BW, RTT * 3 / 2, 0, 2 * BDP);
	round_trip(f, BW, RTT * 3 / 2, BDP / 10, 2 * BDP);
	assert_int_equal(f->cc.congestion_events, 1);
	/* Two rounds without a queue double the lift: 2, then 4 datagrams,
	 * then the queue stands again (four rounds before it counts). */
	for (i = 0; i < 2; i++)
		round_trip(f, BW, RTT, 0, BDP);
	for (i = 0; i < 5; i++)
		round_trip(f, BW, RTT * 3 / 2, 0, 2 * BDP);
	for (i = 0; i < 3; i++) {
		before = f->cc.cwnd;
		round_trip(f, BW, RTT * 3 / 2, 0, 2 * BDP);
		assert_int_equal(f->cc.cwnd - before, 2 * MSS);
	}
	assert_int_equal(f->cc.congestion_events, 1);
}

/* An RTO collapses the window; learning it was spurious restores it. */
static void test_cc_bbr_rto_and_undo(void **state)
{
	struct fixture *f = *state;
	uint64_t cwnd;
	int i;

	for (i = 0; i < 30; i++)
		round_trip(f, BW, RTT, 0, BDP);
	cwnd = f->cc.cwnd;
	f->cc.ops->on_rto(&f->cc, f->t);
	assert_int_equal(f->cc.cwnd, 4 * MSS);
	f->cc.ops->on_spurious(&f->cc, f->t);
	assert_int_equal(f->cc.cwnd, cwnd);
}

/* Five seconds without an RTT as low as the minimum: PROBE_RTT holds
 * half a BDP for 200 ms and a round, then the window comes back. */
static void test_cc_bbr_probe_rtt(void **state)
{
	struct fixture *f = *state;
	uint64_t cwnd;
	int i;

	for (i = 0; i < 30; i++)
		round_trip(f, BW, RTT, 0, BDP);
	cwnd = f->cc.cwnd;
	for (i = 0; i < 300 && strcmp(rdt_cc_state_name(&f->cc),
				      "probe_rtt") != 0; i++)
		round_trip(f, BW, RTT + RDT_MS, 0, BDP);
	assert_string_equal(rdt_cc_state_name(&f->cc), "probe_rtt");
	assert_true(f->t - T0 >= 5 * RDT_S);
	assert_true(f->t - T0 < 10 * RDT_S);
	round_trip(f, BW, RTT, 0, BDP / 2);
	assert_true(f->cc.cwnd >= BDP / 2 - MSS);
	assert_true(f->cc.cwnd <= BDP / 2 + MSS);
	for (i = 0; i < 10; i++)
		round_trip(f, BW, RTT, 0, BDP / 2);
	assert_string_equal(rdt_cc_state_name(&f->cc), "probe_bw");
	assert_true(f->cc.cwnd >= 2 * BDP);
	assert_true(cwnd >= 2 * BDP);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cc_bbr_startup_to_probe_bw),
		T(test_cc_bbr_random_loss_ignored),
		T(test_cc_bbr_congestive_loss_caps),
		T(test_cc_bbr_standing_lift),
		T(test_cc_bbr_rto_and_undo),
		T(test_cc_bbr_probe_rtt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
