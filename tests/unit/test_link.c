/*
 * test_link.c: the simulated link (tests/sim/link.c) against link.h.
 *
 * Map: helpers that stamp each datagram with its sending number and a
 * pattern derived from it, send a stream and collect what comes out (with
 * the arrival time read from sim_link_next_arrival just before each recv);
 * then one case per behaviour.  Statistical cases send 100,000 datagrams
 * and accept the measured value if it lies within five standard errors of
 * the value derived from the configuration, so a correct link fails about
 * once in 1.7 million runs, while a wrong one (say, loss off by a tenth of
 * itself) fails every time.  Seeds are fixed, so runs are reproducible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/link.h"

#define N 100000
#define PKT_MAX 4096

/* One datagram as it came out of the link. */
struct rx {
	uint64_t seq;		/* sending number from the first 8 bytes */
	rdt_tstamp at;		/* arrival time */
	size_t len;
	uint8_t data[64];	/* the first bytes, for corruption checks */
};

struct capture {
	struct rx *rx;
	size_t n;
	size_t cap;
};

/* Byte |i| of datagram |seq|: bytes 0-7 hold seq, the rest a pattern. */
static uint8_t pattern(uint64_t seq, size_t i)
{
	if (i < 8)
		return (uint8_t)(seq >> (8 * i));
	return (uint8_t)(seq * 131 + i * 7 + 1);
}

static void make_pkt(uint8_t *buf, uint64_t seq, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(seq, i);
}

static uint64_t pkt_seq(const uint8_t *buf)
{
	uint64_t seq = 0;
	int i;

	for (i = 7; i >= 0; i--)
		seq = seq << 8 | buf[i];
	return seq;
}

static void send_seq(struct sim_link *l, uint64_t seq, size_t len,
		     rdt_tstamp now)
{
	uint8_t buf[PKT_MAX];

	make_pkt(buf, seq, len);
	sim_link_send(l, buf, len, now);
}

/* Pops everything that has arrived by |now| into |c|. */
static void drain(struct sim_link *l, struct capture *c, rdt_tstamp now)
{
	uint8_t buf[PKT_MAX];
	rdt_tstamp at;
	size_t len;
	struct rx *r;

	for (;;) {
		at = sim_link_next_arrival(l);
		len = sim_link_recv(l, buf, sizeof(buf), now);
		if (!len) {
			assert_true(at == RDT_TSTAMP_NEVER || at > now);
			return;
		}
		assert_true(at <= now);
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 1024;
			c->rx = realloc(c->rx, c->cap * sizeof(*c->rx));
			assert_non_null(c->rx);
		}
		r = &c->rx[c->n++];
		r->seq = len >= 8 ? pkt_seq(buf) : UINT64_MAX;
		r->at = at;
		r->len = len;
		memcpy(r->data, buf, len < sizeof(r->data) ?
		       len : sizeof(r->data));
	}
}

static struct sim_link *mk(const struct sim_link_cfg *cfg, uint64_t seed)
{
	struct sim_link *l = NULL;

	assert_int_equal(sim_link_new(&l, cfg, seed), 0);
	assert_non_null(l);
	return l;
}

/*
 * Sends |n| datagrams of |len| bytes, one every |gap| ns from time 0, and
 * collects everything; returns the capture.
 */
static struct capture run(const struct sim_link_cfg *cfg, uint64_t seed,
			  size_t n, size_t len, rdt_tstamp gap,
			  struct sim_link_stats *st)
{
	struct capture c = { 0 };
	struct sim_link *l = mk(cfg, seed);
	size_t i;

	for (i = 0; i < n; i++) {
		drain(l, &c, i * gap);
		send_seq(l, i, len, i * gap);
	}
	drain(l, &c, RDT_TSTAMP_NEVER);
	assert_int_equal(sim_link_next_arrival(l), RDT_TSTAMP_NEVER);
	*st = *sim_link_stats(l);
	assert_int_equal(st->delivered, c.n);
	sim_link_del(l);
	return c;
}

/* |x - want| within |k| standard errors |se|. */
static void assert_near(double x, double want, double se, double k)
{
	if (fabs(x - want) > k * se)
		fail_msg("measured %.6g, expected %.6g +- %.3g (%g sigma)",
			 x, want, k * se, k);
}

/* Marks per sending number how often it was delivered. */
static unsigned char *tally(const struct capture *c, size_t n)
{
	unsigned char *seen = calloc(n, 1);
	size_t i;

	assert_non_null(seen);
	for (i = 0; i < c->n; i++) {
		assert_true(c->rx[i].seq < n);
		seen[c->rx[i].seq]++;
	}
	return seen;
}

