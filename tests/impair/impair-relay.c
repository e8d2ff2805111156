/*
 * impair-relay.c: rdt-impair's behaviour as a relay, on loopback.
 *
 *   flows       two clients, each answered only with its own replies,
 *               through two flows toward one server; both directions
 *               counted
 *   control     the control FIFO: created, "down" drops both ways,
 *               "up" restores, "a2b loss 100%" replaces a2b only, a bad
 *               line is reported and ignored; removed at exit
 *   ipv6        the same exchange over ::1
 *   duration    --duration ends the relay with status 0 and the
 *               statistics on standard error
 *   limits      --max-flows refuses a third client and counts it;
 *               --flow-timeout closes an idle flow, which reopens
 *   unreachable a forward address nobody listens on: datagrams are lost
 *               and counted, the relay lives on
 *   big         a 60000-byte datagram passes whole
 *   gso         eleven datagrams sent as one UDP_SEGMENT message reach
 *               the relay glued (UDP_GRO) and are counted, impaired and
 *               delivered as eleven, each its own size
 *
 * Every wait is bounded (at most WAIT_MS for an expected datagram), and
 * "nothing arrives" is checked only where the relay's own log or
 * counters say the datagram was dropped, so no assertion rests on a
 * sleep's length.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

#define NAME "impair-relay"
/* Longest wait for a datagram that should come, ms. */
#define WAIT_MS 5000

/* Receives one datagram within |ms|; returns its length or -1. */
static ssize_t recv_wait(int fd, void *buf, size_t cap,
			 struct sockaddr_storage *from, unsigned ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	socklen_t len = sizeof(*from);

	if (poll(&p, 1, (int)ms) <= 0)
		return -1;
	return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &len);
}

static void send_to(int fd, const void *buf, size_t len,
		    const struct sockaddr_storage *to, socklen_t tolen)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, tolen) !=
	    (ssize_t)len)
		e2e_fail("sendto: %s", strerror(errno));
}

/* The server side: echoes |n| datagrams back where they came from. */
static void echo(int server, unsigned n)
{
	struct sockaddr_storage from;
	char buf[65536];
	ssize_t len;
	unsigned i;

	for (i = 0; i < n; i++) {
		len = recv_wait(server, buf, sizeof(buf), &from, WAIT_MS);
		if (len < 0)
			e2e_fail("server: datagram %u of %u never came", i, n);
		send_to(server, buf, (size_t)len, &from, sizeof(from));
	}
}

/* The client side: expects |text| back within WAIT_MS. */
static void expect_reply(int client, const char *text)
{
	struct sockaddr_storage from;
	char buf[256];
	ssize_t len = recv_wait(client, buf, sizeof(buf) - 1, &from, WAIT_MS);

	if (len < 0)
		e2e_fail("no reply \"%s\"", text);
	buf[len] = '\0';
	if (strcmp(buf, text))
		e2e_fail("reply \"%s\", expected \"%s\"", buf, text);
}

/* A client sends |text| and must get it back through the echo server. */
static void round_trip(int client, int server,
		       const struct sockaddr_storage *relay, socklen_t len,
		       const char *text)
{
	send_to(client, text, strlen(text), relay, len);
	echo(server, 1);
	expect_reply(client, text);
}

/* Waits until |path| contains |needle| (the relay's log), WAIT_MS. */
static void wait_log(const char *path, const char *needle)
{
	char text[16384];
	uint64_t end = e2e_now() + WAIT_MS * 1000000ull;
	struct pollfd none;

	for (;;) {
		e2e_read_file(path, text, sizeof(text));
		if (strstr(text, needle))
			return;
		if (e2e_now() > end)
			e2e_fail("relay never logged \"%s\": %s", needle,
				 text);
		poll(&none, 0, 10);
	}
}

static void stop_and_read(pid_t pid, const char *stats_path, char *stats,
			  size_t cap)
{
	int rc = e2e_relay_stop(pid);

	if (rc != 0)
		e2e_fail("relay exited %d", rc);
	e2e_read_file(stats_path, stats, cap);
}

static void expect_stat(const char *stats, const char *obj, const char *key,
			uint64_t want)
{
	uint64_t got = e2e_stat(stats, obj, key);

	if (got != want)
		e2e_fail("%s.%s = %llu, expected %llu in %s", obj, key,
			 (unsigned long long)got, (unsigned long long)want,
			 stats);
}

