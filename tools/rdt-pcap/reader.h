/*
 * reader.h: read a capture file and hand over every rdt datagram in it,
 * decoded by the project's codec (src/wire/pkt.h).
 *
 * Which UDP datagrams are rdt: with ports given, every datagram to or from
 * one of them.  Without, a first pass over the file learns the UDP flows
 * (address and port pairs) that carry at least one datagram passing the
 * heuristic of docs/PROTOCOL.md, section 9 (a valid CRC32C; version 1,
 * or 2 for the encrypted mode's sealed datagrams); every datagram of
 * those flows, valid or not, is then rdt, so a corrupted datagram is
 * reported as corrupt rather than silently ignored.  A capture
 * read from a pipe ("-") cannot be read twice: there flows are learned as
 * the datagrams go by.
 */
#ifndef RDT_PCAP_READER_H
#define RDT_PCAP_READER_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "unseal.h"
#include "wire/pkt.h"

/* The most distinct UDP flows the first pass remembers. */
#define READER_MAX_FLOWS 65536

struct rdt_dgram {
	/* 1-based position of the frame in the capture file. */
	uint64_t frame;
	/* Capture time, nanoseconds since the epoch. */
	int64_t t_ns;
	struct pcap_endpoint src;
	struct pcap_endpoint dst;
	/* The datagram: the UDP payload or, for a sealed datagram that
	 * opened, its version 1 image; borrowed, valid during the callback
	 * only. */
	const uint8_t *bytes;
	size_t len;
	/* Its length on the wire (|len| + RDT_SEAL_TAG_SIZE if opened). */
	size_t wire_len;
	/* Sealed (version 2) or not, and whether it opened (unseal.h). */
	enum unseal_result seal;
	/* 0, RDT_ERR_CHECKSUM, RDT_ERR_MALFORMED or RDT_ERR_VERSION; for a
	 * sealed datagram that did not open (UNSEAL_NO_KEY, _NO_KEYS,
	 * _AUTH), RDT_ERR_AUTH. */
	int status;
	/* Meaningful when |status| is 0; with RDT_ERR_AUTH only the clear
	 * header is: type, flags, dcid, pn, and scid for INIT and ACCEPT. */
	struct rdt_pkt pkt;
};


struct reader_stats {
	uint64_t frames;
	uint64_t rdt;		/* handed to the callback */
	uint64_t trains;	/* frames holding a GSO train, split */
	uint64_t other_udp;	/* UDP that is not rdt */
	uint64_t not_udp;	/* IP but not UDP, or not IP at all */
	uint64_t fragments;	/* IP fragments, not reassembled */
	uint64_t truncated;	/* cut by the snapshot length, or garbled */
};

typedef void (*reader_fn)(void *arg, const struct rdt_dgram *d);

/*
 * A sender with UDP segmentation offload (GSO) hands the kernel a train
 * of datagrams, all the same length but the last, and a capture on
 * loopback records the train as one UDP payload: the datagrams back to
 * back, each ending in its own CRC.  reader_train_segment returns that
 * length when |p| (|len| bytes) is such a train of at least two rdt
 * datagrams whose CRCs all match, 0 otherwise.  reader_run splits them.
 */
size_t reader_train_segment(const uint8_t *p, size_t len);

/*
 * reader_decode fills |d| (whose src and dst are set) from the |len|
 * bytes at |dg|: a version 1 datagram is decoded as it is, a sealed one
 * goes through |u| first and, if it opens, its version 1 image is
 * decoded instead.
 */
void reader_decode(struct unseal *u, struct rdt_dgram *d, const uint8_t *dg,
		   size_t len);

/*
 * reader_run reads the capture at |path| ("-" for standard input) and
 * calls |fn| with |arg| for each rdt datagram, in file order, each
 * decoded by reader_decode with |u|.  |ports| (|nports| of them, may be
 * 0) select rdt traffic as described above.  Returns 0, or -1 with a
 * one-line reason in |err| (|errlen| bytes) when the file cannot be
 * opened or read; datagrams before a read error have been handed over.
 */
int reader_run(const char *path, const uint16_t *ports, size_t nports,
	       struct unseal *u, reader_fn fn, void *arg,
	       struct reader_stats *st, char *err, size_t errlen);

#endif
