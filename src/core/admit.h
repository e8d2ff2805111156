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
	 * restarted); the runtime tells that connection, if any. */
	RDT_ADMIT_PEER_FORGOT,
};

enum rdt_admit_drop {
	RDT_ADMIT_DROP_NONE,
	RDT_ADMIT_DROP_CHECKSUM,
	RDT_ADMIT_DROP_MALFORMED,
	RDT_ADMIT_DROP_UNKNOWN_CID,
	RDT_ADMIT_DROP_NO_LISTENER,
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

#endif
