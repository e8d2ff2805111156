/*
 * socket.c: the BSD-socket surface of rdt: descriptors, argument checks,
 * blocking and errno.  The protocol work is the runtime's (src/runtime).
 *
 * A connected socket's descriptor carries the stream itself
 * (runtime/stream.h), so rdt_send and rdt_recv are the kernel's own
 * calls on it: they agree with plain read/write by construction, block
 * in the kernel, and honour O_NONBLOCK and SO_RCVTIMEO/SO_SNDTIMEO set
 * on the descriptor.  This file adds only what the kernel cannot know:
 * ENOTCONN before a connection, waiting out the handshake, and the
 * precise cause of a failure (ETIMEDOUT, ECONNREFUSED) where the pair
 * can only say ECONNRESET.  Accept and connect wait in poll() on the
 * descriptor, whose readiness the runtime steers until the stream runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "errmap.h"
#include "rdt.h"
#include "runtime/rt.h"
#include "wire/pkt.h"

/* SO_SNDBUF / SO_RCVBUF are clamped into this range. */
#define MIN_BUFFER 4096
#define MAX_BUFFER (256u << 20)

/* --- the descriptor table --------------------------------------------------- */

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rt_sock **table;
static size_t table_len;

static int table_add(int fd, struct rt_sock *s)
{
	struct rt_sock *stale = NULL;
	int rc = 0;

	pthread_rwlock_wrlock(&table_lock);
	if ((size_t)fd >= table_len) {
		size_t len = table_len ? table_len : 64;
		struct rt_sock **t;

		while (len <= (size_t)fd)
			len *= 2;
		t = realloc(table, len * sizeof(*t));
		if (t == NULL) {
			rc = -1;
		} else {
			memset(t + table_len, 0,
			       (len - table_len) * sizeof(*t));
			table = t;
			table_len = len;
		}
	}
	if (rc == 0) {
		/* An entry left by a plain close(2) whose number the
		 * kernel handed out again before the runtime noticed. */
		stale = table[fd];
		table[fd] = s;
	}
	pthread_rwlock_unlock(&table_lock);
	rdt_rt_sock_put(stale);
	return rc;
}

/* The runtime's word that the application closed |s|'s descriptor. */
static void table_forget(struct rt_sock *s)
{
	int fd = s->notify.app_fd;

	pthread_rwlock_wrlock(&table_lock);
	if (fd >= 0 && (size_t)fd < table_len && table[fd] == s)
		table[fd] = NULL;
	else
		s = NULL;
	pthread_rwlock_unlock(&table_lock);
	/* The runtime's caller holds another reference. */
	rdt_rt_sock_put(s);
}

/* Is the file |st| describes |s|'s descriptor (or a dup of it)? */
static int same_file(const struct rt_sock *s, const struct stat *st)
{
	return S_ISSOCK(st->st_mode) &&
	       (unsigned long)st->st_ino == s->notify.app_ino &&
	       s->notify.app_fd >= 0;
}

/*
 * The socket behind |fd|, referenced, or NULL.  The table is indexed by
 * descriptor number; a number the application closed with close(2) and
 * got back for another file is told apart by its inode, and a dup(2) of
 * an rdt descriptor is found by its inode too.
 */
static struct rt_sock *lookup(int fd)
{
	struct rt_sock *s = NULL;
	struct stat st;
	size_t i;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	pthread_rwlock_rdlock(&table_lock);
	if ((size_t)fd < table_len && table[fd] &&
	    same_file(table[fd], &st))
		s = table[fd];
	for (i = 0; s == NULL && i < table_len; i++)
		if (table[i] && same_file(table[i], &st))
			s = table[i];
	if (s)
		rdt_rt_sock_get(s);
	pthread_rwlock_unlock(&table_lock);
	return s;
}

/* Sets errno as the kernel would for a descriptor that is not ours. */
static void not_ours(int fd)
{
	errno = fd >= 0 && fcntl(fd, F_GETFD) >= 0 ? ENOTSOCK : EBADF;
}

/*
 * The socket behind |fd|, referenced and locked, or NULL with errno set.
 * A call that raced with rdt_close on the same descriptor finds it
 * closed and fails with EBADF, as it would on a closed kernel socket.
 */
static struct rt_sock *sock_lock(int fd)
{
	struct rt_sock *s = lookup(fd);

	if (s == NULL) {
		not_ours(fd);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		rdt_rt_sock_put(s);
		errno = EBADF;
		return NULL;
	}
	return s;
}

/* Takes |fd|'s entry out of the table: the socket with the table's
 * reference, or NULL if |fd| is not (or no longer) an rdt descriptor. */
