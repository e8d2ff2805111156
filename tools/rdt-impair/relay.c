/*
 * relay.c: the I/O shell of rdt-impair (see relay.h).
 *
 * Map of this file (the send path is relay_send.c, the flow table
 * relay_flow.c, the control FIFO relay_control.c, what they share
 * relay_int.h):
 *   receive()         one readable socket: recvmmsg batches into a model
 *   offer_segments()  a GRO read -> its datagrams
 *   relay_run()       setup, then the loop: release, arm the timer, wait,
 *                     dispatch
 *
 * Each wakeup reads the clock once and every decision it makes uses that
 * time.  A readable socket is read for at most RX_ROUNDS batches before
 * the loop turns again, and what is due is sent after every batch, so
 * datagrams falling due are not held up behind a flood.
 */
#define _GNU_SOURCE
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "relay_int.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void warn(const char *what)
{
	fprintf(stderr, "rdt-impair: %s: %s\n", what, strerror(errno));
}

/* Bigger buffers if the kernel lets us (the defaults still work),
 * arrival timestamps, and GRO. */
void tune_socket(int fd)
{
	int size = SOCK_BUF, on = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	/* Datagrams a GSO sender glued together stay glued to us. */
	(void)setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
				 sizeof(size));
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * offer_segments offers what one read returned: with UDP_GRO, the kernel
 * may hand over several datagrams of |seg| bytes (the last may be
 * shorter) glued together; each is a datagram of its own to the model.
 * Returns how many there were.
 */
static size_t offer_segments(struct impair *im, const uint8_t *buf,
			     size_t len, size_t seg, uint64_t tag, uint64_t at)
{
	size_t off, n = 0;

	if (seg == 0 || seg >= len) {
		impair_offer(im, buf, len, tag, at);
		return 1;
	}
	for (off = 0; off < len; off += seg, n++)
		impair_offer(im, buf + off, len - off < seg ? len - off : seg,
			     tag, at);
	return n;
}

/*
 * When a datagram reached the host: the kernel's timestamp
 * (SO_TIMESTAMPNS), moved to the monotonic clock by |clock_offset|, so
 * time spent waiting for the relay to read it counts as part of its
 * delay, as in netem, which sees it at once.  Never later than |now|,
 * never earlier than the direction's previous arrival (the model wants
 * time to run forwards); |now| if there is no timestamp.
 */
static uint64_t arrival(struct relay *r, int d, struct msghdr *mh,
			int64_t clock_offset, uint64_t now, size_t *pseg)
{
	struct cmsghdr *c;
	struct timespec ts;
	uint64_t at = now;
	int64_t real;
	int seg;

	*pseg = 0;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			*pseg = seg > 0 ? (size_t)seg : 0;
			continue;
		}
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		real = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		if (real - clock_offset > 0 &&
		    (uint64_t)(real - clock_offset) < now)
			at = (uint64_t)(real - clock_offset);
	}
	if (at < r->last_arrival[d])
		at = r->last_arrival[d];
	r->last_arrival[d] = at;
	return at;
}

/* The flow of the i-th datagram read from the listening socket, opened
 * if its sender is new; NULL if it cannot be (counted). */
static struct flow *flow_of(struct relay *r, int i, uint64_t now)
{
	struct flow *f = flow_find(r, &r->rx_addr[i]);

	if (!f)
		f = flow_open(r, &r->rx_addr[i],
			      r->rx_msg[i].msg_hdr.msg_namelen, now);
	return f;
}

/*
 * receive reads up to RX_ROUNDS batches from |fd| into direction |d|;
 * |flow| is the flow the socket belongs to, NULL for the listening socket
 * (the flow is then the sender's, opened if new).
 */
