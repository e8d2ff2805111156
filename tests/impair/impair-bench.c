/*
 * impair-bench.c: how fast rdt-impair relays on a clean setting.  Not a
 * test (it asserts nothing); run by hand from the build directory:
 *
 *   tests/impair/impair-bench [COUNT [SIZE [gso]]]
 *
 * A blaster sends COUNT datagrams (default 1,000,000) of SIZE bytes
 * (default 1400) as fast as the socket takes them (in UDP_SEGMENT
 * messages of up to 64 with "gso", as a sender using GSO would, and then
 * the sink takes them with UDP_GRO), once straight to a sink and once
 * through a relay with no impairment (limit 100000), and prints the
 * goodput the sink (a thread of its own) saw each time and their ratio.
 * The blaster, the sink and the relay share the machine's cores, so the
 * ratio says more than the absolute numbers.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e.h"

struct count {
	int rx;
	size_t size;
	volatile int sending;	/* cleared by the blaster when done */
	uint64_t n, bytes, first, last;
};

/* The sink: counts until 300 ms pass with nothing after the blaster is
 * done. */
static void *sink(void *arg)
{
	struct count *c = arg;
	static uint8_t buf[64][65536];
	struct mmsghdr msg[64];
	struct iovec iov[64];
	struct pollfd p = { .fd = c->rx, .events = POLLIN };
	int i, got;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (poll(&p, 1, 300) > 0 || c->sending) {
		got = recvmmsg(c->rx, msg, 64, MSG_DONTWAIT, NULL);
		for (i = 0; i < got; i++) {
			if (c->n == 0)
				c->first = e2e_now();
			/* With GRO, one read may be many datagrams. */
			c->n += (msg[i].msg_len + c->size - 1) / c->size;
			c->bytes += msg[i].msg_len;
		}
		if (got > 0)
			c->last = e2e_now();
	}
	return NULL;
}

static void no_recv(void *ctx, const uint8_t *buf, size_t len, uint64_t now)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)now;
}

/* Blasts |count| datagrams at |dst|; returns the sink's goodput, bit/s. */
static double blast(const struct sockaddr_storage *dst, socklen_t len,
		    int rx, uint64_t count, size_t size, int gso,
		    uint64_t *got)
{
	struct sockaddr_storage src;
	socklen_t sl;
	int tx = e2e_udp("127.0.0.1", &src, &sl);
	struct count c;
	struct e2e_traffic t;
	pthread_t th;

	memset(&c, 0, sizeof(c));
	c.rx = rx;
	c.size = size;
	c.sending = 1;
	/* A GSO sender's datagrams may come glued: take them so. */
	if (gso)
		(void)setsockopt(rx, SOL_UDP, UDP_GRO, &gso, sizeof(gso));
	if (pthread_create(&th, NULL, sink, &c))
		e2e_fail("pthread_create failed");
	memset(&t, 0, sizeof(t));
	t.tx = tx;
	t.dst = dst;
	t.dstlen = len;
	t.rx = -1;		/* the sink thread reads */
	t.size = size;
	t.count = count;
	t.gso = gso;
	t.max_s = 120;
	t.on_recv = no_recv;
	e2e_traffic_run(&t);
	c.sending = 0;
	pthread_join(th, NULL);
	close(tx);
	*got = c.n;
	if (c.n < 2)
		return 0;
	return (double)(c.bytes) * 8 / ((double)(c.last - c.first) * 1e-9);
}

int main(int argc, char **argv)
{
	uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 1400;
	int gso = argc > 3 && strcmp(argv[3], "gso") == 0;
	struct sockaddr_storage sink, relay;
	socklen_t sl, rl;
	const char *args[] = { "--forward", NULL, "--both", "limit 100000",
			       "--stats", NULL, NULL };
	char stats[4096];
	uint64_t got;
	double direct, relayed;
	int rx;
	pid_t pid;

	if (size < E2E_DGRAM_MIN || size > 65000 || count < 2) {
		fprintf(stderr, "usage: impair-bench [COUNT [SIZE [gso]]]\n");
		return 2;
	}
	e2e_init("impair-bench", 600);
	rx = e2e_udp("127.0.0.1", &sink, &sl);
	direct = blast(&sink, sl, rx, count, size, gso, &got);
	printf("direct:      %8.3f Gbit/s, %llu of %llu datagrams arrived\n",
	       direct / 1e9, (unsigned long long)got,
	       (unsigned long long)count);

	args[1] = e2e_addr_str(&sink, 0);
	args[5] = e2e_temp_path("bench.json");
	pid = e2e_relay_start("127.0.0.1", args, &relay, &rl, NULL);
	relayed = blast(&relay, rl, rx, count, size, gso, &got);
	if (e2e_relay_stop(pid) != 0)
		e2e_fail("relay failed");
	e2e_read_file(args[5], stats, sizeof(stats));
	printf("via relay:   %8.3f Gbit/s, %llu of %llu datagrams arrived "
	       "(%.1f%% of direct)\n", relayed / 1e9,
	       (unsigned long long)got, (unsigned long long)count,
	       100 * relayed / direct);
	printf("relay stats: %s", stats);
	return 0;
}
