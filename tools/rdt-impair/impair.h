/*
 * impair.h: one direction of rdt-impair, the impairment model, pure.
 *
 * It reads no clock and touches no socket: it is given datagrams with the
 * time they arrived and says, for each, whether it is lost, duplicated or
 * corrupted, and when it is to leave.  Given the same seed, configuration,
 * times and datagrams it makes the same decisions, so it is unit-tested
 * deterministically and the relay around it stays a thin I/O shell.
 *
 * The semantics are those of the kernel's netem qdisc (sch_netem.c,
 * netem_enqueue), in its order, for each datagram offered at time now:
 *   0. while the direction is down (blackhole) it is dropped;
 *   1. duplication: with probability duplicate, one copy more;
 *   2. loss: random with probability loss, or the Gilbert-Elliott chain
 *      (stepped once per datagram; the state the datagram finds decides:
 *      GOOD loses with 1-K, BAD with 1-H); a loss removes one copy, so a
 *      duplicated and lost datagram still goes through once;
 *   3. corruption: with probability corrupt, one random bit of one random
 *      byte is flipped;
 *   4. the queue: a datagram that finds limit datagrams queued is dropped;
 *   5. reorder: unless reorder is set and this is the gap-th datagram
 *      since the last reordered one (every one if gap is 1) and a draw
 *      with probability reorder says so, the datagram is delayed by delay
 *      plus a jitter drawn from the distribution; otherwise it leaves at
 *      once, ahead of the queue, and counts as reordered;
 *   6. rate: each datagram also takes (len + overhead) * 8 / rate seconds
 *      to transmit, after the last datagram in the queue, whose departure
 *      time eats into its delay (tc's "time bonus").
 * The duplicate copy then goes through steps 2 to 6 on its own, as
 * netem's clone re-enters the qdisc, without being duplicated again.
 * Each random decision has its own generator, derived from the seed, and
 * correlation mixes each draw with the previous one as netem's
 * get_crandom does (value * (1 - rho) + last * rho).
 *
 * Datagrams leave in order of departure time, ties in order of arrival.
 * Memory: at most limit datagrams queued, each a copy of its bytes.
 */
#ifndef RDT_IMPAIR_IMPAIR_H
#define RDT_IMPAIR_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "netem.h"

/* Counters of one direction; they are what --stats prints. */
struct impair_stats {
	uint64_t received;	/* datagrams offered */
	uint64_t delivered;	/* datagrams handed out and sent */
	uint64_t dropped_loss;
	uint64_t dropped_queue;	/* queue full (or out of memory) */
	uint64_t dropped_down;	/* offered or due while down */
	uint64_t duplicated;	/* extra copies made */
	uint64_t corrupted;	/* copies with a flipped bit */
	uint64_t reordered;	/* sent ahead of the queue */
	uint64_t queue_peak;	/* most datagrams queued at once */
};

/* A queued datagram.  Owned by the model, or by the caller between
 * impair_pop and impair_unpop/impair_done. */
struct impair_pkt {
	uint64_t due;		/* departure time, ns */
	uint64_t order;		/* arrival number: breaks ties in due */
	uint64_t tag;		/* the caller's, e.g. which flow */
	size_t len;
	uint8_t data[];
};

struct impair;

/*
 * impair_new makes a direction with configuration |cfg| (copied) and
 * generators seeded from |seed|.  Returns 0, or -1 (out of memory).
 */
int impair_new(struct impair **pim, const struct netem_cfg *cfg,
	       uint64_t seed);

/* impair_del frees the direction and every datagram queued; NULL ok. */
void impair_del(struct impair *im);

/*
 * impair_set_cfg replaces the configuration.  Queued datagrams keep their
 * departure times; correlation and Gilbert-Elliott state start afresh;
 * the generators go on.  A smaller limit only refuses new datagrams.
 */
void impair_set_cfg(struct impair *im, const struct netem_cfg *cfg);

const struct netem_cfg *impair_cfg(const struct impair *im);

/* While down, everything offered or falling due is dropped. */
void impair_set_down(struct impair *im, int down);

/*
 * impair_offer gives the model |len| bytes at |data| (copied), arrived at
 * time |now| (ns, never decreasing between calls), with the caller's |tag|
 * returned with every copy.  Everything it decides is in the counters.
 */
void impair_offer(struct impair *im, const uint8_t *data, size_t len,
		  uint64_t tag, uint64_t now);

/* The earliest departure time queued, UINT64_MAX if none. */
uint64_t impair_next_due(const struct impair *im);

/* Datagrams queued now. */
size_t impair_queued(const struct impair *im);

/*
 * impair_pop takes the next datagram due at or before |now| out of the
 * queue, or returns NULL.  The caller owns it until it gives it back with
 * impair_unpop (not sent: it goes back where it was) or impair_done.
 */
struct impair_pkt *impair_pop(struct impair *im, uint64_t now);
void impair_unpop(struct impair *im, struct impair_pkt *p);

/* impair_done frees |p|, counting it delivered if |sent|. */
void impair_done(struct impair *im, struct impair_pkt *p, int sent);

const struct impair_stats *impair_stats(const struct impair *im);

#endif
