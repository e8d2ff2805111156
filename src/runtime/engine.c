/*
 * engine.c: the I/O thread, UDP endpoints, connection lookup and timers.
 * See rt.h for the threading model and lock order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/errqueue.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "pcaplog.h"
#include "rt.h"
#include "stream.h"
#include "wire/crc32c.h"
#include "wire/pkt.h"

/* Datagrams per recvmmsg/sendmmsg call. */
#define BATCH 64
/* Batches read from one UDP socket per wakeup, so that one busy port
 * cannot starve the others or the timers. */
#define READ_ROUNDS 8
/* Socket buffer we ask the kernel for on every UDP socket: a burst of a
 * full window must not overflow it on loopback. */
#define UDP_BUFFER (8 << 20)
/* How long an orphaned connection may wait for its peer's FIN, as
 * Linux's tcp_fin_timeout. */
#define ORPHAN_FIN_TIMEOUT (60 * RDT_S)
/* RESET UNKNOWN answers per second, and their burst. */
#define RESET_RATE 100
/* See flush. */
#define APP_FLUSH_BATCHES 4
/* Most expired timers serviced per engine lock acquisition. */
#define TIMER_SLICE 128

static struct engine {
	pthread_mutex_t lock;
	pthread_cond_t reaped;
	pthread_cond_t drained;
	pthread_once_t once;
	/* This process is a fork of one that used rdt. */
	int forked;
	/* Orphans still delivering their bytes (rdt_rt_exit_drain waits). */
	unsigned draining;
	/* Token bucket for RESET UNKNOWN answers: tokens and last refill. */
	double reset_tokens;
	rdt_tstamp reset_refill;
	int start_errno;
	pthread_t thread;
	int epfd, timerfd, wakefd;
	rdt_tstamp armed;
	struct rdt_timerheap heap;
	/* Connection ID -> socket, and INIT scid -> server socket. */
	struct rt_sock **cids, **inits;
	size_t nbuckets, nconns;
	struct rt_endpoint *endpoints;
	/* Endpoints whose last reference is gone, to be closed. */
	struct rt_endpoint *dying;
	/* RDT_PCAP: every datagram sent and received, or NULL. */
	struct rdt_pcaplog *pcap;
	/* The engine thread's receive buffers. */
	uint8_t (*rxbuf)[RDT_PKT_MAX_DGRAM + 1];
	/* Sockets taken out of epoll whose reference the engine thread
	 * drops once no event of its current batch can name them. */
	struct rt_sock *unwatched;
	/* The api's: forget a descriptor the application closed. */
	void (*forget)(struct rt_sock *s);
} eng = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.reaped = PTHREAD_COND_INITIALIZER,
	.drained = PTHREAD_COND_INITIALIZER,
	.once = PTHREAD_ONCE_INIT,
	.epfd = -1,
	.timerfd = -1,
	.wakefd = -1,
	.armed = RDT_TSTAMP_NEVER,
};

/* Distinguishes the timerfd and eventfd from endpoints in epoll data. */
static int timer_tag, wake_tag;

static __thread int in_engine;

rdt_tstamp rdt_rt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (rdt_tstamp)ts.tv_sec * RDT_S + (rdt_tstamp)ts.tv_nsec;
}

static uint64_t rt_rand64(void *ctx)
{
	uint64_t v = 0;

	(void)ctx;
	/* getrandom on a booted system never blocks for 8 bytes; if it
	 * failed anyway, fall back to the clock rather than to zero. */
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = rdt_rt_now() * 0x9e3779b97f4a7c15ULL;
	return v;
}

/* Records one datagram in the RDT_PCAP file, if there is one. */
static void pcap_record(const void *src, const void *dst, const uint8_t *dg,
			size_t len)
{
	struct timespec ts;

	if (eng.pcap == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	rdt_pcaplog_write(eng.pcap, &ts, src, dst, dg, len);
}

static void stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* --- options ------------------------------------------------------------ */

void rdt_rt_opts_default(struct rt_opts *opt)
{
	struct rdt_conn_config cfg;

	rdt_conn_config_default(&cfg);
	memset(opt, 0, sizeof(*opt));
	opt->sndbuf = cfg.sndbuf;
	opt->rcvbuf = cfg.rcvbuf;
	opt->max_dgram = cfg.max_dgram;
	opt->user_timeout = cfg.user_timeout;
	opt->idle_timeout = cfg.idle_timeout;
	opt->keepidle = 7200 * RDT_S;
	/* Linux's defaults, reported back by TCP_KEEPINTVL/KEEPCNT. */
	opt->keepintvl_s = 75;
	opt->keepcnt = 9;
	opt->cc = rdt_cc_default();
}

void rdt_rt_conn_config(const struct rt_opts *opt, struct rdt_conn_config *cfg)
{
	rdt_conn_config_default(cfg);
	cfg->sndbuf = opt->sndbuf;
	cfg->rcvbuf = opt->rcvbuf;
	cfg->max_dgram = opt->max_dgram;
	cfg->user_timeout = opt->user_timeout;
	cfg->idle_timeout = opt->idle_timeout;
	cfg->keepalive = opt->keepalive ? opt->keepidle : 0;
	cfg->nodelay = opt->nodelay;
	cfg->cc = opt->cc;
	cfg->rand64 = rt_rand64;
	cfg->rand_ctx = NULL;
}

/* --- engine start ------------------------------------------------------- */

static void *engine_main(void *arg);

/* What a forked child inherited and must not free (see below); kept
 * reachable (and so not optimised away) for leak checkers. */
static __attribute__((used)) struct {
	struct rt_sock **cids, **inits;
	struct rt_endpoint *endpoints, *dying;
	void *rxbuf;
	struct rdt_timerheap heap;
} inherited;

static void engine_atfork_prepare(void)
{
	pthread_mutex_lock(&eng.lock);
}

static void engine_atfork_parent(void)
{
	pthread_mutex_unlock(&eng.lock);
}

/*
 * In a forked child only the forking thread exists: the engine thread and
 * every connection belong to the parent.  The child closes its copies of
 * the library's own descriptors (the parent's keep working), forgets the
 * parent's state without freeing it (it may have been mid-update in
 * another thread), and starts a new engine on its first rdt_socket.
 */
static void engine_atfork_child(void)
{
	struct rt_endpoint *ep;
	size_t b;

	/* A child's copy of a library end would keep the application's
	 * end from seeing end of stream or a reset when the parent closes
	 * it.  Sockets in the application's table are the api's to do. */
	for (b = 0; eng.cids && b < eng.nbuckets; b++) {
		struct rt_sock *s;

		for (s = eng.cids[b]; s; s = s->cid_next)
			if (s->notify.lib_fd >= 0) {
				close(s->notify.lib_fd);
				s->notify.lib_fd = -1;
			}
	}
	for (ep = eng.endpoints; ep; ep = ep->next)
		close(ep->fd);
	for (ep = eng.dying; ep; ep = ep->next)
		close(ep->fd);
	close(eng.epfd);
	close(eng.timerfd);
	close(eng.wakefd);
	eng.epfd = eng.timerfd = eng.wakefd = -1;
	inherited.endpoints = eng.endpoints;
	inherited.dying = eng.dying;
	inherited.cids = eng.cids;
	inherited.inits = eng.inits;
	inherited.rxbuf = eng.rxbuf;
	inherited.heap = eng.heap;
	eng.endpoints = eng.dying = NULL;
	eng.cids = eng.inits = NULL;
	eng.nconns = 0;
	eng.draining = 0;
	/* The parent's log: a second writer would interleave records. */
	eng.pcap = NULL;
	eng.rxbuf = NULL;
	eng.armed = RDT_TSTAMP_NEVER;
	rdt_timerheap_init(&eng.heap);
	pthread_mutex_init(&eng.lock, NULL);
	pthread_cond_init(&eng.reaped, NULL);
	pthread_cond_init(&eng.drained, NULL);
	eng.start_errno = 0;
	eng.once = (pthread_once_t)PTHREAD_ONCE_INIT;
	eng.forked = 1;
}

static void engine_start_once(void)
{
	struct epoll_event ev;
	pthread_attr_t attr;
	sigset_t all, old;
	const char *path;
	int rc;

	if (!eng.forked &&
	    pthread_atfork(engine_atfork_prepare, engine_atfork_parent,
			   engine_atfork_child) != 0) {
		eng.start_errno = ENOMEM;
		return;
	}
	eng.rxbuf = malloc(BATCH * sizeof(*eng.rxbuf));
	eng.nbuckets = 256;
	eng.cids = calloc(eng.nbuckets, sizeof(*eng.cids));
	eng.inits = calloc(eng.nbuckets, sizeof(*eng.inits));
	if (!eng.rxbuf || !eng.cids || !eng.inits) {
		eng.start_errno = ENOMEM;
		return;
	}
	rdt_timerheap_init(&eng.heap);
	path = getenv("RDT_PCAP");
	if (path && *path && !eng.forked) {
		eng.pcap = rdt_pcaplog_open(path);
		/* A debugging aid must not stop the program, but its absence
		 * must not go unnoticed either. */
		if (eng.pcap == NULL)
			fprintf(stderr, "librdt: RDT_PCAP=%s: %s\n", path,
				strerror(errno));
	}
	eng.epfd = epoll_create1(EPOLL_CLOEXEC);
	eng.timerfd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	eng.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eng.epfd < 0 || eng.timerfd < 0 || eng.wakefd < 0) {
		eng.start_errno = errno;
		return;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &timer_tag;
	epoll_ctl(eng.epfd, EPOLL_CTL_ADD, eng.timerfd, &ev);
	ev.data.ptr = &wake_tag;
	epoll_ctl(eng.epfd, EPOLL_CTL_ADD, eng.wakefd, &ev);

	/* The engine takes no signals: they belong to the application's
	 * threads (EINTR in a blocking call, SIGPIPE on the sender). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&eng.thread, &attr, engine_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		eng.start_errno = rc;
}

int rdt_rt_start(void)
{
	pthread_once(&eng.once, engine_start_once);
	if (eng.start_errno) {
		errno = eng.start_errno;
		return -1;
	}
	return 0;
}

static void engine_wake(void)
{
	uint64_t one = 1;

	(void)!write(eng.wakefd, &one, sizeof(one));
}

/*
 * A streaming socket's library end sits in the engine's epoll set,
 * edge-triggered, so the application's writes, reads and close wake the
 * engine once per change.  The set holds a reference, dropped by the
 * engine thread itself (release_unwatched) after the batch in which the
 * socket left: an event already fetched may still name it.  |s| locked.
 */
static void watch(struct rt_sock *s)
{
	struct epoll_event ev;

	if (s->notify.watched || s->notify.lib_fd < 0)
		return;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	/* Endpoints are the untagged pointers. */
	ev.data.u64 = (uint64_t)(uintptr_t)s | 1;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, s->notify.lib_fd, &ev) != 0)
		return;
	rdt_rt_sock_get(s);
	s->notify.watched = 1;
}

