/*
 * dist.h: the delay distributions of tc-netem, as quantile tables.
 *
 * tc draws a uniform 32-bit number and looks it up in a 4096-entry table
 * of the distribution's quantiles, in units of the jitter (iproute2's
 * normal.c, pareto.c and paretonormal.c generate them).  These are the
 * same tables, computed at first use rather than read from files:
 *   normal        the standard normal quantile, cut to [-4, 4];
 *   pareto        (U^(-1/3) - 3/2) * 4/3 for U uniform in (0, 1]: a Pareto
 *                 of shape 3 shifted to mean 0, cut at 4 above;
 *   paretonormal  (normal + 3 pareto) / 4 at the same quantile.
 */
#ifndef RDT_IMPAIR_DIST_H
#define RDT_IMPAIR_DIST_H

#include <stdint.h>

#include "netem.h"

/* Entries per table: tc's 4096. */
#define DIST_TABLE_BITS 12
#define DIST_TABLE_SIZE (1u << DIST_TABLE_BITS)

/*
 * dist_value maps a uniform 32-bit |rnd| through distribution |d| to a
 * deviation in units of the jitter.  NETEM_DIST_UNIFORM gives a value in
 * [-1, 1).  Pure apart from filling the tables once.
 */
double dist_value(enum netem_dist d, uint32_t rnd);

#endif