static void test_link_random_loss(void **state)
{
	static const double rates[] = { 0.01, 0.10, 0.30 };
	struct sim_link_cfg cfg;
	struct sim_link_stats st;
	struct capture c;
	unsigned char *seen;
	size_t i, k, lost;
	double p;

	(void)state;
	for (k = 0; k < 3; k++) {
		p = rates[k];
		memset(&cfg, 0, sizeof(cfg));
		cfg.loss = p;
		c = run(&cfg, 100 + k, N, 100, RDT_US, &st);
		seen = tally(&c, N);
		lost = 0;
		for (i = 0; i < N; i++) {
			assert_true(seen[i] <= 1);
			lost += !seen[i];
		}
		assert_int_equal(st.sent, N);
		assert_int_equal(st.lost_random, lost);
		assert_int_equal(st.lost_burst + st.lost_blackout +
				 st.dropped_queue, 0);
		/* Binomial: mean Np, standard error sqrt(Np(1-p)). */
		assert_near(lost, N * p, sqrt(N * p * (1 - p)), 5);
		free(seen);
		free(c.rx);
	}
}

/*
 * Gilbert-Elliott.  The chain spends the fractions
 *   pi_bad = p / (p + r)   and   pi_good = r / (p + r)
 * of the datagrams in each state, so the stationary loss rate is
 *   L = pi_good * loss_good + pi_bad * loss_bad.
 * Losses are correlated: two datagrams k apart are in the same state more
 * often than chance, their covariance being
 *   (loss_bad - loss_good)^2 * pi_good * pi_bad * lambda^k,
 * with lambda = 1 - p - r.  Summing over k, the variance of the measured
 * rate over n datagrams is about
 *   (L (1 - L) + 2 (loss_bad - loss_good)^2 pi_good pi_bad
 *    lambda / (1 - lambda)) / n.
 */
static double ge_rate(const struct sim_link_cfg *cfg, double *se, size_t n)
{
	double p = cfg->ge_p, r = cfg->ge_r;
	double pb = p / (p + r), pg = r / (p + r);
	double h = cfg->ge_loss_bad - cfg->ge_loss_good;
	double lam = 1 - p - r;
	double l = pg * cfg->ge_loss_good + pb * cfg->ge_loss_bad;

	*se = sqrt((l * (1 - l) + 2 * h * h * pg * pb * lam / (1 - lam)) / n);
	return l;
}

static void test_link_burst_loss_rate(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	double se, want;

	(void)state;
	cfg.ge_p = 0.02;
	cfg.ge_r = 0.2;
	cfg.ge_loss_good = 0.01;
	cfg.ge_loss_bad = 0.7;
	c = run(&cfg, 7, N, 100, RDT_US, &st);
	want = ge_rate(&cfg, &se, N);
	assert_int_equal(st.lost_burst, N - c.n);
	assert_int_equal(st.lost_random, 0);
	assert_near((double)(N - c.n) / N, want, se, 5);
	free(c.rx);
}

/*
 * With loss_bad 1 and loss_good 0 every BAD datagram is lost and only
 * those, so a run of consecutive losses is a stay in BAD: geometric with
 * mean 1/r and variance (1 - r)/r^2.  About n * pi_good * p runs begin.
 */
static void test_link_burst_length(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	unsigned char *seen;
	size_t i, bursts = 0, lost = 0;
	double r, se, want, mean, nb;

	(void)state;
	cfg.ge_p = 0.02;
	cfg.ge_r = r = 0.25;
	cfg.ge_loss_good = 0;
	cfg.ge_loss_bad = 1;
	c = run(&cfg, 11, N, 100, RDT_US, &st);
	seen = tally(&c, N);
	for (i = 0; i < N; i++) {
		if (seen[i])
			continue;
		lost++;
		if (i == 0 || seen[i - 1])
			bursts++;
	}
	want = ge_rate(&cfg, &se, N);
	assert_near((double)lost / N, want, se, 5);

	nb = N * (r / (cfg.ge_p + r)) * cfg.ge_p;
	assert_near(bursts, nb, sqrt(nb), 5);
	mean = (double)lost / bursts;
	assert_near(mean, 1 / r, sqrt((1 - r) / (r * r) / bursts), 5);
	free(seen);
	free(c.rx);
}