static struct rt_sock *table_take(int fd)
{
	struct rt_sock *s = NULL, *stale = NULL;
	struct stat st;
	int ok = fd >= 0 && fstat(fd, &st) == 0;

	pthread_rwlock_wrlock(&table_lock);
	if (fd >= 0 && (size_t)fd < table_len && table[fd]) {
		if (ok && same_file(table[fd], &st))
			s = table[fd];
		else
			stale = table[fd];
		table[fd] = NULL;
	}
	pthread_rwlock_unlock(&table_lock);
	rdt_rt_sock_put(stale);
	return s;
}

/* Ends a call on |s|: unlock, drop the reference, and return |rc|, or -1
 * with errno set from a negative |err|. */
static ssize_t finish_ssize(struct rt_sock *s, int err, ssize_t rc)
{
	pthread_mutex_unlock(&s->lock);
	rdt_rt_sock_put(s);
	if (err) {
		errno = -err;
		return -1;
	}
	return rc;
}

/* The same for calls that return an int. */
static int finish(struct rt_sock *s, int err, int rc)
{
	return (int)finish_ssize(s, err, rc);
}

/* --- process lifetime ------------------------------------------------------- */

/* How long exit waits for closed connections to deliver, by default. */
#define EXIT_LINGER_S 10

static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static void table_atfork_prepare(void)
{
	pthread_rwlock_wrlock(&table_lock);
}

static void table_atfork_parent(void)
{
	pthread_rwlock_unlock(&table_lock);
}

/*
 * A forked child inherits the parent's rdt descriptors but not their
 * connections (the engine thread did not follow): it forgets them, so
 * rdt calls on them fail with ENOTSOCK, and closes its copies of the
 * library's ends (the parent's stay open).  close(2) releases them.
 */
/* A forked child's inherited table: not freed, as another thread of the
 * parent may have been using its sockets; kept reachable (and so not
 * optimised away) for leak checkers. */
static __attribute__((used)) struct rt_sock **inherited_table;

static void table_atfork_child(void)
{
	size_t i;

	for (i = 0; i < table_len; i++) {
		struct rt_sock *s = table[i];

		if (s && s->has_fd && s->notify.lib_fd >= 0) {
			close(s->notify.lib_fd);
			s->notify.lib_fd = -1;
		}
	}
	inherited_table = table;
	table = NULL;
	table_len = 0;
	pthread_rwlock_init(&table_lock, NULL);
}

/*
 * At exit, as the kernel does for TCP, every descriptor still open is
 * closed gracefully, and bytes already queued get up to RDT_EXIT_LINGER
 * seconds (default EXIT_LINGER_S) to reach their peers before the
 * remaining connections are reset: unlike the kernel, the library dies
 * with the process.
 */
