/*
 * fuzz_seal.c: libFuzzer target for the encrypted modes' parsing of
 * network bytes (src/core/seal.c, the sealed paths of conn_in.c and
 * rdt_admit_unseal in admit.c).
 *
 * Map of this file:
 *
 *   struct world     a client and a server core in one encrypted mode
 *                    (the script's first byte: pre-shared key or
 *                    public-key handshake), a genuine exchange between
 *                    them, and every genuine datagram it produced, kept
 *                    as a pool the script mutates.
 *   genuine          runs the pair on a clean network and records.
 *   offer            hands one datagram to the connection it names and
 *                    to listeners of both modes, checking what they did.
 *   op_*             the script: a pooled datagram with bytes flipped,
 *                    cut short, lengthened, with header fields rewritten
 *                    (each with or without its CRC made good again), a
 *                    genuine one replayed, or raw bytes.
 *
 * The properties:
 *   - no crash, no sanitizer report, whatever the bytes;
 *   - a datagram that is not byte for byte a genuine one is never taken:
 *     the connection counts it as dropped (damaged, malformed or failing
 *     authentication), and a listener never opens it as an INIT;
 *   - the streams each end read are the truth (a replayed genuine
 *     datagram may be taken again, as a duplicate, and adds nothing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../src/core/admit.h"
#include "../../src/core/conn.h"
#include "../../src/core/err.h"
#include "../../src/core/seal.h"
#include "../../src/util/prng.h"
#include "../../src/wire/pkt.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL_MAX 48
#define DG_MAX 1500
#define OPS_MAX 512
#define STREAM 20000

static const uint8_t psk[32] = "fuzz_seal: the pre-shared key..";
static uint8_t srv_secret[32], srv_public[32];

struct world {
	struct prng rng;
	struct rdt_conn_config cfg[2];
	struct rdt_conn *c[2];
	rdt_tstamp t;
	uint8_t pool[POOL_MAX][DG_MAX];
	size_t pool_len[POOL_MAX];
	int pool_to[POOL_MAX];	/* the side it was sent to */
	unsigned npool;
	uint64_t got[2];
	struct fuzz_input in;
};

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_seal: %s\n", why);
	abort();
}

static uint64_t rand64(void *ctx)
{
	return prng_next(ctx);
}

static uint8_t pat(uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8) * 7 + 3);
}

/* Reads what |side| can read; every byte must be the truth. */
static void drain(struct world *w, int side)
{
	uint8_t buf[4096];
	rdt_ssize n;

	while ((n = rdt_conn_recv(w->c[side], buf, sizeof(buf), 0, w->t)) > 0)
		for (rdt_ssize i = 0; i < n; i++)
			if (buf[i] != pat(w->got[side]++))
				fail("a byte read is not the truth");
}

static uint64_t drops(const struct rdt_conn *c)
{
	struct rdt_conn_info info;

	rdt_conn_get_info(c, &info);
	return info.stats.drop_checksum + info.stats.drop_malformed +
	       info.stats.drop_auth;
}

/* The server from the client's INIT, as a listener of the mode makes
 * it. */
static int make_server(struct world *w, const uint8_t *dg, size_t len)
{
	const struct rdt_admit_keys keys = {
		w->cfg[0].use_psk ? psk : NULL,
		w->cfg[0].use_pk ? srv_secret : NULL,
		w->cfg[0].use_pk ? srv_public : NULL,
	};
	static uint8_t plain[DG_MAX];
	struct rdt_admit_limiter lim;
	struct rdt_admit_verdict v;
	struct rdt_pkt init;
	const uint8_t *out, *eph;
	size_t out_len;

	memset(&lim, 0, sizeof(lim));
	if (!rdt_admit_unseal(&keys, dg, len, plain, &out, &out_len, &lim,
			      w->t, &v) ||
	    out != plain || rdt_pkt_decode(&init, out, out_len) != 0)
		fail("the genuine INIT did not open");
	eph = rdt_seal_ephemeral(dg, len);
	if (w->cfg[1].use_pk)
		memcpy(w->cfg[1].pk_peer, eph, 32);
	return rdt_conn_server_new(&w->c[1], &w->cfg[1], rdt_mem_default(),
				   &init, w->t);
}

