/*
 * engine.c: the engine's shared state and its thread.  See rt.h for the
 * threading model and lock order, engine_int.h for how the runtime's
 * files divide the work.
 *
 *   rdt_rt_start          sock.c (rdt_rt_sock_new): the thread, once per
 *                         process (again in a forked child)
 *   rdt_rt_watch/unwatch  sock.c: a streaming descriptor in or out of the
 *                         epoll set
 *   rdt_rt_engine_wake    endpoint.c, here: the thread must reap a port
 *   rdt_rt_timer_update   sock.c (rdt_rt_service): the connection's
 *                         deadline into the heap and the timerfd
 *   engine_main           the loop: a port's datagrams go to recv.c
 *                         (rdt_rt_read_endpoint); due timers and the
 *                         application's writes to rdt_rt_service (sock.c);
 *                         after each batch, dead ports are reaped
 *                         (endpoint.c) and unwatched sockets released
 *
 * The state lives here and nowhere else; the other files reach it
 * through engine_int.h, under the engine lock where it says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"

/* Most expired timers serviced per engine lock acquisition. */
#define TIMER_SLICE 128

struct engine rdt_rt_eng = {
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

__thread int rdt_rt_in_engine;

rdt_tstamp rdt_rt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (rdt_tstamp)ts.tv_sec * RDT_S + (rdt_tstamp)ts.tv_nsec;
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

		for (s = eng.cids[b]; s; s = s->cid_next) {
			if (s->notify.lib_fd >= 0) {
				close(s->notify.lib_fd);
				s->notify.lib_fd = -1;
			}
			/* Its records are the parent's to write. */
			rdt_qlog_forget_in_child(s->qlog);
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
	rdt_pcaplog_forget_in_child(eng.pcap);
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
	{
		const char *gso = getenv("RDT_GSO");

		eng.no_offload = gso != NULL && strcmp(gso, "0") == 0;
	}
	path = getenv("RDT_PCAP");
	if (path && *path && !eng.forked) {
		eng.pcap = rdt_pcaplog_open(path);
		/* A debugging aid must not stop the program, but its absence
		 * must not go unnoticed either. */
		if (eng.pcap == NULL)
			fprintf(stderr, "librdt: RDT_PCAP=%s: %s\n", path,
				strerror(errno));
	}
	path = getenv("RDT_QLOG");
	if (path && *path) {
		/* Checked once here, so that a wrong DIR is reported once
		 * and costs nothing per connection. */
		if (access(path, W_OK | X_OK) == 0)
			eng.qlog_dir = path;
		else if (!eng.forked)	/* the parent said so */
			fprintf(stderr, "librdt: RDT_QLOG=%s: %s (no qlog "
				"traces are written)\n", path,
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

void rdt_rt_engine_wake(void)
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
void rdt_rt_watch(struct rt_sock *s)
{
	struct epoll_event ev;

	if (s->notify.watched || s->notify.lib_fd < 0)
		return;
	/* EPOLLOUT only once the pair toward the application has filled
	 * (rdt_rt_watch_out): until then every read the application makes
	 * would wake the engine for nothing. */
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	/* Endpoints are the untagged pointers. */
	ev.data.u64 = (uint64_t)(uintptr_t)s | 1;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, s->notify.lib_fd, &ev) != 0)
		return;
	rdt_rt_sock_get(s);
	s->notify.watched = 1;
}

void rdt_rt_watch_out(struct rt_sock *s)
{
	struct epoll_event ev;

	if (!s->notify.watched || s->notify.out_watched)
		return;
	/* It stays: a reader that fell behind once will again, and
	 * changing the set on every fill would cost a call each time.
	 * Modifying the set rechecks readiness, so room made before this
	 * call is still reported. */
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)(uintptr_t)s | 1;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_MOD, s->notify.lib_fd, &ev) == 0)
		s->notify.out_watched = 1;
}

/* Out of the epoll set, before lib_fd closes: a forked child's copy of
 * it would keep the registration alive.  |s| locked. */
void rdt_rt_unwatch(struct rt_sock *s)
{
	if (!s->notify.watched)
		return;
	epoll_ctl(eng.epfd, EPOLL_CTL_DEL, s->notify.lib_fd, NULL);
	s->notify.watched = 0;
	s->notify.out_watched = 0;
	pthread_mutex_lock(&eng.lock);
	s->unwatched_next = eng.unwatched;
	eng.unwatched = s;
	pthread_mutex_unlock(&eng.lock);
	if (!rdt_rt_in_engine)
		rdt_rt_engine_wake();
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

/* Arm the timerfd to the heap's earliest deadline if that is earlier
 * than what it is armed for.  Engine lock held. */
static void timer_rearm(void)
{
	struct rdt_timer *min = rdt_timerheap_min(&eng.heap);
	rdt_tstamp when = min ? min->when : RDT_TSTAMP_NEVER;
	struct itimerspec its;

	/* A later deadline leaves the timer as it is: it fires early once,
	 * finds nothing due and is armed again.  Deadlines move later at
	 * every exchange (each ACK pushes the probe timeout on), and
	 * programming a near timer costs several microseconds here. */
	if (when >= eng.armed)
		return;
	/* 0 would disarm the timer. */
	if (when == 0)
		when = 1;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(when / RDT_S);
	its.it_value.tv_nsec = (long)(when % RDT_S);
	timerfd_settime(eng.timerfd, TFD_TIMER_ABSTIME, &its, NULL);
	eng.armed = when;
}

void rdt_rt_timer_update(struct rt_sock *s)
{
	rdt_tstamp when = rdt_conn_deadline(s->conn);

	if (s->orphan && s->orphan_deadline < when)
		when = s->orphan_deadline;
	pthread_mutex_lock(&eng.lock);
	if (s->registered) {
		/* Cannot fail: the registry reserved the room. */
		rdt_timerheap_set(&eng.heap, &s->timer, when);
		/* The engine arms the timer once before it sleeps: a batch
		 * of datagrams moves deadlines many times, and each arming
		 * costs a system call (far more under virtualisation). */
		if (when < eng.armed && !rdt_rt_in_engine)
			timer_rearm();
	}
	pthread_mutex_unlock(&eng.lock);
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
		if (events & (EPOLLRDHUP | EPOLLHUP))
			s->notify.app_shut = 1;
		rdt_rt_service(s, rdt_rt_now());
	}
	pthread_mutex_unlock(&s->lock);
}

static void *engine_main(void *arg)
{
	struct epoll_event evs[64];

	(void)arg;
	rdt_rt_in_engine = 1;
	for (;;) {
		int n, i;

		pthread_mutex_lock(&eng.lock);
		timer_rearm();
		pthread_mutex_unlock(&eng.lock);
		n = epoll_wait(eng.epfd, evs, 64, -1);
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
				rdt_rt_read_endpoint(p, evs[i].events);
			}
		}
		release_unwatched();
		rdt_rt_reap_dying_endpoints();
	}
	return NULL;
}
