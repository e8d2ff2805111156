/*
 * reader.c: capture file -> rdt datagrams.
 *
 * Map: reader_run opens the file (nanosecond timestamps), runs learn_flows
 * as a first pass when no ports were given and the file can be read
 * twice, then the main pass: frame_decode finds each UDP payload, is_rdt
 * decides, reader_decode opens (unseal.c) and decodes (rdt_pkt_decode),
 * and the callback gets the result.
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/err.h"
#include "map.h"
#include "reader.h"
#include "wire/crc32c.h"

struct pass {
	pcap_t *pc;
	int dlt;
	const uint16_t *ports;
	size_t nports;
	struct map flows;	/* flow_key -> 1: flows known to carry rdt */
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The first datagram's end is where the CRC of the bytes before it first
 * appears, found in one pass. */
size_t reader_train_segment(const uint8_t *p, size_t len)
{
	uint32_t crc = 0;
	size_t k, seg = 0, at;

	/* The header checks first: the search below costs a CRC step per
	 * byte, and every non-rdt UDP payload of a capture comes here.
	 * Sealed datagrams (version 2) go in trains too: their lengths are
	 * hidden, but each ends in a CRC all the same. */
	if (len < 2 * (RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE) ||
	    (p[0] != RDT_PROTO_VERSION && p[0] != RDT_PROTO_VERSION_SEALED) ||
	    p[3] != 0 || p[1] < RDT_PKT_INIT || p[1] > RDT_PKT_RETRY)
		return 0;
	crc = rdt_crc32c(0, p, RDT_PKT_HEADER_SIZE);
	for (k = RDT_PKT_HEADER_SIZE; k + RDT_PKT_CRC_SIZE < len; k++) {
		if (get_be32(p + k) == crc) {
			seg = k + RDT_PKT_CRC_SIZE;
			break;
		}
		crc = rdt_crc32c(crc, p + k, 1);
	}
	if (seg == 0)
		return 0;
	for (at = seg; at < len; at += seg) {
		size_t n = len - at < seg ? len - at : seg;

		if (n < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE ||
		    !rdt_pkt_crc_holds(p + at, n))
			return 0;
	}
	return seg;
}

/* docs/PROTOCOL.md, section 9: a datagram that decodes, CRC included, is
 * rdt with a false-positive probability of 2^-32; so is a sealed one
 * whose clear header and CRC hold, and a GSO train of either. */
static int looks_rdt(const struct frame_udp *u, struct rdt_pkt *pkt)
{
	return rdt_pkt_decode(pkt, u->payload, u->len) == 0 ||
	       unseal_plausible(u->payload, u->len) ||
	       reader_train_segment(u->payload, u->len) != 0;
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

void reader_decode(struct unseal *u, struct rdt_dgram *d, const uint8_t *dg,
		   size_t len)
{
	uint64_t scid;

	d->bytes = dg;
	d->len = d->wire_len = len;
	d->seal = unseal_open(u, &d->src, &d->dst, dg, len, &scid);
	switch (d->seal) {
	case UNSEAL_CLEAR:
		d->status = rdt_pkt_decode(&d->pkt, dg, len);
		return;
	case UNSEAL_OPENED:
		/* From here on, exactly what its sender sealed. */
		d->bytes = u->buf;
		d->len = len - RDT_SEAL_TAG_SIZE;
		d->status = rdt_pkt_decode(&d->pkt, d->bytes, d->len);
		return;
	case UNSEAL_CHECKSUM:
		d->status = RDT_ERR_CHECKSUM;
		return;
	case UNSEAL_MALFORMED:
		d->status = RDT_ERR_MALFORMED;
		return;
	case UNSEAL_NO_KEY:
	case UNSEAL_NO_KEYS:
	case UNSEAL_AUTH:
		break;
	}
	/* Not opened: the clear header is all there is to show. */
	memset(&d->pkt, 0, sizeof(d->pkt));
	d->pkt.type = dg[1];
	d->pkt.flags = dg[2];
	d->pkt.dcid = get_be64(dg + 4);
	d->pkt.pn = get_be32(dg + 12);
	d->pkt.scid = scid;
	d->status = RDT_ERR_AUTH;
}

static int port_selected(const struct pass *ps, const struct frame_udp *u)
{
	size_t i;

	for (i = 0; i < ps->nports; i++)
		if (u->src.port == ps->ports[i] || u->dst.port == ps->ports[i])
			return 1;
	return 0;
}

static void learn(struct pass *ps, const struct frame_udp *u)
{
	struct flow_key k;

	flow_key_make(&k, &u->src, &u->dst);
	/* A full table only means later flows go unrecognised. */
	(void)map_put(&ps->flows, &k, 1);
}

static int is_rdt(struct pass *ps, const struct frame_udp *u,
		  struct rdt_pkt *pkt)
{
	struct flow_key k;

	if (ps->nports)
		return port_selected(ps, u);
	if (looks_rdt(u, pkt)) {
		learn(ps, u);
		return 1;
	}
	flow_key_make(&k, &u->src, &u->dst);
	return map_get(&ps->flows, &k) != SIZE_MAX;
}

static pcap_t *open_capture(const char *path, int *pdlt, char *err,
			    size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc;

	pc = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		return NULL;
	}
	*pdlt = pcap_datalink(pc);
	if (!frame_dlt_supported(*pdlt)) {
		snprintf(err, errlen, "%s: link type %s (%d) not supported",
			 path, pcap_datalink_val_to_name(*pdlt)
				   ? pcap_datalink_val_to_name(*pdlt) : "?",
			 *pdlt);
		pcap_close(pc);
		return NULL;
	}
	return pc;
}