static void close_all_at_exit(void)
{
	const char *env = getenv("RDT_EXIT_LINGER");
	long linger = env && *env ? strtol(env, NULL, 10) : EXIT_LINGER_S;
	struct timespec until;
	size_t i;

	for (i = 0; i < table_len; i++) {
		struct rt_sock *s;

		/* Unchecked: an entry whose descriptor the application
		 * closed with close(2) may not be orphaned yet, and
		 * rdt_rt_close closes a descriptor only if still ours. */
		pthread_rwlock_wrlock(&table_lock);
		s = table[i];
		table[i] = NULL;
		pthread_rwlock_unlock(&table_lock);
		if (s == NULL)
			continue;
		/* The engine thread holds sockets' locks only briefly; a
		 * socket still locked after a second (a thread of the
		 * application stuck in it) is left alone. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (pthread_mutex_timedlock(&s->lock, &until) == 0) {
			rdt_rt_close(s);
			pthread_mutex_unlock(&s->lock);
		}
		rdt_rt_sock_put(s);
	}
	rdt_rt_exit_drain(linger > 0 ? (rdt_tstamp)linger * RDT_S : 0);
}

static void process_hooks(void)
{
	pthread_atfork(table_atfork_prepare, table_atfork_parent,
		       table_atfork_child);
	rdt_rt_set_forget(table_forget);
	atexit(close_all_at_exit);
}

/* --- waiting ---------------------------------------------------------------- */

static rdt_tstamp deadline_after(rdt_tstamp timeo)
{
	return timeo ? rdt_rt_now() + timeo : 0;
}

/*
 * Sleeps with |s| unlocked until its descriptor reports |events| or
 * |deadline| (0: none) passes.  Returns 0 to retry, -EAGAIN on timeout,
 * -EINTR on a signal.
 */
static int wait_ready(struct rt_sock *s, short events, rdt_tstamp deadline)
{
	struct pollfd p;
	int timeout = -1, rc, err;

	if (!s->has_fd)
		return -EBADF;
	if (deadline) {
		rdt_tstamp now = rdt_rt_now();

		if (now >= deadline)
			return -EAGAIN;
		timeout = (int)((deadline - now + RDT_MS - 1) / RDT_MS);
	}
	p.fd = s->notify.app_fd;
	p.events = events;
	p.revents = 0;
	pthread_mutex_unlock(&s->lock);
	rc = poll(&p, 1, timeout);
	err = errno;
	pthread_mutex_lock(&s->lock);
	if (rc < 0)
		return err == EINTR ? -EINTR : -err;
	if (rc == 0 && deadline && rdt_rt_now() >= deadline)
		return -EAGAIN;
	return 0;
}

/*
 * The failure of |s|'s connection as errno: its own errno the first time
 * (as SO_ERROR or a TCP call reports sk_err once), 0 afterwards.
 */
static int take_error(struct rt_sock *s)
{
	int e = s->conn ? rdt_conn_error(s->conn) : 0;

	if (e == 0 || s->error_reported)
		return 0;
	s->error_reported = 1;
	if (s->has_fd && rdt_notify_app_open(&s->notify)) {
		int pending;
		socklen_t len = sizeof(pending);

		/* Reading the descriptor's own error clears POLLERR, as
		 * reporting sk_err does on TCP. */
		getsockopt(s->notify.app_fd, SOL_SOCKET, SO_ERROR, &pending,
			   &len);
	}
	return rdt_errno_from(e);
}

/* O_NONBLOCK lives on the descriptor, where fcntl(2) may set it too. */
static int nonblocking(const struct rt_sock *s)
{
	int fl = s->has_fd ? fcntl(s->notify.app_fd, F_GETFL) : -1;

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* Has a peer, as getpeername(2) sees it on TCP: not while the handshake
 * runs, and not once the connection is closed. */
static int connected(const struct rt_sock *s)
{
	enum rdt_conn_state st = rdt_conn_state(s->conn);

	return st != RDT_CONN_SYN_SENT && st != RDT_CONN_SYN_RCVD &&
	       st != RDT_CONN_CLOSED;
}

/* --- addresses -------------------------------------------------------------- */

static int check_addr(const struct rt_sock *s, const struct sockaddr *addr,
		      socklen_t len)
{
	if (addr == NULL)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family != s->family)
		return -EAFNOSUPPORT;
	if (len < (s->family == AF_INET ? sizeof(struct sockaddr_in) :
					  sizeof(struct sockaddr_in6)))
		return -EINVAL;
	return 0;
}

static socklen_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) :
				   sizeof(struct sockaddr_in6);
}

/* Copies an address out as getsockname(2) does: truncated, with the
 * full length returned. */
static int copy_addr(struct sockaddr *dst, socklen_t *dstlen,
		     const void *src, socklen_t srclen)
{
	if (dstlen == NULL)
		return -EFAULT;
	if (dst)
		memcpy(dst, src, *dstlen < srclen ? *dstlen : srclen);
	*dstlen = srclen;
	return 0;
}

/* --- calls ------------------------------------------------------------------ */

int rdt_socket(int domain, int type, int protocol)
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct rt_sock *s;
	int fd;

	if (domain != AF_INET && domain != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) {
		errno = EINVAL;
		return -1;
	}
	/* getaddrinfo hands out IPPROTO_TCP for SOCK_STREAM: a ported TCP
	 * program passes it straight through. */
	if (protocol != 0 && protocol != IPPROTO_TCP) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	pthread_once(&process_once, process_hooks);
	s = rdt_rt_sock_new(domain, flags & SOCK_CLOEXEC);
	if (s == NULL)
		return -1;
	fd = s->notify.app_fd;
	if (((flags & SOCK_NONBLOCK) &&
	     fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK) != 0) ||
	    table_add(fd, s) != 0) {
		rdt_notify_close(&s->notify);
		rdt_rt_sock_put(s);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

int rdt_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rt_sock *s = sock_lock(fd);
	int err;

	if (s == NULL)
		return -1;
	err = check_addr(s, addr, addrlen);
	if (err == 0)
		err = rdt_rt_bind(s, addr, addr_len(s->family));
	return finish(s, err, 0);
}

int rdt_listen(int fd, int backlog)
{
	struct rt_sock *s = sock_lock(fd);

	if (s == NULL)
		return -1;
	return finish(s, rdt_rt_listen(s, backlog), 0);
}

