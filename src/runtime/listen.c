/*
 * listen.c: datagrams no connection claimed, on the engine thread: the
 * listener's side of the receive path (recv.c hands them over).
 *
 *   rdt_rt_on_unclaimed   core/admit.c's verdict carried out: drop,
 *                         RESET, a peer that forgot us, or a handshake
 *   start_handshake       a new server connection in the listener's
 *                         handshake queue, once address_validated says
 *                         its client may have state
 *   address_validated     the cookie round trip (core/cookie.h) when the
 *                         queue is full or RDT_VALIDATE_ADDR asks always
 *   send_reply            a datagram back to a sender we hold nothing for
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "core/admit.h"
#include "core/cookie.h"
#include "core/err.h"
#include "core/seal.h"
#include "engine_int.h"
#include "recv_int.h"

/* How long a connection in the handshake queue that did not prove its
 * address keeps its place against one that did: RFC 6298's initial RTO,
 * by which a real client has answered its ACCEPT unless that was lost. */
#define EMBRYO_GRACE (1 * RDT_S)

/* Sends the |len|-byte datagram at |buf| back to the sender of |da|,
 * for whom we hold no connection. */
static void send_reply(struct rt_endpoint *ep, const uint8_t *buf,
		       size_t len, const struct rdt_rt_dgram_addr *da)
{
	uint8_t ctrl[RT_PKTINFO_SPACE];
	struct msghdr mh;
	struct iovec iov;

	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (!ep->connected) {
		mh.msg_name = (void *)&da->from;
		mh.msg_namelen = da->fromlen;
		if (ep->pktinfo) {
			mh.msg_control = ctrl;
			mh.msg_controllen = rdt_rt_pktinfo_cmsg(ctrl, &da->to);
		}
	}
	if (sendmsg(ep->fd, &mh, 0) == (ssize_t)len) {
		stat_add(&ep->stats.sent, 1);
		rdt_rt_pcap_record(&da->to, &da->from, buf, len);
	} else {
		stat_add(&ep->stats.send_errors, 1);
	}
}

/* A bare RESET for a connection ID we do not hold. */
static void send_reset(struct rt_endpoint *ep, uint64_t dcid, uint32_t reason,
		       const struct rdt_rt_dgram_addr *da)
{
	uint8_t buf[RDT_PKT_RESET_SIZE];
	rdt_ssize len = rdt_pkt_encode_reset(buf, sizeof(buf), dcid, reason);

	if (len > 0)
		send_reply(ep, buf, (size_t)len, da);
}

/* --- address validation (core/cookie.h) ------------------------------- */

/* What a cookie binds besides the connection ID: family, address, port. */
static size_t cookie_addr(const struct sockaddr_storage *a, uint8_t *out)
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)a;

		out[0] = 4;
		memcpy(out + 1, &in->sin_addr, 4);
		memcpy(out + 5, &in->sin_port, 2);
		return 7;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)a;

		out[0] = 6;
		memcpy(out + 1, &in6->sin6_addr, 16);
		memcpy(out + 17, &in6->sin6_port, 2);
		return 19;
	}
	return 0;
}

/* The engine's cookie secrets, rotated as cookie.h asks: engine thread
 * only, as all of this file. */
static struct rdt_cookie_keys cookie_keys;

/* What address_validated found. */
enum proof {
	PROOF_ASKED,		/* answered with a RETRY, or dropped */
	PROOF_NOT_ASKED,	/* the listener is not busy: no proof needed */
	PROOF_GIVEN,		/* the INIT brought a valid cookie */
};

/*
 * May the INIT |pkt| from |da| create state on a listener that is |busy|
 * (its handshake queue half full or more)?  Yes when no proof is asked
 * (validation not always on and the listener not busy) or when its
 * token is a valid cookie; otherwise rdt_admit_proof says whether to
 * answer with a RETRY or drop it, and nothing is kept.
 */
