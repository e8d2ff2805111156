/*
 * relay.c: the I/O shell of rdt-impair (see relay.h).
 *
 * Map of this file:
 *   flow_*            the flow table: client address -> connected socket,
 *                     a chained hash over a fixed array; tags name a flow
 *                     by slot and generation, so a datagram queued for a
 *                     flow closed since is recognised and dropped
 *   receive()         one readable socket: recvmmsg batches into a model
 *   group()           datagrams -> GSO messages (UDP_SEGMENT)
 *   send_batch()      sendmmsg with the retry and blocking rules
 *   offer_segments()  a GRO read -> its datagrams
 *   release()         due datagrams of one direction, out in batches
 *   control_read()    FIFO bytes -> lines -> commands
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

/* Datagrams per recvmmsg/sendmmsg. */
#define BATCH 64
/* Batches read from one socket before the loop turns again. */
#define RX_ROUNDS 4
/* Largest read: a UDP payload, or GRO's datagrams glued together. */
#define MAX_DGRAM 65535
/* Socket buffers asked for: room for a burst at several Gbit/s. */
#define SOCK_BUF (8 * 1024 * 1024)
/* r->armed after the timer fired: matches no deadline arm() is given
 * (those are clock readings or UINT64_MAX). */
#define TIMER_FIRED (UINT64_MAX - 1)
/* 64-bit words for a read's control messages: a timestamp, a GRO size. */
#define RX_CTL_WORDS ((CMSG_SPACE(sizeof(struct timespec)) + \
		       CMSG_SPACE(sizeof(int))) / sizeof(uint64_t) + 1)
/* Longest control line. */
#define CONTROL_LINE 4096

/* What an epoll event is about: the kind in the top half of data.u64,
 * the flow slot in the bottom half. */
enum { EV_LISTEN = 1, EV_TIMER, EV_SIGNAL, EV_CONTROL, EV_FLOW };
#define EV(kind, slot) (((uint64_t)(kind) << 32) | (uint32_t)(slot))

struct flow {
	struct sockaddr_storage client;
	socklen_t client_len;
	int fd;			/* -1: slot free */
	uint32_t gen;		/* bumped each time the slot is reused */
	uint64_t last_active;
	struct flow *hnext;	/* hash chain */
	unsigned slot;
};

struct relay {
	const struct relay_opts *o;
	struct impair **dir;
	struct relay_stats *rs;
	int ep, lfd, tfd, sfd, cfd;
	int control_created;
	uint64_t armed;		/* timer deadline set, UINT64_MAX: none */

	struct flow *flows;
	unsigned *free_slots;
	unsigned nfree;
	struct flow **buckets;
	unsigned nbuckets;	/* a power of two */
	unsigned nflows;
	int warned_flow_socket;
	int gso;		/* send with UDP_SEGMENT until refused */

	/* The fd a direction waits on to become writable, or -1. */
	int blocked[DIR_COUNT];

	char line[CONTROL_LINE + 1];
	size_t line_len;
	int line_too_long;

	/* Receive buffers: BATCH datagrams of the largest size. */
	uint8_t (*rx)[MAX_DGRAM];
	struct sockaddr_storage rx_addr[BATCH];
	struct iovec rx_iov[BATCH];
	struct mmsghdr rx_msg[BATCH];
	/* Room for the SO_TIMESTAMPNS and UDP_GRO control messages. */
	uint64_t rx_ctl[BATCH][RX_CTL_WORDS];
	uint64_t last_arrival[DIR_COUNT];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void warn(const char *what)
{
	fprintf(stderr, "rdt-impair: %s: %s\n", what, strerror(errno));
}

/* Bigger buffers if the kernel lets us (the defaults still work),
 * arrival timestamps, and GRO. */
static void tune_socket(int fd)
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

/* The bytes of an address that identify a client: port and address. */
static size_t addr_key(const struct sockaddr_storage *ss,
		       const uint8_t **pkey)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6) {
		*pkey = (const uint8_t *)&sin6->sin6_port;
		/* Port, flow info and address are contiguous. */
		return offsetof(struct sockaddr_in6, sin6_scope_id) -
		       offsetof(struct sockaddr_in6, sin6_port);
	}
	*pkey = (const uint8_t *)&sin->sin_port;
	return sizeof(sin->sin_port) + sizeof(sin->sin_addr);
}

