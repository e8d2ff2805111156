/*
 * recv_int.h: what the receive path (recv.c) shares with the listener's
 * side of it (listen.c).  Engine thread only.
 */
#ifndef RDT_RUNTIME_RECV_INT_H
#define RDT_RUNTIME_RECV_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine_int.h"

/* Where a received datagram came from, and the local address (with the
 * port's number) it was sent to. */
struct rdt_rt_dgram_addr {
	struct sockaddr_storage from, to;
	socklen_t fromlen, tolen;
};

/* Sockets that received in this batch, serviced once after it. */
struct rdt_rt_dirty {
	struct rt_sock *head;
};

/* Remember |s| (its reference moves to the list) for servicing after the
 * batch. */
void rdt_rt_mark_dirty(struct rdt_rt_dirty *d, struct rt_sock *s);

/*
 * Source-address control message for a datagram sent from a port bound to
 * a wildcard address (into |buf|, RT_PKTINFO_SPACE bytes); returns its
 * length, 0 if not needed.
 */
size_t rdt_rt_pktinfo_cmsg(uint8_t *buf, const struct sockaddr_storage *src);

/*
 * rdt_rt_unseal_init (listen.c): an INIT (dcid 0) of |len| bytes at |dg|
 * judged by the listener's keys (RDT_PSK, RDT_KEY).  Returns 1 to go on
 * with |*out| (|*out_len| bytes: |dg|, or the INIT opened), 0 if it was
 * dropped or refused here.  |*eph| is the client's ephemeral key in |dg|
 * if a public-key INIT opened, else NULL.
 */
int rdt_rt_unseal_init(struct rt_endpoint *ep, const uint8_t *dg, size_t len,
		       const struct rdt_rt_dgram_addr *da, rdt_tstamp now,
		       const uint8_t **out, size_t *out_len,
		       const uint8_t **eph);

/* A datagram no connection claimed (listen.c), |len| bytes decoded into
 * |pkt|: admit.c decides, this carries it out.  |eph|: the ephemeral key
 * of a public-key INIT (rdt_rt_unseal_init), else NULL. */
void rdt_rt_on_unclaimed(struct rt_endpoint *ep, const struct rdt_pkt *pkt,
			 size_t len, int decode_rc, const uint8_t *eph,
			 const struct rdt_rt_dgram_addr *da, rdt_tstamp now,
			 struct rdt_rt_dirty *d);

#endif
