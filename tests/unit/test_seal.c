/*
 * test_seal.c: the encrypted mode (core/seal.c, PROTOCOL.md 11): sealed
 * datagrams open only with their key and nonce, any change to one is
 * caught (as damage when the CRC fails, as a forgery when it was fixed
 * up), and two connections sharing a key move their streams byte-exact
 * while nothing unauthenticated gets in: clear or altered datagrams,
 * RESETs read by an observer, ICMP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/admit.h"
#include "core/conn.h"
#include "core/err.h"
#include "core/seal.h"
#include "util/prng.h"
#include "wire/crc32c.h"
#include "wire/pkt.h"

#define DG_MAX 2048
#define CLI 0
#define SRV 1

static const uint8_t psk_a[RDT_SEAL_KEY_SIZE] = "0123456789abcdef0123456789abcde";
static const uint8_t psk_b[RDT_SEAL_KEY_SIZE] = "0123456789abcdef0123456789abcdX";

static void fix_crc(uint8_t *dg, size_t len)
{
	uint32_t c = rdt_crc32c(0, dg, len - 4);

	dg[len - 4] = (uint8_t)(c >> 24);
	dg[len - 3] = (uint8_t)(c >> 16);
	dg[len - 2] = (uint8_t)(c >> 8);
	dg[len - 1] = (uint8_t)c;
}

/* A version 1 DATA datagram with an ACK and |n| stream bytes. */
static size_t sample_data(uint8_t *dg, size_t n)
{
	static uint8_t bytes[512];
	struct rdt_pkt pkt;
	rdt_ssize len;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + 1);
	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_DATA;
	pkt.flags = RDT_PKT_F_ACK | RDT_PKT_F_STREAM;
	pkt.dcid = 0x1122334455667788ULL;
	pkt.pn = 0x01020304;
	pkt.window_edge = 99999;
	pkt.ack.cum = 1234;
	pkt.ack.largest = 77;
	pkt.ack.first_len = 3;
	pkt.offset = 4321;
	pkt.data_len = (uint16_t)n;
	pkt.data = bytes;
	len = rdt_pkt_encode(dg, DG_MAX, &pkt);
	assert_true(len > 0);
	return (size_t)len;
}

static const struct rdt_seal_nonce data_nonce = { 0, 0x501020304ULL, 0 };

static void test_seal_roundtrip(void **state)
{
	uint8_t clear[DG_MAX], dg[DG_MAX], out[DG_MAX], key[32];
	size_t n = sample_data(clear, 300), sealed;

	(void)state;
	rdt_seal_session_key(psk_a, 1, 2, 0, key);
	memcpy(dg, clear, n);
	sealed = rdt_seal(dg, n, key, &data_nonce, NULL);
	assert_int_equal(sealed, n + RDT_SEAL_TAG_SIZE);
	assert_int_equal(dg[0], RDT_PROTO_VERSION_SEALED);
	/* The header stays readable; the body does not. */
	assert_memory_equal(dg + 1, clear + 1, RDT_PKT_HEADER_SIZE - 1);
	assert_memory_not_equal(dg + 16, clear + 16, n - 20);
	/* It is a well-formed rdt datagram: a CRC32C of all ends it. */
	assert_int_equal(rdt_pkt_peek_dcid(dg, sealed, &(uint64_t){ 0 }), 0);
	memcpy(out, dg, sealed);
	fix_crc(out, sealed);
	assert_memory_equal(out, dg, sealed);
	assert_int_equal(rdt_open(out, dg, sealed, key, &data_nonce), 0);
	assert_memory_equal(out, clear, n);
}

/* Every single-bit change anywhere: damage if the CRC was left alone
 * (the CRC is checked first, so even a changed version counts as
 * damage), a forgery (failed authentication) if the forger fixed it
 * up. */
