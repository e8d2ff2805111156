/*
 * rate.h: delivery-rate sampling after draft-cheng-iccrg-delivery-rate-
 * estimation (the algorithm behind Linux tcp_rate.c), on the records of
 * the sent-packet tracker.
 *
 * The connection counts bytes delivered (acknowledged) since it began.
 * Each datagram remembers, when it is sent, how many bytes had been
 * delivered by then and when; once it is acknowledged, the bytes
 * delivered since then over the time that took is one sample of the
 * delivery rate.  The interval is the longer of the send phase and the
 * ACK phase of that flight, so neither ACK compression nor a burst of
 * sends can make the path look faster than it is (draft section 3.3).
 * A sample taken while the application, not the network, limited sending
 * is marked app-limited: it can only underestimate the path.
 *
 * Order of calls: rdt_rate_on_sent for each datagram in flight as it
 * leaves; per ACK, rdt_rate_on_acked for each newly acknowledged one,
 * then rdt_rate_sample once; rdt_rate_on_lost as datagrams are declared
 * lost; rdt_rate_app_limited whenever the sender runs out of data with
 * room left in its window.
 */
#ifndef RDT_CORE_RATE_H
#define RDT_CORE_RATE_H

#include <stdint.h>

#include "sent.h"
#include "types.h"

struct rdt_rate {
	/* Bytes delivered and declared lost since the connection began. */
	uint64_t delivered;
	uint64_t lost;
	/* |lost| as of the last sample: the next one reports the rest,
	 * losses a timer declared between ACKs included. */
	uint64_t lost_sampled;
	/* When |delivered| last grew (draft C.delivered_time). */
	rdt_tstamp delivered_time;
	/* Send time of the newest datagram whose ACK gave a sample: the
	 * start of the current send phase (draft C.first_sent_time). */
	rdt_tstamp first_sent_time;
	/* Non-zero while the flight is app-limited: the value of
	 * |delivered| that ends it (draft C.app_limited). */
	uint64_t app_limited;
	/* The ACK being processed: the most recently sent datagram it
	 * acknowledges (draft P), and what that datagram remembered. */
	int have_newest;
	uint64_t newest_delivered;
	rdt_tstamp newest_delivered_time;
	rdt_tstamp newest_sent_time;
	rdt_tstamp newest_first_sent_time;
	int newest_app_limited;
	uint64_t acked_this_ack;
};

/* One sample, made once per ACK that acknowledged anything. */
struct rdt_rate_sample {
	/* Bytes delivered over |interval|; |interval| 0: no valid sample
	 * (nothing acknowledged, or an interval shorter than min RTT, which
	 * the draft discards as a sign of ACK compression). */
	uint64_t delivered;
	rdt_tstamp interval;
	/* |delivered| of the connection when the sampled datagram left:
	 * BBR counts round trips by it. */
	uint64_t prior_delivered;
	int is_app_limited;
	/* Bytes this ACK newly acknowledged, and newly declared lost. */
	uint64_t acked;
	uint64_t lost;
	/* Bytes in flight before and after this ACK. */
	uint64_t prior_in_flight;
	uint64_t in_flight;
	/* The RTT of the datagram this ACK names as largest, 0 if none;
	 * the path's minimum RTT and smoothed RTT so far (0 before any). */
	rdt_tstamp rtt;
	rdt_tstamp min_rtt;
	rdt_tstamp srtt;
	/* The RTT's mean deviation (RFC 6298 rttvar), 0 before any. */
	rdt_tstamp rttvar;
	/* The connection's running totals, for per-round accounting. */
	uint64_t delivered_total;
	uint64_t lost_total;
};

void rdt_rate_init(struct rdt_rate *r);

/* A datagram of |rec->size| bytes in flight leaves now; |in_flight| is
 * what was in flight before it.  Fills the record's rate fields. */
void rdt_rate_on_sent(struct rdt_rate *r, struct rdt_sent_pkt *rec,
		      uint64_t in_flight, rdt_tstamp now);

/* The datagram |rec| was acknowledged now (once per datagram; a datagram
 * already declared lost counts too: its bytes did arrive). */
void rdt_rate_on_acked(struct rdt_rate *r, const struct rdt_sent_pkt *rec,
		       rdt_tstamp now);

/* |bytes| in flight were declared lost. */
void rdt_rate_on_lost(struct rdt_rate *r, uint64_t bytes);

/*
 * rdt_rate_sample ends the ACK: fills |rs| from the datagrams
 * rdt_rate_on_acked saw since the last call (the RTT and in-flight
 * fields are the caller's) and resets for the next ACK.  Returns 1
 * if the ACK acknowledged anything, else 0 (|rs| then has acked 0).
 */
int rdt_rate_sample(struct rdt_rate *r, struct rdt_rate_sample *rs,
		    rdt_tstamp min_rtt);

/* The sender has nothing to send and room in its window, with
 * |in_flight| bytes in flight: samples until those are delivered are
 * app-limited. */
void rdt_rate_app_limited(struct rdt_rate *r, uint64_t in_flight);

#endif
