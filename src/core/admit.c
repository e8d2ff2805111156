/*
 * admit.c: the verdict on a datagram no connection claimed (admit.h).
 *
 *   rdt_admit            decoding's verdict (CRC first) -> by type: RESET is never
 *                        answered, INIT is a handshake or refused, the
 *                        rest is answered RESET UNKNOWN
 *     reset_or_drop      every RESET answer passes the token bucket
 */
#include <string.h>

#include <sodium.h>

#include "admit.h"
#include "err.h"
#include "seal.h"

#define BUCKET_MILLI ((uint32_t)RDT_ADMIT_RESET_RATE * 1000)

static int take_token(struct rdt_admit_limiter *lim, rdt_tstamp now)
{
	rdt_tstamp elapsed;
	uint64_t milli;

	if (!lim->started) {
		lim->started = 1;
		lim->refill = now;
		lim->tokens_milli = BUCKET_MILLI;
	}
	/* A clock that went backwards refills nothing. */
	elapsed = now > lim->refill ? now - lim->refill : 0;
	if (elapsed > RDT_S)
		elapsed = RDT_S;
	milli = lim->tokens_milli +
		(uint64_t)elapsed * RDT_ADMIT_RESET_RATE / RDT_MS;
	lim->tokens_milli = milli > BUCKET_MILLI ? BUCKET_MILLI :
						   (uint32_t)milli;
	if (now > lim->refill)
		lim->refill = now;
	if (lim->tokens_milli < 1000)
		return 0;
	lim->tokens_milli -= 1000;
	return 1;
}

static void reset_or_drop(struct rdt_admit_verdict *v,
			  struct rdt_admit_limiter *lim, rdt_tstamp now,
			  uint64_t dcid, uint32_t reason)
{
	if (dcid == 0 || !take_token(lim, now))
		return;
	v->action = RDT_ADMIT_RESET;
	v->reset_dcid = dcid;
	v->reset_reason = reason;
}

void rdt_admit(const struct rdt_pkt *pkt, int rc, int listening,
	       struct rdt_admit_limiter *lim, rdt_tstamp now,
	       struct rdt_admit_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = RDT_ADMIT_DROP;
	if (rc == RDT_ERR_CHECKSUM) {
		v->drop = RDT_ADMIT_DROP_CHECKSUM;
		return;
	}
	if (rc != 0) {
		/* A version we do not speak counts here too: without its
		 * layout nothing in it can be answered. */
		v->drop = RDT_ADMIT_DROP_MALFORMED;
		return;
	}
	if (pkt->type == RDT_PKT_INIT && pkt->dcid == 0) {
		if (listening) {
			v->action = RDT_ADMIT_HANDSHAKE;
			return;
		}
		v->drop = RDT_ADMIT_DROP_NO_LISTENER;
		reset_or_drop(v, lim, now, pkt->scid, RDT_RESET_REFUSED);
		return;
	}
	v->drop = RDT_ADMIT_DROP_UNKNOWN_CID;
	if (pkt->type == RDT_PKT_RESET) {
		/* Never answer a RESET with a RESET. */
		if (pkt->reason == RDT_RESET_UNKNOWN && pkt->dcid != 0) {
			v->action = RDT_ADMIT_PEER_FORGOT;
			v->reset_dcid = pkt->dcid;
		}
		return;
	}
	reset_or_drop(v, lim, now, pkt->dcid, RDT_RESET_UNKNOWN);
}

enum rdt_admit_proof rdt_admit_proof(const struct rdt_cookie_keys *keys,
				     const struct rdt_pkt *init,
				     const uint8_t *addr, size_t addr_len,
				     rdt_tstamp now, uint8_t *retry,
				     size_t *retry_len)
{
	uint8_t cookie[RDT_COOKIE_LEN];
	struct rdt_pkt answer;
	rdt_ssize len;

	if (init->token_len > 0) {
		switch (rdt_cookie_check(keys, now, addr, addr_len,
					 init->scid, init->token,
					 init->token_len)) {
		case RDT_COOKIE_VALID:
			return RDT_ADMIT_PROOF_GIVEN;
		case RDT_COOKIE_FORGED:
			return RDT_ADMIT_PROOF_FORGED;
		case RDT_COOKIE_EXPIRED:
			break;
		}
	}
	if (rdt_cookie_make(keys, now, addr, addr_len, init->scid,
			    cookie) < 0)
		return RDT_ADMIT_PROOF_NO_KEY;
	memset(&answer, 0, sizeof(answer));
	answer.type = RDT_PKT_RETRY;
	answer.dcid = init->scid;
	answer.token_len = RDT_COOKIE_LEN;
	answer.token = cookie;
	len = rdt_pkt_encode(retry, RDT_ADMIT_RETRY_MAX, &answer);
	if (len <= 0)
		return RDT_ADMIT_PROOF_NO_KEY;
	*retry_len = (size_t)len;
	return RDT_ADMIT_PROOF_RETRY;
}

