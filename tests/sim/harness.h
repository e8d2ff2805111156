/*
 * harness.h: the discrete-event loop every simulation shares: cores
 * joined by simulated links (link.h), stepped in virtual time.
 *
 * One step (sim_step), at the current time |t|:
 *   1. every datagram that has arrived on each link, in link order, goes
 *      to the |deliver| hook (which picks its connection, or makes one);
 *   2. the |open| hook makes connections due now, then every node
 *      whose deadline has passed has its timers run;
 *   3. the |app| hook moves application bytes (and may stop the run);
 *   4. every node that is not silent is drained of what it wants to
 *      send, in node order, each datagram to the |send| hook.
 * Then time jumps to the earliest event (sim_next_event: an arrival, a
 * node's deadline, or whatever the caller adds); a step that finds
 * nothing to move time is counted, and too many at one instant is a
 * busy loop.  sim_run_until puts the two together for callers whose only
 * extra event is an optional |wake| time.
 *
 * Nodes are pointers to the caller's own struct rdt_conn * variables, so
 * a connection made during the run (a server on its INIT) joins the loop
 * as soon as the caller stores it.  Node order and link order are part of
 * a run's identity: same seed, same order, same bytes.
 */
#ifndef RDT_SIM_HARNESS_H
#define RDT_SIM_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "sim/link.h"
#include "wire/pkt.h"

#define SIM_HARNESS_MAX_NODES 8
#define SIM_HARNESS_MAX_LINKS 2

struct sim_harness {
	rdt_tstamp t;
	/* The caller's connection variables, served in this order; a NULL
	 * connection is skipped. */
	struct rdt_conn **node[SIM_HARNESS_MAX_NODES];
	unsigned nnodes;
	/* A silent node (a vanished peer) still has its timers run but
	 * sends nothing, and the loop does not wake for its deadline. */
	int silent[SIM_HARNESS_MAX_NODES];
	struct sim_link *link[SIM_HARNESS_MAX_LINKS];
	unsigned nlinks;
	/* The destlen each node's write_pkt is given; 0 (the default) is
	 * RDT_PKT_MAX_DGRAM. */
	size_t room[SIM_HARNESS_MAX_NODES];
	/* The first error any write_pkt returned, or 0. */
	int write_err;
	/* Steps at one instant before sim_jump reports a busy loop. */
	unsigned max_steps_per_instant;
	unsigned steps_here;
	/* Set by a hook to end the step at once (a failed check). */
	int stop;
	/* Required: datagram |dg| of |len| bytes arrived on |link|. */
	void (*deliver)(struct sim_harness *h, unsigned link,
			const uint8_t *dg, size_t len);
	/* Required: node |node| wrote datagram |dg|: send it somewhere. */
	void (*send)(struct sim_harness *h, unsigned node, const uint8_t *dg,
		     size_t len);
	/* Optional: connections to open now, before timers run. */
	void (*open)(struct sim_harness *h);
	/* Optional: the applications' turn. */
	void (*app)(struct sim_harness *h);
	/* Optional, for sim_run_until: the caller's next own event, or
	 * RDT_TSTAMP_NEVER. */
	rdt_tstamp (*wake)(struct sim_harness *h);
	/* The caller's state, for the hooks. */
	void *ctx;
};

/* Why sim_run_until returned. */
enum sim_run_end {
	SIM_RUN_DONE,		/* |done| said so */
	SIM_RUN_STOPPED,	/* a hook set |stop| */
	SIM_RUN_DEADLOCK,	/* no event pending at all */
	SIM_RUN_HANG,		/* the next event lies beyond |limit| */
	SIM_RUN_BUSY,		/* too many steps at one instant */
};

/* sim_harness_init clears |h| and sets the defaults: time |t0|, 100000
 * steps per instant. */
void sim_harness_init(struct sim_harness *h, rdt_tstamp t0);

/* Adds the connection variable |*pconn| as the next node; returns its
 * index. */
unsigned sim_harness_add_node(struct sim_harness *h, struct rdt_conn **pconn);
/* Adds |link| (owned by the caller) as the next link; returns its index. */
unsigned sim_harness_add_link(struct sim_harness *h, struct sim_link *link);

/* One step at |t| (see above).  Returns 0, or 1 if a hook set |stop|. */
int sim_step(struct sim_harness *h);

/* The earliest of |bound|, the next arrival on any link and the deadline
 * of every node that is not silent. */
rdt_tstamp sim_next_event(const struct sim_harness *h, rdt_tstamp bound);

/* Moves |t| to |next| if that is later; otherwise counts a step at this
 * instant.  Returns 0 once there were too many, else 1. */
int sim_jump(struct sim_harness *h, rdt_tstamp next);

/* sim_step until |done| (checked after every step), a hook stops the
 * run, nothing is left to happen, the next event is beyond |limit| or
 * the loop is busy at one instant. */
enum sim_run_end sim_run_until(struct sim_harness *h,
			       int (*done)(struct sim_harness *h),
			       rdt_tstamp limit);

#endif
