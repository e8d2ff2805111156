/*
 * itest_tcpcompat.c: TCP code ported by prefixing its calls with rdt_
 * and nothing else.
 *
 *   getaddrinfo  the textbook server and client loops (as OpenBSD
 *                netcat's): getaddrinfo with AI_PASSIVE, every result
 *                tried with its own family, type and protocol (6),
 *                SO_REUSEADDR, SO_REUSEPORT and TCP_NODELAY set, then a
 *                1 MiB exchange verified each way, over "localhost"
 *                (IPv4) and "::1";
 *   tcp_options  every IPPROTO_TCP option rdt honours reads back what was
 *                set, in TCP's units, and refuses out-of-range values as
 *                Linux does; TCP_INFO after a transfer reports the state,
 *                RTT and byte counts RDT_INFO reports; options rdt cannot
 *                honour fail with ENOPROTOOPT;
 *   sol_socket   SO_TYPE, SO_DOMAIN, SO_PROTOCOL answer as on TCP.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <linux/tcp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/itest.h"

#define EXCHANGE (1u << 20)

/* The server half of the textbook loop; returns the listener. */
static int textbook_listen(int family, char *port, size_t portlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(family == AF_INET6 ? "::1" : "127.0.0.1", "0",
			 &hints, &res);
	CHECK(rc == 0, "getaddrinfo: %s", gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		CHECK(ai->ai_protocol == IPPROTO_TCP, "getaddrinfo gave "
		      "protocol %d", ai->ai_protocol);
		fd = rdt_socket(ai->ai_family, ai->ai_socktype,
				ai->ai_protocol);
		if (fd < 0)
			continue;
		CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
					sizeof(one)));
		CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
					sizeof(one)));
		if (rdt_bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    rdt_listen(fd, 5) == 0)
			break;
		rdt_close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	CHECK(fd >= 0, "no address could listen");
	CHECK_OK(rdt_getsockname(fd, (struct sockaddr *)&ss, &len));
	snprintf(port, portlen, "%u", itest_port(&ss));
	return fd;
}

/* The client half: every result until one connects. */
static int textbook_connect(int family, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	/* This machine's /etc/hosts may name no IPv6 localhost. */
	rc = getaddrinfo(family == AF_INET6 ? "::1" : "localhost", port,
			 &hints, &res);
	if (rc != 0)
		itest_skip("getaddrinfo(localhost, family %d): %s", family,
			   gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = rdt_socket(ai->ai_family, ai->ai_socktype,
				ai->ai_protocol);
		if (fd < 0)
			continue;
		CHECK_OK(rdt_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					sizeof(one)));
		if (rdt_connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		rdt_close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	CHECK(fd >= 0, "no address of localhost connected");
	return fd;
}

/* Writes stream |out| and reads stream |in|, EXCHANGE bytes each, with
 * the rdt calls, the way a netcat loop does. */
static void exchange(int fd, uint64_t out, uint64_t in)
{
	static uint8_t buf[EXCHANGE];
	size_t got = 0;

	itest_pattern_fill(buf, sizeof(buf), out, 0);
	CHECK(rdt_write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	      "write: %s", itest_errname(errno));
	CHECK_OK(rdt_shutdown(fd, SHUT_WR));
	for (;;) {
		ssize_t n = rdt_read(fd, buf + got, sizeof(buf) - got);

		CHECK(n >= 0, "read: %s", itest_errname(errno));
		if (n == 0)
			break;
		got += (size_t)n;
		CHECK(got <= sizeof(buf), "more bytes than sent");
		if (got == sizeof(buf)) {
			char c;

			CHECK(rdt_read(fd, &c, 1) == 0, "no end of stream");
			break;
		}
	}
	CHECK(got == EXCHANGE, "read %zu bytes", got);
	CHECK(itest_pattern_find_error(buf, got, in, 0) < 0, "wrong bytes");
}

static void run_textbook(int family)
{
	char port[16];
	int pfd[2], lfd, fd;
	pid_t pid;

	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		char p[16];
		ssize_t n;

		close(pfd[1]);
		n = read(pfd[0], p, sizeof(p) - 1);
		CHECK(n > 0, "no port from the server");
		p[n] = '\0';
		fd = textbook_connect(family, p);
		exchange(fd, 1, 2);
		CHECK_OK(rdt_close(fd));
		exit(0);
	}
	close(pfd[0]);
	lfd = textbook_listen(family, port, sizeof(port));
	CHECK(write(pfd[1], port, strlen(port)) > 0, "sending the port");
	fd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	exchange(fd, 2, 1);
	CHECK_OK(rdt_close(fd));
	CHECK_OK(rdt_close(lfd));
	itest_wait_ok(pid, "client");
	close(pfd[1]);
}

static void test_getaddrinfo4(void)
{
	run_textbook(AF_INET);
}

static void test_getaddrinfo6(void)
{
	run_textbook(AF_INET6);
}

static int get_tcp(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	CHECK_OK(rdt_getsockopt(fd, IPPROTO_TCP, name, &v, &len));
	return v;
}

