/*
 * track_int.h: the inside of rdt-pcap's tracker, shared by track.c (the
 * connections, the datagram entry point and the end of the capture),
 * track_pn.c (packet numbers and acknowledgments) and track_stream.c (each
 * direction's stream).  Nothing else includes it; users of the tracker
 * include track.h.
 */
#ifndef RDT_PCAP_TRACK_INT_H
#define RDT_PCAP_TRACK_INT_H

#include <stdint.h>

#include "core/seq.h"
#include "track.h"

/* Every abs value is lifted by one 32-bit window (see track.h). */
#define LIFT RDT_SEQ32_WIN

/* The packet was seen (entries for numbers never seen exist too). */
#define PN_F_SEEN 0x01
/* An ACK named it. */
#define PN_F_ACKED 0x02
/* It carried stream bytes seen before. */
#define PN_F_RETX 0x04

struct pn_entry {
	uint64_t hash;		/* FNV-1a of the datagram: duplicate or reuse */
	uint64_t frame;		/* where it was first seen */
	int64_t t_ns;
	uint64_t sstart;	/* abs stream bytes it carried, [sstart, send) */
	uint64_t send;
	uint32_t len;
	uint8_t flags;
};

/* track.c */

/* Records a violation: |c| and |dir| may be NULL and -1, |pn| < 0 if the
 * datagram has none worth naming. */
void track_violation_add(struct track *t, const struct track_conn *c,
			 const struct rdt_dgram *d, int dir, const char *kind,
			 const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* track_pn.c */

/* The abs value of wire packet number |wire| in direction |s|. */
uint64_t track_pn_abs(const struct track_dir *s, uint32_t wire);
/* The table entry for |pn|, or NULL if it is not in the table. */
struct pn_entry *track_pn_find(const struct track_dir *s, uint64_t pn);
/* Registers |d|'s packet number in direction |dir|: the new entry, or
 * NULL for a duplicate, a reuse or one too old to track. */
struct pn_entry *track_pn_record(struct track *t, struct track_conn *c,
				 int dir, const struct rdt_dgram *d);
/* Direction |dir|'s packets [lo, hi] acknowledged by |d|: whether |hi|
 * was newly acknowledged, -1 after a violation. */
int track_pn_ack_range(struct track *t, struct track_conn *c, int dir,
		       uint64_t lo, uint64_t hi, const struct rdt_dgram *d);
/* An RTT sample |raw| of |dir|'s sender, the ACK delay deducted. */
void track_pn_rtt_sample(struct track *t, struct track_conn *c, int dir,
			 const struct rdt_dgram *d, int64_t raw,
			 uint32_t ack_delay_us);
/* The ACK section of |d|, sent in direction |dir|, about |!dir|. */
void track_pn_on_ack(struct track *t, struct track_conn *c, int dir,
		     const struct rdt_dgram *d);

/* track_stream.c */

/* The abs value of wire offset |wire| of stream |s|. */
uint64_t track_stream_abs(struct track_dir *s, uint32_t wire);
/* Fixes stream position 0 of |s| at |isn|, once. */
void track_stream_set_isn(struct track_dir *s, uint32_t isn);
/* Raises the window edge of direction |dir| to |edge|, advertised by
 * |d|. */
void track_stream_raise_edge(struct track *t, struct track_conn *c,
			     int dir, uint64_t edge,
			     const struct rdt_dgram *d);
/* The STREAM section of |d|, sent in direction |dir|; |e| is its packet
 * number's entry. */
void track_stream_on_stream(struct track *t, struct track_conn *c, int dir,
			    const struct rdt_dgram *d, struct pn_entry *e);

#endif
