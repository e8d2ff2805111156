/*
 * itest_many.c: 1,000 concurrent client connections to one listener on
 * one UDP port, each moving 1 MiB both ways, all byte-exact, within a
 * bounded time (quick: 200 connections of 256 KiB).
 *
 * The server is this process, the clients a child: both non-blocking,
 * driven by level-triggered epoll.  A connection's streams are named by
 * the client's port, which both ends know (getsockname on one side, the
 * accepted peer address on the other), so every byte is checked without
 * any header.  The clients hold every connection open before they send
 * or read anything, so all of them exist at once, and start at most
 * CONNECTING_MAX handshakes at a time, as a real client pool would.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "integration/itest.h"

#define FULL_CONNS 1000
#define FULL_BYTES (1u << 20)
#define QUICK_CONNS 200
#define QUICK_BYTES (256u << 10)

/* Handshakes a client keeps in flight at once. */
#define CONNECTING_MAX 64

/* The bound on the whole transfer, after all connections are open. */
#define TRANSFER_TIMEOUT_MS 240000

/* Each rdt socket holds 2 descriptors, a client socket also its UDP one. */
#define FDS_PER_CONN 3

struct conn {
	struct itest_stream s;
	char name[32];
	bool connected;
};

static unsigned int nconns;
static uint64_t nbytes;

/* Client to server is stream 2*port, server to client 2*port+1. */
static void conn_init(struct conn *c, int fd, uint16_t client_port,
		      bool client)
{
	uint64_t up = 2 * (uint64_t)client_port, down = up + 1;

	snprintf(c->name, sizeof(c->name), "%s %u", client ? "client" :
		 "server conn", client_port);
	if (client)
		itest_stream_init(&c->s, fd, c->name, up, nbytes, down,
				  nbytes);
	else
		itest_stream_init(&c->s, fd, c->name, down, nbytes, up,
				  nbytes);
}

static void ep_ctl(int ep, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	CHECK_OK(epoll_ctl(ep, op, fd, &ev));
}

/*
 * Handle readiness of |c|; returns true when it is finished (and closed).
 * Once everything is sent only input matters, or the level-triggered
 * POLLOUT would wake us forever.
 */
static bool conn_ready(int ep, struct conn *c)
{
	bool was_shut = c->s.shut;
	int r = itest_stream_io(&c->s);

	CHECK(r >= 0, "%s: failed after %" PRIu64 " bytes sent and %"
	      PRIu64 " received: %s", c->name, c->s.sent, c->s.received,
	      itest_errname(c->s.error));
	if (r == 1) {
		CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, c->s.fd, NULL));
		CHECK_OK(rdt_close(c->s.fd));
		return true;
	}
	if (c->s.shut && !was_shut)
		ep_ctl(ep, EPOLL_CTL_MOD, c->s.fd, EPOLLIN, c);
	return false;
}

/* Start the next non-blocking connect; its completion shows as EPOLLOUT. */
static void client_connect(int ep, struct conn *c,
			   const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = rdt_socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	CHECK(fd >= 0, "socket: %s", itest_errname(errno));
	errno = 0;
	CHECK(rdt_connect(fd, (const struct sockaddr *)ss, len) == -1 &&
	      errno == EINPROGRESS, "non-blocking connect: expected "
	      "EINPROGRESS, got %s", itest_errname(errno));
	c->s.fd = fd;
	ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLOUT, c);
}

/* A handshake finished: SO_ERROR says how. */
static void client_connected(int ep, struct conn *c)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);
	int err = -1, fd = c->s.fd;
	socklen_t elen = sizeof(err);

	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen));
	CHECK(err == 0, "connect: %s", itest_errname(err));
	CHECK_OK(rdt_getsockname(fd, (struct sockaddr *)&me, &len));
	conn_init(c, fd, itest_port(&me), true);
	c->connected = true;
	/* Silent until every connection is open. */
	ep_ctl(ep, EPOLL_CTL_MOD, fd, 0, c);
}

