/*
 * seal.c: sealing and opening datagrams with a pre-shared key; the
 * layout and its reasons are in seal.h and PROTOCOL.md 11.
 */
#include <string.h>

#include <sodium.h>

#include "seal.h"
#include "../wire/crc32c.h"
#include "../wire/pkt.h"

/* The clear prefix of INIT and ACCEPT: header and scid; the public-key
 * handshake's adds the ephemeral key. */
#define HANDSHAKE_CLEAR_LEN (RDT_PKT_HEADER_SIZE + 8)
#define PK_CLEAR_LEN (HANDSHAKE_CLEAR_LEN + RDT_SEAL_PUBLIC_SIZE)

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A key from the secret |secret| (|slen| bytes, at most 64) for |label|,
 * the public keys |pubs| (|npubs|) and the IDs |ids| (|nids|): keyed
 * BLAKE2b, the labels keeping every use of a secret apart. */
static void derive_from(const uint8_t *secret, size_t slen, const char *label,
			const uint8_t *const *pubs, int npubs,
			const uint64_t *ids, int nids,
			uint8_t key[RDT_SEAL_KEY_SIZE])
{
	crypto_generichash_state st;
	uint8_t be[8];

	crypto_generichash_init(&st, secret, slen, RDT_SEAL_KEY_SIZE);
	crypto_generichash_update(&st, (const uint8_t *)label,
				  strlen(label) + 1);
	for (int i = 0; i < npubs; i++)
		crypto_generichash_update(&st, pubs[i], RDT_SEAL_PUBLIC_SIZE);
	for (int i = 0; i < nids; i++) {
		put_be64(be, ids[i]);
		crypto_generichash_update(&st, be, sizeof(be));
	}
	crypto_generichash_final(&st, key, RDT_SEAL_KEY_SIZE);
	sodium_memzero(&st, sizeof(st));
}

static void derive(const uint8_t psk[RDT_SEAL_KEY_SIZE], const char *label,
		   const uint64_t *ids, int nids,
		   uint8_t key[RDT_SEAL_KEY_SIZE])
{
	derive_from(psk, RDT_SEAL_KEY_SIZE, label, NULL, 0, ids, nids, key);
}

void rdt_seal_pk_init_key(const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
			  const uint8_t e[RDT_SEAL_PUBLIC_SIZE],
			  const uint8_t s[RDT_SEAL_PUBLIC_SIZE],
			  uint8_t key[RDT_SEAL_KEY_SIZE])
{
	const uint8_t *pubs[2] = { e, s };

	derive_from(dh1, RDT_SEAL_PUBLIC_SIZE, "rdt 2 pk init", pubs, 2, NULL,
		    0, key);
}

/* dh1 || dh2, the secret of everything after the INIT. */
static void both_dh(uint8_t out[2 * RDT_SEAL_PUBLIC_SIZE],
		    const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
		    const uint8_t dh2[RDT_SEAL_PUBLIC_SIZE])
{
	memcpy(out, dh1, RDT_SEAL_PUBLIC_SIZE);
	memcpy(out + RDT_SEAL_PUBLIC_SIZE, dh2, RDT_SEAL_PUBLIC_SIZE);
}

void rdt_seal_pk_accept_key(const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
			    const uint8_t dh2[RDT_SEAL_PUBLIC_SIZE],
			    const uint8_t e[RDT_SEAL_PUBLIC_SIZE],
			    const uint8_t f[RDT_SEAL_PUBLIC_SIZE],
			    uint8_t key[RDT_SEAL_KEY_SIZE])
{
	const uint8_t *pubs[2] = { e, f };
	uint8_t dh[2 * RDT_SEAL_PUBLIC_SIZE];

	both_dh(dh, dh1, dh2);
	derive_from(dh, sizeof(dh), "rdt 2 pk accept", pubs, 2, NULL, 0, key);
	sodium_memzero(dh, sizeof(dh));
}

