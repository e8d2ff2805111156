/*
 * track.h: follow rdt connections through a capture and check the
 * protocol's invariants (docs/PROTOCOL.md, section 7) on every datagram.
 *
 * The tracker sees datagrams in capture order, at one capture point: a
 * datagram may be seen and then lost, duplicated, corrupted or reordered
 * by the path beyond that point, and a capture may begin in the middle of
 * a connection.  So every check is one that no such capture can fail
 * honestly:
 *
 *   - a packet number names one datagram: seeing the same number again
 *     with the same bytes is a duplicate on the wire, with other bytes a
 *     reuse (violation);
 *   - retransmitted stream bytes equal the bytes first seen at their
 *     offsets;
 *   - an ACK names no packet number above the largest seen in the acked
 *     direction (nor below the first, when the handshake was seen), and
 *     its cum no byte beyond the highest seen (the FIN counting one);
 *   - no stream byte lies at or beyond the largest window edge the
 *     receiver advertised so far (in INIT or ACCEPT, then in every DATA);
 *   - the handshake comes first: no DATA to a connection ID before the
 *     INIT or ACCEPT that announced it, no server DATA before its ACCEPT;
 *   - one FIN position per direction, and no byte after it;
 *   - every datagram that passes CRC32C passes the codec's other checks
 *     (lengths, types, flags, ...).
 *
 * A datagram failing CRC32C is not a violation: the capture cannot tell
 * whether the path beyond the sender damaged it (an impaired link, which
 * the receiver drops as designed) or the sender built it wrong, and the
 * former is by far the common case.  It is listed as corrupted in
 * transit, with the packet number its header claims when the header looks
 * plausible.  With strict_crc (a capture taken where no link can damage
 * what the endpoint sent), it is a violation.
 *
 * Sealed datagrams (the encrypted mode, version 2) that opened with the
 * key (unseal.h) are checked as datagrams in clear: they are exactly what
 * their sender sealed.  One that did not open is never a violation: its
 * CRC is checked (a failure is corruption in transit, as for version 1)
 * and its clear header names its connection, nothing more.  Without a
 * key, the clear IDs of INIT and ACCEPT still make connections, so that
 * the report shows who talked to whom and how much; the stream checks
 * need the key.  With a key, a datagram that does not open is counted
 * and listed as failed authentication (what an attacker's altered or
 * forged datagram, or another key's, looks like): it is dropped by its
 * receiver, and changes nothing here either.
 *
 * Positions ("abs") are 64-bit expansions of the 32-bit wire offsets and
 * packet numbers, lifted by 2^32 so that nothing underflows near zero;
 * tracker users convert them with track_pos.
 */
#ifndef RDT_PCAP_TRACK_H
#define RDT_PCAP_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/ranges.h"
#include "map.h"
#include "reader.h"

/* Client to server and server to client.  For a connection whose
 * handshake the capture missed, C2S is the first direction seen. */
enum { DIR_C2S = 0, DIR_S2C = 1 };

/* The most connections one capture is tracked with; later ones are only
 * counted. */
#define TRACK_MAX_CONNS 65536
/* The most violations kept for the report; all are counted. */
#define TRACK_MAX_VIOLATIONS 1000
/* The most corrupted datagrams listed in the report; all are counted.
 * As many of those that failed authentication. */
#define TRACK_MAX_CORRUPT 1000
/* Stream bytes kept per direction to compare retransmissions with. */
#define TRACK_KEEP_BYTES ((size_t)64 << 20)
/* Packet numbers remembered per direction (about 56 bytes each). */
#define TRACK_KEEP_PNS ((size_t)1 << 20)

struct pn_entry;

