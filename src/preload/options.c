/*
 * options.c: socket options of the rdt sockets librdt-preload.so makes,
 * answered as TCP would, and the TCP socket that replaces an rdt socket
 * the policy does not want, carrying its options (preload.h).
 *
 *   fallback_tcp      an rdt socket becomes kernel TCP under its number
 *   ignorable         TCP-only options accepted without effect
 *   getsockopt, setsockopt   the interposers
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "preload.h"
#include "rdt.h"

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
int fallback_tcp(int fd, const struct entry *e)
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
int put_addr(struct sockaddr *addr, socklen_t *len,
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

EXPORT int getsockopt(int fd, int level, int name, void *val,
		      socklen_t *len)
{
	struct entry e;
	int rc, err;

	preload_ready();
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

	preload_ready();
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

