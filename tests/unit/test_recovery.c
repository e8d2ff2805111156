/*
 * test_recovery.c: unit tests for src/core/recovery.c, the sender's side
 * of loss recovery: what an ACK frame releases, loss by packet and by
 * time threshold, spurious losses, and ACK ranges that name packets never
 * sent.
 *
 * The server is the sender.  The test plays the client (conn_pair.h): it
 * takes the server's datagrams without delivering them and answers with
 * ACK frames it builds itself, so it decides exactly which packets
 * arrived and when.  The controller is NewReno behind a spy that counts
 * the hooks recovery.c must call.  The last cases watch the same losses
 * through the connection's observer (observe.c, RDT_QLOG's source).
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

#define SEED 0x4ec0u
/* Every datagram in these tests carries one chunk of this many bytes. */
#define CHUNK 1000
#define MAX_FLIGHT 16

static unsigned spy_congestion_calls, spy_spurious_calls;
static struct rdt_cc_ops spy_ops;

static void spy_on_congestion(struct rdt_cc *cc, rdt_tstamp sent_time,
			      rdt_tstamp now)
{
	spy_congestion_calls++;
	rdt_cc_newreno.on_congestion(cc, sent_time, now);
}

static void spy_on_spurious(struct rdt_cc *cc, rdt_tstamp now)
{
	spy_spurious_calls++;
	rdt_cc_newreno.on_spurious(cc, now);
}

/* What the server sent, in order. */
struct flight {
	size_t n;
	uint32_t pn[MAX_FLIGHT];
	rdt_tstamp sent[MAX_FLIGHT];
	uint8_t flags[MAX_FLIGHT];
};

static int setup(void **state)
{
	struct conn_pair *p = malloc(sizeof(*p));

	if (p == NULL)
		return -1;
	spy_ops = rdt_cc_newreno;
	spy_ops.on_congestion = spy_on_congestion;
	spy_ops.on_spurious = spy_on_spurious;
	spy_congestion_calls = spy_spurious_calls = 0;
	conn_pair_init(p, SEED);
	p->cfg[PAIR_SRV].cc = &spy_ops;
	/* One application write, one datagram: nothing is coalesced. */
	p->cfg[PAIR_SRV].nodelay = 1;
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

/* The server writes the next CHUNK of its stream and sends it in one
 * datagram, which the test keeps from the client. */
static void send_chunk(struct conn_pair *p, struct flight *fl)
{
	uint8_t data[CHUNK], dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;
	size_t i;

	assert_true(fl->n < MAX_FLIGHT);
	for (i = 0; i < CHUNK; i++)
		data[i] = conn_pair_pattern(fl->n * CHUNK + i);
	assert_int_equal(rdt_conn_send(p->c[PAIR_SRV], data, CHUNK, p->t),
			 CHUNK);
	assert_true(conn_pair_next(p, PAIR_SRV, &pkt, dg) > 0);
	assert_true(pkt.flags & RDT_PKT_F_STREAM);
	assert_int_equal(pkt.offset, p->accept.isn + fl->n * CHUNK);
	assert_int_equal(pkt.data_len, CHUNK);
	fl->pn[fl->n] = pkt.pn;
	fl->sent[fl->n] = p->t;
	fl->flags[fl->n] = pkt.flags;
	fl->n++;
	/* Nothing else is waiting. */
	assert_int_equal(conn_pair_next(p, PAIR_SRV, &pkt, dg), 0);
}

static void send_chunks(struct conn_pair *p, struct flight *fl, size_t k)
{
	while (k-- > 0)
		send_chunk(p, fl);
}

/* The client acknowledges packets fl[lo..hi] and stream bytes below
 * |cum|, in one ACK frame. */
static void ack(struct conn_pair *p, const struct flight *fl, size_t lo,
		size_t hi, uint64_t cum)
{
	struct rdt_pkt_ack a = conn_pair_ack(p, fl->pn[lo], fl->pn[hi], cum);

	conn_pair_forge(p, RDT_PKT_F_ACK, 0, 0, &a);
}

static void send_ack_frame(struct conn_pair *p, const struct rdt_pkt_ack *a)
{
	conn_pair_forge(p, RDT_PKT_F_ACK, 0, 0, a);
}

/* The server's next datagram must resend chunk |i| (with FIN if |fin|). */
static void expect_resend(struct conn_pair *p, size_t i, int fin)
{
	uint8_t dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;

	assert_true(conn_pair_next(p, PAIR_SRV, &pkt, dg) > 0);
	assert_true(pkt.flags & RDT_PKT_F_STREAM);
	assert_int_equal(pkt.offset, p->accept.isn + i * CHUNK);
	assert_int_equal(pkt.data_len, CHUNK);
	assert_int_equal(!!(pkt.flags & RDT_PKT_F_FIN), !!fin);
}

static void test_recovery_ack_releases_packets(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info info;
	rdt_tstamp d;

	send_chunks(p, &fl, 3);
	info = conn_pair_info(p, PAIR_SRV);
	assert_true(info.bytes_in_flight > 3 * CHUNK);
	p->t += 30 * RDT_MS;
	ack(p, &fl, 0, 2, 3 * CHUNK);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.bytes_in_flight, 0);
	assert_int_equal(info.stats.bytes_acked, 3 * CHUNK);
	assert_int_equal(info.stats.pkts_lost, 0);
	/* The largest packet acknowledged gives the RTT sample. */
	assert_int_equal(info.latest_rtt, 30 * RDT_MS);
	assert_int_equal(info.srtt, 30 * RDT_MS);
	/* Nothing left to send or to time out: only the emptied send ring
	 * is given back a second later, and then nothing is left. */
	assert_true(info.snd_ring > 0);
	d = rdt_conn_deadline(p->c[PAIR_SRV]);
	assert_int_equal(d, p->t + 1000 * RDT_MS);
	rdt_conn_on_deadline(p->c[PAIR_SRV], d);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).snd_ring, 0);
	assert_int_equal(rdt_conn_deadline(p->c[PAIR_SRV]), RDT_TSTAMP_NEVER);
}

