/*
 * socket.c: the BSD-socket calls of rdt that make, connect, accept and
 * end sockets; argument checks and errno.  The protocol work is the
 * runtime's (src/runtime).  The api's other files: table.c (descriptor
 * table, process hooks, waiting), io.c (send and receive), options.c.
 *
 * Accept and connect wait in poll() on the socket's descriptor, whose
 * readiness the runtime steers until the stream runs through it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
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

#include "api.h"
#include "core/err.h"
#include "errmap.h"
#include "rdt.h"
#include "runtime/rt.h"
#include "wire/pkt.h"

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
	rdt_api_process_init();
	s = rdt_rt_sock_new(domain, flags & SOCK_CLOEXEC);
	if (s == NULL)
		return -1;
	fd = s->notify.app_fd;
	if (((flags & SOCK_NONBLOCK) &&
	     fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK) != 0) ||
	    rdt_api_table_add(fd, s) != 0) {
		rdt_notify_close(&s->notify);
		rdt_rt_sock_put(s);
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

int rdt_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);
	int err;

	if (s == NULL)
		return -1;
	err = check_addr(s, addr, addrlen);
	if (err == 0)
		err = rdt_rt_bind(s, addr, addr_len(s->family));
	return rdt_api_finish(s, err, 0);
}

int rdt_listen(int fd, int backlog)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);

	if (s == NULL)
		return -1;
	return rdt_api_finish(s, rdt_rt_listen(s, backlog), 0);
}

int rdt_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	struct rt_sock *s = rdt_api_sock_lock(fd), *c = NULL;
	rdt_tstamp deadline;
	int err = 0, newfd;

	if (s == NULL)
		return -1;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC) ||
	    s->role != RT_LISTENING)
		return rdt_api_finish(s, -EINVAL, 0);
	if (addr && addrlen == NULL)
		return rdt_api_finish(s, -EFAULT, 0);
	deadline = rdt_api_deadline_after(s->opt.rcvtimeo);
	while ((c = rdt_rt_accept_pop(s)) == NULL) {
		if (rdt_api_nonblocking(s))
			return rdt_api_finish(s, -EAGAIN, 0);
		err = rdt_api_wait_ready(s, POLLIN, deadline);
		if (err)
			return rdt_api_finish(s, err, 0);
		if (s->role != RT_LISTENING)
			return rdt_api_finish(s, -EINVAL, 0);
	}
	pthread_mutex_lock(&c->lock);
	if (rdt_notify_open(&c->notify, flags & SOCK_CLOEXEC) != 0)
		err = -errno;
	else if ((flags & SOCK_NONBLOCK) &&
		 fcntl(c->notify.app_fd, F_SETFL, O_RDWR | O_NONBLOCK) != 0)
		err = -errno;
	else if (rdt_api_table_add(c->notify.app_fd, c) != 0)
		err = -ENOMEM;
	if (err) {
		if (c->notify.app_fd >= 0)
			rdt_notify_close(&c->notify);
		pthread_mutex_unlock(&c->lock);
		/* As TCP: the connection stays queued for a later accept. */
		rdt_rt_accept_unpop(s, c);
		return rdt_api_finish(s, err, 0);
	}
	rdt_rt_accept_adopt(c);
	newfd = c->notify.app_fd;
	if (addr)
		copy_addr(addr, addrlen, &c->peer, c->peer_len);
	pthread_mutex_unlock(&c->lock);
	/* The queue's reference now belongs to the descriptor table. */
	return rdt_api_finish(s, 0, newfd);
}

int rdt_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return rdt_accept4(fd, addr, addrlen, 0);
}

int rdt_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);
	rdt_tstamp deadline;
	int err;

	if (s == NULL)
		return -1;
	if (s->role == RT_LISTENING)
		return rdt_api_finish(s, -EISCONN, 0);
	if (s->role == RT_CONNECTION) {
		enum rdt_conn_state st = rdt_conn_state(s->conn);

		if (st == RDT_CONN_SYN_SENT)
			return rdt_api_finish(s, -EALREADY, 0);
		if (st != RDT_CONN_CLOSED || !rdt_conn_error(s->conn))
			return rdt_api_finish(s, -EISCONN, 0);
		/* A failed attempt: report it if nobody has yet. */
		err = rdt_api_take_error(s);
		return rdt_api_finish(s, err ? -err : -ECONNABORTED, 0);
	}
	err = check_addr(s, addr, addrlen);
	if (err == 0)
		err = rdt_rt_connect(s, addr, addr_len(s->family));
	if (err)
		return rdt_api_finish(s, err, 0);
	if (rdt_api_nonblocking(s))
		return rdt_api_finish(s, -EINPROGRESS, 0);
	deadline = rdt_api_deadline_after(s->opt.sndtimeo);
	while (rdt_conn_state(s->conn) == RDT_CONN_SYN_SENT) {
		err = rdt_api_wait_ready(s, POLLOUT, deadline);
		if (err == -EAGAIN) {
			/* SO_SNDTIMEO ran out: give up this attempt. */
			rdt_conn_abort(s->conn, rdt_rt_now());
			rdt_rt_service(s, rdt_rt_now());
			s->error_reported = 1;
			return rdt_api_finish(s, -ETIMEDOUT, 0);
		}
		if (err)
			return rdt_api_finish(s, err, 0);
	}
	err = rdt_api_take_error(s);
	return rdt_api_finish(s, err ? -err : 0, 0);
}

