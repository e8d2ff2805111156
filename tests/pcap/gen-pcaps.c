/*
 * gen-pcaps: builds the hand-crafted captures of tests/data/ that
 * rdt-pcap check is tested with, or sends the good scenario over UDP.
 *
 *   gen-pcaps OUTDIR            write every capture into OUTDIR
 *   gen-pcaps --send HOST PORT  send one non-rdt datagram to PORT + 1,
 *                               then the good scenario's datagrams to PORT
 *
 * The scenario is one short connection (scenario()): handshake, client
 * data across the 32-bit offset wrap with a hole, a SACK range, a
 * retransmission of identical bytes, a spurious one, a duplicate on the
 * wire, server data, FIN both ways, all acknowledged.  Each bad capture
 * changes one thing in it (the variants table) so that rdt-pcap check
 * must find exactly one violation; the good one is written in several
 * link types.  Datagrams come from src/wire's encoder, frames and files
 * from libpcap (pcap_open_dead, pcap_dump): the output depends on nothing
 * but this file, so `make check` compares it with the committed copies.
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

enum dir { C2S, S2C };

struct dgram {
	enum dir dir;
	unsigned t_ms;
	struct rdt_pkt pkt;
	/* Applied after encoding: flip the byte at this index (0: none). */
	size_t corrupt_at;
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

/* --- frames ---------------------------------------------------------- */

struct encap {
	const char *file;
	int dlt;
	int ip6;
	void (*mutate)(struct scenario *s);
};

static const struct encap captures[] = {
	{ "good.pcap", DLT_EN10MB, 0, NULL },
	{ "good-sll-ip6.pcap", DLT_LINUX_SLL, 1, NULL },
	{ "good-sll2.pcap", DLT_LINUX_SLL2, 0, NULL },
	{ "good-raw-ip6.pcap", DLT_RAW, 1, NULL },
	{ "midstream.pcap", DLT_EN10MB, 0, midstream },
	{ "reused-pn.pcap", DLT_EN10MB, 0, reused_pn },
	{ "retx-differs.pcap", DLT_EN10MB, 0, retx_differs },
	{ "ack-unsent-pn.pcap", DLT_EN10MB, 0, ack_unsent_pn },
	{ "ack-unsent-data.pcap", DLT_EN10MB, 0, ack_unsent_data },
	{ "beyond-window.pcap", DLT_EN10MB, 0, beyond_window },
	{ "bad-checksum.pcap", DLT_EN10MB, 1, bad_checksum },
};

#define CLIENT_PORT 40000
#define SERVER_PORT 7000

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

/* Builds link, IP and UDP headers around |payload| into |f|; returns the
 * frame length. */
