/*
 * preload.c: librdt-preload.so, loaded with LD_PRELOAD (rdt-run does it)
 * into an unmodified, dynamically linked program, makes its TCP sockets
 * rdt sockets.
 *
 * Only the calls that create, connect, configure and end sockets are
 * interposed: an rdt descriptor carries the stream itself (rdt.h), so
 * read, write, send, recv, sendfile, splice, poll, select and epoll need
 * no help, and neither does ioctl (FIONREAD counts the bytes readable
 * from the descriptor, FIONBIO sets O_NONBLOCK on it, which is where rdt
 * keeps the flag).
 *
 * Map of the file:
 *   real_*            the C library's functions, by dlsym(RTLD_NEXT)
 *   in_lib            per thread: inside an rdt_* call, so the calls the
 *                     library makes itself (close of its descriptors,
 *                     setsockopt on its UDP sockets) go straight to libc
 *   entry_addresses   what a forked child will be told by getsockname
 *                     and getpeername
 *   the interposers   socket ... fcntl but getsockopt and setsockopt,
 *                     at the end
 * The table of descriptors is fdtable.c's; the options and the fallback
 * to kernel TCP for a socket the policy does not want are options.c's.
 *
 * Why calls from the library never recurse: librdt's own calls to close,
 * setsockopt, connect... resolve to these interposers too (the preloaded
 * object comes first in the lookup order).  From an application thread
 * they arrive with in_lib set and go to libc at once; so do those of
 * librdt's exit handler (see exiting()).  From librdt's
 * engine thread, which never runs application code, they arrive for
 * descriptors that are not in the fd table (UDP sockets, the library's
 * ends of the descriptor pairs, epoll, timerfd): only descriptors
 * returned by rdt_socket and rdt_accept through this file are entered.
 * (The engine's calls on an application's end hold the socket's lock,
 * which rdt_getsockopt and rdt_setsockopt would take: the getsockopt
 * SO_SNDBUF that sizes the block making a new descriptor unwritable
 * comes before the descriptor is handed out, and the send buffer set
 * when a connection starts streaming (src/runtime/stream.c) is set
 * with syscall(2), which no interposer sees.)
 *
 * fork: the table is process memory, so a child inherits it; librdt
 * forgets the inherited sockets in the child (their connections run in
 * the parent) and its calls fail there with ENOTSOCK.  The child still
 * reads and writes them as plain descriptors; getsockname, getpeername
 * and SO_TYPE/SO_DOMAIN/SO_PROTOCOL are answered from what the table
 * remembers, and option changes, which only the parent could make, are
 * accepted without effect.  close in the parent of a connected socket
 * is a plain close(2), so a child holding a copy keeps the connection
 * (rdt_close would orphan it): librdt ends the connection when the last
 * copy of the descriptor is closed, as the kernel does for TCP.
 *
 * Thread safety: the table is guarded by one mutex, never held across a
 * call into librdt or the kernel that may block.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload.h"
#include "rdt.h"

/* --- the C library's functions ------------------------------------------ */

int (*real_socket)(int, int, int);
int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
int (*real_getsockopt)(int, int, int, void *, socklen_t *);
int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_shutdown)(int, int);
int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
int (*real_dup3)(int, int, int);
int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#define RESOLVE(name) (real_##name = (__typeof__(real_##name))dlsym(	\
			       RTLD_NEXT, #name))

static void init(void)
{
	RESOLVE(socket);
	RESOLVE(bind);
	RESOLVE(listen);
	RESOLVE(accept);
	RESOLVE(accept4);
	RESOLVE(connect);
	RESOLVE(getsockname);
	RESOLVE(getpeername);
	RESOLVE(getsockopt);
	RESOLVE(setsockopt);
	RESOLVE(shutdown);
	RESOLVE(close);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	/* Older C libraries have no fcntl64; it is the same call. */
	if (real_fcntl64 == NULL)
		real_fcntl64 = real_fcntl;
	(void)rdt_preload_policy_init();
}

/* Every interposer starts here: the first call in the process, from
 * whichever thread or constructor, resolves the real functions. */
void preload_ready(void)
{
	pthread_once(&init_once, init);
}

/* Runs at load time, so that the first socket call of a program with
 * threads finds everything resolved. */
__attribute__((constructor)) static void preload_ctor(void)
{
	preload_ready();
}

