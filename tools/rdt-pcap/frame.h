/*
 * frame.h: from a captured link-layer frame to the UDP payload it carries.
 *
 * rdt-pcap reads captures of several link types (Ethernet with VLAN tags,
 * Linux cooked SLL and SLL2, raw IP, BSD loopback) carrying IPv4 or IPv6;
 * this is the one place that knows their headers.  Nothing here knows rdt.
 */
#ifndef RDT_PCAP_FRAME_H
#define RDT_PCAP_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* One end of a UDP flow; |addr| holds 4 bytes for AF_INET, 16 for AF_INET6,
 * and unused bytes are zero so that endpoints compare with memcmp. */
struct pcap_endpoint {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

/* What a frame turned out to be. */
enum frame_kind {
	/* A complete UDP datagram; the payload is valid. */
	FRAME_UDP,
	/* IPv4 or IPv6, but not UDP. */
	FRAME_NOT_UDP,
	/* Not IP, or a link type this decoder does not know. */
	FRAME_NOT_IP,
	/* A fragment of a larger IP datagram: not reassembled. */
	FRAME_FRAGMENT,
	/* Cut short by the snapshot length or malformed headers. */
	FRAME_TRUNCATED,
};

struct frame_udp {
	struct pcap_endpoint src;
	struct pcap_endpoint dst;
	/* Points into the frame given to frame_decode: borrowed. */
	const uint8_t *payload;
	size_t len;
};

/*
 * frame_decode parses the |caplen| captured bytes at |p|, a frame of pcap
 * link type |dlt|, and on FRAME_UDP fills |out|.  Lengths are taken from
 * the IP and UDP headers and checked against |caplen|.
 */
enum frame_kind frame_decode(int dlt, const uint8_t *p, size_t caplen,
			     struct frame_udp *out);

/* frame_dlt_supported says whether frame_decode knows link type |dlt|. */
int frame_dlt_supported(int dlt);

/* A UDP flow, the same key in both directions (the lower endpoint first),
 * built on zeroed memory so that it can be hashed and compared whole. */
struct flow_key {
	struct pcap_endpoint a;
	struct pcap_endpoint b;
};

void flow_key_make(struct flow_key *k, const struct pcap_endpoint *src,
		   const struct pcap_endpoint *dst);

/* Non-zero if |x| and |y| are the same address and port. */
int endpoint_eq(const struct pcap_endpoint *x, const struct pcap_endpoint *y);

/*
 * frame_endpoint_str formats |ep| as "ADDR:PORT" or "[ADDR]:PORT" into
 * |buf| (at least FRAME_ENDPOINT_STRLEN bytes) and returns |buf|.
 */
#define FRAME_ENDPOINT_STRLEN 56
char *frame_endpoint_str(const struct pcap_endpoint *ep, char *buf);

#endif
