/*
 * test_cookie.c: unit tests for src/core/cookie.c, the listener's
 * address-validation cookies, and for the RETRY datagram that carries
 * them (src/wire/pkt.c).  The clock is the test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cookie.h"
#include "core/err.h"
#include "wire/pkt.h"

#define T0 (1000 * RDT_S + 123 * RDT_MS)
#define SCID 0x8877665544332211ULL

static const uint8_t addr_a[7] = { 4, 127, 0, 0, 1, 0x1f, 0x90 };
static const uint8_t addr_b[7] = { 4, 127, 0, 0, 2, 0x1f, 0x90 };

static void keys_at(struct rdt_cookie_keys *k, rdt_tstamp now, uint8_t fill)
{
	uint8_t key[RDT_COOKIE_KEY_LEN];

	memset(key, fill, sizeof(key));
	assert_true(rdt_cookie_needs_key(k, now));
	rdt_cookie_add_key(k, now, key);
	assert_false(rdt_cookie_needs_key(k, now));
}

static void make(const struct rdt_cookie_keys *k, rdt_tstamp now,
		 uint8_t *out)
{
	assert_int_equal(rdt_cookie_make(k, now, addr_a, sizeof(addr_a),
					 SCID, out),
			 RDT_COOKIE_LEN);
}

static enum rdt_cookie_verdict check(const struct rdt_cookie_keys *k,
				     rdt_tstamp now, const uint8_t *addr,
				     uint64_t scid, const uint8_t *tok)
{
	return rdt_cookie_check(k, now, addr, sizeof(addr_a), scid, tok,
				RDT_COOKIE_LEN);
}

static void test_round_trip(void **state)
{
	struct rdt_cookie_keys k;
	uint8_t c[RDT_COOKIE_LEN];

	(void)state;
	memset(&k, 0, sizeof(k));
	keys_at(&k, T0, 1);
	make(&k, T0, c);
	assert_int_equal(check(&k, T0 + 50 * RDT_MS, addr_a, SCID, c),
			 RDT_COOKIE_VALID);
}

/* Bound to the address (port included) and the connection ID. */
static void test_bound(void **state)
{
	struct rdt_cookie_keys k;
	uint8_t c[RDT_COOKIE_LEN], other_port[7];

	(void)state;
	memset(&k, 0, sizeof(k));
	keys_at(&k, T0, 1);
	make(&k, T0, c);
	assert_int_equal(check(&k, T0, addr_b, SCID, c), RDT_COOKIE_FORGED);
	memcpy(other_port, addr_a, sizeof(other_port));
	other_port[6] ^= 1;
	assert_int_equal(check(&k, T0, other_port, SCID, c),
			 RDT_COOKIE_FORGED);
	assert_int_equal(check(&k, T0, addr_a, SCID + 1, c),
			 RDT_COOKIE_FORGED);
}

/* Every bit of the cookie matters: the time, the MAC, the format. */
static void test_tampered(void **state)
{
	struct rdt_cookie_keys k;
	uint8_t c[RDT_COOKIE_LEN], t[RDT_COOKIE_LEN];
	size_t i;
	int b;

	(void)state;
	memset(&k, 0, sizeof(k));
	keys_at(&k, T0, 1);
	make(&k, T0, c);
	for (i = 0; i < RDT_COOKIE_LEN; i++)
		for (b = 0; b < 8; b++) {
			memcpy(t, c, sizeof(t));
			t[i] ^= (uint8_t)(1 << b);
			assert_int_not_equal(check(&k, T0 + RDT_MS, addr_a,
						   SCID, t),
					     RDT_COOKIE_VALID);
		}
	assert_int_equal(rdt_cookie_check(&k, T0, addr_a, sizeof(addr_a),
					  SCID, c, RDT_COOKIE_LEN - 1),
			 RDT_COOKIE_FORGED);
}

/* Another listener's secret makes cookies this one refuses. */
static void test_other_secret(void **state)
{
	struct rdt_cookie_keys k, other;
	uint8_t c[RDT_COOKIE_LEN];

	(void)state;
	memset(&k, 0, sizeof(k));
	memset(&other, 0, sizeof(other));
	keys_at(&k, T0, 1);
	keys_at(&other, T0, 2);
	make(&other, T0, c);
	assert_int_equal(check(&k, T0, addr_a, SCID, c), RDT_COOKIE_FORGED);
}