/* Opens a public-key INIT with the listener's static key pair. */
static int open_pk_init(const struct rdt_admit_keys *keys, uint8_t *plain,
			const uint8_t *dg, size_t len)
{
	const uint8_t *e = rdt_seal_ephemeral(dg, len);
	uint8_t dh1[RDT_SEAL_PUBLIC_SIZE], key[RDT_SEAL_KEY_SIZE];
	struct rdt_seal_nonce nonce;
	int rv = RDT_OPEN_AUTH;

	if (e == NULL)
		return RDT_OPEN_MALFORMED;
	if (rdt_seal_dh(dh1, keys->pk_secret, e) == 0) {
		rdt_seal_pk_init_key(dh1, e, keys->pk_public, key);
		nonce.cid = rdt_seal_prefix_cid(dg, len);
		nonce.pn = rdt_seal_wire_pn(dg);
		nonce.handshake = 1;
		rv = rdt_open(plain, dg, len, key, &nonce);
	}
	sodium_memzero(dh1, sizeof(dh1));
	sodium_memzero(key, sizeof(key));
	return rv;
}

int rdt_admit_unseal(const struct rdt_admit_keys *keys, const uint8_t *dg,
		     size_t len, uint8_t *plain, const uint8_t **out,
		     size_t *out_len, struct rdt_admit_limiter *lim,
		     rdt_tstamp now, struct rdt_admit_verdict *v)
{
	const uint8_t *psk = keys ? keys->psk : NULL;
	int has_pk = keys != NULL && keys->pk_secret != NULL;
	int sealed, pk_init, rv = RDT_OPEN_AUTH;

	memset(v, 0, sizeof(*v));
	v->action = RDT_ADMIT_DROP;
	*out = dg;
	*out_len = len;
	if (len < RDT_PKT_HEADER_SIZE + 8 + RDT_PKT_CRC_SIZE ||
	    dg[1] != RDT_PKT_INIT)
		return 1;
	sealed = dg[0] == RDT_PROTO_VERSION_SEALED;
	pk_init = sealed && (dg[2] & RDT_SEAL_F_PUBLIC);
	if (psk == NULL && !has_pk && !sealed)
		return 1;
	if (sealed && (pk_init ? has_pk : psk != NULL)) {
		/* The CRC before the X25519 a public-key INIT costs. */
		rv = !rdt_pkt_crc_holds(dg, len) ? RDT_OPEN_CHECKSUM :
		     pk_init		       ? open_pk_init(keys, plain, dg, len) :
			       rdt_open_init(plain, dg, len, psk);
		switch (rv) {
		case 0:
			*out = plain;
			*out_len = rdt_open_len(dg, len);
			return 1;
		case RDT_OPEN_AUTH:
			break;
		case RDT_OPEN_CHECKSUM:
			v->drop = RDT_ADMIT_DROP_CHECKSUM;
			return 0;
		default:
			v->drop = RDT_ADMIT_DROP_MALFORMED;
			return 0;
		}
	} else if (!sealed && dg[0] != RDT_PROTO_VERSION) {
		/* Neither ours nor the other mode's: decoding counts it. */
		return 1;
	}
	if (!rdt_pkt_crc_holds(dg, len)) {
		v->drop = RDT_ADMIT_DROP_CHECKSUM;
		return 0;
	}
	if (len < RDT_PKT_INIT_MIN_SIZE) {
		v->drop = RDT_ADMIT_DROP_MALFORMED;
		return 0;
	}
	v->drop = RDT_ADMIT_DROP_AUTH;
	reset_or_drop(v, lim, now, rdt_seal_prefix_cid(dg, len),
		      RDT_RESET_AUTH);
	return 0;
}