/*
 * Only the largest packet an ACK names gives an RTT sample, and only if
 * this ACK is the first to acknowledge it: older packets in the same ACK
 * may have waited in the receiver's holes.
 */
static void test_recovery_rtt_from_largest_only(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_pkt_ack a;

	send_chunk(p, &fl);
	p->t += 10 * RDT_MS;
	send_chunk(p, &fl);
	p->t += 10 * RDT_MS;
	send_chunk(p, &fl);
	p->t += 30 * RDT_MS;
	/* Packets 2 and 0, with a gap at 1. */
	a = conn_pair_ack(p, fl.pn[2], fl.pn[2], 0);
	a.nranges = 1;
	a.ranges[0].gap = 0;
	a.ranges[0].len = 0;
	send_ack_frame(p, &a);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).latest_rtt, 30 * RDT_MS);
	/* Packet 1 now, the largest again: no new sample. */
	p->t += 5 * RDT_MS;
	ack(p, &fl, 0, 2, 3 * CHUNK);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).latest_rtt, 30 * RDT_MS);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).bytes_in_flight, 0);
}

/* A selective ACK takes a packet out of flight, but only the cumulative
 * point counts bytes as acknowledged. */
static void test_recovery_selective_ack(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info before, after;

	send_chunks(p, &fl, 2);
	before = conn_pair_info(p, PAIR_SRV);
	p->t += 10 * RDT_MS;
	ack(p, &fl, 1, 1, 0);
	after = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(after.stats.bytes_acked, 0);
	assert_true(after.bytes_in_flight < before.bytes_in_flight);
	assert_true(after.bytes_in_flight > CHUNK);
	/* The cumulative point catches up; packet 1 is not counted twice. */
	ack(p, &fl, 0, 1, 2 * CHUNK);
	after = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(after.stats.bytes_acked, 2 * CHUNK);
	assert_int_equal(after.bytes_in_flight, 0);
}

static void test_recovery_loss_by_packet_threshold(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info info;

	send_chunks(p, &fl, 5);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).pkt_threshold, 3);
	p->t += 20 * RDT_MS;
	/* Four later packets arrived, well within the time threshold. */
	ack(p, &fl, 1, 4, 0);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.stats.pkts_lost, 1);
	assert_int_equal(info.bytes_in_flight, 0);
	assert_int_equal(spy_congestion_calls, 1);
	/* Exactly the lost bytes go again, and nothing else. */
	expect_resend(p, 0, 0);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.stats.pkts_retransmitted, 1);
	assert_int_equal(info.stats.bytes_retransmitted, CHUNK);
	assert_int_equal(conn_pair_next(p, PAIR_SRV,
					&(struct rdt_pkt){ 0 },
					(uint8_t[PAIR_DG_MAX]){ 0 }),
			 0);
}