static int read_error(pcap_t *pc, const char *path, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
	return -1;
}

static int learn_flows(struct pass *ps, const char *path, char *err,
		       size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *p;
	struct rdt_pkt pkt;
	int rc;

	while ((rc = pcap_next_ex(ps->pc, &h, &p)) == 1) {
		struct frame_udp u;

		if (frame_decode(ps->dlt, p, h->caplen, &u) == FRAME_UDP &&
		    looks_rdt(&u, &pkt))
			learn(ps, &u);
	}
	if (rc == -1)
		return read_error(ps->pc, path, err, errlen);
	return 0;
}

int reader_run(const char *path, const uint16_t *ports, size_t nports,
	       struct unseal *unseal, reader_fn fn, void *arg,
	       struct reader_stats *st, char *err, size_t errlen)
{
	struct pass ps = { .ports = ports, .nports = nports };
	struct pcap_pkthdr *h;
	const u_char *p;
	int rc, ret = -1;

	memset(st, 0, sizeof(*st));
	map_init(&ps.flows, sizeof(struct flow_key), READER_MAX_FLOWS);
	if (!nports && strcmp(path, "-") != 0) {
		ps.pc = open_capture(path, &ps.dlt, err, errlen);
		if (!ps.pc)
			goto out;
		rc = learn_flows(&ps, path, err, errlen);
		pcap_close(ps.pc);
		if (rc < 0)
			goto out;
	}
	ps.pc = open_capture(path, &ps.dlt, err, errlen);
	if (!ps.pc)
		goto out;
	while ((rc = pcap_next_ex(ps.pc, &h, &p)) == 1) {
		struct rdt_dgram d;
		struct frame_udp u;
		size_t seg, at;

		st->frames++;
		switch (frame_decode(ps.dlt, p, h->caplen, &u)) {
		case FRAME_UDP:
			break;
		case FRAME_FRAGMENT:
			st->fragments++;
			continue;
		case FRAME_TRUNCATED:
			st->truncated++;
			continue;
		case FRAME_NOT_UDP:
		case FRAME_NOT_IP:
			st->not_udp++;
			continue;
		}
		if (!is_rdt(&ps, &u, &d.pkt)) {
			st->other_udp++;
			continue;
		}
		st->rdt++;
		d.frame = st->frames;
		/* With nanosecond precision tv_usec holds nanoseconds. */
		d.t_ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
		d.src = u.src;
		d.dst = u.dst;
		reader_decode(unseal, &d, u.payload, u.len);
		/* Any datagram that holds, sealed or not, is no train. */
		seg = d.status != 0 && d.status != RDT_ERR_AUTH &&
		      d.seal != UNSEAL_OPENED ?
			      reader_train_segment(u.payload, u.len) : 0;
		if (seg == 0) {
			fn(arg, &d);
			continue;
		}
		/* A GSO train: each datagram on its own, same frame. */
		st->trains++;
		st->rdt--;
		for (at = 0; at < u.len; at += seg) {
			reader_decode(unseal, &d, u.payload + at,
				      u.len - at < seg ? u.len - at : seg);
			st->rdt++;
			fn(arg, &d);
		}
	}
	if (rc == -1)
		read_error(ps.pc, path, err, errlen);
	else
		ret = 0;
	pcap_close(ps.pc);
out:
	map_free(&ps.flows);
	return ret;
}
