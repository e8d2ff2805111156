/*
 * rdt-fields: the C side of the dissector test (tests/lua/dissector.sh).
 *
 *   rdt-fields craft FILE    write a pcap with a datagram of every kind
 *   rdt-fields fields FILE   decode FILE with src/wire's codec and print
 *                            one line per record, as the test's tshark
 *                            command prints the dissector's fields
 *   rdt-fields garbage FILE  write a pcap of 600 rdt-like datagrams of
 *                            random content to port 5000
 *
 * craft covers what a simulated transfer never sends: every type, every
 * DATA flag combination, tokens, longer INIT padding, 32 ACK ranges that
 * wrap below packet number 0, every RESET reason and an unknown one, with
 * and without a reset token,
 * IPv6, corrupted, malformed and foreign-version datagrams, sealed ones
 * (the encrypted mode, version 2: each type that is sealed, one
 * corrupted, a sealed RETRY and one too short for its tag, both
 * malformed), and a UDP flow that is not rdt at all.
 *
 * fields prints, tab-separated: a status (ok, corrupt, malformed,
 * version, foreign), then frame.protocols and the rdtp.* fields in the
 * order of FIELDS in dissector.sh, formatted as tshark -T fields formats
 * them (several occurrences joined by ",", absent fields empty).  The
 * values come from rdt_pkt_decode, not from the bytes the dissector
 * reads, so the two decoders check each other.  Of a sealed datagram,
 * whose body is ciphertext, the fields are its clear header's, read with
 * src/core/seal.c's helpers, and the length of its ciphertext and its
 * tag.  Records that are not UDP to or from port 5000 are "foreign"; a
 * datagram that does not decode has only its status and protocols.
 * `fields FILE PORT[,PORT...]` takes other server ports.
 *
 * Exit 0, or 1 with a message on any error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/err.h"
#include "core/seal.h"
#include "runtime/pcaplog.h"
#include "wire/crc32c.h"
#include "wire/pkt.h"

#define RDT_PORT 5000

/* --- craft ---------------------------------------------------------- */

struct crafter {
	struct rdt_pcaplog *log;
	struct sockaddr_storage client, server;
	struct timespec ts;
	unsigned count;
};

static void set_addr(struct sockaddr_storage *ss, const char *ip,
		     uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
	}
}

