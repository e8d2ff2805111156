/*
 * cookie.h: stateless address validation for a listener (PROTOCOL.md
 * 7.4, "Address validation").
 *
 * A listener under load answers an INIT without a valid token with a
 * RETRY carrying a cookie: a MAC, under a secret only the listener
 * knows, of the client's address, its connection ID and the time.  It
 * keeps nothing.  A client that really is at that address gets the RETRY
 * and sends its INIT again with the cookie; the listener recomputes the
 * MAC and only then creates state.  A flood of INITs from forged
 * addresses thus costs the listener a MAC each and a RETRY each, smaller
 * than the INIT (no amplification), and fills no queue.  The model is
 * QUIC's Retry (RFC 9000, 8.1.2) and SCTP's state cookie (RFC 9260,
 * 5.1.3).
 *
 * Secrets rotate every RDT_COOKIE_ROTATE; the two newest are kept, so a
 * cookie made just before a rotation still checks.  The caller supplies
 * fresh random secrets (the core has no randomness) when
 * rdt_cookie_needs_key says so.  Pure: time comes in as |now|.
 */
#ifndef RDT_CORE_COOKIE_H
#define RDT_CORE_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* Bytes of a cookie: format 1, the issue time in ms (32 bits), a
 * 128-bit MAC. */
#define RDT_COOKIE_LEN 21
#define RDT_COOKIE_KEY_LEN 32
/* A secret's life, and a cookie's: a client sends its cookie back one
 * round trip after it got it, so seconds are plenty, and a captured
 * cookie soon stops working. */
#define RDT_COOKIE_ROTATE (30 * RDT_S)
#define RDT_COOKIE_LIFETIME (10 * RDT_S)

struct rdt_cookie_keys {
	uint8_t key[2][RDT_COOKIE_KEY_LEN];
	uint64_t epoch[2];	/* which rotation period each key serves */
	uint8_t have[2];
};

enum rdt_cookie_verdict {
	RDT_COOKIE_VALID,
	/* Made by us but too old, or under a secret already forgotten. */
	RDT_COOKIE_EXPIRED,
	/* Not made by us for this address and connection ID. */
	RDT_COOKIE_FORGED,
};

/* Does |k| lack the secret for the period |now| falls in? */
int rdt_cookie_needs_key(const struct rdt_cookie_keys *k, rdt_tstamp now);

/* Installs |key| (RDT_COOKIE_KEY_LEN random bytes) as the secret of the
 * period |now| falls in, forgetting the one two periods old. */
void rdt_cookie_add_key(struct rdt_cookie_keys *k, rdt_tstamp now,
			const uint8_t *key);

/*
 * Writes the cookie for a client at |addr| (|addr_len| bytes, any
 * encoding of address and port the caller uses consistently) with
 * connection ID |scid| into |out|; returns RDT_COOKIE_LEN, or -1 if
 * |k| has no secret for |now|.
 */
int rdt_cookie_make(const struct rdt_cookie_keys *k, rdt_tstamp now,
		    const uint8_t *addr, size_t addr_len, uint64_t scid,
		    uint8_t *out);

/* Judges the token |tok| (|tok_len| bytes) an INIT from |addr| with
 * connection ID |scid| brought back at |now|. */
enum rdt_cookie_verdict rdt_cookie_check(const struct rdt_cookie_keys *k,
					 rdt_tstamp now, const uint8_t *addr,
					 size_t addr_len, uint64_t scid,
					 const uint8_t *tok, size_t tok_len);

#endif
