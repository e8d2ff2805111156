/*
 * sock.c: the socket objects and servicing a connection.
 *
 *   rdt_rt_sock_new/get/put  the api; rdt_rt_sock_alloc also recv.c
 *                            (on_init)
 *   rdt_rt_service           the api after every call, recv.c after a
 *                            batch, engine.c on a timer or a descriptor
 *                            event, sock_calls.c: timers, the stream
 *                            through the descriptor, the orphan's
 *                            bounds, the accept queue, transmission
 *                            (endpoint.c), the deadline (engine.c) and
 *                            the descriptor's readiness
 *   rdt_rt_orphan            sock_calls.c (close), here
 *   rdt_rt_listener_signal   sock_calls.c, here
 *   rdt_rt_opts_default, rdt_rt_conn_config  the api, recv.c
 *
 * Calls out to endpoint.c, registry.c and engine.c (watch, timers).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>

#include <sodium.h>

#include "engine_int.h"
#include "stream.h"

/* How long an orphaned connection may wait for its peer's FIN, as
 * Linux's tcp_fin_timeout. */
#define ORPHAN_FIN_TIMEOUT (60 * RDT_S)

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
	cfg->use_psk = opt->use_psk;
	memcpy(cfg->psk, opt->psk, sizeof(cfg->psk));
	/* A client's side; a listener's connections take theirs from the
	 * INIT (listen.c). */
	cfg->use_pk = opt->have_peer_key;
	memcpy(cfg->pk_peer, opt->peer_key, sizeof(cfg->pk_peer));
	cfg->rand64 = rt_rand64;
	cfg->rand_ctx = NULL;
}

/* --- sockets ------------------------------------------------------------ */

/* A socket with one reference and no descriptor yet. */
struct rt_sock *rdt_rt_sock_alloc(int family, const struct rt_opts *opt)
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
	s = rdt_rt_sock_alloc(family, &opt);
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

void rdt_rt_sock_put(struct rt_sock *s)
{
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	rdt_conn_del(s->conn);
	rdt_qlog_close(s->qlog);
	/* The application's descriptor is the application's: its number
	 * may belong to another file by now. */
	rdt_notify_close_lib(&s->notify);
	if (s->ep)
		rdt_rt_ep_put(s->ep);
	rdt_rt_sock_put(s->parent);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	/* The pre-shared key must not outlive the socket in freed memory. */
	sodium_memzero(s->opt.psk, sizeof(s->opt.psk));
	sodium_memzero(s->opt.key_secret, sizeof(s->opt.key_secret));
	free(s);
}

/* --- servicing a connection --------------------------------------------- */

/*
 * A listener's readiness follows its accept queue, which changes under
 * the engine lock, so it is updated under that lock too: the engine
 * thread queues connections while holding a connection's lock and may
 * not take the listener's.  Closing a listener changes its role under the
 * engine lock before closing its descriptor.  Engine lock held.
 */
void rdt_rt_listener_signal(struct rt_sock *l)
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
		rdt_rt_listener_signal(s);
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
			rdt_rt_unwatch(s);
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
		rdt_rt_embryo_unlink(s);
		s->q_next = NULL;
		if (s->parent->q_tail)
			s->parent->q_tail->q_next = s;
		else
			s->parent->q_head = s;
		s->parent->q_tail = s;
		s->parent->q_len++;
		rdt_rt_sock_get(s);
		rdt_rt_listener_signal(s->parent);
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
void rdt_rt_orphan(struct rt_sock *s)
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
		rdt_rt_watch(s);
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
			rdt_rt_orphan(s);
			if (eng.forget)
				eng.forget(s);
		}
	}
	/* An orphan's new bytes have no reader: rdt_rt_service resets. */
	if (!s->orphan)
		rdt_stream_pump_out(n, c, now);
	if (n->out_blocked)
		rdt_rt_watch_out(s);
}

ssize_t rdt_rt_send_direct(struct rt_sock *s, const struct iovec *iov,
			   size_t iovcnt, rdt_tstamp now)
{
	struct rdt_notify *n = &s->notify;
	size_t total = 0, i;
	int queued = 0;

	if (s->conn == NULL || !n->streaming || n->finished || n->app_eof ||
	    n->filler > 0 || s->shut_wr || s->orphan)
		return -1;
	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total == 0 || total > rdt_conn_writable(s->conn))
		return -1;
	/* Bytes written with a plain call and not yet taken go first
	 * (the held byte was taken). */
	if (ioctl(n->lib_fd, FIONREAD, &queued) != 0 ||
	    (unsigned)queued != n->held)
		return -1;
	for (i = 0; i < iovcnt; i++)
		if (iov[i].iov_len > 0)
			(void)rdt_conn_send(s->conn, iov[i].iov_base,
					    iov[i].iov_len, now);
	rdt_rt_service(s, now);
	return (ssize_t)total;
}

void rdt_rt_app_wrote(struct rt_sock *s, rdt_tstamp now)
{
	/* The engine's EPOLLIN for these bytes may not have been handled
	 * yet; the next read finds out whether they are still there. */
	s->notify.in_ready = 1;
	rdt_rt_service(s, now);
}

void rdt_rt_qlog_attach(struct rt_sock *s, const struct rdt_pkt *init,
			size_t init_len, rdt_tstamp now)
{
	struct rdt_conn_event ev;

	if (eng.qlog_dir == NULL)
		return;
	/* Both ends name the trace by the client's ID (qlog.h). */
	s->qlog = rdt_qlog_open(eng.qlog_dir, init ?
					rdt_conn_peer_cid(s->conn) :
					rdt_conn_local_cid(s->conn),
				init != NULL, now);
	if (s->qlog == NULL)
		return;
	rdt_conn_set_observer(s->conn, rdt_qlog_observe, s->qlog);
	if (init == NULL)
		return;
	/* The core was handed the INIT already decoded, before anyone
	 * observed it. */
	memset(&ev, 0, sizeof(ev));
	ev.type = RDT_CONN_EV_RECEIVED;
	ev.pkt = init;
	ev.pn = init->pn;
	ev.len = init_len;
	rdt_qlog_observe(s->qlog, s->conn, &ev, now);
}

/* After servicing: a closed connection's trace is complete, so it is
 * written and closed now rather than when the socket goes; otherwise
 * records that waited long enough are written. */
static void qlog_service(struct rt_sock *s, rdt_tstamp now)
{
	if (rdt_conn_state(s->conn) == RDT_CONN_CLOSED) {
		rdt_conn_set_observer(s->conn, NULL, NULL);
		rdt_qlog_close(s->qlog);
		s->qlog = NULL;
	} else {
		rdt_qlog_flush(s->qlog, now, 0);
	}
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
	rdt_rt_flush(s, now);
	pthread_mutex_lock(&eng.lock);
	registered = s->registered;
	if (registered && rdt_conn_state(c) == RDT_CONN_CLOSED)
		rdt_rt_registry_remove(s);
	else
		registered = 0;
	pthread_mutex_unlock(&eng.lock);
	if (registered)
		/* The caller holds a reference, so this is not the last. */
		rdt_rt_sock_put(s);
	else
		rdt_rt_timer_update(s);
	sync_readiness(s);
	if (s->lingering)
		pthread_cond_broadcast(&s->changed);
	if (s->qlog)
		qlog_service(s, now);
}