static void test_link_duplication(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	unsigned char *seen;
	size_t i, twice = 0;
	double p = 0.05;

	(void)state;
	cfg.dup = p;
	cfg.delay = 5 * RDT_MS;
	cfg.jitter = 1 * RDT_MS;
	c = run(&cfg, 3, N, 200, RDT_US, &st);
	seen = tally(&c, N);
	for (i = 0; i < N; i++) {
		assert_in_range(seen[i], 1, 2);
		twice += seen[i] == 2;
	}
	assert_int_equal(st.duplicated, twice);
	assert_int_equal(c.n, N + twice);
	assert_near(twice, N * p, sqrt(N * p * (1 - p)), 5);
	for (i = 0; i < c.n; i++)
		assert_int_equal(c.rx[i].len, 200);
	free(seen);
	free(c.rx);
}

/* Counts the bytes of |r| that differ from datagram |seq| as sent. */
static size_t ndiff(const struct rx *r, uint64_t seq)
{
	size_t i, d = 0;

	for (i = 0; i < r->len && i < sizeof(r->data); i++)
		d += r->data[i] != pattern(seq, i);
	return d;
}

/*
 * No delay variation and one datagram per microsecond: the i-th datagram
 * out is the i-th sent even when its sequence bytes are hit.
 */
static void test_link_corruption_rate(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	size_t i, bad = 0, d;
	double p = 0.1;

	(void)state;
	cfg.corrupt = p;
	cfg.delay = RDT_MS;
	c = run(&cfg, 5, N, 32, RDT_US, &st);
	assert_int_equal(c.n, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(c.rx[i].at, i * RDT_US + RDT_MS);
		d = ndiff(&c.rx[i], i);
		assert_true(d <= 4);
		bad += d > 0;
	}
	assert_int_equal(st.corrupted, bad);
	assert_near(bad, N * p, sqrt(N * p * (1 - p)), 5);
	free(c.rx);
}

/*
 * Every datagram corrupted: each differs from the original in 1 to 4
 * bytes, each count about equally often; tiny datagrams still differ.
 */
static void test_link_corruption_differs(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	size_t i, len, hist[5] = { 0 };
	double q = 0.25;

	(void)state;
	cfg.corrupt = 1;
	c = run(&cfg, 9, N, 48, RDT_US, &st);
	assert_int_equal(c.n, N);
	for (i = 0; i < N; i++)
		hist[ndiff(&c.rx[i], i)]++;
	assert_int_equal(hist[0], 0);
	for (i = 1; i <= 4; i++)
		assert_near(hist[i], N * q, sqrt(N * q * (1 - q)), 5);
	free(c.rx);

	for (len = 1; len <= 5; len++) {
		struct sim_link *l = mk(&cfg, len);
		uint8_t in[8], out[8];

		for (i = 0; i < 1000; i++) {
			memset(in, (int)i, sizeof(in));
			sim_link_send(l, in, len, 0);
			assert_int_equal(sim_link_recv(l, out, sizeof(out),
						       0), len);
			assert_memory_not_equal(in, out, len);
		}
		sim_link_del(l);
	}
}

/*
 * Jitter uniform on [-J, J]: mean latency `delay`, variance J^2 / 3.  The
 * sample mean has standard error J / sqrt(3n); the sample variance has
 * standard error sqrt((E[x^4] - (J^2/3)^2) / n) = sqrt(4/45) J^2 / sqrt(n).
 */
static void test_link_delay_jitter(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	double sum = 0, sq = 0, x, mean, var, j;
	rdt_tstamp lat, lo = RDT_TSTAMP_NEVER, hi = 0;
	size_t i;

	(void)state;
	cfg.delay = 50 * RDT_MS;
	cfg.jitter = 10 * RDT_MS;
	j = (double)cfg.jitter;
	c = run(&cfg, 13, N, 64, 100 * RDT_US, &st);
	assert_int_equal(c.n, N);
	for (i = 0; i < N; i++) {
		lat = c.rx[i].at - c.rx[i].seq * 100 * RDT_US;
		lo = lat < lo ? lat : lo;
		hi = lat > hi ? lat : hi;
		x = (double)lat - (double)cfg.delay;
		sum += x;
		sq += x * x;
	}
	mean = sum / N;
	var = sq / N - mean * mean;
	assert_near(mean, 0, j / sqrt(3.0 * N), 5);
	assert_near(var, j * j / 3, sqrt(4.0 / 45) * j * j / sqrt(N), 5);
	assert_true(lo >= cfg.delay - cfg.jitter);
	assert_true(hi <= cfg.delay + cfg.jitter);
	/* The extremes are reached, to within a 1000th of the range. */
	assert_true(lo < cfg.delay - cfg.jitter + cfg.jitter / 1000);
	assert_true(hi > cfg.delay + cfg.jitter - cfg.jitter / 1000);
	free(c.rx);

	/* Jitter larger than the delay clamps at zero latency. */
	cfg.delay = RDT_MS;
	cfg.jitter = 4 * RDT_MS;
	c = run(&cfg, 14, 1000, 64, RDT_MS, &st);
	lo = RDT_TSTAMP_NEVER;
	for (i = 0; i < c.n; i++) {
		assert_true(c.rx[i].at >= c.rx[i].seq * RDT_MS);
		lat = c.rx[i].at - c.rx[i].seq * RDT_MS;
		lo = lat < lo ? lat : lo;
		assert_true(lat <= cfg.delay + cfg.jitter);
	}
	assert_int_equal(lo, 0);
	free(c.rx);

	/* No jitter: every datagram takes exactly the delay. */
	cfg.jitter = 0;
	c = run(&cfg, 15, 1000, 64, 3 * RDT_US, &st);
	for (i = 0; i < c.n; i++)
		assert_int_equal(c.rx[i].at, i * 3 * RDT_US + cfg.delay);
	free(c.rx);
}

