/*
 * test_impair.c: unit tests for tools/rdt-impair/impair.c and dist.c, the
 * impairment model, in virtual time.
 *
 * Exact cases (constant delay, rate spacing, gap pattern, limit, down,
 * duplicate+loss interplay) compare exact values.  Random cases offer
 * N datagrams with a fixed seed and accept a count k of events of
 * probability p when |k - N p| <= 5 sqrt(N p (1 - p)): five binomial
 * standard errors, so a correct model fails about once in 1.7 million
 * runs, and a wrong rate (say 1.1 p) fails at once.  Means of delays are
 * held to five standard errors sigma/sqrt(N) in the same way.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/rdt-impair/dist.h"
#include "../../tools/rdt-impair/impair.h"
#include "../../tools/rdt-impair/netem.h"

#define MS 1000000ull
#define N 100000
#define SEED 12345

/* A model of |params|; without a limit in them, one that holds N and
 * their copies. */
static struct impair *model(const char *params)
{
	struct netem_cfg cfg;
	struct impair *im;
	char err[256];

	if (netem_parse(&cfg, params, err, sizeof(err)) < 0)
		fail_msg("\"%s\": %s", params, err);
	if (!strstr(params, "limit"))
		cfg.limit = 2 * N;
	assert_int_equal(impair_new(&im, &cfg, SEED), 0);
	return im;
}

/* Offers datagram |i| (its number in 8 bytes) at |now|. */
static void offer(struct impair *im, uint64_t i, uint64_t now)
{
	uint8_t buf[64];

	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &i, sizeof(i));
	impair_offer(im, buf, sizeof(buf), i, now);
}

/* Pops one datagram due by |now|, which must exist; frees it. */
static struct impair_pkt pop_one(struct impair *im, uint64_t now)
{
	struct impair_pkt *p = impair_pop(im, now), copy;

	assert_non_null(p);
	copy = *p;
	impair_done(im, p, 1);
	return copy;
}

static void drain(struct impair *im)
{
	struct impair_pkt *p;

	while ((p = impair_pop(im, UINT64_MAX - 1)))
		impair_done(im, p, 1);
}

static void assert_binomial(uint64_t k, uint64_t n, double p,
			    const char *what)
{
	double mean = n * p, sd = sqrt(n * p * (1 - p));

	if (fabs((double)k - mean) > 5 * sd + 1e-9)
		fail_msg("%s: %llu of %llu, expected %.1f +- %.1f (5 sigma)",
			 what, (unsigned long long)k, (unsigned long long)n,
			 mean, 5 * sd);
}

static void test_impair_clean_passes_everything_in_order(void **state)
{
	struct impair *im = model("");
	struct impair_pkt p;
	uint64_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		offer(im, i, 1000 + i);
	for (i = 0; i < 100; i++) {
		p = pop_one(im, 1000 + i);
		assert_int_equal(p.tag, i);
		assert_int_equal(p.due, 1000 + i);
	}
	assert_null(impair_pop(im, UINT64_MAX - 1));
	assert_int_equal(impair_stats(im)->received, 100);
	assert_int_equal(impair_stats(im)->delivered, 100);
	impair_del(im);
}

static void test_impair_constant_delay_is_exact(void **state)
{
	struct impair *im = model("delay 10ms");

	(void)state;
	offer(im, 1, 5 * MS);
	assert_int_equal(impair_next_due(im), 15 * MS);
	assert_null(impair_pop(im, 15 * MS - 1));
	assert_int_equal(pop_one(im, 15 * MS).tag, 1);
	assert_int_equal(impair_next_due(im), UINT64_MAX);
	impair_del(im);
}

static void test_impair_same_seed_same_decisions(void **state)
{
	const char *params = "delay 10ms 5ms loss 10% duplicate 5% "
			     "corrupt 5% reorder 10% gap 3";
	struct impair *a = model(params), *b = model(params);
	struct impair_pkt *pa, *pb;
	uint64_t i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		offer(a, i, i * 1000);
		offer(b, i, i * 1000);
	}
	while ((pa = impair_pop(a, UINT64_MAX - 1))) {
		pb = impair_pop(b, UINT64_MAX - 1);
		assert_non_null(pb);
		assert_int_equal(pa->due, pb->due);
		assert_int_equal(pa->tag, pb->tag);
		assert_memory_equal(pa->data, pb->data, pa->len);
		impair_done(a, pa, 1);
		impair_done(b, pb, 1);
	}
	assert_null(impair_pop(b, UINT64_MAX - 1));
	assert_memory_equal(impair_stats(a), impair_stats(b),
			    sizeof(struct impair_stats));
	impair_del(a);
	impair_del(b);
}

