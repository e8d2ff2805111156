/*
 * itest_cycles.c: 10,000 connect / send / receive / close cycles (quick:
 * 1,000; RDT_ITEST_CYCLES=N overrides both) leak no descriptor and no
 * memory.
 *
 * A server thread accepts each connection, echoes 16 bytes, reads end of
 * stream and closes; the main thread is the client.  Closed connections
 * linger in the library for a bounded time (time-wait), so the checks
 * wait, bounded, for the descriptor count to come back to where it was
 * before the first connection, then compare the heap in use and the
 * resident set with their values after a warm-up, with the free memory
 * given back first (malloc_trim) so that what remains is what is held.
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
#define WARMUP_CYCLES 50

#define MSG_LEN 16

/* How long closed connections may take to release their descriptors. */
#define DRAIN_TIMEOUT_MS 90000

/* Growth allowed after the warm-up: a leak of 200 bytes a connection
 * over 10,000 cycles exceeds either bound. */
#define HEAP_GROWTH_KIB 1024
#define RSS_GROWTH_KIB 4096

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

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
	struct mallinfo2 mi = mallinfo2();

	return (long)((mi.uordblks + mi.hblkhd) / 1024);
}

static unsigned long cycles_wanted(void)
{
	const char *env = getenv("RDT_ITEST_CYCLES");

	if (env && *env)
		return strtoul(env, NULL, 10);
	return itest_quick() ? QUICK_CYCLES : FULL_CYCLES;
}

static void test_cycles(void)
{
	unsigned long cycles = cycles_wanted(), i;
	struct timeval tv = { .tv_sec = 10 };
	struct sockaddr_storage ss;
	struct server sv;
	socklen_t len;
	long fds0, fds, rss0, rss, heap0, heap;
	int64_t start, took;
	pthread_t t;

	itest_raise_nofile();
	sv.lfd = itest_listen(AF_INET, 128, 0, &ss, &len);
	/* Inherited by every accepted socket: a lost byte fails, not hangs. */
	CHECK_OK(rdt_setsockopt(sv.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	sv.cycles = WARMUP_CYCLES + cycles;
	fds0 = itest_count_fds();
	CHECK(pthread_create(&t, NULL, serve, &sv) == 0,
	      "pthread_create failed");

	for (i = 0; i < WARMUP_CYCLES; i++)
		cycle(&ss, len, i);
	malloc_trim(0);
	heap0 = heap_kib();
	rss0 = itest_rss_kib();

	start = itest_now_ms();
	for (i = 0; i < cycles; i++)
		cycle(&ss, len, WARMUP_CYCLES + i);
	took = itest_now_ms() - start;
	pthread_join(t, NULL);
	itest_log("%lu cycles in %.2f s (%.0f per second); %ld descriptors "
		  "open right after", cycles, took / 1000.0,
		  cycles / (took / 1000.0), itest_count_fds());

	start = itest_now_ms();
	while ((fds = itest_count_fds()) > fds0 &&
	       itest_now_ms() - start < DRAIN_TIMEOUT_MS)
		poll(NULL, 0, 100);	/* nothing to wait on but time */
	itest_log("descriptors back to %ld (from %ld before the first "
		  "connection) after %.1f s", fds, fds0,
		  (itest_now_ms() - start) / 1000.0);
	CHECK(fds == fds0, "%ld descriptors open %d s after the last close, "
	      "%ld before the first connection: %ld leaked", fds,
	      DRAIN_TIMEOUT_MS / 1000, fds0, fds - fds0);

	malloc_trim(0);
	heap = heap_kib();
	rss = itest_rss_kib();
	itest_log("heap in use %ld KiB (%+ld), RSS %ld KiB (%+ld) after %lu "
		  "cycles", heap, heap - heap0, rss, rss - rss0, cycles);
#ifdef UNDER_ASAN
	itest_log("AddressSanitizer build: its quarantine keeps freed memory, "
		  "so growth is only shown; LeakSanitizer checks at exit");
#else
	CHECK(heap - heap0 <= HEAP_GROWTH_KIB, "heap in use grew by %ld KiB "
	      "over %lu cycles, more than %d KiB", heap - heap0, cycles,
	      HEAP_GROWTH_KIB);
	CHECK(rss - rss0 <= RSS_GROWTH_KIB, "RSS grew by %ld KiB over %lu "
	      "cycles, more than %d KiB", rss - rss0, cycles, RSS_GROWTH_KIB);
#endif
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
