/*
 * rtt.h: round-trip time estimation and the retransmission timeout.
 *
 * The estimator follows RFC 9002, section 5 (which refines RFC 6298,
 * section 2): the first sample R sets srtt = R and rttvar = R/2; every
 * later sample R' gives rttvar = 3/4 rttvar + 1/4 |srtt - R'| and then
 * srtt = 7/8 srtt + 1/8 R'.  min_rtt is the smallest sample seen.  Before
 * it is used, a sample is reduced by the peer's reported ACK delay
 * (capped at max_ack_delay) unless that would take it below min_rtt.
 * Every sample is unambiguous: packet numbers are never reused.
 *
 * The timeout is RFC 6298's RTO = srtt + max(G, 4 rttvar), plus the
 * peer's max_ack_delay as in RFC 9002's PTO, clamped to [min_rto, max_rto]
 * and doubled per |backoff| (exponential backoff, RFC 6298 5.5).  Before
 * the first sample srtt is the configured initial RTT.
 */
#ifndef RDT_CORE_RTT_H
#define RDT_CORE_RTT_H

#include "types.h"

/* Clock granularity G of RFC 6298 (1 ms, as RFC 9002 kGranularity). */
#define RDT_RTT_GRANULARITY RDT_MS

struct rdt_rtt {
	rdt_tstamp latest_rtt;
	rdt_tstamp min_rtt;
	rdt_tstamp srtt;
	rdt_tstamp rttvar;
	/* Non-zero once a sample was taken. */
	int has_sample;
	/* How many samples fed the estimator. */
	uint64_t samples;
};

/* rdt_rtt_init resets |rtt| to the RFC 9002 6.2.2 initial state. */
void rdt_rtt_init(struct rdt_rtt *rtt, rdt_tstamp initial_rtt);

/*
 * rdt_rtt_update feeds one sample |sample| (> 0) with the peer's reported
 * |ack_delay|, capped at |max_ack_delay|.
 */
void rdt_rtt_update(struct rdt_rtt *rtt, rdt_tstamp sample,
		    rdt_tstamp ack_delay, rdt_tstamp max_ack_delay);

/*
 * rdt_rtt_rto returns srtt + max(RDT_RTT_GRANULARITY, 4 rttvar) +
 * |max_ack_delay|, clamped to [min_rto, max_rto], then multiplied by
 * 2^backoff and clamped to max_rto again (no overflow for any backoff).
 */
rdt_tstamp rdt_rtt_rto(const struct rdt_rtt *rtt, rdt_tstamp max_ack_delay,
		       rdt_tstamp min_rto, rdt_tstamp max_rto,
		       unsigned backoff);

#endif
