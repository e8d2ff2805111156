/*
 * gen-pcaps: builds the hand-crafted captures of tests/data/ that
 * rdt-pcap check is tested with, or sends the good scenario over UDP.
 *
 *   gen-pcaps OUTDIR            write every capture into OUTDIR, and
 *                               sealed.key, the key of the sealed ones
 *   gen-pcaps --send HOST PORT  send one non-rdt datagram to PORT + 1,
 *                               then the good scenario's datagrams to PORT
 *   gen-pcaps --send-sealed HOST PORT
 *                               the same, the scenario sealed (sealed.pcap)
 *   gen-pcaps --alter-sealed IN OUT
 *                               copy the capture IN (raw IP, as RDT_PCAP
 *                               writes it) to OUT with the tenth sealed
 *                               DATA datagram altered as an attacker on
 *                               the path would: a byte of its ciphertext
 *                               flipped, CRC32C and UDP checksum made good
 *
 * The scenario is one short connection (scenario()): handshake, client
 * data across the 32-bit offset wrap with a hole, a SACK range, a
 * retransmission of identical bytes, a spurious one, a duplicate on the
 * wire, server data, FIN both ways, all acknowledged.  Each bad capture
 * changes one thing in it (the variants table) so that rdt-pcap check
 * must find exactly one violation; the good one is written in several
 * link types.  The sealed captures are the scenario in the encrypted mode
 * (every datagram sealed with TEST_PSK by src/core/seal.c, deterministic
 * since the nonces are packet numbers): whole, begun mid-connection, with
 * one datagram altered and its CRC fixed (an authentication failure, not
 * a violation), with one corrupted in transit, and with a sealed RETRY
 * (malformed: RETRY is never sealed).  Datagrams come from
 * src/wire's encoder, frames and files from libpcap (pcap_open_dead,
 * pcap_dump): the output depends on nothing but this file, so `make
 * check` compares it with the committed copies.
 *
 * Map: scenario -> variants[] (mutations) -> frame (link, IP and UDP
 * headers) -> write_capture; send_scenario for the capture test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/seal.h"
#include "wire/crc32c.h"
#include "wire/pkt.h"

#define CLIENT_CID 0x1111111111111111ull
#define SERVER_CID 0x2222222222222222ull
/* The client's stream starts 16 bytes below the 32-bit wrap. */
#define CLIENT_ISN 0xfffffff0u
#define SERVER_ISN 1000u
#define CLIENT_PN 100u
#define SERVER_PN 5000u
#define CLIENT_WINDOW 65536u
#define SERVER_WINDOW 8000u
#define SEG 200u
#define MAX_DGRAMS 32
/* Capture time of the first datagram (the scenario counts ms from it). */
#define T0_SEC 1700000000

/* The pre-shared key of the sealed captures, written to sealed.key. */
static const uint8_t TEST_PSK[RDT_SEAL_KEY_SIZE] = {
	0x72, 0x64, 0x74, 0x2d, 0x70, 0x63, 0x61, 0x70, 0x20, 0x74, 0x65,
	0x73, 0x74, 0x20, 0x6b, 0x65, 0x79, 0x2c, 0x20, 0x6e, 0x6f, 0x74,
	0x20, 0x61, 0x20, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2e,
};

enum dir { C2S, S2C };

struct dgram {
	enum dir dir;
	unsigned t_ms;
	struct rdt_pkt pkt;
	/* Applied after encoding (and sealing): flip the byte at this
	 * index (0: none). */
	size_t corrupt_at;
	/* Sealed captures: flip a byte of the ciphertext and make the CRC
	 * good again, as an attacker would. */
	int tamper;
};

struct scenario {
	struct dgram d[MAX_DGRAMS];
	size_t n;
};

static uint8_t client_bytes[4 * SEG];
static uint8_t client_bytes_changed[SEG];
static const uint8_t server_bytes[] = "a short reply from the server";

