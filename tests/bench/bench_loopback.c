/*
 * bench_loopback.c: bulk throughput of rdt against kernel TCP, same run.
 *
 *   tests/bench/bench_loopback [MIB [ROUNDS [PINGS [CONNS]]]]
 *
 * Moves MIB mebibytes (default 512) from a client thread to a server
 * thread over 127.0.0.1, ROUNDS times (default 3) with each transport,
 * through the same code: rdt's calls take the same arguments as the BSD
 * ones, so one table of function pointers per transport is the whole
 * difference.  Prints each run with the CPU time the whole process
 * (both ends, and rdt's engine thread) spent per GB moved, as getrusage
 * counts it, then the medians and the ratios rdt/TCP.  Then 64-byte
 * ping-pong (PINGS round trips, default 10,000, TCP_NODELAY and
 * RDT_NODELAY set; 0 skips it): median and 99th percentile round-trip
 * time of each, and their ratios.  Then the connection rate: CONNS
 * (default 1,000; 0 skips it) connections one after another, each
 * connect, one byte each way and close, ROUNDS times; the median
 * connections per second of each and their ratio.  Every figure is also
 * taken for rdt's two encrypted modes (RDT_PSK, and RDT_KEY with
 * RDT_PEER_KEY), with their ratios to rdt in clear: what the encryption
 * costs.  It is a benchmark,
 * not a test: it asserts only that the bytes arrived intact, never a
 * speed.
 *
 * Run under rdt-run (`make bench-preload`), the BSD calls are
 * librdt-preload.so's and their sockets rdt's: the program notices (the
 * connected socket answers RDT_INFO), calls that side "shim" instead of
 * "tcp", and the ratios compare the native API with the shim over the
 * same transport, which is what the shim costs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rdt.h"

struct transport {
	const char *name;
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*close)(int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int nodelay_level, nodelay_name;
	/* rdt's encrypted modes on every socket: 1 the pre-shared key
	 * (RDT_PSK), 2 the public-key handshake (RDT_KEY and RDT_PEER_KEY:
	 * the listener uses the one, the client the other). */
	int encrypted;
};

static struct transport transports[] = {
	{ "tcp", socket, bind, listen, accept, connect, send, recv,
	  getsockname, close, setsockopt, IPPROTO_TCP, TCP_NODELAY, 0 },
	{ "rdt", rdt_socket, rdt_bind, rdt_listen, rdt_accept, rdt_connect,
	  rdt_send, rdt_recv, rdt_getsockname, rdt_close, rdt_setsockopt,
	  RDT_SOL, RDT_NODELAY, 0 },
	{ "rdt psk", rdt_socket, rdt_bind, rdt_listen, rdt_accept,
	  rdt_connect, rdt_send, rdt_recv, rdt_getsockname, rdt_close,
	  rdt_setsockopt, RDT_SOL, RDT_NODELAY, 1 },
	{ "rdt public-key", rdt_socket, rdt_bind, rdt_listen, rdt_accept,
	  rdt_connect, rdt_send, rdt_recv, rdt_getsockname, rdt_close,
	  rdt_setsockopt, RDT_SOL, RDT_NODELAY, 2 },
};

#define NTRANSPORTS (sizeof(transports) / sizeof(transports[0]))

/* The same key at both ends; what it costs, not what it hides, is
 * measured. */
static const unsigned char bench_psk[32] = "rdt bench: a key, not a secret";

static void die(const char *what);

static int new_socket(const struct transport *t)
{
	static unsigned char server_public[32];
	socklen_t len = sizeof(server_public);
	int fd = t->socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || !t->encrypted)
		return fd;
	if (t->encrypted == 1) {
		if (rdt_setsockopt(fd, RDT_SOL, RDT_PSK, bench_psk,
				   sizeof(bench_psk)) < 0)
			die("RDT_PSK");
		return fd;
	}
	/* The bench's key serves as the server's secret key. */
	if (rdt_setsockopt(fd, RDT_SOL, RDT_KEY, bench_psk,
			   sizeof(bench_psk)) < 0 ||
	    rdt_getsockopt(fd, RDT_SOL, RDT_KEY, server_public, &len) < 0 ||
	    rdt_setsockopt(fd, RDT_SOL, RDT_PEER_KEY, server_public,
			   sizeof(server_public)) < 0)
		die("RDT_KEY");
	return fd;
}

#define CHUNK (256 << 10)