/* Out of the epoll set, before lib_fd closes: a forked child's copy of
 * it would keep the registration alive.  |s| locked. */
static void unwatch(struct rt_sock *s)
{
	if (!s->notify.watched)
		return;
	epoll_ctl(eng.epfd, EPOLL_CTL_DEL, s->notify.lib_fd, NULL);
	s->notify.watched = 0;
	pthread_mutex_lock(&eng.lock);
	s->unwatched_next = eng.unwatched;
	eng.unwatched = s;
	pthread_mutex_unlock(&eng.lock);
	if (!in_engine)
		engine_wake();
}

static void release_unwatched(void)
{
	struct rt_sock *s, *next;

	pthread_mutex_lock(&eng.lock);
	s = eng.unwatched;
	eng.unwatched = NULL;
	pthread_mutex_unlock(&eng.lock);
	for (; s; s = next) {
		next = s->unwatched_next;
		rdt_rt_sock_put(s);
	}
}

void rdt_rt_set_forget(void (*forget)(struct rt_sock *s))
{
	eng.forget = forget;
}

/* Arm the timerfd to the heap's earliest deadline.  Engine lock held. */
static void timer_rearm(void)
{
	struct rdt_timer *min = rdt_timerheap_min(&eng.heap);
	rdt_tstamp when = min ? min->when : RDT_TSTAMP_NEVER;
	struct itimerspec its;

	if (when == eng.armed)
		return;
	memset(&its, 0, sizeof(its));
	if (when != RDT_TSTAMP_NEVER) {
		/* 0 would disarm the timer. */
		if (when == 0)
			when = 1;
		its.it_value.tv_sec = (time_t)(when / RDT_S);
		its.it_value.tv_nsec = (long)(when % RDT_S);
	}
	timerfd_settime(eng.timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	eng.armed = when;
}

/* --- sockets ------------------------------------------------------------ */

/* A socket with one reference and no descriptor yet. */
static struct rt_sock *sock_alloc(int family, const struct rt_opts *opt)
{
	struct rt_sock *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;

	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->changed, &ca);
	pthread_condattr_destroy(&ca);
	s->refs = 1;
	s->family = family;
	s->role = RT_FRESH;
	s->opt = *opt;
	s->notify.app_fd = -1;
	s->notify.lib_fd = -1;
	rdt_timer_init(&s->timer);
	return s;
}

struct rt_sock *rdt_rt_sock_new(int family, int cloexec)
{
	struct rt_opts opt;
	struct rt_sock *s;

	if (rdt_rt_start() != 0)
		return NULL;
	rdt_rt_opts_default(&opt);
	s = sock_alloc(family, &opt);
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (rdt_notify_open(&s->notify, cloexec) != 0) {
		int saved = errno;

		rdt_rt_sock_put(s);
		errno = saved;
		return NULL;
	}
	s->has_fd = 1;
	return s;
}

void rdt_rt_sock_get(struct rt_sock *s)
{
	__atomic_fetch_add(&s->refs, 1, __ATOMIC_RELAXED);
}

static void ep_put(struct rt_endpoint *ep);

void rdt_rt_sock_put(struct rt_sock *s)
{
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	rdt_conn_del(s->conn);
	/* The application's descriptor is the application's: its number
	 * may belong to another file by now. */
	rdt_notify_close_lib(&s->notify);
	if (s->ep)
		ep_put(s->ep);
	rdt_rt_sock_put(s->parent);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* --- endpoints ---------------------------------------------------------- */

static void set_buffer(int fd, int force_opt, int opt)
{
	int size = UDP_BUFFER;

	/* The FORCE variants pass net.core.[rw]mem_max for root. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * Connects |ep|'s UDP socket to a client's one peer, so the kernel
 * filters strangers and reports ICMP errors (ECONNREFUSED) to us.
 * Returns 0 or -errno.
 */
static int ep_connect(struct rt_endpoint *ep, const struct sockaddr *peer,
		      socklen_t len)
{
	if (connect(ep->fd, peer, len) != 0)
		return -errno;
	ep->connected = 1;
	/* connect(2) bound the ephemeral port and picked the source
	 * address: rdt_getsockname reports them. */
	ep->local_len = sizeof(ep->local);
	getsockname(ep->fd, (struct sockaddr *)&ep->local, &ep->local_len);
	return 0;
}

/*
 * Opens a UDP socket of |family| bound to |addr| (or to an ephemeral port
 * when NULL) and, if |peer| is not NULL, connected to it before the
 * engine starts reading it.  Returns the endpoint with one reference, or
 * NULL with *|err| = -errno.
 */
static struct rt_endpoint *ep_open(int family, const struct sockaddr *addr,
				   socklen_t len, const struct sockaddr *peer,
				   socklen_t peerlen, int *err)
{
	struct rt_endpoint *ep;
	struct epoll_event ev;
	int fd;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	if (addr != NULL && bind(fd, addr, len) != 0) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	ep->fd = fd;
	ep->family = family;
	ep->refs = 1;
	ep->local_len = sizeof(ep->local);
	getsockname(fd, (struct sockaddr *)&ep->local, &ep->local_len);
	if (peer != NULL) {
		*err = ep_connect(ep, peer, peerlen);
		if (*err) {
			close(fd);
			free(ep);
			return NULL;
		}
	}
	if (is_wildcard(&ep->local)) {
		int one = 1;

		ep->pktinfo = family == AF_INET ?
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				   sizeof(one)) == 0 :
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one)) == 0;
	}
	{
		int one = 1;

		/* ICMP errors with the address and the quoted datagram, on
		 * unconnected ports too: how a dead peer is noticed
		 * (read_errors). */
		if (family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
					 sizeof(one));
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one,
				 sizeof(one));
	}
	ev.events = EPOLLIN;
	ev.data.ptr = ep;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		*err = -errno;
		close(fd);
		free(ep);
		return NULL;
	}
	pthread_mutex_lock(&eng.lock);
	ep->next = eng.endpoints;
	eng.endpoints = ep;
	pthread_mutex_unlock(&eng.lock);
	return ep;
}

/*
 * The last reference gone, the UDP socket must close, but the engine
 * thread may be in the middle of a batch read from it (and may still send
 * through it in that batch): only the engine closes it, after the batch,
 * so the descriptor number cannot be reused under its feet.  Another
 * thread waits for that, so the port is free when rdt_close returns, as
 * a TCP port would be.
 */