static struct dgram *add(struct scenario *s, enum dir dir, unsigned t_ms,
			 uint8_t type, uint32_t pn)
{
	struct dgram *d = &s->d[s->n++];

	memset(d, 0, sizeof(*d));
	d->dir = dir;
	d->t_ms = t_ms;
	d->pkt.type = type;
	d->pkt.pn = pn;
	d->pkt.dcid = dir == C2S ? SERVER_CID : CLIENT_CID;
	return d;
}

static void stream(struct dgram *d, uint32_t offset, const uint8_t *data,
		   uint16_t len)
{
	d->pkt.flags |= RDT_PKT_F_STREAM;
	d->pkt.offset = offset;
	d->pkt.data = data;
	d->pkt.data_len = len;
}

/* An ACK section: largest, first_len, then (gap, len) pairs. */
static void ack(struct dgram *d, uint32_t cum, uint32_t largest,
		uint32_t first_len, int nranges, ...)
{
	va_list ap;
	int i;

	d->pkt.flags |= RDT_PKT_F_ACK;
	d->pkt.ack.cum = cum;
	d->pkt.ack.largest = largest;
	d->pkt.ack.first_len = first_len;
	d->pkt.ack.ack_delay_us = 1000;
	d->pkt.ack.nranges = (uint8_t)nranges;
	va_start(ap, nranges);
	for (i = 0; i < nranges; i++) {
		d->pkt.ack.ranges[i].gap = va_arg(ap, uint32_t);
		d->pkt.ack.ranges[i].len = va_arg(ap, uint32_t);
	}
	va_end(ap);
}

/* Indexes into the good scenario, for the variants to change. */
enum {
	I_INIT, I_ACCEPT, I_D1, I_D2, I_D3, I_D4, I_DUP, I_ACK1, I_ACK2,
	I_RETX, I_SPURIOUS, I_ACK3, I_FIN_C, I_ACK4,
};

