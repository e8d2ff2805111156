/*
 * fuzz_admit.c: libFuzzer target for a listener's decisions on datagrams
 * no connection claimed (src/core/admit.c, src/core/cookie.c): drop,
 * RESET, handshake, and for a listener that asks for proof of address,
 * the cookie round trip.
 *
 * Map of this file:
 *
 *   struct lst         one listener: its cookie secrets (fed from a
 *                      seeded PRNG, as the runtime feeds them from
 *                      libsodium), its RESET limiter, the clock, and the
 *                      cookies it handed out (the harness remembers them
 *                      to judge what comes back).
 *   admit_one          what the runtime does with one datagram
 *                      (listen.c's rdt_rt_on_unclaimed, start_handshake
 *                      and address_validated, without the sockets),
 *                      checking each verdict as it goes.
 *   op_*               the script: junk (with or without a valid CRC),
 *                      an INIT from one of a few addresses and IDs with
 *                      no token, a cookie handed out earlier (perhaps to
 *                      another address or ID), or forged bytes, a
 *                      RESET or DATA naming an ID, and the clock.
 *
 * The properties:
 *   - a RESET is never answered with a RESET; a handshake starts only for
 *     a well-formed INIT with no destination ID where someone listens;
 *   - RESETs sent never exceed the limiter's burst plus its rate over the
 *     time that passed, whatever arrives;
 *   - a RETRY is well formed, names the INIT's source ID, and is no
 *     larger than the INIT it answers (no amplification);
 *   - a cookie is accepted only if this listener made exactly it, for
 *     that address and ID, no longer than its lifetime ago; and a cookie
 *     it made is accepted when brought back in time from where it was
 *     sent (a flood must not lock real clients out).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/admit.h"
#include "../../src/core/cookie.h"
#include "../../src/core/err.h"
#include "../../src/util/prng.h"
#include "../../src/wire/pkt.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ADDRS 4
#define IDS 4
#define ISSUED_MAX 64
#define OPS_MAX 2048

struct issued {
	unsigned addr, id;
	rdt_tstamp at;
	uint8_t cookie[RDT_COOKIE_LEN];
};

struct lst {
	struct prng rng;
	struct rdt_cookie_keys keys;
	struct rdt_admit_limiter lim;
	rdt_tstamp t0, t;
	uint64_t resets;
	struct issued issued[ISSUED_MAX];
	unsigned nissued;
	struct fuzz_input in;
};

static const uint8_t addrs[ADDRS][7] = {
	{ 4, 127, 0, 0, 1, 0x30, 0x39 },
	{ 4, 127, 0, 0, 1, 0x30, 0x3a },
	{ 4, 127, 0, 0, 2, 0x30, 0x39 },
	{ 4, 127, 0, 1, 1, 0x30, 0x39 },
};

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_admit: %s\n", why);
	abort();
}

static uint64_t scid_of(unsigned id)
{
	return 0x1000 + id;
}

static const struct issued *find_issued(const struct lst *l, unsigned addr,
					unsigned id, const uint8_t *tok,
					size_t tok_len)
{
	unsigned i;

	if (tok_len != RDT_COOKIE_LEN)
		return NULL;
	for (i = 0; i < l->nissued; i++)
		if (l->issued[i].addr == addr && l->issued[i].id == id &&
		    memcmp(l->issued[i].cookie, tok, tok_len) == 0)
			return &l->issued[i];
	return NULL;
}

static void remember(struct lst *l, unsigned addr, unsigned id,
		     const uint8_t *cookie)
{
	struct issued *is;

	if (l->nissued == ISSUED_MAX) {
		memmove(&l->issued[0], &l->issued[1],
			(ISSUED_MAX - 1) * sizeof(l->issued[0]));
		l->nissued--;
	}
	is = &l->issued[l->nissued++];
	is->addr = addr;
	is->id = id;
	is->at = l->t;
	memcpy(is->cookie, cookie, RDT_COOKIE_LEN);
}

/* The proof asked of an INIT from |addr| that decoded as |pkt| (|len|
 * bytes on the wire). */
static void check_proof(struct lst *l, unsigned addr,
			const struct rdt_pkt *pkt, size_t len)
{
	uint8_t retry[RDT_ADMIT_RETRY_MAX];
	size_t retry_len = 0;
	struct rdt_pkt answer;
	const struct issued *is = NULL;
	unsigned id = IDS;
	enum rdt_admit_proof proof;
	int made, in_time;

	if (rdt_cookie_needs_key(&l->keys, l->t)) {
		uint8_t key[RDT_COOKIE_KEY_LEN];
		unsigned i;

		for (i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)prng_next(&l->rng);
		rdt_cookie_add_key(&l->keys, l->t, key);
	}
	if (pkt->scid >= scid_of(0) && pkt->scid < scid_of(IDS)) {
		id = (unsigned)(pkt->scid - scid_of(0));
		is = find_issued(l, addr, id, pkt->token, pkt->token_len);
	}
	/* Judged before remember() may shift the table under |is|. */
	made = is != NULL && l->t - is->at <= RDT_COOKIE_LIFETIME;
	in_time = is != NULL && l->t - is->at < RDT_COOKIE_LIFETIME;
	proof = rdt_admit_proof(&l->keys, pkt, addrs[addr], sizeof(addrs[0]),
				l->t, retry, &retry_len);
	if (proof == RDT_ADMIT_PROOF_GIVEN && !made)
		fail("accepted a cookie it never made for this client");
	if (proof != RDT_ADMIT_PROOF_GIVEN && in_time)
		fail("refused a cookie it made, brought back in time");
	if (proof == RDT_ADMIT_PROOF_RETRY) {
		if (retry_len > len)
			fail("a RETRY larger than the INIT it answers");
		if (rdt_pkt_decode(&answer, retry, retry_len) != 0 ||
		    answer.type != RDT_PKT_RETRY || answer.dcid != pkt->scid ||
		    answer.token_len != RDT_COOKIE_LEN)
			fail("a malformed RETRY");
		if (id < IDS)
			remember(l, addr, id, answer.token);
	}
}

