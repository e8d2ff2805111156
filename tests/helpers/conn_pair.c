/*
 * conn_pair.c: see conn_pair.h.  Every helper asserts (cmocka) that the
 * core accepted what it was given, so a test fails where the setup broke
 * rather than at a puzzling later assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "helpers/conn_pair.h"

static uint64_t pair_rand64(void *ctx)
{
	return prng_next(ctx);
}

uint8_t conn_pair_pattern(uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8) * 7 + 3);
}

void conn_pair_init(struct conn_pair *p, uint64_t seed)
{
	int side;

	memset(p, 0, sizeof(*p));
	prng_seed(&p->rng, seed);
	for (side = PAIR_CLI; side <= PAIR_SRV; side++) {
		rdt_conn_config_default(&p->cfg[side]);
		p->cfg[side].rand64 = pair_rand64;
		p->cfg[side].rand_ctx = &p->rng;
		p->cfg[side].sndbuf = 256u << 10;
		p->cfg[side].rcvbuf = 256u << 10;
		/* NewReno's window is a plain function of losses, so the
		 * tests can predict what may be sent. */
		p->cfg[side].cc = &rdt_cc_newreno;
	}
	p->t = RDT_S;
}

void conn_pair_free(struct conn_pair *p)
{
	rdt_conn_del(p->c[PAIR_CLI]);
	rdt_conn_del(p->c[PAIR_SRV]);
	p->c[PAIR_CLI] = p->c[PAIR_SRV] = NULL;
}

static void decode_ok(struct rdt_pkt *pkt, const uint8_t *dg, size_t len)
{
	assert_int_equal(rdt_pkt_decode(pkt, dg, len), 0);
}

void conn_pair_handshake(struct conn_pair *p)
{
	uint8_t dg[PAIR_DG_MAX];
	struct rdt_pkt answer;
	rdt_ssize n;
	int rv;

	rv = rdt_conn_client_new(&p->c[PAIR_CLI], &p->cfg[PAIR_CLI],
				 rdt_mem_default(), p->t);
	assert_int_equal(rv, 0);
	n = rdt_conn_write_pkt(p->c[PAIR_CLI], p->init_buf,
			       sizeof(p->init_buf), p->t);
	assert_true(n > 0);
	decode_ok(&p->init, p->init_buf, (size_t)n);
	rv = rdt_conn_server_new(&p->c[PAIR_SRV], &p->cfg[PAIR_SRV],
				 rdt_mem_default(), &p->init, p->t);
	assert_int_equal(rv, 0);
	n = rdt_conn_write_pkt(p->c[PAIR_SRV], p->accept_buf,
			       sizeof(p->accept_buf), p->t);
	assert_true(n > 0);
	decode_ok(&p->accept, p->accept_buf, (size_t)n);
	p->srv_largest_pn = p->accept.pn;
	assert_int_equal(rdt_conn_recv_pkt(p->c[PAIR_CLI], p->accept_buf,
					   (size_t)n, p->t),
			 0);
	/* The client's ACK of the ACCEPT completes the server's side. */
	n = rdt_conn_write_pkt(p->c[PAIR_CLI], dg, sizeof(dg), p->t);
	assert_true(n > 0);
	decode_ok(&answer, dg, (size_t)n);
	rv = rdt_conn_recv_pkt(p->c[PAIR_SRV], dg, (size_t)n, p->t);
	assert_int_equal(rv, 0);
	assert_int_equal(rdt_conn_state(p->c[PAIR_CLI]), RDT_CONN_ESTABLISHED);
	assert_int_equal(rdt_conn_state(p->c[PAIR_SRV]), RDT_CONN_ESTABLISHED);
	p->fpn = answer.pn + 1;
}

void conn_pair_forge_pn(struct conn_pair *p, uint32_t pn, uint8_t flags,
			uint64_t pos, uint16_t len,
			const struct rdt_pkt_ack *ack)
{
	uint8_t data[PAIR_DG_MAX], dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;
	rdt_ssize n;
	uint16_t i;

	assert_true(len <= sizeof(data));
	for (i = 0; i < len; i++)
		data[i] = conn_pair_pattern(pos + i);
	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_DATA;
	pkt.flags = flags;
	pkt.dcid = rdt_conn_local_cid(p->c[PAIR_SRV]);
	pkt.pn = pn;
	/* The client has read nothing: its edge is its whole buffer. */
	pkt.window_edge = p->accept.isn + (uint32_t)p->cfg[PAIR_CLI].rcvbuf;
	if (flags & RDT_PKT_F_ACK)
		pkt.ack = *ack;
	pkt.offset = p->init.isn + (uint32_t)pos;
	pkt.data_len = len;
	pkt.data = len ? data : NULL;
	n = rdt_pkt_encode(dg, sizeof(dg), &pkt);
	assert_true(n > 0);
	assert_int_equal(rdt_conn_recv_pkt(p->c[PAIR_SRV], dg, (size_t)n,
					   p->t),
			 0);
}

void conn_pair_forge(struct conn_pair *p, uint8_t flags, uint64_t pos,
		     uint16_t len, const struct rdt_pkt_ack *ack)
{
	conn_pair_forge_pn(p, p->fpn++, flags, pos, len, ack);
}

struct rdt_pkt_ack conn_pair_ack(const struct conn_pair *p, uint32_t lo,
				 uint32_t hi, uint64_t cum)
{
	struct rdt_pkt_ack ack;

	memset(&ack, 0, sizeof(ack));
	ack.cum = p->accept.isn + (uint32_t)cum;
	ack.largest = hi;
	ack.first_len = hi - lo;
	return ack;
}

size_t conn_pair_next(struct conn_pair *p, int side, struct rdt_pkt *pkt,
		      uint8_t *dg)
{
	rdt_ssize n = rdt_conn_write_pkt(p->c[side], dg, PAIR_DG_MAX, p->t);

	assert_true(n >= 0);
	if (n == 0)
		return 0;
	decode_ok(pkt, dg, (size_t)n);
	if (side == PAIR_SRV && (int32_t)(pkt->pn - p->srv_largest_pn) > 0)
		p->srv_largest_pn = pkt->pn;
	return (size_t)n;
}

void conn_pair_discard(struct conn_pair *p, int side)
{
	uint8_t dg[PAIR_DG_MAX];
	struct rdt_pkt pkt;

	while (conn_pair_next(p, side, &pkt, dg) > 0)
		;
}

void conn_pair_fire(struct conn_pair *p, int side)
{
	rdt_tstamp d = rdt_conn_deadline(p->c[side]);

	assert_true(d != RDT_TSTAMP_NEVER);
	if (d > p->t)
		p->t = d;
	rdt_conn_on_deadline(p->c[side], p->t);
}

struct rdt_conn_info conn_pair_info(const struct conn_pair *p, int side)
{
	struct rdt_conn_info info;

	rdt_conn_get_info(p->c[side], &info);
	return info;
}
