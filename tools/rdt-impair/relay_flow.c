/*
 * relay_flow.c: rdt-impair's flow table: client address -> the connected
 * socket that forwards its datagrams, a chained hash over a fixed array.
 * A tag names a flow by slot and generation, so a datagram queued for a
 * flow closed since is recognised and dropped (relay.c, release()).
 *
 *   flow_open / flow_close / flows_reap   life cycle, idle timeout
 *   flow_find / flow_by_tag / flow_tag    lookups
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "relay_int.h"

/* The bytes of an address that identify a client: port and address. */
static size_t addr_key(const struct sockaddr_storage *ss,
		       const uint8_t **pkey)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6) {
		*pkey = (const uint8_t *)&sin6->sin6_port;
		/* Port, flow info and address are contiguous. */
		return offsetof(struct sockaddr_in6, sin6_scope_id) -
		       offsetof(struct sockaddr_in6, sin6_port);
	}
	*pkey = (const uint8_t *)&sin->sin_port;
	return sizeof(sin->sin_port) + sizeof(sin->sin_addr);
}

static int addr_equal(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	const uint8_t *ka, *kb;
	size_t na, nb;

	if (a->ss_family != b->ss_family)
		return 0;
	na = addr_key(a, &ka);
	nb = addr_key(b, &kb);
	return na == nb && memcmp(ka, kb, na) == 0;
}

/* FNV-1a over the address key. */
static unsigned addr_hash(const struct relay *r,
			  const struct sockaddr_storage *ss)
{
	const uint8_t *k;
	size_t n = addr_key(ss, &k), i;
	uint32_t h = 2166136261u;

	for (i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h & (r->nbuckets - 1);
}

uint64_t flow_tag(const struct flow *f)
{
	return ((uint64_t)f->gen << 32) | f->slot;
}

struct flow *flow_by_tag(struct relay *r, uint64_t tag)
{
	struct flow *f = &r->flows[(uint32_t)tag % r->o->max_flows];

	if (f->fd < 0 || f->gen != (uint32_t)(tag >> 32))
		return NULL;
	return f;
}

struct flow *flow_find(struct relay *r,
		       const struct sockaddr_storage *client)
{
	struct flow *f;

	for (f = r->buckets[addr_hash(r, client)]; f; f = f->hnext)
		if (addr_equal(&f->client, client))
			return f;
	return NULL;
}

struct flow *flow_open(struct relay *r,
		       const struct sockaddr_storage *client,
		       socklen_t client_len, uint64_t now)
{
	const struct relay_opts *o = r->o;
	struct epoll_event ev = { .events = EPOLLIN };
	struct flow *f, **bucket;
	int fd;

	if (r->nfree == 0) {
		r->rs->dropped_flow_limit++;
		return NULL;
	}
	fd = socket(o->forward.ss_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	tune_socket(fd);
	if (connect(fd, (const struct sockaddr *)&o->forward,
		    o->forward_len) < 0)
		goto fail;
	f = &r->flows[r->free_slots[--r->nfree]];
	ev.data.u64 = EV(EV_FLOW, f->slot);
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r->nfree++;
		goto fail;
	}
	f->fd = fd;
	f->gen++;
	memcpy(&f->client, client, client_len);
	f->client_len = client_len;
	f->last_active = now;
	bucket = &r->buckets[addr_hash(r, client)];
	f->hnext = *bucket;
	*bucket = f;
	r->nflows++;
	r->rs->flows++;
	if (r->nflows > r->rs->flows_peak)
		r->rs->flows_peak = r->nflows;
	return f;
fail:
	/* Say it once: a flood of the same line would help no one. */
	if (!r->warned_flow_socket) {
		warn("cannot open a socket toward the forward address");
		r->warned_flow_socket = 1;
	}
	if (fd >= 0)
		close(fd);
	r->rs->dropped_flow_limit++;
	return NULL;
}

void flow_close(struct relay *r, struct flow *f)
{
	struct flow **pp = &r->buckets[addr_hash(r, &f->client)];
	int d;

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	for (d = 0; d < DIR_COUNT; d++)
		if (r->blocked[d] == f->fd)
			r->blocked[d] = -1;
	close(f->fd);	/* also leaves the epoll set */
	f->fd = -1;
	r->free_slots[r->nfree++] = f->slot;
	r->nflows--;
}

void flows_reap(struct relay *r, uint64_t now)
{
	unsigned i;

	for (i = 0; i < r->o->max_flows; i++) {
		struct flow *f = &r->flows[i];

		if (f->fd >= 0 && now - f->last_active >= r->o->flow_timeout)
			flow_close(r, f);
	}
}
