/*
 * sent.h: the sent-packet tracker, a ring of records in packet-number
 * order (packet numbers only grow, so the ring is sorted and lookups are
 * binary searches).
 *
 * A record lives from the moment its datagram is sent until it is
 * acknowledged, or declared lost and old enough that a late
 * acknowledgement no longer teaches us anything.  Records are popped only
 * from the front; one acknowledged or lost in the middle is marked and
 * stays until everything before it has gone.
 */
#ifndef RDT_CORE_SENT_H
#define RDT_CORE_SENT_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "types.h"

/* The datagram asks for an acknowledgement (STREAM, PING, ACCEPT). */
#define RDT_SENT_ACK_ELICITING 0x01
/* The datagram counts towards bytes in flight (congestion control). */
#define RDT_SENT_IN_FLIGHT 0x02
/* The stream range ends with our FIN. */
#define RDT_SENT_FIN 0x04
/* Acknowledged by the peer. */
#define RDT_SENT_ACKED 0x08
/* Declared lost; its bytes were queued for retransmission. */
#define RDT_SENT_LOST 0x10
/* A handshake datagram (INIT or ACCEPT). */
#define RDT_SENT_HANDSHAKE 0x20
/* Sent when the sender was not filling its window. */
#define RDT_SENT_APP_LIMITED 0x40
/* Sent while the flight was app-limited in the sense of delivery-rate
 * estimation (rate.h): its rate sample may underestimate the path. */
#define RDT_SENT_RATE_APP_LIMITED 0x80

struct rdt_sent_pkt {
	rdt_pktnum pn;
	rdt_tstamp sent_time;
	/* Stream range [off, off + len) carried, relative to our isn. */
	uint64_t off;
	uint32_t len;
	/* Delivery state when it was sent, for its rate sample (rate.h):
	 * bytes delivered by then, when that count last grew, and when the
	 * send phase it belongs to began. */
	uint64_t delivered;
	rdt_tstamp delivered_time;
	rdt_tstamp first_sent_time;
	/* Datagram size in bytes, as counted in flight. */
	uint16_t size;
	uint8_t flags;
};

struct rdt_sent {
	struct rdt_sent_pkt *v;
	/* Capacity is a power of two; |head| indexes the oldest record. */
	size_t cap;
	size_t head;
	size_t n;
	/* Most records held at once; a full tracker blocks sending. */
	size_t max;
	const struct rdt_mem *mem;
};

void rdt_sent_init(struct rdt_sent *s, size_t max, const struct rdt_mem *mem);
void rdt_sent_free(struct rdt_sent *s);

/* rdt_sent_push appends |rec| (its pn above every held one).  Returns 0,
 * RDT_ERR_NOBUF when |max| records are held, or RDT_ERR_NOMEM. */
int rdt_sent_push(struct rdt_sent *s, const struct rdt_sent_pkt *rec);

/* rdt_sent_reserve makes room for one more record without pushing it, so
 * a caller can check before it commits to sending.  Returns 0,
 * RDT_ERR_NOBUF when |max| records are held, or RDT_ERR_NOMEM. */
int rdt_sent_reserve(struct rdt_sent *s);

/* The |i|-th oldest record, 0 <= i < n. */
static inline struct rdt_sent_pkt *rdt_sent_at(const struct rdt_sent *s,
					       size_t i)
{
	return &s->v[(s->head + i) & (s->cap - 1)];
}

/* Index of the first record with pn >= |pn| (n if none). */
size_t rdt_sent_lower_bound(const struct rdt_sent *s, rdt_pktnum pn);

/* rdt_sent_pop_front drops the oldest record. */
void rdt_sent_pop_front(struct rdt_sent *s);

static inline int rdt_sent_full(const struct rdt_sent *s)
{
	return s->n >= s->max;
}

#endif
