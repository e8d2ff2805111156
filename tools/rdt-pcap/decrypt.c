/*
 * decrypt.c: "rdt-pcap decrypt", a capture of encrypted rdt traffic made
 * readable by tools that know only the clear protocol.
 *
 * Map: cmd_decrypt parses options and runs reader_run (which opens the
 * sealed datagrams with unseal.c) into on_dgram, which writes each rdt
 * datagram as a frame of its own: raw IP (LINKTYPE_RAW), an IPv4 or IPv6
 * header and a UDP header built from the datagram's addresses and ports,
 * checksums computed, capture time kept to the nanosecond.  An opened
 * datagram is written as its version 1 image, the datagram its sender
 * sealed, so Wireshark's dissector (docs/rdt.lua) shows its payload and
 * rdt-pcap check checks it without the key.  Frames are rebuilt rather
 * than edited because opening shortens the payload by the tag, which
 * would leave every length and checksum of the original link, IP and
 * UDP headers to mend, per link type; a GSO train, one UDP payload in
 * the capture, becomes one frame per datagram, as its receiver saw them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "commands.h"
#include "reader.h"
#include "util.h"

const char decrypt_usage[] =
"Usage: rdt-pcap decrypt --psk-file KEYFILE -w OUTFILE [-p PORT]... FILE\n"
"\n"
"Write a copy of the capture FILE (\"-\" reads standard input) in which\n"
"every sealed datagram of the encrypted mode that opens with the\n"
"pre-shared key is replaced by the clear (version 1) datagram its sender\n"
"sealed, so that Wireshark or tshark with the rdt dissector shows its\n"
"payload, and 'rdt-pcap check' checks it without the key.\n"
"\n"
"OUTFILE holds the rdt datagrams only, one per frame, as raw IP (link\n"
"type RAW) with their capture times, addresses and ports, and IP and\n"
"UDP checksums computed afresh; a GSO train becomes one frame per\n"
"datagram.  Datagrams in clear, and sealed ones that do not open\n"
"(another key, altered in transit, a public-key connection, whose\n"
"session keys no key file can give), are written as they were.  A\n"
"summary goes to standard error.\n"
"\n"
"  -K, --psk-file KEYFILE  the pre-shared key, 64 hex digits as for\n"
"                          reliable-cat --psk-file (required)\n"
"  -w, --write OUTFILE     the pcap file to write (\"-\": standard\n"
"                          output); an existing file is replaced\n"
"  -p, --port PORT         every UDP datagram to or from PORT is rdt (may\n"
"                          be repeated); without it, rdt flows are\n"
"                          recognised as by 'rdt-pcap check'\n"
"\n"
"Exit status: 0 written; 1 written, but the key opened none of the\n"
"capture's sealed datagrams (most likely not these connections' key);\n"
"2 usage or I/O error.\n";

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_HDR 8
#define FRAME_MAX (IP6_HDR + UDP_HDR + RDT_PKT_MAX_DGRAM)

struct decrypt {
	pcap_dumper_t *dump;
	uint64_t written, opened, sealed, not_opened;
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The ones' complement sum of RFC 1071 over |len| bytes, not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Builds in |f| the IP and UDP headers for |len| payload bytes, already
 * in place after them, from |d|'s endpoints.
 */
static void build_headers(uint8_t *f, const struct rdt_dgram *d, size_t len)
{
	size_t alen = d->src.family == AF_INET ? 4 : 16;
	size_t ip = d->src.family == AF_INET ? IP4_HDR : IP6_HDR;
	uint8_t *udp = f + ip;
	uint32_t sum;
	uint16_t csum;

	memset(f, 0, ip + UDP_HDR);
	if (d->src.family == AF_INET) {
		f[0] = 0x45;
		put16(f + 2, (uint32_t)(IP4_HDR + UDP_HDR + len));
		f[6] = 0x40;	/* don't fragment, as rdt sends */
		f[8] = 64;
		f[9] = 17;
		memcpy(f + 12, d->src.addr, 4);
		memcpy(f + 16, d->dst.addr, 4);
		put16(f + 10, fold(sum16(f, IP4_HDR, 0)));
	} else {
		f[0] = 0x60;
		put16(f + 4, (uint32_t)(UDP_HDR + len));
		f[6] = 17;
		f[7] = 64;
		memcpy(f + 8, d->src.addr, 16);
		memcpy(f + 24, d->dst.addr, 16);
	}
	put16(udp, d->src.port);
	put16(udp + 2, d->dst.port);
	put16(udp + 4, (uint32_t)(UDP_HDR + len));
	/* The pseudo-header: both addresses, protocol and UDP length. */
	sum = sum16(d->src.addr, alen, 0);
	sum = sum16(d->dst.addr, alen, sum);
	sum += 17 + (uint32_t)(UDP_HDR + len);
	csum = fold(sum16(udp, UDP_HDR + len, sum));
	/* 0 means "no checksum" (and is forbidden over IPv6). */
	put16(udp + 6, csum ? csum : 0xffff);
}

