/*
 * test_admit.c: unit tests for src/core/admit.c, the verdict on a
 * datagram no connection claimed, and for rdt_pkt_encode_reset.
 *
 * Each test builds real datagrams with the wire codec and owns the clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/admit.h"
#include "core/err.h"

#define T0 (10 * RDT_S)
#define CLIENT_CID 0x8877665544332211ULL
#define STALE_CID 0x0102030405060708ULL

struct fixture {
	uint8_t dg[RDT_PKT_INIT_MIN_SIZE];
	size_t len;
	struct rdt_admit_limiter lim;
	struct rdt_admit_verdict v;
	struct rdt_pkt out;
};

static void encode(struct fixture *f, const struct rdt_pkt *pkt)
{
	rdt_ssize n = rdt_pkt_encode(f->dg, sizeof(f->dg), pkt);

	assert_true(n > 0);
	f->len = (size_t)n;
}

static void encode_init(struct fixture *f)
{
	struct rdt_pkt p;

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_INIT;
	p.pn = 7;
	p.scid = CLIENT_CID;
	p.isn = 12345;
	p.window = 1 << 20;
	p.max_dgram = 1472;
	encode(f, &p);
}

static void encode_ping(struct fixture *f, uint64_t dcid)
{
	struct rdt_pkt p;

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_DATA;
	p.flags = RDT_PKT_F_PING;
	p.dcid = dcid;
	p.pn = 99;
	encode(f, &p);
}

static void encode_reset(struct fixture *f, uint64_t dcid, uint32_t reason)
{
	rdt_ssize n = rdt_pkt_encode_reset(f->dg, sizeof(f->dg), dcid, reason);

	assert_int_equal(n, RDT_PKT_RESET_SIZE);
	f->len = (size_t)n;
}

static void admit(struct fixture *f, int listening, rdt_tstamp now)
{
	int rc = rdt_pkt_decode(&f->out, f->dg, f->len);

	rdt_admit(&f->out, rc, listening, &f->lim, now, &f->v);
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	*state = &f;
	return 0;
}

static void test_reset_encoding_round_trips(void **state)
{
	struct fixture *f = *state;
	struct rdt_pkt p;

	encode_reset(f, STALE_CID, RDT_RESET_UNKNOWN);
	assert_int_equal(rdt_pkt_decode(&p, f->dg, f->len), 0);
	assert_int_equal(p.type, RDT_PKT_RESET);
	assert_true(p.dcid == STALE_CID);
	assert_int_equal(p.reason, RDT_RESET_UNKNOWN);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(rdt_pkt_encode_reset(f->dg, RDT_PKT_RESET_SIZE - 1,
					      STALE_CID, RDT_RESET_UNKNOWN),
			 RDT_ERR_NOBUF);
}

static void test_init_with_listener_starts_handshake(void **state)
{
	struct fixture *f = *state;

	encode_init(f);
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_HANDSHAKE);
	assert_int_equal(f->v.drop, RDT_ADMIT_DROP_NONE);
	assert_int_equal(f->out.type, RDT_PKT_INIT);
	assert_true(f->out.scid == CLIENT_CID);
	assert_int_equal(f->out.isn, 12345);
}

static void test_init_without_listener_is_refused(void **state)
{
	struct fixture *f = *state;

	encode_init(f);
	admit(f, 0, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_RESET);
	assert_int_equal(f->v.drop, RDT_ADMIT_DROP_NO_LISTENER);
	/* Addressed to the client's own ID: the only one it knows. */
	assert_true(f->v.reset_dcid == CLIENT_CID);
	assert_int_equal(f->v.reset_reason, RDT_RESET_REFUSED);
}

static void test_unknown_connection_is_answered(void **state)
{
	struct fixture *f = *state;

	encode_ping(f, STALE_CID);
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_RESET);
	assert_int_equal(f->v.drop, RDT_ADMIT_DROP_UNKNOWN_CID);
	assert_true(f->v.reset_dcid == STALE_CID);
	assert_int_equal(f->v.reset_reason, RDT_RESET_UNKNOWN);
}

