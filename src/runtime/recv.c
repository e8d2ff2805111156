/*
 * recv.c: the receive path, on the engine thread.
 *
 *   rdt_rt_read_endpoint  engine.c: a port is readable (or has an ICMP
 *                         error queued)
 *     read_errors         ICMP port unreachable -> on_unreachable ->
 *                         the one connection it can be for
 *     on_datagram         connection ID -> registry.c (rdt_rt_lookup_cid,
 *                         or rdt_rt_lookup_init for a repeated INIT)
 *                         -> the core, but a RESET from elsewhere than
 *                         the peer is dropped (reset_from_elsewhere);
 *                         nobody's -> on_unclaimed:
 *                         core/admit.c decides drop, RESET or
 *                         start_handshake (a new server connection:
 *                         rdt_rt_sock_alloc, registry.c)
 *     service_dirty       after each batch, rdt_rt_service (sock.c) once
 *                         per connection that received
 *
 * Calls out to registry.c, sock.c and endpoint.c; nothing there calls
 * back in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <linux/errqueue.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/err.h"
#include "engine_int.h"
#include "recv_int.h"

/* Batches read from one UDP socket per wakeup, so that one busy port
 * cannot starve the others or the timers. */
#define READ_ROUNDS 8

/*
 * Source-address control message for a datagram sent from a port bound to
 * a wildcard address: the reply must leave from the address the peer
 * sent to, or a peer that reached us through another of our addresses
 * (and whose UDP socket is connected) drops it.  Writes into |buf|
 * (RT_PKTINFO_SPACE bytes) and returns the length, 0 if not needed.
 */
size_t rdt_rt_pktinfo_cmsg(uint8_t *buf, const struct sockaddr_storage *src)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi4;
	struct cmsghdr *cm;
	struct msghdr mh;
	const void *data;
	size_t len;

	memset(buf, 0, RT_PKTINFO_SPACE);
	memset(&mh, 0, sizeof(mh));
	mh.msg_control = buf;
	mh.msg_controllen = RT_PKTINFO_SPACE;
	cm = CMSG_FIRSTHDR(&mh);
	if (src->ss_family == AF_INET) {
		memset(&pi4, 0, sizeof(pi4));
		pi4.ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		data = &pi4;
		len = sizeof(pi4);
	} else if (src->ss_family == AF_INET6) {
		memset(&pi6, 0, sizeof(pi6));
		/* A v4-mapped address works too: Linux sends IPv4 from it. */
		pi6.ipi6_addr = ((const struct sockaddr_in6 *)src)->sin6_addr;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		data = &pi6;
		len = sizeof(pi6);
	} else {
		return 0;
	}
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	return CMSG_SPACE(len);
}

/* The segment size of a buffer in which GRO glued datagrams together,
 * from its UDP_GRO control message; 0 for a single datagram. */
static size_t gro_size(struct msghdr *mh)
{
	struct cmsghdr *cm;
	int size;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == IPPROTO_UDP && cm->cmsg_type == UDP_GRO) {
			memcpy(&size, CMSG_DATA(cm), sizeof(size));
			return size > 0 ? (size_t)size : 0;
		}
	return 0;
}

/* Fills |da|->to from the PKTINFO control message of a received datagram,
 * or with the port's own address. */
static void local_address(const struct rt_endpoint *ep, struct msghdr *mh,
			  struct rdt_rt_dgram_addr *da)
{
	struct cmsghdr *cm;

	memcpy(&da->to, &ep->local, ep->local_len);
	da->tolen = ep->local_len;
	if (!ep->pktinfo)
		return;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    da->to.ss_family == AF_INET) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in *)&da->to)->sin_addr = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_PKTINFO &&
			   da->to.ss_family == AF_INET6) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in6 *)&da->to)->sin6_addr =
				pi.ipi6_addr;
		}
	}
}

/* --- datagrams in ------------------------------------------------------- */

/* Remember |s| (its reference moves to the list) for servicing after the
 * batch; a second datagram for it in the same batch drops its extra
 * reference. */
void rdt_rt_mark_dirty(struct rdt_rt_dirty *d, struct rt_sock *s)
{
	if (s->dirty) {
		rdt_rt_sock_put(s);
		return;
	}
	s->dirty = 1;
	s->dirty_next = d->head;
	d->head = s;
}

static void service_dirty(struct rdt_rt_dirty *d, rdt_tstamp now)
{
	struct rt_sock *s, *next;

	for (s = d->head; s; s = next) {
		next = s->dirty_next;
		pthread_mutex_lock(&s->lock);
		s->dirty = 0;
		rdt_rt_service(s, now);
		pthread_mutex_unlock(&s->lock);
		rdt_rt_sock_put(s);
	}
	d->head = NULL;
}