static void emit(struct crafter *c, int from_client, const uint8_t *dg,
		 size_t len)
{
	c->ts.tv_nsec += 1000000;
	rdt_pcaplog_write(c->log, &c->ts,
			  (struct sockaddr *)(from_client ? &c->client :
							    &c->server),
			  (struct sockaddr *)(from_client ? &c->server :
							    &c->client),
			  dg, len);
	c->count++;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Rewrites the CRC of |len| bytes at |dg| after a deliberate change. */
static void reseal(uint8_t *dg, size_t len)
{
	put32(dg + len - 4, rdt_crc32c(0, dg, len - 4));
}

/* Encodes |p| or dies: every crafted datagram must be encodable. */
static size_t encode(uint8_t *dg, const struct rdt_pkt *p)
{
	rdt_ssize n = rdt_pkt_encode(dg, RDT_PKT_MAX_DGRAM, p);

	if (n <= 0) {
		fprintf(stderr, "rdt-fields: cannot encode type %u flags "
			"0x%02x\n", p->type, p->flags);
		exit(1);
	}
	return (size_t)n;
}

static void send_pkt(struct crafter *c, int from_client,
		     const struct rdt_pkt *p)
{
	static uint8_t dg[RDT_PKT_MAX_DGRAM];

	emit(c, from_client, dg, encode(dg, p));
}

/* The key of the crafted sealed datagrams: the dissector never needs
 * it, but they are sealed as an endpoint would seal them. */
static const uint8_t craft_psk[RDT_SEAL_KEY_SIZE] =
	"rdt-fields: crafted, no secret.";

/* Encodes |p| and seals it as its sender would (handshake key for INIT
 * and ACCEPT, else a session key); returns the sealed length. */
static size_t seal_pkt(uint8_t *dg, const struct rdt_pkt *p)
{
	struct rdt_seal_nonce nonce = { .pn = p->pn };
	uint8_t key[RDT_SEAL_KEY_SIZE];
	size_t n = encode(dg, p);

	if (p->type == RDT_PKT_INIT || p->type == RDT_PKT_ACCEPT) {
		rdt_seal_handshake_key(craft_psk, p->type, key);
		nonce.cid = p->scid;
		nonce.handshake = 1;
	} else {
		rdt_seal_session_key(craft_psk, 0x0123456789ABCDEFull,
				     0xFEDCBA9876543210ull,
				     p->dcid == 0x0123456789ABCDEFull, key);
	}
	return rdt_seal(dg, n, key, &nonce, NULL);
}

/* The encrypted mode: every type that is ever sealed, then what the
 * dissector must flag. */
static void craft_sealed(struct crafter *c)
{
	static const uint8_t hello[] = "hello";
	static uint8_t dg[RDT_PKT_MAX_DGRAM + RDT_SEAL_TAG_SIZE];
	struct rdt_pkt p;
	size_t n;
	unsigned i;

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_INIT;
	p.pn = 7000;
	p.scid = 0x0123456789ABCDEFull;
	p.isn = 5;
	p.window = 1 << 16;
	p.max_dgram = 1400;
	for (i = 0; i < RDT_PKT_RESET_TOKEN_SIZE; i++)
		p.reset_token[i] = (uint8_t)(0x30 + i);
	emit(c, 1, dg, seal_pkt(dg, &p));
	p.type = RDT_PKT_ACCEPT;
	p.dcid = 0x0123456789ABCDEFull;
	p.scid = 0xFEDCBA9876543210ull;
	p.pn = 9000;
	p.echo_pn = 7000;
	emit(c, 0, dg, seal_pkt(dg, &p));

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_DATA;
	p.dcid = 0xFEDCBA9876543210ull;
	p.pn = 7001;
	p.window_edge = 65536;
	p.flags = RDT_PKT_F_ACK | RDT_PKT_F_STREAM;
	p.ack.cum = 1;
	p.ack.largest = 9000;
	p.offset = 6;
	p.data = hello;
	p.data_len = 5;
	emit(c, 1, dg, seal_pkt(dg, &p));
	/* Corrupted in transit: a bit of the ciphertext. */
	n = seal_pkt(dg, &p);
	dg[20] ^= 0x04;
	emit(c, 1, dg, n);
	/* Too short for a tag, CRC good: malformed in any key. */
	p.pn++;
	p.flags = 0;
	n = encode(dg, &p);
	dg[0] = RDT_PROTO_VERSION_SEALED;
	reseal(dg, n);
	emit(c, 1, dg, n);

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_RESET;
	p.dcid = 0x0123456789ABCDEFull;
	p.pn = 9001;
	p.reason = RDT_RESET_ABORT;
	p.has_reset_token = 1;
	emit(c, 0, dg, seal_pkt(dg, &p));

	/* A RETRY is never sealed (a listener has no key of the client's
	 * yet): version 2 with a good CRC is malformed. */
	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_RETRY;
	p.dcid = 0x0123456789ABCDEFull;
	p.pn = 9002;
	p.token = (const uint8_t *)"cookie";
	p.token_len = 6;
	n = encode(dg, &p);
	memset(dg + n - 4, 0, RDT_SEAL_TAG_SIZE);
	n += RDT_SEAL_TAG_SIZE;
	dg[0] = RDT_PROTO_VERSION_SEALED;
	reseal(dg, n);
	emit(c, 0, dg, n);
}

static void craft_flow(struct crafter *c)
{
	static const uint8_t token64[64] = { 0xAA, 0x55, [63] = 0xFF };
	static const uint8_t hello[] = "hello";
	static uint8_t dg[RDT_PKT_MAX_DGRAM];
	struct rdt_pkt p;
	size_t n;
	unsigned i;

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_INIT;
	p.pn = 4000;
	p.scid = 0x0123456789ABCDEFull;
	p.isn = 0xFFFFFF00u;
	p.window = 1 << 20;
	p.max_dgram = 1400;
	for (i = 0; i < RDT_PKT_RESET_TOKEN_SIZE; i++)
		p.reset_token[i] = (uint8_t)(0x10 + i);
	send_pkt(c, 1, &p);
	p.pn++;
	p.token = (const uint8_t *)"token";
	p.token_len = 5;
	send_pkt(c, 1, &p);
	p.pn++;
	p.token = token64;
	p.token_len = 64;
	send_pkt(c, 1, &p);
	/* A client may pad further; the extra bytes are zero. */
	p.pn++;
	p.token_len = 0;
	n = encode(dg, &p);
	memset(dg + n - 4, 0, 1300 - (n - 4));
	reseal(dg, 1300);
	emit(c, 1, dg, 1300);

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_ACCEPT;
	p.dcid = 0x0123456789ABCDEFull;
	p.pn = 0xFFFFFFFEu;
	p.scid = 0xFEDCBA9876543210ull;
	p.isn = 77;
	p.window = 65536;
	p.max_dgram = 256;
	p.echo_pn = 4003;
	for (i = 0; i < RDT_PKT_RESET_TOKEN_SIZE; i++)
		p.reset_token[i] = (uint8_t)(0xE0 ^ i);
	send_pkt(c, 0, &p);

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_DATA;
	p.dcid = 0xFEDCBA9876543210ull;
	p.pn = 4004;
	p.window_edge = 65613;
	send_pkt(c, 1, &p);			/* bare window update */
	p.pn++;
	p.flags = RDT_PKT_F_ACK;
	p.ack.cum = 77;
	p.ack.largest = 0xFFFFFFFFu;
	p.ack.ack_delay_us = 25000;
	p.ack.first_len = 1;
	send_pkt(c, 1, &p);			/* ACK, first range only */
	p.pn++;
	/* 32 ranges from largest 5 down through the 32-bit wrap. */
	p.ack.largest = 5;
	p.ack.first_len = 2;
	p.ack.nranges = RDT_PKT_MAX_ACK_RANGES;
	for (i = 0; i < RDT_PKT_MAX_ACK_RANGES; i++) {
		p.ack.ranges[i].gap = i % 3;
		p.ack.ranges[i].len = i % 4;
	}
	send_pkt(c, 1, &p);
	p.pn++;
	p.flags = RDT_PKT_F_STREAM;
	p.offset = 0xFFFFFFFEu;
	p.data = hello;
	p.data_len = 5;
	send_pkt(c, 1, &p);
	p.pn++;
	p.flags = RDT_PKT_F_STREAM | RDT_PKT_F_FIN;
	p.offset = 3;
	send_pkt(c, 1, &p);
	p.pn++;
	p.data_len = 0;				/* a bare FIN */
	p.offset = 8;
	send_pkt(c, 1, &p);
	p.pn++;
	p.flags = RDT_PKT_F_PING;
	send_pkt(c, 1, &p);
	p.pn++;
	p.flags = RDT_PKT_F_ACK | RDT_PKT_F_STREAM | RDT_PKT_F_FIN |
		  RDT_PKT_F_PING;
	p.ack.largest = 4097;
	p.ack.nranges = 1;
	p.ack.ranges[0].gap = 3;
	p.ack.ranges[0].len = 4;
	p.data_len = 5;
	send_pkt(c, 1, &p);
	/* PROTOCOL.md's worked example, from the server. */
	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_DATA;
	p.flags = RDT_PKT_F_ACK | RDT_PKT_F_STREAM;
	p.dcid = 0x0123456789ABCDEFull;
	p.pn = 4097;
	p.window_edge = 65536;
	p.ack.cum = 1000;
	p.ack.largest = 4096;
	p.ack.ack_delay_us = 25000;
	p.ack.first_len = 2;
	p.ack.nranges = 1;
	p.ack.ranges[0].gap = 3;
	p.ack.ranges[0].len = 4;
	p.offset = 1000;
	p.data = hello;
	p.data_len = 5;
	n = encode(dg, &p);
	emit(c, 0, dg, n);

	/* The same, corrupted in its payload and in its version byte. */
	dg[n - 7] ^= 0x20;
	emit(c, 0, dg, n);
	dg[n - 7] ^= 0x20;
	dg[0] ^= 0x03;
	emit(c, 0, dg, n);
	/* Malformed with a good CRC: a byte between the STREAM data and the
	 * CRC, which data_len does not cover. */
	dg[0] ^= 0x03;
	dg[n - 4] = '!';
	reseal(dg, n + 1);
	emit(c, 0, dg, n + 1);
	/* The same malformed datagram, also corrupted in transit: its
	 * broken rule is then the corruption's doing, which the dissector
	 * must not call an endpoint's error (rdtp.garbled, a note). */
	dg[n - 7] ^= 0x20;
	emit(c, 0, dg, n + 1);

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_RESET;
	p.dcid = 0x0123456789ABCDEFull;
	p.pn = 4098;
	for (p.reason = RDT_RESET_ABORT; p.reason <= RDT_RESET_TIMEOUT + 1;
	     p.reason++, p.pn++)
		send_pkt(c, 0, &p);
	p.reason = 0xDEAD;
	send_pkt(c, 0, &p);
	/* A connection's own RESET carries its reset token. */
	p.pn++;
	p.reason = RDT_RESET_ABORT;
	p.has_reset_token = 1;
	for (i = 0; i < RDT_PKT_RESET_TOKEN_SIZE; i++)
		p.reset_token[i] = (uint8_t)(0xE0 ^ i);
	send_pkt(c, 0, &p);
	p.has_reset_token = 0;
	/* A later version (2 is the encrypted mode's), with a good CRC:
	 * foreign, not corrupt. */
	n = encode(dg, &p);
	dg[0] = 3;
	reseal(dg, n);
	emit(c, 0, dg, n);
	craft_sealed(c);
}

static int cmd_craft(const char *path)
{
	struct crafter c;
	uint8_t junk[30];
	unsigned i;

	memset(&c, 0, sizeof(c));
	c.log = rdt_pcaplog_open(path);
	if (c.log == NULL) {
		fprintf(stderr, "rdt-fields: %s: %s\n", path, strerror(errno));
		return 1;
	}
	c.ts.tv_sec = 1767225600;
	set_addr(&c.client, "10.0.0.1", 40000);
	set_addr(&c.server, "10.0.0.2", RDT_PORT);
	craft_flow(&c);
	set_addr(&c.client, "2001:db8::1", 40001);
	set_addr(&c.server, "2001:db8::2", RDT_PORT);
	craft_flow(&c);
	/* Not rdt: version 1, DATA, reserved 0, but no valid CRC. */
	set_addr(&c.client, "10.0.0.3", 33333);
	set_addr(&c.server, "10.0.0.4", 33334);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7);
	junk[0] = 1;
	junk[1] = 3;
	junk[3] = 0;
	emit(&c, 1, junk, sizeof(junk));
	rdt_pcaplog_close(c.log);
	printf("%u\n", c.count);
	return 0;
}