static void test_impair_random_loss_rate(void **state)
{
	struct impair *im = model("loss 10%");
	uint64_t i;

	(void)state;
	for (i = 0; i < N; i++)
		offer(im, i, i);
	drain(im);
	assert_binomial(impair_stats(im)->dropped_loss, N, 0.10, "loss");
	assert_int_equal(impair_stats(im)->delivered +
			 impair_stats(im)->dropped_loss, N);
	impair_del(im);
}

/*
 * Correlated loss, netem's way: each draw is mixed with the previous one,
 * so a loss makes the next one likelier.  (It also pulls the draws
 * towards the middle, so the long-run rate falls below the one asked for,
 * as with netem; the man page says so.)
 */
static void test_impair_loss_correlation(void **state)
{
	struct impair *im = model("loss 20% 30%");
	uint64_t i, before, lost, prev = 0;
	uint64_t n[2] = { 0, 0 }, k[2] = { 0, 0 };
	double p_after_loss, p_after_pass, se;

	(void)state;
	for (i = 0; i < N; i++) {
		before = impair_stats(im)->dropped_loss;
		offer(im, i, i);
		lost = impair_stats(im)->dropped_loss - before;
		if (i > 0) {
			n[prev]++;
			k[prev] += lost;
		}
		prev = lost;
	}
	drain(im);
	p_after_loss = (double)k[1] / (double)n[1];
	p_after_pass = (double)k[0] / (double)n[0];
	se = sqrt(p_after_loss * (1 - p_after_loss) / (double)n[1]);
	if (p_after_loss < p_after_pass + 5 * se)
		fail_msg("P(loss | loss) %.4f not above P(loss | pass) %.4f",
			 p_after_loss, p_after_pass);
	impair_del(im);
}

static void test_impair_gemodel_bursts(void **state)
{
	/* p 2%, r 25%, 1-h 100%, 1-k 0: a datagram is lost exactly when it
	 * finds the chain in BAD.  In the long run BAD holds p/(p+r) of the
	 * time, and a loss is followed by another with probability 1 - r. */
	struct impair *im = model("loss gemodel 2% 25%");
	uint64_t i, lost, was_lost = 0, pairs = 0, both = 0, before;

	(void)state;
	for (i = 0; i < N; i++) {
		before = impair_stats(im)->dropped_loss;
		offer(im, i, i);
		lost = impair_stats(im)->dropped_loss - before;
		if (was_lost) {
			pairs++;
			both += lost;
		}
		was_lost = lost;
	}
	drain(im);
	/* Successive datagrams are not independent, so the count of losses
	 * gets a wider band: its variance grows by (1 + rho)/(1 - rho) with
	 * rho = 1 - p - r, the chain's lag-1 correlation. */
	{
		double p = 0.02, r = 0.25, pi = p / (p + r);
		double rho = 1 - p - r;
		double sd = sqrt(N * pi * (1 - pi) * (1 + rho) / (1 - rho));
		double k = (double)impair_stats(im)->dropped_loss;

		if (fabs(k - N * pi) > 5 * sd)
			fail_msg("gemodel loss %.0f, expected %.1f +- %.1f",
				 k, N * pi, 5 * sd);
	}
	assert_binomial(both, pairs, 0.75, "loss after loss");
	impair_del(im);
}

static void test_impair_gemodel_state_loss_rates(void **state)
{
	/* p 10%, r 40%, 1-h 50%, 1-k 5%: the long-run loss is
	 * pi_good * (1-k) + pi_bad * (1-h), pi_bad = p / (p + r) = 0.2,
	 * so 0.8 * 0.05 + 0.2 * 0.5 = 0.14. */
	struct impair *im = model("loss gemodel 10% 40% 50% 5%");
	uint64_t i;
	double k, sd;

	(void)state;
	for (i = 0; i < N; i++)
		offer(im, i, i);
	drain(im);
	k = (double)impair_stats(im)->dropped_loss;
	/* Correlated by the chain: a band twice the binomial one. */
	sd = 2 * sqrt(N * 0.14 * 0.86);
	if (fabs(k - N * 0.14) > 5 * sd)
		fail_msg("gemodel loss %.0f, expected %.1f +- %.1f", k,
			 N * 0.14, 5 * sd);
	impair_del(im);
}