/* The runtime's path for datagram |dg| from |addr| on an endpoint that
 * listens if |listening| and asks for proof if |ask|. */
static void admit_one(struct lst *l, unsigned addr, const uint8_t *dg,
		      size_t len, int listening, int ask)
{
	struct rdt_admit_verdict v;
	struct rdt_pkt pkt;
	int rc;

	memset(&pkt, 0, sizeof(pkt));
	rc = rdt_pkt_decode(&pkt, dg, len);
	rdt_admit(&pkt, rc, listening, &l->lim, l->t, &v);
	switch (v.action) {
	case RDT_ADMIT_DROP:
		break;
	case RDT_ADMIT_RESET:
		if (rc != 0 || pkt.type == RDT_PKT_RESET)
			fail("answered a RESET or junk with a RESET");
		l->resets++;
		/* The bucket holds a second's worth and refills at the
		 * rate. */
		if (l->resets > RDT_ADMIT_RESET_RATE +
					(l->t - l->t0) * RDT_ADMIT_RESET_RATE /
						RDT_S + 1)
			fail("more RESETs than the limiter allows");
		break;
	case RDT_ADMIT_PEER_FORGOT:
		if (rc != 0 || pkt.type != RDT_PKT_RESET ||
		    pkt.reason != RDT_RESET_UNKNOWN)
			fail("a peer's restart read into something else");
		break;
	case RDT_ADMIT_HANDSHAKE:
		if (rc != 0 || pkt.type != RDT_PKT_INIT || pkt.dcid != 0 ||
		    !listening)
			fail("a handshake from something that is no INIT");
		if (ask)
			check_proof(l, addr, &pkt, len);
		break;
	}
}

/* An INIT from a client: no token, a cookie it was handed (or another
 * client's), or bytes of the fuzzer's. */
static size_t make_init(struct lst *l, uint8_t *dg, size_t cap)
{
	uint8_t tok[RDT_PKT_MAX_TOKEN];
	uint8_t how = fuzz_u8(&l->in);
	struct rdt_pkt pkt;
	rdt_ssize n;
	unsigned i;

	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_INIT;
	pkt.scid = scid_of(how % IDS);
	pkt.pn = fuzz_u16(&l->in);
	pkt.isn = fuzz_u16(&l->in);
	pkt.window = 1 << 20;
	pkt.max_dgram = 1400;
	switch ((how >> 2) % 4) {
	case 0:
		break;
	case 1:
	case 2:
		if (l->nissued > 0) {
			i = fuzz_u8(&l->in) % l->nissued;
			memcpy(tok, l->issued[i].cookie, RDT_COOKIE_LEN);
			/* One flipped bit must not pass either. */
			if ((how >> 2) % 4 == 2)
				tok[fuzz_u8(&l->in) % RDT_COOKIE_LEN] ^=
					(uint8_t)(1u << (fuzz_u8(&l->in) % 8));
			pkt.token = tok;
			pkt.token_len = RDT_COOKIE_LEN;
		}
		break;
	case 3:
		pkt.token_len = (uint8_t)(1 + fuzz_u8(&l->in) % RDT_PKT_MAX_TOKEN);
		for (i = 0; i < pkt.token_len; i++)
			tok[i] = fuzz_u8(&l->in);
		pkt.token = tok;
		break;
	}
	n = rdt_pkt_encode(dg, cap, &pkt);
	return n > 0 ? (size_t)n : 0;
}

/* A RESET or a DATA naming one of the IDs, or junk. */
static size_t make_other(struct lst *l, uint8_t *dg, size_t cap)
{
	uint8_t kind = fuzz_u8(&l->in);
	size_t len, i;
	rdt_ssize n;

	if (kind % 3 == 0) {
		n = rdt_pkt_encode_reset(dg, cap, kind & 4 ? 0 : scid_of(kind % IDS),
					 fuzz_u8(&l->in) % 7);
		return n > 0 ? (size_t)n : 0;
	}
	len = fuzz_u16(&l->in) % cap;
	for (i = 0; i < len; i++)
		dg[i] = fuzz_u8(&l->in);
	if (kind % 3 == 1 && len >= RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE) {
		dg[0] = RDT_PROTO_VERSION;
		fuzz_fix_crc(dg, len);
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lst l;
	static uint8_t dg[RDT_PKT_MAX_DGRAM];
	unsigned ops;

	memset(&l, 0, sizeof(l));
	l.in.p = data;
	l.in.n = size;
	prng_seed(&l.rng, fuzz_u64(&l.in));
	l.t0 = l.t = RDT_S;
	for (ops = 0; ops < OPS_MAX && l.in.n > 0; ops++) {
		uint8_t op = fuzz_u8(&l.in);
		unsigned addr = (op >> 2) % ADDRS;
		int listening = !(op & 0x10), ask = !!(op & 0x20);
		size_t len;

		switch (op % 4) {
		case 0:
			/* Up to 65 s: across a rotation or two. */
			l.t += (rdt_tstamp)fuzz_u16(&l.in) * RDT_MS;
			continue;
		case 1:
		case 2:
			len = make_init(&l, dg, 2048);
			break;
		default:
			len = make_other(&l, dg, 2048);
			break;
		}
		admit_one(&l, addr, dg, len, listening, ask);
	}
	return 0;
}