static void test_reset_is_never_answered(void **state)
{
	struct fixture *f = *state;
	uint32_t reasons[] = { RDT_RESET_ABORT, RDT_RESET_REFUSED,
			       RDT_RESET_PROTOCOL, RDT_RESET_TIMEOUT };
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		encode_reset(f, STALE_CID, reasons[i]);
		admit(f, 1, T0);
		assert_int_equal(f->v.action, RDT_ADMIT_DROP);
		assert_int_equal(f->v.drop, RDT_ADMIT_DROP_UNKNOWN_CID);
	}
	/* RESET UNKNOWN names the ID our connection gave its peer: that
	 * connection is told; one naming ID 0 names nobody. */
	encode_reset(f, STALE_CID, RDT_RESET_UNKNOWN);
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_PEER_FORGOT);
	assert_true(f->v.reset_dcid == STALE_CID);
	encode_reset(f, 0, RDT_RESET_UNKNOWN);
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_DROP);
}

static void test_damaged_datagrams_are_dropped(void **state)
{
	struct fixture *f = *state;

	encode_ping(f, STALE_CID);
	f->dg[f->len - 1] ^= 0x40;
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_DROP);
	assert_int_equal(f->v.drop, RDT_ADMIT_DROP_CHECKSUM);

	encode_init(f);
	f->len = 9;
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_DROP);
	assert_int_equal(f->v.drop, RDT_ADMIT_DROP_MALFORMED);

	f->len = 0;
	admit(f, 1, T0);
	assert_int_equal(f->v.drop, RDT_ADMIT_DROP_MALFORMED);
}

static unsigned resets_answered(struct fixture *f, unsigned tries,
				rdt_tstamp now)
{
	unsigned n = 0;

	while (tries--) {
		admit(f, 0, now);
		assert_int_equal(f->v.drop, RDT_ADMIT_DROP_UNKNOWN_CID);
		if (f->v.action == RDT_ADMIT_RESET)
			n++;
		else
			assert_int_equal(f->v.action, RDT_ADMIT_DROP);
	}
	return n;
}

static void test_resets_are_rate_limited(void **state)
{
	struct fixture *f = *state;

	encode_ping(f, STALE_CID);
	/* A burst of RDT_ADMIT_RESET_RATE, then nothing at the same time. */
	assert_int_equal(resets_answered(f, 1000, T0), RDT_ADMIT_RESET_RATE);
	/* Each 1/RATE s earns one more. */
	assert_int_equal(resets_answered(f, 10, T0 + RDT_S / RDT_ADMIT_RESET_RATE),
			 1);
	/* A clock that steps back earns nothing. */
	assert_int_equal(resets_answered(f, 10, T0), 0);
	/* A long silence refills the bucket, never beyond the burst. */
	assert_int_equal(resets_answered(f, 1000, T0 + 3600 * RDT_S),
			 RDT_ADMIT_RESET_RATE);
}

static void test_refusals_share_the_limit(void **state)
{
	struct fixture *f = *state;
	unsigned i, refused = 0;

	encode_init(f);
	for (i = 0; i < 1000; i++) {
		admit(f, 0, T0);
		assert_int_equal(f->v.drop, RDT_ADMIT_DROP_NO_LISTENER);
		refused += f->v.action == RDT_ADMIT_RESET;
	}
	assert_int_equal(refused, RDT_ADMIT_RESET_RATE);
	/* A listener's handshakes are never limited by it. */
	admit(f, 1, T0);
	assert_int_equal(f->v.action, RDT_ADMIT_HANDSHAKE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_encoding_round_trips, setup),
		cmocka_unit_test_setup(test_init_with_listener_starts_handshake,
				       setup),
		cmocka_unit_test_setup(test_init_without_listener_is_refused,
				       setup),
		cmocka_unit_test_setup(test_unknown_connection_is_answered,
				       setup),
		cmocka_unit_test_setup(test_reset_is_never_answered, setup),
		cmocka_unit_test_setup(test_damaged_datagrams_are_dropped,
				       setup),
		cmocka_unit_test_setup(test_resets_are_rate_limited, setup),
		cmocka_unit_test_setup(test_refusals_share_the_limit, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