/* Below both thresholds nothing is lost yet, but the time threshold
 * arms the loss timer: 9/8 of the RTT after the packet left. */
static void test_recovery_loss_timer(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	rdt_tstamp rtt = 20 * RDT_MS;

	send_chunks(p, &fl, 3);
	p->t += rtt;
	ack(p, &fl, 1, 2, 0);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 0);
	assert_int_equal(rdt_conn_deadline(p->c[PAIR_SRV]),
			 fl.sent[0] + rtt + rtt / 8);
	conn_pair_fire(p, PAIR_SRV);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 1);
	expect_resend(p, 0, 0);
}

/* A packet older than 9/8 RTT is lost as soon as a later one is
 * acknowledged, however close their numbers. */
static void test_recovery_loss_by_time_threshold(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };

	send_chunk(p, &fl);
	p->t += 10 * RDT_MS;
	send_chunk(p, &fl);
	p->t += 40 * RDT_MS;
	/* RTT 40 ms, threshold 45 ms; packet 0 left 50 ms ago. */
	ack(p, &fl, 1, 1, 0);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).latest_rtt, 40 * RDT_MS);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 1);
	expect_resend(p, 0, 0);
}

/*
 * Packet 0 is declared lost by packet threshold, then acknowledged after
 * all: the loss was reordering.  The packet threshold rises to the
 * distance seen, the time threshold by one step (9/8 -> 10/8 RTT), and
 * the controller is told to undo its reduction.
 */
static void test_recovery_spurious_loss(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info info;
	rdt_tstamp rtt;

	send_chunks(p, &fl, 5);
	p->t += 20 * RDT_MS;
	ack(p, &fl, 1, 4, 0);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 1);
	assert_int_equal(spy_spurious_calls, 0);
	p->t += 1 * RDT_MS;
	/* Selectively: the cumulative point stays where it was. */
	ack(p, &fl, 0, 4, 0);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.stats.pkts_spurious_lost, 1);
	assert_int_equal(spy_spurious_calls, 1);
	assert_int_equal(info.pkt_threshold, 5);
	assert_int_equal(info.stats.bytes_acked, 0);
	/* The bytes arrived after all: the queued resend is withdrawn. */
	assert_int_equal(conn_pair_next(p, PAIR_SRV,
					&(struct rdt_pkt){ 0 },
					(uint8_t[PAIR_DG_MAX]){ 0 }),
			 0);
	assert_int_equal(info.stats.pkts_retransmitted, 0);

	/* The time threshold is now 10/8 of the RTT. */
	send_chunks(p, &fl, 2);
	p->t += 20 * RDT_MS;
	ack(p, &fl, 6, 6, 5 * CHUNK);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.stats.pkts_lost, 1);
	rtt = info.srtt > info.latest_rtt ? info.srtt : info.latest_rtt;
	assert_int_equal(rdt_conn_deadline(p->c[PAIR_SRV]),
			 fl.sent[5] + rtt + rtt / 4);
}

/* Only the loss that started the recovery can undo it: a later lost
 * packet turning up changes the thresholds but not the window. */
static void test_recovery_spurious_not_trigger(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_pkt_ack a;

	send_chunks(p, &fl, 6);
	p->t += 20 * RDT_MS;
	/* Packets 0 and 1 lost; 0 started the recovery. */
	ack(p, &fl, 2, 5, 0);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 2);
	/* Packet 1 turns up, packet 0 does not. */
	a = conn_pair_ack(p, fl.pn[1], fl.pn[5], 0);
	send_ack_frame(p, &a);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_spurious_lost,
			 1);
	assert_int_equal(spy_spurious_calls, 0);
}

/*
 * After a timeout every packet in flight is declared lost: its bytes and
 * the FIN are queued again, so the retransmission carries both.
 */
static void test_recovery_declare_lost_requeues_bytes_and_fin(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	uint8_t data[CHUNK], dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;
	struct rdt_conn_info info;

	memset(data, 0, sizeof(data));
	assert_int_equal(rdt_conn_send(p->c[PAIR_SRV], data, CHUNK, p->t),
			 CHUNK);
	assert_int_equal(rdt_conn_shutdown(p->c[PAIR_SRV], p->t), 0);
	assert_true(conn_pair_next(p, PAIR_SRV, &pkt, dg) > 0);
	assert_true(pkt.flags & RDT_PKT_F_FIN);
	assert_int_equal(pkt.data_len, CHUNK);
	fl.pn[fl.n++] = pkt.pn;
	/* First timeout: a tail-loss probe, nothing declared lost. */
	conn_pair_fire(p, PAIR_SRV);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.tlp_count, 1);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 0);
	conn_pair_discard(p, PAIR_SRV);
	/* Second: everything in flight (the original and the probe). */
	conn_pair_fire(p, PAIR_SRV);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.stats.rto_count, 1);
	assert_int_equal(info.stats.pkts_lost, 2);
	assert_int_equal(info.bytes_in_flight, 0);
	expect_resend(p, 0, 1);
}