int rdt_shutdown(int fd, int how)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);

	if (s == NULL)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return rdt_api_finish(s, -EINVAL, 0);
	if (s->role == RT_LISTENING) {
		/* As on Linux: shutting down a listener's reading side stops
		 * it and wakes rdt_accept, which then fails with EINVAL. */
		if (how != SHUT_WR)
			rdt_rt_unlisten(s);
		return rdt_api_finish(s, 0, 0);
	}
	if (s->role != RT_CONNECTION ||
	    rdt_conn_state(s->conn) == RDT_CONN_CLOSED)
		return rdt_api_finish(s, -ENOTCONN, 0);
	/* On the descriptor, so the FIN follows every byte written to it
	 * before, with whatever call. */
	if (shutdown(fd, how) != 0)
		return rdt_api_finish(s, -errno, 0);
	if (how != SHUT_RD) {
		s->notify.in_ready = 1;
		s->shut_wr = 1;
	}
	if (how != SHUT_WR)
		s->shut_rd = 1;
	rdt_rt_service(s, rdt_rt_now());
	return rdt_api_finish(s, 0, 0);
}

/*
 * Another descriptor number of this process for the application end
 * whose inode is |ino|, other than |fd|; -1 if there is none.  Read from
 * /proc/self/fd, so only rare closes ask: a listener's or an unconnected
 * socket's, and a stream's that another descriptor is known to hold.
 */
static int other_fd_of(int fd, unsigned long ino)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	if (d == NULL)
		return -1;
	while (found < 0 && (de = readdir(d)) != NULL) {
		char *end;
		long n = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end != '\0' || end == de->d_name || n == fd ||
		    n == dirfd(d) || n < 0 || n > INT_MAX)
			continue;
		if (fstat((int)n, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    (unsigned long)st.st_ino == ino)
			found = (int)n;
	}
	closedir(d);
	return found;
}

/*
 * Registers |s| (locked) under another descriptor number this process
 * has for its application end than |fd|.  Returns that number, with |s|
 * unlocked and the table holding the caller's reference; or -1, with
 * |s| still locked and as it was.
 */
static int rehome(int fd, struct rt_sock *s)
{
	int other = other_fd_of(fd, s->notify.app_ino);
	int was_fd = s->notify.app_fd, was_closed = s->closed;

	if (other < 0)
		return -1;
	s->notify.app_fd = other;
	s->closed = 0;
	pthread_mutex_unlock(&s->lock);
	if (rdt_api_table_add(other, s) == 0)
		return other;
	pthread_mutex_lock(&s->lock);
	s->notify.app_fd = was_fd;
	s->closed = was_closed;
	return -1;
}

/*
 * A listener or an unconnected socket whose descriptor this process has
 * another number for (`dup2(l, 3); close(l)`): the socket lives on under
 * that number, as a kernel socket lives while a descriptor of it is
 * open.  Returns 1 if it moved there and |fd| was closed.  (A stream is
 * moved after rdt_rt_close, which tells whether anyone else holds it.)
 * |s| holds the table's reference.
 */
static int move_to_dup(int fd, struct rt_sock *s)
{
	pthread_mutex_lock(&s->lock);
	if (!s->has_fd || s->notify.streaming || s->notify.app_fd != fd ||
	    (s->conn != NULL && s->role != RT_LISTENING) || rehome(fd, s) < 0) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	(void)close(fd);
	return 1;
}

int rdt_close(int fd)
{
	struct rt_sock *s = rdt_api_table_take(fd);

	if (s != NULL && move_to_dup(fd, s))
		return 0;
	if (s == NULL) {
		/* A dup(2) of an rdt descriptor closes as any descriptor:
		 * the stream lives on in the others. */
		s = rdt_api_lookup(fd);
		if (s != NULL) {
			rdt_rt_sock_put(s);
			return close(fd);
		}
		rdt_api_not_ours(fd);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	/* A stream that lives on in another descriptor of this process
	 * answers there, and that descriptor's rdt_close ends it. */
	if (rdt_rt_close(s, 0) && rehome(fd, s) >= 0)
		return 0;
	pthread_mutex_unlock(&s->lock);
	rdt_rt_sock_put(s);
	return 0;
}

int rdt_getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);
	struct sockaddr_storage any;

	if (s == NULL)
		return -1;
	if (s->local_len)
		return rdt_api_finish(s, copy_addr(addr, addrlen, &s->local,
					   s->local_len),
			      0);
	if (s->ep)
		return rdt_api_finish(s, copy_addr(addr, addrlen, &s->ep->local,
					   s->ep->local_len),
			      0);
	memset(&any, 0, sizeof(any));
	any.ss_family = (sa_family_t)s->family;
	return rdt_api_finish(s, copy_addr(addr, addrlen, &any, addr_len(s->family)),
		      0);
}

int rdt_getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);

	if (s == NULL)
		return -1;
	if (s->role != RT_CONNECTION || !rdt_api_connected(s))
		return rdt_api_finish(s, -ENOTCONN, 0);
	return rdt_api_finish(s, copy_addr(addr, addrlen, &s->peer, s->peer_len), 0);
}

int rdt_fcntl(int fd, int cmd, ...)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);
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
		return rdt_api_finish(s, rc < 0 ? -errno : 0, rc);
	default:
		return rdt_api_finish(s, -EINVAL, 0);
	}
}

int rdt_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return poll(fds, nfds, timeout);
}