static void on_dgram(void *arg, const struct rdt_dgram *d)
{
	static uint8_t frame[FRAME_MAX];
	struct decrypt *dc = arg;
	struct pcap_pkthdr h;
	size_t hdr = d->src.family == AF_INET ? IP4_HDR + UDP_HDR
					       : IP6_HDR + UDP_HDR;

	if (d->len > RDT_PKT_MAX_DGRAM)
		return;	/* no rdt datagram is longer: not ours to rebuild */
	memcpy(frame + hdr, d->bytes, d->len);
	build_headers(frame, d, d->len);
	memset(&h, 0, sizeof(h));
	/* The dumper was opened for nanoseconds: tv_usec holds them. */
	h.ts.tv_sec = (time_t)(d->t_ns / 1000000000);
	h.ts.tv_usec = (suseconds_t)(d->t_ns % 1000000000);
	h.caplen = h.len = (bpf_u_int32)(hdr + d->len);
	pcap_dump((u_char *)dc->dump, &h, frame);
	dc->written++;
	if (d->seal == UNSEAL_OPENED) {
		dc->opened++;
		dc->sealed++;
	} else if (d->seal != UNSEAL_CLEAR) {
		dc->not_opened++;
		dc->sealed++;
	}
}

int cmd_decrypt(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "psk-file", required_argument, NULL, 'K' },
		{ "write", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Static: it holds a datagram-sized buffer. */
	static struct unseal unseal;
	uint8_t psk[RDT_SEAL_KEY_SIZE];
	uint16_t ports[MAX_PORTS];
	size_t nports = 0;
	const char *out = NULL;
	int have_psk = 0, ch, rc;
	struct decrypt dc;
	struct reader_stats rs;
	pcap_t *dead;
	char err[512];

	while ((ch = getopt_long(argc, argv, "+K:w:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'K':
			if (read_psk_file(optarg, psk) < 0)
				return EXIT_USAGE;
			have_psk = 1;
			break;
		case 'w':
			out = optarg;
			break;
		case 'p':
			if (add_port(ports, &nports, optarg) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			fputs(decrypt_usage, stdout);
			return 0;
		default:
			fputs("Try 'rdt-pcap decrypt --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (!have_psk || !out || argc - optind != 1) {
		warnx_("decrypt: expected --psk-file KEYFILE, -w OUTFILE and "
		       "one capture FILE");
		fputs("Try 'rdt-pcap decrypt --help'.\n", stderr);
		explicit_bzero(psk, sizeof(psk));
		return EXIT_USAGE;
	}
	dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, FRAME_MAX,
						    PCAP_TSTAMP_PRECISION_NANO);
	if (dead == NULL) {
		warnx_("decrypt: libpcap cannot make a RAW capture");
		explicit_bzero(psk, sizeof(psk));
		return EXIT_USAGE;
	}
	memset(&dc, 0, sizeof(dc));
	dc.dump = pcap_dump_open(dead, out);
	if (dc.dump == NULL) {
		warnx_("decrypt: %s", pcap_geterr(dead));
		pcap_close(dead);
		explicit_bzero(psk, sizeof(psk));
		return EXIT_USAGE;
	}
	unseal_init(&unseal, psk);
	explicit_bzero(psk, sizeof(psk));
	rc = reader_run(argv[optind], ports, nports, &unseal, on_dgram, &dc,
			&rs, err, sizeof(err));
	unseal_free(&unseal);
	if (pcap_dump_flush(dc.dump) != 0 || ferror(pcap_dump_file(dc.dump))) {
		warnx_("decrypt: writing %s failed", out);
		rc = -1;
		snprintf(err, sizeof(err), "%s is incomplete", out);
	}
	pcap_dump_close(dc.dump);
	pcap_close(dead);
	if (rc < 0) {
		warnx_("%s", err);
		return EXIT_USAGE;
	}
	fprintf(stderr, "%s: %" PRIu64 " rdt datagrams written to %s: %" PRIu64
		" sealed, %" PRIu64 " opened, %" PRIu64 " not opened (another "
		"key, altered, public-key or handshake not captured); %" PRIu64
		" frames read, %" PRIu64 " not rdt\n", PROG, dc.written, out,
		dc.sealed, dc.opened, dc.not_opened, rs.frames,
		rs.other_udp + rs.not_udp);
	if (dc.sealed > 0 && dc.opened == 0) {
		warnx_("decrypt: the key opened none of the %" PRIu64 " sealed "
		       "datagrams: is it the key of these connections?",
		       dc.sealed);
		return EXIT_VIOLATIONS;
	}
	return 0;
}