static void test_tcp_options(void)
{
	static const struct {
		int name, value;
	} honoured[] = {
		{ TCP_NODELAY, 1 },	{ TCP_KEEPIDLE, 30 },
		{ TCP_KEEPINTVL, 5 },	{ TCP_KEEPCNT, 4 },
		{ TCP_USER_TIMEOUT, 15000 },
	};
	static const int refused[] = { TCP_CORK, TCP_DEFER_ACCEPT,
				       TCP_FASTOPEN, TCP_WINDOW_CLAMP };
	struct itest_pair p;
	struct tcp_info ti;
	struct rdt_info ri;
	socklen_t len = sizeof(ti);
	char cc[16], buf[65536];
	size_t i, got = 0;
	int bad = 0;

	itest_pair_open(&p, AF_INET);
	for (i = 0; i < sizeof(honoured) / sizeof(honoured[0]); i++) {
		itest_setopt_int(p.cfd, IPPROTO_TCP, honoured[i].name,
				 honoured[i].value);
		CHECK(get_tcp(p.cfd, honoured[i].name) == honoured[i].value,
		      "option %d reads back %d, not %d", honoured[i].name,
		      get_tcp(p.cfd, honoured[i].name), honoured[i].value);
	}
	CHECK_ERR(rdt_setsockopt(p.cfd, IPPROTO_TCP, TCP_KEEPIDLE, &bad,
				 sizeof(bad)), EINVAL);
	bad = 128;
	CHECK_ERR(rdt_setsockopt(p.cfd, IPPROTO_TCP, TCP_KEEPCNT, &bad,
				 sizeof(bad)), EINVAL);
	/* Chosen before the connection starts, as the controller is. */
	CHECK_ERR(rdt_setsockopt(p.cfd, IPPROTO_TCP, TCP_CONGESTION, "cubic",
				 5), EISCONN);
	{
		int fresh = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));

		CHECK_OK(rdt_setsockopt(fresh, IPPROTO_TCP, TCP_CONGESTION,
					"cubic", 5));
		len = sizeof(cc);
		CHECK_OK(rdt_getsockopt(fresh, IPPROTO_TCP, TCP_CONGESTION, cc,
					&len));
		CHECK(strcmp(cc, "cubic") == 0, "TCP_CONGESTION reads %s", cc);
		CHECK_OK(rdt_close(fresh));
	}
	len = sizeof(cc);
	CHECK_OK(rdt_getsockopt(p.cfd, IPPROTO_TCP, TCP_CONGESTION, cc,
				&len));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int one = 1;

		CHECK_ERR(rdt_setsockopt(p.cfd, IPPROTO_TCP, refused[i], &one,
					 sizeof(one)), ENOPROTOOPT);
	}
	CHECK(get_tcp(p.cfd, TCP_MAXSEG) > 500, "TCP_MAXSEG %d",
	      get_tcp(p.cfd, TCP_MAXSEG));

	/* A transfer, then TCP_INFO agrees with RDT_INFO. */
	memset(buf, 'x', sizeof(buf));
	CHECK(write(p.cfd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "write");
	while (got < sizeof(buf)) {
		ssize_t n = read(p.sfd, buf, sizeof(buf));

		CHECK(n > 0, "read: %s", itest_errname(errno));
		got += (size_t)n;
	}
	len = sizeof(ti);
	CHECK_OK(rdt_getsockopt(p.sfd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	CHECK(len == sizeof(ti), "TCP_INFO length %u", (unsigned)len);
	CHECK(ti.tcpi_state == 1, "tcpi_state %u, not ESTABLISHED",
	      ti.tcpi_state);
	CHECK(ti.tcpi_bytes_received == sizeof(buf),
	      "tcpi_bytes_received %" PRIu64, (uint64_t)ti.tcpi_bytes_received);
	len = sizeof(ti);
	CHECK_OK(rdt_getsockopt(p.cfd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	itest_info(p.cfd, &ri);
	CHECK(ti.tcpi_rtt == ri.srtt_us && ti.tcpi_rtt > 0,
	      "tcpi_rtt %u, RDT_INFO srtt %u", ti.tcpi_rtt, ri.srtt_us);
	CHECK(ti.tcpi_bytes_acked <= ri.bytes_acked &&
	      ti.tcpi_bytes_sent >= sizeof(buf), "byte counts");
	CHECK(ti.tcpi_snd_cwnd > 0 && ti.tcpi_snd_mss > 0, "cwnd %u mss %u",
	      ti.tcpi_snd_cwnd, ti.tcpi_snd_mss);
	CHECK(strcmp(ri.cc_name, cc) == 0, "RDT_INFO cc_name %s, "
	      "TCP_CONGESTION %s", ri.cc_name, cc);
	itest_log("TCP_INFO: rtt %u us, cwnd %u x %u bytes, %s in %s",
		  ti.tcpi_rtt, ti.tcpi_snd_cwnd, ti.tcpi_snd_mss, ri.cc_name,
		  ri.cc_state);
	itest_pair_close(&p);
}

static void test_sol_socket(void)
{
	int fd = CHECK_OK(rdt_socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP));
	int v;
	socklen_t len = sizeof(v);

	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	CHECK(v == SOCK_STREAM, "SO_TYPE %d", v);
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
	CHECK(v == AF_INET6, "SO_DOMAIN %d", v);
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	CHECK(v == IPPROTO_TCP, "SO_PROTOCOL %d", v);
	CHECK_OK(rdt_close(fd));
}

static const struct itest_case cases[] = {
	{ "getaddrinfo4", test_getaddrinfo4, 60 },
	{ "getaddrinfo6", test_getaddrinfo6, 60 },
	{ "tcp_options", test_tcp_options, 60 },
	{ "sol_socket", test_sol_socket, 10 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