static void scenario(struct scenario *s)
{
	const uint32_t ic = CLIENT_ISN, is = SERVER_ISN;
	const uint32_t c_edge = ic + 2 * SEG + SERVER_WINDOW;
	const uint32_t s_edge = is + CLIENT_WINDOW;
	const uint16_t sl = (uint16_t)(sizeof(server_bytes) - 1);
	struct dgram *d;
	unsigned i;

	for (i = 0; i < sizeof(client_bytes); i++)
		client_bytes[i] = (uint8_t)(i * 7 + (i >> 8));
	memcpy(client_bytes_changed, client_bytes + 2 * SEG, SEG);
	client_bytes_changed[123] ^= 0x20;
	memset(s, 0, sizeof(*s));

	d = add(s, C2S, 0, RDT_PKT_INIT, CLIENT_PN);
	d->pkt.dcid = 0;
	d->pkt.scid = CLIENT_CID;
	d->pkt.isn = ic;
	d->pkt.window = CLIENT_WINDOW;
	d->pkt.max_dgram = 1400;
	d = add(s, S2C, 10, RDT_PKT_ACCEPT, SERVER_PN);
	d->pkt.scid = SERVER_CID;
	d->pkt.isn = is;
	d->pkt.window = SERVER_WINDOW;
	d->pkt.max_dgram = 1400;
	d->pkt.echo_pn = CLIENT_PN;
	/* Four segments; the first acknowledges the ACCEPT. */
	for (i = 0; i < 4; i++) {
		d = add(s, C2S, 20 + i, RDT_PKT_DATA, CLIENT_PN + 1 + i);
		d->pkt.window_edge = s_edge;
		if (i == 0)
			ack(d, is, SERVER_PN, 0, 0);
		stream(d, ic + i * SEG, client_bytes + i * SEG, SEG);
	}
	/* The path duplicates the second segment. */
	s->d[s->n] = s->d[I_D2];
	s->d[s->n++].t_ms = 24;
	/* 101-102 arrived; then 104 but not 103 (a SACK range). */
	d = add(s, S2C, 31, RDT_PKT_DATA, SERVER_PN + 1);
	d->pkt.window_edge = c_edge;
	ack(d, ic + 2 * SEG, CLIENT_PN + 2, 1, 0);
	d = add(s, S2C, 33, RDT_PKT_DATA, SERVER_PN + 2);
	d->pkt.window_edge = c_edge;
	ack(d, ic + 2 * SEG, CLIENT_PN + 4, 0, 1, 0u, 1u);
	stream(d, is, server_bytes, sl);
	/* The client resends the third segment, identical, then the second,
	 * which had arrived already (spurious). */
	d = add(s, C2S, 34, RDT_PKT_DATA, CLIENT_PN + 5);
	d->pkt.window_edge = s_edge;
	ack(d, is + sl, SERVER_PN + 2, 2, 0);
	stream(d, ic + 2 * SEG, client_bytes + 2 * SEG, SEG);
	d = add(s, C2S, 35, RDT_PKT_DATA, CLIENT_PN + 6);
	d->pkt.window_edge = s_edge;
	stream(d, ic + SEG, client_bytes + SEG, SEG);
	/* Everything but 103 acknowledged; the server's FIN. */
	d = add(s, S2C, 44, RDT_PKT_DATA, SERVER_PN + 3);
	d->pkt.window_edge = c_edge + 2 * SEG;
	ack(d, ic + 4 * SEG, CLIENT_PN + 6, 2, 1, 0u, 1u);
	stream(d, is + sl, NULL, 0);
	d->pkt.flags |= RDT_PKT_F_FIN;
	/* The client's FIN, acknowledging the server's. */
	d = add(s, C2S, 45, RDT_PKT_DATA, CLIENT_PN + 7);
	d->pkt.window_edge = s_edge;
	ack(d, is + sl + 1, SERVER_PN + 3, 3, 0);
	stream(d, ic + 4 * SEG, NULL, 0);
	d->pkt.flags |= RDT_PKT_F_FIN;
	d = add(s, S2C, 55, RDT_PKT_DATA, SERVER_PN + 4);
	d->pkt.window_edge = c_edge + 2 * SEG;
	ack(d, ic + 4 * SEG + 1, CLIENT_PN + 7, 3, 1, 0u, 1u);
}

/* --- the variants: one change each ---------------------------------- */

static void reused_pn(struct scenario *s)
{
	/* A PING-only datagram under the number of the fourth segment,
	 * slipped in after the spurious retransmission. */
	struct dgram *d = &s->d[I_SPURIOUS + 1];

	memmove(d + 1, d, (s->n - I_SPURIOUS - 1) * sizeof(*d));
	s->n++;
	memset(d, 0, sizeof(*d));
	d->dir = C2S;
	d->t_ms = 36;
	d->pkt.type = RDT_PKT_DATA;
	d->pkt.dcid = SERVER_CID;
	d->pkt.pn = CLIENT_PN + 4;
	d->pkt.window_edge = SERVER_ISN + CLIENT_WINDOW;
	d->pkt.flags = RDT_PKT_F_PING;
}

static void retx_differs(struct scenario *s)
{
	s->d[I_RETX].pkt.data = client_bytes_changed;
}

static void ack_unsent_pn(struct scenario *s)
{
	s->d[I_ACK2].pkt.ack.largest = CLIENT_PN + 9;
	s->d[I_ACK2].pkt.ack.first_len = 0;
	s->d[I_ACK2].pkt.ack.nranges = 0;
}

static void ack_unsent_data(struct scenario *s)
{
	s->d[I_ACK1].pkt.ack.cum = CLIENT_ISN + 5 * SEG;
}

static void beyond_window(struct scenario *s)
{
	/* The server offers 3500 bytes: the fourth segment overruns it. */
	s->d[I_ACCEPT].pkt.window = 3 * SEG + SEG / 2;
}