static void ep_put(struct rt_endpoint *ep)
{
	struct rt_endpoint **pp;

	pthread_mutex_lock(&eng.lock);
	if (--ep->refs > 0) {
		pthread_mutex_unlock(&eng.lock);
		return;
	}
	__atomic_store_n(&ep->dead, 1, __ATOMIC_RELEASE);
	for (pp = &eng.endpoints; *pp; pp = &(*pp)->next)
		if (*pp == ep) {
			*pp = ep->next;
			break;
		}
	ep->next = eng.dying;
	eng.dying = ep;
	if (in_engine) {
		/* Freed by reap_dying_endpoints after the batch. */
		pthread_mutex_unlock(&eng.lock);
		return;
	}
	ep->waited = 1;
	engine_wake();
	while (!ep->closed)
		pthread_cond_wait(&eng.reaped, &eng.lock);
	pthread_mutex_unlock(&eng.lock);
	free(ep);
}

/* Engine thread, between batches: close the UDP sockets of dead
 * endpoints; free those nobody waits for. */
static void reap_dying_endpoints(void)
{
	struct rt_endpoint *ep, *next;

	pthread_mutex_lock(&eng.lock);
	ep = eng.dying;
	eng.dying = NULL;
	for (; ep; ep = next) {
		next = ep->next;
		epoll_ctl(eng.epfd, EPOLL_CTL_DEL, ep->fd, NULL);
		close(ep->fd);
		ep->closed = 1;
		if (!ep->waited)
			free(ep);
	}
	pthread_cond_broadcast(&eng.reaped);
	pthread_mutex_unlock(&eng.lock);
}

static int ep_dead(const struct rt_endpoint *ep)
{
	return __atomic_load_n(&ep->dead, __ATOMIC_ACQUIRE);
}

void rdt_rt_port_stats(const struct rt_sock *s, struct rdt_rt_port_stats *out)
{
	const struct rdt_rt_port_stats *in;

	memset(out, 0, sizeof(*out));
	if (s->ep == NULL)
		return;
	in = &s->ep->stats;
#define COPY(f) out->f = __atomic_load_n(&in->f, __ATOMIC_RELAXED)
	COPY(received);
	COPY(sent);
	COPY(drop_checksum);
	COPY(drop_malformed);
	COPY(drop_unknown_cid);
	COPY(drop_no_listener);
	COPY(drop_backlog);
	COPY(send_errors);
	COPY(drop_icmp);
#undef COPY
}

/* --- registry: connection IDs ------------------------------------------- */

static size_t bucket(uint64_t key)
{
	/* IDs are random; the multiply only guards against a peer that
	 * picks structured scids. */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) &
	       (eng.nbuckets - 1);
}

/* Engine lock held.  Doubles the tables when they get crowded. */
static void maybe_grow(void)
{
	size_t n = eng.nbuckets * 2, i;
	struct rt_sock **cids, **inits;

	if (eng.nconns < eng.nbuckets)
		return;
	cids = calloc(n, sizeof(*cids));
	inits = calloc(n, sizeof(*inits));
	if (!cids || !inits) {
		/* Longer chains, still correct. */
		free(cids);
		free(inits);
		return;
	}
	for (i = 0; i < eng.nbuckets; i++) {
		struct rt_sock *s, *next;

		for (s = eng.cids[i]; s; s = next) {
			size_t b = (size_t)((s->cid * 0x9e3779b97f4a7c15ULL) >>
					    32) & (n - 1);

			next = s->cid_next;
			s->cid_next = cids[b];
			cids[b] = s;
		}
		for (s = eng.inits[i]; s; s = next) {
			size_t b = (size_t)((s->init_scid *
					     0x9e3779b97f4a7c15ULL) >> 32) &
				   (n - 1);

			next = s->init_next;
			s->init_next = inits[b];
			inits[b] = s;
		}
	}
	free(eng.cids);
	free(eng.inits);
	eng.cids = cids;
	eng.inits = inits;
	eng.nbuckets = n;
}

/*
 * Adds |s| (with a core connection) to the tables and takes a reference.
 * Room for its timer is made now, so that timers never fail later.
 * Returns 0 or -ENOMEM.  Engine lock held.
 */
static int registry_add(struct rt_sock *s, int server)
{
	size_t b;

	if (rdt_timerheap_reserve(&eng.heap, eng.nconns + 1) != 0)
		return -ENOMEM;
	maybe_grow();
	s->cid = rdt_conn_local_cid(s->conn);
	b = bucket(s->cid);
	s->cid_next = eng.cids[b];
	eng.cids[b] = s;
	if (server) {
		s->init_scid = rdt_conn_peer_cid(s->conn);
		b = bucket(s->init_scid);
		s->init_next = eng.inits[b];
		eng.inits[b] = s;
	}
	s->registered = 1;
	eng.nconns++;
	rdt_rt_sock_get(s);
	return 0;
}

static void unlink_from(struct rt_sock **head, struct rt_sock *s,
			size_t next_offset)
{
	struct rt_sock **pp;

	for (pp = head; *pp;
	     pp = (struct rt_sock **)((char *)*pp + next_offset))
		if (*pp == s) {
			*pp = *(struct rt_sock **)((char *)s + next_offset);
			return;
		}
}

/* A listener's connections still shaking hands, oldest first, so that a
 * full handshake queue can make room.  Engine lock held. */
static void embryo_link(struct rt_sock *l, struct rt_sock *s)
{
	s->emb_prev = l->emb_tail;
	s->emb_next = NULL;
	if (l->emb_tail)
		l->emb_tail->emb_next = s;
	else
		l->emb_head = s;
	l->emb_tail = s;
	l->embryos++;
	s->embryo = 1;
}

static void embryo_unlink(struct rt_sock *s)
{
	struct rt_sock *l = s->parent;

	if (!s->embryo)
		return;
	if (s->emb_prev)
		s->emb_prev->emb_next = s->emb_next;
	else
		l->emb_head = s->emb_next;
	if (s->emb_next)
		s->emb_next->emb_prev = s->emb_prev;
	else
		l->emb_tail = s->emb_prev;
	l->embryos--;
	s->embryo = 0;
}

/* Removes |s| from the tables and the timer heap; the caller drops the
 * registry's reference after unlocking.  Engine lock held. */
static void registry_remove(struct rt_sock *s)
{
	unlink_from(&eng.cids[bucket(s->cid)], s,
		    offsetof(struct rt_sock, cid_next));
	if (s->server)
		unlink_from(&eng.inits[bucket(s->init_scid)], s,
			    offsetof(struct rt_sock, init_next));
	rdt_timerheap_remove(&eng.heap, &s->timer);
	embryo_unlink(s);
	if (s->ep && s->ep->client == s)
		s->ep->client = NULL;
	s->registered = 0;
	eng.nconns--;
}

/* Engine lock held; returns the socket with a reference, or NULL. */
static struct rt_sock *lookup_cid(uint64_t cid, const struct rt_endpoint *ep)
{
	struct rt_sock *s;

	for (s = eng.cids[bucket(cid)]; s; s = s->cid_next)
		if (s->cid == cid && s->ep == ep) {
			rdt_rt_sock_get(s);
			return s;
		}
	return NULL;
}