int rdt_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	struct rt_sock *s = sock_lock(fd), *c = NULL;
	rdt_tstamp deadline;
	int err = 0, newfd;

	if (s == NULL)
		return -1;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC) ||
	    s->role != RT_LISTENING)
		return finish(s, -EINVAL, 0);
	if (addr && addrlen == NULL)
		return finish(s, -EFAULT, 0);
	deadline = deadline_after(s->opt.rcvtimeo);
	while ((c = rdt_rt_accept_pop(s)) == NULL) {
		if (nonblocking(s))
			return finish(s, -EAGAIN, 0);
		err = wait_ready(s, POLLIN, deadline);
		if (err)
			return finish(s, err, 0);
		if (s->role != RT_LISTENING)
			return finish(s, -EINVAL, 0);
	}
	pthread_mutex_lock(&c->lock);
	if (rdt_notify_open(&c->notify, flags & SOCK_CLOEXEC) != 0)
		err = -errno;
	else if ((flags & SOCK_NONBLOCK) &&
		 fcntl(c->notify.app_fd, F_SETFL, O_RDWR | O_NONBLOCK) != 0)
		err = -errno;
	else if (table_add(c->notify.app_fd, c) != 0)
		err = -ENOMEM;
	if (err) {
		if (c->notify.app_fd >= 0)
			rdt_notify_close(&c->notify);
		pthread_mutex_unlock(&c->lock);
		/* As TCP: the connection stays queued for a later accept. */
		rdt_rt_accept_unpop(s, c);
		return finish(s, err, 0);
	}
	rdt_rt_accept_adopt(c);
	newfd = c->notify.app_fd;
	if (addr)
		copy_addr(addr, addrlen, &c->peer, c->peer_len);
	pthread_mutex_unlock(&c->lock);
	/* The queue's reference now belongs to the descriptor table. */
	return finish(s, 0, newfd);
}

int rdt_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return rdt_accept4(fd, addr, addrlen, 0);
}

int rdt_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rt_sock *s = sock_lock(fd);
	rdt_tstamp deadline;
	int err;

	if (s == NULL)
		return -1;
	if (s->role == RT_LISTENING)
		return finish(s, -EISCONN, 0);
	if (s->role == RT_CONNECTION) {
		enum rdt_conn_state st = rdt_conn_state(s->conn);

		if (st == RDT_CONN_SYN_SENT)
			return finish(s, -EALREADY, 0);
		if (st != RDT_CONN_CLOSED || !rdt_conn_error(s->conn))
			return finish(s, -EISCONN, 0);
		/* A failed attempt: report it if nobody has yet. */
		err = take_error(s);
		return finish(s, err ? -err : -ECONNABORTED, 0);
	}
	err = check_addr(s, addr, addrlen);
	if (err == 0)
		err = rdt_rt_connect(s, addr, addr_len(s->family));
	if (err)
		return finish(s, err, 0);
	if (nonblocking(s))
		return finish(s, -EINPROGRESS, 0);
	deadline = deadline_after(s->opt.sndtimeo);
	while (rdt_conn_state(s->conn) == RDT_CONN_SYN_SENT) {
		err = wait_ready(s, POLLOUT, deadline);
		if (err == -EAGAIN) {
			/* SO_SNDTIMEO ran out: give up this attempt. */
			rdt_conn_abort(s->conn, rdt_rt_now());
			rdt_rt_service(s, rdt_rt_now());
			s->error_reported = 1;
			return finish(s, -ETIMEDOUT, 0);
		}
		if (err)
			return finish(s, err, 0);
	}
	err = take_error(s);
	return finish(s, err ? -err : 0, 0);
}

/*
 * Before the stream runs: ENOTCONN without a connection, and during the
 * handshake wait for it (as TCP's send and recv do) or EAGAIN.  Returns
 * 0 when the kernel call may proceed, else -errno.  |s| locked.
 */
