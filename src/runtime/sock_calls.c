/*
 * sock_calls.c: what the api's socket calls do to a socket: bind,
 * listen, connect, accept, close, and the drain at process exit.
 *
 *   rdt_rt_bind/listen/connect  the api; ports from endpoint.c, a client
 *                               into registry.c
 *   rdt_rt_accept_pop/unpop/adopt, rdt_rt_unlisten, rdt_rt_close
 *                               the api; end in rdt_rt_service (sock.c)
 *   rdt_rt_exit_drain           the api's atexit handler
 *
 * Calls out to sock.c, endpoint.c, registry.c and engine.c (unwatch);
 * nothing in the runtime calls in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"
#include "api/errmap.h"

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
	ep = rdt_rt_ep_open(s->family, addr, len, NULL, 0, &err);
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
		s->ep = rdt_rt_ep_open(s->family, NULL, 0, NULL, 0, &err);
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
	rdt_rt_listener_signal(s);
	pthread_mutex_unlock(&eng.lock);
	return 0;
}

int rdt_rt_connect(struct rt_sock *s, const struct sockaddr *addr, socklen_t len)
{
	struct rdt_conn_config cfg;
	rdt_tstamp now = rdt_rt_now();
	int err = 0, rc;

	if (s->ep == NULL) {
		s->ep = rdt_rt_ep_open(s->family, NULL, 0, addr, len, &err);
		if (s->ep == NULL)
			return err;
	}
	pthread_mutex_lock(&eng.lock);
	/* A port of our own (rdt_bind'ed): connect it too. */
	if (s->ep->refs == 1 && !s->ep->connected)
		err = rdt_rt_ep_connect(s->ep, addr, len);
	pthread_mutex_unlock(&eng.lock);
	if (err)
		return err;
	rdt_rt_conn_config(&s->opt, &cfg);
	rc = rdt_conn_client_new(&s->conn, &cfg, rdt_mem_default(), now);
	if (rc != 0)
		return -rdt_errno_from(rc);
	rdt_rt_qlog_attach(s, NULL, 0, now);
	memcpy(&s->peer, addr, len);
	s->peer_len = len;
	s->role = RT_CONNECTION;
	s->wake_room = s->opt.sndbuf / 4;
	pthread_mutex_lock(&eng.lock);
	err = rdt_rt_registry_add(s, 0);
	if (err == 0 && s->ep->connected)
		s->ep->client = s;
	pthread_mutex_unlock(&eng.lock);
	if (err) {
		rdt_conn_del(s->conn);
		s->conn = NULL;
		rdt_qlog_close(s->qlog);
		s->qlog = NULL;
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
	rdt_rt_listener_signal(s);
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
	rdt_rt_listener_signal(s);
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

/* The stream hears that the application's end is gone, as from the
 * engine's EPOLLHUP.  |s| locked, streaming. */
static void hear_app_gone(struct rt_sock *s)
{
	s->app_hup = 1;
	s->notify.app_shut = 1;
	s->notify.in_ready = 1;
}

/*
 * Whether every descriptor of |s|'s application end is closed, as
 * POLLHUP on the library's end says; if so, the stream hears it.  |s|
 * locked, streaming.
 */
static int notice_app_gone(struct rt_sock *s)
{
	struct pollfd p = { .fd = s->notify.lib_fd, .events = 0 };

	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLHUP))
		return 0;
	hear_app_gone(s);
	return 1;
}

/* At exit, a stream that another process still holds a descriptor of
 * ends with what was written so far: the FIN follows it
 * (rdt_stream_pump_in), as no engine is left to hear that process's
 * close.  |s| locked, streaming. */
static void end_at_exit(struct rt_sock *s)
{
	if (!notice_app_gone(s))
		hear_app_gone(s);
}

int rdt_rt_close(struct rt_sock *s, int exiting)
{
	rdt_tstamp now = rdt_rt_now();
	struct rdt_conn *c = s->conn;
	int streaming = s->has_fd && s->notify.streaming;

	s->closed = 1;
	if (streaming) {
		/* The library's end stays open: what the application wrote
		 * is still to be read from it, then end of stream, then the
		 * FIN (stream_service in sock.c, which also orphans
		 * |s|). */
		if (rdt_notify_app_open(&s->notify))
			close(s->notify.app_fd);
		s->notify.app_fd = -1;
		/* Another descriptor of the stream (a dup(2), a forked
		 * child's copy) keeps it open, as it keeps a TCP socket
		 * open: this close ends nothing, so it neither lingers nor
		 * resets (a forking server's parent closing its copy must
		 * not cut the child's connection).  The engine hears of
		 * the last close and ends the stream gracefully; at exit
		 * there is no engine after this, and the stream ends here,
		 * as rdt-run(1) says of a parent that exits after fork. */
		if (exiting)
			end_at_exit(s);
		else if (!notice_app_gone(s))
			return 1;
	}
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
		rdt_rt_orphan(s);
		rdt_rt_service(s, rdt_rt_now());
	}
	if (s->has_fd && !streaming) {
		rdt_rt_unwatch(s);
		if (!rdt_notify_app_open(&s->notify))
			s->notify.app_fd = -1;
		rdt_notify_close(&s->notify);
		s->has_fd = 0;
	}
	return 0;
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
	live = malloc((eng.nconns + 1) * sizeof(*live));
	for (b = 0; live && b < eng.nbuckets; b++) {
		struct rt_sock *s;

		for (s = eng.cids[b]; s; s = s->cid_next) {
			rdt_rt_sock_get(s);
			live[n++] = s;
		}
	}
	pthread_mutex_unlock(&eng.lock);
	/* A connection whose last descriptor a process closed just now (a
	 * forked child that ended just before its parent exits) is still
	 * to be orphaned, and counted as draining, when the engine handles
	 * the hang-up: too late if the drain below has already found
	 * nothing to wait for, and the connection would be reset with its
	 * last bytes undelivered. */
	for (i = 0; i < n; i++) {
		struct rt_sock *s = live[i];
		struct timespec busy;

		/* The engine may be servicing it this very moment: wait for
		 * it as close_all_at_exit does, not longer. */
		clock_gettime(CLOCK_REALTIME, &busy);
		busy.tv_sec += 1;
		if (pthread_mutex_timedlock(&s->lock, &busy) != 0)
			continue;
		/* One whose close left it to a forked child's copy ends
		 * here too. */
		if (s->has_fd && s->notify.streaming && !s->orphan) {
			if (s->closed)
				end_at_exit(s);
			else
				(void)notice_app_gone(s);
			if (s->app_hup)
				rdt_rt_service(s, rdt_rt_now());
		}
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_lock(&eng.lock);
	while (eng.draining > 0 &&
	       pthread_cond_timedwait(&eng.drained, &eng.lock, &until) == 0)
		;
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
			/* The process ends before the trace's next
			 * servicing would have written it. */
			rdt_qlog_flush(s->qlog, 0, 1);
			pthread_mutex_unlock(&s->lock);
		}
		rdt_rt_sock_put(s);
	}
	free(live);
}