static int same_addr(const struct sockaddr_storage *a, socklen_t alen,
		     const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Engine lock held; the server connection an INIT from |from| with
 * |scid| already made, with a reference, or NULL. */
static struct rt_sock *lookup_init(uint64_t scid, const struct rt_endpoint *ep,
				   const struct sockaddr_storage *from,
				   socklen_t fromlen)
{
	struct rt_sock *s;

	for (s = eng.inits[bucket(scid)]; s; s = s->init_next)
		if (s->init_scid == scid && s->ep == ep &&
		    same_addr(&s->peer, s->peer_len, from, fromlen)) {
			rdt_rt_sock_get(s);
			return s;
		}
	return NULL;
}

/* --- transmission ------------------------------------------------------- */

struct txbuf {
	size_t dgram_cap;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint8_t data[];
};

static pthread_key_t tx_key;
static pthread_once_t tx_key_once = PTHREAD_ONCE_INIT;

static void tx_key_make(void)
{
	pthread_key_create(&tx_key, free);
}

/* This thread's transmit buffers, large enough for |dgram| bytes each. */
static struct txbuf *txbuf_get(size_t dgram)
{
	struct txbuf *tx;

	pthread_once(&tx_key_once, tx_key_make);
	tx = pthread_getspecific(tx_key);
	if (tx && tx->dgram_cap >= dgram)
		return tx;
	free(tx);
	tx = malloc(sizeof(*tx) + BATCH * dgram);
	if (tx)
		tx->dgram_cap = dgram;
	pthread_setspecific(tx_key, tx);
	return tx;
}

/* Sends |n| prepared messages of |s|; returns -1 if the path is
 * refused (ICMP port unreachable on a connected socket). */
static int send_batch(struct rt_sock *s, struct mmsghdr *msgs, unsigned n)
{
	struct rt_endpoint *ep = s->ep;
	unsigned done = 0;

	while (done < n) {
		int rc = sendmmsg(ep->fd, msgs + done, n - done, 0);

		if (rc > 0) {
			done += (unsigned)rc;
			continue;
		}
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 && errno == ECONNREFUSED) {
			/* The error belongs to an earlier datagram; this one
			 * was not sent, and counts as lost. */
			stat_add(&ep->stats.send_errors, n - done);
			return -1;
		}
		/* A full socket buffer or a transient routing error: the
		 * datagram is lost, and the protocol recovers it. */
		stat_add(&ep->stats.send_errors, 1);
		done++;
	}
	stat_add(&ep->stats.sent, n);
	if (eng.pcap) {
		unsigned i;

		for (i = 0; i < n; i++)
			pcap_record(s->local_len ? &s->local : &ep->local,
				    ep->connected ? (void *)&s->peer :
						    msgs[i].msg_hdr.msg_name,
				    msgs[i].msg_hdr.msg_iov->iov_base,
				    msgs[i].msg_hdr.msg_iov->iov_len);
	}
	return 0;
}

/*
 * Sends what the connection wants to send now.  An application thread
 * sends at most APP_FLUSH_BATCHES batches per call while holding the
 * socket's lock, so the engine is not kept from the ACKs that socket
 * needs; the rest follows from the engine as those ACKs arrive (after a
 * full batch, something is always in flight to bring them).
 */
static void flush(struct rt_sock *s, rdt_tstamp now)
{
	size_t cap = s->opt.max_dgram;
	unsigned batches = in_engine ? UINT_MAX : APP_FLUSH_BATCHES;
	struct txbuf *tx;

	if (cap < RDT_PKT_MIN_DGRAM)
		cap = RDT_PKT_MIN_DGRAM;
	/* An INIT is padded to its minimum size whatever max_dgram says. */
	if (cap < RDT_PKT_INIT_MIN_SIZE)
		cap = RDT_PKT_INIT_MIN_SIZE;
	tx = txbuf_get(cap);
	if (tx == NULL)
		return;	/* Retried at the next event; the core keeps it. */
	for (;;) {
		unsigned n = 0;

		while (n < BATCH) {
			uint8_t *buf = tx->data + n * cap;
			rdt_ssize len = rdt_conn_write_pkt(s->conn, buf, cap,
							   now);
			struct msghdr *mh = &tx->msgs[n].msg_hdr;

			if (len <= 0)
				break;
			tx->iov[n].iov_base = buf;
			tx->iov[n].iov_len = (size_t)len;
			memset(mh, 0, sizeof(*mh));
			mh->msg_iov = &tx->iov[n];
			mh->msg_iovlen = 1;
			if (!s->ep->connected) {
				mh->msg_name = &s->peer;
				mh->msg_namelen = s->peer_len;
				if (s->pktinfo_len) {
					mh->msg_control = s->pktinfo;
					mh->msg_controllen = s->pktinfo_len;
				}
			}
			n++;
		}
		if (n == 0)
			return;
		if (send_batch(s, tx->msgs, n) != 0) {
			rdt_conn_refused(s->conn, now);
			return;
		}
		if (n < BATCH || --batches == 0)
			return;
	}
}

/*
 * Source-address control message for a datagram sent from a port bound to
 * a wildcard address: the reply must leave from the address the peer
 * sent to, or a peer that reached us through another of our addresses
 * (and whose UDP socket is connected) drops it.  Writes into |buf|
 * (RT_PKTINFO_SPACE bytes) and returns the length, 0 if not needed.
 */
static size_t pktinfo_cmsg(uint8_t *buf, const struct sockaddr_storage *src)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi4;
	struct cmsghdr *cm;
	struct msghdr mh;
	const void *data;
	size_t len;

	memset(buf, 0, RT_PKTINFO_SPACE);
	memset(&mh, 0, sizeof(mh));
	mh.msg_control = buf;
	mh.msg_controllen = RT_PKTINFO_SPACE;
	cm = CMSG_FIRSTHDR(&mh);
	if (src->ss_family == AF_INET) {
		memset(&pi4, 0, sizeof(pi4));
		pi4.ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		data = &pi4;
		len = sizeof(pi4);
	} else if (src->ss_family == AF_INET6) {
		memset(&pi6, 0, sizeof(pi6));
		/* A v4-mapped address works too: Linux sends IPv4 from it. */
		pi6.ipi6_addr = ((const struct sockaddr_in6 *)src)->sin6_addr;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		data = &pi6;
		len = sizeof(pi6);
	} else {
		return 0;
	}
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

/* Where a received datagram came from, and the local address (with the
 * port's number) it was sent to. */
struct dgram_addr {
	struct sockaddr_storage from, to;
	socklen_t fromlen, tolen;
};

/* Fills |da|->to from the PKTINFO control message of a received datagram,
 * or with the port's own address. */
static void local_address(const struct rt_endpoint *ep, struct msghdr *mh,
			  struct dgram_addr *da)
{
	struct cmsghdr *cm;

	memcpy(&da->to, &ep->local, ep->local_len);
	da->tolen = ep->local_len;
	if (!ep->pktinfo)
		return;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    da->to.ss_family == AF_INET) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in *)&da->to)->sin_addr = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_PKTINFO &&
			   da->to.ss_family == AF_INET6) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in6 *)&da->to)->sin6_addr =
				pi.ipi6_addr;
		}
	}
}

/* Writes a RESET for |dcid| into |buf| (64 bytes); returns its length. */
static rdt_ssize encode_reset(uint8_t *buf, uint64_t dcid, uint32_t reason)
{
	struct rdt_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_RESET;
	pkt.dcid = dcid;
	pkt.reason = reason;
	return rdt_pkt_encode(buf, 64, &pkt);
}

/* Sends a bare RESET back to the sender of |da| for a connection ID we
 * do not hold. */
static void send_reset(struct rt_endpoint *ep, uint64_t dcid, uint32_t reason,
		       const struct dgram_addr *da)
{
	uint8_t buf[64], ctrl[RT_PKTINFO_SPACE];
	struct msghdr mh;
	struct iovec iov;
	rdt_ssize len = encode_reset(buf, dcid, reason);

	if (len <= 0)
		return;
	iov.iov_base = buf;
	iov.iov_len = (size_t)len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (!ep->connected) {
		mh.msg_name = (void *)&da->from;
		mh.msg_namelen = da->fromlen;
		if (ep->pktinfo) {
			mh.msg_control = ctrl;
			mh.msg_controllen = pktinfo_cmsg(ctrl, &da->to);
		}
	}
	if (sendmsg(ep->fd, &mh, 0) == len) {
		stat_add(&ep->stats.sent, 1);
		pcap_record(&da->to, &da->from, buf, (size_t)len);
	} else {
		stat_add(&ep->stats.send_errors, 1);
	}
}

/* --- servicing a connection --------------------------------------------- */

static void timer_update(struct rt_sock *s)
{
	rdt_tstamp when = rdt_conn_deadline(s->conn);

	if (s->orphan && s->orphan_deadline < when)
		when = s->orphan_deadline;
	pthread_mutex_lock(&eng.lock);
	if (s->registered) {
		/* Cannot fail: registry_add reserved the room. */
		rdt_timerheap_set(&eng.heap, &s->timer, when);
		if (when < eng.armed)
			timer_rearm();
	}
	pthread_mutex_unlock(&eng.lock);
}

/*
 * A listener's readiness follows its accept queue, which changes under
 * the engine lock, so it is updated under that lock too: the engine
 * thread queues connections while holding a connection's lock and may
 * not take the listener's.  Closing a listener changes its role under the
 * engine lock before closing its descriptor.  Engine lock held.
 */
static void listener_signal(struct rt_sock *l)
{
	if (l->role == RT_LISTENING && l->has_fd)
		rdt_notify_set_readable(&l->notify, l->q_len > 0, 1);
}