/*
 * netem_jitter: the delay is drawn (normal, sd = jitter, cut at 4 sd)
 * before the rate limit, and nothing overtakes.  Sparse datagrams (the
 * link idle between them) show the distribution itself: mean delay +
 * transmission, sd the jitter, within [delay - 4J, delay + 4J] + tx.
 * Dense ones come out in sending order, back to back or later, and
 * their mean latency rises above the sparse mean: a slow draw holds up
 * those behind it.
 */
static void test_link_netem_jitter(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	rdt_tstamp tx = 1000 * 8 * RDT_S / 10000000, lat, gap;
	double sum = 0, sq = 0, x, mean, sparse_mean, j;
	size_t i;

	(void)state;
	cfg.delay = 20 * RDT_MS;
	cfg.jitter = 5 * RDT_MS;
	cfg.rate_bps = 10000000;
	cfg.queue_bytes = 1000000;
	cfg.netem_jitter = 1;
	j = (double)cfg.jitter;
	/* 100 ms apart: never queued behind one another. */
	gap = 100 * RDT_MS;
	c = run(&cfg, 21, 20000, 1000, gap, &st);
	assert_int_equal(c.n, 20000);
	for (i = 0; i < c.n; i++) {
		assert_int_equal(c.rx[i].seq, i);
		lat = c.rx[i].at - i * gap;
		assert_true(lat >= tx);
		assert_true(lat <= cfg.delay + 4 * cfg.jitter + tx);
		x = (double)lat - (double)(cfg.delay + tx);
		sum += x;
		sq += x * x;
	}
	mean = sum / (double)c.n;
	assert_near(mean, 0, j / sqrt((double)c.n), 5);
	/* The sum of twelve uniforms has sd 1; the sample sd within 5%. */
	assert_near(sqrt(sq / (double)c.n - mean * mean), j, j / 20, 1);
	sparse_mean = mean;
	free(c.rx);

	/* 0.5 ms apart, below the 0.8 ms transmission: FIFO, and slower. */
	gap = 500 * RDT_US;
	c = run(&cfg, 22, 2000, 1000, gap, &st);
	assert_int_equal(c.n, 2000);
	sum = 0;
	for (i = 0; i < c.n; i++) {
		assert_int_equal(c.rx[i].seq, i);
		if (i > 0)
			assert_true(c.rx[i].at >= c.rx[i - 1].at + tx);
		sum += (double)(c.rx[i].at - i * gap) -
		       (double)(cfg.delay + tx);
	}
	assert_true(sum / (double)c.n > sparse_mean + j);
	free(c.rx);
}

/*
 * Reordering with probability q and extra delay uniform on [0, X], one
 * datagram every s ns.  A datagram is "late" if one sent after it arrived
 * before it.  Only a reordered datagram whose extra exceeds s can be late
 * (its successor leaves s later; a tie goes to the earlier sender), and it
 * surely is when its successor is not reordered.  With P(extra > s) =
 * (X - s) / (X + 1), the late fraction lies in
 *   [q P(extra > s) (1 - q),  q P(extra > s)].
 */