/* Starts a relay on |family_addr| toward |server|, with |extra| args. */
static pid_t start(const char *addr, const struct sockaddr_storage *server,
		   const char *stats_path, const char *const *extra,
		   struct sockaddr_storage *relay, socklen_t *len,
		   const char *errpath)
{
	const char *args[16];
	int n = 0, i;

	args[n++] = "--forward";
	args[n++] = e2e_addr_str(server, 1);
	args[n++] = "--stats";
	args[n++] = stats_path;
	for (i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return e2e_relay_start(addr, args, relay, len, errpath);
}

static void test_flows(void)
{
	struct sockaddr_storage srv, c1a, c2a, relay, from;
	socklen_t sl, l1, l2, rl;
	int server = e2e_udp("127.0.0.1", &srv, &sl);
	int c1 = e2e_udp("127.0.0.1", &c1a, &l1);
	int c2 = e2e_udp("127.0.0.1", &c2a, &l2);
	const char *stats_path = e2e_temp_path("flows.json");
	const char *extra[] = { "--both", "delay 1ms", NULL };
	char stats[4096], buf[64];
	struct sockaddr_storage flow1;
	ssize_t len;
	pid_t pid;

	pid = start("127.0.0.1", &srv, stats_path, extra, &relay, &rl, NULL);
	send_to(c1, "one", 3, &relay, rl);
	len = recv_wait(server, buf, sizeof(buf), &flow1, WAIT_MS);
	if (len != 3)
		e2e_fail("server did not get client 1's datagram");
	send_to(c2, "two", 3, &relay, rl);
	len = recv_wait(server, buf, sizeof(buf), &from, WAIT_MS);
	if (len != 3)
		e2e_fail("server did not get client 2's datagram");
	if (!strcmp(e2e_addr_str(&flow1, 0), e2e_addr_str(&from, 1)))
		e2e_fail("two clients share one flow socket");
	/* Answer client 2 first, then client 1: each gets its own. */
	send_to(server, "for-two", 7, &from, sizeof(from));
	send_to(server, "for-one", 7, &flow1, sizeof(flow1));
	expect_reply(c2, "for-two");
	expect_reply(c1, "for-one");
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	expect_stat(stats, "a2b", "received", 2);
	expect_stat(stats, "a2b", "delivered", 2);
	expect_stat(stats, "b2a", "received", 2);
	expect_stat(stats, "b2a", "delivered", 2);
	expect_stat(stats, "relay", "flows", 2);
	close(server);
	close(c1);
	close(c2);
	printf("ok   flows: two clients, two flows, replies to their own\n");
}

static void write_fifo(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK);

	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		e2e_fail("control %s: %s", path, strerror(errno));
	close(fd);
}

static void test_control(void)
{
	struct sockaddr_storage srv, ca, relay;
	socklen_t sl, cl, rl;
	int server = e2e_udp("127.0.0.1", &srv, &sl);
	int client = e2e_udp("127.0.0.1", &ca, &cl);
	const char *stats_path = e2e_temp_path("control.json");
	const char *fifo = e2e_temp_path("control.fifo");
	const char *errpath = e2e_temp_path("control.err");
	const char *extra[] = { "--control", fifo, NULL };
	struct stat st;
	char stats[4096];
	pid_t pid;
	int i;

	pid = start("127.0.0.1", &srv, stats_path, extra, &relay, &rl,
		    errpath);
	if (stat(fifo, &st) < 0 || !S_ISFIFO(st.st_mode))
		e2e_fail("--control did not create the FIFO %s", fifo);
	round_trip(client, server, &relay, rl, "before");

	write_fifo(fifo, "down\n");
	wait_log(errpath, "applied: down");
	for (i = 0; i < 10; i++)
		send_to(client, "lost", 4, &relay, rl);
	e2e_wait_read(&relay);
	/* A bad line is reported and changes nothing. */
	write_fifo(fifo, "sideways 10%\n");
	wait_log(errpath, "control: unknown command \"sideways\"");
	write_fifo(fifo, "up\n");
	wait_log(errpath, "applied: up");
	/* The ten went into the blackhole before "up": the server's
	 * first datagram is the next one. */
	round_trip(client, server, &relay, rl, "after");

	/* Only a2b is replaced: b2a still answers. */
	write_fifo(fifo, "a2b loss 100%\n");
	wait_log(errpath, "applied: a2b loss 100%");
	send_to(client, "dropped", 7, &relay, rl);
	send_to(client, "dropped", 7, &relay, rl);
	e2e_wait_read(&relay);
	write_fifo(fifo, "both\n");
	wait_log(errpath, "applied: both");
	round_trip(client, server, &relay, rl, "last");

	stop_and_read(pid, stats_path, stats, sizeof(stats));
	expect_stat(stats, "a2b", "dropped_down", 10);
	expect_stat(stats, "a2b", "dropped_loss", 2);
	expect_stat(stats, "a2b", "delivered", 3);
	expect_stat(stats, "b2a", "delivered", 3);
	if (stat(fifo, &st) == 0)
		e2e_fail("the FIFO the relay created is still there");
	close(server);
	close(client);
	printf("ok   control: down, up, bad line, a2b replaced, FIFO "
	       "created and removed\n");
}

