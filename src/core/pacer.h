/*
 * pacer.h: spreading a connection's datagrams over time at the rate the
 * congestion controller asks for (rdt_cc.pacing_rate), with bursts of up
 * to one quantum so that batched and GSO sends still fill their batches,
 * as Linux's fq qdisc and TSO autosizing do.
 *
 * A token bucket: credit accrues at the pacing rate up to one quantum; a
 * datagram may leave while the credit is positive and takes its size
 * from it (so the credit may go negative by at most one datagram).  The
 * credit is kept in bytes times nanoseconds-per-second so that accrual
 * is exact: no fraction of a byte is lost however often it is refilled.
 *
 * The core asks rdt_pacer_allows before it sends a datagram that counts
 * in flight, calls rdt_pacer_on_sent after, and, when the pacer held data
 * back, puts rdt_pacer_next_send into its deadline.  ACKs, probes and
 * PINGs are not paced.
 */
#ifndef RDT_CORE_PACER_H
#define RDT_CORE_PACER_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"

/* About 1 ms worth of data, as TSO autosizing sends, never below two
 * datagrams (fq's default quantum), and at most 256 KiB: four GSO trains.
 * Linux stops at one 64 KiB train, but its pacer is a timer in the
 * kernel; ours wakes a thread and programs a timer per quantum, which
 * cost a quarter of the throughput on loopback at 64 KiB (6 Gbit/s is a
 * wake every 87 us).  Paths below 500 Mbit/s never reach either cap. */
#define RDT_PACER_MAX_QUANTUM 262144
#define RDT_PACER_QUANTUM_TIME RDT_MS
/* Rates above this (about 69 Gbit/s) are not paced: they exceed what a
 * UDP sender on one core can produce, and keep the arithmetic in 64
 * bits. */
#define RDT_PACER_MAX_RATE ((uint64_t)1 << 33)

struct rdt_pacer {
	/* Credit in bytes * RDT_S; positive: a datagram may leave. */
	int64_t credit;
	rdt_tstamp last;
	/* Non-zero if the last attempt to send was held back by the pacer
	 * (rdt_pacer_next_send is then a deadline). */
	int blocked;
};

void rdt_pacer_init(struct rdt_pacer *p);

/* The burst allowance, bytes, at |rate| bytes/s with datagrams of up to
 * |mss| bytes. */
uint64_t rdt_pacer_quantum(uint64_t rate, size_t mss);

/*
 * rdt_pacer_allows refills the credit up to |now| and returns non-zero if
 * a datagram may leave now at |rate| bytes/s (0: unpaced, always yes).
 * A refusal sets |blocked|; an approval clears it.
 */
int rdt_pacer_allows(struct rdt_pacer *p, uint64_t rate, size_t mss,
		     rdt_tstamp now);

/* A paced datagram of |bytes| left. */
void rdt_pacer_on_sent(struct rdt_pacer *p, uint64_t rate, size_t bytes);

/* When the credit turns positive again at |rate|; RDT_TSTAMP_NEVER if it
 * is positive already or the pacer is not blocked. */
rdt_tstamp rdt_pacer_next_send(const struct rdt_pacer *p, uint64_t rate);

#endif
