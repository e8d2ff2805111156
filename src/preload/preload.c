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
 *   the fd table      which descriptors are rdt sockets this library made,
 *                     their role, and their addresses for a forked child
 *   fallback_tcp      an rdt socket the policy does not want becomes a
 *                     kernel TCP socket under the same number
 *   the interposers   socket ... fcntl, at the end
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
 * (The engine's one call on an application's end, the getsockopt
 * SO_SNDBUF that sizes the block making a new descriptor unwritable,
 * comes before the descriptor is handed out, or, for a connection being
 * established, not at all: it must not, as it holds the socket's lock
 * that rdt_getsockopt would take.)
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
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "preload.h"
#include "rdt.h"

/* Exported: the interposers carry libc's names.  Everything else in
 * this object is hidden by -fvisibility=hidden. */
#define EXPORT __attribute__((visibility("default")))

/* --- the C library's functions ------------------------------------------ */

static int (*real_socket)(int, int, int);
static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_shutdown)(int, int);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
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
static void ready(void)
{
	pthread_once(&init_once, init);
}

/* Runs at load time, so that the first socket call of a program with
 * threads finds everything resolved. */
__attribute__((constructor)) static void preload_ctor(void)
{
	ready();
}

/* --- calls into librdt ----------------------------------------------------- */

/* Set while this thread is inside librdt: its calls go to libc.
 * initial-exec: the library is loaded at start-up, never by dlopen, so
 * its thread-local block is static and reading it calls nothing. */
static __thread int in_lib __attribute__((tls_model("initial-exec")));

/* Evaluates |call| (an rdt_* call) with in_lib set. */
#define RDT(call)                                                          \
	({                                                                 \
		__typeof__(call) rc_;                                      \
		in_lib++;                                                  \
		rc_ = (call);                                              \
		in_lib--;                                                  \
		rc_;                                                       \
	})

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

/* --- the fd table -------------------------------------------------------- */

/* What a descriptor of ours is doing; decides how close ends it. */
enum role {
	ROLE_NEW = 1,	/* created, not yet listening or connecting */
	ROLE_LISTENER,
	ROLE_CONN,	/* connecting, connected or accepted */
};

struct entry {
	unsigned char role;	/* enum role; 0: not an rdt descriptor */
	unsigned char bound;	/* bind succeeded: a fallback binds too */
	unsigned char any_port;	/* ... and asked for port 0 */
	unsigned char linger;	/* SO_LINGER set: close through rdt_close */
	unsigned char v6only;	/* IPV6_V6ONLY as last set (not honoured) */
	int domain;
	/* The file the number named when the entry was made: a number
	 * closed behind our back (close_range, a race with close) and
	 * reused for another file is told apart by it. */
	dev_t dev;
	ino_t ino;
	/* For a forked child, where librdt no longer answers. */
	struct sockaddr_in6 local, peer;
	socklen_t local_len, peer_len;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table;
static size_t table_len;

/*
 * Copies |fd|'s entry to |e|; returns 1 if |fd| is ours.  An entry
 * whose file is no longer the one behind |fd| is stale: it is dropped
 * and |fd| is not ours.  That costs an fstat for our descriptors only;
 * the engine thread's descriptors, never entered, cost a table look.
 */
static int entry_get(int fd, struct entry *e)
{
	struct stat st;
	int ours = 0;

	if (fd < 0)
		return 0;
	pthread_mutex_lock(&table_lock);
	if ((size_t)fd < table_len && table[fd].role) {
		*e = table[fd];
		ours = 1;
	}
	pthread_mutex_unlock(&table_lock);
	if (!ours)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino)
		return 1;
	pthread_mutex_lock(&table_lock);
	if ((size_t)fd < table_len && table[fd].role &&
	    table[fd].dev == e->dev && table[fd].ino == e->ino)
		memset(&table[fd], 0, sizeof(table[fd]));
	pthread_mutex_unlock(&table_lock);
	return 0;
}

/* Stores |e| as |fd|'s entry (a zeroed |e| clears it).  Returns -1 if
 * the table cannot grow: the descriptor then works, but as a plain one. */