/*
 * Is the datagram |dg| a RESET for connection |s| from an address other
 * than its peer's?  A RESET ends a connection only if it comes from the
 * peer's own address and port, and carries the peer's reset token (the
 * core checks that, PROTOCOL.md 7.8).  Other datagrams may come from a
 * new address (the peer's NAT rebound): their connection ID and the
 * core's checks are what they must pass.  A client's port is connect()ed
 * to its one peer, so the kernel already drops datagrams from anywhere
 * else; on a listener's shared port anyone may name a connection.
 * Called with |s|'s lock held; its peer address never changes.
 */
static int reset_from_elsewhere(const struct rt_endpoint *ep,
				const struct rt_sock *s, const uint8_t *dg,
				size_t len, const struct rdt_rt_dgram_addr *da)
{
	struct rdt_pkt pkt;

	if (ep->connected || dg[1] != RDT_PKT_RESET ||
	    rdt_rt_same_addr(&s->peer, s->peer_len, &da->from, da->fromlen))
		return 0;
	/* A corrupt datagram is the core's to count, as such. */
	return rdt_pkt_decode(&pkt, dg, len) == 0 &&
	       pkt.type == RDT_PKT_RESET;
}

static void on_datagram(struct rt_endpoint *ep, const uint8_t *dg, size_t len,
			const struct rdt_rt_dgram_addr *da, rdt_tstamp now,
			struct rdt_rt_dirty *d)
{
	const uint8_t *eph = NULL;
	struct rdt_pkt pkt;
	struct rt_sock *s;
	uint64_t dcid;
	int decode_rc;

	stat_add(&ep->stats.received, 1);
	/* The port closed during this batch: nobody is left to answer. */
	if (rdt_rt_ep_dead(ep))
		return;
	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE) {
		stat_add(&ep->stats.drop_malformed, 1);
		return;
	}
	(void)rdt_pkt_peek_dcid(dg, len, &dcid);
	if (dcid == 0) {
		const uint8_t *plain;
		size_t plain_len;

		if (!rdt_rt_unseal_init(ep, dg, len, da, now, &plain,
					&plain_len, &eph))
			return;
		/* An INIT retransmitted: the handshake it started claims it
		 * (as it came: a sealed one is opened again there). */
		decode_rc = rdt_pkt_decode(&pkt, plain, plain_len);
		s = NULL;
		if (decode_rc == 0 && pkt.type == RDT_PKT_INIT) {
			pthread_mutex_lock(&eng.lock);
			s = rdt_rt_lookup_init(pkt.scid, ep, &da->from,
					       da->fromlen);
			pthread_mutex_unlock(&eng.lock);
		}
	} else {
		pthread_mutex_lock(&eng.lock);
		s = rdt_rt_lookup_cid(dcid, ep);
		pthread_mutex_unlock(&eng.lock);
		if (s == NULL)
			decode_rc = rdt_pkt_decode(&pkt, dg, len);
	}
	if (s == NULL) {
		rdt_rt_on_unclaimed(ep, &pkt, len, decode_rc, eph, da, now,
				    d);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (reset_from_elsewhere(ep, s, dg, len, da)) {
		stat_add(&ep->stats.drop_reset_addr, 1);
	} else {
		size_t before = rdt_conn_readable(s->conn);

		rdt_conn_recv_pkt(s->conn, dg, len, now);
		if (rdt_conn_readable(s->conn) > before)
			s->new_data = 1;
	}
	pthread_mutex_unlock(&s->lock);
	rdt_rt_mark_dirty(d, s);
}

/* Most sockets one ICMP error is checked against (one peer address). */
#define ICMP_CANDIDATES 64

/*
 * A port unreachable for a datagram we sent to |to| carrying |dcid|.  It
 * counts only for the connection whose peer is |to| and whose peer
 * connection ID is |dcid|: a 64-bit random number an off-path forger of
 * ICMP cannot know (docs/PROTOCOL.md, "Dead peers").
 */
