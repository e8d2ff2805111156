/*
 * relay.h: rdt-impair's I/O shell around two impairment models.
 *
 * One UDP socket listens on the "a" side.  Each distinct client address
 * seen there gets a flow: a UDP socket connected to the forward address
 * (the "b" side).  A datagram from a client goes through the a2b model
 * and leaves on its flow's socket; a datagram arriving on a flow's socket
 * goes through the b2a model and leaves on the listening socket, to that
 * flow's client.  Flows idle for flow_timeout are closed; at most
 * max_flows exist at once, and datagrams from further clients are dropped
 * and counted.
 *
 * Everything blocks in one epoll_wait: datagrams are read and written in
 * batches (recvmmsg, sendmmsg), departures are timed by a timerfd,
 * SIGINT and SIGTERM arrive through a signalfd, control commands through
 * the FIFO.  A socket whose send buffer is full holds its direction's
 * queue (in order) until it is writable again: nothing is dropped for it.
 */
#ifndef RDT_IMPAIR_RELAY_H
#define RDT_IMPAIR_RELAY_H

#include <stdint.h>
#include <sys/socket.h>

#include "command.h"
#include "impair.h"

struct relay_opts {
	struct sockaddr_storage listen;
	socklen_t listen_len;
	struct sockaddr_storage forward;
	socklen_t forward_len;
	unsigned max_flows;
	uint64_t flow_timeout;	/* ns */
	uint64_t duration;	/* ns; 0: until a signal */
	const char *control;	/* FIFO path, or NULL */
	int verbose;
};

/* Counters of the relay itself, beside the two directions'. */
struct relay_stats {
	int started;		/* setup succeeded: the relay ran */
	uint64_t flows;		/* flows opened */
	uint64_t flows_peak;	/* most flows at once */
	uint64_t dropped_flow_limit;	/* datagrams of clients beyond max */
	uint64_t dropped_no_flow;	/* due after their flow was closed */
	uint64_t send_errors;	/* datagrams the kernel refused */
	/* Departures after their due time, e.g. when the relay waited for
	 * a CPU: the sum, the worst, and how many departures. */
	uint64_t late_sum_ns;
	uint64_t late_max_ns;
	uint64_t late_count;
};

/*
 * relay_run relays until SIGINT, SIGTERM or the end of |o->duration|,
 * through the models |dir| (the caller keeps them, and their counters).
 * Returns 0 when stopped that way, or -1 after printing a one-line error
 * (e.g. the listening address is in use); |rs| is filled in either way,
 * and rs->started says whether the relay got as far as running.
 */
int relay_run(const struct relay_opts *o, struct impair *dir[DIR_COUNT],
	      struct relay_stats *rs);

#endif