static void bad_checksum(struct scenario *s)
{
	/* A bit error inside the second segment's stream bytes. */
	s->d[I_D2].corrupt_at = 200;
}

static void midstream(struct scenario *s)
{
	memmove(s->d, s->d + I_ACK1, (s->n - I_ACK1) * sizeof(s->d[0]));
	s->n -= I_ACK1;
}

/* The path's duplicate of the second segment is replaced by an altered
 * copy: the original was seen, so only authentication notices. */
static void altered(struct scenario *s)
{
	s->d[I_DUP].tamper = 1;
}

/* A RETRY, which a listener sends before it has any key, sealed all the
 * same: the one rule of the encrypted mode a capture checks without the
 * key (its CRC holds, so it is no damage in transit). */
static void sealed_retry(struct scenario *s)
{
	struct dgram *d = add(s, S2C, 60, RDT_PKT_RETRY, SERVER_PN + 5);

	d->pkt.token = (const uint8_t *)"cookie";
	d->pkt.token_len = 6;
}

static void accept_late(struct scenario *s)
{
	/* The first segment, to the server's cid, overtakes the ACCEPT
	 * that announces it. */
	struct dgram accept = s->d[I_ACCEPT];

	s->d[I_ACCEPT] = s->d[I_D1];
	s->d[I_ACCEPT].t_ms = 9;
	s->d[I_D1] = accept;
}

/* --- frames ---------------------------------------------------------- */

/* How a capture wraps the datagrams. */
struct encap {
	const char *file;
	int dlt;
	int ip6;
	/* Ethernet only: an 802.1Q tag; IPv6 only: a hop-by-hop header. */
	int vlan;
	int ip6_ext;
	/* Every datagram twice, as a capture on the loopback of a host
	 * running a relay (rdt-impair) sees it: client to relay, then relay
	 * to server (and back the other way). */
	int relay;
	/* Frames that are not rdt first: other UDP, TCP, ARP, a fragment. */
	int junk;
	/* Every datagram sealed with TEST_PSK (the encrypted mode). */
	int sealed;
	void (*mutate)(struct scenario *s);
};

static const struct encap captures[] = {
	{ .file = "good.pcap", .dlt = DLT_EN10MB },
	{ .file = "good-sll-ip6.pcap", .dlt = DLT_LINUX_SLL, .ip6 = 1 },
	{ .file = "good-sll2.pcap", .dlt = DLT_LINUX_SLL2 },
	{ .file = "good-raw-ip6.pcap", .dlt = DLT_RAW, .ip6 = 1 },
	{ .file = "good-vlan-mixed.pcap", .dlt = DLT_EN10MB, .ip6 = 1,
	  .vlan = 1, .ip6_ext = 1, .junk = 1 },
	{ .file = "good-relay.pcap", .dlt = DLT_EN10MB, .relay = 1 },
	{ .file = "midstream.pcap", .dlt = DLT_EN10MB, .mutate = midstream },
	{ .file = "reused-pn.pcap", .dlt = DLT_EN10MB, .mutate = reused_pn },
	{ .file = "retx-differs.pcap", .dlt = DLT_EN10MB,
	  .mutate = retx_differs },
	{ .file = "ack-unsent-pn.pcap", .dlt = DLT_EN10MB,
	  .mutate = ack_unsent_pn },
	{ .file = "ack-unsent-data.pcap", .dlt = DLT_EN10MB,
	  .mutate = ack_unsent_data },
	{ .file = "beyond-window.pcap", .dlt = DLT_EN10MB,
	  .mutate = beyond_window },
	{ .file = "bad-checksum.pcap", .dlt = DLT_EN10MB, .ip6 = 1,
	  .mutate = bad_checksum },
	{ .file = "data-before-accept.pcap", .dlt = DLT_EN10MB,
	  .mutate = accept_late },
	{ .file = "sealed.pcap", .dlt = DLT_EN10MB, .sealed = 1 },
	{ .file = "sealed-midstream.pcap", .dlt = DLT_EN10MB, .sealed = 1,
	  .mutate = midstream },
	{ .file = "sealed-altered.pcap", .dlt = DLT_EN10MB, .sealed = 1,
	  .mutate = altered },
	{ .file = "sealed-bad-checksum.pcap", .dlt = DLT_LINUX_SLL2,
	  .sealed = 1, .mutate = bad_checksum },
	{ .file = "sealed-retry.pcap", .dlt = DLT_EN10MB, .sealed = 1,
	  .mutate = sealed_retry },
};