static void test_link_reorder(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	rdt_tstamp s = RDT_MS, lat;
	uint64_t maxseq = 0;
	size_t i, late = 0, extra = 0;
	double q = 0.1, pe, lo, hi, xsum = 0, x;

	(void)state;
	cfg.delay = 10 * RDT_MS;
	cfg.reorder = q;
	cfg.reorder_extra = 20 * RDT_MS;
	c = run(&cfg, 17, N, 64, s, &st);
	assert_int_equal(c.n, N);
	for (i = 0; i < N; i++) {
		lat = c.rx[i].at - c.rx[i].seq * s;
		assert_true(lat >= cfg.delay);
		assert_true(lat <= cfg.delay + cfg.reorder_extra);
		extra += lat > cfg.delay;
		xsum += (double)(lat - cfg.delay);
		if (i && c.rx[i].seq < maxseq)
			late++;
		if (c.rx[i].seq > maxseq)
			maxseq = c.rx[i].seq;
	}
	assert_near(st.reordered, N * q, sqrt(N * q * (1 - q)), 5);
	/* An extra of exactly 0 is possible but rare: 1 in X + 1. */
	assert_true(extra <= st.reordered);
	assert_true(extra + 10 >= st.reordered);
	assert_true(late <= st.reordered);
	/* The extra delay is uniform on [0, X]: mean X/2, sd X/sqrt(12). */
	x = (double)cfg.reorder_extra;
	assert_near(xsum / st.reordered, x / 2,
		    x / sqrt(12.0 * st.reordered), 5);

	pe = (double)(cfg.reorder_extra - s) / (cfg.reorder_extra + 1);
	lo = q * pe * (1 - q);
	hi = q * pe;
	assert_true(late >= N * lo - 5 * sqrt(N * lo * (1 - lo)));
	assert_true(late <= N * hi + 5 * sqrt(N * hi * (1 - hi)));
	free(c.rx);
}

/*
 * Offered load twice the rate, for 1 s of virtual time: the link is busy
 * throughout, so what arrives within that second is rate_bps worth of
 * bits, give or take the datagram in transmission.
 */
static void test_link_rate(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	size_t len = 1400, i, a, occ, peak = 0;
	double tx, bits = 0;
	rdt_tstamp gap, maxlat = 0;
	uint64_t rate = 7777777;
	size_t n;

	(void)state;
	cfg.rate_bps = rate;
	cfg.queue_bytes = 20 * len + 700;
	tx = len * 8 * 1e9 / rate;
	gap = (rdt_tstamp)(tx / 2);
	n = (size_t)(RDT_S / gap);
	c = run(&cfg, 19, n, len, gap, &st);

	for (i = 0; i < c.n; i++) {
		if (c.rx[i].at <= RDT_S)
			bits += c.rx[i].len * 8.0;
		if (c.rx[i].at - c.rx[i].seq * gap > maxlat)
			maxlat = c.rx[i].at - c.rx[i].seq * gap;
		/* FIFO: arrivals in sending order. */
		if (i)
			assert_true(c.rx[i].seq > c.rx[i - 1].seq);
	}
	assert_near(bits, (double)rate, rate * 0.01, 1);
	/*
	 * The link never idles, so the k-th datagram out leaves exactly
	 * when k datagrams' worth of bits have been sent at rate_bps,
	 * rounded down: rounding must not accumulate.
	 */
	for (i = 0; i < c.n; i++)
		assert_int_equal(c.rx[i].at,
				 (i + 1) * len * 8 * RDT_S / rate);
	assert_true(st.dropped_queue > 0);
	assert_int_equal(st.dropped_queue + c.n, n);
	/*
	 * Accepted: what the link sent while we offered (n gap / tx) plus
	 * what the queue held at the end (about queue_bytes / len).
	 */
	assert_near(st.dropped_queue,
		    n - (n * gap / tx + (double)cfg.queue_bytes / len), 3, 1);

	/*
	 * Rebuild the occupancy independently: with no delay, arrival is
	 * departure, so just after datagram i is accepted the queue holds
	 * the accepted datagrams up to i that have not arrived by its
	 * sending time.
	 */
	for (i = 0, a = 0, occ = 0; i < c.n; i++) {
		occ += c.rx[i].len;
		while (c.rx[a].at <= c.rx[i].seq * gap) {
			occ -= c.rx[a].len;
			a++;
		}
		assert_true(occ <= cfg.queue_bytes);
		peak = occ > peak ? occ : peak;
	}
	assert_int_equal(st.queue_peak_bytes, peak);
	assert_true(peak > cfg.queue_bytes - len);
	/* The sojourn is bounded by draining a full queue. */
	assert_true(maxlat <= cfg.queue_bytes * 8 * RDT_S / rate + 1);
	free(c.rx);
}