void rdt_seal_pk_session_key(const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
			     const uint8_t dh2[RDT_SEAL_PUBLIC_SIZE],
			     const uint8_t e[RDT_SEAL_PUBLIC_SIZE],
			     const uint8_t f[RDT_SEAL_PUBLIC_SIZE],
			     uint64_t client_cid, uint64_t server_cid,
			     int from_server, uint8_t key[RDT_SEAL_KEY_SIZE])
{
	const uint8_t *pubs[2] = { e, f };
	const uint64_t ids[2] = { client_cid, server_cid };
	uint8_t dh[2 * RDT_SEAL_PUBLIC_SIZE];

	both_dh(dh, dh1, dh2);
	derive_from(dh, sizeof(dh),
		    from_server ? "rdt 2 pk server" : "rdt 2 pk client", pubs,
		    2, ids, 2, key);
	sodium_memzero(dh, sizeof(dh));
}

int rdt_seal_dh(uint8_t out[RDT_SEAL_PUBLIC_SIZE],
		const uint8_t secret[RDT_SEAL_PUBLIC_SIZE],
		const uint8_t public_key[RDT_SEAL_PUBLIC_SIZE])
{
	return crypto_scalarmult(out, secret, public_key) == 0 ? 0 : -1;
}

void rdt_seal_handshake_key(const uint8_t psk[RDT_SEAL_KEY_SIZE],
			    uint8_t type, uint8_t key[RDT_SEAL_KEY_SIZE])
{
	derive(psk, type == RDT_PKT_INIT ? "rdt 2 init" : "rdt 2 accept",
	       NULL, 0, key);
}

void rdt_seal_session_key(const uint8_t psk[RDT_SEAL_KEY_SIZE],
			  uint64_t client_cid, uint64_t server_cid,
			  int from_server, uint8_t key[RDT_SEAL_KEY_SIZE])
{
	const uint64_t ids[2] = { client_cid, server_cid };

	derive(psk, from_server ? "rdt 2 server" : "rdt 2 client", ids, 2,
	       key);
}

size_t rdt_seal_clear_len(uint8_t type, uint8_t flags)
{
	if (type != RDT_PKT_INIT && type != RDT_PKT_ACCEPT)
		return RDT_PKT_HEADER_SIZE;
	return flags & RDT_SEAL_F_PUBLIC ? PK_CLEAR_LEN : HANDSHAKE_CLEAR_LEN;
}

const uint8_t *rdt_seal_ephemeral(const uint8_t *dg, size_t len)
{
	if (len < PK_CLEAR_LEN || dg[0] != RDT_PROTO_VERSION_SEALED ||
	    rdt_seal_clear_len(dg[1], dg[2]) != PK_CLEAR_LEN)
		return NULL;
	return dg + HANDSHAKE_CLEAR_LEN;
}

/* What the sealed form adds to the version 1 datagram. */
static size_t overhead(size_t clear)
{
	return RDT_SEAL_TAG_SIZE + (clear == PK_CLEAR_LEN ?
					    RDT_SEAL_PUBLIC_SIZE : 0);
}

size_t rdt_open_len(const uint8_t *src, size_t len)
{
	size_t clear;

	if (len < RDT_PKT_HEADER_SIZE + RDT_SEAL_TAG_SIZE + RDT_PKT_CRC_SIZE)
		return 0;
	clear = rdt_seal_clear_len(src[1], src[2]);
	if (len < clear + RDT_SEAL_TAG_SIZE + RDT_PKT_CRC_SIZE)
		return 0;
	return len - overhead(clear);
}

