/*
 * addr.c: HOST and PORT to addresses, and addresses back to text.
 *
 * rcat_resolve() is what the client and the listener call first;
 * rcat_format_addr() and rcat_format_local() name the ends of a
 * connection for -v, --stats and the error messages.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "rcat.h"


/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6, numeric. */
void rcat_format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
		      size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

void rcat_format_local(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (rdt_getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		rcat_format_addr((struct sockaddr *)&ss, len, buf, size);
}
int rcat_resolve(const struct rcat_options *o, bool passive,
		 struct addrinfo **res, struct rcat_session *s)
{
	struct addrinfo hints;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	/* rdt runs over UDP: PORT names a UDP port. */
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	err = getaddrinfo(o->host, o->port, &hints, res);
	if (err == EAI_SYSTEM)
		rcat_fail(s, errno, "%s port %s", o->host ? o->host : "*",
			  o->port);
	else if (err)
		rcat_fail(s, 0, "%s port %s: %s", o->host ? o->host : "*",
			  o->port, gai_strerror(err));
	return err ? -1 : 0;
}
