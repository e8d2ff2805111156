/*
 * cc.h: pluggable congestion control, an ops table in the spirit of Linux
 * struct tcp_congestion_ops and ngtcp2_cc.
 *
 * The connection owns one struct rdt_cc and calls its hooks; an algorithm
 * keeps its state in the struct (the shared fields below plus the
 * |priv| scratch area) and never allocates.  All sizes are bytes, all
 * times rdt_tstamp.  Each algorithm lives in its own file (cc_newreno.c).
 *
 * The calls a connection makes, in order of a packet's life:
 *   init                          once, before anything is sent;
 *   on_sent(bytes, in_flight)     for every datagram that counts towards
 *                                 bytes in flight, as it leaves;
 *   on_ack(acked, sent_time)      for every newly acknowledged packet that
 *                                 counted towards bytes in flight;
 *   on_congestion / on_rto        as below, while the ACK is processed;
 *   on_ack_sample(rs)             once per ACK that acknowledged anything,
 *                                 after the per-packet calls and loss
 *                                 detection: the delivery-rate sample of
 *                                 rate.h with the RTT, min RTT, bytes
 *                                 acked and lost;
 *   on_congestion(sent_time)      when a packet sent at |sent_time| is
 *                                 declared lost (once per lost packet; the
 *                                 algorithm itself reacts once per round);
 *   on_rto                        when the retransmission timeout fires
 *                                 and every packet in flight is lost;
 *   on_spurious                   when the packet whose loss started the
 *                                 current recovery turns out to have
 *                                 arrived after all (reordering).
 */
#ifndef RDT_CORE_CC_H
#define RDT_CORE_CC_H

#include <stddef.h>
#include <stdint.h>

#include "rate.h"
#include "types.h"

struct rdt_cc;

struct rdt_cc_ops {
	/* Name used to pick the algorithm ("newreno"). */
	const char *name;
	/* Required: set cwnd, ssthresh and private state for |mss|. */
	void (*init)(struct rdt_cc *cc, size_t mss, rdt_tstamp now);
	/*
	 * Required: |acked| bytes of a packet sent at |sent_time| were newly
	 * acknowledged.  |app_limited| is non-zero when the sender was not
	 * using its whole window (no growth then, RFC 9002 7.8).
	 */
	void (*on_ack)(struct rdt_cc *cc, uint64_t acked, rdt_tstamp sent_time,
		       int app_limited, rdt_tstamp now);
	/* Required: a packet sent at |sent_time| was declared lost. */
	void (*on_congestion)(struct rdt_cc *cc, rdt_tstamp sent_time,
			      rdt_tstamp now);
	/* Required: the retransmission timeout fired. */
	void (*on_rto)(struct rdt_cc *cc, rdt_tstamp now);
	/* Optional: undo the last reduction, it was caused by reordering. */
	void (*on_spurious)(struct rdt_cc *cc, rdt_tstamp now);
	/* Optional: a datagram of |bytes| left with |in_flight| bytes in
	 * flight before it. */
	void (*on_sent)(struct rdt_cc *cc, uint64_t bytes, uint64_t in_flight,
			rdt_tstamp now);
	/* Optional: the ACK's delivery-rate sample |rs| (borrowed for the
	 * call), after every per-packet hook of that ACK. */
	void (*on_ack_sample)(struct rdt_cc *cc,
			      const struct rdt_rate_sample *rs, rdt_tstamp now);
	/* Optional: a short name of the algorithm's current state, for
	 * RDT_INFO ("slow_start", "probe_bw"); a static string. */
	const char *(*state_name)(const struct rdt_cc *cc);
	/* Non-zero if the algorithm sets |pacing_rate| itself; otherwise
	 * rdt_cc_on_ack_sample derives it from cwnd and srtt. */
	int sets_pacing_rate;
};

struct rdt_cc {
	const struct rdt_cc_ops *ops;
	size_t mss;
	/* Congestion window and slow-start threshold, bytes. */
	uint64_t cwnd;
	uint64_t ssthresh;
	/* Start of the current recovery period; packets sent at or before
	 * it cause no further reduction.  0: never in recovery. */
	rdt_tstamp recovery_start;
	/* Window and threshold before the last reduction, for on_spurious. */
	uint64_t prior_cwnd;
	uint64_t prior_ssthresh;
	/* Number of reductions (congestion events and timeouts). */
	uint64_t congestion_events;
	/* How fast to send, bytes per second; 0: unpaced (no RTT yet). */
	uint64_t pacing_rate;
	/* Scratch space for the algorithm's own state (a struct of its own
	 * cast over it; each algorithm asserts that it fits). */
	uint64_t priv[48];
};

/* The smallest window any algorithm may set: 2 * mss (RFC 9002 7.2). */
#define RDT_CC_MIN_WINDOW(mss) (2 * (uint64_t)(mss))

/*
 * Pacing gains of loss-based algorithms, in percent of cwnd per srtt:
 * twice the window in slow start, so that the pacer never holds back the
 * doubling, and a little over it later, as Linux's tcp_update_pacing_rate
 * (sysctl tcp_pacing_ss_ratio 200, tcp_pacing_ca_ratio 120).
 */
#define RDT_CC_PACING_SS_PERCENT 200
#define RDT_CC_PACING_CA_PERCENT 120

/*
 * rdt_cc_find returns the ops table registered under |name|, or NULL.
 * rdt_cc_default returns the default algorithm (BBR, chosen by the
 * measurements in docs/congestion-control.md).
 */
const struct rdt_cc_ops *rdt_cc_find(const char *name);
const struct rdt_cc_ops *rdt_cc_default(void);

/* The NewReno ops table (RFC 9002 section 7 / RFC 6582), cc_newreno.c. */
extern const struct rdt_cc_ops rdt_cc_newreno;
/* BBR (draft-ietf-ccwg-bbr, Linux tcp_bbr), cc_bbr.c. */
extern const struct rdt_cc_ops rdt_cc_bbr;
/* CUBIC (RFC 9438) with HyStart++ (RFC 9406), cc_cubic.c. */
extern const struct rdt_cc_ops rdt_cc_cubic;

/*
 * rdt_cc_on_ack_sample hands the ACK's sample |rs| to the algorithm and
 * then, unless the algorithm paces itself, sets pacing_rate to
 * cwnd / srtt times the gain above.
 */
void rdt_cc_on_ack_sample(struct rdt_cc *cc, const struct rdt_rate_sample *rs,
			  rdt_tstamp now);

/* rdt_cc_state_name: the algorithm's state name, or "" if it has none. */
const char *rdt_cc_state_name(const struct rdt_cc *cc);

/* rdt_cc_init sets |cc| to use |ops| and calls its init hook. */
void rdt_cc_init(struct rdt_cc *cc, const struct rdt_cc_ops *ops, size_t mss,
		 rdt_tstamp now);

#endif