static void test_seal_every_bit_caught(void **state)
{
	uint8_t dg[DG_MAX], bad[DG_MAX], out[DG_MAX], key[32];
	size_t n = sample_data(dg, 40), sealed;
	int rv;

	(void)state;
	rdt_seal_session_key(psk_a, 1, 2, 0, key);
	sealed = rdt_seal(dg, n, key, &data_nonce, NULL);
	for (size_t bit = 0; bit < sealed * 8; bit++) {
		memcpy(bad, dg, sealed);
		bad[bit / 8] ^= (uint8_t)(1u << bit % 8);
		assert_int_equal(rdt_open(out, bad, sealed, key, &data_nonce),
				 RDT_OPEN_CHECKSUM);
		if (bit / 8 >= sealed - 4)
			continue;
		fix_crc(bad, sealed);
		rv = rdt_open(out, bad, sealed, key, &data_nonce);
		/* A changed version is no longer a sealed datagram, and a
		 * changed type or flags may make a shape none is (a DATA's
		 * ACK flag read as an INIT's public-key one); any other
		 * change fails authentication. */
		if (bit / 8 == 0)
			assert_int_equal(rv, RDT_OPEN_MALFORMED);
		else if (bit / 8 <= 2 && rv == RDT_OPEN_MALFORMED)
			continue;
		else
			assert_int_equal(rv, RDT_OPEN_AUTH);
	}
	/* Cut short, with the CRC fixed: still a forgery. */
	memcpy(bad, dg, sealed);
	fix_crc(bad, sealed - 1);
	assert_int_equal(rdt_open(out, bad, sealed - 1, key, &data_nonce),
			 RDT_OPEN_AUTH);
}

static void test_seal_keys_and_nonces_apart(void **state)
{
	uint8_t dg[DG_MAX], out[DG_MAX], key[32], other[32];
	struct rdt_seal_nonce nonce = data_nonce;
	size_t sealed;

	(void)state;
	rdt_seal_session_key(psk_a, 1, 2, 0, key);
	sealed = rdt_seal(dg, sample_data(dg, 100), key, &nonce, NULL);
	/* Another pre-shared key, direction or connection: another key. */
	rdt_seal_session_key(psk_b, 1, 2, 0, other);
	assert_int_equal(rdt_open(out, dg, sealed, other, &nonce),
			 RDT_OPEN_AUTH);
	rdt_seal_session_key(psk_a, 1, 2, 1, other);
	assert_int_equal(rdt_open(out, dg, sealed, other, &nonce),
			 RDT_OPEN_AUTH);
	rdt_seal_session_key(psk_a, 1, 3, 0, other);
	assert_int_equal(rdt_open(out, dg, sealed, other, &nonce),
			 RDT_OPEN_AUTH);
	rdt_seal_handshake_key(psk_a, RDT_PKT_INIT, other);
	assert_int_equal(rdt_open(out, dg, sealed, other, &nonce),
			 RDT_OPEN_AUTH);
	/* Another packet number, even 2^32 apart (same wire bits). */
	nonce.pn += 1ULL << 32;
	assert_int_equal(rdt_open(out, dg, sealed, key, &nonce),
			 RDT_OPEN_AUTH);
	nonce = data_nonce;
	assert_int_equal(rdt_open(out, dg, sealed, key, &nonce), 0);
}

/* --- two connections ------------------------------------------------- */

struct pair {
	struct prng rng;
	struct rdt_conn_config cfg[2];
	struct rdt_conn *c[2];
	rdt_tstamp t;
	/* Every datagram each side wrote, in order (kept for replays). */
	uint8_t wire[2][64][DG_MAX];
	size_t wire_len[2][64];
	unsigned nwire[2];
	uint64_t sent[2], got[2];
	int plaintext_seen;
	/* The client's initial sequence number, from its INIT. */
	uint32_t cli_isn;
	/* The applications write nothing while set. */
	int hold;
	uint8_t init_dg[DG_MAX];
	size_t init_len;
};

static uint64_t rand64(void *ctx)
{
	return prng_next(ctx);
}

static uint8_t pat(uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8) * 7 + 3);
}

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	prng_seed(&p->rng, 0x5ea1);
	for (int side = CLI; side <= SRV; side++) {
		rdt_conn_config_default(&p->cfg[side]);
		p->cfg[side].rand64 = rand64;
		p->cfg[side].rand_ctx = &p->rng;
		p->cfg[side].sndbuf = 128u << 10;
		p->cfg[side].rcvbuf = 128u << 10;
		p->cfg[side].use_psk = 1;
		memcpy(p->cfg[side].psk, psk_a, sizeof(psk_a));
	}
	p->t = RDT_S;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	rdt_conn_del(p->c[CLI]);
	rdt_conn_del(p->c[SRV]);
	free(p);
	return 0;
}

/* Does |dg| hold 32 consecutive bytes of the stream pattern in clear?
 * Within a 256-byte block pat() steps by 131, across a block by 138;
 * 31 such steps in a row in ciphertext would be a 2^-240 accident. */
