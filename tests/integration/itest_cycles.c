/*
 * itest_cycles.c: 10,000 connect / send / receive / close cycles (quick:
 * 1,000; RDT_ITEST_CYCLES=N overrides both) leak no descriptor and no
 * memory.
 *
 * A server thread accepts each connection, echoes 16 bytes, reads end of
 * stream and closes; the main thread is the client.  Closed connections
 * linger in the library for a bounded time (time-wait), so after the
 * cycles the test waits, bounded, for the descriptor count to come back
 * to where it was before the first connection.
 *
 * The cycles run in two rounds of half each.  The first may leave the
 * library's tables at the size its peak needed (thousands of connections
 * lingering at once); the second must then leave the heap in use where
 * the first left it, within a bound far below what a leak of even 100
 * bytes a connection would add.  The resident set after both rounds
 * must be within a small bound of its size before the first connection.
 *
 * glibc's malloc would keep much of the memory of thousands of closed
 * connections resident (its dynamic thresholds stop it trimming a
 * thread's arena below 64 MiB), which would hide a leak in noise; fixed
 * thresholds and malloc_trim make the resident set what is really held.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/itest.h"

#define FULL_CYCLES 10000
#define QUICK_CYCLES 1000

#define MSG_LEN 16

/* How long closed connections may take to release their descriptors. */
#define DRAIN_TIMEOUT_MS 90000

/* Heap growth allowed in the second round, and RSS growth in all. */
#define HEAP_GROWTH_KIB 256
#define RSS_GROWTH_KIB 4096

/* Fixed malloc thresholds: see the top of the file. */
#define MALLOC_THRESHOLD (256 * 1024)

struct server {
	int lfd;
	unsigned long cycles;
};

static void *serve(void *arg)
{
	struct server *sv = arg;
	unsigned long i;

	for (i = 0; i < sv->cycles; i++) {
		char buf[MSG_LEN];
		int fd = rdt_accept(sv->lfd, NULL, NULL);
		ssize_t n;

		CHECK(fd >= 0, "server: accept %lu: %s", i,
		      itest_errname(errno));
		n = rdt_recv(fd, buf, MSG_LEN, MSG_WAITALL);
		CHECK(n == MSG_LEN, "server: cycle %lu: expected %d bytes, got "
		      "%zd (%s)", i, MSG_LEN, n, n < 0 ? itest_errname(errno)
		      : "short");
		CHECK(rdt_send(fd, buf, MSG_LEN, MSG_NOSIGNAL) == MSG_LEN,
		      "server: cycle %lu: echo: %s", i, itest_errname(errno));
		n = rdt_recv(fd, buf, 1, 0);
		CHECK(n == 0, "server: cycle %lu: expected end of stream, got "
		      "%zd (%s)", i, n, n < 0 ? itest_errname(errno) : "");
		CHECK_OK(rdt_close(fd));
	}
	return NULL;
}

static void cycle(const struct sockaddr_storage *ss, socklen_t len,
		  unsigned long i)
{
	uint8_t out[MSG_LEN], in[MSG_LEN];
	int fd = itest_connect(ss, len);
	ssize_t n;

	itest_pattern_fill(out, MSG_LEN, i, 0);
	CHECK(rdt_send(fd, out, MSG_LEN, MSG_NOSIGNAL) == MSG_LEN,
	      "cycle %lu: send: %s", i, itest_errname(errno));
	n = rdt_recv(fd, in, MSG_LEN, MSG_WAITALL);
	CHECK(n == MSG_LEN && !memcmp(in, out, MSG_LEN), "cycle %lu: expected"
	      " the %d bytes echoed, got %zd (%s)", i, MSG_LEN, n,
	      n < 0 ? itest_errname(errno) : "other bytes");
	CHECK_OK(rdt_close(fd));
}