/*
 * Garbage for the dissector to survive: datagrams of every short length
 * and some long ones, mostly looking like rdt (version 1, a type near
 * 1-4, reserved 0), with random flags and bodies, half of them sealed
 * with a correct CRC so that the dissector parses them all the way.
 */
static int cmd_garbage(const char *path)
{
	static uint8_t dg[2000];
	struct crafter c;
	uint64_t x = 0x5EED;
	unsigned i;
	size_t len, k;

	memset(&c, 0, sizeof(c));
	c.log = rdt_pcaplog_open(path);
	if (c.log == NULL) {
		fprintf(stderr, "rdt-fields: %s: %s\n", path, strerror(errno));
		return 1;
	}
	c.ts.tv_sec = 1767225600;
	set_addr(&c.client, "10.0.0.1", 40000);
	set_addr(&c.server, "10.0.0.2", RDT_PORT);
	for (i = 0; i < 600; i++) {
		len = i < 100 ? i : 24 + (size_t)(i * 37 % 1900);
		for (k = 0; k < len; k++) {
			/* xorshift64: any fixed sequence will do. */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			dg[k] = (uint8_t)x;
		}
		if (len >= 4 && i % 5 != 0) {
			dg[0] = 1;
			dg[1] = (uint8_t)(i % 6);
			dg[3] = 0;
			if (i % 3 == 0)
				dg[2] &= 0x0F;
		}
		if (len >= 4 && i % 2 == 0)
			reseal(dg, len);
		emit(&c, i % 2, dg, len);
	}
	rdt_pcaplog_close(c.log);
	printf("%u\n", c.count);
	return 0;
}