/* The descriptor's readiness from the connection's state.  |s| locked. */
static void sync_readiness(struct rt_sock *s)
{
	struct rdt_notify *n = &s->notify;
	enum rdt_conn_state st;
	size_t room;
	int writable;

	if (!s->has_fd)
		return;
	if (s->role == RT_LISTENING) {
		pthread_mutex_lock(&eng.lock);
		listener_signal(s);
		pthread_mutex_unlock(&eng.lock);
		return;
	}
	if (s->conn == NULL)
		return;
	st = rdt_conn_state(s->conn);
	if (n->streaming) {
		int failed = rdt_conn_error(s->conn) != 0;

		/* Readiness is the pair's own; what is left is to end it
		 * once every byte reached the application's end. */
		if ((st == RDT_CONN_CLOSED || st == RDT_CONN_TIME_WAIT) &&
		    (failed || rdt_conn_readable(s->conn) == 0 ||
		     n->app_no_read)) {
			unwatch(s);
			rdt_notify_finish(n, failed);
		}
		return;
	}
	if (st == RDT_CONN_CLOSED || st == RDT_CONN_TIME_WAIT) {
		if (rdt_conn_peer_finished(s->conn))
			rdt_notify_set_rdhup(n);
		rdt_notify_finish(n, rdt_conn_error(s->conn) != 0);
		return;
	}
	if (st == RDT_CONN_SYN_SENT || st == RDT_CONN_SYN_RCVD)
		return;
	rdt_notify_set_readable(n, rdt_conn_readable(s->conn) > 0 ||
					  rdt_conn_peer_finished(s->conn) ||
					  s->shut_rd,
				s->new_data);
	s->new_data = 0;
	if (rdt_conn_peer_finished(s->conn))
		rdt_notify_set_rdhup(n);
	room = rdt_conn_writable(s->conn);
	if (s->shut_wr)
		writable = 1;
	else if (n->unwritable)
		writable = room >= s->wake_room;
	else
		writable = room > 0;
	rdt_notify_set_writable(n, writable);
}

/* Queue |s| on its listener once its handshake completed.  |s| locked. */
static void maybe_enqueue(struct rt_sock *s, rdt_tstamp now)
{
	enum rdt_conn_state st = rdt_conn_state(s->conn);

	if (s->parent == NULL || st == RDT_CONN_SYN_RCVD)
		return;
	pthread_mutex_lock(&eng.lock);
	if (!s->registered) {
		/* Evicted from a full handshake queue meanwhile. */
		pthread_mutex_unlock(&eng.lock);
		return;
	}
	if (!s->queued && s->parent->role == RT_LISTENING &&
	    st != RDT_CONN_CLOSED) {
		s->queued = 1;
		embryo_unlink(s);
		s->q_next = NULL;
		if (s->parent->q_tail)
			s->parent->q_tail->q_next = s;
		else
			s->parent->q_head = s;
		s->parent->q_tail = s;
		s->parent->q_len++;
		rdt_rt_sock_get(s);
		listener_signal(s->parent);
	} else if (!s->queued && s->parent->role != RT_LISTENING &&
		   st != RDT_CONN_CLOSED) {
		/* The listener was closed while we shook hands. */
		pthread_mutex_unlock(&eng.lock);
		rdt_conn_abort(s->conn, now);
		return;
	}
	pthread_mutex_unlock(&eng.lock);
}

/*
 * An orphan whose bytes are all delivered waits for the peer's FIN at
 * most ORPHAN_FIN_TIMEOUT, as Linux bounds FIN_WAIT2; one still
 * delivering is bounded by the user timeout instead.
 */
static void orphan_timeout(struct rt_sock *s, rdt_tstamp now)
{
	if (s->orphan_deadline == RDT_TSTAMP_NEVER &&
	    rdt_conn_send_done(s->conn))
		s->orphan_deadline = now + ORPHAN_FIN_TIMEOUT;
	if (now >= s->orphan_deadline &&
	    rdt_conn_state(s->conn) != RDT_CONN_CLOSED)
		rdt_conn_abort(s->conn, now);
}

/*
 * The application let go of |s| (closed its last descriptor, or exited):
 * as a kernel's orphaned TCP socket, it delivers what was written and
 * ends with a FIN, counted for the exit drain.  |s| locked.
 */
static void orphan(struct rt_sock *s)
{
	struct rdt_conn *c = s->conn;

	if (s->orphan)
		return;
	s->orphan = 1;
	s->orphan_deadline = RDT_TSTAMP_NEVER;
	if (c && rdt_conn_state(c) != RDT_CONN_CLOSED &&
	    !rdt_conn_send_done(c)) {
		s->draining = 1;
		pthread_mutex_lock(&eng.lock);
		eng.draining++;
		pthread_mutex_unlock(&eng.lock);
	}
}

/* Moves bytes between the descriptor and the connection.  |s| locked. */
static void stream_service(struct rt_sock *s, rdt_tstamp now)
{
	struct rdt_notify *n = &s->notify;
	struct rdt_conn *c = s->conn;
	enum rdt_conn_state st = rdt_conn_state(c);

	if (!s->has_fd || n->finished || st == RDT_CONN_SYN_SENT ||
	    st == RDT_CONN_SYN_RCVD)
		return;
	/* Failed before it carried a byte: the descriptor must go from
	 * unwritable straight to the error, never writable in between. */
	if (!n->streaming && rdt_conn_error(c) != 0)
		return;
	if (!n->streaming) {
		rdt_stream_start(n);
		watch(s);
		/* The api reads it without the lock: calls on the
		 * descriptor go straight to the kernel from now on. */
		__atomic_store_n(&s->streaming, 1, __ATOMIC_RELEASE);
	}
	switch (rdt_stream_pump_in(n, c, now)) {
	case RDT_STREAM_IN_EOF:
		rdt_conn_shutdown(c, now);
		s->shut_wr = 1;
		break;
	case RDT_STREAM_IN_RESET:
		rdt_conn_abort(c, now);
		break;
	case RDT_STREAM_IN_MORE:
		break;
	}
	if (s->shut_rd)
		n->app_no_read = 1;
	if (s->app_hup && !s->orphan) {
		/* Both directions of the pair are shut: the application
		 * closed it, or shut both ways and keeps the descriptor. */
		n->app_no_read = 1;
		if (!rdt_notify_app_open(n)) {
			orphan(s);
			if (eng.forget)
				eng.forget(s);
		}
	}
	/* An orphan's new bytes have no reader: rdt_rt_service resets. */
	if (!s->orphan)
		rdt_stream_pump_out(n, c, now);
}

void rdt_rt_service(struct rt_sock *s, rdt_tstamp now)
{
	struct rdt_conn *c = s->conn;
	int registered;

	if (c == NULL) {
		sync_readiness(s);
		return;
	}
	if (rdt_conn_deadline(c) <= now)
		rdt_conn_on_deadline(c, now);
	stream_service(s, now);
	if (s->orphan || (s->shut_rd && !s->notify.streaming)) {
		uint8_t scratch[4096];

		/* Bytes arriving after close mean the peer's data is lost:
		 * reset it, as TCP does.  After SHUT_RD they are dropped. */
		if (s->orphan && rdt_conn_readable(c) > 0)
			rdt_conn_abort(c, now);
		else
			while (rdt_conn_recv(c, scratch, sizeof(scratch), 0,
					     now) > 0)
				;
	}
	if (s->orphan)
		orphan_timeout(s, now);
	if (s->draining && (rdt_conn_send_done(c) ||
			    rdt_conn_state(c) == RDT_CONN_CLOSED)) {
		s->draining = 0;
		pthread_mutex_lock(&eng.lock);
		if (--eng.draining == 0)
			pthread_cond_broadcast(&eng.drained);
		pthread_mutex_unlock(&eng.lock);
	}
	maybe_enqueue(s, now);
	flush(s, now);
	pthread_mutex_lock(&eng.lock);
	registered = s->registered;
	if (registered && rdt_conn_state(c) == RDT_CONN_CLOSED)
		registry_remove(s);
	else
		registered = 0;
	pthread_mutex_unlock(&eng.lock);
	if (registered)
		/* The caller holds a reference, so this is not the last. */
		rdt_rt_sock_put(s);
	else
		timer_update(s);
	sync_readiness(s);
	if (s->lingering)
		pthread_cond_broadcast(&s->changed);
}


/* --- connect, bind, listen, accept, close -------------------------------- */

int rdt_rt_bind(struct rt_sock *s, const struct sockaddr *addr, socklen_t len)
{
	struct rt_endpoint *ep;
	int err = 0;

	if (s->ep != NULL || s->role != RT_FRESH)
		return -EINVAL;
	if (s->opt.reuseaddr || s->opt.reuseport) {
		/* Take over a port whose connections are still closing in
		 * this process, unless something listens there. */
		pthread_mutex_lock(&eng.lock);
		for (ep = eng.endpoints; ep; ep = ep->next)
			if (!ep->connected &&
			    ep->listener == NULL && ep->client == NULL &&
			    ep->family == s->family && ep->local_len == len &&
			    memcmp(&ep->local, addr, len) == 0)
				break;
		if (ep)
			ep->refs++;
		pthread_mutex_unlock(&eng.lock);
		if (ep) {
			s->ep = ep;
			return 0;
		}
	}
	ep = ep_open(s->family, addr, len, NULL, 0, &err);
	if (ep == NULL)
		return err;
	s->ep = ep;
	return 0;
}

