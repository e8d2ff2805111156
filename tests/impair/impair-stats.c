/*
 * impair-stats.c: the acceptance test of rdt-impair.  "Its statistics
 * match its configuration within sampling error over 100,000 datagrams
 * (loss, dup, corrupt rates; delay distribution mean and spread; rate
 * within 5%)."
 *
 * Three runs of a real relay on loopback, each fed N numbered,
 * timestamped, CRC32C-protected datagrams (N = 100,000; 20,000 with
 * RDT_TEST_QUICK=1) and drained by a sink in this process:
 *   1. delay 20ms 4ms distribution normal, loss 2%: the sink's missing
 *      datagrams against loss, and the measured one-way delays' mean and
 *      standard deviation against the normal distribution's (with a
 *      reference relay measuring the machine's own latency, see
 *      phase_loss_delay);
 *   2. duplicate 3%, corrupt 1%: extra copies against duplicate and
 *      CRC32C failures against corrupt (corruption happens after the
 *      kernel's UDP checksum, so the sink sees it);
 *   3. rate 200mbit: 1000-byte datagrams offered at 1.25 times the rate
 *      into a 2000-datagram queue; the sink's goodput within 5%.
 * Rates are held to five binomial standard errors: |k - n p| <= 5
 * sqrt(n p (1 - p)).  The sink's counts must also agree exactly with the
 * relay's own counters (--stats), and nothing may be lost on loopback
 * beyond what the relay dropped.
 *
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"

#define NAME "impair-stats"
#define MS 1e6
/* Allowance for latency beyond what is measured; ns. */
#define SCHED_SLACK (0.5 * MS)

struct sink {
	uint64_t n;		/* datagrams sent */
	uint8_t *copies;	/* intact copies per sequence number */
	uint64_t received;	/* every datagram, intact or not */
	uint64_t corrupted;
	uint64_t first, last;	/* arrival times */
	uint64_t *arrivals;	/* arrival time of each datagram, or NULL */
	/* Delays of intact copies, ns, by path: [0] the relay under test
	 * (even sequence numbers), [1] the reference relay (odd ones). */
	uint64_t count[2];
	double sum[2], sum2[2];
};

static void on_recv(void *ctx, const uint8_t *buf, size_t len, uint64_t now)
{
	struct sink *s = ctx;
	uint64_t seq, sent;
	double d;

	if (s->received == 0)
		s->first = now;
	if (s->arrivals && s->received < s->n)
		s->arrivals[s->received] = now;
	s->received++;
	s->last = now;
	if (e2e_dgram_check(buf, len, &seq, &sent) < 0 || seq >= s->n) {
		s->corrupted++;
		return;
	}
	if (s->copies[seq] < 255)
		s->copies[seq]++;
	d = (double)(now - sent);
	s->count[seq & 1]++;
	s->sum[seq & 1] += d;
	s->sum2[seq & 1] += d * d;
}

static int check_binomial(const char *what, uint64_t k, uint64_t n, double p)
{
	double mean = (double)n * p, band = 5 * sqrt((double)n * p * (1 - p));
	int ok = fabs((double)k - mean) <= band;

	printf("%s %s: %llu of %llu = %.4f%%, configured %.4f%% "
	       "(allowed %.0f +- %.0f)\n", ok ? "ok  " : "FAIL", what,
	       (unsigned long long)k, (unsigned long long)n,
	       100.0 * (double)k / (double)n, 100 * p, mean, band);
	return ok;
}

/* |value| within [expect - below, expect + above]; says so either way. */
static int check_range(const char *what, double value, double expect,
		       double below, double above)
{
	int ok = value >= expect - below && value <= expect + above;

	printf("%s %s %.3f ms, configured %.3f ms (allowed -%.3f +%.3f)\n",
	       ok ? "ok  " : "FAIL", what, value / MS, expect / MS,
	       below / MS, above / MS);
	return ok;
}

struct relay_run {
	pid_t pid;
	const char *stats_path;
	struct sockaddr_storage addr;
	socklen_t len;
};

static void relay_start(struct relay_run *r, const char *params,
			const struct sockaddr_storage *sink, const char *what)
{
	const char *args[] = {
		"--forward", e2e_addr_str(sink, 0), "--seed", "7",
		"--stats", NULL, "--a2b", params, NULL
	};

	r->stats_path = e2e_temp_path(what);
	args[5] = r->stats_path;
	r->pid = e2e_relay_start("127.0.0.1", args, &r->addr, &r->len, NULL);
}

static void relay_finish(struct relay_run *r, const char *params,
			 char *stats, size_t cap)
{
	int rc = e2e_relay_stop(r->pid);

	if (rc != 0)
		e2e_fail("relay exited %d", rc);
	e2e_read_file(r->stats_path, stats, cap);
	printf("relay --a2b '%s': %s", params, stats);
}