static int entry_put(int fd, const struct entry *e)
{
	struct entry copy = *e;
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -1;
	if (copy.role) {
		if (fstat(fd, &st) != 0)
			return -1;
		copy.dev = st.st_dev;
		copy.ino = st.st_ino;
	}
	e = &copy;
	pthread_mutex_lock(&table_lock);
	if ((size_t)fd >= table_len && e->role) {
		size_t len = table_len ? table_len : 256;
		struct entry *t;

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
	if (rc == 0 && (size_t)fd < table_len)
		table[fd] = *e;
	pthread_mutex_unlock(&table_lock);
	return rc;
}

static void entry_clear(int fd)
{
	struct entry none;

	memset(&none, 0, sizeof(none));
	entry_put(fd, &none);
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

/* The table is locked across fork, so the child gets it consistent. */
static void table_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

static void table_release(void)
{
	pthread_mutex_unlock(&table_lock);
}

__attribute__((constructor)) static void table_ctor(void)
{
	pthread_atfork(table_prepare, table_release, table_release);
}

/* --- policy ---------------------------------------------------------------- */

/* A socket the library could make rdt, before the policy's word. */
static int tcp_kind(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

/* Options carried from an rdt socket to the TCP socket that replaces it:
 * every int option that both know. */
static const struct {
	int level, name;
} carried[] = {
	{ SOL_SOCKET, SO_REUSEADDR },	{ SOL_SOCKET, SO_REUSEPORT },
	{ SOL_SOCKET, SO_KEEPALIVE },	{ IPPROTO_TCP, TCP_NODELAY },
	{ IPPROTO_TCP, TCP_KEEPIDLE },	{ IPPROTO_TCP, TCP_KEEPINTVL },
	{ IPPROTO_TCP, TCP_KEEPCNT },
};

/*
 * Turns the rdt socket |fd| (entry |e|, not yet listening or connected)
 * into a kernel TCP socket under the same number, with its options,
 * flags and local address.  dup3 replaces the descriptor atomically, so
 * no other thread can be handed the number in between; librdt then
 * finds its entry for |fd| stale and releases the socket (and its UDP
 * port) in rdt_close.  Returns 0, or -1 with errno.
 */
static int fallback_tcp(int fd, const struct entry *e)
{
	int fl = real_fcntl(fd, F_GETFL), fdfl = real_fcntl(fd, F_GETFD);
	int t, i, v;
	socklen_t len;
	struct timeval tv;
	struct linger lg;

	if (fl < 0 || fdfl < 0)
		return -1;
	t = real_socket(e->domain, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (t < 0)
		return -1;
	for (i = 0; i < (int)(sizeof(carried) / sizeof(carried[0])); i++) {
		len = sizeof(v);
		if (RDT(rdt_getsockopt(fd, carried[i].level, carried[i].name,
				       &v, &len)) == 0)
			(void)real_setsockopt(t, carried[i].level,
					      carried[i].name, &v, len);
	}
	len = sizeof(tv);
	if (RDT(rdt_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len)) == 0)
		(void)real_setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, len);
	len = sizeof(tv);
	if (RDT(rdt_getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len)) == 0)
		(void)real_setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, len);
	len = sizeof(lg);
	if (RDT(rdt_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len)) == 0)
		(void)real_setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, len);
	if (e->domain == AF_INET6) {
		v = e->v6only;
		(void)real_setsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &v,
				      sizeof(v));
	}
	if (e->bound) {
		struct sockaddr_storage a;

		len = sizeof(a);
		if (RDT(rdt_getsockname(fd, (struct sockaddr *)&a, &len)) !=
		    0)
			goto fail;
		/* Port 0 asked for any port: the one rdt chose for UDP may
		 * be taken for TCP. */
		if (e->any_port && a.ss_family == AF_INET)
			((struct sockaddr_in *)&a)->sin_port = 0;
		else if (e->any_port && a.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&a)->sin6_port = 0;
		if (real_bind(t, (struct sockaddr *)&a, len) != 0)
			goto fail;
	}
	if (real_fcntl(t, F_SETFL, fl) != 0 ||
	    real_dup3(t, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		goto fail;
	real_close(t);
	entry_clear(fd);
	/* The number now names the TCP socket: librdt drops its stale
	 * entry for it and fails with ENOTSOCK, as it should. */
	(void)RDT(rdt_close(fd));
	return 0;
fail:
	i = errno;
	real_close(t);
	errno = i;
	return -1;
}

/*
 * Options a TCP program may set that rdt does not have, and that change
 * no meaning when ignored: hints for the network (TOS, priority), for
 * the kernel's TCP (cork, defer accept, fast open, window clamp).  They
 * are accepted and read back as 0, so programs that treat their failure
 * as fatal run on.  rdt-run(1) lists them.
 */
static int ignorable(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_PRIORITY;
	case IPPROTO_IP:
		return name == IP_TOS;
	case IPPROTO_IPV6:
		return name == IPV6_TCLASS;
	case IPPROTO_TCP:
		return name == TCP_CORK || name == TCP_DEFER_ACCEPT ||
		       name == TCP_FASTOPEN ||
		       name == TCP_FASTOPEN_CONNECT ||
		       name == TCP_WINDOW_CLAMP;
	default:
		return 0;
	}
}

/* Writes an int option value as getsockopt(2) does. */
static int put_int(void *val, socklen_t *len, int v)
{
	if (val == NULL || len == NULL) {
		errno = EFAULT;
		return -1;
	}
	if (*len > sizeof(v))
		*len = sizeof(v);
	memcpy(val, &v, *len);
	return 0;
}

