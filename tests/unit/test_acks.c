/*
 * test_acks.c: unit tests for src/core/acks.c, the receiver's decision of
 * when to acknowledge.
 *
 * The test plays the client (conn_pair.h): it forges DATA datagrams to the
 * server and looks at whether the server answers at once, after its
 * delayed-ACK timer, or not at all.  "At once" means the very next
 * rdt_conn_write_pkt at the same instant returns an ACK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/conn.h"
#include "helpers/conn_pair.h"
#include "wire/pkt.h"

#define SEED 0xacc5u
#define STREAM RDT_PKT_F_STREAM

static int setup(void **state)
{
	struct conn_pair *p = malloc(sizeof(*p));

	if (p == NULL)
		return -1;
	conn_pair_init(p, SEED);
	conn_pair_handshake(p);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct conn_pair *p = *state;

	conn_pair_free(p);
	free(p);
	return 0;
}

/* The server's answer at this very instant: 1 if it sent an ACK (whose
 * section is copied to |*pack| if not NULL), 0 if it sent nothing. */
static int acked_at_once(struct conn_pair *p, struct rdt_pkt_ack *pack)
{
	uint8_t dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;

	if (conn_pair_next(p, PAIR_SRV, &pkt, dg) == 0)
		return 0;
	assert_true(pkt.flags & RDT_PKT_F_ACK);
	if (pack)
		*pack = pkt.ack;
	/* One ACK answers everything received so far. */
	assert_int_equal(conn_pair_next(p, PAIR_SRV, &pkt, dg), 0);
	return 1;
}

/* Let the delayed-ACK timer run out and take the ACK it releases, so the
 * next case starts with nothing pending. */
static void settle(struct conn_pair *p)
{
	if (acked_at_once(p, NULL))
		return;
	conn_pair_fire(p, PAIR_SRV);
	assert_true(acked_at_once(p, NULL));
}

/* A pure ACK from the client: it acknowledges the server's ACCEPT. */
static void forge_pure_ack(struct conn_pair *p, uint32_t pn)
{
	struct rdt_pkt_ack ack = conn_pair_ack(p, p->accept.pn, p->accept.pn,
					       0);

	conn_pair_forge_pn(p, pn, RDT_PKT_F_ACK, 0, 0, &ack);
}

static void test_acks_every_second_datagram(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;

	/* The handshake left nothing to acknowledge. */
	assert_false(acked_at_once(p, NULL));
	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_false(acked_at_once(p, NULL));
	conn_pair_forge(p, STREAM, 100, 100, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 200);
	assert_int_equal(ack.largest, p->fpn - 1);
	/* The count starts again after every ACK. */
	conn_pair_forge(p, STREAM, 200, 100, NULL);
	assert_false(acked_at_once(p, NULL));
	conn_pair_forge(p, STREAM, 300, 100, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 400);
}

static void test_acks_single_waits_max_ack_delay(void **state)
{
	struct conn_pair *p = *state;
	rdt_tstamp arrival = p->t, delay = p->cfg[PAIR_SRV].max_ack_delay;
	struct rdt_pkt_ack ack;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_false(acked_at_once(p, NULL));
	assert_int_equal(rdt_conn_deadline(p->c[PAIR_SRV]), arrival + delay);
	/* Not a moment early. */
	p->t = arrival + delay - 1;
	rdt_conn_on_deadline(p->c[PAIR_SRV], p->t);
	assert_false(acked_at_once(p, NULL));
	conn_pair_fire(p, PAIR_SRV);
	assert_int_equal(p->t, arrival + delay);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 100);
	/* The ACK says how long it was held, for the sender's RTT. */
	assert_int_equal(ack.ack_delay_us, delay / RDT_US);
}

/* A pure ACK arriving while an ACK is delayed neither sends it early
 * nor moves its timer. */
static void test_acks_pure_ack_leaves_timer(void **state)
{
	struct conn_pair *p = *state;
	rdt_tstamp first = p->t, delay = p->cfg[PAIR_SRV].max_ack_delay;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_false(acked_at_once(p, NULL));
	/* A pure ACK arrives meanwhile: it asks for nothing. */
	p->t += delay / 2;
	forge_pure_ack(p, p->fpn++);
	assert_false(acked_at_once(p, NULL));
	assert_int_equal(rdt_conn_deadline(p->c[PAIR_SRV]), first + delay);
}

static void test_acks_pn_gap_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;
	uint32_t skipped = p->fpn++;

	/* The bytes are in order; only a packet number is missing. */
	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 100);
	assert_int_equal(ack.largest, skipped + 1);
	assert_int_equal(ack.first_len, 0);
}

static void test_acks_byte_gap_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;

	/* Packet numbers in order, bytes [0, 100) missing. */
	conn_pair_forge(p, STREAM, 100, 100, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn);
}