struct track_dir_stats {
	uint64_t packets;
	uint64_t wire_bytes;		/* UDP payload bytes */
	uint64_t data_packets;		/* packets with stream bytes */
	uint64_t stream_bytes;		/* distinct stream bytes seen */
	uint64_t retx_packets;
	uint64_t retx_bytes;
	uint64_t spurious_packets;	/* retransmitted bytes delivered before */
	uint64_t spurious_bytes;
	uint64_t unverified_bytes;	/* retransmitted, too old to compare */
	uint64_t duplicates;		/* same pn, same bytes */
	uint64_t reordered;		/* pn below the largest seen */
	uint64_t holes;			/* stream jumped past unseen bytes */
	uint64_t acked_bytes;		/* stream bytes below the final cum */
	uint64_t rtt_samples;		/* measured by this direction's sender */
	int64_t rtt_min_ns;
	int64_t rtt_max_ns;
	double rtt_sum_ns;
	int fin;			/* a FIN was seen */
	int fin_acked;
};

struct track_dir {
	/* Packet numbers: the largest seen, the first of the space (INIT or
	 * ACCEPT), and a table of entries for [pn_base, pn_base + pn_cap). */
	int pn_any;
	uint64_t pn_max;
	int pn_first_known;
	uint64_t pn_first;
	struct pn_entry *pns;
	uint64_t pn_base;
	size_t pn_cap;
	/* Every entry below this is acknowledged or forgotten. */
	uint64_t acked_floor;

	/* The stream: the frame of reference for expanding wire offsets,
	 * stream position 0 (the isn, or the first offset seen), the bytes
	 * seen and a copy of the recent ones. */
	int ref_known;
	uint64_t ref;
	int origin_known;
	int isn_known;
	uint64_t origin;
	int data_any;
	uint64_t sent_high;
	struct rdt_ranges sent;
	uint8_t *buf;
	uint64_t buf_base;
	size_t buf_len;
	size_t buf_cap;
	int fin_seen;
	uint64_t fin_pos;
	uint64_t fin_frame;

	/* What the receiver of this stream said about it. */
	int init_window_known;
	uint32_t init_window;
	int edge_known;
	uint64_t edge;
	uint64_t edge_frame;
	int cum_known;
	uint64_t cum;

	struct track_dir_stats st;
};

/* How a connection ended, as far as the capture shows. */
enum track_close {
	CLOSE_OPEN,		/* no FIN or RESET seen */
	CLOSE_HALF,		/* one direction finished */
	CLOSE_FIN,		/* both FINs sent and acknowledged */
	CLOSE_RESET,		/* a RESET aborted it */
	CLOSE_REFUSED,		/* its INIT was answered by RESET REFUSED */
	CLOSE_SEALED,		/* unknown: sealed datagrams not opened */
};

struct track_conn {
	unsigned id;		/* 1-based, in order of appearance */
	/* cid[dir]: the ID of that direction's receiver, so cid[DIR_C2S] is
	 * the server's and cid[DIR_S2C] the client's; 0 while unknown. */
	uint64_t cid[2];
	/* ep[dir]: the sender of that direction. */
	struct pcap_endpoint ep[2];
	int init_seen;
	int accept_seen;
	/* The capture began after the handshake. */
	int midstream;
	int64_t t_first, t_last;
	uint64_t frame_first, frame_last;
	int reset_seen;
	int reset_dir;
	uint32_t reset_reason;
	/* token[dir]: the reset token the sender of |dir| announced in its
	 * INIT or ACCEPT, if seen.  A RESET from that sender without it (a
	 * stateless answer, or a forgery) does not end the connection: its
	 * peer does not believe it (PROTOCOL.md 7.8).  Counted here. */
	int token_known[2];
	uint8_t token[2][RDT_PKT_RESET_TOKEN_SIZE];
	uint64_t resets_ignored;
	uint64_t corrupted;
	/* Sealed datagrams: all of them, those not opened (no key, or keys
	 * unknown), and those that failed authentication. */
	uint64_t sealed;
	uint64_t sealed_hidden;
	uint64_t auth_failed;
	enum track_close close;
	struct track_dir d[2];
};

/* Callbacks for a picture of the traffic (the plot); positions are abs
 * values of the direction's stream. */