static void test_impair_duplicate_rate_and_copies(void **state)
{
	struct impair *im = model("duplicate 20%");
	struct impair_pkt *p;
	uint64_t i, copies = 0, last_tag = UINT64_MAX, twice = 0;

	(void)state;
	for (i = 0; i < N; i++)
		offer(im, i, i);
	while ((p = impair_pop(im, UINT64_MAX - 1))) {
		uint64_t num;

		memcpy(&num, p->data, sizeof(num));
		assert_int_equal(num, p->tag);
		if (p->tag == last_tag)
			twice++;
		last_tag = p->tag;
		copies++;
		impair_done(im, p, 1);
	}
	assert_binomial(impair_stats(im)->duplicated, N, 0.20, "duplicate");
	assert_int_equal(copies, N + impair_stats(im)->duplicated);
	/* Without delay a copy leaves right after its original. */
	assert_int_equal(twice, impair_stats(im)->duplicated);
	impair_del(im);
}

/* netem: duplication adds a copy and loss removes one, so with both
 * certain each datagram passes once, neither lost nor duplicated. */
static void test_impair_duplicate_and_loss_interplay(void **state)
{
	struct impair *im = model("duplicate 100% loss 100%");
	const struct impair_stats *s = impair_stats(im);
	uint64_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		offer(im, i, i);
	drain(im);
	assert_int_equal(s->delivered, 1000);
	assert_int_equal(s->duplicated, 0);
	assert_int_equal(s->dropped_loss, 0);
	impair_del(im);

	/* Duplication alone certain, loss 50%: a copy is made when the
	 * original's loss draw spares it, and is itself lost half the time:
	 * per datagram, 1/2 duplicated and 1/4 copies lost. */
	im = model("duplicate 100% loss 50%");
	s = impair_stats(im);
	for (i = 0; i < N; i++)
		offer(im, i, i);
	drain(im);
	assert_binomial(s->duplicated, N, 0.5, "duplicated");
	assert_binomial(s->dropped_loss, s->duplicated, 0.5, "copies lost");
	assert_int_equal(s->delivered, N + s->duplicated - s->dropped_loss);
	impair_del(im);
}

static void test_impair_corrupt_flips_one_bit(void **state)
{
	struct impair *im = model("corrupt 5%");
	struct impair_pkt *p;
	uint8_t expect[64];
	uint64_t i, bad = 0;
	size_t j;
	int bits;

	(void)state;
	for (i = 0; i < N; i++)
		offer(im, i, i);
	while ((p = impair_pop(im, UINT64_MAX - 1))) {
		memset(expect, 0xa5, sizeof(expect));
		memcpy(expect, &p->tag, sizeof(p->tag));
		bits = 0;
		for (j = 0; j < p->len; j++)
			bits += __builtin_popcount(p->data[j] ^ expect[j]);
		assert_true(bits == 0 || bits == 1);
		bad += (uint64_t)bits;
		impair_done(im, p, 1);
	}
	assert_binomial(impair_stats(im)->corrupted, N, 0.05, "corrupt");
	assert_int_equal(bad, impair_stats(im)->corrupted);
	impair_del(im);
}