static int holds_plaintext(const uint8_t *dg, size_t len)
{
	size_t run = 0;

	for (size_t i = 1; i < len; i++) {
		uint8_t step = (uint8_t)(dg[i] - dg[i - 1]);

		run = step == 131 || step == 138 ? run + 1 : 0;
		if (run >= 31)
			return 1;
	}
	return 0;
}

/* Client INIT, opened as a listener would, makes the server. */
/* The client's INIT, judged as a listener holding |keys| judges it
 * (rdt_admit_unseal), makes the server if it opens; it is kept in
 * p->init_dg. */
static void start_with(struct pair *p, const struct rdt_admit_keys *keys)
{
	uint8_t plain[DG_MAX];
	struct rdt_admit_limiter lim;
	struct rdt_admit_verdict v;
	struct rdt_pkt init;
	const uint8_t *out, *eph;
	size_t out_len;
	rdt_ssize n;

	memset(&lim, 0, sizeof(lim));
	assert_int_equal(rdt_conn_client_new(&p->c[CLI], &p->cfg[CLI],
					     rdt_mem_default(), p->t),
			 0);
	n = rdt_conn_write_pkt(p->c[CLI], p->init_dg, sizeof(p->init_dg),
			       p->t);
	assert_int_equal(n, RDT_PKT_INIT_MIN_SIZE +
				    (p->cfg[CLI].use_pk ? RDT_SEAL_PK_OVERHEAD :
							  RDT_SEAL_TAG_SIZE));
	assert_int_equal(p->init_dg[0], RDT_PROTO_VERSION_SEALED);
	p->init_len = (size_t)n;
	if (!rdt_admit_unseal(keys, p->init_dg, p->init_len, plain, &out,
			      &out_len, &lim, p->t, &v))
		return;
	assert_ptr_equal(out, plain);
	assert_int_equal(rdt_pkt_decode(&init, out, out_len), 0);
	p->cli_isn = init.isn;
	eph = rdt_seal_ephemeral(p->init_dg, p->init_len);
	if (p->cfg[SRV].use_pk) {
		assert_non_null(eph);
		memcpy(p->cfg[SRV].pk_peer, eph, 32);
	}
	assert_int_equal(rdt_conn_server_new(&p->c[SRV], &p->cfg[SRV],
					     rdt_mem_default(), &init, p->t),
			 0);
}

static void start(struct pair *p, const uint8_t *listener_psk)
{
	const struct rdt_admit_keys keys = { listener_psk, NULL, NULL };

	start_with(p, &keys);
}

static void pump(struct pair *p)
{
	uint8_t dg[DG_MAX], buf[4096];
	int busy = 1;

	while (busy) {
		busy = 0;
		for (int side = CLI; side <= SRV; side++) {
			rdt_ssize n;

			while (!p->hold && p->sent[side] < 100000) {
				size_t len = 1000;

				for (size_t i = 0; i < len; i++)
					buf[i] = pat(p->sent[side] + i);
				n = rdt_conn_send(p->c[side], buf, len, p->t);
				if (n <= 0)
					break;
				p->sent[side] += (uint64_t)n;
			}
			while ((n = rdt_conn_recv(p->c[side], buf, sizeof(buf),
						  0, p->t)) > 0) {
				for (rdt_ssize i = 0; i < n; i++)
					assert_int_equal(buf[i],
							 pat(p->got[side] + (uint64_t)i));
				p->got[side] += (uint64_t)n;
			}
			while ((n = rdt_conn_write_pkt(p->c[side], dg,
						       sizeof(dg), p->t)) > 0) {
				unsigned k = p->nwire[side];

				busy = 1;
				assert_int_equal(dg[0],
						 RDT_PROTO_VERSION_SEALED);
				if (k < 64) {
					memcpy(p->wire[side][k], dg, (size_t)n);
					p->wire_len[side][k] = (size_t)n;
					p->nwire[side]++;
					if (holds_plaintext(dg, (size_t)n))
						p->plaintext_seen = 1;
				}
				rdt_conn_recv_pkt(p->c[!side], dg, (size_t)n,
						  p->t);
			}
		}
	}
}

static void run(struct pair *p, int steps)
{
	for (int i = 0; i < steps; i++) {
		rdt_tstamp a, b;

		pump(p);
		a = rdt_conn_deadline(p->c[CLI]);
		b = rdt_conn_deadline(p->c[SRV]);
		if (a > b)
			a = b;
		if (a == RDT_TSTAMP_NEVER)
			return;
		if (a > p->t)
			p->t = a;
		for (int side = CLI; side <= SRV; side++)
			if (rdt_conn_deadline(p->c[side]) <= p->t)
				rdt_conn_on_deadline(p->c[side], p->t);
	}
}