static void receive(struct relay *r, int fd, int d, struct flow *flow,
		    uint64_t now)
{
	struct flow *f;
	int64_t clock_offset;
	uint64_t at;
	size_t seg, offered = 0;
	int round, got, i;

	for (round = 0; round < RX_ROUNDS; round++) {
		for (i = 0; i < BATCH; i++) {
			r->rx_msg[i].msg_hdr.msg_name = flow ? NULL :
				&r->rx_addr[i];
			r->rx_msg[i].msg_hdr.msg_namelen =
				flow ? 0 : sizeof(r->rx_addr[i]);
			r->rx_msg[i].msg_hdr.msg_control = r->rx_ctl[i];
			r->rx_msg[i].msg_hdr.msg_controllen =
				sizeof(r->rx_ctl[i]);
		}
		got = recvmmsg(fd, r->rx_msg, BATCH, MSG_DONTWAIT, NULL);
		/* The kernel's clock for its timestamps is CLOCK_REALTIME. */
		clock_offset = realtime_ns() - now_ns();
		if (got <= 0) {
			/* EAGAIN: drained.  ECONNREFUSED and the like are
			 * ICMP errors from b for earlier datagrams: those
			 * were sent and counted; nothing to do. */
			if (got < 0 && errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < got; i++) {
			f = flow ? flow : flow_of(r, i, now);
			if (!f)
				continue;
			f->last_active = now;
			at = arrival(r, d, &r->rx_msg[i].msg_hdr,
				     clock_offset, now, &seg);
			offered += offer_segments(r->dir[d], r->rx[i],
						  r->rx_msg[i].msg_len, seg,
						  flow_tag(f), at);
			/* Send what is due every batch's worth, as netem
			 * dequeues all along: else one read of GRO
			 * datagrams could fill the queue on its own. */
			if (offered >= BATCH) {
				release(r, d, now);
				offered = 0;
			}
		}
		release(r, d, now);
		offered = 0;
		if (got < BATCH)
			return;
	}
}

int add_fd(struct relay *r, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.u64 = tag;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		warn("epoll_ctl");
		return -1;
	}
	return 0;
}

static void print_addr(const char *what, const struct sockaddr_storage *ss,
		       socklen_t len)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	int v6 = ss->ss_family == AF_INET6;

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host),
			port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV))
		strcpy(host, "?"), strcpy(port, "?");
	fprintf(stderr, "%s %s%s%s:%s", what, v6 ? "[" : "", host,
		v6 ? "]" : "", port);
}

static int open_listen(struct relay *r)
{
	const struct relay_opts *o = r->o;
	int off = 0;

	r->lfd = socket(o->listen.ss_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->lfd < 0) {
		warn("socket");
		return -1;
	}
	/* An IPv6 wildcard also takes IPv4 clients (as mapped addresses). */
	if (o->listen.ss_family == AF_INET6)
		(void)setsockopt(r->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				 sizeof(off));
	tune_socket(r->lfd);
	if (bind(r->lfd, (const struct sockaddr *)&o->listen,
		 o->listen_len) < 0) {
		warn("cannot listen");
		return -1;
	}
	if (o->verbose) {
		/* The bound address: the port chosen if it was 0. */
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getsockname(r->lfd, (struct sockaddr *)&ss, &len) == 0)
			print_addr("rdt-impair: listening on", &ss, len);
		print_addr(", forwarding to", &o->forward, o->forward_len);
		fputc('\n', stderr);
	}
	return add_fd(r, r->lfd, EV(EV_LISTEN, 0));
}

static int setup(struct relay *r)
{
	const struct relay_opts *o = r->o;
	sigset_t sigs;
	unsigned i;

	r->flows = calloc(o->max_flows, sizeof(*r->flows));
	r->free_slots = calloc(o->max_flows, sizeof(*r->free_slots));
	for (r->nbuckets = 16; r->nbuckets < 2 * o->max_flows;)
		r->nbuckets *= 2;
	r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
	r->rx = malloc(BATCH * sizeof(*r->rx));
	if (!r->flows || !r->free_slots || !r->buckets || !r->rx) {
		fprintf(stderr, "rdt-impair: out of memory\n");
		return -1;
	}
	for (i = 0; i < o->max_flows; i++) {
		r->flows[i].fd = -1;
		r->flows[i].slot = i;
		/* Hand out slot 0 first. */
		r->free_slots[i] = o->max_flows - 1 - i;
	}
	r->nfree = o->max_flows;
	for (i = 0; i < BATCH; i++) {
		r->rx_iov[i].iov_base = r->rx[i];
		r->rx_iov[i].iov_len = MAX_DGRAM;
		r->rx_msg[i].msg_hdr.msg_iov = &r->rx_iov[i];
		r->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}

	r->ep = epoll_create1(EPOLL_CLOEXEC);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 || r->ep < 0 ||
	    r->tfd < 0) {
		warn("setup");
		return -1;
	}
	r->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sfd < 0) {
		warn("signalfd");
		return -1;
	}
	if (add_fd(r, r->tfd, EV(EV_TIMER, 0)) < 0 ||
	    add_fd(r, r->sfd, EV(EV_SIGNAL, 0)) < 0 || open_listen(r) < 0)
		return -1;
	if (o->control && (control_open(r) < 0 ||
			   add_fd(r, r->cfd, EV(EV_CONTROL, 0)) < 0))
		return -1;
	return 0;
}

