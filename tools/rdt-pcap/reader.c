/*
 * reader.c: capture file -> rdt datagrams.
 *
 * Map: reader_run opens the file (nanosecond timestamps), runs learn_flows
 * as a first pass when no ports were given and the file can be read
 * twice, then the main pass: frame_decode finds each UDP payload, is_rdt
 * decides, rdt_pkt_decode decodes, and the callback gets the result.
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/err.h"
#include "map.h"
#include "reader.h"

struct pass {
	pcap_t *pc;
	int dlt;
	const uint16_t *ports;
	size_t nports;
	struct map flows;	/* flow_key -> 1: flows known to carry rdt */
};

/* docs/PROTOCOL.md, section 9: a datagram that decodes, CRC included, is
 * rdt with a false-positive probability of 2^-32. */
static int looks_rdt(const struct frame_udp *u, struct rdt_pkt *pkt)
{
	return rdt_pkt_decode(pkt, u->payload, u->len) == 0;
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
	       reader_fn fn, void *arg, struct reader_stats *st, char *err,
	       size_t errlen)
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
		d.bytes = u.payload;
		d.len = u.len;
		d.status = rdt_pkt_decode(&d.pkt, u.payload, u.len);
		fn(arg, &d);
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