/* The cumulative point one past the last byte acknowledges the FIN,
 * whatever the ranges say. */
static void test_recovery_cum_acks_fin(void **state)
{
	struct conn_pair *p = *state;
	uint8_t data[CHUNK], dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;
	struct rdt_pkt_ack a;

	memset(data, 0, sizeof(data));
	assert_int_equal(rdt_conn_send(p->c[PAIR_SRV], data, CHUNK, p->t),
			 CHUNK);
	assert_int_equal(rdt_conn_shutdown(p->c[PAIR_SRV], p->t), 0);
	assert_true(conn_pair_next(p, PAIR_SRV, &pkt, dg) > 0);
	assert_true(pkt.flags & RDT_PKT_F_FIN);
	p->t += 20 * RDT_MS;
	/* Up to the last byte only: the FIN is still outstanding. */
	a = conn_pair_ack(p, p->accept.pn, p->accept.pn, CHUNK);
	send_ack_frame(p, &a);
	assert_false(rdt_conn_send_done(p->c[PAIR_SRV]));
	/* One more: the FIN's position. */
	a = conn_pair_ack(p, p->accept.pn, p->accept.pn, CHUNK + 1);
	send_ack_frame(p, &a);
	assert_true(rdt_conn_send_done(p->c[PAIR_SRV]));
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.bytes_acked, CHUNK);
}

/*
 * A selective ACK of the FIN's packet while an earlier one is still a hole
 * does not finish our direction: the hole's bytes must still be resent.
 * (Found by tests/fuzz/fuzz_net.c: a forged copy of the FIN's packet,
 * moved to the receiver's in-order end, had the receiver acknowledge the
 * FIN's packet number, and send_done ended the sender's exit drain with
 * bytes missing.  An honest receiver defers a FIN over a hole and does
 * not acknowledge its packet, but a sender must not count on that.)
 */
static void test_recovery_sacked_fin_over_hole(void **state)
{
	struct conn_pair *p = *state;
	uint8_t data[2 * CHUNK], dg[PAIR_DG_MAX];
	struct rdt_pkt first, last;
	struct rdt_pkt_ack a;

	memset(data, 0, sizeof(data));
	assert_int_equal(rdt_conn_send(p->c[PAIR_SRV], data, 2 * CHUNK, p->t),
			 2 * CHUNK);
	assert_int_equal(rdt_conn_shutdown(p->c[PAIR_SRV], p->t), 0);
	assert_true(conn_pair_next(p, PAIR_SRV, &first, dg) > 0);
	assert_false(first.flags & RDT_PKT_F_FIN);
	assert_true(conn_pair_next(p, PAIR_SRV, &last, dg) > 0);
	assert_true(last.flags & RDT_PKT_F_FIN);
	p->t += 20 * RDT_MS;
	/* The FIN's packet arrived, the first did not: cum stays at 0. */
	a = conn_pair_ack(p, last.pn, last.pn, 0);
	send_ack_frame(p, &a);
	assert_false(rdt_conn_send_done(p->c[PAIR_SRV]));
	/* The hole filled: now every byte and the FIN are acknowledged. */
	a = conn_pair_ack(p, first.pn, last.pn, 2 * CHUNK + 1);
	send_ack_frame(p, &a);
	assert_true(rdt_conn_send_done(p->c[PAIR_SRV]));
}

/*
 * An ACK range that reaches past the packets we sent (a forged number the
 * peer was fed) is counted invalid, yet what it says about packets we did
 * send, and the cumulative point, still count.
 */
static void test_recovery_range_past_next_pn(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info info;
	struct rdt_pkt_ack a;

	send_chunks(p, &fl, 3);
	p->t += 20 * RDT_MS;
	a = conn_pair_ack(p, fl.pn[0], fl.pn[2] + 5, 3 * CHUNK);
	send_ack_frame(p, &a);
	info = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(info.stats.drop_invalid_ack, 1);
	assert_int_equal(info.stats.bytes_acked, 3 * CHUNK);
	assert_int_equal(info.bytes_in_flight, 0);
	assert_int_equal(info.stats.pkts_lost, 0);
}