struct server_arg {
	const struct transport *t;
	int listener;
	size_t expect;
	int ok;
};

static void die(const char *what)
{
	fprintf(stderr, "bench_loopback: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * The stream repeats this CHUNK-byte pattern, so the sender sends from it
 * at any offset and the receiver compares with memcmp: neither spends its
 * time making or checking bytes, which would cap both transports alike.
 */
static unsigned char pattern[CHUNK];

static void pattern_init(void)
{
	size_t i;

	for (i = 0; i < CHUNK; i++)
		pattern[i] = (unsigned char)(i * 131 + (i >> 12));
}

/* Do |n| bytes at |buf| continue the stream correctly at offset |pos|? */
static int pattern_ok(const unsigned char *buf, size_t n, size_t pos)
{
	while (n > 0) {
		size_t at = pos % CHUNK, k = CHUNK - at < n ? CHUNK - at : n;

		if (memcmp(buf, pattern + at, k) != 0)
			return 0;
		buf += k;
		pos += k;
		n -= k;
	}
	return 1;
}

static void *server(void *p)
{
	struct server_arg *a = p;
	unsigned char *buf = malloc(CHUNK);
	size_t got = 0;
	ssize_t n;
	int c = a->t->accept(a->listener, NULL, NULL);

	if (c < 0 || buf == NULL)
		die("accept");
	a->ok = 1;
	while ((n = a->t->recv(c, buf, CHUNK, 0)) > 0) {
		if (!pattern_ok(buf, (size_t)n, got))
			a->ok = 0;
		got += (size_t)n;
	}
	if (n < 0)
		die("recv");
	if (got != a->expect)
		a->ok = 0;
	a->t->close(c);
	free(buf);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Is |fd|, made by the BSD calls, an rdt socket (under rdt-run)? */
static int shim_detected;

static void detect_shim(const struct transport *t, int fd)
{
	struct rdt_info info;
	socklen_t len = sizeof(info);

	if (t == &transports[0] &&
	    rdt_getsockopt(fd, RDT_SOL, RDT_INFO, &info, &len) == 0) {
		shim_detected = 1;
		transports[0].name = "shim";
	}
}

/* CPU seconds, user and system, of every thread of this process. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* A listener of |t| on 127.0.0.1, port chosen by the system: its
 * descriptor, and its address in |addr|. */
static int listen_loopback(const struct transport *t,
			   struct sockaddr_in *addr, int backlog)
{
	socklen_t len = sizeof(*addr);
	int l = new_socket(t);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || t->bind(l, (struct sockaddr *)addr, sizeof(*addr)) ||
	    t->listen(l, backlog) ||
	    t->getsockname(l, (struct sockaddr *)addr, &len))
		die("listen");
	return l;
}

/* One transfer; returns Gbit/s, and the process's CPU seconds per GB
 * (10^9 bytes) in |*cpu_per_gb|. */
static double run(const struct transport *t, size_t bytes, double *cpu_per_gb)
{
	struct sockaddr_in addr;
	struct server_arg arg = { t, -1, bytes, 0 };
	size_t sent = 0;
	pthread_t th;
	double t0, dt, cpu0 = cpu_s();
	int c;

	arg.listener = listen_loopback(t, &addr, 4);
	pthread_create(&th, NULL, server, &arg);
	c = new_socket(t);
	t0 = now_s();
	if (c < 0 || t->connect(c, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	detect_shim(t, c);
	while (sent < bytes) {
		size_t at = sent % CHUNK, k = CHUNK - at;
		ssize_t n;

		if (k > bytes - sent)
			k = bytes - sent;
		n = t->send(c, pattern + at, k, MSG_NOSIGNAL);
		if (n < 0)
			die("send");
		sent += (size_t)n;
	}
	t->close(c);
	pthread_join(th, NULL);
	dt = now_s() - t0;
	*cpu_per_gb = (cpu_s() - cpu0) / ((double)bytes / 1e9);
	t->close(arg.listener);
	if (!arg.ok) {
		fprintf(stderr, "bench_loopback: %s: bytes differ\n", t->name);
		exit(1);
	}
	return (double)bytes * 8 / dt / 1e9;
}

#define PING 64

struct echo_arg {
	const struct transport *t;
	int listener;
};

/* Reads exactly |n| bytes; 0 at end of stream. */
static int read_full(const struct transport *t, int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = t->recv(fd, buf + got, n - got, 0);

		if (k < 0)
			die("recv");
		if (k == 0)
			return 0;
		got += (size_t)k;
	}
	return 1;
}

static void *echo(void *p)
{
	struct echo_arg *a = p;
	char buf[PING];
	int one = 1;
	int c = a->t->accept(a->listener, NULL, NULL);

	if (c < 0)
		die("accept");
	a->t->setsockopt(c, a->t->nodelay_level, a->t->nodelay_name, &one,
			 sizeof(one));
	while (read_full(a->t, c, buf, PING))
		if (a->t->send(c, buf, PING, MSG_NOSIGNAL) != PING)
			die("send");
	a->t->close(c);
	return NULL;
}

static int cmp_double(const void *a, const void *b);

struct accept_arg {
	const struct transport *t;
	int listener, conns;
};

/* The server of the connection rate: accept, echo one byte, close. */
static void *accept_echo(void *p)
{
	struct accept_arg *a = p;
	int i;

	for (i = 0; i < a->conns; i++) {
		char b;
		int c = a->t->accept(a->listener, NULL, NULL);

		if (c < 0)
			die("accept");
		if (a->t->recv(c, &b, 1, 0) != 1 ||
		    a->t->send(c, &b, 1, MSG_NOSIGNAL) != 1)
			die("echo");
		a->t->close(c);
	}
	return NULL;
}

/* |conns| sequential connections, each connect, one byte each way and
 * close; returns connections per second. */
static double conn_rate(const struct transport *t, int conns)
{
	struct sockaddr_in addr;
	struct accept_arg arg = { t, -1, conns };
	pthread_t th;
	double t0, dt;
	int i;

	arg.listener = listen_loopback(t, &addr, 128);
	pthread_create(&th, NULL, accept_echo, &arg);
	t0 = now_s();
	for (i = 0; i < conns; i++) {
		char b = 'c';
		int c = new_socket(t);

		if (c < 0 ||
		    t->connect(c, (struct sockaddr *)&addr, sizeof(addr)))
			die("connect");
		if (t->send(c, &b, 1, MSG_NOSIGNAL) != 1 ||
		    t->recv(c, &b, 1, 0) != 1 || b != 'c')
			die("exchange");
		t->close(c);
	}
	dt = now_s() - t0;
	pthread_join(th, NULL);
	t->close(arg.listener);
	return conns / dt;
}

/* |pings| round trips of PING bytes; the sorted times, microseconds. */
static void ping_pong(const struct transport *t, double *us, int pings)
{
	struct sockaddr_in addr;
	struct echo_arg arg = { t, -1 };
	char buf[PING];
	pthread_t th;
	int c, i, one = 1;

	memset(buf, 'p', sizeof(buf));
	arg.listener = listen_loopback(t, &addr, 4);
	pthread_create(&th, NULL, echo, &arg);
	c = new_socket(t);
	if (c < 0 || t->connect(c, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect");
	t->setsockopt(c, t->nodelay_level, t->nodelay_name, &one,
		      sizeof(one));
	for (i = 0; i < pings; i++) {
		double t0 = now_s();

		if (t->send(c, buf, PING, MSG_NOSIGNAL) != PING ||
		    !read_full(t, c, buf, PING))
			die("ping");
		us[i] = (now_s() - t0) * 1e6;
	}
	t->close(c);
	pthread_join(th, NULL);
	t->close(arg.listener);
	qsort(us, (size_t)pings, sizeof(*us), cmp_double);
}

/* The figure under study against its reference: rdt against TCP, or
 * under rdt-run the shim against rdt's native API. */
static const char *ratio_name(void)
{
	return shim_detected ? "shim/native" : "rdt/tcp";
}

static double ratio(const double v[2])
{
	return shim_detected ? v[0] / v[1] : v[1] / v[0];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 512;
	int rounds = argc > 2 ? atoi(argv[2]) : 3, r;
	int pings = argc > 3 ? atoi(argv[3]) : 10000;
	int conns = argc > 4 ? atoi(argv[4]) : 1000;
	double med[NTRANSPORTS], cpu[NTRANSPORTS], p50[NTRANSPORTS];
	double p99[NTRANSPORTS], cps[NTRANSPORTS], *g, *c, *us;
	size_t k;

	if (mib == 0 || rounds < 1 || rounds > 99 ||
	    (pings != 0 && pings < 100) || pings > 10000000 ||
	    conns < 0 || conns > 1000000) {
		fprintf(stderr, "usage: bench_loopback [MIB [ROUNDS [PINGS "
			"[CONNS]]]]\n");
		return 2;
	}
	pattern_init();
	g = calloc(NTRANSPORTS * (size_t)rounds, sizeof(*g));
	c = calloc(NTRANSPORTS * (size_t)rounds, sizeof(*c));
	if (g == NULL || c == NULL)
		die("calloc");
	/* Rounds alternate between the transports, so that a machine whose
	 * load changes during the run slows both alike. */
	for (r = 0; r < rounds; r++)
		for (k = 0; k < NTRANSPORTS; k++) {
			g[k * rounds + r] = run(&transports[k], mib << 20,
						&c[k * rounds + r]);
			printf("%s round %d: %zu MiB at %.2f Gbit/s, CPU %.2f "
			       "s/GB\n", transports[k].name, r + 1, mib,
			       g[k * rounds + r], c[k * rounds + r]);
		}
	for (k = 0; k < NTRANSPORTS; k++) {
		qsort(g + k * rounds, (size_t)rounds, sizeof(*g), cmp_double);
		qsort(c + k * rounds, (size_t)rounds, sizeof(*c), cmp_double);
		med[k] = g[k * rounds + rounds / 2];
		cpu[k] = c[k * rounds + rounds / 2];
	}
	if (shim_detected)
		printf("median: native rdt API %.2f Gbit/s, rdt through "
		       "librdt-preload.so %.2f Gbit/s, shim/native = %.3f\n",
		       med[1], med[0], med[0] / med[1]);
	else
		printf("median: tcp %.2f Gbit/s, rdt %.2f Gbit/s, rdt/tcp = "
		       "%.3f\n", med[0], med[1], med[1] / med[0]);
	printf("median CPU: %s %.2f s/GB, %s %.2f s/GB, %s = %.2f\n",
	       transports[0].name, cpu[0], transports[1].name, cpu[1],
	       ratio_name(), ratio(cpu));
	for (k = 2; k < NTRANSPORTS; k++)
		printf("median: %s %.2f Gbit/s, /clear = %.3f; CPU %.2f s/GB, "
		       "/clear = %.2f\n", transports[k].name, med[k],
		       med[k] / med[1], cpu[k], cpu[k] / cpu[1]);
	free(c);
	if (pings == 0) {
		/* Bulk only: one connection, as the RDT_PCAP tests want. */
		free(g);
		return 0;
	}
	us = calloc((size_t)pings, sizeof(*us));
	for (k = 0; k < NTRANSPORTS; k++) {
		ping_pong(&transports[k], us, pings);
		p50[k] = us[pings / 2];
		p99[k] = us[pings * 99 / 100];
		printf("%s ping-pong, %d x %d bytes: median %.1f us, p99 %.1f "
		       "us\n", transports[k].name, pings, PING, p50[k], p99[k]);
	}
	if (shim_detected)
		printf("ping-pong: shim/native median = %.2f, p99 = %.2f\n",
		       p50[0] / p50[1], p99[0] / p99[1]);
	else
		printf("ping-pong: rdt/tcp median = %.2f, p99 = %.2f\n",
		       p50[1] / p50[0], p99[1] / p99[0]);
	for (k = 2; k < NTRANSPORTS; k++)
		printf("ping-pong: %s/clear median = %.2f, p99 = %.2f\n",
		       transports[k].name, p50[k] / p50[1], p99[k] / p99[1]);
	free(us);
	if (conns > 0) {
		for (r = 0; r < rounds; r++)
			for (k = 0; k < NTRANSPORTS; k++) {
				g[k * rounds + r] = conn_rate(&transports[k],
							      conns);
				printf("%s connections round %d: %d at %.0f/s"
				       "\n", transports[k].name, r + 1, conns,
				       g[k * rounds + r]);
			}
		for (k = 0; k < NTRANSPORTS; k++) {
			qsort(g + k * rounds, (size_t)rounds, sizeof(*g),
			      cmp_double);
			cps[k] = g[k * rounds + rounds / 2];
		}
		printf("median connection rate: %s %.0f/s, %s %.0f/s, %s = "
		       "%.2f\n", transports[0].name, cps[0],
		       transports[1].name, cps[1], ratio_name(), ratio(cps));
		for (k = 2; k < NTRANSPORTS; k++)
			printf("median connection rate: %s %.0f/s, /clear = "
			       "%.2f\n", transports[k].name, cps[k],
			       cps[k] / cps[1]);
	}
	free(g);
	return 0;
}