/*
 * Runs |n| datagrams through a relay with |params| on a2b; with |ref|,
 * as many again, interleaved, through a second relay with |ref| (the
 * relay under test gets the even sequence numbers).
 */
static void run(const char *params, const char *ref, size_t size,
		double pps, uint64_t n, struct sink *s, char *stats,
		char *ref_stats, size_t cap)
{
	struct sockaddr_storage sink_addr, src_addr;
	socklen_t sink_len, src_len;
	int rx = e2e_udp("127.0.0.1", &sink_addr, &sink_len);
	int tx = e2e_udp("127.0.0.1", &src_addr, &src_len);
	struct relay_run r, rr;
	struct e2e_traffic t;
	uint64_t total = ref ? 2 * n : n;
	uint64_t *arrivals = s->arrivals;

	memset(s, 0, sizeof(*s));
	s->arrivals = arrivals;
	s->n = total;
	s->copies = calloc(total, 1);
	if (!s->copies)
		e2e_fail("out of memory");
	relay_start(&r, params, &sink_addr, "stats.json");
	if (ref)
		relay_start(&rr, ref, &sink_addr, "ref-stats.json");
	memset(&t, 0, sizeof(t));
	t.tx = tx;
	t.dst = &r.addr;
	t.dstlen = r.len;
	if (ref) {
		t.dst2 = &rr.addr;
		t.dst2len = rr.len;
	}
	t.rx = rx;
	t.size = size;
	t.count = total;
	t.pps = ref ? 2 * pps : pps;
	t.quiet_ms = 500;
	t.max_s = 120;
	t.on_recv = on_recv;
	t.ctx = s;
	e2e_traffic_run(&t);
	relay_finish(&r, params, stats, cap);
	if (ref)
		relay_finish(&rr, ref, ref_stats, cap);
	close(rx);
	close(tx);
}

/* The relay received all |sent| and the sink got |got|, which is what
 * the relay says it delivered. */
static int check_delivery(const char *stats, uint64_t sent, uint64_t got)
{
	uint64_t delivered = e2e_stat(stats, "a2b", "delivered");
	uint64_t received = e2e_stat(stats, "a2b", "received");
	int ok = got == delivered && received == sent;

	printf("%s relay received %llu of %llu sent, delivered %llu, sink "
	       "got %llu\n", ok ? "ok  " : "FAIL",
	       (unsigned long long)received, (unsigned long long)sent,
	       (unsigned long long)delivered, (unsigned long long)got);
	if (received < sent || got < delivered)
		printf("     the kernel dropped datagrams a socket had no room "
		       "for: run as root (bigger buffers), raise "
		       "net.core.rmem_max, or try on a less loaded "
		       "machine\n");
	return ok;
}

/*
 * Loss and delay.  Measured delays include latency the configuration
 * does not ask for, which on a loaded machine reaches milliseconds: the
 * relay's own wakeups (it reports their mean lateness, late_mean_us) and
 * the sockets' and this process's (a reference relay with no impairment
 * carries as many datagrams, interleaved, and measures them).  Latency
 * only adds: the mean and spread may exceed the configured ones by
 * SCHED_SLACK plus twice those latencies, and must never fall short of
 * them by more than five standard errors.
 */
static int phase_loss_delay(uint64_t n)
{
	const double delay = 20 * MS, jitter = 4 * MS;
	/* The normal table is cut at 4 jitters: sd 0.99893 jitters. */
	const double sd = jitter * 0.99893;
	struct sink s = { 0 };
	char stats[4096], ref_stats[4096];
	uint64_t i, missing = 0, got = 0, ref_got = 0;
	double m[2], v[2], se, late, slack;
	int ok = 1, k;

	run("delay 20ms 4ms distribution normal loss 2% limit 20000",
	    "limit 20000", 200, 25000, n, &s, stats, ref_stats,
	    sizeof(stats));
	for (i = 0; i < 2 * n; i += 2) {
		missing += s.copies[i] == 0;
		got += s.copies[i];
		ref_got += s.copies[i + 1];
	}
	ok &= s.corrupted == 0;
	ok &= check_delivery(stats, n, got);
	ok &= check_delivery(ref_stats, n, ref_got);
	ok &= check_binomial("loss", missing, n, 0.02);
	ok &= missing == e2e_stat(stats, "a2b", "dropped_loss");

	for (k = 0; k < 2; k++) {
		m[k] = s.sum[k] / (double)s.count[k];
		v[k] = s.sum2[k] / (double)s.count[k] - m[k] * m[k];
	}
	late = e2e_stat_f(stats, "relay", "late_mean_us") * 1e3;
	slack = SCHED_SLACK + 2 * late + 2 * m[1];
	printf("     latency now: relay departures %.3f ms late on average, "
	       "reference path %.3f ms (sd %.3f ms)\n", late / MS, m[1] / MS,
	       sqrt(v[1]) / MS);
	se = sd / sqrt((double)s.count[0]);
	ok &= check_range("delay mean", m[0], delay, 5 * se, 5 * se + slack);
	/* A sample sd's standard error is about sd / sqrt(2 n). */
	se = sd / sqrt(2.0 * (double)s.count[0]);
	ok &= check_range("delay sd", sqrt(v[0]), sd, 5 * se,
			  5 * se + slack);
	free(s.copies);
	return ok;
}