/* Rate 0 is infinitely fast: a burst arrives all at once, in order. */
static void test_link_no_rate_no_queue(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct capture c = { 0 };
	struct sim_link *l;
	size_t i;

	(void)state;
	cfg.delay = 3 * RDT_MS;
	cfg.queue_bytes = 1;	/* ignored without a rate */
	l = mk(&cfg, 1);
	for (i = 0; i < 1000; i++)
		send_seq(l, i, 1400, 10 * RDT_MS);
	drain(l, &c, RDT_TSTAMP_NEVER);
	assert_int_equal(c.n, 1000);
	for (i = 0; i < c.n; i++) {
		assert_int_equal(c.rx[i].seq, i);
		assert_int_equal(c.rx[i].at, 13 * RDT_MS);
	}
	assert_int_equal(sim_link_stats(l)->queue_peak_bytes, 0);
	assert_int_equal(sim_link_stats(l)->dropped_queue, 0);
	sim_link_del(l);
	free(c.rx);
}

/*
 * queue_bytes smaller than a datagram (0 here): an idle link still takes
 * one, anything arriving while it transmits is dropped.
 */
static void test_link_queue_zero(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct capture c = { 0 };
	struct sim_link *l;

	(void)state;
	cfg.rate_bps = 8000000;	/* 1000 bytes take 1 ms */
	cfg.queue_bytes = 0;
	l = mk(&cfg, 1);
	send_seq(l, 0, 1000, 0);
	send_seq(l, 1, 1000, 0);		/* busy: dropped */
	send_seq(l, 2, 1000, RDT_MS - 1);	/* still busy: dropped */
	send_seq(l, 3, 1000, RDT_MS);		/* idle again */
	drain(l, &c, RDT_TSTAMP_NEVER);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.rx[0].seq, 0);
	assert_int_equal(c.rx[0].at, RDT_MS);
	assert_int_equal(c.rx[1].seq, 3);
	assert_int_equal(c.rx[1].at, 2 * RDT_MS);
	assert_int_equal(sim_link_stats(l)->dropped_queue, 2);
	assert_int_equal(sim_link_stats(l)->queue_peak_bytes, 1000);
	sim_link_del(l);
	free(c.rx);
}

static int blacked(const struct sim_link_cfg *cfg, rdt_tstamp t)
{
	unsigned i;

	for (i = 0; i < cfg->nblackouts; i++)
		if (cfg->blackout[i].start <= t && t < cfg->blackout[i].end)
			return 1;
	return 0;
}

/*
 * Windows whose edges fall on sending times: the start is inside, the end
 * outside.  A datagram sent just before a window still arrives during it.
 */
static void test_link_blackout(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	unsigned char *seen;
	rdt_tstamp gap = 250 * RDT_US;
	size_t i, n = 4000, want = 0;

	(void)state;
	cfg.delay = 30 * RDT_MS;
	cfg.nblackouts = 3;
	cfg.blackout[0].start = 100 * RDT_MS;
	cfg.blackout[0].end = 200 * RDT_MS;
	cfg.blackout[1].start = 500 * RDT_MS;
	cfg.blackout[1].end = 500 * RDT_MS + 1;
	cfg.blackout[2].start = 700 * RDT_MS + 1;
	cfg.blackout[2].end = 700 * RDT_MS + 2;	/* between sends */
	c = run(&cfg, 23, n, 100, gap, &st);
	seen = tally(&c, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(seen[i], !blacked(&cfg, i * gap));
		want += blacked(&cfg, i * gap);
	}
	assert_int_equal(want, 400 + 1);
	assert_int_equal(st.lost_blackout, want);
	assert_false(seen[100 * RDT_MS / gap]);
	assert_true(seen[100 * RDT_MS / gap - 1]);
	assert_true(seen[200 * RDT_MS / gap]);
	assert_false(seen[500 * RDT_MS / gap]);
	free(seen);
	free(c.rx);
}

/*
 * Arrival times never go backwards, and datagrams that arrive at the same
 * instant come out in sending order (a duplicate right after its
 * original).  Tiny delay and jitter make ties common.
 */
static void test_link_order(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats st;
	struct capture c;
	size_t i, ties = 0;

	(void)state;
	cfg.delay = 3;
	cfg.jitter = 2;
	cfg.reorder = 0.2;
	cfg.reorder_extra = 5;
	cfg.dup = 0.1;
	c = run(&cfg, 29, N, 16, 1, &st);
	for (i = 1; i < c.n; i++) {
		assert_true(c.rx[i].at >= c.rx[i - 1].at);
		if (c.rx[i].at == c.rx[i - 1].at) {
			ties++;
			assert_true(c.rx[i].seq >= c.rx[i - 1].seq);
		}
	}
	assert_true(ties > N / 10);
	free(c.rx);
}

/*
 * Each impairment draws from its own stream, and loss is decided for every
 * datagram offered.  So adding random loss on top of Gilbert-Elliott only
 * removes datagrams (the chain still sees every one), and jitter,
 * duplication, corruption and a blackout do not change which datagrams
 * outside the blackout the loss steps pick.
 */
