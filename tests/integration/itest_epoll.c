/*
 * itest_epoll.c: a non-blocking client and server driven by one
 * edge-triggered epoll loop move 256 MiB each way byte-exact (quick:
 * 32 MiB); then the connection stays open and idle for 10 s (quick: 3 s)
 * and the process, the library's thread included, must use under 1% of
 * a CPU meanwhile, as /proc/self/stat and /proc/self/task count it.
 *
 * Edge-triggered means each event is acted on until the calls say EAGAIN
 * (itest_stream_io writes and reads until then), and the next progress
 * needs the next edge: a descriptor whose readiness the library fails to
 * raise again stalls the loop, which is reported as a missed edge.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "integration/itest.h"

#define FULL_BYTES (256ull << 20)
#define QUICK_BYTES (32ull << 20)
#define FULL_IDLE_MS 10000
#define QUICK_IDLE_MS 3000

/* No event for this long while the transfer is unfinished: a lost edge. */
#define STALL_MS 5000

/* The bound on the transfer. */
#define TRANSFER_TIMEOUT_MS 150000

/* Most CPU an idle connection may cost, in percent of the interval. */
#define IDLE_CPU_PERCENT 1.0

#define MAX_THREADS 16

/*
 * Run both streams to their totals; returns how many events the loop
 * handled.  Each stream is tried once first: an edge-triggered loop must
 * not wait for an edge that already happened.
 */
static unsigned long transfer(int ep, struct itest_stream *s)
{
	int64_t start = itest_now_ms(), last = start;
	unsigned long events = 0;
	int done = 0, i;

	for (i = 0; i < 2; i++) {
		int r = itest_stream_io(&s[i]);

		CHECK(r >= 0, "%s: %s", s[i].name, itest_errname(s[i].error));
		done += r;
	}
	while (done < 2) {
		struct epoll_event evs[2];
		int n, k;

		CHECK(itest_now_ms() - start < TRANSFER_TIMEOUT_MS, "transfer "
		      "not finished within %d ms", TRANSFER_TIMEOUT_MS);
		n = epoll_wait(ep, evs, 2, 1000);
		CHECK(n >= 0 || errno == EINTR, "epoll_wait: %s",
		      itest_errname(errno));
		if (n <= 0) {
			CHECK(itest_now_ms() - last < STALL_MS, "no edge for %d"
			      " ms: client sent %" PRIu64 " received %" PRIu64
			      ", server sent %" PRIu64 " received %" PRIu64
			      " (a missed edge?)", STALL_MS, s[0].sent,
			      s[0].received, s[1].sent, s[1].received);
			continue;
		}
		last = itest_now_ms();
		for (k = 0; k < n; k++) {
			struct itest_stream *x = evs[k].data.ptr;
			bool finished = x->sent == x->send_total &&
					x->received == x->recv_total;
			int r;

			events++;
			if (finished)
				continue;
			r = itest_stream_io(x);
			CHECK(r >= 0, "%s: %s after %" PRIu64 " bytes sent, %"
			      PRIu64 " received", x->name,
			      itest_errname(x->error), x->sent, x->received);
			done += r;
		}
	}
	return events;
}

/* Wait until neither side has data in flight, so idle means idle. */
static void settle(int cfd, int sfd)
{
	int64_t deadline = itest_now_ms() + 5000;
	struct rdt_info ci, si;

	do {
		itest_info(cfd, &ci);
		itest_info(sfd, &si);
		if (ci.bytes_in_flight == 0 && si.bytes_in_flight == 0)
			return;
		poll(NULL, 0, 20);	/* nothing to wait on but time */
	} while (itest_now_ms() < deadline);
	FAIL("bytes still in flight 5 s after the transfer: client %" PRIu64
	     ", server %" PRIu64, ci.bytes_in_flight, si.bytes_in_flight);
}

static void test_epoll_et(void)
{
	uint64_t bytes = itest_quick() ? QUICK_BYTES : FULL_BYTES;
	int idle_ms = itest_quick() ? QUICK_IDLE_MS : FULL_IDLE_MS;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t before, after, tb[MAX_THREADS], ta[MAX_THREADS];
	pid_t tidb[MAX_THREADS], tida[MAX_THREADS];
	struct itest_stream s[2];
	struct epoll_event ev;
	struct itest_pair p;
	int64_t start, took, idle_start, idle_took;
	double percent;
	int ep, n, nb, na, i, j;

	itest_pair_open(&p, AF_INET);
	itest_set_nonblock(p.cfd, true);
	itest_set_nonblock(p.sfd, true);
	itest_stream_init(&s[0], p.cfd, "client", 31, bytes, 32, bytes);
	itest_stream_init(&s[1], p.sfd, "server", 32, bytes, 31, bytes);
	s[0].keep_open = s[1].keep_open = true;

	ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	for (i = 0; i < 2; i++) {
		ev = (struct epoll_event){
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.ptr = &s[i],
		};
		CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &ev));
	}
	start = itest_now_ms();
	n = (int)transfer(ep, s);
	took = itest_now_ms() - start;
	itest_log("%" PRIu64 " MiB each way, byte-exact, in %.2f s: %.0f "
		  "Mbit/s each way, %d edge events", bytes >> 20,
		  took / 1000.0, bytes * 8 / 1e6 / (took / 1000.0), n);
	settle(p.cfd, p.sfd);

	nb = itest_thread_cpu_ticks(tidb, tb, MAX_THREADS);
	before = itest_cpu_ticks();
	idle_start = itest_now_ms();
	/* An idle connection raises no edge: any event here is suspect,
	 * but only the CPU it costs is the acceptance's concern. */
	n = 0;
	while ((idle_took = itest_now_ms() - idle_start) < idle_ms) {
		struct epoll_event evs[2];
		int r = epoll_wait(ep, evs, 2, (int)(idle_ms - idle_took));

		CHECK(r >= 0 || errno == EINTR, "epoll_wait: %s",
		      itest_errname(errno));
		if (r > 0)
			n += r;
	}
	after = itest_cpu_ticks();
	na = itest_thread_cpu_ticks(tida, ta, MAX_THREADS);
	percent = 100.0 * (double)(after - before) / (double)hz /
		  (idle_took / 1000.0);
	itest_log("idle %.1f s: %" PRIu64 " ticks of CPU (%.2f%%), %d events",
		  idle_took / 1000.0, after - before, percent, n);
	for (j = 0; j < na; j++) {
		uint64_t was = 0;

		for (i = 0; i < nb; i++)
			if (tidb[i] == tida[j])
				was = tb[i];
		itest_log("  thread %d: %" PRIu64 " ticks while idle",
			  (int)tida[j], ta[j] - was);
	}
	CHECK(percent < IDLE_CPU_PERCENT, "an idle connection cost %.2f%% of "
	      "a CPU over %.1f s, expected under %.1f%%", percent,
	      idle_took / 1000.0, IDLE_CPU_PERCENT);

	/* Still alive after the idle time: one more exchange. */
	s[0].send_total += 1000;
	s[1].recv_total += 1000;
	s[1].send_total += 1000;
	s[0].recv_total += 1000;
	transfer(ep, s);
	close(ep);
	itest_pair_close(&p);
}

static const struct itest_case cases[] = {
	{ "epoll_et", test_epoll_et, 200 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
