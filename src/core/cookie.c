/*
 * cookie.c: the address-validation cookies of cookie.h.  The MAC is
 * libsodium's keyed BLAKE2b (crypto_generichash), cut to 128 bits.
 */
#include <string.h>

#include <sodium.h>

#include "cookie.h"

#define COOKIE_FORMAT 1
#define MAC_LEN 16

static uint64_t epoch_of(rdt_tstamp t)
{
	return t / RDT_COOKIE_ROTATE;
}

/* The key slot serving |epoch|, or -1 if that secret is not held. */
static int slot_of(const struct rdt_cookie_keys *k, uint64_t epoch)
{
	int i = (int)(epoch & 1);

	return k->have[i] && k->epoch[i] == epoch ? i : -1;
}

int rdt_cookie_needs_key(const struct rdt_cookie_keys *k, rdt_tstamp now)
{
	return slot_of(k, epoch_of(now)) < 0;
}

void rdt_cookie_add_key(struct rdt_cookie_keys *k, rdt_tstamp now,
			const uint8_t *key)
{
	uint64_t e = epoch_of(now);
	int i = (int)(e & 1);

	/* Idempotent and cheap after the first call; the MAC below needs
	 * the library's choice of implementation made.  It fails only
	 * where the system has no entropy source, which the caller, who
	 * drew |key|, has already got past. */
	if (sodium_init() < 0)
		return;
	memcpy(k->key[i], key, RDT_COOKIE_KEY_LEN);
	k->epoch[i] = e;
	k->have[i] = 1;
}

static void mac(const uint8_t *key, uint32_t issued_ms, const uint8_t *addr,
		size_t addr_len, uint64_t scid, uint8_t *out)
{
	crypto_generichash_state st;
	uint8_t head[12];
	int i;

	for (i = 0; i < 4; i++)
		head[i] = (uint8_t)(issued_ms >> (24 - 8 * i));
	for (i = 0; i < 8; i++)
		head[4 + i] = (uint8_t)(scid >> (56 - 8 * i));
	crypto_generichash_init(&st, key, RDT_COOKIE_KEY_LEN, MAC_LEN);
	crypto_generichash_update(&st, head, sizeof(head));
	crypto_generichash_update(&st, addr, addr_len);
	crypto_generichash_final(&st, out, MAC_LEN);
}

int rdt_cookie_make(const struct rdt_cookie_keys *k, rdt_tstamp now,
		    const uint8_t *addr, size_t addr_len, uint64_t scid,
		    uint8_t *out)
{
	int i = slot_of(k, epoch_of(now));
	uint32_t ms = (uint32_t)(now / RDT_MS);
	int j;

	if (i < 0)
		return -1;
	out[0] = COOKIE_FORMAT;
	for (j = 0; j < 4; j++)
		out[1 + j] = (uint8_t)(ms >> (24 - 8 * j));
	mac(k->key[i], ms, addr, addr_len, scid, out + 5);
	return RDT_COOKIE_LEN;
}

enum rdt_cookie_verdict rdt_cookie_check(const struct rdt_cookie_keys *k,
					 rdt_tstamp now, const uint8_t *addr,
					 size_t addr_len, uint64_t scid,
					 const uint8_t *tok, size_t tok_len)
{
	uint8_t want[MAC_LEN];
	uint32_t ms, age_ms;
	rdt_tstamp issued;
	int i;

	if (tok_len != RDT_COOKIE_LEN || tok[0] != COOKIE_FORMAT)
		return RDT_COOKIE_FORGED;
	ms = (uint32_t)tok[1] << 24 | (uint32_t)tok[2] << 16 |
	     (uint32_t)tok[3] << 8 | tok[4];
	/* The 32-bit time wraps every 49 days: the age is taken modulo
	 * 2^32, so a cookie "from the future" reads as very old. */
	age_ms = (uint32_t)(now / RDT_MS) - ms;
	if ((rdt_tstamp)age_ms * RDT_MS > now)
		return RDT_COOKIE_FORGED;
	issued = now - (rdt_tstamp)age_ms * RDT_MS;
	i = slot_of(k, epoch_of(issued));
	/* A cookie under a forgotten secret cannot be told apart from a
	 * forgery; it is counted with the expired ones. */
	if (i < 0)
		return RDT_COOKIE_EXPIRED;
	mac(k->key[i], ms, addr, addr_len, scid, want);
	if (sodium_memcmp(want, tok + 5, MAC_LEN) != 0)
		return RDT_COOKIE_FORGED;
	return (rdt_tstamp)age_ms * RDT_MS > RDT_COOKIE_LIFETIME ?
		       RDT_COOKIE_EXPIRED :
		       RDT_COOKIE_VALID;
}