static size_t frame(uint8_t *f, const struct encap *e, enum dir dir,
		    const uint8_t *payload, size_t len)
{
	static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 },
					   { 2, 0, 0, 0, 0, 2 } };
	uint8_t ip[2][16] = { { 0 }, { 0 } };
	size_t link, iplen = e->ip6 ? 40 : 20, ulen = 8 + len;
	uint8_t *h, *u;
	int src = dir == C2S ? 0 : 1;
	uint32_t sum;

	if (e->ip6) {
		ip[0][0] = ip[1][0] = 0xfd;
		ip[0][15] = 1;
		ip[1][15] = 2;
	} else {
		ip[0][0] = ip[1][0] = 10;
		ip[0][3] = 1;
		ip[1][3] = 2;
	}
	switch (e->dlt) {
	case DLT_EN10MB:
		memcpy(f, mac[!src], 6);
		memcpy(f + 6, mac[src], 6);
		put16(f + 12, e->ip6 ? 0x86dd : 0x0800);
		link = 14;
		break;
	case DLT_LINUX_SLL:
		memset(f, 0, 16);
		put16(f, src ? 0 : 4);		/* to us / outgoing */
		put16(f + 2, 1);		/* ARPHRD_ETHER */
		put16(f + 4, 6);
		memcpy(f + 6, mac[src], 6);
		put16(f + 14, e->ip6 ? 0x86dd : 0x0800);
		link = 16;
		break;
	case DLT_LINUX_SLL2:
		memset(f, 0, 20);
		put16(f, e->ip6 ? 0x86dd : 0x0800);
		f[7] = 2;			/* interface index */
		put16(f + 8, 1);
		f[10] = src ? 0 : 4;
		f[11] = 6;
		memcpy(f + 12, mac[src], 6);
		link = 20;
		break;
	default:
		link = 0;
	}
	h = f + link;
	u = h + iplen;
	memset(h, 0, iplen + 8);
	if (e->ip6) {
		h[0] = 0x60;
		put16(h + 4, (unsigned)ulen);
		h[6] = 17;
		h[7] = 64;
		memcpy(h + 8, ip[src], 16);
		memcpy(h + 24, ip[!src], 16);
	} else {
		h[0] = 0x45;
		put16(h + 2, (unsigned)(iplen + ulen));
		h[6] = 0x40;			/* don't fragment */
		h[8] = 64;
		h[9] = 17;
		memcpy(h + 12, ip[src], 4);
		memcpy(h + 16, ip[!src], 4);
		put16(h + 10, fold(sum16(h, 20, 0)));
	}
	put16(u, src ? SERVER_PORT : CLIENT_PORT);
	put16(u + 2, src ? CLIENT_PORT : SERVER_PORT);
	put16(u + 4, (unsigned)ulen);
	memcpy(u + 8, payload, len);
	/* The UDP checksum over the pseudo-header (optional for IPv4, but
	 * a capture should look like real traffic). */
	sum = sum16(e->ip6 ? h + 8 : h + 12, e->ip6 ? 32 : 8, 0);
	sum += 17 + (uint32_t)ulen;
	sum = fold(sum16(u, ulen, sum));
	put16(u + 6, sum ? sum : 0xffff);
	return link + iplen + ulen;
}

static int encode(const struct dgram *d, uint8_t *buf, size_t len)
{
	rdt_ssize n = rdt_pkt_encode(buf, len, &d->pkt);

	if (n < 0) {
		fprintf(stderr, "gen-pcaps: cannot encode datagram (%d)\n",
			(int)n);
		exit(1);
	}
	if (d->corrupt_at)
		buf[d->corrupt_at] ^= 0x01;
	return (int)n;
}

static int write_capture(const char *dir, const struct encap *e)
{
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
	for (i = 0; i < s.n; i++) {
		struct pcap_pkthdr h;
		int n = encode(&s.d[i], buf, sizeof(buf));

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = T0_SEC + s.d[i].t_ms / 1000;
		h.ts.tv_usec = (s.d[i].t_ms % 1000) * 1000;
		h.caplen = h.len = (bpf_u_int32)frame(f, e, s.d[i].dir, buf,
						      (size_t)n);
		pcap_dump((u_char *)w, &h, f);
	}
	pcap_dump_close(w);
	pcap_close(pc);
	return 0;
}

static int send_scenario(const char *host, const char *port)
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
		int n = encode(&s.d[i], buf, sizeof(buf));

		rc = (int)sendto(fd, buf, (size_t)n, 0, ai->ai_addr,
				 ai->ai_addrlen);
	}
	if (rc < 0)
		perror("gen-pcaps: sendto");
	close(fd);
	freeaddrinfo(ai);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc == 4 && !strcmp(argv[1], "--send"))
		return send_scenario(argv[2], argv[3]) < 0;
	if (argc != 2) {
		fprintf(stderr, "usage: gen-pcaps OUTDIR | gen-pcaps --send "
			"HOST PORT\n");
		return 2;
	}
	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		if (write_capture(argv[1], &captures[i]) < 0)
			return 1;
	return 0;
}
