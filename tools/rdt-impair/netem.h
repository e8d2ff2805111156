/*
 * netem.h: tc-netem's parameter grammar, parsed into one direction's
 * impairment configuration.
 *
 * The grammar is that of tc-netem(8), without the parts that need a
 * kernel qdisc (slot, ecn, the 4-state loss model, distribution tables
 * from files):
 *
 *   delay TIME [JITTER [CORRELATION]]
 *   distribution uniform|normal|pareto|paretonormal
 *   loss [random] PERCENT [CORRELATION]
 *   loss gemodel P [R [1-H [1-K]]]
 *   duplicate PERCENT [CORRELATION]
 *   corrupt PERCENT [CORRELATION]
 *   reorder PERCENT [CORRELATION]      with   gap DISTANCE
 *   rate RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]]
 *   limit PACKETS
 *
 * "latency" is accepted for "delay" and "drop" for "loss", as tc does.
 * Units are tc's: TIME is a number with s, sec, secs, ms, msec, msecs,
 * us, usec, usecs, ns, nsec or nsecs (a bare number is microseconds);
 * RATE is a number with bit, kbit, mbit, gbit, tbit (powers of 1000),
 * kibit, mibit, gibit, tibit (powers of 1024), or the same with bps
 * instead of bit for bytes per second (a bare number is bit/s; case is
 * ignored); PERCENT is a number, optionally followed by %, from 0 to 100.
 * An optional number is recognised, as in tc, by its first character
 * being a digit (or '-' for the signed overheads of rate).
 */
#ifndef RDT_IMPAIR_NETEM_H
#define RDT_IMPAIR_NETEM_H

#include <stddef.h>
#include <stdint.h>

/* A probability: UINT32_MAX is 1, 0 is never, as in the kernel's netem. */
typedef uint32_t netem_prob;

/* Shapes of the delay jitter, as tc's distribution tables. */
enum netem_dist {
	/* The default: uniform in [delay - jitter, delay + jitter). */
	NETEM_DIST_UNIFORM,
	/* Normal, cut at 4 jitters either side. */
	NETEM_DIST_NORMAL,
	/* Shifted Pareto (alpha 3), cut at 4 jitters above. */
	NETEM_DIST_PARETO,
	/* 1/4 normal + 3/4 Pareto, quantile by quantile. */
	NETEM_DIST_PARETONORMAL
};

enum netem_loss_model {
	NETEM_LOSS_NONE,
	NETEM_LOSS_RANDOM,	/* independent (or correlated) per datagram */
	NETEM_LOSS_GEMODEL	/* Gilbert-Elliott two-state Markov chain */
};

/* Default queue limit in datagrams, tc's. */
#define NETEM_DEFAULT_LIMIT 1000u
/* Upper bounds that keep every product in 64 bits and memory sane. */
#define NETEM_MAX_LIMIT 1000000u
#define NETEM_MAX_TIME_NS (3600ull * 1000000000ull)
#define NETEM_MAX_RATE_BPS (100ull * 1000000000000ull)

struct netem_cfg {
	uint64_t latency;	/* ns */
	uint64_t jitter;	/* ns */
	netem_prob delay_corr;
	enum netem_dist dist;

	enum netem_loss_model loss_model;
	netem_prob loss;	/* random loss */
	netem_prob loss_corr;
	netem_prob ge_p;	/* GOOD -> BAD */
	netem_prob ge_r;	/* BAD -> GOOD */
	netem_prob ge_bad_loss;	/* "1-h": loss probability in BAD */
	netem_prob ge_good_loss;	/* "1-k": loss probability in GOOD */

	netem_prob duplicate;
	netem_prob dup_corr;
	netem_prob corrupt;
	netem_prob corrupt_corr;
	netem_prob reorder;
	netem_prob reorder_corr;
	uint32_t gap;		/* 1 if reorder is set without gap */

	uint64_t rate;		/* bit/s; 0: no rate limit */
	int32_t packet_overhead;	/* bytes added to each datagram */
	uint32_t cell_size;	/* 0: no cells */
	int32_t cell_overhead;	/* bytes added to each cell */

	uint32_t limit;		/* queue length in datagrams */
};

/* netem_cfg_init sets |cfg| to "no impairment", with tc's default limit. */
void netem_cfg_init(struct netem_cfg *cfg);

/*
 * netem_parse parses |params| (words separated by blanks) into |cfg|,
 * which it first resets with netem_cfg_init.  An empty string is valid:
 * no impairment.  Returns 0, or -1 with a one-line message (no newline)
 * naming the offending word in |err| (|errlen| bytes; |cfg| is then
 * unspecified).
 */
int netem_parse(struct netem_cfg *cfg, const char *params, char *err,
		size_t errlen);

/*
 * The unit parsers netem_parse uses, for tests and for callers that take
 * one value.  Each returns 0, or -1 if |s| is not entirely one valid value
 * in range (see the top of this file).
 */
int netem_parse_time(const char *s, uint64_t *pns);
int netem_parse_rate(const char *s, uint64_t *pbps);
int netem_parse_percent(const char *s, netem_prob *pp);

/* A probability as a fraction of 1, for printing and statistics. */
double netem_prob_value(netem_prob p);

#endif