static enum proof address_validated(struct rt_endpoint *ep, int always,
				    int busy, const struct rdt_pkt *pkt,
				    const struct rdt_rt_dgram_addr *da,
				    rdt_tstamp now)
{
	uint8_t addr[19], retry[RDT_ADMIT_RETRY_MAX];
	size_t alen, retry_len = 0;

	if (!always && !busy)
		return PROOF_NOT_ASKED;
	if (rdt_cookie_needs_key(&cookie_keys, now) && sodium_init() >= 0) {
		uint8_t key[RDT_COOKIE_KEY_LEN];

		randombytes_buf(key, sizeof(key));
		rdt_cookie_add_key(&cookie_keys, now, key);
		sodium_memzero(key, sizeof(key));
	}
	alen = cookie_addr(&da->from, addr);
	switch (rdt_admit_proof(&cookie_keys, pkt, addr, alen, now, retry,
				&retry_len)) {
	case RDT_ADMIT_PROOF_GIVEN:
		stat_add(&ep->stats.validated, 1);
		return PROOF_GIVEN;
	case RDT_ADMIT_PROOF_FORGED:
		stat_add(&ep->stats.drop_bad_cookie, 1);
		break;
	case RDT_ADMIT_PROOF_RETRY:
		send_reply(ep, retry, retry_len, da);
		stat_add(&ep->stats.retry_sent, 1);
		break;
	case RDT_ADMIT_PROOF_NO_KEY:
		break;	/* no entropy, no secret: the INIT comes again */
	}
	return PROOF_ASKED;
}

/*
 * The peer of the client connected on |ep| says it no longer has the
 * connection named |dcid| (it restarted, or gave up).  The core hears it
 * as the RESET it would have received had the peer known our connection
 * ID, and without the reset token the peer lost with its state, which
 * is how an off-path forger would say it too: the core does not believe
 * it and counts it (drop_forged_reset).  The connection ends at its user
 * timeout, or at once by ICMP port unreachable if nothing listens at the
 * peer's port any more (PROTOCOL.md 7.8).
 */
static void on_reset_unknown(struct rt_endpoint *ep, uint64_t dcid,
			     rdt_tstamp now, struct rdt_rt_dirty *d)
{
	struct rt_sock *s;
	uint8_t buf[RDT_PKT_RESET_SIZE];
	rdt_ssize len;

	pthread_mutex_lock(&eng.lock);
	s = ep->client;
	if (s)
		rdt_rt_sock_get(s);
	pthread_mutex_unlock(&eng.lock);
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	if (rdt_conn_peer_cid(s->conn) == dcid) {
		len = rdt_pkt_encode_reset(buf, sizeof(buf),
					   rdt_conn_local_cid(s->conn),
					   RDT_RESET_UNKNOWN);
		if (len > 0)
			rdt_conn_recv_pkt(s->conn, buf, (size_t)len, now);
	}
	pthread_mutex_unlock(&s->lock);
	rdt_rt_mark_dirty(d, s);
}

/*
 * Start the handshake |pkt| asks for on listener |l| (whose reference
 * this takes over): a new connection in |l|'s handshake queue, unless
 * the queues are full or memory is short, when the client's INIT is
 * retransmitted.
 */
static void start_handshake(struct rt_endpoint *ep, struct rt_sock *l,
			    const struct rdt_pkt *pkt, size_t len,
			    const uint8_t *eph,
			    const struct rdt_rt_dgram_addr *da, rdt_tstamp now,
			    struct rdt_rt_dirty *d)
{
	struct rdt_conn_config cfg;
	struct rt_sock *s, *victim = NULL;
	struct rt_opts opt;
	enum proof proof;
	int ok, busy, rv;