static struct rdt_conn_stats stats_of(struct rdt_conn *c)
{
	struct rdt_conn_info info;

	rdt_conn_get_info(c, &info);
	return info.stats;
}

/* 100 kB each way, byte-exact, with no plaintext on the wire and
 * nothing failing authentication. */
static void transfer_both_ways(struct pair *p)
{
	for (int i = 0; i < 2000 && (p->got[CLI] < 100000 ||
				     p->got[SRV] < 100000); i++)
		run(p, 1);
	assert_int_equal(p->got[SRV], 100000);
	assert_int_equal(p->got[CLI], 100000);
	assert_false(p->plaintext_seen);
	assert_int_equal(stats_of(p->c[CLI]).drop_auth, 0);
	assert_int_equal(stats_of(p->c[SRV]).drop_auth, 0);
}

static void test_seal_conn_transfer(void **state)
{
	struct pair *p = *state;

	start(p, psk_a);
	assert_non_null(p->c[SRV]);
	transfer_both_ways(p);
}

/* The controller and pacer meter what the path carries: a sealed
 * datagram counts in flight with its tag, not at the size it had before
 * sealing. */
static void test_seal_in_flight_is_wire_size(void **state)
{
	struct pair *p = *state;
	uint8_t dg[DG_MAX], buf[1000];
	struct rdt_conn_info info;
	rdt_ssize n;

	p->hold = 1;
	start(p, psk_a);
	run(p, 20);
	rdt_conn_get_info(p->c[CLI], &info);
	assert_int_equal(info.state, RDT_CONN_ESTABLISHED);
	assert_int_equal(info.bytes_in_flight, 0);
	memset(buf, 7, sizeof(buf));
	assert_int_equal(rdt_conn_send(p->c[CLI], buf, sizeof(buf), p->t),
			 sizeof(buf));
	n = rdt_conn_write_pkt(p->c[CLI], dg, sizeof(dg), p->t);
	assert_true(n > (rdt_ssize)sizeof(buf));
	rdt_conn_get_info(p->c[CLI], &info);
	assert_int_equal(info.bytes_in_flight, (uint64_t)n);
}

/* Nothing an attacker on the path makes is taken, and nothing it
 * replays changes the stream. */
static void test_seal_conn_forgeries_dropped(void **state)
{
	struct pair *p = *state;
	uint8_t dg[DG_MAX], clear[DG_MAX];
	struct rdt_pkt pkt;
	size_t n;
	rdt_ssize w;

	p->hold = 1;
	start(p, psk_a);
	pump(p);
	assert_int_equal(rdt_conn_state(p->c[SRV]), RDT_CONN_ESTABLISHED);

	/* A clear DATA naming the server, at its in-order position. */
	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_DATA;
	pkt.flags = RDT_PKT_F_STREAM;
	pkt.dcid = rdt_conn_local_cid(p->c[SRV]);
	pkt.pn = rdt_seal_wire_pn(p->wire[CLI][p->nwire[CLI] - 1]) + 1;
	pkt.offset = p->cli_isn;
	pkt.data_len = 8;
	pkt.data = (const uint8_t *)"FORGED!!";
	w = rdt_pkt_encode(clear, sizeof(clear), &pkt);
	assert_true(w > 0);
	rdt_conn_recv_pkt(p->c[SRV], clear, (size_t)w, p->t);
	assert_int_equal(stats_of(p->c[SRV]).drop_auth, 1);

	/* A genuine sealed datagram with one body byte changed and its
	 * CRC fixed up. */
	n = p->wire_len[CLI][p->nwire[CLI] - 1];
	memcpy(dg, p->wire[CLI][p->nwire[CLI] - 1], n);
	dg[20] ^= 0x40;
	fix_crc(dg, n);
	rdt_conn_recv_pkt(p->c[SRV], dg, n, p->t);
	assert_int_equal(stats_of(p->c[SRV]).drop_auth, 2);

	/* Replays of every datagram the client sent: duplicates. */
	for (unsigned k = 0; k < p->nwire[CLI]; k++)
		rdt_conn_recv_pkt(p->c[SRV], p->wire[CLI][k],
				  p->wire_len[CLI][k], p->t);
	assert_int_equal(stats_of(p->c[SRV]).drop_auth, 2);

	/* A RESET in clear, as anyone who saw the connection ID could
	 * send: not believed. */
	w = rdt_pkt_encode_reset(clear, sizeof(clear),
				 rdt_conn_local_cid(p->c[SRV]),
				 RDT_RESET_ABORT);
	assert_true(w > 0);
	rdt_conn_recv_pkt(p->c[SRV], clear, (size_t)w, p->t);
	assert_int_equal(stats_of(p->c[SRV]).drop_auth, 3);

	/* An ICMP port unreachable quoting the ID. */
	rdt_conn_peer_unreachable(p->c[SRV], p->t);
	rdt_conn_peer_unreachable(p->c[CLI], p->t);

	/* The stream check in pump() fails on any forged byte. */
	p->hold = 0;
	run(p, 2000);
	assert_int_equal(rdt_conn_error(p->c[SRV]), 0);
	assert_int_equal(rdt_conn_error(p->c[CLI]), 0);
	assert_int_equal(p->got[SRV], 100000);
	assert_int_equal(p->got[CLI], 100000);
}