static void run_clients(uint16_t port)
{
	struct conn *conns = calloc(nconns, sizeof(*conns));
	struct epoll_event evs[256];
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, port);
	unsigned int started = 0, connected = 0, done = 0, i;
	int64_t deadline = itest_now_ms() + 60000;
	int ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));

	CHECK(conns != NULL, "out of memory");
	while (connected < nconns) {
		int n, k;

		while (started < nconns && started - connected < CONNECTING_MAX)
			client_connect(ep, &conns[started++], &ss, len);
		CHECK(itest_now_ms() < deadline, "only %u of %u connections "
		      "open after 60 s", connected, nconns);
		n = epoll_wait(ep, evs, 256, 1000);
		CHECK(n >= 0 || errno == EINTR, "epoll_wait: %s",
		      itest_errname(errno));
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c->connected)
				continue;
			client_connected(ep, c);
			connected++;
		}
	}
	itest_log("clients: %u connections open at once", connected);
	for (i = 0; i < nconns; i++)
		ep_ctl(ep, EPOLL_CTL_MOD, conns[i].s.fd, EPOLLIN | EPOLLOUT,
		       &conns[i]);
	deadline = itest_now_ms() + TRANSFER_TIMEOUT_MS;
	while (done < nconns) {
		int n, k;

		CHECK(itest_now_ms() < deadline, "clients: %u of %u finished "
		      "after %d ms", done, nconns, TRANSFER_TIMEOUT_MS);
		n = epoll_wait(ep, evs, 256, 1000);
		CHECK(n >= 0 || errno == EINTR, "epoll_wait: %s",
		      itest_errname(errno));
		for (k = 0; k < n; k++)
			done += conn_ready(ep, evs[k].data.ptr);
	}
	close(ep);
	free(conns);
}

/* Accept whatever is waiting; returns how many. */
static unsigned int server_accept(int ep, int lfd, struct conn *conns,
				  unsigned int accepted)
{
	unsigned int n = 0;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = rdt_accept4(lfd, (struct sockaddr *)&peer, &len,
				     SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0) {
			CHECK(errno == EAGAIN, "accept: %s",
			      itest_errname(errno));
			return n;
		}
		CHECK(accepted + n < nconns, "more than %u connections "
		      "accepted", nconns);
		c = &conns[accepted + n++];
		conn_init(c, fd, itest_port(&peer), false);
		ep_ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT, c);
	}
}

static void test_many(void)
{
	struct conn *conns;
	struct epoll_event evs[256];
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned int accepted = 0, done = 0;
	int64_t start, took, deadline;
	long limit;
	int pfd[2], done_pipe[2], ep, lfd;
	double mbit;
	pid_t pid;

	nconns = itest_quick() ? QUICK_CONNS : FULL_CONNS;
	nbytes = itest_quick() ? QUICK_BYTES : FULL_BYTES;
	limit = itest_raise_nofile();
	if (limit < (long)nconns * FDS_PER_CONN + 64)
		itest_skip("RLIMIT_NOFILE hard limit %ld is below the %u "
			   "descriptors %u connections need", limit,
			   nconns * FDS_PER_CONN + 64, nconns);

	CHECK_OK(pipe(pfd));
	CHECK_OK(pipe(done_pipe));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		close(done_pipe[1]);
		run_clients(itest_recv_port(pfd[0]));
		itest_wait_eof(done_pipe[0]);
		_exit(0);
	}
	close(done_pipe[0]);
	conns = calloc(nconns, sizeof(*conns));
	CHECK(conns != NULL, "out of memory");
	lfd = itest_listen(AF_INET, (int)nconns, SOCK_NONBLOCK, &ss, &len);
	ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
	ep_ctl(ep, EPOLL_CTL_ADD, lfd, EPOLLIN, NULL);
	itest_send_port(pfd[1], itest_port(&ss));

	start = itest_now_ms();
	deadline = start + 60000 + TRANSFER_TIMEOUT_MS;
	while (done < nconns) {
		int n, k;

		CHECK(itest_now_ms() < deadline, "server: %u accepted, %u of "
		      "%u finished in time", accepted, done, nconns);
		n = epoll_wait(ep, evs, 256, 1000);
		CHECK(n >= 0 || errno == EINTR, "epoll_wait: %s",
		      itest_errname(errno));
		for (k = 0; k < n; k++) {
			if (evs[k].data.ptr == NULL)
				accepted += server_accept(ep, lfd, conns,
							  accepted);
			else
				done += conn_ready(ep, evs[k].data.ptr);
		}
	}
	took = itest_now_ms() - start;
	close(done_pipe[1]);
	itest_wait_ok(pid, "clients");
	mbit = 2.0 * nconns * nbytes * 8 / 1e6 / ((double)took / 1000);
	itest_log("%u connections x %" PRIu64 " bytes each way, byte-exact, "
		  "in %.2f s: %.0f Mbit/s in total", nconns, nbytes,
		  took / 1000.0, mbit);
	CHECK_OK(rdt_close(lfd));
	close(ep);
	free(conns);
}

static const struct itest_case cases[] = {
	{ "many", test_many, 330 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