static void make_nonce(const struct rdt_seal_nonce *n,
		       uint8_t out[crypto_aead_chacha20poly1305_IETF_NPUBBYTES])
{
	memset(out, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	if (n->handshake) {
		put_be64(out, n->cid);
		out[8] = (uint8_t)(n->pn >> 24);
		out[9] = (uint8_t)(n->pn >> 16);
		out[10] = (uint8_t)(n->pn >> 8);
		out[11] = (uint8_t)n->pn;
	} else {
		put_be64(out + 4, n->pn);
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t rdt_seal_wire_pn(const uint8_t *dg)
{
	return (uint32_t)dg[12] << 24 | (uint32_t)dg[13] << 16 |
	       (uint32_t)dg[14] << 8 | dg[15];
}

size_t rdt_seal(uint8_t *dg, size_t len, const uint8_t key[RDT_SEAL_KEY_SIZE],
		const struct rdt_seal_nonce *nonce, const uint8_t *eph)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	size_t clear = rdt_seal_clear_len(dg[1], eph ? RDT_SEAL_F_PUBLIC : 0);
	size_t body = len - RDT_PKT_CRC_SIZE - HANDSHAKE_CLEAR_LEN;
	size_t sealed;
	unsigned long long maclen;

	if (clear != PK_CLEAR_LEN)
		body = len - RDT_PKT_CRC_SIZE - clear;
	sealed = clear + body + RDT_SEAL_TAG_SIZE + RDT_PKT_CRC_SIZE;
	make_nonce(nonce, npub);
	dg[0] = RDT_PROTO_VERSION_SEALED;
	if (clear == PK_CLEAR_LEN) {
		/* The ephemeral key goes in after the scid. */
		memmove(dg + clear, dg + HANDSHAKE_CLEAR_LEN, body);
		memcpy(dg + HANDSHAKE_CLEAR_LEN, eph, RDT_SEAL_PUBLIC_SIZE);
		dg[2] = RDT_SEAL_F_PUBLIC;
	}
	/* The version 1 CRC gives way to the tag; a new CRC covers all. */
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		dg + clear, dg + clear + body, &maclen, dg + clear, body, dg,
		clear, NULL, npub, key);
	put_be32(dg + sealed - RDT_PKT_CRC_SIZE,
		 rdt_crc32c(0, dg, sealed - RDT_PKT_CRC_SIZE));
	return sealed;
}

int rdt_open(uint8_t *dst, const uint8_t *src, size_t len,
	     const uint8_t key[RDT_SEAL_KEY_SIZE],
	     const struct rdt_seal_nonce *nonce)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	size_t clear, body;

	size_t image;

	/* Damage in transit is told apart from a wrong key or a forgery
	 * (a listener refuses only the latter), whatever it hit. */
	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE)
		return RDT_OPEN_MALFORMED;
	if (!rdt_pkt_crc_holds(src, len))
		return RDT_OPEN_CHECKSUM;
	if (src[0] != RDT_PROTO_VERSION_SEALED || rdt_open_len(src, len) == 0)
		return RDT_OPEN_MALFORMED;
	clear = rdt_seal_clear_len(src[1], src[2]);
	/* A handshake's flags are the public-key one or none: the version
	 * 1 image, which drops it, must not hide others. */
	if (clear == PK_CLEAR_LEN && src[2] != RDT_SEAL_F_PUBLIC)
		return RDT_OPEN_MALFORMED;
	body = len - RDT_PKT_CRC_SIZE - RDT_SEAL_TAG_SIZE - clear;
	/* Of the clear prefix, the version 1 datagram keeps all but an
	 * ephemeral key. */
	image = clear == PK_CLEAR_LEN ? HANDSHAKE_CLEAR_LEN : clear;
	make_nonce(nonce, npub);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    dst + image, NULL, src + clear, body, src + clear + body,
		    src, clear, npub, key) != 0) {
		memset(dst, 0, image + body + RDT_PKT_CRC_SIZE);
		return RDT_OPEN_AUTH;
	}
	memcpy(dst, src, image);
	dst[0] = RDT_PROTO_VERSION;
	if (clear == PK_CLEAR_LEN)
		dst[2] = 0;
	put_be32(dst + image + body, rdt_crc32c(0, dst, image + body));
	return 0;
}

uint64_t rdt_seal_prefix_cid(const uint8_t *dg, size_t len)
{
	return len >= HANDSHAKE_CLEAR_LEN ? get_be64(dg + RDT_PKT_HEADER_SIZE) :
					    0;
}

int rdt_open_init(uint8_t *dst, const uint8_t *src, size_t len,
		  const uint8_t psk[RDT_SEAL_KEY_SIZE])
{
	uint8_t key[RDT_SEAL_KEY_SIZE];
	struct rdt_seal_nonce nonce;
	int rv;

	if (len < HANDSHAKE_CLEAR_LEN || src[1] != RDT_PKT_INIT)
		return RDT_OPEN_MALFORMED;
	nonce.cid = rdt_seal_prefix_cid(src, len);
	nonce.pn = rdt_seal_wire_pn(src);
	nonce.handshake = 1;
	rdt_seal_handshake_key(psk, RDT_PKT_INIT, key);
	rv = rdt_open(dst, src, len, key, &nonce);
	sodium_memzero(key, sizeof(key));
	return rv;
}