int rdt_rt_listen(struct rt_sock *s, int backlog)
{
	int err = 0;

	if (s->role == RT_CONNECTION)
		return -EINVAL;
	if (s->ep == NULL) {
		s->ep = ep_open(s->family, NULL, 0, NULL, 0, &err);
		if (s->ep == NULL)
			return err;
	}
	pthread_mutex_lock(&eng.lock);
	if (s->ep->listener && s->ep->listener != s) {
		pthread_mutex_unlock(&eng.lock);
		return -EADDRINUSE;
	}
	s->ep->listener = s;
	s->backlog = backlog <= 0 ? 128 : backlog > 65535 ? 65535 :
							     (unsigned)backlog;
	s->role = RT_LISTENING;
	listener_signal(s);
	pthread_mutex_unlock(&eng.lock);
	return 0;
}

static int core_err(int rc)
{
	return rc == RDT_ERR_NOMEM ? -ENOMEM : -EINVAL;
}

int rdt_rt_connect(struct rt_sock *s, const struct sockaddr *addr, socklen_t len)
{
	struct rdt_conn_config cfg;
	rdt_tstamp now = rdt_rt_now();
	int err = 0, rc;

	if (s->ep == NULL) {
		s->ep = ep_open(s->family, NULL, 0, addr, len, &err);
		if (s->ep == NULL)
			return err;
	}
	pthread_mutex_lock(&eng.lock);
	/* A port of our own (rdt_bind'ed): connect it too. */
	if (s->ep->refs == 1 && !s->ep->connected)
		err = ep_connect(s->ep, addr, len);
	pthread_mutex_unlock(&eng.lock);
	if (err)
		return err;
	rdt_rt_conn_config(&s->opt, &cfg);
	rc = rdt_conn_client_new(&s->conn, &cfg, rdt_mem_default(), now);
	if (rc != 0)
		return core_err(rc);
	memcpy(&s->peer, addr, len);
	s->peer_len = len;
	s->role = RT_CONNECTION;
	s->wake_room = s->opt.sndbuf / 4;
	pthread_mutex_lock(&eng.lock);
	err = registry_add(s, 0);
	if (err == 0 && s->ep->connected)
		s->ep->client = s;
	pthread_mutex_unlock(&eng.lock);
	if (err) {
		rdt_conn_del(s->conn);
		s->conn = NULL;
		s->role = RT_FRESH;
		return err;
	}
	rdt_rt_service(s, now);
	return 0;
}

struct rt_sock *rdt_rt_accept_pop(struct rt_sock *s)
{
	struct rt_sock *c;

	pthread_mutex_lock(&eng.lock);
	c = s->q_head;
	if (c) {
		s->q_head = c->q_next;
		if (s->q_head == NULL)
			s->q_tail = NULL;
		s->q_len--;
		c->q_next = NULL;
	}
	listener_signal(s);
	pthread_mutex_unlock(&eng.lock);
	return c;
}

void rdt_rt_accept_unpop(struct rt_sock *s, struct rt_sock *c)
{
	pthread_mutex_lock(&eng.lock);
	c->q_next = s->q_head;
	s->q_head = c;
	if (s->q_tail == NULL)
		s->q_tail = c;
	s->q_len++;
	listener_signal(s);
	pthread_mutex_unlock(&eng.lock);
}

void rdt_rt_accept_adopt(struct rt_sock *c)
{
	struct rt_sock *parent;

	pthread_mutex_lock(&eng.lock);
	parent = c->parent;
	c->parent = NULL;
	c->queued = 0;
	pthread_mutex_unlock(&eng.lock);
	c->has_fd = 1;
	rdt_rt_service(c, rdt_rt_now());
	rdt_rt_sock_put(parent);
}

void rdt_rt_unlisten(struct rt_sock *s)
{
	rdt_tstamp now = rdt_rt_now();
	struct rt_sock *q, *next;

	if (s->role != RT_LISTENING)
		return;
	pthread_mutex_lock(&eng.lock);
	if (s->ep->listener == s)
		s->ep->listener = NULL;
	s->role = RT_CLOSED_LISTENER;
	q = s->q_head;
	s->q_head = s->q_tail = NULL;
	s->q_len = 0;
	pthread_mutex_unlock(&eng.lock);
	/* Threads blocked in rdt_accept wake up and find it closed. */
	if (s->has_fd)
		rdt_notify_set_readable(&s->notify, 1, 1);
	/* Queued connections were never accepted: reset them. */
	pthread_mutex_unlock(&s->lock);
	for (; q; q = next) {
		next = q->q_next;
		pthread_mutex_lock(&q->lock);
		q->orphan = 1;
		q->orphan_deadline = RDT_TSTAMP_NEVER;
		rdt_conn_abort(q->conn, now);
		rdt_rt_service(q, now);
		pthread_mutex_unlock(&q->lock);
		rdt_rt_sock_put(q);
	}
	pthread_mutex_lock(&s->lock);
}

void rdt_rt_close(struct rt_sock *s)
{
	rdt_tstamp now = rdt_rt_now();
	struct rdt_conn *c = s->conn;
	int streaming = s->has_fd && s->notify.streaming;

	s->closed = 1;
	if (s->role == RT_LISTENING) {
		rdt_rt_unlisten(s);
	} else if (c) {
		if ((s->opt.linger_on && s->opt.linger_s == 0) ||
		    rdt_conn_state(c) == RDT_CONN_SYN_SENT ||
		    (!streaming && rdt_conn_readable(c) > 0))
			rdt_conn_abort(c, now);
		else if (!streaming)
			rdt_conn_shutdown(c, now);
	}
	if (streaming) {
		/* The library's end stays open: what the application wrote
		 * is still to be read from it, then end of stream, then the
		 * FIN (stream_service, which also orphans |s|). */
		struct pollfd p = { .fd = s->notify.lib_fd, .events = 0 };

		if (rdt_notify_app_open(&s->notify))
			close(s->notify.app_fd);
		s->notify.app_fd = -1;
		/* A dup(2) of the descriptor keeps the stream open, as it
		 * keeps a TCP socket open; the engine hears of its close. */
		if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP)) {
			s->app_hup = 1;
			s->notify.in_ready = 1;
		}
	}
	if (c) {
		rdt_rt_service(s, now);
		if (s->opt.linger_on && s->opt.linger_s > 0) {
			struct timespec until;
			rdt_tstamp end = now + (rdt_tstamp)s->opt.linger_s * RDT_S;

			s->lingering = 1;
			until.tv_sec = (time_t)(end / RDT_S);
			until.tv_nsec = (long)(end % RDT_S);
			while (rdt_conn_state(c) != RDT_CONN_CLOSED &&
			       !rdt_conn_send_done(c)) {
				if (pthread_cond_timedwait(&s->changed,
							   &s->lock,
							   &until) ==
				    ETIMEDOUT)
					break;
			}
			s->lingering = 0;
		}
		orphan(s);
		rdt_rt_service(s, rdt_rt_now());
	}
	if (s->has_fd && !streaming) {
		unwatch(s);
		if (!rdt_notify_app_open(&s->notify))
			s->notify.app_fd = -1;
		rdt_notify_close(&s->notify);
		s->has_fd = 0;
	}
}

void rdt_rt_exit_drain(rdt_tstamp wait)
{
	struct rt_sock **live;
	struct timespec until;
	size_t n = 0, i, b;

	if (eng.epfd < 0)
		return;	/* rdt was never used in this process */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(wait / RDT_S);
	until.tv_nsec += (long)(wait % RDT_S);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&eng.lock);
	while (eng.draining > 0 &&
	       pthread_cond_timedwait(&eng.drained, &eng.lock, &until) == 0)
		;
	live = malloc((eng.nconns + 1) * sizeof(*live));
	for (b = 0; live && b < eng.nbuckets; b++) {
		struct rt_sock *s;

		for (s = eng.cids[b]; s; s = s->cid_next) {
			rdt_rt_sock_get(s);
			live[n++] = s;
		}
	}
	pthread_mutex_unlock(&eng.lock);
	/* What could not be delivered in time is reset, so that peers
	 * learn it now rather than at their user timeout.  A socket busy
	 * in another thread at exit is left alone too. */
	for (i = 0; i < n; i++) {
		struct rt_sock *s = live[i];

		if (pthread_mutex_trylock(&s->lock) == 0) {
			enum rdt_conn_state st = rdt_conn_state(s->conn);

			/* One whose bytes all arrived is left alone, as a
			 * kernel's orphan in FIN_WAIT2: a reset now could
			 * reach the peer before it reads its end of stream. */
			if (st != RDT_CONN_CLOSED && st != RDT_CONN_TIME_WAIT &&
			    !rdt_conn_send_done(s->conn)) {
				rdt_conn_abort(s->conn, rdt_rt_now());
				rdt_rt_service(s, rdt_rt_now());
			}
			pthread_mutex_unlock(&s->lock);
		}
		rdt_rt_sock_put(s);
	}
	free(live);
}