/*
 * A range naming only packets never sent acknowledges nothing and must
 * not become the largest acknowledged (or packets 0 to 2 would look lost
 * by packet threshold); the cumulative point, checked on its own, holds.
 */
static void test_recovery_range_only_unsent(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info before, after;
	struct rdt_pkt_ack a;

	send_chunks(p, &fl, 3);
	before = conn_pair_info(p, PAIR_SRV);
	p->t += 20 * RDT_MS;
	a = conn_pair_ack(p, fl.pn[2] + 5, fl.pn[2] + 5, CHUNK);
	send_ack_frame(p, &a);
	after = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(after.stats.drop_invalid_ack, 1);
	assert_int_equal(after.stats.bytes_acked, CHUNK);
	assert_int_equal(after.stats.pkts_lost, 0);
	assert_int_equal(after.bytes_in_flight, before.bytes_in_flight);
	assert_int_equal(after.srtt, before.srtt);
	/* A genuine ACK afterwards is taken in full. */
	ack(p, &fl, 0, 2, 3 * CHUNK);
	after = conn_pair_info(p, PAIR_SRV);
	assert_int_equal(after.bytes_in_flight, 0);
	assert_int_equal(after.stats.bytes_acked, 3 * CHUNK);
	assert_int_equal(after.stats.pkts_lost, 0);
}

/* Extra ranges that would reach below our first packet number are
 * bogus: they are ignored, and the ranges before them still count. */
static void test_recovery_range_below_first_pn(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info before, after;
	struct rdt_pkt_ack a;

	send_chunks(p, &fl, 3);
	before = conn_pair_info(p, PAIR_SRV);
	p->t += 20 * RDT_MS;
	a = conn_pair_ack(p, fl.pn[2], fl.pn[2], 0);
	a.nranges = 2;
	/* A plausible range for packet 0, then one far below anything. */
	a.ranges[0].gap = 0;
	a.ranges[0].len = 0;
	a.ranges[1].gap = UINT32_MAX - 1;
	a.ranges[1].len = 0;
	send_ack_frame(p, &a);
	after = conn_pair_info(p, PAIR_SRV);
	/* Packets 2 and 0 left the flight, packet 1 did not. */
	assert_true(after.bytes_in_flight > 0);
	assert_true(after.bytes_in_flight < before.bytes_in_flight / 2);
	assert_int_equal(after.stats.pkts_lost, 0);
	assert_int_equal(after.latest_rtt, 20 * RDT_MS);
}

/* A range that would cover packet 0 but runs on below the first packet
 * number is bogus as a whole: packet 0 stays in flight. */
static void test_recovery_range_runs_below_first_pn(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	struct rdt_conn_info after_largest;
	struct rdt_pkt_ack a;

	send_chunks(p, &fl, 3);
	p->t += 20 * RDT_MS;
	ack(p, &fl, 2, 2, 0);
	after_largest = conn_pair_info(p, PAIR_SRV);
	a = conn_pair_ack(p, fl.pn[2], fl.pn[2], 0);
	a.nranges = 1;
	a.ranges[0].gap = 0;
	/* Down to one below the ACCEPT, the first number the server used. */
	a.ranges[0].len = fl.pn[0] - p->accept.pn + 1;
	send_ack_frame(p, &a);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).bytes_in_flight,
			 after_largest.bytes_in_flight);
	assert_int_equal(conn_pair_info(p, PAIR_SRV).stats.pkts_lost, 0);
}

/* What an observer saw (test_recovery_observer_*). */
#define MAX_EVENTS 64
static struct {
	size_t n;
	struct rdt_conn_event ev[MAX_EVENTS];
	rdt_tstamp at[MAX_EVENTS];
} seen;

static void record_event(void *ctx, const struct rdt_conn *conn,
			 const struct rdt_conn_event *ev, rdt_tstamp now)
{
	assert_ptr_equal(ctx, &seen);
	assert_non_null(conn);
	assert_true(seen.n < MAX_EVENTS);
	seen.ev[seen.n] = *ev;
	/* The datagram is only borrowed for the call. */
	seen.ev[seen.n].pkt = NULL;
	seen.at[seen.n++] = now;
}