/* --- fields --------------------------------------------------------- */

/* Where the UDP payload of a raw IP record starts; 0 if not UDP. */
static size_t udp_payload(const uint8_t *ip, size_t caplen, int *v6,
			  uint16_t *sport, uint16_t *dport)
{
	size_t hl;

	if (caplen >= 20 && ip[0] >> 4 == 4 && ip[9] == 17) {
		hl = (size_t)(ip[0] & 0x0F) * 4;
		*v6 = 0;
	} else if (caplen >= 40 && ip[0] >> 4 == 6 && ip[6] == 17) {
		hl = 40;
		*v6 = 1;
	} else {
		return 0;
	}
	if (caplen < hl + 8)
		return 0;
	*sport = (uint16_t)(ip[hl] << 8 | ip[hl + 1]);
	*dport = (uint16_t)(ip[hl + 2] << 8 | ip[hl + 3]);
	return hl + 8;
}

static void print_hex(const uint8_t *p, size_t len)
{
	while (len--)
		printf("%02x", *p++);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * A sealed datagram with a good CRC: "ok" and its clear fields, or
 * "malformed" when no sealed datagram can look so (a type never sealed,
 * the reserved byte set, too short for its clear prefix and tag).
 */
static void print_sealed(const char *proto, const uint8_t *dg, size_t len)
{
	uint8_t type = dg[1];
	int hs = type == RDT_PKT_INIT || type == RDT_PKT_ACCEPT;
	/* A public-key INIT or ACCEPT (flag 0x01) also carries an
	 * ephemeral key in clear; other flags leave the prefix as it is. */
	size_t clear = rdt_seal_clear_len(type, hs ? dg[2] : 0);

	if (type < RDT_PKT_INIT || type > RDT_PKT_RESET || dg[3] != 0 ||
	    len < clear + RDT_SEAL_TAG_SIZE + RDT_PKT_CRC_SIZE) {
		printf("malformed\t%s\n", proto);
		return;
	}
	/* version, type, flags, reserved, dcid, pn */
	printf("ok\t%s\t2\t%u\t0x%02x\t0x00\t0x%016llx\t%u", proto, type,
	       dg[2], (unsigned long long)get_be64(dg + 4),
	       rdt_seal_wire_pn(dg));
	/* scid (clear in INIT and ACCEPT), then the 24 fields that are in
	 * the ciphertext: isn to reset_token */
	if (hs)
		printf("\t0x%016llx", (unsigned long long)
		       rdt_seal_prefix_cid(dg, len));
	else
		printf("\t");
	for (int i = 0; i < 24; i++)
		printf("\t");
	/* sealed.len, sealed.tag, crc, crc.status */
	printf("\t%zu\t", len - clear - RDT_SEAL_TAG_SIZE - RDT_PKT_CRC_SIZE);
	print_hex(dg + len - RDT_PKT_CRC_SIZE - RDT_SEAL_TAG_SIZE,
		  RDT_SEAL_TAG_SIZE);
	printf("\t0x%02x%02x%02x%02x\t1\n", dg[len - 4], dg[len - 3],
	       dg[len - 2], dg[len - 1]);
}

static void print_fields(const struct rdt_pkt *p, size_t len)
{
	const struct rdt_pkt_ack *a = &p->ack;
	int has_ack = p->type == RDT_PKT_DATA && (p->flags & RDT_PKT_F_ACK);
	int has_stream = p->type == RDT_PKT_DATA &&
			 (p->flags & RDT_PKT_F_STREAM);
	int hs = p->type == RDT_PKT_INIT || p->type == RDT_PKT_ACCEPT;
	uint32_t lg, sm, acked;
	unsigned i;

	/* version, type, flags, reserved, dcid, pn */
	printf("\t1\t%u\t0x%02x\t0x00\t0x%016llx\t%u", p->type, p->flags,
	       (unsigned long long)p->dcid, p->pn);
	/* scid, isn, window, max_dgram */
	if (hs)
		printf("\t0x%016llx\t%u\t%u\t%u", (unsigned long long)p->scid,
		       p->isn, p->window, p->max_dgram);
	else
		printf("\t\t\t\t");
	/* token_len, token, padding_len */
	if (p->type == RDT_PKT_INIT) {
		printf("\t%u\t", p->token_len);
		print_hex(p->token, p->token_len);
		printf("\t%zu", len - 4 - 51 - p->token_len);
	} else {
		printf("\t\t\t");
	}
	/* echo_pn, window_edge */
	if (p->type == RDT_PKT_ACCEPT)
		printf("\t%u", p->echo_pn);
	else
		printf("\t");
	if (p->type == RDT_PKT_DATA)
		printf("\t%u", p->window_edge);
	else
		printf("\t");
	/* cum, largest, delay, first_len, nranges, gap, len,
	 * range.largest, range.smallest, acked */
	if (has_ack) {
		printf("\t%u\t%u\t%u\t%u\t%u\t", a->cum, a->largest,
		       a->ack_delay_us, a->first_len, a->nranges);
		for (i = 0; i < a->nranges; i++)
			printf("%s%u", i ? "," : "", a->ranges[i].gap);
		printf("\t");
		for (i = 0; i < a->nranges; i++)
			printf("%s%u", i ? "," : "", a->ranges[i].len);
		/* Section 5, with unsigned 32-bit arithmetic doing the mod. */
		lg = a->largest;
		sm = lg - a->first_len;
		printf("\t%u", lg);
		for (i = 0; i < a->nranges; i++) {
			lg = sm - a->ranges[i].gap - 2;
			sm = lg - a->ranges[i].len;
			printf(",%u", lg);
		}
		lg = a->largest;
		sm = lg - a->first_len;
		acked = a->first_len + 1;
		printf("\t%u", sm);
		for (i = 0; i < a->nranges; i++) {
			lg = sm - a->ranges[i].gap - 2;
			sm = lg - a->ranges[i].len;
			acked += a->ranges[i].len + 1;
			printf(",%u", sm);
		}
		printf("\t%u", acked);
	} else {
		printf("\t\t\t\t\t\t\t\t\t\t");
	}
	/* offset, len, data, fin_offset */
	if (has_stream) {
		printf("\t%u\t%u\t", p->offset, p->data_len);
		print_hex(p->data, p->data_len);
		if (p->flags & RDT_PKT_F_FIN)
			printf("\t%u", p->offset + p->data_len);
		else
			printf("\t");
	} else {
		printf("\t\t\t\t");
	}
	/* reason, reset_token */
	if (p->type == RDT_PKT_RESET)
		printf("\t%u", p->reason);
	else
		printf("\t");
	printf("\t");
	if (hs || p->has_reset_token)
		print_hex(p->reset_token, RDT_PKT_RESET_TOKEN_SIZE);
}

/* Is |p| one of the |n| ports at |ports|? */
static int port_in(uint16_t p, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p == ports[i])
			return 1;
	return 0;
}

