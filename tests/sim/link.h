/*
 * link.h: one direction of a simulated network path, in virtual time.
 *
 * A datagram handed to sim_link_send goes through, in order:
 *   1. blackout: sent inside any [start, end) blackout window -> dropped;
 *   2. random loss with probability |loss|;
 *   3. Gilbert-Elliott burst loss (if ge_p > 0): a two-state Markov chain,
 *      starting in GOOD and stepped once per datagram offered (those that
 *      steps 1 and 2 drop included), before its loss is decided;
 *      GOOD->BAD with ge_p, BAD->GOOD with ge_r; a datagram is lost with
 *      ge_loss_good in GOOD and ge_loss_bad in BAD;
 *   4. the bottleneck: if rate_bps > 0 the datagram joins a FIFO queue
 *      and its transmission takes len*8/rate_bps seconds, starting when
 *      it arrives or when the previous one has left, whichever is later.
 *      The queue's occupancy is the bytes not yet fully transmitted (the
 *      datagram on the wire included); a datagram that would take it over
 *      queue_bytes is dropped (tail drop), except that an idle link always
 *      accepts one.  So queue_bytes 0 means no waiting room: whatever
 *      arrives while a datagram is being transmitted is dropped.  Rate 0
 *      means infinitely fast, no queue (queue_bytes is then ignored);
 *   5. propagation: delay + a jitter drawn uniformly from [-jitter, +jitter]
 *      (clamped so the total is >= 0), plus, with probability |reorder|,
 *      an extra delay drawn uniformly from [0, reorder_extra];
 *   6. corruption with probability |corrupt|: 1 to 4 random bytes anywhere
 *      in the datagram (header included) are XORed with random non-zero
 *      values;
 *   7. duplication with probability |dup|: a second copy takes steps 5-6
 *      independently (it does not occupy the bottleneck again).
 * With |netem_jitter| set, delay and jitter are applied as netem applies
 * them (netem-scripts' profiles, through tc or rdt-impair): the jitter is
 * normal with standard deviation |jitter| (cut at 4 of them) instead of
 * uniform, and, when there is a rate, it is drawn before step 4: the
 * datagram is ready at now + delay + jitter, its transmission starts then
 * or when the previous one has left, whichever is later, and it arrives
 * when its transmission ends (no further propagation).  Nothing
 * overtakes, so one large draw holds up every datagram behind it, and
 * the delay grows with the sending rate: the correlated jitter of a real
 * FIFO that a uniform, reordering jitter never shows.
 * Datagrams come out in order of arrival time, ties in order of sending.
 * Everything random comes from the link's own seeded generator, so a link
 * replays exactly from its seed.  Note that jitter alone reorders
 * datagrams too; |reordered| counts only the step-5 extra delays.
 */
#ifndef RDT_SIM_LINK_H
#define RDT_SIM_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/core/types.h"

#define SIM_LINK_MAX_BLACKOUTS 4

struct sim_link_cfg {
	rdt_tstamp delay;
	rdt_tstamp jitter;
	double loss;
	double ge_p;
	double ge_r;
	double ge_loss_good;
	double ge_loss_bad;
	double reorder;
	rdt_tstamp reorder_extra;
	double dup;
	double corrupt;
	uint64_t rate_bps;
	size_t queue_bytes;
	int netem_jitter;
	unsigned nblackouts;
	struct {
		rdt_tstamp start;
		rdt_tstamp end;
	} blackout[SIM_LINK_MAX_BLACKOUTS];
};

struct sim_link_stats {
	uint64_t sent;
	uint64_t delivered;
	uint64_t lost_random;
	uint64_t lost_burst;
	uint64_t lost_blackout;
	uint64_t dropped_queue;
	uint64_t duplicated;
	uint64_t corrupted;
	uint64_t reordered;
	size_t queue_peak_bytes;
	uint64_t bytes_delivered;
};

struct sim_link;

/*
 * sim_link_new makes a link; |cfg| is copied.  Returns 0, or -1 with errno
 * EINVAL (a probability outside [0, 1], nblackouts too big) or ENOMEM.
 */
int sim_link_new(struct sim_link **plink, const struct sim_link_cfg *cfg,
		 uint64_t seed);

/* sim_link_del frees the link and every datagram still in it; NULL ok. */
void sim_link_del(struct sim_link *link);

/*
 * sim_link_send offers |len| bytes at |pkt| (copied) to the link at
 * virtual time |now|.  |now| never decreases between calls.  A datagram
 * of length 0 is ignored, not even counted as sent, since sim_link_recv
 * could not tell it from "nothing arrived".
 */
void sim_link_send(struct sim_link *link, const uint8_t *pkt, size_t len,
		   rdt_tstamp now);

/* Arrival time of the next datagram, RDT_TSTAMP_NEVER if none. */
rdt_tstamp sim_link_next_arrival(const struct sim_link *link);

/*
 * sim_link_recv pops the next datagram that has arrived at or before |now|
 * into |buf| (|cap| bytes; longer datagrams are truncated; |buf| may be
 * NULL if |cap| is 0) and returns its full length, or 0 if none has
 * arrived yet.  Stats count it as delivered with its full length.
 */
size_t sim_link_recv(struct sim_link *link, uint8_t *buf, size_t cap,
		     rdt_tstamp now);

const struct sim_link_stats *sim_link_stats(const struct sim_link *link);

#endif
