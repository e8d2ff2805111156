/*
 * frame.c: link layer -> IP -> UDP, for the link types rdt captures use.
 *
 * Map: frame_decode picks the network protocol from the link header
 * (link_proto), then ip4 or ip6 finds the UDP header (walking IPv6
 * extension headers), then udp checks the lengths.  Every length comes
 * from a header and is checked against what was captured before a byte
 * is read; trailing link padding (short Ethernet frames) is cut off by the
 * IP length.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/pcap.h>

#include "frame.h"

#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
/* More stacked VLAN tags than this is not a frame anyone sends. */
#define MAX_VLAN_TAGS 4
/* IPv6 extension headers walked before giving up on a datagram. */
#define MAX_IP6_EXT 8

#define IPPROTO_UDP_ 17
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DSTOPTS 60

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum frame_kind udp(const uint8_t *p, size_t len,
			   struct frame_udp *out)
{
	size_t ulen;

	if (len < 8)
		return FRAME_TRUNCATED;
	ulen = get16(p + 4);
	if (ulen < 8 || ulen > len)
		return FRAME_TRUNCATED;
	out->src.port = get16(p);
	out->dst.port = get16(p + 2);
	out->payload = p + 8;
	out->len = ulen - 8;
	return FRAME_UDP;
}

static enum frame_kind ip4(const uint8_t *p, size_t caplen,
			   struct frame_udp *out)
{
	size_t ihl, tot;
	uint16_t frag;

	if (caplen < 20)
		return FRAME_TRUNCATED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = get16(p + 2);
	if (ihl < 20 || tot < ihl)
		return FRAME_TRUNCATED;
	if (tot > caplen)
		return FRAME_TRUNCATED;
	if (p[9] != IPPROTO_UDP_)
		return FRAME_NOT_UDP;
	/* Any fragment, the first included (MF set), is incomplete. */
	frag = get16(p + 6);
	if (frag & 0x3fff)
		return FRAME_FRAGMENT;
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->src.family = out->dst.family = AF_INET;
	memcpy(out->src.addr, p + 12, 4);
	memcpy(out->dst.addr, p + 16, 4);
	return udp(p + ihl, tot - ihl, out);
}

static enum frame_kind ip6(const uint8_t *p, size_t caplen,
			   struct frame_udp *out)
{
	size_t off = 40, end;
	uint8_t next;
	int i;

	if (caplen < 40)
		return FRAME_TRUNCATED;
	/* A payload length of 0 is a jumbogram: take what was captured. */
	end = get16(p + 4) ? 40 + (size_t)get16(p + 4) : caplen;
	if (end > caplen)
		return FRAME_TRUNCATED;
	next = p[6];
	for (i = 0; i < MAX_IP6_EXT && next != IPPROTO_UDP_; i++) {
		size_t hlen;

		if (off + 8 > end)
			return FRAME_TRUNCATED;
		switch (next) {
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
			hlen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case IP6_AH:
			hlen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case IP6_FRAGMENT:
			/* Offset or More Fragments: not a whole datagram. */
			if (get16(p + off + 2) & 0xfff9)
				return FRAME_FRAGMENT;
			hlen = 8;
			break;
		default:
			return FRAME_NOT_UDP;
		}
		next = p[off];
		off += hlen;
	}
	if (next != IPPROTO_UDP_)
		return FRAME_NOT_UDP;
	if (off > end)
		return FRAME_TRUNCATED;
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->src.family = out->dst.family = AF_INET6;
	memcpy(out->src.addr, p + 8, 16);
	memcpy(out->dst.addr, p + 24, 16);
	return udp(p + off, end - off, out);
}

/* Decodes IP by its version nibble: for link types that say only "IP". */
static enum frame_kind ip_any(const uint8_t *p, size_t caplen,
			      struct frame_udp *out)
{
	if (caplen < 1)
		return FRAME_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return ip4(p, caplen, out);
	case 6:
		return ip6(p, caplen, out);
	}
	return FRAME_NOT_IP;
}

static enum frame_kind by_ethertype(uint16_t type, const uint8_t *p,
				    size_t caplen, struct frame_udp *out)
{
	switch (type) {
	case ETHERTYPE_IP4:
		return ip4(p, caplen, out);
	case ETHERTYPE_IP6:
		return ip6(p, caplen, out);
	}
	return FRAME_NOT_IP;
}

static enum frame_kind ethernet(const uint8_t *p, size_t caplen,
				struct frame_udp *out)
{
	size_t off = 12;
	uint16_t type;
	int tags;

	if (caplen < 14)
		return FRAME_TRUNCATED;
	type = get16(p + off);
	for (tags = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
	     tags++) {
		if (tags == MAX_VLAN_TAGS || caplen < off + 8)
			return FRAME_TRUNCATED;
		off += 4;
		type = get16(p + off);
	}
	off += 2;
	return by_ethertype(type, p + off, caplen - off, out);
}

/* BSD loopback: a 4-byte address family, in the capturing host's byte
 * order for DLT_NULL and in network order for DLT_LOOP.  The IP version
 * nibble is checked instead, since AF_INET6 differs between systems. */
static enum frame_kind loopback(const uint8_t *p, size_t caplen,
				struct frame_udp *out)
{
	if (caplen < 4)
		return FRAME_TRUNCATED;
	return ip_any(p + 4, caplen - 4, out);
}

int frame_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	}
	return 0;
}

enum frame_kind frame_decode(int dlt, const uint8_t *p, size_t caplen,
			     struct frame_udp *out)
{
	switch (dlt) {
	case DLT_EN10MB:
		return ethernet(p, caplen, out);
	case DLT_LINUX_SLL:
		/* 16 bytes; the protocol (an ethertype) is the last two. */
		if (caplen < 16)
			return FRAME_TRUNCATED;
		return by_ethertype(get16(p + 14), p + 16, caplen - 16, out);
	case DLT_LINUX_SLL2:
		/* 20 bytes; the protocol comes first. */
		if (caplen < 20)
			return FRAME_TRUNCATED;
		return by_ethertype(get16(p), p + 20, caplen - 20, out);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return ip_any(p, caplen, out);
	case DLT_NULL:
	case DLT_LOOP:
		return loopback(p, caplen, out);
	}
	return FRAME_NOT_IP;
}

int endpoint_eq(const struct pcap_endpoint *x, const struct pcap_endpoint *y)
{
	return x->family == y->family && x->port == y->port &&
	       memcmp(x->addr, y->addr, sizeof(x->addr)) == 0;
}

void flow_key_make(struct flow_key *k, const struct pcap_endpoint *x,
		   const struct pcap_endpoint *y)
{
	const struct pcap_endpoint *t;
	int order = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (order > 0 || (order == 0 && x->port > y->port)) {
		t = x;
		x = y;
		y = t;
	}
	memset(k, 0, sizeof(*k));
	k->a.family = x->family;
	memcpy(k->a.addr, x->addr, sizeof(k->a.addr));
	k->a.port = x->port;
	k->b.family = y->family;
	memcpy(k->b.addr, y->addr, sizeof(k->b.addr));
	k->b.port = y->port;
}

char *frame_endpoint_str(const struct pcap_endpoint *ep, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(ep->family, ep->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (ep->family == AF_INET6)
		snprintf(buf, FRAME_ENDPOINT_STRLEN, "[%s]:%u", a, ep->port);
	else
		snprintf(buf, FRAME_ENDPOINT_STRLEN, "%s:%u", a, ep->port);
	return buf;
}