/* Heap in use, KiB: small chunks plus mmap'ed large ones. */
static long heap_kib(void)
{
	struct mallinfo2 mi;

	malloc_trim(0);
	mi = mallinfo2();
	return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

static unsigned long cycles_wanted(void)
{
	const char *env = getenv("RDT_ITEST_CYCLES");

	if (env && *env)
		return strtoul(env, NULL, 10);
	return itest_quick() ? QUICK_CYCLES : FULL_CYCLES;
}

/*
 * Run |n| cycles numbered from |first|, then wait for the descriptors
 * to come back to |fds0|.
 */
static void run_round(struct server *sv, const struct sockaddr_storage *ss,
		      socklen_t len, unsigned long first, unsigned long n,
		      long fds0)
{
	int64_t start = itest_now_ms(), took;
	unsigned long i;
	pthread_t t;
	long fds;

	sv->cycles = n;
	CHECK(pthread_create(&t, NULL, serve, sv) == 0,
	      "pthread_create failed");
	for (i = 0; i < n; i++)
		cycle(ss, len, first + i);
	pthread_join(t, NULL);
	took = itest_now_ms() - start;
	itest_log("%lu cycles in %.2f s (%.0f per second); %ld descriptors "
		  "open right after", n, took / 1000.0, n / (took / 1000.0),
		  itest_count_fds());

	start = itest_now_ms();
	while ((fds = itest_count_fds()) > fds0 &&
	       itest_now_ms() - start < DRAIN_TIMEOUT_MS)
		poll(NULL, 0, 100);	/* nothing to wait on but time */
	itest_log("descriptors back to %ld (%ld before the first connection) "
		  "after %.1f s", fds, fds0, (itest_now_ms() - start) / 1000.0);
	CHECK(fds == fds0, "%ld descriptors open %d s after the last close, "
	      "%ld before the first connection: %ld leaked", fds,
	      DRAIN_TIMEOUT_MS / 1000, fds0, fds - fds0);
}

static void test_cycles(void)
{
	unsigned long cycles = cycles_wanted();
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_storage ss;
	struct server sv;
	socklen_t len;
	long fds0, rss0, rss, heap0, heap1, heap2;

	itest_raise_nofile();
	/* Before any thread: every thread then shares the main arena,
	 * which malloc_trim does return to the system. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, MALLOC_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, MALLOC_THRESHOLD);
	sv.lfd = itest_listen(AF_INET, 128, 0, &ss, &len);
	/* Inherited by every accepted socket: a lost byte fails, not hangs. */
	CHECK_OK(rdt_setsockopt(sv.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	fds0 = itest_count_fds();
	heap0 = heap_kib();
	rss0 = itest_rss_kib();

	run_round(&sv, &ss, len, 0, cycles / 2, fds0);
	heap1 = heap_kib();
	run_round(&sv, &ss, len, cycles / 2, cycles - cycles / 2, fds0);
	heap2 = heap_kib();
	rss = itest_rss_kib();
	itest_log("heap in use %ld KiB before, %ld after round 1, %ld after "
		  "round 2; RSS %ld KiB before, %ld after", heap0, heap1, heap2,
		  rss0, rss);
	if (heap0 == 0) {
		/* mallinfo2 knows nothing of a replaced malloc. */
		itest_log("malloc is not glibc's (AddressSanitizer or valgrind?):"
			  " memory growth not checked here, the tool checks "
			  "for leaks at exit");
		CHECK_OK(rdt_close(sv.lfd));
		return;
	}
	CHECK(heap2 - heap1 <= HEAP_GROWTH_KIB, "heap in use grew by %ld KiB "
	      "in the second round of %lu cycles, more than %d KiB: a leak "
	      "of about %ld bytes a connection", heap2 - heap1,
	      cycles - cycles / 2, HEAP_GROWTH_KIB,
	      (heap2 - heap1) * 1024 / (long)(cycles - cycles / 2));
	CHECK(rss - rss0 <= RSS_GROWTH_KIB, "RSS grew by %ld KiB over %lu "
	      "cycles, more than %d KiB", rss - rss0, cycles, RSS_GROWTH_KIB);
	CHECK_OK(rdt_close(sv.lfd));
}

static const struct itest_case cases[] = {
	{ "cycles", test_cycles, 300 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