static void on_unreachable(struct rt_endpoint *ep, uint64_t dcid,
			   const struct sockaddr_storage *to, socklen_t tolen,
			   rdt_tstamp now)
{
	struct rt_sock *cand[ICMP_CANDIDATES];
	size_t n = 0, b, i;
	int hit = 0;

	pthread_mutex_lock(&eng.lock);
	for (b = 0; b < eng.nbuckets && n < ICMP_CANDIDATES; b++) {
		struct rt_sock *s;

		for (s = eng.cids[b]; s && n < ICMP_CANDIDATES;
		     s = s->cid_next)
			if (s->ep == ep &&
			    rdt_rt_same_addr(&s->peer, s->peer_len, to,
					     tolen)) {
				rdt_rt_sock_get(s);
				cand[n++] = s;
			}
	}
	pthread_mutex_unlock(&eng.lock);
	for (i = 0; i < n; i++) {
		struct rt_sock *s = cand[i];

		pthread_mutex_lock(&s->lock);
		if (s->conn && rdt_conn_peer_cid(s->conn) == dcid) {
			hit = 1;
			rdt_conn_peer_unreachable(s->conn, now);
			rdt_rt_service(s, now);
		}
		pthread_mutex_unlock(&s->lock);
		rdt_rt_sock_put(s);
	}
	if (!hit)
		stat_add(&ep->stats.drop_icmp, 1);
}

/* The sock_extended_err of an IP_RECVERR/IPV6_RECVERR message, or NULL. */
static const struct sock_extended_err *icmp_error(struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if ((cm->cmsg_level == IPPROTO_IP &&
		     cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == IPPROTO_IPV6 &&
		     cm->cmsg_type == IPV6_RECVERR))
			return (const struct sock_extended_err *)
				CMSG_DATA(cm);
	return NULL;
}

/*
 * Reads the port's ICMP errors.  Only port unreachable means anything
 * to a connection (nothing listens there any more: the peer died); the
 * rest (host or net unreachable, fragmentation needed, ...) is left to
 * retransmission, as RFC 5927 advises for errors that may be transient
 * or forged.
 */
static void read_errors(struct rt_endpoint *ep, rdt_tstamp now)
{
	int k;

	for (k = 0; k < BATCH; k++) {
		uint8_t quote[64], ctl[256];
		struct sockaddr_storage to;
		struct iovec iov = { quote, sizeof(quote) };
		struct msghdr mh;
		const struct sock_extended_err *ee;
		uint64_t dcid;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		memset(&to, 0, sizeof(to));
		mh.msg_name = &to;
		mh.msg_namelen = sizeof(to);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		n = recvmsg(ep->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return;
		ee = icmp_error(&mh);
		if (ee == NULL || ee->ee_errno != ECONNREFUSED ||
		    (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
		     ee->ee_origin != SO_EE_ORIGIN_ICMP6))
			continue;
		if (rdt_pkt_peek_dcid(quote, (size_t)n, &dcid) != 0) {
			stat_add(&ep->stats.drop_icmp, 1);
			continue;
		}
		on_unreachable(ep, dcid, &to, mh.msg_namelen, now);
	}
}

void rdt_rt_read_endpoint(struct rt_endpoint *ep, uint32_t events)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static struct rdt_rt_dgram_addr da[BATCH];
	static uint8_t ctrl[BATCH][RT_PKTINFO_SPACE * 2];
	struct rdt_rt_dirty d = { NULL };
	int round, i;

	/* Level-triggered: an error left queued would wake us forever. */
	if (events & EPOLLERR)
		read_errors(ep, rdt_rt_now());

	for (round = 0; round < READ_ROUNDS && !rdt_rt_ep_dead(ep); round++) {
		rdt_tstamp now;
		int n;

		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = eng.rxbuf[i];
			iov[i].iov_len = sizeof(eng.rxbuf[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &da[i].from;
			msgs[i].msg_hdr.msg_namelen = sizeof(da[i].from);
			/* PKTINFO, and UDP_GRO's segment size. */
			msgs[i].msg_hdr.msg_control = ctrl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		n = recvmmsg(ep->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		now = rdt_rt_now();
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			/* sk_err from an ICMP error; the error queue says
			 * which datagram it answers. */
			read_errors(ep, now);
			continue;
		}
		for (i = 0; i < n; i++) {
			size_t len = msgs[i].msg_len, seg, at;

			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				stat_add(&ep->stats.received, 1);
				stat_add(&ep->stats.drop_malformed, 1);
				continue;
			}
			da[i].fromlen = msgs[i].msg_hdr.msg_namelen;
			local_address(ep, &msgs[i].msg_hdr, &da[i]);
			/* GRO: datagrams of one sender, back to back, all
			 * |seg| long but the last. */
			seg = gro_size(&msgs[i].msg_hdr);
			if (seg == 0 || seg > len)
				seg = len;
			for (at = 0; at < len; at += seg) {
				size_t k = len - at < seg ? len - at : seg;

				rdt_rt_pcap_record(&da[i].from, &da[i].to,
						   eng.rxbuf[i] + at, k);
				on_datagram(ep, eng.rxbuf[i] + at, k, &da[i],
					    now, &d);
			}
		}
		service_dirty(&d, now);
		if (n < BATCH)
			break;
	}
}