/* A cookie lives RDT_COOKIE_LIFETIME; one from the future is forged. */
static void test_lifetime(void **state)
{
	struct rdt_cookie_keys k;
	uint8_t c[RDT_COOKIE_LEN];

	(void)state;
	memset(&k, 0, sizeof(k));
	keys_at(&k, T0, 1);
	make(&k, T0, c);
	assert_int_equal(check(&k, T0 + RDT_COOKIE_LIFETIME, addr_a, SCID, c),
			 RDT_COOKIE_VALID);
	assert_int_equal(check(&k, T0 + RDT_COOKIE_LIFETIME + RDT_MS, addr_a,
			       SCID, c),
			 RDT_COOKIE_EXPIRED);
	assert_int_equal(check(&k, T0 - RDT_S, addr_a, SCID, c),
			 RDT_COOKIE_FORGED);
}

/* A cookie made just before a rotation still checks after it, under the
 * previous secret; two rotations later that secret is gone. */
static void test_rotation(void **state)
{
	struct rdt_cookie_keys k;
	uint8_t c[RDT_COOKIE_LEN];
	rdt_tstamp edge = (T0 / RDT_COOKIE_ROTATE + 1) * RDT_COOKIE_ROTATE;

	(void)state;
	memset(&k, 0, sizeof(k));
	keys_at(&k, edge - RDT_MS, 1);
	make(&k, edge - RDT_MS, c);
	assert_true(rdt_cookie_needs_key(&k, edge));
	keys_at(&k, edge, 2);
	assert_int_equal(check(&k, edge + RDT_S, addr_a, SCID, c),
			 RDT_COOKIE_VALID);
	keys_at(&k, edge + RDT_COOKIE_ROTATE, 3);
	assert_int_equal(check(&k, edge + RDT_COOKIE_ROTATE, addr_a, SCID, c),
			 RDT_COOKIE_EXPIRED);
}

/* Without a secret for now, no cookie is made. */
static void test_no_key(void **state)
{
	struct rdt_cookie_keys k;
	uint8_t c[RDT_COOKIE_LEN];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(rdt_cookie_make(&k, T0, addr_a, sizeof(addr_a), SCID,
					 c),
			 -1);
	keys_at(&k, T0, 1);
	assert_int_equal(rdt_cookie_make(&k, T0 + 2 * RDT_COOKIE_ROTATE,
					 addr_a, sizeof(addr_a), SCID, c),
			 -1);
}

/* RETRY on the wire: the token travels intact, a token of 0 or more than
 * RDT_PKT_MAX_TOKEN bytes is neither built nor accepted, and nothing may
 * follow it; the datagram is far smaller than the INIT it answers. */
static void test_retry_codec(void **state)
{
	uint8_t tok[RDT_PKT_MAX_TOKEN + 1], dg[128];
	struct rdt_pkt p, q;
	rdt_ssize n;

	(void)state;
	memset(tok, 0xA5, sizeof(tok));
	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_RETRY;
	p.dcid = SCID;
	p.token = tok;
	p.token_len = RDT_COOKIE_LEN;
	n = rdt_pkt_encode(dg, sizeof(dg), &p);
	assert_int_equal(n, RDT_PKT_HEADER_SIZE + 1 + RDT_COOKIE_LEN +
				    RDT_PKT_CRC_SIZE);
	assert_true(3 * n < RDT_PKT_INIT_MIN_SIZE);
	assert_int_equal(rdt_pkt_decode(&q, dg, (size_t)n), 0);
	assert_int_equal(q.type, RDT_PKT_RETRY);
	assert_true(q.dcid == SCID);
	assert_int_equal(q.token_len, RDT_COOKIE_LEN);
	assert_memory_equal(q.token, tok, RDT_COOKIE_LEN);

	p.token_len = 0;
	assert_int_equal(rdt_pkt_encode(dg, sizeof(dg), &p), RDT_ERR_INVALID);
	p.token_len = RDT_PKT_MAX_TOKEN + 1;
	assert_int_equal(rdt_pkt_encode(dg, sizeof(dg), &p), RDT_ERR_INVALID);
	p.token_len = RDT_PKT_MAX_TOKEN;
	n = rdt_pkt_encode(dg, sizeof(dg), &p);
	assert_true(n > 0);
	assert_int_equal(rdt_pkt_decode(&q, dg, (size_t)n), 0);
	assert_int_equal(q.token_len, RDT_PKT_MAX_TOKEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_other_secret),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_no_key),
		cmocka_unit_test(test_retry_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