/* A listener with another key cannot open the INIT; it answers with a
 * clear RESET AUTH, which makes the client fail with RDT_ERR_AUTH at
 * once, not at its timeout. */
static void test_seal_wrong_key_fails_clearly(void **state)
{
	struct pair *p = *state;
	uint8_t dg[DG_MAX];
	rdt_ssize w;

	start(p, psk_b);
	assert_null(p->c[SRV]);
	w = rdt_pkt_encode_reset(dg, sizeof(dg), rdt_conn_local_cid(p->c[CLI]),
				 RDT_RESET_AUTH);
	assert_true(w > 0);
	rdt_conn_recv_pkt(p->c[CLI], dg, (size_t)w, p->t);
	assert_int_equal(rdt_conn_state(p->c[CLI]), RDT_CONN_CLOSED);
	assert_int_equal(rdt_conn_error(p->c[CLI]), RDT_ERR_AUTH);
}

/* The tag needs room: a key with a datagram size that cannot hold a
 * sealed INIT is refused. */
static void test_seal_config_needs_room(void **state)
{
	struct pair *p = *state;

	p->cfg[CLI].max_dgram = RDT_PKT_INIT_MIN_SIZE;
	assert_int_equal(rdt_conn_client_new(&p->c[CLI], &p->cfg[CLI],
					     rdt_mem_default(), p->t),
			 RDT_ERR_INVALID);
	p->cfg[CLI].max_dgram = RDT_PKT_INIT_MIN_SIZE + RDT_SEAL_TAG_SIZE;
	assert_int_equal(rdt_conn_client_new(&p->c[CLI], &p->cfg[CLI],
					     rdt_mem_default(), p->t),
			 0);
}

/* A listener holding the pre-shared key |k| (or none). */
#define PSK_KEYS(k) (&(const struct rdt_admit_keys){ (k), NULL, NULL })

/* A listener's first look at an INIT (rdt_admit_unseal): opened with
 * its key, or refused with RESET AUTH whenever the two ends chose
 * differently; damage is dropped unanswered, as is anything short of a
 * full INIT, and the answers share the RESET budget. */