/* The events of |type| seen so far, into |out|; returns how many. */
static size_t seen_of(enum rdt_conn_event_type type,
		      const struct rdt_conn_event **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < seen.n; i++)
		if (seen.ev[i].type == type && n < max)
			out[n++] = &seen.ev[i];
	return n;
}

static void observe_server(struct conn_pair *p)
{
	memset(&seen, 0, sizeof(seen));
	rdt_conn_set_observer(p->c[PAIR_SRV], record_event, &seen);
}

/*
 * Each datagram sent is reported with its number and stream offset, the
 * ACK received with its largest as a full number; a packet-threshold loss
 * is reported once, with its trigger, before the end of the call that
 * declared it.
 */
static void test_recovery_observer_sees_sent_acked_lost(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	const struct rdt_conn_event *ev[MAX_EVENTS];
	size_t i, n;

	observe_server(p);
	send_chunks(p, &fl, 5);
	n = seen_of(RDT_CONN_EV_SENT, ev, MAX_EVENTS);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		assert_int_equal((uint32_t)ev[i]->pn, fl.pn[i]);
		assert_int_equal(ev[i]->stream_off, i * CHUNK);
		assert_true(ev[i]->len > CHUNK);
	}
	p->t += 20 * RDT_MS;
	seen.n = 0;
	ack(p, &fl, 1, 4, 0);
	assert_int_equal(seen.ev[0].type, RDT_CONN_EV_RECEIVED);
	assert_int_equal((uint32_t)seen.ev[0].ack_largest, fl.pn[4]);
	assert_int_equal(seen_of(RDT_CONN_EV_LOST, ev, MAX_EVENTS), 1);
	assert_int_equal((uint32_t)ev[0]->pn, fl.pn[0]);
	assert_int_equal(ev[0]->trigger, RDT_CONN_LOSS_REORDERING);
	assert_int_equal(seen.ev[seen.n - 1].type, RDT_CONN_EV_UPDATED);
	assert_int_equal(seen.at[seen.n - 1], p->t);
	/* Removed, the observer hears nothing more. */
	rdt_conn_set_observer(p->c[PAIR_SRV], NULL, NULL);
	seen.n = 0;
	expect_resend(p, 0, 0);
	assert_int_equal(seen.n, 0);
}

/* The time threshold and the timeout report their own triggers, and
 * every loss the stats count is reported once. */
static void test_recovery_observer_sees_triggers(void **state)
{
	struct conn_pair *p = *state;
	struct flight fl = { 0 };
	const struct rdt_conn_event *ev[MAX_EVENTS];
	size_t n;

	observe_server(p);
	send_chunks(p, &fl, 3);
	p->t += 20 * RDT_MS;
	ack(p, &fl, 1, 2, 0);
	conn_pair_fire(p, PAIR_SRV);
	n = seen_of(RDT_CONN_EV_LOST, ev, MAX_EVENTS);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0]->trigger, RDT_CONN_LOSS_TIME);
	expect_resend(p, 0, 0);
	/* The resend and a new chunk vanish: a probe, then the timeout. */
	send_chunk(p, &fl);
	conn_pair_fire(p, PAIR_SRV);
	conn_pair_discard(p, PAIR_SRV);
	conn_pair_fire(p, PAIR_SRV);
	n = seen_of(RDT_CONN_EV_LOST, ev, MAX_EVENTS);
	assert_true(n >= 3);
	assert_int_equal(ev[n - 1]->trigger, RDT_CONN_LOSS_PTO);
	assert_int_equal(n, conn_pair_info(p, PAIR_SRV).stats.pkts_lost);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_recovery_ack_releases_packets),
		T(test_recovery_rtt_from_largest_only),
		T(test_recovery_selective_ack),
		T(test_recovery_loss_by_packet_threshold),
		T(test_recovery_loss_timer),
		T(test_recovery_loss_by_time_threshold),
		T(test_recovery_spurious_loss),
		T(test_recovery_spurious_not_trigger),
		T(test_recovery_declare_lost_requeues_bytes_and_fin),
		T(test_recovery_cum_acks_fin),
		T(test_recovery_sacked_fin_over_hole),
		T(test_recovery_range_past_next_pn),
		T(test_recovery_range_only_unsent),
		T(test_recovery_range_below_first_pn),
		T(test_recovery_range_runs_below_first_pn),
		T(test_recovery_observer_sees_sent_acked_lost),
		T(test_recovery_observer_sees_triggers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
