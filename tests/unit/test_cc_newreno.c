/*
 * test_cc_newreno.c: unit tests for src/core/cc_newreno.c and the
 * registry in src/core/cc.c.
 *
 * A test drives one struct rdt_cc through the hooks the connection would
 * call, owning its clock |t| and advancing it by hand.  "Acking a round"
 * means acknowledging, one mss-sized packet at a time, as many bytes as
 * the window held when the round began, all sent after any recovery
 * started.  Window sizes are worked out in the comments with mss 1200
 * unless a test says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/cc.h"

#define MSS 1200
/* Time 0 means "never in recovery" to struct rdt_cc; start later. */
#define T0 (1 * RDT_S)

struct fixture {
	struct rdt_cc cc;
	rdt_tstamp t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->t = T0;
	rdt_cc_init(&f->cc, &rdt_cc_newreno, MSS, f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void ack(struct rdt_cc *cc, uint64_t bytes, rdt_tstamp sent,
		rdt_tstamp now)
{
	cc->ops->on_ack(cc, bytes, sent, 0, now);
}

/*
 * Acks one round: the window's worth of mss-sized packets, sent at
 * |*t| and acked 50 ms later.  Returns the window the round started with.
 */
static uint64_t ack_round(struct rdt_cc *cc, rdt_tstamp *t)
{
	uint64_t w = cc->cwnd, k;
	rdt_tstamp sent = *t;

	*t += 50 * RDT_MS;
	for (k = 0; k < w / cc->mss; k++)
		ack(cc, cc->mss, sent, *t);
	return w;
}

static void test_cc_newreno_initial_window(void **state)
{
	struct fixture *f = *state;
	static const struct {
		size_t mss;
		uint64_t iw;
	} cases[] = {
		/* min(10 * mss, max(2 * mss, 14720)), RFC 9002 7.2 */
		{ 1200, 12000 },	/* 10 * 1200 is under 14720 */
		{ 1400, 14000 },	/* 10 * 1400 is under 14720 */
		{ 1472, 14720 },	/* exactly the cap */
		{ 1500, 14720 },	/* 15000 is capped */
		{ 9000, 18000 },	/* 2 * 9000 beats 14720 */
		{ 500, 5000 },
	};
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		rdt_cc_init(&f->cc, &rdt_cc_newreno, cases[k].mss, f->t);
		assert_ptr_equal(f->cc.ops, &rdt_cc_newreno);
		assert_int_equal(f->cc.mss, cases[k].mss);
		assert_int_equal(f->cc.cwnd, cases[k].iw);
		assert_int_equal(f->cc.ssthresh, UINT64_MAX);
		assert_int_equal(f->cc.recovery_start, 0);
		assert_int_equal(f->cc.congestion_events, 0);
	}
}

static void test_cc_newreno_find_by_name(void **state)
{
	struct fixture *f = *state;
	const struct rdt_cc_ops *ops = &rdt_cc_newreno;

	assert_ptr_equal(rdt_cc_find("newreno"), ops);
	/* BBR is the default (see cc.c for the measurements). */
	assert_ptr_equal(rdt_cc_default(), &rdt_cc_bbr);
	assert_ptr_equal(rdt_cc_find("bbr"), &rdt_cc_bbr);
	assert_ptr_equal(rdt_cc_find("cubic"), &rdt_cc_cubic);
	assert_string_equal(ops->name, "newreno");
	assert_null(rdt_cc_find("vegas"));
	assert_null(rdt_cc_find(""));
	assert_null(rdt_cc_find("newreno "));
	assert_null(rdt_cc_find(NULL));
	/* Every hook, the optional one included, is provided. */
	assert_non_null(ops->init);
	assert_non_null(ops->on_ack);
	assert_non_null(ops->on_congestion);
	assert_non_null(ops->on_rto);
	assert_non_null(ops->on_spurious);
	/* init wipes what was there and NULL picks the default. */
	f->cc.priv[3] = 99;
	f->cc.congestion_events = 7;
	rdt_cc_init(&f->cc, NULL, 1400, f->t);
	assert_ptr_equal(f->cc.ops, rdt_cc_default());
	assert_int_equal(f->cc.priv[3], 0);
	assert_int_equal(f->cc.congestion_events, 0);
	assert_int_equal(f->cc.cwnd, 14000);
}

static void test_cc_newreno_slow_start_doubles(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;

	/* One byte of window per byte acked: 12000 -> 24000 -> 48000. */
	assert_int_equal(ack_round(cc, &f->t), 12000);
	assert_int_equal(cc->cwnd, 24000);
	assert_int_equal(ack_round(cc, &f->t), 24000);
	assert_int_equal(cc->cwnd, 48000);
	/* Partial ACKs count byte for byte. */
	ack(cc, 100, f->t, f->t + RDT_MS);
	assert_int_equal(cc->cwnd, 48100);
	assert_int_equal(cc->congestion_events, 0);
}

static void test_cc_newreno_congestion_avoidance_one_mss(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;
	int k;

	/* A loss at 12000 leaves cwnd = ssthresh = 6000: avoidance. */
	f->t += 10 * RDT_MS;
	cc->ops->on_congestion(cc, f->t - RDT_MS, f->t);
	assert_int_equal(cc->cwnd, 6000);
	assert_int_equal(cc->ssthresh, 6000);
	/* 6000 bytes acked (five packets) grow the window by one mss;
	 * four packets are not yet a window. */
	f->t += RDT_MS;
	for (k = 0; k < 4; k++)
		ack(cc, MSS, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	ack(cc, MSS, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 7200);
	/* Then one mss per window: 7200 -> 8400 -> 9600. */
	assert_int_equal(ack_round(cc, &f->t), 7200);
	assert_int_equal(cc->cwnd, 8400);
	assert_int_equal(ack_round(cc, &f->t), 8400);
	assert_int_equal(cc->cwnd, 9600);
	/* Byte counting: small ACKs add up the same way (9600 / 600 = 16
	 * ACKs of half a packet make one window). */
	for (k = 0; k < 15; k++)
		ack(cc, MSS / 2, f->t, f->t + 60 * RDT_MS);
	assert_int_equal(cc->cwnd, 9600);
	ack(cc, MSS / 2, f->t, f->t + 60 * RDT_MS);
	assert_int_equal(cc->cwnd, 10800);
	assert_int_equal(cc->ssthresh, 6000);
}

static void test_cc_newreno_loss_halves_once_per_recovery(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;
	rdt_tstamp before = f->t + 100 * RDT_MS;
	rdt_tstamp start = f->t + 200 * RDT_MS;
	rdt_tstamp after;

	/* Loss of a packet sent at |before|, detected at |start|:
	 * 12000 / 2 = 6000, the period begins. */
	cc->ops->on_congestion(cc, before, start);
	assert_int_equal(cc->cwnd, 6000);
	assert_int_equal(cc->ssthresh, 6000);
	assert_int_equal(cc->recovery_start, start);
	assert_int_equal(cc->congestion_events, 1);
	assert_int_equal(cc->prior_cwnd, 12000);
	assert_int_equal(cc->prior_ssthresh, UINT64_MAX);
	/* More losses from the same flight (sent at or before the start)
	 * change nothing. */
	cc->ops->on_congestion(cc, before, start + 10 * RDT_MS);
	cc->ops->on_congestion(cc, before + RDT_MS, start + 20 * RDT_MS);
	cc->ops->on_congestion(cc, start, start + 30 * RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	assert_int_equal(cc->ssthresh, 6000);
	assert_int_equal(cc->recovery_start, start);
	assert_int_equal(cc->congestion_events, 1);
	/* A packet sent after the start is a new signal: 6000 / 2 = 3000. */
	after = start + 1;
	f->t = start + 300 * RDT_MS;
	cc->ops->on_congestion(cc, after, f->t);
	assert_int_equal(cc->cwnd, 3000);
	assert_int_equal(cc->ssthresh, 3000);
	assert_int_equal(cc->recovery_start, f->t);
	assert_int_equal(cc->congestion_events, 2);
	assert_int_equal(cc->prior_cwnd, 6000);
	assert_int_equal(cc->prior_ssthresh, 6000);
}

static void test_cc_newreno_no_growth_before_recovery(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;
	rdt_tstamp start = f->t + 200 * RDT_MS;

	cc->ops->on_congestion(cc, f->t, start);
	assert_int_equal(cc->cwnd, 6000);
	/* ACKs for the flight sent before (or at) the start grow nothing,
	 * however many arrive. */
	ack(cc, 6000, f->t, start + RDT_MS);
	ack(cc, 6000, start - 1, start + RDT_MS);
	ack(cc, 6000, start, start + RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	/* The first packet sent after the start ends recovery: its bytes
	 * count (a full window at once grows one mss). */
	ack(cc, 6000, start + 1, start + 60 * RDT_MS);
	assert_int_equal(cc->cwnd, 7200);
}

static void test_cc_newreno_app_limited_no_growth(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;
	int k;

	/* In slow start. */
	for (k = 0; k < 10; k++)
		cc->ops->on_ack(cc, MSS, f->t, 1, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 12000);
	/* In congestion avoidance the byte counter does not move either:
	 * after 40 app-limited packets, 4 real ones are still short of a
	 * window of 6000 and the fifth completes it. */
	f->t += 100 * RDT_MS;
	cc->ops->on_congestion(cc, f->t - RDT_MS, f->t);
	f->t += RDT_MS;
	for (k = 0; k < 40; k++)
		cc->ops->on_ack(cc, MSS, f->t, 1, f->t + 50 * RDT_MS);
	for (k = 0; k < 4; k++)
		ack(cc, MSS, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	ack(cc, MSS, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 7200);
}

static void test_cc_newreno_rto_collapses_then_slow_start(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;

	/* Grow to 24000 first. */
	ack_round(cc, &f->t);
	assert_int_equal(cc->cwnd, 24000);
	/* Timeout: ssthresh = 24000 / 2 = 12000, cwnd = 2 * mss = 2400. */
	f->t += 2 * RDT_S;
	cc->ops->on_rto(cc, f->t);
	assert_int_equal(cc->cwnd, 2400);
	assert_int_equal(cc->ssthresh, 12000);
	assert_int_equal(cc->recovery_start, f->t);
	assert_int_equal(cc->congestion_events, 1);
	assert_int_equal(cc->prior_cwnd, 24000);
	/* Slow start again, from packets sent after the timeout:
	 * 2400 -> 4800 -> 9600, then the next round stops at 12000. */
	f->t += RDT_MS;
	ack_round(cc, &f->t);
	assert_int_equal(cc->cwnd, 4800);
	ack_round(cc, &f->t);
	assert_int_equal(cc->cwnd, 9600);
	/* 9600 -> 12000 after two packets; the other six (7200 bytes)
	 * feed avoidance: 7200 / 12000 is not yet a window. */
	ack_round(cc, &f->t);
	assert_int_equal(cc->cwnd, 12000);
	/* 4800 more bytes complete the window: 12000 -> 13200. */
	ack(cc, 4800, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 13200);
}

static void test_cc_newreno_slow_start_stops_at_ssthresh(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;

	/* RTO at 12000: ssthresh 6000, cwnd 2400. */
	f->t += RDT_S;
	cc->ops->on_rto(cc, f->t);
	f->t += RDT_MS;
	ack(cc, 2400, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 4800);
	/* 2400 acked with 1200 of room: cwnd = ssthresh, 1200 carried
	 * into avoidance; 4800 more make a window of 6000. */
	ack(cc, 2400, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	ack(cc, 4799, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	ack(cc, 1, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 7200);
}

static void test_cc_newreno_loss_resets_byte_counter(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;

	/* 12000 -> 6000 in avoidance; bank 4800 bytes toward growth. */
	f->t += 100 * RDT_MS;
	cc->ops->on_congestion(cc, f->t - 1, f->t);
	f->t += RDT_MS;
	ack(cc, 4800, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 6000);
	/* A new loss: 3000.  The banked bytes belonged to the old window,
	 * so 2400 new bytes are not a window of 3000; 600 more are. */
	f->t += 100 * RDT_MS;
	cc->ops->on_congestion(cc, f->t - 1, f->t);
	assert_int_equal(cc->cwnd, 3000);
	f->t += RDT_MS;
	ack(cc, 2400, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 3000);
	ack(cc, 600, f->t, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 4200);
}

static void test_cc_newreno_spurious_restores(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;
	rdt_tstamp sent = f->t + 10 * RDT_MS;

	/* Nothing to undo yet. */
	cc->ops->on_spurious(cc, f->t);
	assert_int_equal(cc->cwnd, 12000);
	assert_int_equal(cc->ssthresh, UINT64_MAX);
	/* 24000, then a loss: 12000 / 12000. */
	ack_round(cc, &f->t);
	f->t += 100 * RDT_MS;
	cc->ops->on_congestion(cc, sent, f->t);
	assert_int_equal(cc->cwnd, 12000);
	assert_int_equal(cc->ssthresh, 12000);
	/* Some growth during recovery: 12000 -> 13200. */
	ack(cc, 12000, f->t + 1, f->t + 50 * RDT_MS);
	assert_int_equal(cc->cwnd, 13200);
	/* The "lost" packet arrives: back to 24000 and slow start. */
	f->t += 60 * RDT_MS;
	cc->ops->on_spurious(cc, f->t);
	assert_int_equal(cc->cwnd, 24000);
	assert_int_equal(cc->ssthresh, UINT64_MAX);
	assert_int_equal(cc->recovery_start, 0);
	/* The period is over: ACKs of packets from before it grow the
	 * window again (slow start: byte for byte). */
	ack(cc, MSS, sent, f->t + RDT_MS);
	assert_int_equal(cc->cwnd, 24000 + MSS);
	/* A second undo has nothing left to restore. */
	cc->cwnd = 5000;
	cc->ops->on_spurious(cc, f->t);
	assert_int_equal(cc->cwnd, 5000);
	cc->cwnd = 24000 + MSS;
	/* A real loss, even of a packet from the old flight, reduces. */
	cc->ops->on_congestion(cc, sent, f->t + 10 * RDT_MS);
	assert_int_equal(cc->cwnd, (24000 + MSS) / 2);
	/* The undo counts are not reversed. */
	assert_int_equal(cc->congestion_events, 2);
}

static void test_cc_newreno_spurious_after_rto(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;

	/* A timeout that turns out spurious (RFC 4015's case). */
	f->t += RDT_S;
	cc->ops->on_rto(cc, f->t);
	assert_int_equal(cc->cwnd, 2400);
	assert_int_equal(cc->ssthresh, 6000);
	cc->ops->on_spurious(cc, f->t + 10 * RDT_MS);
	assert_int_equal(cc->cwnd, 12000);
	assert_int_equal(cc->ssthresh, UINT64_MAX);
}

static void test_cc_newreno_floor_never_crossed(void **state)
{
	struct fixture *f = *state;
	struct rdt_cc *cc = &f->cc;
	int k;

	/* Repeated losses, each in a new period: 12000, 6000, 3000, then
	 * max(1500, 2400) = 2400 for ever. */
	for (k = 0; k < 20; k++) {
		f->t += 100 * RDT_MS;
		cc->ops->on_congestion(cc, f->t - 1, f->t);
		assert_true(cc->cwnd >= 2 * MSS);
		assert_true(cc->ssthresh >= 2 * MSS);
	}
	assert_int_equal(cc->cwnd, 2400);
	assert_int_equal(cc->congestion_events, 20);
	/* Timeouts too. */
	for (k = 0; k < 20; k++) {
		f->t += RDT_S;
		cc->ops->on_rto(cc, f->t);
		assert_int_equal(cc->cwnd, 2 * MSS);
		assert_int_equal(cc->ssthresh, 2 * MSS);
	}
	/* The same with jumbo packets: 2 * 9000 is the floor. */
	rdt_cc_init(cc, &rdt_cc_newreno, 9000, f->t);
	for (k = 0; k < 5; k++) {
		f->t += 100 * RDT_MS;
		cc->ops->on_congestion(cc, f->t - 1, f->t);
		assert_int_equal(cc->cwnd, 18000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_cc_newreno_initial_window),
		T(test_cc_newreno_find_by_name),
		T(test_cc_newreno_slow_start_doubles),
		T(test_cc_newreno_congestion_avoidance_one_mss),
		T(test_cc_newreno_loss_halves_once_per_recovery),
		T(test_cc_newreno_no_growth_before_recovery),
		T(test_cc_newreno_app_limited_no_growth),
		T(test_cc_newreno_rto_collapses_then_slow_start),
		T(test_cc_newreno_slow_start_stops_at_ssthresh),
		T(test_cc_newreno_loss_resets_byte_counter),
		T(test_cc_newreno_spurious_restores),
		T(test_cc_newreno_spurious_after_rto),
		T(test_cc_newreno_floor_never_crossed),
#undef T
	};

	return cmocka_run_group_tests_name("cc_newreno", tests, NULL, NULL);
}