static void test_seal_listener_key_choice(void **state)
{
	struct pair *p = *state;
	uint8_t sealed[DG_MAX], clear[DG_MAX], bad[DG_MAX], plain[DG_MAX];
	struct rdt_admit_limiter lim;
	struct rdt_admit_verdict v;
	struct rdt_pkt init;
	const uint8_t *out;
	size_t out_len, slen, clen;
	uint64_t cid;
	rdt_ssize n;

	memset(&lim, 0, sizeof(lim));
	assert_int_equal(rdt_conn_client_new(&p->c[CLI], &p->cfg[CLI],
					     rdt_mem_default(), p->t),
			 0);
	cid = rdt_conn_local_cid(p->c[CLI]);
	n = rdt_conn_write_pkt(p->c[CLI], sealed, sizeof(sealed), p->t);
	assert_true(n > 0);
	slen = (size_t)n;
	memset(&init, 0, sizeof(init));
	init.type = RDT_PKT_INIT;
	init.scid = cid;
	init.max_dgram = 1400;
	n = rdt_pkt_encode(clear, sizeof(clear), &init);
	assert_true(n > 0);
	clen = (size_t)n;

	/* The same key: opened, and it is the client's INIT. */
	assert_int_equal(rdt_admit_unseal(PSK_KEYS(psk_a), sealed, slen, plain, &out,
					  &out_len, &lim, p->t, &v),
			 1);
	assert_ptr_equal(out, plain);
	assert_int_equal(out_len, slen - RDT_SEAL_TAG_SIZE);
	assert_int_equal(rdt_pkt_decode(&init, out, out_len), 0);
	assert_int_equal(init.scid, cid);
	/* Neither has a key: as before. */
	assert_int_equal(rdt_admit_unseal(PSK_KEYS(NULL), clear, clen, plain, &out,
					  &out_len, &lim, p->t, &v),
			 1);
	assert_ptr_equal(out, clear);
	/* Another key, a key where the listener has none, none where it
	 * has one: refused with RESET AUTH to the client's ID. */
	{
		const uint8_t *psks[3] = { psk_b, NULL, psk_a };
		const uint8_t *dgs[3] = { sealed, sealed, clear };
		size_t lens[3] = { slen, slen, clen };

		for (int k = 0; k < 3; k++) {
			assert_int_equal(rdt_admit_unseal(PSK_KEYS(psks[k]), dgs[k],
							  lens[k], plain, &out,
							  &out_len, &lim, p->t,
							  &v),
					 0);
			assert_int_equal(v.drop, RDT_ADMIT_DROP_AUTH);
			assert_int_equal(v.action, RDT_ADMIT_RESET);
			assert_int_equal(v.reset_reason, RDT_RESET_AUTH);
			assert_true(v.reset_dcid == cid);
		}
	}
	/* Damaged on the way: dropped, never answered, key or not. */
	memcpy(bad, sealed, slen);
	bad[100] ^= 1;
	assert_int_equal(rdt_admit_unseal(PSK_KEYS(psk_a), bad, slen, plain, &out,
					  &out_len, &lim, p->t, &v),
			 0);
	assert_int_equal(v.drop, RDT_ADMIT_DROP_CHECKSUM);
	assert_int_equal(v.action, RDT_ADMIT_DROP);
	assert_int_equal(rdt_admit_unseal(PSK_KEYS(NULL), bad, slen, plain, &out,
					  &out_len, &lim, p->t, &v),
			 0);
	assert_int_equal(v.drop, RDT_ADMIT_DROP_CHECKSUM);
	/* Short of a full INIT, even with its CRC made good: a RESET
	 * would not be smaller than what it answers by much; dropped. */
	memcpy(bad, sealed, 600);
	fix_crc(bad, 600);
	assert_int_equal(rdt_admit_unseal(PSK_KEYS(psk_a), bad, 600, plain, &out,
					  &out_len, &lim, p->t, &v),
			 0);
	assert_int_equal(v.drop, RDT_ADMIT_DROP_MALFORMED);
	assert_int_equal(v.action, RDT_ADMIT_DROP);
	/* The refusals spend the listener's RESET budget: a flood of
	 * wrong keys gets no more answers than any other flood. */
	for (int k = 0; k < 1000; k++)
		(void)rdt_admit_unseal(PSK_KEYS(psk_b), sealed, slen, plain, &out,
				       &out_len, &lim, p->t, &v);
	assert_int_equal(v.drop, RDT_ADMIT_DROP_AUTH);
	assert_int_equal(v.action, RDT_ADMIT_DROP);
}

/* --- the public-key handshake --------------------------------------- */

/* A server's static key pair, and another server's. */
static uint8_t srv_secret[32], srv_public[32], other_secret[32],
	other_public[32];

static void make_server_keys(void)
{
	for (int i = 0; i < 32; i++) {
		srv_secret[i] = (uint8_t)(i * 37 + 11);
		other_secret[i] = (uint8_t)(i * 53 + 7);
	}
	crypto_scalarmult_base(srv_public, srv_secret);
	crypto_scalarmult_base(other_public, other_secret);
}

/* Both ends in the public-key handshake: the client knows |peer|. */
static void use_pk(struct pair *p, const uint8_t *peer)
{
	for (int side = CLI; side <= SRV; side++) {
		p->cfg[side].use_psk = 0;
		p->cfg[side].use_pk = 1;
		p->cfg[side].max_dgram = 1400;
	}
	memcpy(p->cfg[CLI].pk_peer, peer, 32);
	memcpy(p->cfg[SRV].pk_secret, srv_secret, 32);
	memcpy(p->cfg[SRV].pk_public, srv_public, 32);
}

static const struct rdt_admit_keys srv_keys = { NULL, srv_secret, srv_public };