#define CLIENT_PORT 40000
#define SERVER_PORT 7000
#define RELAY_PORT_A 6000	/* where the client sends */
#define RELAY_PORT_B 6001	/* where the relay forwards from */

/* Hosts: the last byte of 10.0.0.x or fd00::x, and a MAC address. */
enum host { CLIENT = 1, SERVER = 2, RELAY = 3 };

/* One hop of a datagram. */
struct hop {
	enum host src, dst;
	unsigned sport, dport;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void mac(uint8_t *p, enum host h)
{
	static const uint8_t m[6] = { 2, 0, 0, 0, 0, 0 };

	memcpy(p, m, 6);
	p[5] = (uint8_t)h;
}

/* The link header for |ethertype| into |f|; returns its length. */
static size_t link_header(uint8_t *f, const struct encap *e,
			  const struct hop *hp, unsigned ethertype)
{
	int out = hp->src == CLIENT;

	switch (e->dlt) {
	case DLT_EN10MB:
		mac(f, hp->dst);
		mac(f + 6, hp->src);
		if (e->vlan) {
			put16(f + 12, 0x8100);
			put16(f + 14, 42);	/* VLAN 42 */
			put16(f + 16, ethertype);
			return 18;
		}
		put16(f + 12, ethertype);
		return 14;
	case DLT_LINUX_SLL:
		memset(f, 0, 16);
		put16(f, out ? 4 : 0);		/* outgoing / to us */
		put16(f + 2, 1);		/* ARPHRD_ETHER */
		put16(f + 4, 6);
		mac(f + 6, hp->src);
		put16(f + 14, ethertype);
		return 16;
	case DLT_LINUX_SLL2:
		memset(f, 0, 20);
		put16(f, ethertype);
		f[7] = 2;			/* interface index */
		put16(f + 8, 1);
		f[10] = out ? 4 : 0;
		f[11] = 6;
		mac(f + 12, hp->src);
		return 20;
	}
	return 0;
}

/* IP and a transport header of |proto| around |len| payload bytes at |l4|
 * + |l4len|; returns the frame length. */
static size_t ip_frame(uint8_t *f, const struct encap *e,
		       const struct hop *hp, unsigned proto,
		       const uint8_t *payload, size_t len)
{
	size_t link = link_header(f, e, hp, e->ip6 ? 0x86dd : 0x0800);
	size_t ext = e->ip6 && e->ip6_ext ? 8 : 0;
	size_t iplen = (e->ip6 ? 40 : 20) + ext, ulen = 8 + len;
	uint8_t *h = f + link, *u = h + iplen;
	uint32_t sum;

	memset(h, 0, iplen + 8);
	if (e->ip6) {
		h[0] = 0x60;
		put16(h + 4, (unsigned)(ext + ulen));
		h[6] = ext ? 0 : (uint8_t)proto;
		h[7] = 64;
		h[8] = h[24] = 0xfd;
		h[23] = (uint8_t)hp->src;
		h[39] = (uint8_t)hp->dst;
		if (ext) {
			/* Hop-by-hop options: next header, length 0, PadN. */
			h[40] = (uint8_t)proto;
			h[42] = 1;
			h[43] = 4;
		}
	} else {
		h[0] = 0x45;
		put16(h + 2, (unsigned)(iplen + ulen));
		h[6] = 0x40;			/* don't fragment */
		h[8] = 64;
		h[9] = (uint8_t)proto;
		h[12] = h[16] = 10;
		h[15] = (uint8_t)hp->src;
		h[19] = (uint8_t)hp->dst;
		put16(h + 10, fold(sum16(h, 20, 0)));
	}
	put16(u, hp->sport);
	put16(u + 2, hp->dport);
	put16(u + 4, (unsigned)ulen);
	memcpy(u + 8, payload, len);
	/* The UDP checksum over the pseudo-header (optional for IPv4, but
	 * a capture should look like real traffic). */
	sum = sum16(e->ip6 ? h + 8 : h + 12, e->ip6 ? 32 : 8, 0);
	sum += proto + (uint32_t)ulen;
	sum = fold(sum16(u, ulen, sum));
	put16(u + 6, sum ? sum : 0xffff);
	return link + iplen + ulen;
}

static void dump(pcap_dumper_t *w, unsigned t_us, const uint8_t *f,
		 size_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = T0_SEC + t_us / 1000000;
	h.ts.tv_usec = t_us % 1000000;
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)w, &h, f);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A byte of the ciphertext of the sealed datagram |dg| flipped, and its
 * CRC32C made good again: only authentication can tell. */
