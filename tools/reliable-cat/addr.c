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
#include <stdlib.h>
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

/*
 * rcat_parse_port - check PORT on the command line and give its number
 *
 * Digits are a port from 1 to 65535, or 0 if |zero_ok| (a listener's
 * "any free port"); anything larger is refused rather than wrapped, as
 * getaddrinfo would wrap it.  Anything else is a service name, looked up
 * as a TCP service: rdt mirrors TCP, so "http" is port 80 (the UDP
 * entries differ or are missing for many services), unless -n forbids
 * lookups (|numeric|).  A bad port is a
 * usage error: the process exits 2.
 */
unsigned int rcat_parse_port(const char *arg, bool zero_ok, bool numeric)
{
	struct addrinfo hints, *res;
	unsigned long v;
	unsigned int port;
	int err;

	if (*arg && strspn(arg, "0123456789") == strlen(arg)) {
		const char *d = arg + strspn(arg, "0");

		/* Many digits could overflow strtoul; any port fits in 5. */
		v = strlen(d) > 5 ? 65536 : strtoul(arg, NULL, 10);
		if (v > 65535)
			rcat_usage("port %s is out of range (%s to 65535)",
				   arg, zero_ok ? "0" : "1");
		if (v == 0 && !zero_ok)
			rcat_usage("port 0 is only for -l (any free port)");
		return (unsigned int)v;
	}
	if (numeric)
		rcat_usage("-n: port '%s' is not a number", arg);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE;
	err = *arg ? getaddrinfo(NULL, arg, &hints, &res) : EAI_SERVICE;
	if (err)
		rcat_usage("unknown port or service '%s' (a number from 1 to "
			   "65535, or a TCP service name)", arg);
	port = ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port);
	freeaddrinfo(res);
	return port;
}

int rcat_resolve(const struct rcat_options *o, bool passive,
		 struct addrinfo **res, struct rcat_session *s)
{
	struct addrinfo hints;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	/* The port was checked and made numeric by rcat_parse_port. */
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICSERV |
			 (o->numeric ? AI_NUMERICHOST : 0);
	err = getaddrinfo(o->host, o->port_num, &hints, res);
	if (err == EAI_SYSTEM)
		rcat_fail(s, errno, "%s port %s", o->host ? o->host : "*",
			  o->port);
	else if (err)
		rcat_fail(s, 0, "%s port %s: %s", o->host ? o->host : "*",
			  o->port, gai_strerror(err));
	return err ? -1 : 0;
}

int rcat_bind_source(int fd, int family, const struct rcat_options *o,
		     struct rcat_session *s)
{
	const char *port = o->src_port_num[0] ? o->src_port_num : "0";
	struct addrinfo hints, *res;
	int err;

	if (!o->src_host && !o->src_port_num[0])
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV |
			 (o->numeric ? AI_NUMERICHOST : 0);
	err = getaddrinfo(o->src_host, port, &hints, &res);
	if (err) {
		rcat_fail(s, 0, "source %s port %s: %s",
			  o->src_host ? o->src_host : "*", port,
			  err == EAI_SYSTEM ? strerror(errno) :
			  gai_strerror(err));
		return -1;
	}
	err = rdt_bind(fd, res->ai_addr, res->ai_addrlen) < 0 ? errno : 0;
	freeaddrinfo(res);
	if (err) {
		rcat_fail(s, err, "bind to source %s port %s",
			  o->src_host ? o->src_host : "*", port);
		return -1;
	}
	return 0;
}