static void test_ipv6(void)
{
	struct sockaddr_storage srv, ca, relay;
	socklen_t sl, cl, rl;
	int server, client;
	const char *stats_path = e2e_temp_path("ipv6.json");
	char stats[4096];
	pid_t pid;
	int probe = socket(AF_INET6, SOCK_DGRAM, 0);

	if (probe < 0) {
		printf("skip ipv6: no IPv6 sockets (%s)\n", strerror(errno));
		return;
	}
	close(probe);
	server = e2e_udp("::1", &srv, &sl);
	client = e2e_udp("::1", &ca, &cl);
	pid = start("::1", &srv, stats_path, NULL, &relay, &rl, NULL);
	round_trip(client, server, &relay, rl, "six");
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	expect_stat(stats, "b2a", "delivered", 1);
	close(server);
	close(client);
	printf("ok   ipv6: [::1] both ways\n");
}

static void test_duration(void)
{
	struct sockaddr_storage srv, relay;
	socklen_t sl, rl;
	int server = e2e_udp("127.0.0.1", &srv, &sl);
	const char *errpath = e2e_temp_path("duration.err");
	const char *args[] = {
		"--forward", e2e_addr_str(&srv, 0), "--duration", "0.3", NULL
	};
	char text[4096];
	pid_t pid = e2e_relay_start("127.0.0.1", args, &relay, &rl, errpath);

	/* It ends by itself: e2e_relay_stop's SIGTERM may find it gone or
	 * stopping, and either way the status must be 0. */
	wait_log(errpath, "{\"a2b\":{\"received\":0");
	if (e2e_relay_stop(pid) != 0)
		e2e_fail("--duration: nonzero exit");
	e2e_read_file(errpath, text, sizeof(text));
	if (!strstr(text, "\"relay\":{"))
		e2e_fail("--duration: no statistics on stderr: %s", text);
	close(server);
	printf("ok   duration: ends by itself, statistics on stderr\n");
}

static void test_limits(void)
{
	struct sockaddr_storage srv, a, b, c, relay, from;
	socklen_t sl, la, lb, lc, rl;
	int server = e2e_udp("127.0.0.1", &srv, &sl);
	int ca = e2e_udp("127.0.0.1", &a, &la);
	int cb = e2e_udp("127.0.0.1", &b, &lb);
	int cc = e2e_udp("127.0.0.1", &c, &lc);
	const char *stats_path = e2e_temp_path("limits.json");
	const char *extra[] = { "--max-flows", "2", "--flow-timeout", "0.2",
				NULL };
	char stats[4096], buf[16];
	pid_t pid;

	pid = start("127.0.0.1", &srv, stats_path, extra, &relay, &rl, NULL);
	send_to(ca, "a", 1, &relay, rl);
	send_to(cb, "b", 1, &relay, rl);
	echo(server, 2);
	expect_reply(ca, "a");
	expect_reply(cb, "b");
	/* A third client while two flows are live: dropped.  Its
	 * datagram must not reach the server, whose next is "a2". */
	send_to(cc, "c", 1, &relay, rl);
	send_to(ca, "a2", 2, &relay, rl);
	if (recv_wait(server, buf, sizeof(buf), &from, WAIT_MS) != 2)
		e2e_fail("--max-flows: the third client got through");
	/* Client b goes idle past the timeout; after a reap c gets in.
	 * Retry until the relay has reaped (bounded). */
	{
		uint64_t end = e2e_now() + WAIT_MS * 1000000ull;
		ssize_t len;

		for (;;) {
			send_to(ca, "a", 1, &relay, rl);
			send_to(cc, "c", 1, &relay, rl);
			len = recv_wait(server, buf, sizeof(buf), &from, 100);
			while (len == 1 && buf[0] == 'a')
				len = recv_wait(server, buf, sizeof(buf),
						&from, 100);
			if (len == 1 && buf[0] == 'c')
				break;
			if (e2e_now() > end)
				e2e_fail("idle flow never reaped");
		}
	}
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	if (e2e_stat(stats, "relay", "dropped_flow_limit") < 1)
		e2e_fail("--max-flows: no drop counted: %s", stats);
	if (e2e_stat(stats, "relay", "flows") < 3)
		e2e_fail("--flow-timeout: no flow reopened: %s", stats);
	expect_stat(stats, "relay", "flows_peak", 2);
	close(server);
	close(ca);
	close(cb);
	close(cc);
	printf("ok   limits: --max-flows refuses and counts, idle flows "
	       "close\n");
}