static void tamper(uint8_t *dg, size_t len)
{
	dg[rdt_seal_clear_len(dg[1], dg[2]) + 4] ^= 0x5a;
	put32(dg + len - RDT_PKT_CRC_SIZE,
	      rdt_crc32c(0, dg, len - RDT_PKT_CRC_SIZE));
}

/* Seals the version 1 datagram of |n| bytes in |buf| as its sender
 * would: the scenario's packet numbers are below 2^32, so the wire's are
 * the full ones the nonces take.  Returns the sealed length. */
static size_t seal(const struct dgram *d, uint8_t *buf, size_t n)
{
	struct rdt_seal_nonce nonce = { .pn = d->pkt.pn };
	uint8_t key[RDT_SEAL_KEY_SIZE];

	if (d->pkt.type == RDT_PKT_INIT || d->pkt.type == RDT_PKT_ACCEPT) {
		rdt_seal_handshake_key(TEST_PSK, d->pkt.type, key);
		nonce.cid = d->pkt.scid;
		nonce.handshake = 1;
	} else {
		rdt_seal_session_key(TEST_PSK, CLIENT_CID, SERVER_CID,
				     d->dir == S2C, key);
	}
	return rdt_seal(buf, n, key, &nonce, NULL);
}

static int encode(const struct dgram *d, uint8_t *buf, size_t len,
		  int sealed)
{
	rdt_ssize n = rdt_pkt_encode(buf, len - RDT_SEAL_TAG_SIZE, &d->pkt);

	if (n < 0) {
		fprintf(stderr, "gen-pcaps: cannot encode datagram (%d)\n",
			(int)n);
		exit(1);
	}
	if (sealed)
		n = (rdt_ssize)seal(d, buf, (size_t)n);
	if (sealed && d->tamper)
		tamper(buf, (size_t)n);
	if (d->corrupt_at)
		buf[d->corrupt_at] ^= 0x01;
	return (int)n;
}

/* Frames a checker must pass over: DNS-like UDP, a TCP segment, an ARP
 * request and a non-first IPv4 fragment. */
static void write_junk(pcap_dumper_t *w, const struct encap *e)
{
	static const struct hop dns = { CLIENT, SERVER, 5353, 53 };
	static const uint8_t query[12] = { 0x12, 0x34, 1, 0, 0, 1 };
	struct encap v4 = *e;
	uint8_t f[256];
	size_t n;

	dump(w, 0, f, ip_frame(f, e, &dns, 17, query, sizeof(query)));
	/* Protocol 6: only the IP header matters to a UDP decoder. */
	dump(w, 1, f, ip_frame(f, e, &dns, 6, query, sizeof(query)));
	n = link_header(f, e, &dns, 0x0806);
	memset(f + n, 0, 28);
	dump(w, 2, f, n + 28);
	v4.ip6 = 0;
	n = ip_frame(f, &v4, &dns, 17, query, sizeof(query));
	f[n - 8 - sizeof(query) - 20 + 6] = 0x00;	/* offset 8 bytes */
	f[n - 8 - sizeof(query) - 20 + 7] = 0x01;
	dump(w, 3, f, n);
}