struct track_hooks {
	void *arg;
	void (*stream)(void *arg, const struct track_conn *c, int dir,
		       int64_t t_ns, uint64_t start, uint64_t end, int retx);
	void (*ack)(void *arg, const struct track_conn *c, int dir,
		    int64_t t_ns, uint64_t cum);
	void (*window)(void *arg, const struct track_conn *c, int dir,
		       int64_t t_ns, uint64_t edge);
	/* Stream bytes [start, end) newly acknowledged selectively, above
	 * the cumulative ACK (SACK). */
	void (*sack)(void *arg, const struct track_conn *c, int dir,
		     int64_t t_ns, uint64_t start, uint64_t end);
	/* An RTT sample of |dir|'s sender, ACK delay deducted. */
	void (*rtt)(void *arg, const struct track_conn *c, int dir,
		    int64_t t_ns, int64_t rtt_ns);
};

struct track_violation {
	unsigned conn;		/* 0: not attributable to a connection */
	uint64_t frame;
	int dir;		/* -1: unknown */
	int has_pn;
	uint32_t pn;
	const char *kind;	/* a short fixed name, e.g. "pn-reuse" */
	char msg[256];
};

/* A datagram that failed CRC32C.  Its pn comes from a header no CRC
 * vouches for, so it is shown only when the header looks like rdt (the
 * version and type bytes are valid), and even then marked unverified.
 * The same for a sealed datagram that failed authentication: its header
 * is what authentication failed to vouch for. */
struct track_corrupt {
	unsigned conn;		/* 0: its flow belongs to no connection */
	uint64_t frame;
	int dir;		/* -1: unknown */
	int has_pn;
	uint32_t pn;
	uint8_t type;		/* as the header claims, when has_pn */
	int sealed;		/* version 2 */
	size_t len;
};

struct track {
	int strict_crc;
	struct track_hooks hooks;
	struct track_conn **conns;
	size_t nconns;
	size_t conns_cap;
	struct map cids;	/* uint64 cid -> index into conns */
	struct map flows;	/* flow_key -> index of its latest conn */
	struct track_violation *viol;
	size_t nviol;
	uint64_t violations;
	struct track_corrupt *corrupt;
	size_t ncorrupt;
	uint64_t datagrams;
	uint64_t corrupted;	/* all of them, listed or not */
	uint64_t malformed;
	uint64_t foreign;	/* well-formed, another protocol version */
	uint64_t stray;		/* RESET or DATA to no known connection */
	uint64_t untracked;	/* beyond TRACK_MAX_CONNS */
	/* Sealed datagrams: all, opened, not opened for want of a key or
	 * of the connection's keys (handshake missed), and failing
	 * authentication (listed in |auth|). */
	uint64_t sealed;
	uint64_t sealed_opened;
	uint64_t sealed_no_key;
	uint64_t sealed_no_keys;
	uint64_t auth_failed;
	struct track_corrupt *auth;
	size_t nauth;
	int64_t t_first, t_last;
};

/* track_init prepares |t|; |strict_crc| makes a CRC32C failure a
 * violation; |hooks| may be NULL. */
void track_init(struct track *t, int strict_crc,
		const struct track_hooks *hooks);

/* track_dgram takes one datagram; a reader_fn, with |arg| the tracker. */
void track_dgram(void *arg, const struct rdt_dgram *d);

/* track_finish concludes after the last datagram: spurious
 * retransmissions, final acknowledgments, how each connection ended. */
void track_finish(struct track *t);

void track_free(struct track *t);

/* track_pos turns an abs value of |c|'s direction |dir| into a stream
 * position (0 is the first byte, or the first offset seen). */
int64_t track_pos(const struct track_conn *c, int dir, uint64_t abs);

/* The names of enum track_close, and of DIR_C2S / DIR_S2C. */
const char *track_close_name(enum track_close close);
const char *track_dir_name(int dir);

#endif
