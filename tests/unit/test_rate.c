/*
 * test_rate.c: unit tests for src/core/rate.c, delivery-rate samples
 * (draft-cheng-iccrg-delivery-rate-estimation).
 *
 * Each test sends records through rdt_rate_on_sent as the connection
 * would, acknowledges them with rdt_rate_on_acked and reads the sample;
 * the expected numbers are worked out beside each assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rate.h"

#define SIZE 1000
#define T0 RDT_S

static void send_at(struct rdt_rate *r, struct rdt_sent_pkt *p,
		    uint64_t in_flight, rdt_tstamp t)
{
	memset(p, 0, sizeof(*p));
	p->size = SIZE;
	p->sent_time = t;
	rdt_rate_on_sent(r, p, in_flight, t);
}

/* Ten datagrams 1 ms apart into an empty pipe, acknowledged one by one
 * 40 ms after each left: the sample on the i-th ACK covers i + 1
 * datagrams over the longer of the send phase (i ms) and the ACK phase
 * (40 + i ms, from the first send, when nothing had been delivered). */
static void test_rate_steady_flight(void **state)
{
	struct rdt_rate r;
	struct rdt_sent_pkt p[10];
	struct rdt_rate_sample rs;
	int i;

	(void)state;
	rdt_rate_init(&r);
	for (i = 0; i < 10; i++)
		send_at(&r, &p[i], (uint64_t)i * SIZE, T0 + i * RDT_MS);
	for (i = 0; i < 10; i++) {
		rdt_rate_on_acked(&r, &p[i], T0 + (40 + i) * RDT_MS);
		assert_int_equal(rdt_rate_sample(&r, &rs, 40 * RDT_MS), 1);
		assert_int_equal(rs.delivered, (uint64_t)(i + 1) * SIZE);
		assert_int_equal(rs.interval, (40 + i) * RDT_MS);
		assert_int_equal(rs.acked, SIZE);
		assert_int_equal(rs.prior_delivered, 0);
		assert_int_equal(rs.delivered_total, (uint64_t)(i + 1) * SIZE);
		assert_false(rs.is_app_limited);
	}
	/* A datagram sent now carries the delivery state: 10 delivered. */
	send_at(&r, &p[0], 0, T0 + 60 * RDT_MS);
	assert_int_equal(p[0].delivered, 10 * SIZE);
}

/* An interval shorter than the minimum RTT means compressed ACKs: no
 * valid sample; an ACK that acknowledged nothing gives none at all. */
static void test_rate_short_interval_invalid(void **state)
{
	struct rdt_rate r;
	struct rdt_sent_pkt p;
	struct rdt_rate_sample rs;

	(void)state;
	rdt_rate_init(&r);
	assert_int_equal(rdt_rate_sample(&r, &rs, 0), 0);
	send_at(&r, &p, 0, T0);
	rdt_rate_on_acked(&r, &p, T0 + 10 * RDT_MS);
	assert_int_equal(rdt_rate_sample(&r, &rs, 40 * RDT_MS), 1);
	assert_int_equal(rs.interval, 0);
	assert_int_equal(rs.acked, SIZE);
}

/* Marked app-limited, datagrams carry the mark until what was in flight
 * at the time has been delivered. */
static void test_rate_app_limited_until_delivered(void **state)
{
	struct rdt_rate r;
	struct rdt_sent_pkt a, b, c;
	struct rdt_rate_sample rs;

	(void)state;
	rdt_rate_init(&r);
	send_at(&r, &a, 0, T0);
	rdt_rate_app_limited(&r, SIZE);	/* ends once 1000 B delivered */
	send_at(&r, &b, SIZE, T0 + RDT_MS);
	assert_true(b.flags & RDT_SENT_RATE_APP_LIMITED);
	assert_false(a.flags & RDT_SENT_RATE_APP_LIMITED);
	rdt_rate_on_acked(&r, &a, T0 + 50 * RDT_MS);
	(void)rdt_rate_sample(&r, &rs, 0);
	assert_false(rs.is_app_limited);
	/* Delivered is 1000, not yet above the mark. */
	send_at(&r, &c, SIZE, T0 + 51 * RDT_MS);
	assert_true(c.flags & RDT_SENT_RATE_APP_LIMITED);
	rdt_rate_on_acked(&r, &b, T0 + 52 * RDT_MS);
	(void)rdt_rate_sample(&r, &rs, 0);
	assert_true(rs.is_app_limited);
	send_at(&r, &c, SIZE, T0 + 53 * RDT_MS);
	assert_false(c.flags & RDT_SENT_RATE_APP_LIMITED);
}

/* Losses are reported by the next sample, each once, those declared
 * between ACKs included. */
static void test_rate_lost_reported_once(void **state)
{
	struct rdt_rate r;
	struct rdt_sent_pkt p;
	struct rdt_rate_sample rs;

	(void)state;
	rdt_rate_init(&r);
	send_at(&r, &p, 0, T0);
	rdt_rate_on_lost(&r, 3 * SIZE);
	rdt_rate_on_acked(&r, &p, T0 + 50 * RDT_MS);
	assert_int_equal(rdt_rate_sample(&r, &rs, 0), 1);
	assert_int_equal(rs.lost, 3 * SIZE);
	assert_int_equal(rs.lost_total, 3 * SIZE);
	send_at(&r, &p, 0, T0 + 60 * RDT_MS);
	rdt_rate_on_acked(&r, &p, T0 + 110 * RDT_MS);
	assert_int_equal(rdt_rate_sample(&r, &rs, 0), 1);
	assert_int_equal(rs.lost, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_steady_flight),
		cmocka_unit_test(test_rate_short_interval_invalid),
		cmocka_unit_test(test_rate_app_limited_until_delivered),
		cmocka_unit_test(test_rate_lost_reported_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