/* Copies a remembered address out as getsockname(2) does. */
static int put_addr(struct sockaddr *addr, socklen_t *len,
		    const struct sockaddr_in6 *a, socklen_t alen)
{
	if (len == NULL) {
		errno = EFAULT;
		return -1;
	}
	if (alen == 0) {
		errno = ENOTCONN;
		return -1;
	}
	if (addr)
		memcpy(addr, a, *len < alen ? *len : alen);
	*len = alen;
	return 0;
}

/* --- the interposers --------------------------------------------------------- */

EXPORT int socket(int domain, int type, int protocol)
{
	struct entry e;
	int fd;

	ready();
	if (in_lib || !tcp_kind(domain, type, protocol))
		return real_socket(domain, type, protocol);
	fd = RDT(rdt_socket(domain, type, protocol));
	if (fd < 0)
		return -1;
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

	ready();
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

	ready();
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

	ready();
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

	ready();
	if (in_lib || !entry_get(fd, &e))
		return real_accept(fd, addr, len);
	return accept4(fd, addr, len, 0);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct entry e;
	int rc, err;

	ready();
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

	ready();
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

	ready();
	if (in_lib || !entry_get(fd, &e))
		return real_getpeername(fd, addr, len);
	rc = RDT(rdt_getpeername(fd, addr, len));
	if (rc != 0 && errno == ENOTSOCK)
		return put_addr(addr, len, &e.peer, e.peer_len);
	return rc;
}

EXPORT int getsockopt(int fd, int level, int name, void *val,
		      socklen_t *len)
{
	struct entry e;
	int rc, err;

	ready();
	if (in_lib || !entry_get(fd, &e))
		return real_getsockopt(fd, level, name, val, len);
	rc = RDT(rdt_getsockopt(fd, level, name, val, len));
	if (rc == 0)
		return 0;
	err = errno;
	if (err == ENOTSOCK && level == SOL_SOCKET) {
		/* A forked child: what TCP would answer. */
		if (name == SO_TYPE)
			return put_int(val, len, SOCK_STREAM);
		if (name == SO_DOMAIN)
			return put_int(val, len, e.domain);
		if (name == SO_PROTOCOL)
			return put_int(val, len, IPPROTO_TCP);
		if (name == SO_ACCEPTCONN)
			return put_int(val, len, e.role == ROLE_LISTENER);
		return real_getsockopt(fd, level, name, val, len);
	}
	if (err == ENOTSOCK)
		return real_getsockopt(fd, level, name, val, len);
	if (err == ENOPROTOOPT) {
		if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
			return put_int(val, len, e.role == ROLE_LISTENER);
		if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY &&
		    e.domain == AF_INET6)
			return put_int(val, len, e.v6only);
		if (ignorable(level, name))
			return put_int(val, len, 0);
	}
	errno = err;
	return -1;
}

EXPORT int setsockopt(int fd, int level, int name, const void *val,
		      socklen_t len)
{
	struct entry e;
	int rc, err;

	ready();
	if (in_lib || !entry_get(fd, &e))
		return real_setsockopt(fd, level, name, val, len);
	rc = RDT(rdt_setsockopt(fd, level, name, val, len));
	err = errno;
	if (rc == 0) {
		if (level == SOL_SOCKET && name == SO_LINGER && val &&
		    len >= sizeof(struct linger)) {
			e.linger = ((const struct linger *)val)->l_onoff != 0;
			entry_put(fd, &e);
		}
		return 0;
	}
	if (err == ENOTSOCK) {
		/* A forked child: the connection runs in the parent, which
		 * alone could change it.  The change is accepted without
		 * effect, as the child cannot tell. */
		if (level == SOL_SOCKET || level == IPPROTO_TCP)
			return 0;
		return real_setsockopt(fd, level, name, val, len);
	}
	if (err == ENOPROTOOPT && level == IPPROTO_IPV6 &&
	    name == IPV6_V6ONLY && e.domain == AF_INET6 && val &&
	    len >= sizeof(int)) {
		/* Dual-stack servers clear it; rdt's UDP socket follows the
		 * system default (net.ipv6.bindv6only) whatever is set. */
		e.v6only = *(const int *)val != 0;
		entry_put(fd, &e);
		return 0;
	}
	if (err == ENOPROTOOPT && ignorable(level, name))
		return 0;
	errno = err;
	return -1;
}

EXPORT int shutdown(int fd, int how)
{
	struct entry e;
	int rc;

	ready();
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

	ready();
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

	ready();
	nfd = real_dup(fd);
	if (!in_lib)
		dup_entry(fd, nfd);
	return nfd;
}

EXPORT int dup2(int fd, int fd2)
{
	int nfd;

	ready();
	nfd = real_dup2(fd, fd2);
	if (!in_lib)
		dup_entry(fd, nfd);
	return nfd;
}

EXPORT int dup3(int fd, int fd2, int flags)
{
	int nfd;

	ready();
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
	ready();
	return fcntl_common(real_fcntl, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	unsigned long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	ready();
	return fcntl_common(real_fcntl64, fd, cmd, arg);
}