static int await_stream(struct rt_sock *s, int flags, short events,
			rdt_tstamp timeo)
{
	rdt_tstamp deadline = deadline_after(timeo);
	int err;

	if (s->role != RT_CONNECTION)
		return -ENOTCONN;
	while (rdt_conn_state(s->conn) == RDT_CONN_SYN_SENT) {
		if (nonblocking(s) || (flags & MSG_DONTWAIT))
			return -EAGAIN;
		err = wait_ready(s, events, deadline);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The kernel call on the descriptor, framed by what the kernel cannot
 * know (see the top of this file): sendmsg if |sending|, else recvmsg.
 */
static ssize_t stream_io(int fd, struct msghdr *mh, int flags, int sending)
{
	struct rt_sock *s = lookup(fd);
	ssize_t n;
	int err;

	if (s == NULL) {
		not_ours(fd);
		return -1;
	}
	if (!__atomic_load_n(&s->streaming, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&s->lock);
		err = await_stream(s, flags, sending ? POLLOUT : POLLIN,
				   sending ? s->opt.sndtimeo :
					     s->opt.rcvtimeo);
		if (err == 0 && s->conn &&
		    rdt_conn_state(s->conn) == RDT_CONN_CLOSED &&
		    !s->notify.streaming) {
			/* Failed before it ever carried a byte. */
			int e = take_error(s);

			err = -(e ? e : (sending ? EPIPE : ENOTCONN));
		}
		if (err) {
			finish_ssize(s, err, 0);
			if (err == -EPIPE && sending && !(flags & MSG_NOSIGNAL))
				raise(SIGPIPE);
			return -1;
		}
		pthread_mutex_unlock(&s->lock);
	}
	n = sending ? sendmsg(fd, mh, flags) : recvmsg(fd, mh, flags);
	if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) {
		int e;

		/* The pair knows only that the connection ended; the
		 * connection knows why. */
		pthread_mutex_lock(&s->lock);
		e = take_error(s);
		pthread_mutex_unlock(&s->lock);
		if (e)
			errno = e;
	}
	err = errno;
	rdt_rt_sock_put(s);
	errno = err;
	return n;
}

static ssize_t send_iov(int fd, const struct iovec *iov, int iovcnt,
			int flags)
{
	struct msghdr mh;

	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	return stream_io(fd, &mh, flags, 1);
}

ssize_t rdt_send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };

	return send_iov(fd, &iov, 1, flags);
}

ssize_t rdt_write(int fd, const void *buf, size_t len)
{
	return rdt_send(fd, buf, len, 0);
}

ssize_t rdt_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return send_iov(fd, iov, iovcnt, 0);
}

static ssize_t recv_iov(int fd, const struct iovec *iov, int iovcnt,
			int flags)
{
	struct msghdr mh;

	if (flags & ~(MSG_DONTWAIT | MSG_WAITALL | MSG_PEEK | MSG_NOSIGNAL |
		      MSG_CMSG_CLOEXEC)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	return stream_io(fd, &mh, flags & ~MSG_NOSIGNAL, 0);
}

ssize_t rdt_recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { buf, len };

	return recv_iov(fd, &iov, 1, flags);
}

ssize_t rdt_read(int fd, void *buf, size_t len)
{
	return rdt_recv(fd, buf, len, 0);
}

ssize_t rdt_readv(int fd, const struct iovec *iov, int iovcnt)
{
	return recv_iov(fd, iov, iovcnt, 0);
}

int rdt_shutdown(int fd, int how)
{
	struct rt_sock *s = sock_lock(fd);

	if (s == NULL)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return finish(s, -EINVAL, 0);
	if (s->role == RT_LISTENING) {
		/* As on Linux: shutting down a listener's reading side stops
		 * it and wakes rdt_accept, which then fails with EINVAL. */
		if (how != SHUT_WR)
			rdt_rt_unlisten(s);
		return finish(s, 0, 0);
	}
	if (s->role != RT_CONNECTION ||
	    rdt_conn_state(s->conn) == RDT_CONN_CLOSED)
		return finish(s, -ENOTCONN, 0);
	/* On the descriptor, so the FIN follows every byte written to it
	 * before, with whatever call. */
	if (shutdown(fd, how) != 0)
		return finish(s, -errno, 0);
	if (how != SHUT_RD) {
		s->notify.in_ready = 1;
		s->shut_wr = 1;
	}
	if (how != SHUT_WR)
		s->shut_rd = 1;
	rdt_rt_service(s, rdt_rt_now());
	return finish(s, 0, 0);
}

int rdt_close(int fd)
{
	struct rt_sock *s = table_take(fd);

	if (s == NULL) {
		/* A dup(2) of an rdt descriptor closes as any descriptor:
		 * the stream lives on in the others. */
		s = lookup(fd);
		if (s != NULL) {
			rdt_rt_sock_put(s);
			return close(fd);
		}
		not_ours(fd);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	rdt_rt_close(s);
	pthread_mutex_unlock(&s->lock);
	rdt_rt_sock_put(s);
	return 0;
}

int rdt_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rt_sock *s = sock_lock(fd);
	struct sockaddr_storage any;

	if (s == NULL)
		return -1;
	if (s->local_len)
		return finish(s, copy_addr(addr, addrlen, &s->local,
					   s->local_len),
			      0);
	if (s->ep)
		return finish(s, copy_addr(addr, addrlen, &s->ep->local,
					   s->ep->local_len),
			      0);
	memset(&any, 0, sizeof(any));
	any.ss_family = (sa_family_t)s->family;
	return finish(s, copy_addr(addr, addrlen, &any, addr_len(s->family)),
		      0);
}

