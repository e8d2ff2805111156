/*
 * harness.c: the simulation loop of harness.h: sim_step (deliver,
 * timers, applications, drain), sim_next_event and sim_jump (time), and
 * sim_run_until, which repeats them.
 */
#include <string.h>

#include "sim/harness.h"

/* Link datagrams carry at most a one-byte header beside the rdt ones. */
#define SIM_HARNESS_DG_MAX (RDT_PKT_MAX_DGRAM + 1)

void sim_harness_init(struct sim_harness *h, rdt_tstamp t0)
{
	memset(h, 0, sizeof(*h));
	h->t = t0;
	h->max_steps_per_instant = 100000;
}

unsigned sim_harness_add_node(struct sim_harness *h, struct rdt_conn **pconn)
{
	h->node[h->nnodes] = pconn;
	return h->nnodes++;
}

unsigned sim_harness_add_link(struct sim_harness *h, struct sim_link *link)
{
	h->link[h->nlinks] = link;
	return h->nlinks++;
}

static void deliver_arrivals(struct sim_harness *h)
{
	static uint8_t dg[SIM_HARNESS_DG_MAX];
	unsigned i;
	size_t len;

	for (i = 0; i < h->nlinks && !h->stop; i++)
		while (!h->stop && (len = sim_link_recv(h->link[i], dg,
							sizeof(dg), h->t)) > 0)
			h->deliver(h, i, dg, len);
}

static void run_timers(struct sim_harness *h)
{
	unsigned i;

	for (i = 0; i < h->nnodes; i++) {
		struct rdt_conn *conn = *h->node[i];

		if (conn && rdt_conn_deadline(conn) <= h->t)
			rdt_conn_on_deadline(conn, h->t);
	}
}

static void drain(struct sim_harness *h)
{
	static uint8_t dg[SIM_HARNESS_DG_MAX];
	unsigned i;
	rdt_ssize n;

	for (i = 0; i < h->nnodes; i++) {
		size_t room = h->room[i] ? h->room[i] : RDT_PKT_MAX_DGRAM;

		if (*h->node[i] == NULL || h->silent[i])
			continue;
		if (room > sizeof(dg))
			room = sizeof(dg);
		while ((n = rdt_conn_write_pkt(*h->node[i], dg, room,
					       h->t)) > 0)
			h->send(h, i, dg, (size_t)n);
		if (n < 0 && h->write_err == 0)
			h->write_err = (int)n;
	}
}

int sim_step(struct sim_harness *h)
{
	deliver_arrivals(h);
	if (h->stop)
		return 1;
	if (h->open)
		h->open(h);
	run_timers(h);
	if (h->app)
		h->app(h);
	if (h->stop)
		return 1;
	drain(h);
	return h->stop;
}

rdt_tstamp sim_next_event(const struct sim_harness *h, rdt_tstamp bound)
{
	rdt_tstamp next = bound, d;
	unsigned i;

	for (i = 0; i < h->nlinks; i++) {
		d = sim_link_next_arrival(h->link[i]);
		next = d < next ? d : next;
	}
	for (i = 0; i < h->nnodes; i++) {
		if (*h->node[i] == NULL || h->silent[i])
			continue;
		d = rdt_conn_deadline(*h->node[i]);
		next = d < next ? d : next;
	}
	return next;
}

int sim_jump(struct sim_harness *h, rdt_tstamp next)
{
	if (next <= h->t)
		return ++h->steps_here <= h->max_steps_per_instant;
	h->steps_here = 0;
	h->t = next;
	return 1;
}

enum sim_run_end sim_run_until(struct sim_harness *h,
			       int (*done)(struct sim_harness *h),
			       rdt_tstamp limit)
{
	for (;;) {
		rdt_tstamp next;

		if (sim_step(h))
			return SIM_RUN_STOPPED;
		if (done(h))
			return SIM_RUN_DONE;
		next = sim_next_event(h, h->wake ? h->wake(h) :
						   RDT_TSTAMP_NEVER);
		if (next == RDT_TSTAMP_NEVER)
			return SIM_RUN_DEADLOCK;
		if (next > limit)
			return SIM_RUN_HANG;
		if (!sim_jump(h, next))
			return SIM_RUN_BUSY;
	}
}
