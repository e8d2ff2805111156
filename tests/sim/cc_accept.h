/*
 * cc_accept.h: the congestion-control acceptance benchmarks of rdt-sim
 * (issue 9), each printing ratios and checking a floor:
 *
 *   sim_cc_efficiency  one flow, 100 Mbit/s, 40 ms RTT, BDP queue, for
 *                      8 s; goodput over the last 6 s (after startup)
 *                      as a fraction of the link, median over seeds:
 *                      clean >= 0.95, 1% loss >= 0.90, 5% >= 0.80,
 *                      10% >= 0.60 (loss both ways), the burst profile
 *                      >= 0.70, 20% reordering >= 0.90 with spurious
 *                      retransmissions < 1% of datagrams sent;
 *   sim_cc_queue       bufferbloat: a 10 x BDP queue, clean, median RTT
 *                      <= 1.25 x min RTT; shallow buffer: a 0.2 x BDP
 *                      queue, queue drops <= 2% of datagrams sent;
 *   sim_cc_fairness    2 and 4 flows of one algorithm for 30 s, Jain's
 *                      index over the last 20 s >= 0.95; one BBR and one
 *                      CUBIC flow, each >= 20% of the link; a flow that
 *                      starts 10 s late reaches 80% of its fair share
 *                      within 10 s.
 *
 * |cc| is the algorithm under test (NULL: the library default); the
 * floors apply to it.  sim_cc_queue prints the other algorithms' RTT
 * ratios for comparison.  Each returns 0 if every floor held, else 1.
 */
#ifndef RDT_SIM_CC_ACCEPT_H
#define RDT_SIM_CC_ACCEPT_H

#include <stdint.h>

#include "core/cc.h"

int sim_cc_efficiency(const struct rdt_cc_ops *cc, uint64_t seeds);
int sim_cc_queue(const struct rdt_cc_ops *cc, uint64_t seeds);
int sim_cc_fairness(const struct rdt_cc_ops *cc, uint64_t seeds);

#endif