static int cmd_fields(const char *path, const uint16_t *ports, size_t nports)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *rec;
	struct rdt_pkt pkt;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline(path, err);
	if (pc == NULL) {
		fprintf(stderr, "rdt-fields: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(pc, &h, &rec)) == 1) {
		uint16_t sport = 0, dport = 0;
		int v6 = 0;
		size_t off = udp_payload(rec, h->caplen, &v6, &sport, &dport);
		const uint8_t *dg = rec + off;
		size_t len = h->caplen - off;
		const char *proto = v6 ? "raw:ipv6:udp:rdtp" :
					 "raw:ip:udp:rdtp";

		if (off == 0 || (!port_in(sport, ports, nports) &&
				 !port_in(dport, ports, nports))) {
			printf("foreign\n");
			continue;
		}
		switch (rdt_pkt_decode(&pkt, dg, len)) {
		case 0:
			printf("ok\t%s", proto);
			print_fields(&pkt, len);
			/* sealed.len, sealed.tag (none), crc, crc.status */
			printf("\t\t\t0x%02x%02x%02x%02x\t1\n", dg[len - 4],
			       dg[len - 3], dg[len - 2], dg[len - 1]);
			break;
		case RDT_ERR_CHECKSUM:
			printf("corrupt\t%s\n", proto);
			break;
		case RDT_ERR_VERSION:
			if (dg[0] == RDT_PROTO_VERSION_SEALED)
				print_sealed(proto, dg, len);
			else
				printf("version\t%s\n", proto);
			break;
		default:
			printf("malformed\t%s\n", proto);
			break;
		}
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "rdt-fields: %s: %s\n", path, pcap_geterr(pc));
		pcap_close(pc);
		return 1;
	}
	pcap_close(pc);
	return 0;
}

int main(int argc, char **argv)
{
	uint16_t ports[16] = { RDT_PORT };
	size_t nports = 1;

	if (argc == 3 && strcmp(argv[1], "craft") == 0)
		return cmd_craft(argv[2]);
	if (argc == 3 && strcmp(argv[1], "fields") == 0)
		return cmd_fields(argv[2], ports, nports);
	/* A capture whose server ports are not the simulator's: a comma
	 * list (the library's log holds a clear and an encrypted run). */
	if (argc == 4 && strcmp(argv[1], "fields") == 0) {
		char *s = argv[3], *end;

		for (nports = 0; nports < 16; s = end + 1) {
			ports[nports++] = (uint16_t)strtoul(s, &end, 10);
			if (*end != ',')
				break;
		}
		return cmd_fields(argv[2], ports, nports);
	}
	if (argc == 3 && strcmp(argv[1], "garbage") == 0)
		return cmd_garbage(argv[2]);
	fprintf(stderr, "usage: rdt-fields craft|fields|garbage FILE\n"
			"       rdt-fields fields FILE PORT[,PORT...]\n");
	return 2;
}