/* --- calls into librdt ----------------------------------------------------- */

/* Set while this thread is inside librdt: its calls go to libc.
 * initial-exec: the library is loaded at start-up, never by dlopen, so
 * its thread-local block is static and reading it calls nothing. */
__thread int in_lib __attribute__((tls_model("initial-exec")));

/*
 * At exit, librdt closes the sockets still open from its own atexit
 * handler, and those closes must reach libc, as its other calls do.
 * Handlers run in the reverse order of their registration, so one
 * registered just after librdt's (after the first rdt_socket) runs just
 * before it and marks the exiting thread as inside the library.
 */
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void exiting(void)
{
	in_lib++;
}

static void register_exiting(void)
{
	(void)atexit(exiting);
}

/* --- policy ---------------------------------------------------------------- */

/* A socket the library could make rdt, before the policy's word. */
static int tcp_kind(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/* Remembers the addresses librdt reports for |e|'s socket |fd|, for a
 * forked child that will not be able to ask. */
static void entry_addresses(int fd, struct entry *e)
{
	socklen_t len = sizeof(e->local);

	if (RDT(rdt_getsockname(fd, (struct sockaddr *)&e->local, &len)) ==
	    0)
		e->local_len = len;
	len = sizeof(e->peer);
	if (RDT(rdt_getpeername(fd, (struct sockaddr *)&e->peer, &len)) ==
	    0)
		e->peer_len = len;
}

/* --- the interposers --------------------------------------------------------- */

EXPORT int socket(int domain, int type, int protocol)
{
	struct entry e;
	int fd;

	preload_ready();
	if (in_lib || !tcp_kind(domain, type, protocol))
		return real_socket(domain, type, protocol);
	fd = RDT(rdt_socket(domain, type, protocol));
	if (fd < 0)
		return -1;
	if (rdt_preload_key_apply(fd) != 0) {
		int err = errno;

		(void)RDT(rdt_close(fd));
		errno = err;
		return -1;
	}
	pthread_once(&exit_once, register_exiting);
	memset(&e, 0, sizeof(e));
	e.role = ROLE_NEW;
	e.domain = domain;
	/* Linux's default for net.ipv6.bindv6only; reported only. */
	e.v6only = 0;
	if (entry_put(fd, &e) != 0) {
		(void)RDT(rdt_close(fd));
		errno = ENOMEM;
		return -1;
	}
	return fd;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct entry e;
	int rc;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_bind(fd, addr, len);
	rc = RDT(rdt_bind(fd, addr, len));
	if (rc != 0 && errno == ENOTSOCK)
		return real_bind(fd, addr, len);	/* forked child */
	if (rc == 0) {
		e.bound = 1;
		/* The port is at the same place in both families. */
		e.any_port = len >= sizeof(struct sockaddr_in) &&
			     ((const struct sockaddr_in *)addr)->sin_port == 0;
		entry_put(fd, &e);
	}
	return rc;
}

EXPORT int listen(int fd, int backlog)
{
	struct entry e;
	int rc;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_listen(fd, backlog);
	if (e.role == ROLE_NEW && rdt_preload_policy_restricted()) {
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);

		if (RDT(rdt_getsockname(fd, (struct sockaddr *)&a, &len)) ==
			    0 &&
		    !rdt_preload_policy_wants((struct sockaddr *)&a, len)) {
			if (fallback_tcp(fd, &e) != 0)
				return -1;
			return real_listen(fd, backlog);
		}
	}
	rc = RDT(rdt_listen(fd, backlog));
	if (rc != 0 && errno == ENOTSOCK)
		return real_listen(fd, backlog);
	if (rc == 0) {
		e.role = ROLE_LISTENER;
		entry_addresses(fd, &e);
		entry_put(fd, &e);
	}
	return rc;
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct entry e, c;
	int nfd;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_accept4(fd, addr, len, flags);
	nfd = RDT(rdt_accept4(fd, addr, len, flags));
	if (nfd < 0 && errno == ENOTSOCK)
		return real_accept4(fd, addr, len, flags);
	if (nfd < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.role = ROLE_CONN;
	c.domain = e.domain;
	c.v6only = e.v6only;
	c.linger = e.linger;	/* options are inherited, SO_LINGER too */
	entry_addresses(nfd, &c);
	/* Without an entry the descriptor still works, as a plain one. */
	(void)entry_put(nfd, &c);
	return nfd;
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct entry e;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_accept(fd, addr, len);
	return accept4(fd, addr, len, 0);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct entry e;
	int rc, err;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_connect(fd, addr, len);
	if (e.role == ROLE_NEW && rdt_preload_policy_restricted() &&
	    addr != NULL && !rdt_preload_policy_wants(addr, len)) {
		if (fallback_tcp(fd, &e) != 0)
			return -1;
		return real_connect(fd, addr, len);
	}
	rc = RDT(rdt_connect(fd, addr, len));
	err = errno;
	if (rc != 0 && err == ENOTSOCK)
		return real_connect(fd, addr, len);
	if (rc == 0 || err == EINPROGRESS) {
		e.role = ROLE_CONN;
		entry_addresses(fd, &e);
		entry_put(fd, &e);
	}
	errno = err;
	return rc;
}

EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct entry e;
	int rc;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_getsockname(fd, addr, len);
	rc = RDT(rdt_getsockname(fd, addr, len));
	if (rc != 0 && errno == ENOTSOCK)
		return put_addr(addr, len, &e.local, e.local_len);
	return rc;
}

EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct entry e;
	int rc;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_getpeername(fd, addr, len);
	rc = RDT(rdt_getpeername(fd, addr, len));
	if (rc != 0 && errno == ENOTSOCK)
		return put_addr(addr, len, &e.peer, e.peer_len);
	return rc;
}

EXPORT int shutdown(int fd, int how)
{
	struct entry e;
	int rc;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_shutdown(fd, how);
	rc = RDT(rdt_shutdown(fd, how));
	if (rc != 0 && errno == ENOTSOCK)
		return real_shutdown(fd, how);	/* forked child */
	return rc;
}

EXPORT int close(int fd)
{
	struct entry e;
	int rc;

	preload_ready();
	if (in_lib || !entry_get(fd, &e))
		return real_close(fd);
	/* Forgotten first: once the number is free another thread may be
	 * given it, and its entry must not be the one cleared. */
	entry_clear(fd);
	/* A connection ends when its last descriptor closes, as TCP's
	 * does: librdt notices that by itself, and rdt_close would end it
	 * under a forked child that still holds a copy.  A listener or an
	 * unconnected socket needs rdt_close to free its port, and
	 * SO_LINGER needs it to wait or reset. */
	if (e.role == ROLE_CONN && !e.linger)
		return real_close(fd);
	rc = RDT(rdt_close(fd));
	if (rc != 0 && errno == ENOTSOCK)
		return real_close(fd);	/* forked child, or a stale number */
	return rc;
}

/* After a successful dup of |oldfd| to |newfd|: |newfd| is what
 * |oldfd| is. */
static void dup_entry(int oldfd, int newfd)
{
	struct entry e;

	if (newfd < 0 || oldfd == newfd)
		return;
	if (entry_get(oldfd, &e))
		(void)entry_put(newfd, &e);
	else
		entry_clear(newfd);
}

EXPORT int dup(int fd)
{
	int nfd;

	preload_ready();
	nfd = real_dup(fd);
	if (!in_lib)
		dup_entry(fd, nfd);
	return nfd;
}

EXPORT int dup2(int fd, int fd2)
{
	int nfd;

	preload_ready();
	nfd = real_dup2(fd, fd2);
	if (!in_lib)
		dup_entry(fd, nfd);
	return nfd;
}

EXPORT int dup3(int fd, int fd2, int flags)
{
	int nfd;

	preload_ready();
	nfd = real_dup3(fd, fd2, flags);
	if (!in_lib)
		dup_entry(fd, nfd);
	return nfd;
}

/*
 * fcntl passes every command through (the flags of an rdt socket live on
 * its descriptor); F_DUPFD and F_DUPFD_CLOEXEC also copy the entry.  The
 * argument is taken as the widest the commands use: an int or a pointer,
 * which travel alike in the calling conventions Linux uses.
 */
static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd,
			unsigned long arg)
{
	int rc = real(fd, cmd, arg);

	if (!in_lib && rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		dup_entry(fd, rc);
	return rc;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	unsigned long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	preload_ready();
	return fcntl_common(real_fcntl, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	unsigned long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	preload_ready();
	return fcntl_common(real_fcntl64, fd, cmd, arg);
}