/* Mean and standard deviation of the delays of N datagrams offered at 0. */
static void delay_moments(const char *params, double *pmean, double *psd,
			  double *pmin, double *pmax, double *plag1)
{
	struct impair *im = model(params);
	struct impair_pkt *p;
	double sum = 0, sum2 = 0, d, prev = 0, lag = 0;
	double *seq = calloc(N, sizeof(*seq));
	uint64_t i, n = 0;

	assert_non_null(seq);
	for (i = 0; i < N; i++)
		offer(im, i, 0);
	*pmin = INFINITY;
	*pmax = -INFINITY;
	while ((p = impair_pop(im, UINT64_MAX - 1))) {
		d = (double)p->due;
		seq[p->tag] = d;
		sum += d;
		sum2 += d * d;
		if (d < *pmin)
			*pmin = d;
		if (d > *pmax)
			*pmax = d;
		n++;
		impair_done(im, p, 1);
	}
	assert_int_equal(n, N);
	*pmean = sum / n;
	*psd = sqrt(sum2 / n - *pmean * *pmean);
	/* Lag-1 autocorrelation in offer order. */
	for (i = 1; i < N; i++) {
		prev = seq[i - 1] - *pmean;
		lag += prev * (seq[i] - *pmean);
	}
	*plag1 = lag / (N - 1) / (*psd * *psd);
	free(seq);
	impair_del(im);
}

static void assert_moments(const char *params, double mean, double sd)
{
	double m, s, lo, hi, lag1;

	delay_moments(params, &m, &s, &lo, &hi, &lag1);
	if (fabs(m - mean) > 5 * sd / sqrt(N))
		fail_msg("%s: mean %.0f ns, expected %.0f +- %.0f", params,
			 m, mean, 5 * sd / sqrt(N));
	/* The standard deviation of a sample's standard deviation is
	 * below sd / sqrt(N) * 2 for these (kurtosis < 16). */
	if (fabs(s - sd) > 5 * 2 * sd / sqrt(N))
		fail_msg("%s: sd %.0f ns, expected %.0f +- %.0f", params, s,
			 sd, 10 * sd / sqrt(N));
}

static void test_impair_jitter_uniform(void **state)
{
	double m, s, lo, hi, lag1;

	(void)state;
	/* Uniform in [delay - jitter, delay + jitter): sd = jitter/sqrt 3. */
	assert_moments("delay 100ms 30ms", 100e6, 30e6 / sqrt(3));
	delay_moments("delay 100ms 30ms", &m, &s, &lo, &hi, &lag1);
	assert_true(lo >= 70e6);
	assert_true(hi < 130e6);
	assert_true(fabs(lag1) < 5 / sqrt(N));
}

static void test_impair_jitter_normal(void **state)
{
	(void)state;
	/* Cut at 4 jitters: the sd is 0.99893 jitters. */
	assert_moments("delay 100ms 10ms distribution normal", 100e6,
		       10e6 * 0.99893);
}

/*
 * The quantile function of the Pareto table, by a million-point midpoint
 * rule, computed here from its definition independently of dist.c.
 */
static void pareto_moments(double *pmean, double *psd)
{
	double sum = 0, sum2 = 0, u, x;
	int i, n = 1000000;

	for (i = 0; i < n; i++) {
		u = (i + 0.5) / n;
		x = (pow(1 - u, -1.0 / 3) - 1.5) * 4 / 3;
		if (x > 4)
			x = 4;
		sum += x;
		sum2 += x * x;
	}
	*pmean = sum / n;
	*psd = sqrt(sum2 / n - *pmean * *pmean);
}

static void test_impair_jitter_pareto(void **state)
{
	double mean, sd;

	(void)state;
	pareto_moments(&mean, &sd);
	assert_moments("delay 100ms 10ms distribution pareto",
		       100e6 + 10e6 * mean, 10e6 * sd);
}

static void test_impair_jitter_paretonormal_mean(void **state)
{
	double mean, sd, m, s, lo, hi, lag1;

	(void)state;
	/* A quarter normal (mean 0) and three quarters Pareto. */
	pareto_moments(&mean, &sd);
	delay_moments("delay 100ms 10ms distribution paretonormal", &m, &s,
		      &lo, &hi, &lag1);
	if (fabs(m - (100e6 + 10e6 * 0.75 * mean)) > 5 * 10e6 / sqrt(N))
		fail_msg("paretonormal mean %.0f", m);
	/* Both parts rise with the quantile, so the spread is between the
	 * weighted parts' sum and the Pareto's own. */
	assert_true(s < 10e6 * (0.25 + 0.75 * sd) * 1.01);
	assert_true(s > 10e6 * 0.75 * sd);
}