static int write_capture(const char *dir, const struct encap *e)
{
	static const struct hop direct[2] = {
		{ CLIENT, SERVER, CLIENT_PORT, SERVER_PORT },
		{ SERVER, CLIENT, SERVER_PORT, CLIENT_PORT },
	};
	/* Through the relay: [dir][leg], legs in the order travelled. */
	static const struct hop relayed[2][2] = {
		{ { CLIENT, RELAY, CLIENT_PORT, RELAY_PORT_A },
		  { RELAY, SERVER, RELAY_PORT_B, SERVER_PORT } },
		{ { SERVER, RELAY, SERVER_PORT, RELAY_PORT_B },
		  { RELAY, CLIENT, RELAY_PORT_A, CLIENT_PORT } },
	};
	static uint8_t f[2048], buf[1500];
	char path[4096];
	struct scenario s;
	pcap_dumper_t *w;
	pcap_t *pc;
	size_t i;

	scenario(&s);
	if (e->mutate)
		e->mutate(&s);
	snprintf(path, sizeof(path), "%s/%s", dir, e->file);
	pc = pcap_open_dead(e->dlt, 65535);
	w = pc ? pcap_dump_open(pc, path) : NULL;
	if (!w) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", path,
			pc ? pcap_geterr(pc) : "pcap_open_dead failed");
		return -1;
	}
	if (e->junk)
		write_junk(w, e);
	for (i = 0; i < s.n; i++) {
		const struct dgram *d = &s.d[i];
		size_t n = (size_t)encode(d, buf, sizeof(buf), e->sealed);
		/* After the junk frames, if any: time never runs back. */
		unsigned t_us = d->t_ms * 1000 + (e->junk ? 10 : 0);

		if (!e->relay) {
			dump(w, t_us, f, ip_frame(f, e, &direct[d->dir], 17,
						  buf, n));
			continue;
		}
		dump(w, t_us, f, ip_frame(f, e, &relayed[d->dir][0], 17, buf,
					  n));
		dump(w, t_us + 300, f, ip_frame(f, e, &relayed[d->dir][1], 17,
						buf, n));
	}
	pcap_dump_close(w);
	pcap_close(pc);
	return 0;
}

static int send_scenario(const char *host, const char *port, int sealed)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	static const uint8_t junk[] = "not rdt";
	static uint8_t buf[1500];
	struct scenario s;
	size_t i;
	int fd, rc;

	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("gen-pcaps: socket");
		freeaddrinfo(ai);
		return -1;
	}
	/* First a datagram to the next port, which the filter must drop. */
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)ai->ai_addr)->sin_port =
			htons((uint16_t)(atoi(port) + 1));
	else
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			htons((uint16_t)(atoi(port) + 1));
	rc = (int)sendto(fd, junk, sizeof(junk), 0, ai->ai_addr,
			 ai->ai_addrlen);
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)ai->ai_addr)->sin_port =
			htons((uint16_t)atoi(port));
	else
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			htons((uint16_t)atoi(port));
	scenario(&s);
	for (i = 0; rc >= 0 && i < s.n; i++) {
		int n = encode(&s.d[i], buf, sizeof(buf), sealed);

		rc = (int)sendto(fd, buf, (size_t)n, 0, ai->ai_addr,
				 ai->ai_addrlen);
	}
	if (rc < 0)
		perror("gen-pcaps: sendto");
	close(fd);
	freeaddrinfo(ai);
	return rc < 0 ? -1 : 0;
}