/* A clean exchange, every datagram recorded while the pool has room. */
static void genuine(struct world *w)
{
	uint8_t dg[DG_MAX], buf[1000];
	uint64_t sent[2] = { 0, 0 };
	int busy = 1;

	for (int round = 0; round < 400 && busy; round++) {
		busy = 0;
		for (int side = 0; side < 2; side++) {
			rdt_ssize n;

			if (w->c[side] == NULL)
				continue;
			while (sent[side] < STREAM) {
				for (size_t i = 0; i < sizeof(buf); i++)
					buf[i] = pat(sent[side] + i);
				n = rdt_conn_send(w->c[side], buf, sizeof(buf),
						  w->t);
				if (n <= 0)
					break;
				sent[side] += (uint64_t)n;
			}
			drain(w, side);
			while ((n = rdt_conn_write_pkt(w->c[side], dg,
						       sizeof(dg), w->t)) > 0) {
				busy = 1;
				if (w->npool < POOL_MAX) {
					memcpy(w->pool[w->npool], dg,
					       (size_t)n);
					w->pool_len[w->npool] = (size_t)n;
					w->pool_to[w->npool] = !side;
					w->npool++;
				}
				if (side == 0 && w->c[1] == NULL) {
					if (make_server(w, dg, (size_t)n) != 0)
						fail("server_new");
					continue;
				}
				rdt_conn_recv_pkt(w->c[!side], dg, (size_t)n,
						  w->t);
			}
		}
		if (!busy) {
			rdt_tstamp a = rdt_conn_deadline(w->c[0]);
			rdt_tstamp b = w->c[1] ? rdt_conn_deadline(w->c[1]) :
						 RDT_TSTAMP_NEVER;

			if (a > b)
				a = b;
			if (a != RDT_TSTAMP_NEVER && a < w->t + 10 * RDT_S) {
				if (a > w->t)
					w->t = a;
				for (int s = 0; s < 2; s++)
					if (w->c[s] && rdt_conn_deadline(
							       w->c[s]) <= w->t)
						rdt_conn_on_deadline(w->c[s],
								     w->t);
				busy = 1;
			}
		}
	}
}

static int is_genuine(const struct world *w, const uint8_t *dg, size_t len)
{
	for (unsigned i = 0; i < w->npool; i++)
		if (w->pool_len[i] == len && memcmp(w->pool[i], dg, len) == 0)
			return 1;
	return 0;
}

/* Hands |dg| to side |to| and to listeners of both modes. */
static void offer(struct world *w, int to, const uint8_t *dg, size_t len)
{
	static const struct rdt_admit_keys listeners[3] = {
		{ psk, NULL, NULL },
		{ NULL, srv_secret, srv_public },
		{ NULL, NULL, NULL },
	};
	static uint8_t plain[65536];
	int real = is_genuine(w, dg, len);

	if (w->c[to] != NULL) {
		uint64_t before = drops(w->c[to]);

		rdt_conn_recv_pkt(w->c[to], dg, len, w->t);
		if (!real && drops(w->c[to]) != before + 1)
			fail("an altered datagram was not dropped");
		drain(w, to);
	}
	for (int k = 0; k < 3; k++) {
		struct rdt_admit_limiter lim;
		struct rdt_admit_verdict v;
		const uint8_t *out;
		size_t out_len;

		memset(&lim, 0, sizeof(lim));
		if (rdt_admit_unseal(&listeners[k], dg, len, plain, &out,
				     &out_len, &lim, w->t, &v) &&
		    out == plain && !real)
			fail("a listener opened an altered INIT");
	}
}

static void maybe_fix_crc(struct world *w, uint8_t *dg, size_t len)
{
	if (len >= RDT_PKT_CRC_SIZE && fuzz_u8(&w->in) & 1)
		fuzz_fix_crc(dg, len);
}