static void test_impair_jitter_correlation(void **state)
{
	double m, s, lo, hi, lag1;

	(void)state;
	/* netem mixes each draw with the last in proportion rho: an AR(1)
	 * sequence whose lag-1 autocorrelation is about rho. */
	delay_moments("delay 100ms 30ms 90%", &m, &s, &lo, &hi, &lag1);
	assert_true(lag1 > 0.85);
	assert_true(fabs(m - 100e6) < 2e6);
}

static void test_impair_reorder_gap_pattern(void **state)
{
	/* reorder 100% gap 5: four datagrams delayed, the fifth sent at
	 * once, and again. */
	struct impair *im = model("delay 10ms reorder 100% gap 5");
	struct impair_pkt p;
	uint64_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		offer(im, i, 0);
	for (i = 4; i < 20; i += 5) {
		p = pop_one(im, 0);
		assert_int_equal(p.tag, i);
	}
	assert_null(impair_pop(im, 10 * MS - 1));
	for (i = 0; i < 20; i++) {
		if (i % 5 == 4)
			continue;
		p = pop_one(im, 10 * MS);
		assert_int_equal(p.tag, i);
	}
	assert_int_equal(impair_stats(im)->reordered, 4);
	impair_del(im);
}

static void test_impair_reorder_rate(void **state)
{
	struct impair *im = model("delay 10ms reorder 25%");
	uint64_t i;

	(void)state;
	for (i = 0; i < N; i++)
		offer(im, i, i);
	drain(im);
	assert_binomial(impair_stats(im)->reordered, N, 0.25, "reorder");
	impair_del(im);
}