static void test_link_streams_independent(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link_stats sa, sb;
	struct capture a, b;
	unsigned char *ta, *tb;
	size_t i, extra = 0, na = 0;
	rdt_tstamp gap = RDT_US;
	double q = 0.2;

	(void)state;
	cfg.ge_p = 0.05;
	cfg.ge_r = 0.3;
	cfg.ge_loss_bad = 0.9;
	a = run(&cfg, 31, N, 64, gap, &sa);
	cfg.loss = q;
	cfg.jitter = 50 * RDT_US;
	cfg.delay = 100 * RDT_US;
	cfg.dup = 0.1;
	cfg.reorder = 0.1;
	cfg.reorder_extra = RDT_MS;
	cfg.nblackouts = 1;
	cfg.blackout[0].start = 20 * RDT_MS;
	cfg.blackout[0].end = 30 * RDT_MS;
	b = run(&cfg, 31, N, 64, gap, &sb);
	ta = tally(&a, N);
	tb = tally(&b, N);
	for (i = 0; i < N; i++) {
		if (i * gap >= cfg.blackout[0].start &&
		    i * gap < cfg.blackout[0].end) {
			assert_false(tb[i]);
			continue;
		}
		if (tb[i])
			assert_true(ta[i]);
		na += ta[i] != 0;
		extra += ta[i] && !tb[i];
	}
	/* What random loss took from the survivors: binomial in q. */
	assert_near(extra, na * q, sqrt(na * q * (1 - q)), 5);
	free(ta);
	free(tb);
	free(a.rx);
	free(b.rx);
}

/* Everything on, datagrams of varied sizes, sends and recvs interleaved. */
static void det_run(uint64_t seed, struct capture *c,
		    struct sim_link_stats *st)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link *l;
	rdt_tstamp t = 0;
	size_t i;

	cfg.delay = 20 * RDT_MS;
	cfg.jitter = 2 * RDT_MS;
	cfg.loss = 0.02;
	cfg.ge_p = 0.01;
	cfg.ge_r = 0.3;
	cfg.ge_loss_bad = 0.5;
	cfg.reorder = 0.05;
	cfg.reorder_extra = 10 * RDT_MS;
	cfg.dup = 0.03;
	cfg.corrupt = 0.03;
	cfg.rate_bps = 50000000;
	cfg.queue_bytes = 64000;
	cfg.nblackouts = 1;
	cfg.blackout[0].start = 300 * RDT_MS;
	cfg.blackout[0].end = 350 * RDT_MS;
	memset(c, 0, sizeof(*c));
	l = mk(&cfg, seed);
	for (i = 0; i < 20000; i++) {
		t += (i * 7919) % 200 * RDT_US;
		send_seq(l, i, 40 + (i * 31) % 3000, t);
		if (i % 3 == 0)
			drain(l, c, t);
	}
	drain(l, c, RDT_TSTAMP_NEVER);
	*st = *sim_link_stats(l);
	sim_link_del(l);
}

static void test_link_determinism(void **state)
{
	struct capture a, b, d;
	struct sim_link_stats sa, sb, sd;
	size_t i;
	int same;

	(void)state;
	det_run(42, &a, &sa);
	det_run(42, &b, &sb);
	det_run(43, &d, &sd);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	for (i = 0; i < a.n; i++) {
		assert_int_equal(a.rx[i].at, b.rx[i].at);
		assert_int_equal(a.rx[i].len, b.rx[i].len);
		assert_memory_equal(a.rx[i].data, b.rx[i].data,
				    a.rx[i].len < sizeof(a.rx[i].data) ?
				    a.rx[i].len : sizeof(a.rx[i].data));
	}
	/* Every impairment actually happened. */
	assert_true(sa.lost_random && sa.lost_burst && sa.lost_blackout &&
		    sa.dropped_queue && sa.duplicated && sa.corrupted &&
		    sa.reordered);

	same = a.n == d.n;
	for (i = 0; same && i < a.n; i++)
		same = a.rx[i].at == d.rx[i].at &&
		       a.rx[i].seq == d.rx[i].seq;
	assert_false(same);
	free(a.rx);
	free(b.rx);
	free(d.rx);
}

