/*
 * admit.h: what an endpoint does with a datagram no connection claimed.
 *
 * The runtime first offers every datagram to the connection its
 * destination connection ID names (or, for an INIT, to the handshake its
 * source ID already started).  What is left comes here, a pure decision
 * the unit tests and the simulator drive with their own clocks: drop it
 * (and count why), answer with a RESET, or start a handshake.  The runtime
 * only carries the verdict out.
 */
#ifndef RDT_CORE_ADMIT_H
#define RDT_CORE_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "cookie.h"
#include "types.h"
#include "../wire/pkt.h"

/* RESETs an endpoint sends for connections it does not hold, per second,
 * and their burst.  They are smaller than what they answer (an INIT is
 * padded to 1200 bytes, a RESET is 24), so they amplify nothing; the
 * limit keeps a flood of junk from becoming a flood back. */
#define RDT_ADMIT_RESET_RATE 100

/* A token bucket for those answers; zeroed memory is a full bucket's
 * predecessor (it fills on first use). */
struct rdt_admit_limiter {
	rdt_tstamp refill;
	uint32_t tokens_milli;	/* thousandths of a RESET */
	int started;
};

enum rdt_admit_action {
	/* Drop silently; |drop| says which counter it goes to. */
	RDT_ADMIT_DROP,
	/* Send a RESET naming |reset_dcid| with |reset_reason| back to the
	 * sender (also counted in |drop|). */
	RDT_ADMIT_RESET,
	/* An INIT and a listener: start the handshake with |pkt|. */
	RDT_ADMIT_HANDSHAKE,
	/* A RESET UNKNOWN naming |reset_dcid|: the peer of our connection
	 * that uses it as the peer's ID no longer has that connection (it
	 * restarted), or someone says so; the runtime tells that
	 * connection, if any, which counts it as a RESET without a token
	 * and goes on (PROTOCOL.md 7.8). */
	RDT_ADMIT_PEER_FORGOT,
};

enum rdt_admit_drop {
	RDT_ADMIT_DROP_NONE,
	RDT_ADMIT_DROP_CHECKSUM,
	RDT_ADMIT_DROP_MALFORMED,
	RDT_ADMIT_DROP_UNKNOWN_CID,
	RDT_ADMIT_DROP_NO_LISTENER,
	/* An INIT sealed with another key than the listener's, or sealed
	 * where it has none, or in clear where it has one. */
	RDT_ADMIT_DROP_AUTH,
};

struct rdt_admit_verdict {
	enum rdt_admit_action action;
	enum rdt_admit_drop drop;
	uint64_t reset_dcid;
	uint32_t reset_reason;
};

/*
 * rdt_admit decides for a datagram no connection claimed, on an endpoint
 * that has a listener if |listening|.  |pkt| and |decode_rc| are what
 * rdt_pkt_decode made of it (the runtime has decoded it already to look
 * for the handshake an INIT belongs to; it is not decoded twice).  A
 * RESET is never answered with a RESET, an INIT is refused (RESET REFUSED
 * to its source ID) only where nobody listens, and every RESET answer
 * takes a token from |lim| at time |now|: without one the verdict is a
 * drop, counted as the RESET would have been.
 */
void rdt_admit(const struct rdt_pkt *pkt, int decode_rc, int listening,
	       struct rdt_admit_limiter *lim, rdt_tstamp now,
	       struct rdt_admit_verdict *verdict);

/* What an INIT owes a listener that asks for proof of address. */
enum rdt_admit_proof {
	/* It brought a valid cookie: it may have state. */
	RDT_ADMIT_PROOF_GIVEN,
	/* No token, or an expired one: answer with the RETRY written to
	 * |retry|, and keep nothing. */
	RDT_ADMIT_PROOF_RETRY,
	/* A token we never made for this address and ID: its sender owes
	 * us nothing; drop it and count it. */
	RDT_ADMIT_PROOF_FORGED,
	/* No secret for now (rdt_cookie_needs_key): drop it; the client's
	 * INIT comes again. */
	RDT_ADMIT_PROOF_NO_KEY,
};

/* Room rdt_admit_proof needs for a RETRY: header, token length, cookie,
 * CRC; smaller than the smallest INIT, so it amplifies nothing. */
#define RDT_ADMIT_RETRY_MAX \
	(RDT_PKT_HEADER_SIZE + 1 + RDT_COOKIE_LEN + RDT_PKT_CRC_SIZE)

/*
 * rdt_admit_proof judges the INIT |init| that arrived from |addr|
 * (|addr_len| bytes, the encoding rdt_cookie_make is given) at |now| on
 * a listener that asks for proof (it is busy, or validates always),
 * with the secrets |keys|.  For RDT_ADMIT_PROOF_RETRY it writes the
 * answer into |retry| (RDT_ADMIT_RETRY_MAX bytes) and its length into
 * |*retry_len|.  The caller installs secrets when rdt_cookie_needs_key
 * says so: the core has no randomness.
 */
enum rdt_admit_proof rdt_admit_proof(const struct rdt_cookie_keys *keys,
				     const struct rdt_pkt *init,
				     const uint8_t *addr, size_t addr_len,
				     rdt_tstamp now, uint8_t *retry,
				     size_t *retry_len);

/* A listener's keys for the encrypted mode; NULL where it has none. */
struct rdt_admit_keys {
	const uint8_t *psk;		/* RDT_PSK */
	const uint8_t *pk_secret;	/* its static key pair (RDT_KEY) */
	const uint8_t *pk_public;
};

/*
 * rdt_admit_unseal: the encrypted mode's first look at a datagram |dg|
 * (|len| bytes) naming no connection (dcid 0), on a listener holding
 * |keys| (NULL: none), before it is decoded.  Returns 1 when the caller
 * goes on with |*out| (|*out_len| bytes): |dg| itself (no INIT, or no
 * key on either side) or the INIT opened into |plain| (|len| bytes);
 * the client's ephemeral key of a public-key INIT, which the server's
 * connection needs, is rdt_seal_ephemeral(dg, len).  Returns 0 when the
 * verdict |v| is all: a damaged INIT
 * dropped, or an INIT whose key is not ours (another key, a key where we
 * have none, none where we have one) refused with a RESET AUTH to its
 * source ID, so that its client fails at once with a clear error instead
 * of at its timeout.  Only an INIT of full size whose CRC holds is
 * refused: the answer is smaller than it and passes |lim| too.
 */
int rdt_admit_unseal(const struct rdt_admit_keys *keys, const uint8_t *dg,
		     size_t len,
		     uint8_t *plain, const uint8_t **out, size_t *out_len,
		     struct rdt_admit_limiter *lim, rdt_tstamp now,
		     struct rdt_admit_verdict *v);

#endif