static int addr_equal(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	const uint8_t *ka, *kb;
	size_t na, nb;

	if (a->ss_family != b->ss_family)
		return 0;
	na = addr_key(a, &ka);
	nb = addr_key(b, &kb);
	return na == nb && memcmp(ka, kb, na) == 0;
}

/* FNV-1a over the address key. */
static unsigned addr_hash(const struct relay *r,
			  const struct sockaddr_storage *ss)
{
	const uint8_t *k;
	size_t n = addr_key(ss, &k), i;
	uint32_t h = 2166136261u;

	for (i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h & (r->nbuckets - 1);
}

static uint64_t flow_tag(const struct flow *f)
{
	return ((uint64_t)f->gen << 32) | f->slot;
}

static struct flow *flow_by_tag(struct relay *r, uint64_t tag)
{
	struct flow *f = &r->flows[(uint32_t)tag % r->o->max_flows];

	if (f->fd < 0 || f->gen != (uint32_t)(tag >> 32))
		return NULL;
	return f;
}

static struct flow *flow_find(struct relay *r,
			      const struct sockaddr_storage *client)
{
	struct flow *f;

	for (f = r->buckets[addr_hash(r, client)]; f; f = f->hnext)
		if (addr_equal(&f->client, client))
			return f;
	return NULL;
}

static struct flow *flow_open(struct relay *r,
			      const struct sockaddr_storage *client,
			      socklen_t client_len, uint64_t now)
{
	const struct relay_opts *o = r->o;
	struct epoll_event ev = { .events = EPOLLIN };
	struct flow *f, **bucket;
	int fd;

	if (r->nfree == 0) {
		r->rs->dropped_flow_limit++;
		return NULL;
	}
	fd = socket(o->forward.ss_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	tune_socket(fd);
	if (connect(fd, (const struct sockaddr *)&o->forward,
		    o->forward_len) < 0)
		goto fail;
	f = &r->flows[r->free_slots[--r->nfree]];
	ev.data.u64 = EV(EV_FLOW, f->slot);
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r->nfree++;
		goto fail;
	}
	f->fd = fd;
	f->gen++;
	memcpy(&f->client, client, client_len);
	f->client_len = client_len;
	f->last_active = now;
	bucket = &r->buckets[addr_hash(r, client)];
	f->hnext = *bucket;
	*bucket = f;
	r->nflows++;
	r->rs->flows++;
	if (r->nflows > r->rs->flows_peak)
		r->rs->flows_peak = r->nflows;
	return f;
fail:
	/* Say it once: a flood of the same line would help no one. */
	if (!r->warned_flow_socket) {
		warn("cannot open a socket toward the forward address");
		r->warned_flow_socket = 1;
	}
	if (fd >= 0)
		close(fd);
	r->rs->dropped_flow_limit++;
	return NULL;
}

static void flow_close(struct relay *r, struct flow *f)
{
	struct flow **pp = &r->buckets[addr_hash(r, &f->client)];
	int d;

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	for (d = 0; d < DIR_COUNT; d++)
		if (r->blocked[d] == f->fd)
			r->blocked[d] = -1;
	close(f->fd);	/* also leaves the epoll set */
	f->fd = -1;
	r->free_slots[r->nfree++] = f->slot;
	r->nflows--;
}

static void flows_reap(struct relay *r, uint64_t now)
{
	unsigned i;

	for (i = 0; i < r->o->max_flows; i++) {
		struct flow *f = &r->flows[i];

		if (f->fd >= 0 && now - f->last_active >= r->o->flow_timeout)
			flow_close(r, f);
	}
}

/* Wait for |fd| to be writable (|on|) or stop waiting. */
static void want_out(struct relay *r, int d, int fd, uint64_t tag, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0) };

	ev.data.u64 = tag;
	r->blocked[d] = on ? fd : -1;
	if (epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		warn("epoll_ctl");
}

/* Datagrams one GSO message may carry: the kernel's UDP_MAX_SEGMENTS. */
#define GSO_SEGS 64
/* Bytes one GSO message may carry: a UDP datagram's, less headers. */
#define GSO_BYTES 65000