static void test_link_next_arrival(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link *l;
	uint8_t buf[16];

	(void)state;
	cfg.delay = 100;
	l = mk(&cfg, 1);
	assert_int_equal(sim_link_next_arrival(l), RDT_TSTAMP_NEVER);
	assert_int_equal(sim_link_recv(l, buf, sizeof(buf), 1000), 0);
	send_seq(l, 0, 10, 5);
	assert_int_equal(sim_link_next_arrival(l), 105);
	send_seq(l, 1, 10, 6);
	assert_int_equal(sim_link_next_arrival(l), 105);
	assert_int_equal(sim_link_recv(l, buf, sizeof(buf), 104), 0);
	assert_int_equal(sim_link_recv(l, buf, sizeof(buf), 105), 10);
	assert_int_equal(pkt_seq(buf), 0);
	assert_int_equal(sim_link_next_arrival(l), 106);
	assert_int_equal(sim_link_recv(l, buf, sizeof(buf), 105), 0);
	assert_int_equal(sim_link_recv(l, buf, sizeof(buf), 500), 10);
	assert_int_equal(pkt_seq(buf), 1);
	assert_int_equal(sim_link_next_arrival(l), RDT_TSTAMP_NEVER);
	assert_int_equal(sim_link_stats(l)->delivered, 2);
	assert_int_equal(sim_link_stats(l)->bytes_delivered, 20);
	sim_link_del(l);
}

/* Truncation to |cap| returns the full length; sizes around the slots. */
static void test_link_truncate(void **state)
{
	static const size_t lens[] = { 1, 100, 2047, 2048, 2049, 3000, 65535 };
	struct sim_link_cfg cfg = { 0 };
	struct sim_link *l;
	uint8_t *in, *out;
	size_t i, cap;

	(void)state;
	in = malloc(65535);
	out = malloc(65535 + 16);
	assert_non_null(in);
	assert_non_null(out);
	l = mk(&cfg, 1);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		make_pkt(in, i, lens[i]);
		sim_link_send(l, in, lens[i], 0);
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		cap = lens[i] > 50 ? lens[i] / 2 : lens[i];
		memset(out, 0xa5, 65535 + 16);
		assert_int_equal(sim_link_recv(l, out, cap, 0), lens[i]);
		make_pkt(in, i, lens[i]);
		assert_memory_equal(out, in, cap);
		assert_int_equal(out[cap], 0xa5);
	}
	/* cap 0 consumes the datagram and reports its length. */
	sim_link_send(l, in, 3000, 0);
	assert_int_equal(sim_link_recv(l, NULL, 0, 0), 3000);
	assert_int_equal(sim_link_stats(l)->bytes_delivered,
			 1 + 100 + 2047 + 2048 + 2049 + 3000 + 65535 + 3000);
	/* Datagrams left in flight are freed by sim_link_del. */
	sim_link_send(l, in, 100, 0);
	sim_link_send(l, in, 5000, 0);
	sim_link_del(l);
	free(in);
	free(out);
}

static void test_link_bad_config(void **state)
{
	struct sim_link_cfg cfg = { 0 };
	struct sim_link *l = NULL;

	(void)state;
	cfg.loss = 1.5;
	errno = 0;
	assert_int_equal(sim_link_new(&l, &cfg, 1), -1);
	assert_int_equal(errno, EINVAL);
	cfg.loss = NAN;
	assert_int_equal(sim_link_new(&l, &cfg, 1), -1);
	cfg.loss = 0;
	cfg.nblackouts = SIM_LINK_MAX_BLACKOUTS + 1;
	assert_int_equal(sim_link_new(&l, &cfg, 1), -1);
	assert_null(l);
	sim_link_del(NULL);

	/* Empty datagrams are ignored (recv could not report them). */
	cfg.nblackouts = 0;
	l = mk(&cfg, 1);
	sim_link_send(l, (const uint8_t *)"", 0, 0);
	assert_int_equal(sim_link_stats(l)->sent, 0);
	assert_int_equal(sim_link_next_arrival(l), RDT_TSTAMP_NEVER);
	sim_link_del(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_random_loss),
		cmocka_unit_test(test_link_burst_loss_rate),
		cmocka_unit_test(test_link_burst_length),
		cmocka_unit_test(test_link_duplication),
		cmocka_unit_test(test_link_corruption_rate),
		cmocka_unit_test(test_link_corruption_differs),
		cmocka_unit_test(test_link_delay_jitter),
		cmocka_unit_test(test_link_netem_jitter),
		cmocka_unit_test(test_link_reorder),
		cmocka_unit_test(test_link_rate),
		cmocka_unit_test(test_link_no_rate_no_queue),
		cmocka_unit_test(test_link_queue_zero),
		cmocka_unit_test(test_link_blackout),
		cmocka_unit_test(test_link_order),
		cmocka_unit_test(test_link_streams_independent),
		cmocka_unit_test(test_link_determinism),
		cmocka_unit_test(test_link_next_arrival),
		cmocka_unit_test(test_link_truncate),
		cmocka_unit_test(test_link_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