static void test_acks_reordered_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;
	uint32_t late = p->fpn++;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	settle(p);
	/* The earlier number arrives late, with bytes that continue the
	 * stream in order: only the reordering calls for the ACK. */
	conn_pair_forge_pn(p, late, STREAM, 100, 100, NULL);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_reordered, 1);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 200);
	/* Both numbers are acknowledged now, in one range. */
	assert_int_equal(ack.largest, late + 1);
	assert_true(ack.first_len >= 1);
}

static void test_acks_filled_hole_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;

	conn_pair_forge(p, STREAM, 100, 100, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn);
	/* In order by packet number, the first of a new pair, and yet due
	 * at once: it moves the cumulative point past held bytes. */
	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 200);
}

static void test_acks_ping_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;

	conn_pair_forge(p, RDT_PKT_F_PING, 0, 0, NULL);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.largest, p->fpn - 1);
}

static void test_acks_duplicate_data_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;
	uint32_t pn = p->fpn;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	settle(p);
	/* The same bytes again under a new number: our ACK was lost. */
	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.bytes_duplicate,
			 100);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 100);
	/* The very same datagram again (same number). */
	conn_pair_forge_pn(p, pn, STREAM, 0, 100, NULL);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_duplicate, 1);
	assert_true(acked_at_once(p, &ack));
}

/* Once max_ack_delay has passed, the next write sends the ACK even if
 * the caller has not run the timers yet. */
static void test_acks_due_before_timer_runs(void **state)
{
	struct conn_pair *p = *state;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	assert_false(acked_at_once(p, NULL));
	p->t += p->cfg[PAIR_SRV].max_ack_delay;
	assert_true(acked_at_once(p, NULL));
}

/*
 * A datagram whose bytes were refused (beyond the window) is answered at
 * once, so the sender learns what we do hold, but its number is not
 * acknowledged: that would tell the sender its bytes need no resending.
 */
static void test_acks_refused_answered_not_acked(void **state)
{
	struct conn_pair *p = *state;
	uint64_t beyond = p->cfg[PAIR_SRV].rcvbuf + 1000;
	struct rdt_pkt_ack ack;
	uint32_t pn;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	settle(p);
	pn = p->fpn;
	conn_pair_forge(p, STREAM, beyond, 100, NULL);
	assert_int_equal(
		conn_pair_info(p, PAIR_SRV).stats.drop_beyond_window, 1);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 100);
	assert_int_equal(ack.largest, pn - 1);
}

/*
 * A packet number received before, now with new bytes: one of the two was
 * forged.  Whichever it was, the sender must hear at once what we hold.
 */
static void test_acks_repeated_pn_at_once(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;
	uint32_t pn = p->fpn;

	conn_pair_forge(p, STREAM, 0, 100, NULL);
	settle(p);
	conn_pair_forge_pn(p, pn, STREAM, 100, 100, NULL);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pn_collisions, 1);
	assert_true(acked_at_once(p, &ack));
	assert_int_equal(ack.cum, p->init.isn + 200);
}

/*
 * Pure ACKs, however they arrive (reordered, after a gap, repeated), are
 * never acknowledged: two peers whose ACKs a jittery path reorders would
 * otherwise answer each other for ever.
 */
static void test_acks_pure_ack_never_answered(void **state)
{
	struct conn_pair *p = *state;
	uint32_t base = p->fpn;

	forge_pure_ack(p, base + 3);	/* after a gap */
	assert_false(acked_at_once(p, NULL));
	forge_pure_ack(p, base + 1);	/* reordered */
	assert_false(acked_at_once(p, NULL));
	forge_pure_ack(p, base + 1);	/* repeated */
	assert_false(acked_at_once(p, NULL));
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_reordered, 1);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_duplicate, 1);
	/* Nor later: no delayed-ACK timer was armed for them. */
	p->t += 2 * p->cfg[PAIR_SRV].max_ack_delay;
	rdt_conn_on_deadline(p->c[PAIR_SRV], p->t);
	assert_false(acked_at_once(p, NULL));
}

/* What a pure ACK's number filled in is reported with the next ACK. */
static void test_acks_pure_ack_recorded(void **state)
{
	struct conn_pair *p = *state;
	struct rdt_pkt_ack ack;

	forge_pure_ack(p, p->fpn++);
	conn_pair_forge(p, RDT_PKT_F_PING, 0, 0, NULL);
	assert_true(acked_at_once(p, &ack));
	/* One range covers the pure ACK's number and the PING's. */
	assert_int_equal(ack.largest, p->fpn - 1);
	assert_true(ack.first_len >= 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_acks_every_second_datagram),
		T(test_acks_single_waits_max_ack_delay),
		T(test_acks_pure_ack_leaves_timer),
		T(test_acks_pn_gap_at_once),
		T(test_acks_byte_gap_at_once),
		T(test_acks_reordered_at_once),
		T(test_acks_filled_hole_at_once),
		T(test_acks_ping_at_once),
		T(test_acks_duplicate_data_at_once),
		T(test_acks_due_before_timer_runs),
		T(test_acks_refused_answered_not_acked),
		T(test_acks_repeated_pn_at_once),
		T(test_acks_pure_ack_never_answered),
		T(test_acks_pure_ack_recorded),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