/* TEST_PSK as reliable-cat --psk-file and rdt-pcap --psk-file read it. */
static int write_key(const char *dir)
{
	char path[4096];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/sealed.key", dir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(TEST_PSK); i++)
		fprintf(f, "%02x%s", TEST_PSK[i], i % 16 == 15 ? "\n" : " ");
	return fclose(f) == 0 ? 0 : -1;
}

/* The UDP payload of a raw IP record, and where its UDP header is; NULL
 * if it is not UDP. */
static uint8_t *raw_udp(uint8_t *ip, size_t caplen, size_t *len,
			uint8_t **udp)
{
	size_t hl, ulen;

	if (caplen >= 20 && ip[0] >> 4 == 4 && ip[9] == 17)
		hl = (size_t)(ip[0] & 0x0f) * 4;
	else if (caplen >= 40 && ip[0] >> 4 == 6 && ip[6] == 17)
		hl = 40;
	else
		return NULL;
	if (caplen < hl + 8)
		return NULL;
	ulen = (size_t)(ip[hl + 4] << 8 | ip[hl + 5]);
	if (ulen < 8 || hl + ulen > caplen)
		return NULL;
	*udp = ip + hl;
	*len = ulen - 8;
	return ip + hl + 8;
}

static int alter_sealed(const char *in, const char *out)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *rec;
	static uint8_t f[65536 + 64];
	pcap_dumper_t *w;
	pcap_t *pc;
	unsigned seen = 0;
	int rc;

	pc = pcap_open_offline(in, ebuf);
	if (!pc) {
		fprintf(stderr, "gen-pcaps: %s\n", ebuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_RAW) {
		fprintf(stderr, "gen-pcaps: %s: not raw IP\n", in);
		pcap_close(pc);
		return -1;
	}
	w = pcap_dump_open(pc, out);
	if (!w) {
		fprintf(stderr, "gen-pcaps: %s\n", pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &rec)) == 1) {
		size_t len = 0, caplen = h->caplen < sizeof(f) ? h->caplen :
								 sizeof(f);
		uint8_t *udp = NULL, *dg;

		memcpy(f, rec, caplen);
		dg = raw_udp(f, caplen, &len, &udp);
		if (dg && len > 40 && dg[0] == RDT_PROTO_VERSION_SEALED &&
		    dg[1] == RDT_PKT_DATA && ++seen == 10) {
			int v6 = f[0] >> 4 == 6;
			uint32_t sum;

			tamper(dg, len);
			put16(udp + 6, 0);
			sum = sum16(v6 ? f + 8 : f + 12, v6 ? 32 : 8, 0);
			sum += 17 + (uint32_t)(len + 8);
			sum = fold(sum16(udp, len + 8, sum));
			put16(udp + 6, sum ? sum : 0xffff);
		}
		pcap_dump((u_char *)w, h, f);
	}
	pcap_dump_close(w);
	pcap_close(pc);
	if (rc != PCAP_ERROR_BREAK || seen < 10) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", in,
			rc != PCAP_ERROR_BREAK ? "read error" :
			"fewer than 10 sealed DATA datagrams");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc == 4 && !strcmp(argv[1], "--send"))
		return send_scenario(argv[2], argv[3], 0) < 0;
	if (argc == 4 && !strcmp(argv[1], "--send-sealed"))
		return send_scenario(argv[2], argv[3], 1) < 0;
	if (argc == 4 && !strcmp(argv[1], "--alter-sealed"))
		return alter_sealed(argv[2], argv[3]) < 0;
	if (argc != 2) {
		fprintf(stderr, "usage: gen-pcaps OUTDIR | gen-pcaps --send "
			"HOST PORT | gen-pcaps --send-sealed HOST PORT |\n"
			"       gen-pcaps --alter-sealed IN OUT\n");
		return 2;
	}
	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		if (write_capture(argv[1], &captures[i]) < 0)
			return 1;
	return write_key(argv[1]) < 0;
}