/* --- the engine thread ---------------------------------------------------- */

struct dirty_list {
	struct rt_sock *head;
};

/* Remember |s| (its reference moves to the list) for servicing after the
 * batch; a second datagram for it in the same batch drops its extra
 * reference. */
static void mark_dirty(struct dirty_list *d, struct rt_sock *s)
{
	if (s->dirty) {
		rdt_rt_sock_put(s);
		return;
	}
	s->dirty = 1;
	s->dirty_next = d->head;
	d->head = s;
}

static void service_dirty(struct dirty_list *d, rdt_tstamp now)
{
	struct rt_sock *s, *next;

	for (s = d->head; s; s = next) {
		next = s->dirty_next;
		pthread_mutex_lock(&s->lock);
		s->dirty = 0;
		rdt_rt_service(s, now);
		pthread_mutex_unlock(&s->lock);
		rdt_rt_sock_put(s);
	}
	d->head = NULL;
}

/* A datagram no connection claimed: count why. */
/*
 * May we answer one more datagram with RESET UNKNOWN?  A token bucket
 * (RESET_RATE per second, as many in a burst) keeps the answers from
 * becoming a flood; they are smaller than what they answer, so they
 * amplify nothing.  Engine thread only.
 */
static int reset_allowed(rdt_tstamp now)
{
	eng.reset_tokens += (double)(now - eng.reset_refill) / RDT_S *
			    RESET_RATE;
	if (eng.reset_tokens > RESET_RATE)
		eng.reset_tokens = RESET_RATE;
	eng.reset_refill = now;
	if (eng.reset_tokens < 1)
		return 0;
	eng.reset_tokens -= 1;
	return 1;
}

/*
 * The peer of the client connected on |ep| says it no longer has the
 * connection named |dcid| (it restarted, or gave up): the connection
 * fails at once with ECONNRESET instead of at its user timeout.  The
 * core hears it as the RESET it would have received had the peer known
 * our connection ID.
 */
static void on_reset_unknown(struct rt_endpoint *ep, uint64_t dcid,
			     rdt_tstamp now, struct dirty_list *d)
{
	struct rt_sock *s;
	uint8_t buf[64];
	rdt_ssize len;

	pthread_mutex_lock(&eng.lock);
	s = ep->client;
	if (s)
		rdt_rt_sock_get(s);
	pthread_mutex_unlock(&eng.lock);
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	if (rdt_conn_peer_cid(s->conn) == dcid) {
		len = encode_reset(buf, rdt_conn_local_cid(s->conn),
				   RDT_RESET_UNKNOWN);
		if (len > 0)
			rdt_conn_recv_pkt(s->conn, buf, (size_t)len, now);
	}
	pthread_mutex_unlock(&s->lock);
	mark_dirty(d, s);
}

/* A datagram no connection claimed: count why, and answer a well-formed
 * one so that a peer which lost its state learns it. */
static void on_unclaimed(struct rt_endpoint *ep, const uint8_t *dg, size_t len,
			 const struct dgram_addr *da, rdt_tstamp now,
			 struct dirty_list *d)
{
	struct rdt_pkt pkt;
	int rc = rdt_pkt_decode(&pkt, dg, len);

	if (rc == RDT_ERR_CHECKSUM) {
		stat_add(&ep->stats.drop_checksum, 1);
		return;
	}
	if (rc != 0) {
		stat_add(&ep->stats.drop_malformed, 1);
		return;
	}
	stat_add(&ep->stats.drop_unknown_cid, 1);
	if (pkt.type == RDT_PKT_RESET) {
		/* Never answer a RESET with a RESET. */
		if (pkt.reason == RDT_RESET_UNKNOWN && pkt.dcid != 0)
			on_reset_unknown(ep, pkt.dcid, now, d);
		return;
	}
	if (pkt.dcid != 0 && reset_allowed(now))
		send_reset(ep, pkt.dcid, RDT_RESET_UNKNOWN, da);
}

/* An INIT for |ep|: hand it to its connection, or make one. */
static void on_init(struct rt_endpoint *ep, const struct rdt_pkt *pkt,
		    const uint8_t *dg, size_t len, const struct dgram_addr *da,
		    rdt_tstamp now, struct dirty_list *d)
{
	struct rdt_conn_config cfg;
	struct rt_sock *s, *l, *victim = NULL;
	struct rt_opts opt;
	int ok;

	pthread_mutex_lock(&eng.lock);
	s = lookup_init(pkt->scid, ep, &da->from, da->fromlen);
	l = ep->listener;
	if (s == NULL && l)
		rdt_rt_sock_get(l);
	pthread_mutex_unlock(&eng.lock);
	if (s) {
		/* A retransmitted INIT: the connection answers it again. */
		pthread_mutex_lock(&s->lock);
		rdt_conn_recv_pkt(s->conn, dg, len, now);
		pthread_mutex_unlock(&s->lock);
		mark_dirty(d, s);
		return;
	}
	if (l == NULL) {
		stat_add(&ep->stats.drop_no_listener, 1);
		send_reset(ep, pkt->scid, RDT_RESET_REFUSED, da);
		return;
	}
	pthread_mutex_lock(&l->lock);
	opt = l->opt;
	pthread_mutex_lock(&eng.lock);
	ok = l->role == RT_LISTENING && l->q_len < l->backlog;
	if (ok && l->embryos >= l->backlog) {
		/*
		 * The handshake queue is full: drop its oldest entry
		 * silently (that client's INIT is retransmitted) rather than
		 * the newcomer, so that replayed or spoofed INITs, which
		 * never complete, cannot lock real clients out.
		 */
		victim = l->emb_head;
		registry_remove(victim);
	}
	pthread_mutex_unlock(&eng.lock);
	pthread_mutex_unlock(&l->lock);
	if (victim) {
		stat_add(&ep->stats.drop_backlog, 1);
		rdt_rt_sock_put(victim);	/* the registry's reference */
	}
	if (!ok) {
		/* The accept queue is full, as TCP's: silence; the client
		 * retries. */
		stat_add(&ep->stats.drop_backlog, 1);
		rdt_rt_sock_put(l);
		return;
	}
	s = sock_alloc(l->family, &opt);
	rdt_rt_conn_config(&opt, &cfg);
	if (s == NULL || rdt_conn_server_new(&s->conn, &cfg, rdt_mem_default(),
					     pkt, now) != 0) {
		/* Out of memory: the client's INIT is retransmitted. */
		rdt_rt_sock_put(s);
		rdt_rt_sock_put(l);
		return;
	}
	s->role = RT_CONNECTION;
	s->server = 1;
	s->wake_room = opt.sndbuf / 4;
	memcpy(&s->peer, &da->from, da->fromlen);
	s->peer_len = da->fromlen;
	if (ep->pktinfo) {
		memcpy(&s->local, &da->to, da->tolen);
		s->local_len = da->tolen;
		s->pktinfo_len = pktinfo_cmsg(s->pktinfo, &da->to);
	}
	s->parent = l;	/* the reference taken above */
	pthread_mutex_lock(&eng.lock);
	s->ep = ep;
	ep->refs++;
	if (registry_add(s, 1) != 0) {
		pthread_mutex_unlock(&eng.lock);
		rdt_rt_sock_put(s);	/* drops the parent and endpoint too */
		return;
	}
	embryo_link(l, s);
	pthread_mutex_unlock(&eng.lock);
	mark_dirty(d, s);
}

static void on_datagram(struct rt_endpoint *ep, const uint8_t *dg, size_t len,
			const struct dgram_addr *da, rdt_tstamp now,
			struct dirty_list *d)
{
	struct rt_sock *s;
	uint64_t dcid;