/*
 * group cuts |pkts| into messages: runs of datagrams bound for the same
 * place, all |len| bytes but the last, which may be shorter, sent as one
 * UDP_SEGMENT (GSO) message when r->gso; one datagram each otherwise.
 * Message k carries pkts[first[k]] to pkts[first[k + 1] - 1].  Returns
 * the number of messages.
 */
static size_t group(const struct relay *r, struct impair_pkt **pkts,
		    size_t n, size_t *first)
{
	size_t nmsg = 0, i = 0, j, bytes, len;

	while (i < n) {
		len = pkts[i]->len;
		bytes = len;
		j = i + 1;
		while (r->gso && len > 0 && j < n && j - i < GSO_SEGS &&
		       pkts[j - 1]->len == len && pkts[j]->len <= len &&
		       pkts[j]->tag == pkts[i]->tag &&
		       bytes + pkts[j]->len <= GSO_BYTES)
			bytes += pkts[j++]->len;
		first[nmsg++] = i;
		i = j;
	}
	first[nmsg] = n;
	return nmsg;
}

/*
 * send_batch sends |pkts| on |fd| (to their flows' clients if |to_client|).
 * Returns 0 when all are sent or refused, or the number still unsent when
 * the socket is full; those are given back to the model.
 */
static size_t send_batch(struct relay *r, int d, int fd,
			 struct impair_pkt **pkts, size_t n, int to_client)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[BATCH];
	size_t first[BATCH + 1];
	struct msghdr *mh;
	struct cmsghdr *c;
	struct flow *f;
	size_t nmsg, k, i, done = 0;
	uint16_t seg;
	int sent;

	nmsg = group(r, pkts, n, first);
	memset(msg, 0, nmsg * sizeof(msg[0]));
	for (k = 0; k < nmsg; k++) {
		mh = &msg[k].msg_hdr;
		for (i = first[k]; i < first[k + 1]; i++) {
			iov[i].iov_base = pkts[i]->data;
			iov[i].iov_len = pkts[i]->len;
		}
		mh->msg_iov = &iov[first[k]];
		mh->msg_iovlen = first[k + 1] - first[k];
		if (to_client) {
			/* release() only batches datagrams of live flows. */
			f = flow_by_tag(r, pkts[first[k]]->tag);
			mh->msg_name = &f->client;
			mh->msg_namelen = f->client_len;
		}
		if (mh->msg_iovlen > 1) {
			mh->msg_control = ctl[k].buf;
			mh->msg_controllen = sizeof(ctl[k].buf);
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			seg = (uint16_t)pkts[first[k]]->len;
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
	}
	while (done < nmsg) {
		sent = sendmmsg(fd, msg + done, (unsigned)(nmsg - done), 0);
		if (sent > 0) {
			for (i = first[done]; i < first[done + sent]; i++)
				impair_done(r->dir[d], pkts[i], 1);
			done += (size_t)sent;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK ||
			   errno == ENOBUFS) {
			for (i = first[done]; i < n; i++)
				impair_unpop(r->dir[d], pkts[i]);
			return n - first[done];
		} else if (msg[done].msg_hdr.msg_iovlen > 1 &&
			   (errno == EINVAL || errno == EIO ||
			    errno == EMSGSIZE || errno == EOPNOTSUPP)) {
			/* No GSO here (e.g. segments over the path's MTU):
			 * send one datagram per message from now on. */
			r->gso = 0;
			return send_batch(r, d, fd, pkts + first[done],
					  n - first[done], to_client);
		} else {
			/* Refused (e.g. an ICMP error reported on this
			 * connected socket): the message's datagrams are
			 * lost. */
			for (i = first[done]; i < first[done + 1]; i++) {
				r->rs->send_errors++;
				impair_done(r->dir[d], pkts[i], 0);
			}
			done++;
		}
	}
	return 0;
}

/*
 * How late datagrams leave, after their due time: the relay's own
 * scheduling latency, which adds to the configured delay.  A sent-again
 * datagram (after a full socket) counts again; that is rare.
 */