static int phase_dup_corrupt(uint64_t n)
{
	struct sink s = { 0 };
	char stats[4096];
	uint64_t extra;
	int ok = 1;

	run("duplicate 3% corrupt 1%", NULL, 200, 25000, n, &s, stats, NULL,
	    sizeof(stats));
	ok &= check_delivery(stats, n, s.received);
	/* No loss: every datagram arrives once, plus the copies. */
	extra = s.received - n;
	ok &= check_binomial("duplicate", extra, n, 0.03);
	ok &= extra == e2e_stat(stats, "a2b", "duplicated");
	ok &= check_binomial("corrupt", s.corrupted, s.received, 0.01);
	/* CRC32C catches every single-bit error: the sink sees exactly the
	 * datagrams the relay corrupted. */
	ok &= s.corrupted == e2e_stat(stats, "a2b", "corrupted");
	free(s.copies);
	return ok;
}

/*
 * The rate is measured between the arrivals of the datagrams at the
 * 10th and 90th percentiles of the sequence, not from the first to the
 * last: a relay that wakes late at the start (a loaded machine) sends
 * its backlog in a burst to keep its schedule, as netem does, and a
 * window that begins at that first late arrival saw the link run 20%
 * fast.  A relay that stalls in the middle of the run bursts after, and
 * a stall that straddles an end of the window shortens it by up to the
 * stall: with the window over half a second, a relay never late by more
 * than RATE_LATE_MAX (10 ms) errs by under 2%, well inside the 5%
 * allowed.  A run in which the relay was later than that is measured but
 * not judged, and tried again, up to RATE_TRIES runs.  If none was
 * punctual, the test says so and does not judge the rate (the other
 * checks stand).
 */
#define RATE_LATE_MAX_US 10000.0
#define RATE_TRIES 3

/* One run; returns 1 ok, 0 failed, -1 not judged (the relay was late). */
static int rate_run(uint64_t n)
{
	const double rate = 200e6, size = 1000;
	struct sink s;
	char stats[4096];
	double measured, seconds, late_max;
	uint64_t from, to;
	int ok;

	s.arrivals = calloc(n, sizeof(*s.arrivals));
	if (!s.arrivals)
		e2e_fail("out of memory");
	run("rate 200mbit limit 2000", NULL, (size_t)size,
	    1.25 * rate / 8 / size, n, &s, stats, NULL, sizeof(stats));
	if (s.received < 100)
		e2e_fail("only %llu datagrams arrived",
			 (unsigned long long)s.received);
	from = s.received / 10;
	to = s.received - s.received / 10;
	seconds = (double)(s.arrivals[to - 1] - s.arrivals[from]) * 1e-9;
	/* Every datagram after the one at |from|, up to the one at |to|,
	 * crossed the link in that time. */
	measured = (double)(to - 1 - from) * size * 8 / seconds;
	late_max = e2e_stat_f(stats, "relay", "late_max_us");
	ok = fabs(measured - rate) <= 0.05 * rate;
	printf("%s rate %.2f Mbit/s, configured %.2f Mbit/s (allowed +-5%%), "
	       "datagrams %llu to %llu of %llu in %.3f s (all in %.3f s); "
	       "the relay was late by %.3f ms at most\n",
	       late_max > RATE_LATE_MAX_US ? "late" : ok ? "ok  " : "FAIL",
	       measured / 1e6, rate / 1e6, (unsigned long long)from,
	       (unsigned long long)to, (unsigned long long)s.received,
	       seconds, (double)(s.last - s.first) * 1e-9, late_max / 1e3);
	ok &= check_delivery(stats, n, s.received);
	free(s.arrivals);
	free(s.copies);
	if (late_max > RATE_LATE_MAX_US)
		return -1;
	return ok;
}

static int phase_rate(uint64_t n)
{
	int i, rc;

	for (i = 0; i < RATE_TRIES; i++) {
		rc = rate_run(n);
		if (rc >= 0)
			return rc;
	}
	printf("note rate not judged: the relay was late by more than "
	       "%.1f ms in all %d runs (a loaded machine)\n",
	       RATE_LATE_MAX_US / 1e3, RATE_TRIES);
	return 1;
}

int main(void)
{
	uint64_t n = e2e_quick() ? 20000 : 100000;
	int ok = 1;

	e2e_init(NAME, 300);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ok &= phase_loss_delay(n);
	ok &= phase_dup_corrupt(n);
	ok &= phase_rate(n);
	if (!ok)
		e2e_fail("statistics do not match the configuration");
	printf("%s: PASS\n", NAME);
	return 0;
}