	pthread_mutex_lock(&l->lock);
	opt = l->opt;
	pthread_mutex_lock(&eng.lock);
	ok = l->role == RT_LISTENING && l->q_len < l->backlog;
	busy = l->embryos >= (l->backlog + 1) / 2;
	pthread_mutex_unlock(&eng.lock);
	pthread_mutex_unlock(&l->lock);
	proof = ok ? address_validated(ep, opt.validate_addr, busy, pkt, da,
				       now)
		   : PROOF_ASKED;
	pthread_mutex_lock(&l->lock);
	pthread_mutex_lock(&eng.lock);
	ok = ok && proof != PROOF_ASKED && l->role == RT_LISTENING &&
	     l->q_len < l->backlog;
	if (ok && l->embryos >= l->backlog) {
		/*
		 * The handshake queue is full.  A client that proved its
		 * address takes the place of the oldest one that did not,
		 * so that INITs from forged addresses that got in before
		 * validation started cannot lock real clients out; but only
		 * of one that has left its ACCEPT unanswered for
		 * EMBRYO_GRACE.  A real client that got in without a cookie
		 * holds an ACCEPT and is about to answer it: dropped then,
		 * it would be stranded, since its next datagram names a
		 * connection that no longer exists, and the RESET UNKNOWN
		 * that answers it carries no token and is not believed (the
		 * flood test saw one such client of 30 wait out its
		 * timeout).  Clients that proved their address are never
		 * dropped for another.  With no other place, the newcomer
		 * waits, and its INIT comes again, cookie and all.
		 */
		for (victim = l->emb_head; victim; victim = victim->emb_next)
			if (!victim->addr_validated &&
			    now - victim->emb_since >= EMBRYO_GRACE)
				break;
		if (victim)
			rdt_rt_registry_remove(victim);
		else
			ok = 0;
	}
	pthread_mutex_unlock(&eng.lock);
	pthread_mutex_unlock(&l->lock);
	if (victim) {
		stat_add(&ep->stats.drop_backlog, 1);
		rdt_rt_sock_put(victim);	/* the registry's reference */
	}
	if (!ok) {
		/* A full accept queue, as TCP's, or a full handshake queue:
		 * silence; the client retries.  (Nothing to count for an
		 * INIT asked for proof: address_validated did.) */
		if (proof != PROOF_ASKED)
			stat_add(&ep->stats.drop_backlog, 1);
		rdt_rt_sock_put(l);
		return;
	}
	s = rdt_rt_sock_alloc(l->family, &opt);
	/* The connection takes the static secret from |cfg| and wipes it
	 * once used; the accepted socket needs no copy of it. */
	if (s != NULL)
		sodium_memzero(s->opt.key_secret, sizeof(s->opt.key_secret));
	rdt_rt_conn_config(&opt, &cfg);
	/* The server's side of the encrypted modes: the listener's static
	 * key and the INIT's ephemeral key, or the pre-shared key, which
	 * rdt_rt_conn_config copies. */
	cfg.use_pk = opt.have_key && eph != NULL;
	if (cfg.use_pk) {
		memcpy(cfg.pk_secret, opt.key_secret, sizeof(cfg.pk_secret));
		memcpy(cfg.pk_public, opt.key_public, sizeof(cfg.pk_public));
		memcpy(cfg.pk_peer, eph, sizeof(cfg.pk_peer));
	}
	rv = s == NULL ? RDT_ERR_NOMEM :
			 rdt_conn_server_new(&s->conn, &cfg, rdt_mem_default(),
					     pkt, now);
	sodium_memzero(cfg.pk_secret, sizeof(cfg.pk_secret));
	sodium_memzero(opt.key_secret, sizeof(opt.key_secret));
	if (rv != 0) {
		/* Out of memory (the client's INIT is retransmitted), or an
		 * ephemeral key that yields no secret (a forgery). */
		rdt_rt_sock_put(s);
		rdt_rt_sock_put(l);
		return;
	}
	s->role = RT_CONNECTION;
	s->server = 1;
	/* Unlocked: nobody else knows |s| before the registry does. */
	rdt_rt_qlog_attach(s, pkt, len, now);
	s->wake_room = opt.sndbuf / 4;
	memcpy(&s->peer, &da->from, da->fromlen);
	s->peer_len = da->fromlen;
	if (ep->pktinfo) {
		memcpy(&s->local, &da->to, da->tolen);
		s->local_len = da->tolen;
		s->pktinfo_len = rdt_rt_pktinfo_cmsg(s->pktinfo, &da->to);
	}
	s->parent = l;	/* the reference taken above */
	s->addr_validated = proof == PROOF_GIVEN;
	s->emb_since = now;
	pthread_mutex_lock(&eng.lock);
	s->ep = ep;
	ep->refs++;
	if (rdt_rt_registry_add(s, 1) != 0) {
		pthread_mutex_unlock(&eng.lock);
		rdt_rt_sock_put(s);	/* drops the parent and endpoint too */
		return;
	}
	rdt_rt_embryo_link(l, s);
	pthread_mutex_unlock(&eng.lock);
	rdt_rt_mark_dirty(d, s);
}