static void test_seal_pk_transfer(void **state)
{
	struct pair *p = *state;

	make_server_keys();
	use_pk(p, srv_public);
	start_with(p, &srv_keys);
	assert_non_null(p->c[SRV]);
	/* The INIT shows its ephemeral key and the flag, nothing else. */
	assert_int_equal(p->init_dg[2], RDT_SEAL_F_PUBLIC);
	assert_non_null(rdt_seal_ephemeral(p->init_dg, p->init_len));
	transfer_both_ways(p);
	/* The server's ACCEPT carried its own ephemeral key. */
	assert_int_equal(p->wire[SRV][0][1], RDT_PKT_ACCEPT);
	assert_non_null(rdt_seal_ephemeral(p->wire[SRV][0],
					   p->wire_len[SRV][0]));
}

/* A client that expects another server: no listener but that one can
 * open its INIT, so this one refuses it and the client fails at once;
 * and an ACCEPT forged by anyone else (here, a server with the wrong
 * key answering as best it can) is dropped, not believed. */
static void test_seal_pk_wrong_server(void **state)
{
	struct pair *p = *state;
	uint8_t plain[DG_MAX];
	struct rdt_admit_limiter lim;
	struct rdt_admit_verdict v;
	const uint8_t *out;
	size_t out_len;

	make_server_keys();
	use_pk(p, other_public);
	start_with(p, &srv_keys);
	assert_null(p->c[SRV]);
	memset(&lim, 0, sizeof(lim));
	assert_int_equal(rdt_admit_unseal(&srv_keys, p->init_dg, p->init_len,
					  plain, &out, &out_len, &lim, p->t,
					  &v),
			 0);
	assert_int_equal(v.drop, RDT_ADMIT_DROP_AUTH);
	assert_int_equal(v.action, RDT_ADMIT_RESET);
	assert_int_equal(v.reset_reason, RDT_RESET_AUTH);
}

/* An impostor who has the INIT but not the server's secret key makes a
 * server of its own with a key pair of its own: its ACCEPT does not
 * open at the client, which stays waiting and counts it. */
static void test_seal_pk_impostor_accept(void **state)
{
	struct pair *p = *state;
	const struct rdt_admit_keys other_keys = { NULL, other_secret,
						   other_public };
	uint8_t dg[DG_MAX];
	rdt_ssize n;

	make_server_keys();
	use_pk(p, srv_public);
	/* The impostor can read nothing, so it answers with a server made
	 * from the INIT's clear fields and its own keys. */
	memcpy(p->cfg[SRV].pk_secret, other_secret, 32);
	memcpy(p->cfg[SRV].pk_public, other_public, 32);
	start_with(p, &other_keys);
	assert_null(p->c[SRV]);	/* it cannot even open the INIT */
	{
		struct rdt_pkt init;
		uint8_t fake[DG_MAX];

		memset(&init, 0, sizeof(init));
		init.type = RDT_PKT_INIT;
		init.scid = rdt_seal_prefix_cid(p->init_dg, p->init_len);
		init.pn = rdt_seal_wire_pn(p->init_dg);
		init.max_dgram = 1400;
		init.window = 65536;
		memcpy(p->cfg[SRV].pk_peer,
		       rdt_seal_ephemeral(p->init_dg, p->init_len), 32);
		(void)fake;
		assert_int_equal(rdt_conn_server_new(&p->c[SRV], &p->cfg[SRV],
						     rdt_mem_default(), &init,
						     p->t),
				 0);
	}
	n = rdt_conn_write_pkt(p->c[SRV], dg, sizeof(dg), p->t);
	assert_true(n > 0);
	assert_int_equal(dg[1], RDT_PKT_ACCEPT);
	rdt_conn_recv_pkt(p->c[CLI], dg, (size_t)n, p->t);
	assert_int_equal(rdt_conn_state(p->c[CLI]), RDT_CONN_SYN_SENT);
	assert_int_equal(stats_of(p->c[CLI]).drop_auth, 1);
}

/*
 * Forward secrecy: whoever steals the server's secret key after the
 * connection can read the INIT (documented), but not the ACCEPT or
 * anything after it, which also depend on both ephemeral keys, wiped
 * when the connection made its session keys.  The thief's best guesses
 * are tried against every datagram recorded.
 */