static void test_unreachable(void)
{
	struct sockaddr_storage gone, ca, relay, srv;
	socklen_t gl, cl, rl, sl;
	int dead = e2e_udp("127.0.0.1", &gone, &gl);
	int client = e2e_udp("127.0.0.1", &ca, &cl);
	const char *stats_path = e2e_temp_path("unreachable.json");
	char stats[4096];
	pid_t pid;
	int i, server;

	/* A port nobody listens on any more. */
	close(dead);
	pid = start("127.0.0.1", &gone, stats_path, NULL, &relay, &rl, NULL);
	for (i = 0; i < 20; i++)
		send_to(client, "void", 4, &relay, rl);
	/* Read means relayed: with no delay, a datagram leaves in the
	 * loop turn that read it, before the relay looks at SIGTERM. */
	e2e_wait_read(&relay);
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	if (e2e_stat(stats, "a2b", "received") != 20)
		e2e_fail("unreachable: not all received: %s", stats);
	if (e2e_stat(stats, "a2b", "delivered") +
	    e2e_stat(stats, "relay", "send_errors") != 20)
		e2e_fail("unreachable: datagrams unaccounted for: %s", stats);

	/* And a relay toward a live server still works afterwards. */
	server = e2e_udp("127.0.0.1", &srv, &sl);
	pid = start("127.0.0.1", &srv, stats_path, NULL, &relay, &rl, NULL);
	round_trip(client, server, &relay, rl, "alive");
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	close(server);
	close(client);
	printf("ok   unreachable: refused datagrams counted, no crash\n");
}

static void test_big(void)
{
	struct sockaddr_storage srv, ca, relay, from;
	socklen_t sl, cl, rl;
	int server = e2e_udp("127.0.0.1", &srv, &sl);
	int client = e2e_udp("127.0.0.1", &ca, &cl);
	const char *stats_path = e2e_temp_path("big.json");
	static uint8_t out[60000], in[65536];
	char stats[4096];
	ssize_t len;
	pid_t pid;

	e2e_dgram_fill(out, sizeof(out), 1, 0);
	pid = start("127.0.0.1", &srv, stats_path, NULL, &relay, &rl, NULL);
	send_to(client, out, sizeof(out), &relay, rl);
	len = recv_wait(server, in, sizeof(in), &from, WAIT_MS);
	if (len != (ssize_t)sizeof(out) || memcmp(in, out, sizeof(out)))
		e2e_fail("big datagram: got %zd bytes", len);
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	close(server);
	close(client);
	printf("ok   big: 60000 bytes whole\n");
}

static void test_gso(void)
{
	struct sockaddr_storage srv, ca, relay, from;
	socklen_t sl, cl, rl;
	int server = e2e_udp("127.0.0.1", &srv, &sl);
	int client = e2e_udp("127.0.0.1", &ca, &cl);
	const char *stats_path = e2e_temp_path("gso.json");
	const char *extra[] = { "--a2b", "duplicate 100%", NULL };
	static uint8_t out[1050], in[65536];
	struct iovec iov = { out, sizeof(out) };
	char stats[4096];
	unsigned i, sizes[2] = { 0, 0 };
	ssize_t len;
	pid_t pid;

	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)i;
	pid = start("127.0.0.1", &srv, stats_path, extra, &relay, &rl, NULL);
	if (e2e_send_gso(client, &relay, rl, &iov, 1, 100) < 0) {
		printf("skip gso: no UDP_SEGMENT here (%s)\n",
		       strerror(errno));
		e2e_relay_stop(pid);
		close(server);
		close(client);
		return;
	}
	/* Ten of 100 bytes and one of 50, each twice: 22 datagrams. */
	for (i = 0; i < 22; i++) {
		len = recv_wait(server, in, sizeof(in), &from, WAIT_MS);
		if (len != 100 && len != 50)
			e2e_fail("gso: datagram %u is %zd bytes", i, len);
		sizes[len == 50]++;
	}
	if (sizes[0] != 20 || sizes[1] != 2)
		e2e_fail("gso: %u of 100 bytes and %u of 50", sizes[0],
			 sizes[1]);
	stop_and_read(pid, stats_path, stats, sizeof(stats));
	expect_stat(stats, "a2b", "received", 11);
	expect_stat(stats, "a2b", "duplicated", 11);
	expect_stat(stats, "a2b", "delivered", 22);
	close(server);
	close(client);
	printf("ok   gso: a glued read is eleven datagrams to the model\n");
}

int main(void)
{
	e2e_init(NAME, 120);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_flows();
	test_control();
	test_ipv6();
	test_duration();
	test_limits();
	test_unreachable();
	test_big();
	test_gso();
	printf("%s: PASS\n", NAME);
	return 0;
}