	stat_add(&ep->stats.received, 1);
	/* The port closed during this batch: nobody is left to answer. */
	if (ep_dead(ep))
		return;
	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE) {
		stat_add(&ep->stats.drop_malformed, 1);
		return;
	}
	(void)rdt_pkt_peek_dcid(dg, len, &dcid);
	if (dcid == 0) {
		struct rdt_pkt pkt;

		if (rdt_pkt_decode(&pkt, dg, len) != 0 ||
		    pkt.type != RDT_PKT_INIT) {
			on_unclaimed(ep, dg, len, da, now, d);
			return;
		}
		on_init(ep, &pkt, dg, len, da, now, d);
		return;
	}
	pthread_mutex_lock(&eng.lock);
	s = lookup_cid(dcid, ep);
	pthread_mutex_unlock(&eng.lock);
	if (s == NULL) {
		on_unclaimed(ep, dg, len, da, now, d);
		return;
	}
	pthread_mutex_lock(&s->lock);
	{
		size_t before = rdt_conn_readable(s->conn);

		rdt_conn_recv_pkt(s->conn, dg, len, now);
		if (rdt_conn_readable(s->conn) > before)
			s->new_data = 1;
	}
	pthread_mutex_unlock(&s->lock);
	mark_dirty(d, s);
}

/* The client connected on |ep| learns that nothing listens there. */
/* Most sockets one ICMP error is checked against (one peer address). */
#define ICMP_CANDIDATES 64

/*
 * A port unreachable for a datagram we sent to |to| carrying |dcid|.  It
 * counts only for the connection whose peer is |to| and whose peer
 * connection ID is |dcid|: a 64-bit random number an off-path forger of
 * ICMP cannot know (docs/PROTOCOL.md, "Dead peers").
 */
static void on_unreachable(struct rt_endpoint *ep, uint64_t dcid,
			   const struct sockaddr_storage *to, socklen_t tolen,
			   rdt_tstamp now)
{
	struct rt_sock *cand[ICMP_CANDIDATES];
	size_t n = 0, b, i;
	int hit = 0;

	pthread_mutex_lock(&eng.lock);
	for (b = 0; b < eng.nbuckets && n < ICMP_CANDIDATES; b++) {
		struct rt_sock *s;

		for (s = eng.cids[b]; s && n < ICMP_CANDIDATES;
		     s = s->cid_next)
			if (s->ep == ep &&
			    same_addr(&s->peer, s->peer_len, to, tolen)) {
				rdt_rt_sock_get(s);
				cand[n++] = s;
			}
	}
	pthread_mutex_unlock(&eng.lock);
	for (i = 0; i < n; i++) {
		struct rt_sock *s = cand[i];

		pthread_mutex_lock(&s->lock);
		if (s->conn && rdt_conn_peer_cid(s->conn) == dcid) {
			hit = 1;
			rdt_conn_peer_unreachable(s->conn, now);
			rdt_rt_service(s, now);
		}
		pthread_mutex_unlock(&s->lock);
		rdt_rt_sock_put(s);
	}
	if (!hit)
		stat_add(&ep->stats.drop_icmp, 1);
}

/* The sock_extended_err of an IP_RECVERR/IPV6_RECVERR message, or NULL. */
static const struct sock_extended_err *icmp_error(struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if ((cm->cmsg_level == IPPROTO_IP &&
		     cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == IPPROTO_IPV6 &&
		     cm->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)
				CMSG_DATA(cm);
	return NULL;
}

/*
 * Reads the port's ICMP errors.  Only port unreachable means anything
 * to a connection (nothing listens there any more: the peer died); the
 * rest (host or net unreachable, fragmentation needed, ...) is left to
 * retransmission, as RFC 5927 advises for errors that may be transient
 * or forged.
 */
static void read_errors(struct rt_endpoint *ep, rdt_tstamp now)
{
	int k;

	for (k = 0; k < BATCH; k++) {
		uint8_t quote[64], ctl[256];
		struct sockaddr_storage to;
		struct iovec iov = { quote, sizeof(quote) };
		struct msghdr mh;
		const struct sock_extended_err *ee;
		uint64_t dcid;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		memset(&to, 0, sizeof(to));
		mh.msg_name = &to;
		mh.msg_namelen = sizeof(to);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		n = recvmsg(ep->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return;
		ee = icmp_error(&mh);
		if (ee == NULL || ee->ee_errno != ECONNREFUSED ||
		    (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
		     ee->ee_origin != SO_EE_ORIGIN_ICMP6))
			continue;
		if (rdt_pkt_peek_dcid(quote, (size_t)n, &dcid) != 0) {
			stat_add(&ep->stats.drop_icmp, 1);
			continue;
		}
		on_unreachable(ep, dcid, &to, mh.msg_namelen, now);
	}
}

static void read_endpoint(struct rt_endpoint *ep, uint32_t events)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static struct dgram_addr da[BATCH];
	static uint8_t ctrl[BATCH][RT_PKTINFO_SPACE * 2];
	struct dirty_list d = { NULL };
	int round, i;

	/* Level-triggered: an error left queued would wake us forever. */
	if (events & EPOLLERR)
		read_errors(ep, rdt_rt_now());

	for (round = 0; round < READ_ROUNDS && !ep_dead(ep); round++) {
		rdt_tstamp now;
		int n;

		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = eng.rxbuf[i];
			iov[i].iov_len = sizeof(eng.rxbuf[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &da[i].from;
			msgs[i].msg_hdr.msg_namelen = sizeof(da[i].from);
			if (ep->pktinfo) {
				msgs[i].msg_hdr.msg_control = ctrl[i];
				msgs[i].msg_hdr.msg_controllen =
					sizeof(ctrl[i]);
			}
		}
		n = recvmmsg(ep->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		now = rdt_rt_now();
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			/* sk_err from an ICMP error; the error queue says
			 * which datagram it answers. */
			read_errors(ep, now);
			continue;
		}
		for (i = 0; i < n; i++) {
			size_t len = msgs[i].msg_len;

			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				stat_add(&ep->stats.received, 1);
				stat_add(&ep->stats.drop_malformed, 1);
				continue;
			}
			da[i].fromlen = msgs[i].msg_hdr.msg_namelen;
			local_address(ep, &msgs[i].msg_hdr, &da[i]);
			pcap_record(&da[i].from, &da[i].to, eng.rxbuf[i], len);
			on_datagram(ep, eng.rxbuf[i], len, &da[i], now, &d);
		}
		service_dirty(&d, now);
		if (n < BATCH)
			break;
	}
}

static void run_timers(void)
{
	struct rt_sock *due[TIMER_SLICE];
	uint64_t expirations;
	size_t n, i;

	(void)!read(eng.timerfd, &expirations, sizeof(expirations));
	do {
		rdt_tstamp now = rdt_rt_now();
		struct rdt_timer *t;

		n = 0;
		pthread_mutex_lock(&eng.lock);
		eng.armed = RDT_TSTAMP_NEVER;
		while (n < TIMER_SLICE && (t = rdt_timerheap_min(&eng.heap)) &&
		       t->when <= now) {
			struct rt_sock *s = (struct rt_sock *)((char *)t -
				offsetof(struct rt_sock, timer));

			rdt_timerheap_remove(&eng.heap, t);
			rdt_rt_sock_get(s);
			due[n++] = s;
		}
		pthread_mutex_unlock(&eng.lock);
		for (i = 0; i < n; i++) {
			pthread_mutex_lock(&due[i]->lock);
			rdt_rt_service(due[i], now);
			pthread_mutex_unlock(&due[i]->lock);
			rdt_rt_sock_put(due[i]);
		}
	} while (n == TIMER_SLICE);
	pthread_mutex_lock(&eng.lock);
	timer_rearm();
	pthread_mutex_unlock(&eng.lock);
}

/* The application wrote, read, shut down or closed its end.  The epoll
 * set's reference keeps |s| alive for the batch. */
static void sock_event(struct rt_sock *s, uint32_t events)
{
	pthread_mutex_lock(&s->lock);
	if (s->notify.watched) {
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			s->notify.in_ready = 1;
		if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			s->notify.out_blocked = 0;
		if (events & EPOLLHUP)
			s->app_hup = 1;
		rdt_rt_service(s, rdt_rt_now());
	}
	pthread_mutex_unlock(&s->lock);
}

static void *engine_main(void *arg)
{
	struct epoll_event evs[64];

	(void)arg;
	in_engine = 1;
	for (;;) {
		int n = epoll_wait(eng.epfd, evs, 64, -1), i;
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &timer_tag) {
				run_timers();
			} else if (p == &wake_tag) {
				uint64_t v;

				(void)!read(eng.wakefd, &v, sizeof(v));
			} else if (evs[i].data.u64 & 1) {
				sock_event((struct rt_sock *)(uintptr_t)
					   (evs[i].data.u64 & ~(uint64_t)1),
					   evs[i].events);
			} else {
				read_endpoint(p, evs[i].events);
			}
		}
		release_unwatched();
		reap_dying_endpoints();
	}
	return NULL;
}