static void count_lateness(struct relay *r, struct impair_pkt **pkts,
			   size_t n, uint64_t now)
{
	uint64_t late;
	size_t i;

	for (i = 0; i < n; i++) {
		late = now - pkts[i]->due;
		r->rs->late_sum_ns += late;
		if (late > r->rs->late_max_ns)
			r->rs->late_max_ns = late;
		r->rs->late_count++;
	}
}

/* Sends what direction |d| has due, batching datagrams bound for the same
 * socket, until nothing is due or a socket is full. */
static void release(struct relay *r, int d, uint64_t now)
{
	struct impair *im = r->dir[d];
	struct impair_pkt *batch[BATCH], *p;
	struct flow *f, *cur;
	size_t n;
	int fd;

	if (r->blocked[d] >= 0)
		return;
	for (;;) {
		n = 0;
		cur = NULL;
		while (n < BATCH && (p = impair_pop(im, now))) {
			f = flow_by_tag(r, p->tag);
			if (!f) {
				r->rs->dropped_no_flow++;
				impair_done(im, p, 0);
				continue;
			}
			/* a2b leaves on each flow's own socket. */
			if (d == DIR_A2B && cur && f != cur) {
				impair_unpop(im, p);
				break;
			}
			cur = f;
			batch[n++] = p;
		}
		if (n == 0)
			return;
		count_lateness(r, batch, n, now);
		fd = d == DIR_A2B ? cur->fd : r->lfd;
		if (send_batch(r, d, fd, batch, n, d == DIR_B2A)) {
			want_out(r, d, fd, d == DIR_A2B ?
				 EV(EV_FLOW, cur->slot) : EV(EV_LISTEN, 0),
				 1);
			return;
		}
	}
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

static void control_line(struct relay *r, char *line)
{
	struct command cmd;
	char err[512];
	char shown[CONTROL_LINE + 1];
	int d;

	snprintf(shown, sizeof(shown), "%s", line);
	if (command_parse(line, &cmd, err, sizeof(err)) < 0) {
		fprintf(stderr, "rdt-impair: control: %s\n", err);
		return;
	}
	switch (cmd.kind) {
	case COMMAND_NONE:
		return;
	case COMMAND_SET:
		for (d = 0; d < DIR_COUNT; d++)
			if (cmd.dirs & DIR_BIT(d))
				impair_set_cfg(r->dir[d], &cmd.cfg);
		break;
	case COMMAND_DOWN:
	case COMMAND_UP:
		for (d = 0; d < DIR_COUNT; d++)
			impair_set_down(r->dir[d], cmd.kind == COMMAND_DOWN);
		break;
	}
	if (r->o->verbose)
		fprintf(stderr, "rdt-impair: control: applied: %s\n",
			shown + strspn(shown, " \t"));
}

/* Reads what the FIFO holds and runs each complete line. */
static void control_read(struct relay *r)
{
	char buf[4096];
	ssize_t got, i;

	while ((got = read(r->cfd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				r->line[r->line_len] = '\0';
				if (r->line_too_long)
					fprintf(stderr, "rdt-impair: control: "
						"line longer than %d "
						"characters ignored\n",
						CONTROL_LINE);
				else
					control_line(r, r->line);
				r->line_len = 0;
				r->line_too_long = 0;
			} else if (r->line_len < CONTROL_LINE) {
				r->line[r->line_len++] = buf[i];
			} else {
				r->line_too_long = 1;
			}
		}
	}
}

/* Opens (creating if missing) the control FIFO.  O_RDWR keeps a writer
 * open ourselves, so the FIFO never reports end of file when a writer
 * goes away (Linux defines this for FIFOs). */
static int control_open(struct relay *r)
{
	const char *path = r->o->control;
	struct stat st;

	if (mkfifo(path, 0600) == 0)
		r->control_created = 1;
	else if (errno != EEXIST)
		goto fail;
	r->cfd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->cfd < 0)
		goto fail;
	if (fstat(r->cfd, &st) < 0)
		goto fail;
	if (!S_ISFIFO(st.st_mode)) {
		fprintf(stderr, "rdt-impair: %s: not a FIFO\n", path);
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, "rdt-impair: %s: %s\n", path, strerror(errno));
	return -1;
}

static int add_fd(struct relay *r, int fd, uint64_t tag)
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
