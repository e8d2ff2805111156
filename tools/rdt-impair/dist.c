/*
 * dist.c: tc-netem's delay distributions as quantile tables (see dist.h).
 *
 * Entry j of a table is the distribution's quantile at (j + 1/2) / 4096,
 * the middle of the j-th of 4096 equally likely slices, so the table's
 * mean is the distribution's mean to within the cut at 4 jitters.  The
 * normal quantile is found by bisection on erfc(), 60 steps per entry:
 * about 250,000 erfc() calls, once, the first time a table is needed.
 */
#include "dist.h"

#include <math.h>

/* iproute2's tables are cut here, in jitters (its 16-bit entries). */
#define CUT 4.0
/* Shape of iproute2's Pareto table. */
#define PARETO_ALPHA 3.0

static double normal_table[DIST_TABLE_SIZE];
static double pareto_table[DIST_TABLE_SIZE];
static double paretonormal_table[DIST_TABLE_SIZE];
static int tables_ready;

/* The x with Phi(x) = u, for u in (0, 1), cut to [-CUT, CUT]. */
static double normal_quantile(double u)
{
	double lo = -CUT, hi = CUT, mid;
	int i;

	for (i = 0; i < 60; i++) {
		mid = (lo + hi) / 2;
		if (0.5 * erfc(-mid / sqrt(2.0)) < u)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/*
 * The Pareto quantile of iproute2's pareto.c at u: X = U^(-1/alpha) with
 * U = 1 - u has mean alpha/(alpha-1) = 3/2; it is shifted to mean 0 and
 * scaled by 4/3, then cut at CUT.
 */
static double pareto_quantile(double u)
{
	double x = (pow(1.0 - u, -1.0 / PARETO_ALPHA) - 1.5) * (4.0 / 3.0);

	return x > CUT ? CUT : x;
}

static void tables_init(void)
{
	double u;
	unsigned j;

	for (j = 0; j < DIST_TABLE_SIZE; j++) {
		u = (j + 0.5) / DIST_TABLE_SIZE;
		normal_table[j] = normal_quantile(u);
		pareto_table[j] = pareto_quantile(u);
		paretonormal_table[j] =
			(normal_table[j] + 3 * pareto_table[j]) / 4;
	}
	tables_ready = 1;
}

double dist_value(enum netem_dist d, uint32_t rnd)
{
	/* The top bits pick the slice: correlation mixes whole values. */
	uint32_t j = rnd >> (32 - DIST_TABLE_BITS);

	if (!tables_ready)
		tables_init();
	switch (d) {
	case NETEM_DIST_NORMAL:
		return normal_table[j];
	case NETEM_DIST_PARETO:
		return pareto_table[j];
	case NETEM_DIST_PARETONORMAL:
		return paretonormal_table[j];
	case NETEM_DIST_UNIFORM:
	default:
		return (double)rnd / 2147483648.0 - 1.0;
	}
}