int rdt_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rt_sock *s = sock_lock(fd);

	if (s == NULL)
		return -1;
	if (s->role != RT_CONNECTION || !connected(s))
		return finish(s, -ENOTCONN, 0);
	return finish(s, copy_addr(addr, addrlen, &s->peer, s->peer_len), 0);
}

int rdt_fcntl(int fd, int cmd, ...)
{
	struct rt_sock *s = sock_lock(fd);
	va_list ap;
	int arg = 0, rc;

	if (s == NULL)
		return -1;
	if (cmd == F_SETFL || cmd == F_SETFD) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	switch (cmd) {
	case F_GETFL:
	case F_SETFL:
	case F_GETFD:
	case F_SETFD:
		/* The flags are the descriptor's own, as on TCP. */
		rc = cmd == F_GETFL || cmd == F_GETFD ? fcntl(fd, cmd) :
							fcntl(fd, cmd, arg);
		return finish(s, rc < 0 ? -errno : 0, rc);
	default:
		return finish(s, -EINVAL, 0);
	}
}

/* --- options ---------------------------------------------------------------- */

static int get_int(const void *val, socklen_t len, int *out)
{
	if (val == NULL)
		return -EFAULT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int get_timeval(const void *val, socklen_t len, rdt_tstamp *out)
{
	struct timeval tv;

	if (val == NULL)
		return -EFAULT;
	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	*out = (rdt_tstamp)tv.tv_sec * RDT_S + (rdt_tstamp)tv.tv_usec * RDT_US;
	return 0;
}

static size_t clamp_buffer(int v)
{
	if (v < (int)MIN_BUFFER)
		return MIN_BUFFER;
	if ((unsigned)v > MAX_BUFFER)
		return MAX_BUFFER;
	return (size_t)v;
}

/* Pushes the options that may change on a live connection into it. */
static void retune(struct rt_sock *s)
{
	struct rdt_conn_config cfg;

	if (s->conn == NULL)
		return;
	rdt_rt_conn_config(&s->opt, &cfg);
	rdt_conn_tune(s->conn, cfg.nodelay, cfg.user_timeout,
		      cfg.idle_timeout, cfg.keepalive);
	rdt_rt_service(s, rdt_rt_now());
}

static int set_socket_level(struct rt_sock *s, int name, const void *val,
			    socklen_t len)
{
	struct linger lg;
	int v = 0, err;

	switch (name) {
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_KEEPALIVE:
	case SO_REUSEADDR:
		err = get_int(val, len, &v);
		if (err)
			return err;
		if (name == SO_SNDBUF)
			s->opt.sndbuf = clamp_buffer(v);
		else if (name == SO_RCVBUF)
			s->opt.rcvbuf = clamp_buffer(v);
		else if (name == SO_KEEPALIVE)
			s->opt.keepalive = !!v;
		else
			s->opt.reuseaddr = !!v;
		if (name == SO_KEEPALIVE)
			retune(s);
		return 0;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		err = get_timeval(val, len, name == SO_RCVTIMEO ?
				  &s->opt.rcvtimeo : &s->opt.sndtimeo);
		/* The kernel times out blocking reads and writes on the
		 * descriptor; ours bound accept, connect and the
		 * handshake. */
		if (err == 0 && s->has_fd &&
		    setsockopt(s->notify.app_fd, SOL_SOCKET, name, val, len))
			err = -errno;
		return err;
	case SO_LINGER:
		if (val == NULL)
			return -EFAULT;
		if (len < sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		s->opt.linger_on = !!lg.l_onoff;
		s->opt.linger_s = lg.l_linger < 0 ? 0 : lg.l_linger;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int set_rdt_level(struct rt_sock *s, int name, const void *val,
			 socklen_t len)
{
	const struct rdt_cc_ops *cc;
	char cc_name[32];
	int v = 0, err;

	if (name == RDT_CONGESTION) {
		if (val == NULL)
			return -EFAULT;
		if (len == 0 || len >= sizeof(cc_name))
			return -EINVAL;
		memcpy(cc_name, val, len);
		cc_name[len] = '\0';
		cc = rdt_cc_find(cc_name);
		if (cc == NULL)
			return -ENOENT;
		s->opt.cc = cc;
		return 0;
	}
	err = get_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case RDT_NODELAY:
		s->opt.nodelay = !!v;
		break;
	case RDT_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		if (v == 0) {
			struct rt_opts def;

			rdt_rt_opts_default(&def);
			s->opt.user_timeout = def.user_timeout;
		} else {
			s->opt.user_timeout = (rdt_tstamp)(unsigned)v * RDT_MS;
		}
		break;
	case RDT_KEEPIDLE:
		if (v <= 0)
			return -EINVAL;
		s->opt.keepidle = (rdt_tstamp)(unsigned)v * RDT_MS;
		break;
	case RDT_IDLE_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		s->opt.idle_timeout = (rdt_tstamp)(unsigned)v * RDT_MS;
		break;
	case RDT_MAXDGRAM:
		if (v < RDT_PKT_INIT_MIN_SIZE || v > RDT_PKT_MAX_DGRAM)
			return -EINVAL;
		s->opt.max_dgram = (size_t)v;
		return 0;
	case RDT_INFO:
		return -EINVAL;
	default:
		return -ENOPROTOOPT;
	}
	retune(s);
	return 0;
}

int rdt_setsockopt(int fd, int level, int optname, const void *optval,
		   socklen_t optlen)
{
	struct rt_sock *s = sock_lock(fd);
	int err;

	if (s == NULL)
		return -1;
	if (level == SOL_SOCKET)
		err = set_socket_level(s, optname, optval, optlen);
	else if (level == RDT_SOL)
		err = set_rdt_level(s, optname, optval, optlen);
	else if (level == IPPROTO_TCP && optname == TCP_NODELAY)
		/* A ported TCP program's TCP_NODELAY is RDT_NODELAY. */
		err = set_rdt_level(s, RDT_NODELAY, optval, optlen);
	else
		err = -ENOPROTOOPT;
	return finish(s, err, 0);
}

static uint32_t to_us(rdt_tstamp t)
{
	t /= RDT_US;
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static uint32_t public_state(const struct rt_sock *s)
{
	static const uint32_t map[] = {
		[RDT_CONN_SYN_SENT] = RDT_STATE_SYN_SENT,
		[RDT_CONN_SYN_RCVD] = RDT_STATE_SYN_RCVD,
		[RDT_CONN_ESTABLISHED] = RDT_STATE_ESTABLISHED,
		[RDT_CONN_FIN_WAIT] = RDT_STATE_FIN_WAIT,
		[RDT_CONN_CLOSE_WAIT] = RDT_STATE_CLOSE_WAIT,
		[RDT_CONN_LAST_ACK] = RDT_STATE_LAST_ACK,
		[RDT_CONN_TIME_WAIT] = RDT_STATE_TIME_WAIT,
		[RDT_CONN_CLOSED] = RDT_STATE_CLOSED,
	};

	if (s->role == RT_LISTENING)
		return RDT_STATE_LISTEN;
	if (s->conn == NULL)
		return RDT_STATE_CLOSED;
	return map[rdt_conn_state(s->conn)];
}

static void fill_info(const struct rt_sock *s, struct rdt_info *out)
{
	struct rdt_rt_port_stats port;
	struct rdt_conn_info ci;

	memset(out, 0, sizeof(*out));
	out->state = public_state(s);
	if (s->conn) {
		const struct rdt_conn_stats *st = &ci.stats;

		rdt_conn_get_info(s->conn, &ci);
		out->error = ci.error ? (uint32_t)rdt_errno_from(ci.error) : 0;
		out->srtt_us = to_us(ci.srtt);
		out->rttvar_us = to_us(ci.rttvar);
		out->min_rtt_us = to_us(ci.min_rtt);
		out->latest_rtt_us = to_us(ci.latest_rtt);
		out->rto_us = to_us(ci.rto);
		out->max_dgram = (uint32_t)s->opt.max_dgram;
		out->cwnd = ci.cwnd;
		out->ssthresh = ci.ssthresh;
		out->bytes_in_flight = ci.bytes_in_flight;
		out->peer_window = ci.peer_window;
		out->reordering = ci.pkt_threshold;
		out->bytes_sent = st->bytes_sent;
		out->bytes_retransmitted = st->bytes_retransmitted;
		out->bytes_acked = st->bytes_acked;
		out->bytes_received = st->bytes_received;
		out->bytes_delivered = st->bytes_delivered;
		out->bytes_duplicate = st->bytes_duplicate;
		out->pkts_sent = st->pkts_sent;
		out->pkts_received = st->pkts_received;
		out->pkts_retransmitted = st->pkts_retransmitted;
		out->pkts_lost = st->pkts_lost;
		out->pkts_spurious_lost = st->pkts_spurious_lost;
		out->pkts_reordered = st->pkts_reordered;
		out->pkts_duplicate = st->pkts_duplicate;
		out->tlp_count = st->tlp_count;
		out->rto_count = st->rto_count;
		out->persist_probes = st->persist_probes;
		out->drop_checksum = st->drop_checksum;
		out->drop_malformed = st->drop_malformed;
		out->drop_version = st->drop_version;
		out->drop_beyond_window = st->drop_beyond_window;
		out->drop_invalid_ack = st->drop_invalid_ack;
		out->drop_state = st->drop_state;
		out->drop_other = st->drop_unknown_cid +
				  st->drop_reassembly_full;
	}
	rdt_rt_port_stats(s, &port);
	out->port_dgrams_received = port.received;
	out->port_dgrams_sent = port.sent;
	out->port_drop_checksum = port.drop_checksum;
	out->port_drop_malformed = port.drop_malformed;
	out->port_drop_unknown_cid = port.drop_unknown_cid;
	out->port_drop_no_listener = port.drop_no_listener;
	out->port_drop_backlog = port.drop_backlog;
	out->port_send_errors = port.send_errors;
}

/* Writes an int option value as getsockopt(2) does. */
static int put_int(void *val, socklen_t *len, int v)
{
	if (val == NULL || len == NULL)
		return -EFAULT;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static int put_bytes(void *val, socklen_t *len, const void *src, size_t n)
{
	if (val == NULL || len == NULL)
		return -EFAULT;
	if (*len < n)
		n = *len;
	memcpy(val, src, n);
	*len = (socklen_t)n;
	return 0;
}

static struct timeval to_timeval(rdt_tstamp t)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(t / RDT_S);
	tv.tv_usec = (suseconds_t)((t % RDT_S) / RDT_US);
	return tv;
}

static int ms_int(rdt_tstamp t)
{
	t /= RDT_MS;
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

static int get_socket_level(struct rt_sock *s, int name, void *val,
			    socklen_t *len)
{
	struct timeval tv;
	struct linger lg;

	switch (name) {
	case SO_SNDBUF:
		return put_int(val, len, (int)s->opt.sndbuf);
	case SO_RCVBUF:
		return put_int(val, len, (int)s->opt.rcvbuf);
	case SO_KEEPALIVE:
		return put_int(val, len, s->opt.keepalive);
	case SO_REUSEADDR:
		return put_int(val, len, s->opt.reuseaddr);
	case SO_TYPE:
		return put_int(val, len, SOCK_STREAM);
	case SO_DOMAIN:
		return put_int(val, len, s->family);
	case SO_ERROR:
		return put_int(val, len, take_error(s));
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		tv = to_timeval(name == SO_RCVTIMEO ? s->opt.rcvtimeo :
						      s->opt.sndtimeo);
		return put_bytes(val, len, &tv, sizeof(tv));
	case SO_LINGER:
		lg.l_onoff = s->opt.linger_on;
		lg.l_linger = s->opt.linger_s;
		return put_bytes(val, len, &lg, sizeof(lg));
	default:
		return -ENOPROTOOPT;
	}
}

static int get_rdt_level(struct rt_sock *s, int name, void *val,
			 socklen_t *len)
{
	struct rdt_info info;
	const char *cc;

	switch (name) {
	case RDT_NODELAY:
		return put_int(val, len, s->opt.nodelay);
	case RDT_USER_TIMEOUT:
		return put_int(val, len, ms_int(s->opt.user_timeout));
	case RDT_KEEPIDLE:
		return put_int(val, len, ms_int(s->opt.keepidle));
	case RDT_IDLE_TIMEOUT:
		return put_int(val, len, ms_int(s->opt.idle_timeout));
	case RDT_MAXDGRAM:
		return put_int(val, len, (int)s->opt.max_dgram);
	case RDT_CONGESTION:
		cc = s->opt.cc->name;
		return put_bytes(val, len, cc, strlen(cc) + 1);
	case RDT_INFO:
		fill_info(s, &info);
		return put_bytes(val, len, &info, sizeof(info));
	default:
		return -ENOPROTOOPT;
	}
}

int rdt_getsockopt(int fd, int level, int optname, void *optval,
		   socklen_t *optlen)
{
	struct rt_sock *s = sock_lock(fd);
	int err;

	if (s == NULL)
		return -1;
	if (level == SOL_SOCKET)
		err = get_socket_level(s, optname, optval, optlen);
	else if (level == RDT_SOL)
		err = get_rdt_level(s, optname, optval, optlen);
	else if (level == IPPROTO_TCP && optname == TCP_NODELAY)
		err = get_rdt_level(s, RDT_NODELAY, optval, optlen);
	else
		err = -ENOPROTOOPT;
	return finish(s, err, 0);
}

int rdt_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return poll(fds, nfds, timeout);
}
