/*
 * registry.c: which socket a datagram belongs to.  Two hash tables,
 * connection ID -> socket and (server side) the client's INIT scid ->
 * socket, and each listener's handshake queue.  Everything here runs
 * under the engine lock.
 *
 *   rdt_rt_registry_add      sock_calls.c (connect), recv.c (on_init)
 *   rdt_rt_registry_remove   sock.c (a closed connection), recv.c (a full
 *                            handshake queue evicts its oldest)
 *   rdt_rt_lookup_cid/init   recv.c: a datagram's connection
 *   rdt_rt_embryo_link       recv.c: a new server connection
 *   rdt_rt_embryo_unlink     sock.c: the handshake completed
 *   rdt_rt_same_addr         recv.c: an ICMP error's peer
 *
 * Calls out only to the timer heap and rdt_rt_sock_get.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* --- registry: connection IDs ------------------------------------------- */

static size_t bucket(uint64_t key)
{
	/* IDs are random; the multiply only guards against a peer that
	 * picks structured scids. */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) &
	       (eng.nbuckets - 1);
}

/* Engine lock held.  Doubles the tables when they get crowded. */
static void maybe_grow(void)
{
	size_t n = eng.nbuckets * 2, i;
	struct rt_sock **cids, **inits;

	if (eng.nconns < eng.nbuckets)
		return;
	cids = calloc(n, sizeof(*cids));
	inits = calloc(n, sizeof(*inits));
	if (!cids || !inits) {
		/* Longer chains, still correct. */
		free(cids);
		free(inits);
		return;
	}
	for (i = 0; i < eng.nbuckets; i++) {
		struct rt_sock *s, *next;

		for (s = eng.cids[i]; s; s = next) {
			size_t b = (size_t)((s->cid * 0x9e3779b97f4a7c15ULL) >>
					    32) & (n - 1);

			next = s->cid_next;
			s->cid_next = cids[b];
			cids[b] = s;
		}
		for (s = eng.inits[i]; s; s = next) {
			size_t b = (size_t)((s->init_scid *
					     0x9e3779b97f4a7c15ULL) >> 32) &
				   (n - 1);

			next = s->init_next;
			s->init_next = inits[b];
			inits[b] = s;
		}
	}
	free(eng.cids);
	free(eng.inits);
	eng.cids = cids;
	eng.inits = inits;
	eng.nbuckets = n;
}

/*
 * Adds |s| (with a core connection) to the tables and takes a reference.
 * Room for its timer is made now, so that timers never fail later.
 * Returns 0 or -ENOMEM.  Engine lock held.
 */
int rdt_rt_registry_add(struct rt_sock *s, int server)
{
	size_t b;

	if (rdt_timerheap_reserve(&eng.heap, eng.nconns + 1) != 0)
		return -ENOMEM;
	maybe_grow();
	s->cid = rdt_conn_local_cid(s->conn);
	b = bucket(s->cid);
	s->cid_next = eng.cids[b];
	eng.cids[b] = s;
	if (server) {
		s->init_scid = rdt_conn_peer_cid(s->conn);
		b = bucket(s->init_scid);
		s->init_next = eng.inits[b];
		eng.inits[b] = s;
	}
	s->registered = 1;
	eng.nconns++;
	rdt_rt_sock_get(s);
	return 0;
}

static void unlink_from(struct rt_sock **head, struct rt_sock *s,
			size_t next_offset)
{
	struct rt_sock **pp;

	for (pp = head; *pp;
	     pp = (struct rt_sock **)((char *)*pp + next_offset))
		if (*pp == s) {
			*pp = *(struct rt_sock **)((char *)s + next_offset);
			return;
		}
}

/* A listener's connections still shaking hands, oldest first, so that a
 * full handshake queue can make room.  Engine lock held. */
void rdt_rt_embryo_link(struct rt_sock *l, struct rt_sock *s)
{
	s->emb_prev = l->emb_tail;
	s->emb_next = NULL;
	if (l->emb_tail)
		l->emb_tail->emb_next = s;
	else
		l->emb_head = s;
	l->emb_tail = s;
	l->embryos++;
	s->embryo = 1;
}

void rdt_rt_embryo_unlink(struct rt_sock *s)
{
	struct rt_sock *l = s->parent;

	if (!s->embryo)
		return;
	if (s->emb_prev)
		s->emb_prev->emb_next = s->emb_next;
	else
		l->emb_head = s->emb_next;
	if (s->emb_next)
		s->emb_next->emb_prev = s->emb_prev;
	else
		l->emb_tail = s->emb_prev;
	l->embryos--;
	s->embryo = 0;
}

/* Removes |s| from the tables and the timer heap; the caller drops the
 * registry's reference after unlocking.  Engine lock held. */
void rdt_rt_registry_remove(struct rt_sock *s)
{
	unlink_from(&eng.cids[bucket(s->cid)], s,
		    offsetof(struct rt_sock, cid_next));
	if (s->server)
		unlink_from(&eng.inits[bucket(s->init_scid)], s,
			    offsetof(struct rt_sock, init_next));
	rdt_timerheap_remove(&eng.heap, &s->timer);
	rdt_rt_embryo_unlink(s);
	if (s->ep && s->ep->client == s)
		s->ep->client = NULL;
	s->registered = 0;
	eng.nconns--;
}

/* Engine lock held; returns the socket with a reference, or NULL. */
struct rt_sock *rdt_rt_lookup_cid(uint64_t cid, const struct rt_endpoint *ep)
{
	struct rt_sock *s;

	for (s = eng.cids[bucket(cid)]; s; s = s->cid_next)
		if (s->cid == cid && s->ep == ep) {
			rdt_rt_sock_get(s);
			return s;
		}
	return NULL;
}

int rdt_rt_same_addr(const struct sockaddr_storage *a, socklen_t alen,
		     const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Engine lock held; the server connection an INIT from |from| with
 * |scid| already made, with a reference, or NULL. */
struct rt_sock *rdt_rt_lookup_init(uint64_t scid, const struct rt_endpoint *ep,
				   const struct sockaddr_storage *from,
				   socklen_t fromlen)
{
	struct rt_sock *s;

	for (s = eng.inits[bucket(scid)]; s; s = s->init_next)
		if (s->init_scid == scid && s->ep == ep &&
		    rdt_rt_same_addr(&s->peer, s->peer_len, from, fromlen)) {
			rdt_rt_sock_get(s);
			return s;
		}
	return NULL;
}
