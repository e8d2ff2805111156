/*
 * seal.c: sealing and opening datagrams with a pre-shared key; the
 * layout and its reasons are in seal.h and PROTOCOL.md 11.
 */
#include <string.h>

#include <sodium.h>

#include "seal.h"
#include "../wire/crc32c.h"
#include "../wire/pkt.h"

/* The clear prefix of INIT and ACCEPT: header and scid. */
#define HANDSHAKE_CLEAR_LEN (RDT_PKT_HEADER_SIZE + 8)

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A key for |label| and |ids| (|nids| IDs): keyed BLAKE2b, the labels
 * keeping every use of the pre-shared key apart. */
static void derive(const uint8_t psk[RDT_SEAL_KEY_SIZE], const char *label,
		   const uint64_t *ids, int nids,
		   uint8_t key[RDT_SEAL_KEY_SIZE])
{
	crypto_generichash_state st;
	uint8_t be[8];

	crypto_generichash_init(&st, psk, RDT_SEAL_KEY_SIZE,
				RDT_SEAL_KEY_SIZE);
	crypto_generichash_update(&st, (const uint8_t *)label,
				  strlen(label) + 1);
	for (int i = 0; i < nids; i++) {
		put_be64(be, ids[i]);
		crypto_generichash_update(&st, be, sizeof(be));
	}
	crypto_generichash_final(&st, key, RDT_SEAL_KEY_SIZE);
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

size_t rdt_seal_clear_len(uint8_t type)
{
	return type == RDT_PKT_INIT || type == RDT_PKT_ACCEPT ?
		       HANDSHAKE_CLEAR_LEN : RDT_PKT_HEADER_SIZE;
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
		const struct rdt_seal_nonce *nonce)
{
	uint8_t npub[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	size_t clear = rdt_seal_clear_len(dg[1]);
	size_t body = len - RDT_PKT_CRC_SIZE - clear;
	size_t sealed = len + RDT_SEAL_TAG_SIZE;
	unsigned long long maclen;

	make_nonce(nonce, npub);
	dg[0] = RDT_PROTO_VERSION_SEALED;
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

	if (len < RDT_PKT_HEADER_SIZE + RDT_SEAL_TAG_SIZE + RDT_PKT_CRC_SIZE ||
	    src[0] != RDT_PROTO_VERSION_SEALED)
		return RDT_OPEN_MALFORMED;
	clear = rdt_seal_clear_len(src[1]);
	if (len < clear + RDT_SEAL_TAG_SIZE + RDT_PKT_CRC_SIZE)
		return RDT_OPEN_MALFORMED;
	/* Damage in transit is told apart from a wrong key or a forgery:
	 * a listener refuses only the latter. */
	if (get_be32(src + len - RDT_PKT_CRC_SIZE) !=
	    rdt_crc32c(0, src, len - RDT_PKT_CRC_SIZE))
		return RDT_OPEN_CHECKSUM;
	body = len - RDT_PKT_CRC_SIZE - RDT_SEAL_TAG_SIZE - clear;
	make_nonce(nonce, npub);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    dst + clear, NULL, src + clear, body, src + clear + body,
		    src, clear, npub, key) != 0) {
		memset(dst, 0, len - RDT_SEAL_TAG_SIZE);
		return RDT_OPEN_AUTH;
	}
	memcpy(dst, src, clear);
	dst[0] = RDT_PROTO_VERSION;
	put_be32(dst + clear + body, rdt_crc32c(0, dst, clear + body));
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