static void test_impair_rate_spacing(void **state)
{
	/* 8 Mbit/s: a 64-byte datagram takes 64 us; back to back from 0. */
	struct impair *im = model("rate 8mbit");
	uint64_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		offer(im, i, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(pop_one(im, UINT64_MAX - 1).due,
				 (i + 1) * 64000);
	/* An idle link starts from the arrival time. */
	offer(im, 10, 5 * MS);
	assert_int_equal(pop_one(im, UINT64_MAX - 1).due, 5 * MS + 64000);
	impair_del(im);
}

static void test_impair_rate_overheads(void **state)
{
	/* 64 + 36 = 100 bytes: 100 us. */
	struct impair *im = model("rate 8mbit 36");

	(void)state;
	offer(im, 0, 0);
	assert_int_equal(pop_one(im, UINT64_MAX - 1).due, 100000);
	impair_del(im);
	/* 64 bytes in 48-byte cells: 2 cells of 48 + 5: 106 bytes. */
	im = model("rate 8mbit 0 48 5");
	offer(im, 0, 0);
	assert_int_equal(pop_one(im, UINT64_MAX - 1).due, 106000);
	impair_del(im);
}

static void test_impair_rate_with_delay(void **state)
{
	/* netem's time bonus: the second datagram's 10 ms delay runs
	 * while the first waits, so it leaves one transmission later. */
	struct impair *im = model("delay 10ms rate 8mbit");

	(void)state;
	offer(im, 0, 0);
	offer(im, 1, 0);
	assert_int_equal(pop_one(im, UINT64_MAX - 1).due, 10 * MS + 64000);
	assert_int_equal(pop_one(im, UINT64_MAX - 1).due, 10 * MS + 128000);
	impair_del(im);
}

static void test_impair_limit_drops_and_peak(void **state)
{
	struct impair *im = model("delay 1s limit 10");
	const struct impair_stats *s = impair_stats(im);
	uint64_t i;

	(void)state;
	for (i = 0; i < 15; i++)
		offer(im, i, 0);
	assert_int_equal(s->dropped_queue, 5);
	assert_int_equal(s->queue_peak, 10);
	assert_int_equal(impair_queued(im), 10);
	drain(im);
	assert_int_equal(s->delivered, 10);
	impair_del(im);
}

static void test_impair_down_drops_both_ways(void **state)
{
	struct impair *im = model("delay 10ms");
	const struct impair_stats *s = impair_stats(im);

	(void)state;
	offer(im, 0, 0);
	impair_set_down(im, 1);
	offer(im, 1, 0);
	assert_int_equal(s->dropped_down, 1);
	assert_null(impair_pop(im, 10 * MS));
	assert_int_equal(s->dropped_down, 2);
	impair_set_down(im, 0);
	offer(im, 2, 20 * MS);
	assert_int_equal(pop_one(im, 30 * MS).tag, 2);
	impair_del(im);
}

static void test_impair_unpop_restores_order(void **state)
{
	struct impair *im = model("delay 1ms");
	struct impair_pkt *a, *b;

	(void)state;
	offer(im, 0, 0);
	offer(im, 1, 0);
	a = impair_pop(im, MS);
	b = impair_pop(im, MS);
	assert_non_null(a);
	assert_non_null(b);
	impair_unpop(im, b);
	impair_unpop(im, a);
	assert_int_equal(pop_one(im, MS).tag, 0);
	assert_int_equal(pop_one(im, MS).tag, 1);
	assert_int_equal(impair_stats(im)->delivered, 2);
	impair_del(im);
}

static void test_impair_set_cfg_keeps_queue(void **state)
{
	struct impair *im = model("delay 50ms");
	struct netem_cfg cfg;
	char err[128];

	(void)state;
	offer(im, 0, 0);
	assert_int_equal(netem_parse(&cfg, "loss 100%", err, sizeof(err)), 0);
	impair_set_cfg(im, &cfg);
	offer(im, 1, 0);
	assert_int_equal(impair_stats(im)->dropped_loss, 1);
	assert_int_equal(impair_cfg(im)->loss, UINT32_MAX);
	assert_int_equal(pop_one(im, 50 * MS).tag, 0);
	impair_del(im);
}

static void test_dist_tables_are_sorted_and_cut(void **state)
{
	static const enum netem_dist dists[] = {
		NETEM_DIST_NORMAL, NETEM_DIST_PARETO, NETEM_DIST_PARETONORMAL
	};
	uint32_t j, step = 1u << (32 - DIST_TABLE_BITS);
	double v, prev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dists) / sizeof(dists[0]); i++) {
		prev = -INFINITY;
		for (j = 0; j < DIST_TABLE_SIZE; j++) {
			v = dist_value(dists[i], j * step);
			assert_true(v >= prev);
			assert_true(v >= -4.0 && v <= 4.0);
			prev = v;
		}
	}
	assert_float_equal(dist_value(NETEM_DIST_UNIFORM, 0), -1.0, 1e-12);
	assert_float_equal(dist_value(NETEM_DIST_UNIFORM, 1u << 31), 0.0,
			   1e-12);
	/* The normal median is 0; the slices around it are symmetric. */
	assert_float_equal(dist_value(NETEM_DIST_NORMAL, (1u << 31) - 1),
			   -dist_value(NETEM_DIST_NORMAL, 1u << 31), 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_impair_clean_passes_everything_in_order),
		cmocka_unit_test(test_impair_constant_delay_is_exact),
		cmocka_unit_test(test_impair_same_seed_same_decisions),
		cmocka_unit_test(test_impair_random_loss_rate),
		cmocka_unit_test(test_impair_loss_correlation),
		cmocka_unit_test(test_impair_gemodel_bursts),
		cmocka_unit_test(test_impair_gemodel_state_loss_rates),
		cmocka_unit_test(test_impair_duplicate_rate_and_copies),
		cmocka_unit_test(test_impair_duplicate_and_loss_interplay),
		cmocka_unit_test(test_impair_corrupt_flips_one_bit),
		cmocka_unit_test(test_impair_jitter_uniform),
		cmocka_unit_test(test_impair_jitter_normal),
		cmocka_unit_test(test_impair_jitter_pareto),
		cmocka_unit_test(test_impair_jitter_paretonormal_mean),
		cmocka_unit_test(test_impair_jitter_correlation),
		cmocka_unit_test(test_impair_reorder_gap_pattern),
		cmocka_unit_test(test_impair_reorder_rate),
		cmocka_unit_test(test_impair_rate_spacing),
		cmocka_unit_test(test_impair_rate_overheads),
		cmocka_unit_test(test_impair_rate_with_delay),
		cmocka_unit_test(test_impair_limit_drops_and_peak),
		cmocka_unit_test(test_impair_down_drops_both_ways),
		cmocka_unit_test(test_impair_unpop_restores_order),
		cmocka_unit_test(test_impair_set_cfg_keeps_queue),
		cmocka_unit_test(test_dist_tables_are_sorted_and_cut),
	};

	return cmocka_run_group_tests_name("impair", tests, NULL, NULL);
}