static void test_seal_pk_forward_secrecy(void **state)
{
	struct pair *p = *state;
	uint8_t out[DG_MAX], dh1[32], dh2[32], key[32];
	const uint8_t *e, *f;
	struct rdt_seal_nonce nonce;
	uint64_t ccid, scid;

	make_server_keys();
	use_pk(p, srv_public);
	start_with(p, &srv_keys);
	for (int i = 0; i < 2000 && p->got[SRV] < 100000; i++)
		run(p, 1);
	assert_int_equal(p->got[SRV], 100000);
	e = rdt_seal_ephemeral(p->init_dg, p->init_len);
	f = rdt_seal_ephemeral(p->wire[SRV][0], p->wire_len[SRV][0]);
	assert_non_null(e);
	assert_non_null(f);
	ccid = rdt_seal_prefix_cid(p->init_dg, p->init_len);
	scid = rdt_seal_prefix_cid(p->wire[SRV][0], p->wire_len[SRV][0]);
	/* The stolen key opens the INIT... */
	assert_int_equal(rdt_seal_dh(dh1, srv_secret, e), 0);
	rdt_seal_pk_init_key(dh1, e, srv_public, key);
	nonce.cid = ccid;
	nonce.pn = rdt_seal_wire_pn(p->init_dg);
	nonce.handshake = 1;
	assert_int_equal(rdt_open(out, p->init_dg, p->init_len, key, &nonce),
			 0);
	/* ...but with X25519(server secret, F) standing in for the
	 * ephemeral-ephemeral secret, neither the ACCEPT nor any DATA. */
	assert_int_equal(rdt_seal_dh(dh2, srv_secret, f), 0);
	rdt_seal_pk_accept_key(dh1, dh2, e, f, key);
	nonce.cid = scid;
	nonce.pn = rdt_seal_wire_pn(p->wire[SRV][0]);
	assert_int_equal(rdt_open(out, p->wire[SRV][0], p->wire_len[SRV][0],
				  key, &nonce),
			 RDT_OPEN_AUTH);
	rdt_seal_pk_session_key(dh1, dh2, e, f, ccid, scid, 0, key);
	for (unsigned k = 1; k < p->nwire[CLI]; k++) {
		const uint8_t *dg = p->wire[CLI][k];

		nonce.cid = 0;
		nonce.handshake = 0;
		for (uint64_t hi = 0; hi < 2; hi++) {
			nonce.pn = hi << 32 | rdt_seal_wire_pn(dg);
			assert_int_equal(rdt_open(out, dg, p->wire_len[CLI][k],
						  key, &nonce),
					 RDT_OPEN_AUTH);
		}
	}
}

/* A listener of one kind refuses the other kind's INIT. */
static void test_seal_pk_and_psk_apart(void **state)
{
	struct pair *p = *state;
	const struct rdt_admit_keys psk_keys = { psk_a, NULL, NULL };
	uint8_t plain[DG_MAX];
	struct rdt_admit_limiter lim;
	struct rdt_admit_verdict v;
	const uint8_t *out;
	size_t out_len;

	make_server_keys();
	memset(&lim, 0, sizeof(lim));
	/* A PSK INIT (p->cfg as set up) at a public-key listener, then a
	 * public-key INIT at a PSK listener. */
	for (int k = 0; k < 2; k++) {
		const struct rdt_admit_keys *keys = k ? &psk_keys : &srv_keys;

		if (k) {
			rdt_conn_del(p->c[CLI]);
			p->c[CLI] = NULL;
			use_pk(p, srv_public);
		}
		start_with(p, keys);
		assert_null(p->c[SRV]);
		assert_int_equal(rdt_admit_unseal(keys, p->init_dg,
						  p->init_len, plain, &out,
						  &out_len, &lim, p->t, &v),
				 0);
		assert_int_equal(v.reset_reason, RDT_RESET_AUTH);
	}
	/* Both at once is no configuration. */
	rdt_conn_del(p->c[CLI]);
	p->c[CLI] = NULL;
	p->cfg[CLI].use_psk = 1;
	assert_int_equal(rdt_conn_client_new(&p->c[CLI], &p->cfg[CLI],
					     rdt_mem_default(), p->t),
			 RDT_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_seal_every_bit_caught),
		cmocka_unit_test(test_seal_keys_and_nonces_apart),
		cmocka_unit_test_setup_teardown(test_seal_in_flight_is_wire_size,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_conn_transfer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_seal_conn_forgeries_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_seal_wrong_key_fails_clearly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_config_needs_room,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_listener_key_choice,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_pk_transfer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seal_pk_wrong_server,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_pk_impostor_accept,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_pk_forward_secrecy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal_pk_and_psk_apart,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
