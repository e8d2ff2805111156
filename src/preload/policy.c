/*
 * policy.c: which TCP sockets of the program become rdt sockets.
 *
 * rdt-run(1) passes its --ports and --exclude options in two environment
 * variables, read once by rdt_preload_policy_init:
 *
 *   RDT_RUN_PORTS    "9000,8000-8100": only these service ports are rdt
 *                    (empty or unset: every port)
 *   RDT_RUN_EXCLUDE  "10.0.0.0/8,[::1]:80,:53,192.0.2.1:8080": these
 *                    addresses, networks and ports stay TCP
 *
 * The service address of a socket is its peer's for a connect and its
 * own for a listen: that is where the decision is taken (preload.c), as
 * a socket's port is not known when it is created.  Addresses are
 * compared as IPv4 when an IPv6 socket carries an IPv4-mapped one, so
 * "127.0.0.1" also excludes ::ffff:127.0.0.1.
 *
 * rdt-run links this file too, to refuse a list that does not parse
 * before the program runs.
 *
 * The lists are parsed into fixed arrays: the library runs inside any
 * program and allocates nothing for this.  MAX_RULES says how many.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

/* Entries per list; a longer list is reported and its tail ignored. */
#define MAX_RULES 64

/* A port range, both ends included. */
struct port_range {
	unsigned short lo, hi;
};

/* An exclusion: a network (|plen| leading bits of |addr| in |family|;
 * family 0 matches any address) and a port (0: any). */
struct exclude {
	int family;
	unsigned char addr[16];
	int plen;
	unsigned short port;
};

static struct port_range ports[MAX_RULES];
static int nports;
static struct exclude excludes[MAX_RULES];
static int nexcludes;
/* Items that did not parse, for rdt-run to refuse them. */
static int nbad;

static void warn_bad(const char *var, const char *item)
{
	fprintf(stderr, "librdt-preload: %s: cannot parse \"%s\"; ignored\n",
		var, item);
}

/* "N" or "N-M", 1..65535. */
static int parse_port_range(const char *s, struct port_range *r)
{
	char *end;
	long lo = strtol(s, &end, 10), hi = lo;

	if (end == s)
		return -1;
	if (*end == '-') {
		const char *h = end + 1;

		hi = strtol(h, &end, 10);
		if (end == h)
			return -1;
	}
	if (*end != '\0' || lo < 1 || hi > 65535 || lo > hi)
		return -1;
	r->lo = (unsigned short)lo;
	r->hi = (unsigned short)hi;
	return 0;
}

static int parse_port(const char *s, unsigned short *port)
{
	struct port_range r;

	if (parse_port_range(s, &r) != 0 || r.lo != r.hi)
		return -1;
	*port = r.lo;
	return 0;
}

/* "ADDR[/PREFIX]", IPv4 or IPv6 (brackets already removed). */
static int parse_net(char *s, struct exclude *x)
{
	char *slash = strchr(s, '/');
	int max;

	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, s, x->addr) == 1) {
		x->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, s, x->addr) == 1) {
		x->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	x->plen = max;
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);

		if (end == slash + 1 || *end != '\0' || p < 0 || p > max)
			return -1;
		x->plen = (int)p;
	}
	return 0;
}

/*
 * One exclusion: ":PORT", "ADDR[/PREFIX]", "ADDR[/PREFIX]:PORT" for IPv4,
 * "[ADDR][/PREFIX]" or "[ADDR][/PREFIX]:PORT" for IPv6, or a bare IPv6
 * address (more than one colon, so no port can follow).
 */
static int parse_exclude(char *s, struct exclude *x)
{
	char *colon;

	memset(x, 0, sizeof(*x));
	if (*s == '[') {
		char *close = strchr(s, ']');
		char net[80];

		if (close == NULL || (size_t)(close - s) >= sizeof(net))
			return -1;
		/* "[::1]/64" and "[::1/64]" are both accepted. */
		memcpy(net, s + 1, (size_t)(close - s - 1));
		net[close - s - 1] = '\0';
		s = close + 1;
		if (*s == '/') {
			size_t l = strlen(net);
			char *c = strchr(s, ':');
			size_t n = c ? (size_t)(c - s) : strlen(s);

			if (l + n >= sizeof(net))
				return -1;
			memcpy(net + l, s, n);
			net[l + n] = '\0';
			s += n;
		}
		if (parse_net(net, x) != 0 || x->family != AF_INET6)
			return -1;
		if (*s == '\0')
			return 0;
		return *s == ':' ? parse_port(s + 1, &x->port) : -1;
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':'))
		return parse_net(s, x);	/* bare IPv6, no port */
	if (colon) {
		*colon = '\0';
		if (parse_port(colon + 1, &x->port) != 0)
			return -1;
		if (*s == '\0')
			return 0;	/* ":PORT": any address */
	}
	return parse_net(s, x) == 0 && x->family == AF_INET ? 0 : -1;
}

/* Splits |var|'s value at commas and spaces and hands each item to
 * |one|, which returns 0 if it took it. */
static void parse_list(const char *var, int (*one)(char *item))
{
	const char *v = getenv(var);
	char buf[4096], *save = NULL, *item;

	if (v == NULL || *v == '\0')
		return;
	if (strlen(v) >= sizeof(buf)) {
		warn_bad(var, "(too long)");
		nbad++;
		return;
	}
	strcpy(buf, v);
	for (item = strtok_r(buf, ", \t", &save); item;
	     item = strtok_r(NULL, ", \t", &save)) {
		char copy[256];

		snprintf(copy, sizeof(copy), "%s", item);
		if (one(item) != 0) {
			warn_bad(var, copy);
			nbad++;
		}
	}
}

static int add_port(char *item)
{
	if (nports == MAX_RULES)
		return -1;
	if (parse_port_range(item, &ports[nports]) != 0)
		return -1;
	nports++;
	return 0;
}

static int add_exclude(char *item)
{
	if (nexcludes == MAX_RULES)
		return -1;
	if (parse_exclude(item, &excludes[nexcludes]) != 0)
		return -1;
	nexcludes++;
	return 0;
}

int rdt_preload_policy_init(void)
{
	parse_list("RDT_RUN_PORTS", add_port);
	parse_list("RDT_RUN_EXCLUDE", add_exclude);
	return nbad;
}

int rdt_preload_policy_restricted(void)
{
	return nports > 0 || nexcludes > 0;
}

/* Do the first |plen| bits of |a| and |b| agree? */
static int prefix_match(const unsigned char *a, const unsigned char *b,
			int plen)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

int rdt_preload_policy_wants(const struct sockaddr *addr, socklen_t len)
{
	unsigned char a[16];
	unsigned short port;
	int family, i;

	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)addr;

		family = AF_INET;
		memcpy(a, &in->sin_addr, 4);
		port = ntohs(in->sin_port);
	} else if (addr->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)addr;

		port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			family = AF_INET;
			memcpy(a, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			family = AF_INET6;
			memcpy(a, &in6->sin6_addr, 16);
		}
	} else {
		/* Not an address we can judge: rdt says what is wrong. */
		return 1;
	}
	if (nports > 0) {
		for (i = 0; i < nports; i++)
			if (port >= ports[i].lo && port <= ports[i].hi)
				break;
		if (i == nports)
			return 0;
	}
	for (i = 0; i < nexcludes; i++) {
		const struct exclude *x = &excludes[i];

		if (x->port && x->port != port)
			continue;
		if (x->family && (x->family != family ||
				  !prefix_match(a, x->addr, x->plen)))
			continue;
		return 0;
	}
	return 1;
}