/* Counts what |v| dropped. */
static void count_drop(struct rt_endpoint *ep,
		       const struct rdt_admit_verdict *v)
{
	switch (v->drop) {
	case RDT_ADMIT_DROP_NONE:
		break;
	case RDT_ADMIT_DROP_CHECKSUM:
		stat_add(&ep->stats.drop_checksum, 1);
		break;
	case RDT_ADMIT_DROP_MALFORMED:
		stat_add(&ep->stats.drop_malformed, 1);
		break;
	case RDT_ADMIT_DROP_UNKNOWN_CID:
		stat_add(&ep->stats.drop_unknown_cid, 1);
		break;
	case RDT_ADMIT_DROP_NO_LISTENER:
		stat_add(&ep->stats.drop_no_listener, 1);
		break;
	case RDT_ADMIT_DROP_AUTH:
		stat_add(&ep->stats.drop_auth, 1);
		break;
	}
}

/*
 * An INIT is opened with the listener's pre-shared key, if any, before
 * anything reads it; one whose key is not the listener's is refused
 * here (core/admit.c says how).  Only the engine thread calls this, so
 * one buffer serves.
 */
int rdt_rt_unseal_init(struct rt_endpoint *ep, const uint8_t *dg, size_t len,
		       const struct rdt_rt_dgram_addr *da, rdt_tstamp now,
		       const uint8_t **out, size_t *out_len,
		       const uint8_t **eph)
{
	static uint8_t plain[RDT_PKT_MAX_DGRAM];
	/* Only the listener's keys, copied on the stack: an INIT flood must
	 * not cost an allocation per datagram. */
	struct {
		uint8_t psk[32], secret[32], public[32];
	} copy;
	struct rdt_admit_keys keys = { NULL, NULL, NULL };
	struct rdt_admit_verdict v;
	struct rt_sock *l;
	int go_on;

	*eph = NULL;
	pthread_mutex_lock(&eng.lock);
	l = ep->listener;
	if (l)
		rdt_rt_sock_get(l);
	pthread_mutex_unlock(&eng.lock);
	if (l) {
		pthread_mutex_lock(&l->lock);
		if (l->opt.use_psk) {
			memcpy(copy.psk, l->opt.psk, sizeof(copy.psk));
			keys.psk = copy.psk;
		}
		if (l->opt.have_key) {
			memcpy(copy.secret, l->opt.key_secret,
			       sizeof(copy.secret));
			memcpy(copy.public, l->opt.key_public,
			       sizeof(copy.public));
			keys.pk_secret = copy.secret;
			keys.pk_public = copy.public;
		}
		pthread_mutex_unlock(&l->lock);
		rdt_rt_sock_put(l);
	} else if (dg[0] == RDT_PROTO_VERSION) {
		/* Nobody listens: admit.c refuses it as it does now. */
		*out = dg;
		*out_len = len;
		return 1;
	}
	go_on = rdt_admit_unseal(&keys, dg, len, plain, out, out_len,
				 &eng.reset_limiter, now, &v);
	if (keys.psk || keys.pk_secret)
		sodium_memzero(&copy, sizeof(copy));
	if (go_on && *out == plain)
		*eph = rdt_seal_ephemeral(dg, len);
	if (go_on)
		return 1;
	count_drop(ep, &v);
	if (v.action == RDT_ADMIT_RESET)
		send_reset(ep, v.reset_dcid, v.reset_reason, da);
	return 0;
}

/* A datagram no connection claimed: admit.c decides, this carries it
 * out. */
void rdt_rt_on_unclaimed(struct rt_endpoint *ep, const struct rdt_pkt *pkt,
			 size_t len, int decode_rc, const uint8_t *eph,
			 const struct rdt_rt_dgram_addr *da, rdt_tstamp now,
			 struct rdt_rt_dirty *d)
{
	struct rdt_admit_verdict v;
	struct rt_sock *l;

	pthread_mutex_lock(&eng.lock);
	l = ep->listener;
	if (l)
		rdt_rt_sock_get(l);
	pthread_mutex_unlock(&eng.lock);
	rdt_admit(pkt, decode_rc, l != NULL, &eng.reset_limiter, now, &v);
	count_drop(ep, &v);
	switch (v.action) {
	case RDT_ADMIT_DROP:
		break;
	case RDT_ADMIT_RESET:
		send_reset(ep, v.reset_dcid, v.reset_reason, da);
		break;
	case RDT_ADMIT_PEER_FORGOT:
		on_reset_unknown(ep, v.reset_dcid, now, d);
		break;
	case RDT_ADMIT_HANDSHAKE:
		start_handshake(ep, l, pkt, len, eph, da, now, d);
		return;
	}
	rdt_rt_sock_put(l);
}