static void teardown(struct relay *r)
{
	unsigned i;

	if (r->flows)
		for (i = 0; i < r->o->max_flows; i++)
			if (r->flows[i].fd >= 0)
				flow_close(r, &r->flows[i]);
	if (r->control_created)
		unlink(r->o->control);
	if (r->cfd >= 0)
		close(r->cfd);
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->tfd >= 0)
		close(r->tfd);
	if (r->ep >= 0)
		close(r->ep);
	free(r->flows);
	free(r->free_slots);
	free(r->buckets);
	free(r->rx);
}

/* Arms the timer for |deadline| unless it already is. */
static void arm(struct relay *r, uint64_t deadline)
{
	struct itimerspec its;

	if (deadline == r->armed)
		return;
	memset(&its, 0, sizeof(its));
	if (deadline != UINT64_MAX) {
		/* A deadline already past fires at once. */
		its.it_value.tv_sec = (time_t)(deadline / 1000000000u);
		its.it_value.tv_nsec = (long)(deadline % 1000000000u);
	}
	if (timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		warn("timerfd_settime");
	r->armed = deadline;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void dispatch(struct relay *r, const struct epoll_event *ev,
		     uint64_t now, int *stop)
{
	uint32_t kind = (uint32_t)(ev->data.u64 >> 32);
	uint32_t slot = (uint32_t)ev->data.u64;
	struct signalfd_siginfo si;
	struct flow *f;
	uint64_t ticks;

	switch (kind) {
	case EV_LISTEN:
		if ((ev->events & EPOLLOUT) && r->blocked[DIR_B2A] == r->lfd)
			want_out(r, DIR_B2A, r->lfd, ev->data.u64, 0);
		if (ev->events & (EPOLLIN | EPOLLERR))
			receive(r, r->lfd, DIR_A2B, NULL, now);
		break;
	case EV_FLOW:
		f = &r->flows[slot];
		if (f->fd < 0)
			break;
		if ((ev->events & EPOLLOUT) && r->blocked[DIR_A2B] == f->fd)
			want_out(r, DIR_A2B, f->fd, ev->data.u64, 0);
		if (ev->events & (EPOLLIN | EPOLLERR)) {
			f->last_active = now;
			receive(r, f->fd, DIR_B2A, f, now);
		}
		break;
	case EV_TIMER:
		while (read(r->tfd, &ticks, sizeof(ticks)) > 0)
			;
		/* Fired, so disarmed: the next arm() must set it even for
		 * the same deadline.  No real deadline is this value. */
		r->armed = TIMER_FIRED;
		break;
	case EV_SIGNAL:
		while (read(r->sfd, &si, sizeof(si)) > 0)
			*stop = 1;
		break;
	case EV_CONTROL:
		control_read(r);
		break;
	}
}

int relay_run(const struct relay_opts *o, struct impair *dir[DIR_COUNT],
	      struct relay_stats *rs)
{
	struct relay r;
	struct epoll_event evs[64];
	uint64_t now, start, end, next_reap, deadline;
	int n, i, stop = 0, rc = 0;

	memset(&r, 0, sizeof(r));
	memset(rs, 0, sizeof(*rs));
	r.o = o;
	r.dir = dir;
	r.rs = rs;
	r.ep = r.lfd = r.tfd = r.sfd = r.cfd = -1;
	r.blocked[DIR_A2B] = r.blocked[DIR_B2A] = -1;
	r.armed = UINT64_MAX;
	r.gso = 1;
	if (setup(&r) < 0) {
		teardown(&r);
		return -1;
	}

	rs->started = 1;
	start = now_ns();
	end = o->duration ? start + o->duration : UINT64_MAX;
	next_reap = start + o->flow_timeout / 2;
	while (!stop) {
		now = now_ns();
		if (now >= end)
			break;
		if (now >= next_reap) {
			flows_reap(&r, now);
			next_reap = now + o->flow_timeout / 2;
		}
		release(&r, DIR_A2B, now);
		release(&r, DIR_B2A, now);

		deadline = min_u64(end, next_reap);
		for (i = 0; i < DIR_COUNT; i++)
			if (r.blocked[i] < 0)
				deadline = min_u64(deadline,
						   impair_next_due(dir[i]));
		arm(&r, deadline);

		n = epoll_wait(r.ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warn("epoll_wait");
			rc = -1;
			break;
		}
		now = now_ns();
		for (i = 0; i < n; i++)
			dispatch(&r, &evs[i], now, &stop);
	}
	teardown(&r);
	return rc;
}