static void op_mutate(struct world *w)
{
	uint8_t dg[DG_MAX + 64];
	unsigned i = fuzz_u8(&w->in) % w->npool;
	size_t len = w->pool_len[i];
	unsigned kind = fuzz_u8(&w->in) % 4;

	memcpy(dg, w->pool[i], len);
	switch (kind) {
	case 0: /* flip up to four bytes */
		for (int k = 0, n = 1 + fuzz_u8(&w->in) % 4; k < n; k++)
			dg[fuzz_u16(&w->in) % len] ^=
				(uint8_t)(1 + fuzz_u8(&w->in) % 255);
		break;
	case 1: /* cut short */
		len = fuzz_u16(&w->in) % len;
		break;
	case 2: /* lengthened */
		for (int k = 0, n = 1 + fuzz_u8(&w->in) % 64; k < n; k++)
			dg[len++] = fuzz_u8(&w->in);
		break;
	default: /* a header field rewritten */
		if (len < RDT_PKT_HEADER_SIZE)
			break;
		dg[fuzz_u8(&w->in) % RDT_PKT_HEADER_SIZE] = fuzz_u8(&w->in);
		break;
	}
	maybe_fix_crc(w, dg, len);
	offer(w, w->pool_to[i], dg, len);
}

static void op_replay(struct world *w)
{
	unsigned i = fuzz_u8(&w->in) % w->npool;

	offer(w, w->pool_to[i], w->pool[i], w->pool_len[i]);
}

static void op_raw(struct world *w)
{
	uint8_t dg[DG_MAX];
	size_t len = fuzz_u16(&w->in) % sizeof(dg);

	for (size_t k = 0; k < len; k++)
		dg[k] = fuzz_u8(&w->in);
	/* Often a sealed handshake's shape, so that the listeners' key
	 * paths, not only their first checks, meet the bytes. */
	if (len > 2 && fuzz_u8(&w->in) & 1) {
		dg[0] = RDT_PROTO_VERSION_SEALED;
		dg[1] = RDT_PKT_INIT;
		dg[2] = fuzz_u8(&w->in) & RDT_SEAL_F_PUBLIC;
	}
	maybe_fix_crc(w, dg, len);
	offer(w, fuzz_u8(&w->in) & 1, dg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int keys_made;
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return 0;
	if (!keys_made) {
		for (int i = 0; i < 32; i++)
			srv_secret[i] = (uint8_t)(i * 29 + 5);
		crypto_scalarmult_base(srv_public, srv_secret);
		keys_made = 1;
	}
	w->in.p = data;
	w->in.n = size;
	prng_seed(&w->rng, 0x5ea1f022);
	for (int side = 0; side < 2; side++) {
		rdt_conn_config_default(&w->cfg[side]);
		w->cfg[side].rand64 = rand64;
		w->cfg[side].rand_ctx = &w->rng;
		w->cfg[side].sndbuf = w->cfg[side].rcvbuf = 64 * 1024;
		if (data == NULL || size == 0 || !(data[0] & 1)) {
			w->cfg[side].use_psk = 1;
			memcpy(w->cfg[side].psk, psk, sizeof(psk));
		} else {
			w->cfg[side].use_pk = 1;
		}
	}
	(void)fuzz_u8(&w->in);
	memcpy(w->cfg[0].pk_peer, srv_public, 32);
	memcpy(w->cfg[1].pk_secret, srv_secret, 32);
	memcpy(w->cfg[1].pk_public, srv_public, 32);
	w->t = RDT_S;
	if (rdt_conn_client_new(&w->c[0], &w->cfg[0], rdt_mem_default(),
				w->t) != 0)
		fail("client_new");
	genuine(w);
	if (w->c[1] == NULL || w->npool == 0)
		fail("no genuine exchange");
	for (int op = 0; op < OPS_MAX && w->in.n > 0; op++) {
		switch (fuzz_u8(&w->in) % 4) {
		case 0:
		case 1:
			op_mutate(w);
			break;
		case 2:
			op_replay(w);
			break;
		default:
			op_raw(w);
			break;
		}
	}
	rdt_conn_del(w->c[0]);
	rdt_conn_del(w->c[1]);
	free(w);
	return 0;
}
