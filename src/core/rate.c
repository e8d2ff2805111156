/*
 * rate.c: delivery-rate samples (see rate.h for the idea and the order
 * of calls).
 *
 *   rdt_rate_on_sent      stamp a datagram with the delivery state
 *   rdt_rate_on_acked     count its bytes delivered; remember the most
 *                         recently sent datagram of the ACK
 *   rdt_rate_sample       one sample per ACK from that datagram
 *   rdt_rate_app_limited  mark the flight as limited by the application
 */
#include <string.h>

#include "rate.h"

void rdt_rate_init(struct rdt_rate *r)
{
	memset(r, 0, sizeof(*r));
}

void rdt_rate_on_sent(struct rdt_rate *r, struct rdt_sent_pkt *rec,
		      uint64_t in_flight, rdt_tstamp now)
{
	/*
	 * Sending into an empty pipe starts a new send phase: without this
	 * an idle period would be counted as part of the interval and the
	 * first sample after it would be far too low (draft 3.2).
	 */
	if (in_flight == 0) {
		r->first_sent_time = now;
		r->delivered_time = now;
	}
	rec->delivered = r->delivered;
	rec->delivered_time = r->delivered_time;
	rec->first_sent_time = r->first_sent_time;
	if (r->app_limited)
		rec->flags |= RDT_SENT_RATE_APP_LIMITED;
	else
		rec->flags &= (uint8_t)~RDT_SENT_RATE_APP_LIMITED;
}

void rdt_rate_on_acked(struct rdt_rate *r, const struct rdt_sent_pkt *rec,
		       rdt_tstamp now)
{
	r->delivered += rec->size;
	r->delivered_time = now;
	r->acked_this_ack += rec->size;
	/*
	 * The sample comes from the most recently sent datagram of the ACK
	 * (ties: the one sent later by the delivered count), since it
	 * covers the most recent, hence most relevant, stretch of the path.
	 */
	if (!r->have_newest || rec->delivered > r->newest_delivered ||
	    (rec->delivered == r->newest_delivered &&
	     rec->sent_time > r->newest_sent_time)) {
		r->have_newest = 1;
		r->newest_delivered = rec->delivered;
		r->newest_delivered_time = rec->delivered_time;
		r->newest_sent_time = rec->sent_time;
		r->newest_first_sent_time = rec->first_sent_time;
		r->newest_app_limited =
			!!(rec->flags & RDT_SENT_RATE_APP_LIMITED);
		/* The next send phase is measured from this datagram. */
		r->first_sent_time = rec->sent_time;
	}
}

void rdt_rate_on_lost(struct rdt_rate *r, uint64_t bytes)
{
	r->lost += bytes;
}

int rdt_rate_sample(struct rdt_rate *r, struct rdt_rate_sample *rs,
		    rdt_tstamp min_rtt)
{
	rdt_tstamp send_elapsed, ack_elapsed;

	memset(rs, 0, sizeof(*rs));
	rs->delivered_total = r->delivered;
	rs->lost_total = r->lost;
	/* The app-limited stretch ends once what was in flight when it
	 * began has been delivered. */
	if (r->app_limited && r->delivered > r->app_limited)
		r->app_limited = 0;
	if (!r->have_newest)
		return 0;
	rs->acked = r->acked_this_ack;
	rs->lost = r->lost - r->lost_sampled;
	r->lost_sampled = r->lost;
	rs->prior_delivered = r->newest_delivered;
	rs->is_app_limited = r->newest_app_limited;
	rs->delivered = r->delivered - r->newest_delivered;
	send_elapsed = r->newest_sent_time - r->newest_first_sent_time;
	ack_elapsed = r->delivered_time - r->newest_delivered_time;
	rs->interval = send_elapsed > ack_elapsed ? send_elapsed : ack_elapsed;
	/* Shorter than a round trip is impossible for a true sample: the
	 * ACKs were compressed, and the rate would be overestimated. */
	if (min_rtt > 0 && rs->interval < min_rtt)
		rs->interval = 0;
	r->have_newest = 0;
	r->acked_this_ack = 0;
	return 1;
}

void rdt_rate_app_limited(struct rdt_rate *r, uint64_t in_flight)
{
	uint64_t mark = r->delivered + in_flight;

	r->app_limited = mark ? mark : 1;
}
