/*
 * itest_api.c: the semantics of the socket API on loopback, one case per
 * behaviour a TCP program relies on.
 *
 * Reads: MSG_PEEK, MSG_WAITALL, partial reads, readv/writev.  Closing:
 * SHUT_WR and SHUT_RD, graceful close that still delivers what was
 * queued, resets by SO_LINGER {1, 0} and by closing with unread data.
 * Addresses: getsockname/getpeername on IPv4 and IPv6, truncation, IPv4
 * peers of an IPv6 listener.  Readiness: what poll reports in each state.
 * Descriptors: accept4 flags, rdt_fcntl.  Options: every option of rdt.h
 * set and read back, inherited through accept, and RDT_INFO after a
 * transfer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/itest.h"

/* Bytes the graceful-close cases queue before closing: at reduced sizes
 * (RDT_TEST_QUICK, which valgrind.sh sets) a quarter, so that they stay
 * within their 30 s wait under valgrind too. */
#define CLOSE_BYTES (itest_quick() ? 4u << 20 : 16u << 20)

/* How long a case waits for something the peer does on loopback. */
#define PEER_WAIT_MS 3000

/* Send all of |len| bytes with a blocking socket. */
static void send_all(int fd, const void *buf, size_t len)
{
	ssize_t n = rdt_send(fd, buf, len, MSG_NOSIGNAL);

	CHECK(n == (ssize_t)len, "blocking send of %zu bytes: got %zd (%s)",
	      len, n, n < 0 ? itest_errname(errno) : "short");
}

/* Receive exactly |len| bytes and compare them with |want|. */
static void recv_expect(int fd, const void *want, size_t len)
{
	char buf[256];
	ssize_t n;

	CHECK(len <= sizeof(buf), "recv_expect: %zu bytes is too long", len);
	n = rdt_recv(fd, buf, len, MSG_WAITALL);
	CHECK(n == (ssize_t)len, "expected %zu bytes, got %zd (%s)", len, n,
	      n < 0 ? itest_errname(errno) : "short");
	CHECK(memcmp(buf, want, len) == 0, "expected \"%.*s\", got \"%.*s\"",
	      (int)len, (const char *)want, (int)len, buf);
}

/* Wait for |events| on |fd|; returns revents (0 on timeout). */
static short wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = rdt_poll(&p, 1, timeout_ms);

	CHECK(n >= 0, "rdt_poll: %s", itest_errname(errno));
	return n ? p.revents : 0;
}

static void set_timeout(int fd, int name, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)));
}

/* --- reads ---------------------------------------------------------------- */

static void test_peek(void)
{
	struct itest_pair p;
	char buf[16];

	itest_pair_open(&p, AF_INET);
	send_all(p.cfd, "hello world", 11);
	CHECK(wait_for(p.sfd, POLLIN, PEER_WAIT_MS) & POLLIN,
	      "no data within %d ms", PEER_WAIT_MS);
	CHECK(rdt_recv(p.sfd, buf, 5, MSG_PEEK) == 5, "peek: %s",
	      itest_errname(errno));
	CHECK(!memcmp(buf, "hello", 5), "peek: expected \"hello\", got "
	      "\"%.5s\"", buf);
	CHECK(rdt_recv(p.sfd, buf, 5, MSG_PEEK | MSG_DONTWAIT) == 5,
	      "second peek: %s", itest_errname(errno));
	CHECK(!memcmp(buf, "hello", 5), "second peek: expected \"hello\", "
	      "got \"%.5s\"", buf);
	recv_expect(p.sfd, "hello world", 11);
	CHECK_ERR(rdt_recv(p.sfd, buf, 1, MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	itest_pair_close(&p);
}

struct slow_writer {
	int fd;
	size_t total, chunk;
};

/* Writes a pattern stream in small pieces, each a separate datagram. */
static void *slow_writer_run(void *arg)
{
	struct slow_writer *w = arg;
	uint8_t buf[4096];
	size_t off = 0;

	itest_setopt_int(w->fd, RDT_SOL, RDT_NODELAY, 1);
	while (off < w->total) {
		size_t len = w->total - off < w->chunk ? w->total - off :
							  w->chunk;

		itest_pattern_fill(buf, len, 7, off);
		send_all(w->fd, buf, len);
		off += len;
	}
	return NULL;
}

/* MSG_WAITALL collects many small writes into one full read, and
 * returns short only at end of stream. */
static void test_waitall(void)
{
	static uint8_t buf[100000];
	struct slow_writer w;
	struct itest_pair p;
	pthread_t t;
	ptrdiff_t bad;
	ssize_t n;

	itest_pair_open(&p, AF_INET);
	w = (struct slow_writer){ .fd = p.cfd, .total = sizeof(buf),
				  .chunk = 1000 };
	CHECK(pthread_create(&t, NULL, slow_writer_run, &w) == 0,
	      "pthread_create failed");
	n = rdt_recv(p.sfd, buf, sizeof(buf), MSG_WAITALL);
	CHECK(n == (ssize_t)sizeof(buf), "MSG_WAITALL of %zu bytes written "
	      "in 1000-byte pieces: got %zd (%s)", sizeof(buf), n,
	      n < 0 ? itest_errname(errno) : "short");
	bad = itest_pattern_find_error(buf, sizeof(buf), 7, 0);
	CHECK(bad < 0, "byte %td differs", bad);
	pthread_join(t, NULL);

	send_all(p.cfd, "0123456789", 10);
	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	n = rdt_recv(p.sfd, buf, 100, MSG_WAITALL);
	CHECK(n == 10, "MSG_WAITALL of 100 bytes when 10 and end of stream "
	      "come: expected 10, got %zd (%s)", n,
	      n < 0 ? itest_errname(errno) : "");
	CHECK(rdt_recv(p.sfd, buf, 100, MSG_WAITALL) == 0, "expected end of "
	      "stream, got %s", itest_errname(errno));
	itest_pair_close(&p);
}

/* A read returns what is there, never more than asked; the pieces add
 * up to the stream. */
static void test_partial_reads(void)
{
	static uint8_t out[200000], in[sizeof(out)];
	struct itest_pair p;
	size_t got = 0, reads = 0;
	ptrdiff_t bad;

	itest_pair_open(&p, AF_INET);
	itest_pattern_fill(out, sizeof(out), 3, 0);
	send_all(p.cfd, out, sizeof(out));
	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	set_timeout(p.sfd, SO_RCVTIMEO, PEER_WAIT_MS);
	for (;;) {
		size_t ask = 1 + (reads * 7919) % 3000;
		ssize_t n;

		if (ask > sizeof(in) - got)
			ask = sizeof(in) - got + 1;
		n = rdt_recv(p.sfd, in + got, ask, 0);
		CHECK(n >= 0, "read %zu: %s", reads, itest_errname(errno));
		if (n == 0)
			break;
		CHECK((size_t)n <= ask, "read of %zu returned %zd", ask, n);
		got += (size_t)n;
		reads++;
	}
	CHECK(got == sizeof(out), "expected %zu bytes, got %zu", sizeof(out),
	      got);
	bad = itest_pattern_find_error(in, got, 3, 0);
	CHECK(bad < 0, "byte %td differs", bad);
	itest_log("%zu bytes in %zu reads", got, reads);
	itest_pair_close(&p);
}

static void test_readv_writev(void)
{
	char a[] = "scatter", b[] = "-", c[] = "gather";
	struct iovec out[3] = { { a, 7 }, { b, 1 }, { c, 6 } };
	char x[3] = { 0 }, y[5] = { 0 }, z[32] = { 0 };
	struct iovec in[3] = { { x, 3 }, { y, 5 }, { z, sizeof(z) } };
	struct itest_pair p;
	ssize_t n;

	itest_pair_open(&p, AF_INET);
	n = rdt_writev(p.cfd, out, 3);
	CHECK(n == 14, "writev of 14 bytes: got %zd (%s)", n,
	      n < 0 ? itest_errname(errno) : "short");
	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	CHECK(wait_for(p.sfd, POLLRDHUP, PEER_WAIT_MS) & POLLRDHUP,
	      "no end of stream within %d ms", PEER_WAIT_MS);
	n = rdt_readv(p.sfd, in, 3);
	CHECK(n == 14, "readv: expected 14 bytes, got %zd (%s)", n,
	      n < 0 ? itest_errname(errno) : "");
	CHECK(!memcmp(x, "sca", 3) && !memcmp(y, "tter-", 5) &&
	      !strcmp(z, "gather"), "readv: expected \"sca\" \"tter-\" "
	      "\"gather\", got \"%.3s\" \"%.5s\" \"%s\"", x, y, z);
	CHECK(rdt_readv(p.sfd, in, 3) == 0, "expected end of stream");
	itest_pair_close(&p);
}

/* --- closing -------------------------------------------------------------- */

/* SHUT_WR: the peer reads end of stream and can still send back. */
static void test_shutdown_wr(void)
{
	struct itest_pair p;
	char c;

	itest_pair_open(&p, AF_INET);
	set_timeout(p.cfd, SO_RCVTIMEO, PEER_WAIT_MS);
	set_timeout(p.sfd, SO_RCVTIMEO, PEER_WAIT_MS);
	send_all(p.cfd, "question", 8);
	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	recv_expect(p.sfd, "question", 8);
	CHECK(rdt_recv(p.sfd, &c, 1, 0) == 0, "expected end of stream after "
	      "SHUT_WR, got %s", itest_errname(errno));
	CHECK(rdt_recv(p.sfd, &c, 1, 0) == 0, "expected end of stream "
	      "again, got %s", itest_errname(errno));
	send_all(p.sfd, "answer", 6);
	recv_expect(p.cfd, "answer", 6);
	CHECK_OK(rdt_shutdown(p.sfd, SHUT_WR));
	CHECK(rdt_recv(p.cfd, &c, 1, 0) == 0, "expected end of stream, got "
	      "%s", itest_errname(errno));
	itest_pair_close(&p);
}

/* SHUT_RD: reads return 0 at once, even with data arriving. */
static void test_shutdown_rd(void)
{
	struct itest_pair p;
	char c;

	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_shutdown(p.sfd, SHUT_RD));
	CHECK(rdt_recv(p.sfd, &c, 1, 0) == 0, "read after SHUT_RD: expected "
	      "0 at once, got %s", itest_errname(errno));
	send_all(p.cfd, "ignored", 7);
	CHECK(rdt_recv(p.sfd, &c, 1, 0) == 0, "read after SHUT_RD with data "
	      "sent: expected 0, got %s", itest_errname(errno));
	/* The other direction still works. */
	send_all(p.sfd, "still", 5);
	recv_expect(p.cfd, "still", 5);
	itest_pair_close(&p);
}

static void *drain_run(void *arg)
{
	struct itest_stream *s = arg;

	itest_stream_run(s, 1, 30000);
	return NULL;
}

/*
 * One thread writing while another reads, on each of the two sockets of
 * a connection, all four in blocking calls at once (rdt.h: one reader
 * and one writer per socket).  Each stream arrives whole and in order.
 */
struct rw_job {
	int fd;
	uint64_t id;
	uint64_t bytes;
	bool write;
};

static void *rw_run(void *arg)
{
	struct rw_job *j = arg;
	static __thread uint8_t buf[256 << 10];
	uint64_t off = 0;
	ssize_t n;

	if (j->write) {
		for (; off < j->bytes; off += sizeof(buf)) {
			itest_pattern_fill(buf, sizeof(buf), j->id, off);
			send_all(j->fd, buf, sizeof(buf));
		}
		CHECK_OK(rdt_shutdown(j->fd, SHUT_WR));
		return NULL;
	}
	while ((n = rdt_recv(j->fd, buf, sizeof(buf), 0)) > 0) {
		ptrdiff_t bad = itest_pattern_find_error(buf, (size_t)n, j->id,
							 off);

		CHECK(bad < 0, "stream %" PRIu64 ": byte %" PRIu64 " differs",
		      j->id, off + (uint64_t)bad);
		off += (uint64_t)n;
	}
	CHECK(n == 0, "reader of stream %" PRIu64 ": %s", j->id,
	      itest_errname(errno));
	CHECK(off == j->bytes, "stream %" PRIu64 ": %" PRIu64 " bytes, "
	      "expected %" PRIu64, j->id, off, j->bytes);
	return NULL;
}

static void test_reader_writer_threads(void)
{
	uint64_t bytes = (itest_quick() ? 8u : 64u) << 20;
	struct itest_pair p;
	struct rw_job jobs[4];
	pthread_t t[4];
	int i;

	itest_pair_open(&p, AF_INET);
	jobs[0] = (struct rw_job){ p.cfd, 21, bytes, true };
	jobs[1] = (struct rw_job){ p.cfd, 22, bytes, false };
	jobs[2] = (struct rw_job){ p.sfd, 22, bytes, true };
	jobs[3] = (struct rw_job){ p.sfd, 21, bytes, false };
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, rw_run, &jobs[i]) == 0,
		      "pthread_create failed");
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	itest_log("%" PRIu64 " MiB each way, a "
		  "reader and a writer thread on each socket", bytes >> 20);
	itest_pair_close(&p);
}

/*
 * Everything queued before a close is delivered, end of stream after
 * it, although the close returns at once.  The server reads in a thread
 * of its own from the start, as a peer would.
 */
static void test_graceful_close_delivers(void)
{
	static uint8_t buf[1 << 20];
	struct itest_stream s;
	struct itest_pair p;
	uint64_t off;
	int64_t start, took;
	pthread_t t;

	itest_pair_open(&p, AF_INET);
	itest_set_nonblock(p.sfd, true);
	itest_stream_init(&s, p.sfd, "server", 12, 0, 11, CLOSE_BYTES);
	CHECK(pthread_create(&t, NULL, drain_run, &s) == 0,
	      "pthread_create failed");
	for (off = 0; off < CLOSE_BYTES; off += sizeof(buf)) {
		itest_pattern_fill(buf, sizeof(buf), 11, off);
		send_all(p.cfd, buf, sizeof(buf));
	}
	start = itest_now_ms();
	CHECK_OK(rdt_close(p.cfd));
	took = itest_now_ms() - start;
	CHECK(took < 500, "rdt_close with data queued: expected to return at "
	      "once, it took %" PRId64 " ms", took);
	pthread_join(t, NULL);
	CHECK_OK(rdt_close(p.sfd));
	CHECK_OK(rdt_close(p.lfd));
}

/*
 * SO_LINGER {1, N}: rdt_close blocks until the queued bytes are
 * acknowledged, so when it returns the peer holds every byte.
 */
static void test_linger_waits_for_ack(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 20 };
	static uint8_t buf[1 << 20];
	struct itest_stream s;
	struct itest_pair p;
	struct rdt_info info;
	uint64_t off;
	pthread_t t;

	itest_pair_open(&p, AF_INET);
	itest_set_nonblock(p.sfd, true);
	itest_stream_init(&s, p.sfd, "server", 14, 0, 13, CLOSE_BYTES);
	CHECK(pthread_create(&t, NULL, drain_run, &s) == 0,
	      "pthread_create failed");
	for (off = 0; off < CLOSE_BYTES; off += sizeof(buf)) {
		itest_pattern_fill(buf, sizeof(buf), 13, off);
		send_all(p.cfd, buf, sizeof(buf));
	}
	CHECK_OK(rdt_setsockopt(p.cfd, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	CHECK_OK(rdt_close(p.cfd));
	itest_info(p.sfd, &info);
	CHECK(info.bytes_received == CLOSE_BYTES, "rdt_close with SO_LINGER "
	      "{1, 20} returned when the peer had %" PRIu64 " of %u bytes",
	      info.bytes_received, CLOSE_BYTES);
	pthread_join(t, NULL);
	CHECK_OK(rdt_close(p.sfd));
	CHECK_OK(rdt_close(p.lfd));
}

/*
 * A process that closes and exits at once still delivers what it
 * queued, as it would over TCP: the library finishes the job at exit.
 */
static void test_exit_delivers(void)
{
	struct sockaddr_storage ss;
	struct itest_stream s;
	socklen_t len;
	int pfd[2], lfd, fd;
	pid_t pid;

	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		static uint8_t buf[1 << 20];
		uint64_t off;

		len = itest_loopback(&ss, AF_INET, itest_recv_port(pfd[0]));
		fd = itest_connect(&ss, len);
		for (off = 0; off < CLOSE_BYTES; off += sizeof(buf)) {
			itest_pattern_fill(buf, sizeof(buf), 15, off);
			send_all(fd, buf, sizeof(buf));
		}
		CHECK_OK(rdt_close(fd));
		exit(0);
	}
	lfd = itest_listen(AF_INET, 1, 0, &ss, &len);
	itest_send_port(pfd[1], itest_port(&ss));
	fd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	itest_set_nonblock(fd, true);
	itest_stream_init(&s, fd, "server", 16, 0, 15, CLOSE_BYTES);
	itest_stream_run(&s, 1, 30000);
	itest_wait_ok(pid, "the writer");
	CHECK_OK(rdt_close(fd));
	CHECK_OK(rdt_close(lfd));
}

/* The peer of a reset sees POLLHUP|POLLERR and ECONNRESET. */
static void expect_reset(int fd)
{
	short ev = wait_for(fd, POLLIN, PEER_WAIT_MS);
	int err = -1;
	socklen_t len = sizeof(err);

	CHECK((ev & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR), "after the "
	      "peer's reset: expected POLLHUP|POLLERR, got revents 0x%x", ev);
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	CHECK(err == ECONNRESET, "SO_ERROR: expected ECONNRESET, got %s",
	      itest_errname(err));
	/* SO_ERROR was read: later calls report the dead connection. */
	CHECK_ERR(rdt_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
}

static void test_linger_zero_resets(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct itest_pair p;
	int64_t start;
	char c;

	itest_pair_open(&p, AF_INET);
	send_all(p.cfd, "bye", 3);
	recv_expect(p.sfd, "bye", 3);
	CHECK_OK(rdt_setsockopt(p.cfd, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	start = itest_now_ms();
	CHECK_OK(rdt_close(p.cfd));
	CHECK(itest_now_ms() - start < 500, "close with SO_LINGER {1, 0} "
	      "must not wait");
	CHECK(wait_for(p.sfd, POLLIN, PEER_WAIT_MS) & POLLERR,
	      "no POLLERR within %d ms of the peer's abortive close",
	      PEER_WAIT_MS);
	CHECK_ERR(rdt_recv(p.sfd, &c, 1, 0), ECONNRESET);
	CHECK_OK(rdt_close(p.sfd));
	CHECK_OK(rdt_close(p.lfd));
}

static void test_close_unread_resets(void)
{
	struct itest_pair p;
	char c;

	itest_pair_open(&p, AF_INET);
	send_all(p.cfd, "unread", 6);
	CHECK(wait_for(p.sfd, POLLIN, PEER_WAIT_MS) & POLLIN,
	      "no data within %d ms", PEER_WAIT_MS);
	CHECK_OK(rdt_close(p.sfd));
	set_timeout(p.cfd, SO_RCVTIMEO, PEER_WAIT_MS);
	CHECK_ERR(rdt_recv(p.cfd, &c, 1, 0), ECONNRESET);
	CHECK_OK(rdt_close(p.cfd));
	CHECK_OK(rdt_close(p.lfd));
}

/* The same, seen through poll and SO_ERROR. */
static void test_poll_after_reset(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct itest_pair p;

	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_setsockopt(p.sfd, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	CHECK_OK(rdt_close(p.sfd));
	expect_reset(p.cfd);
	CHECK_OK(rdt_close(p.cfd));
	CHECK_OK(rdt_close(p.lfd));
}

/* Accepted connections share the listener's port but outlive it. */
static void test_listener_close_keeps_accepted(void)
{
	struct itest_pair p;

	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_close(p.lfd));
	send_all(p.cfd, "alive", 5);
	recv_expect(p.sfd, "alive", 5);
	send_all(p.sfd, "too", 3);
	recv_expect(p.cfd, "too", 3);
	CHECK_OK(rdt_close(p.cfd));
	CHECK_OK(rdt_close(p.sfd));
}

/* Closing a listener resets the connections waiting in its queue. */
static void test_listener_close_resets_queue(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	int cfd = itest_connect(&ss, len);
	char c;

	CHECK(wait_for(lfd, POLLIN, PEER_WAIT_MS) & POLLIN,
	      "listener not readable with a connection waiting");
	CHECK_OK(rdt_close(lfd));
	set_timeout(cfd, SO_RCVTIMEO, PEER_WAIT_MS);
	CHECK_ERR(rdt_recv(cfd, &c, 1, 0), ECONNRESET);
	CHECK_OK(rdt_close(cfd));
}

/* --- addresses ------------------------------------------------------------ */

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family || itest_port(a) != itest_port(b))
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static const char *addr_str(const struct sockaddr_storage *ss)
{
	static __thread char buf[2][INET6_ADDRSTRLEN + 16];
	static __thread int which;
	char host[INET6_ADDRSTRLEN] = "?";
	char *out = buf[which ^= 1];

	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->
			  sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  host, sizeof(host));
	snprintf(out, sizeof(buf[0]), "%s/%s:%u",
		 ss->ss_family == AF_INET6 ? "inet6" : "inet", host,
		 itest_port(ss));
	return out;
}

static void check_names(int family)
{
	struct sockaddr_storage cl, cp, sl, sp, acc;
	socklen_t len, acclen = sizeof(acc);
	struct itest_pair p;
	socklen_t want = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					      sizeof(struct sockaddr_in);

	p.lfd = itest_listen(family, 4, 0, &p.laddr, &p.laddrlen);
	p.cfd = itest_connect(&p.laddr, p.laddrlen);
	p.sfd = CHECK_OK(rdt_accept(p.lfd, (struct sockaddr *)&acc, &acclen));
	CHECK(acclen == want, "accept: address length %u, expected %u",
	      (unsigned int)acclen, (unsigned int)want);

	len = sizeof(cl);
	CHECK_OK(rdt_getsockname(p.cfd, (struct sockaddr *)&cl, &len));
	CHECK(len == want && cl.ss_family == family && itest_port(&cl),
	      "client getsockname: %s, length %u", addr_str(&cl),
	      (unsigned int)len);
	len = sizeof(cp);
	CHECK_OK(rdt_getpeername(p.cfd, (struct sockaddr *)&cp, &len));
	CHECK(len == want && same_addr(&cp, &p.laddr), "client getpeername: "
	      "expected %s, got %s", addr_str(&p.laddr), addr_str(&cp));
	len = sizeof(sl);
	CHECK_OK(rdt_getsockname(p.sfd, (struct sockaddr *)&sl, &len));
	CHECK(len == want && same_addr(&sl, &p.laddr), "accepted "
	      "getsockname: expected the listener's %s, got %s",
	      addr_str(&p.laddr), addr_str(&sl));
	len = sizeof(sp);
	CHECK_OK(rdt_getpeername(p.sfd, (struct sockaddr *)&sp, &len));
	CHECK(same_addr(&sp, &acc), "accepted getpeername %s differs from "
	      "accept's %s", addr_str(&sp), addr_str(&acc));
	CHECK(itest_port(&sp) == itest_port(&cl), "server sees client port "
	      "%u, client has %u", itest_port(&sp), itest_port(&cl));

	/* Truncated: as much as fits, and the full length. */
	memset(&sp, 0xAA, sizeof(sp));
	len = 4;
	CHECK_OK(rdt_getpeername(p.sfd, (struct sockaddr *)&sp, &len));
	CHECK(len == want, "truncated getpeername: expected length %u, got "
	      "%u", (unsigned int)want, (unsigned int)len);
	CHECK(((uint8_t *)&sp)[4] == 0xAA, "getpeername wrote past the 4 "
	      "bytes it was given");
	itest_pair_close(&p);
}

static void test_names_ipv4(void)
{
	check_names(AF_INET);
}

static void test_names_ipv6(void)
{
	check_names(AF_INET6);
}

/* An IPv6 listener on :: takes IPv4 clients as IPv4-mapped peers. */
static void test_ipv4_mapped(void)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_storage ss, peer;
	socklen_t len = sizeof(ss), plen = sizeof(peer);
	int lfd = CHECK_OK(rdt_socket(AF_INET6, SOCK_STREAM, 0));
	int cfd, sfd;
	FILE *f = fopen("/proc/sys/net/ipv6/bindv6only", "r");
	int v6only = 0;

	if (f) {
		if (fscanf(f, "%d", &v6only) != 1)
			v6only = 0;
		fclose(f);
	}
	if (v6only)
		itest_skip("net.ipv6.bindv6only is set");
	CHECK_OK(rdt_bind(lfd, (struct sockaddr *)&any, sizeof(any)));
	CHECK_OK(rdt_listen(lfd, 4));
	CHECK_OK(rdt_getsockname(lfd, (struct sockaddr *)&ss, &len));
	len = itest_loopback(&ss, AF_INET, itest_port(&ss));
	cfd = itest_connect(&ss, len);
	sfd = CHECK_OK(rdt_accept(lfd, (struct sockaddr *)&peer, &plen));
	CHECK(peer.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(
	      &((struct sockaddr_in6 *)&peer)->sin6_addr), "expected an "
	      "IPv4-mapped peer, got %s", addr_str(&peer));
	send_all(cfd, "v4", 2);
	recv_expect(sfd, "v4", 2);
	CHECK_OK(rdt_close(cfd));
	CHECK_OK(rdt_close(sfd));
	CHECK_OK(rdt_close(lfd));
}

/* --- readiness ------------------------------------------------------------ */

static void test_poll_readiness(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	struct itest_pair p;
	short ev;
	char buf[8];

	CHECK(wait_for(lfd, POLLIN, 0) == 0, "idle listener is readable");
	p.lfd = lfd;
	p.cfd = itest_connect(&ss, len);
	ev = wait_for(lfd, POLLIN, PEER_WAIT_MS);
	CHECK(ev == POLLIN, "listener with a connection waiting: expected "
	      "POLLIN, got revents 0x%x", ev);
	p.sfd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	CHECK(wait_for(lfd, POLLIN, 0) == 0, "listener still readable after "
	      "its only connection was accepted");

	ev = wait_for(p.cfd, POLLIN | POLLOUT | POLLRDHUP, 0);
	CHECK(ev == POLLOUT, "fresh connection: expected POLLOUT, got 0x%x",
	      ev);
	send_all(p.cfd, "data", 4);
	ev = wait_for(p.sfd, POLLIN | POLLRDHUP, PEER_WAIT_MS);
	CHECK(ev == POLLIN, "data waiting: expected POLLIN, got 0x%x", ev);
	recv_expect(p.sfd, "data", 4);
	CHECK(wait_for(p.sfd, POLLIN | POLLRDHUP, 0) == 0, "all data read: "
	      "expected no event");

	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	/* Wait for the FIN alone: the socket is writable all along. */
	CHECK(wait_for(p.sfd, POLLRDHUP, PEER_WAIT_MS), "no POLLRDHUP within "
	      "%d ms of the peer's SHUT_WR", PEER_WAIT_MS);
	ev = wait_for(p.sfd, POLLIN | POLLRDHUP | POLLOUT, 0);
	CHECK(ev == (POLLIN | POLLRDHUP | POLLOUT), "peer finished sending: "
	      "expected POLLIN|POLLRDHUP|POLLOUT, got 0x%x", ev);
	CHECK(rdt_recv(p.sfd, buf, sizeof(buf), 0) == 0, "expected end of "
	      "stream");

	CHECK_OK(rdt_shutdown(p.sfd, SHUT_WR));
	ev = wait_for(p.cfd, POLLIN | POLLRDHUP, PEER_WAIT_MS);
	CHECK((ev & (POLLIN | POLLRDHUP)) == (POLLIN | POLLRDHUP), "both "
	      "directions finished: expected POLLIN|POLLRDHUP, got 0x%x", ev);
	/* Nothing asked: POLLHUP is always reported, POLLIN (end of
	 * stream) would end the wait at once. */
	ev = wait_for(p.cfd, 0, PEER_WAIT_MS);
	CHECK(ev & POLLHUP, "both directions finished: expected POLLHUP "
	      "within %d ms, got 0x%x", PEER_WAIT_MS, ev);
	CHECK(!(ev & POLLERR), "clean close: POLLERR set (0x%x)", ev);
	itest_pair_close(&p);
}

/* A full send buffer clears POLLOUT; reading on the other side sets it
 * again. */
static void test_poll_writable_again(void)
{
	static uint8_t buf[1 << 16];
	struct itest_pair p;
	uint64_t queued = 0;
	ssize_t n;

	itest_pair_open(&p, AF_INET);
	itest_set_nonblock(p.cfd, true);
	while ((n = rdt_send(p.cfd, buf, sizeof(buf), 0)) > 0)
		queued += (uint64_t)n;
	CHECK(errno == EAGAIN, "filling the send buffer: %s",
	      itest_errname(errno));
	CHECK(wait_for(p.cfd, POLLOUT, 0) == 0, "full send buffer still "
	      "writable");
	itest_set_nonblock(p.sfd, true);
	while (queued > 0 && wait_for(p.sfd, POLLIN, PEER_WAIT_MS)) {
		n = rdt_recv(p.sfd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			continue;
		CHECK(n > 0, "recv: %s", n ? itest_errname(errno) : "EOF");
		queued -= (uint64_t)n;
	}
	CHECK(queued == 0, "%" PRIu64 " bytes did not arrive", queued);
	CHECK(wait_for(p.cfd, POLLOUT, PEER_WAIT_MS) == POLLOUT, "not "
	      "writable again after the peer read everything");
	itest_pair_close(&p);
}

/* --- descriptors ---------------------------------------------------------- */

static void test_accept4_flags(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	int c1 = itest_connect(&ss, len), c2 = itest_connect(&ss, len);
	int s1, s2;
	char c;

	s1 = CHECK_OK(rdt_accept4(lfd, NULL, NULL,
				  SOCK_NONBLOCK | SOCK_CLOEXEC));
	CHECK(rdt_fcntl(s1, F_GETFL) & O_NONBLOCK, "accept4 SOCK_NONBLOCK: "
	      "O_NONBLOCK not set");
	CHECK(rdt_fcntl(s1, F_GETFD) & FD_CLOEXEC, "accept4 SOCK_CLOEXEC: "
	      "FD_CLOEXEC not set");
	CHECK(fcntl(s1, F_GETFD) & FD_CLOEXEC, "accept4 SOCK_CLOEXEC: the "
	      "kernel descriptor lacks FD_CLOEXEC, exec would leak it");
	CHECK_ERR(rdt_recv(s1, &c, 1, 0), EAGAIN);

	s2 = CHECK_OK(rdt_accept4(lfd, NULL, NULL, 0));
	CHECK(!(rdt_fcntl(s2, F_GETFL) & O_NONBLOCK), "accept4 without "
	      "flags: O_NONBLOCK set");
	CHECK(!(rdt_fcntl(s2, F_GETFD) & FD_CLOEXEC), "accept4 without "
	      "flags: FD_CLOEXEC set");
	CHECK_OK(rdt_close(s1));
	CHECK_OK(rdt_close(s2));
	CHECK_OK(rdt_close(c1));
	CHECK_OK(rdt_close(c2));
	CHECK_OK(rdt_close(lfd));
}

static void test_fcntl(void)
{
	struct itest_pair p;
	int fl;
	char c;

	itest_pair_open(&p, AF_INET);
	fl = CHECK_OK(rdt_fcntl(p.cfd, F_GETFL));
	CHECK((fl & O_ACCMODE) == O_RDWR && !(fl & O_NONBLOCK), "F_GETFL of "
	      "a new socket: expected O_RDWR, got 0%o", fl);
	CHECK_OK(rdt_fcntl(p.cfd, F_SETFL, fl | O_NONBLOCK | O_APPEND));
	fl = CHECK_OK(rdt_fcntl(p.cfd, F_GETFL));
	CHECK(fl & O_NONBLOCK, "F_SETFL O_NONBLOCK did not stick: 0%o", fl);
	CHECK_ERR(rdt_recv(p.cfd, &c, 1, 0), EAGAIN);
	CHECK_OK(rdt_fcntl(p.cfd, F_SETFL, fl & ~O_NONBLOCK));
	CHECK(!(rdt_fcntl(p.cfd, F_GETFL) & O_NONBLOCK), "O_NONBLOCK not "
	      "cleared");
	set_timeout(p.cfd, SO_RCVTIMEO, 200);
	CHECK_ERR(rdt_recv(p.cfd, &c, 1, 0), EAGAIN);

	CHECK(!(rdt_fcntl(p.cfd, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC set on "
	      "a socket made without SOCK_CLOEXEC");
	CHECK_OK(rdt_fcntl(p.cfd, F_SETFD, FD_CLOEXEC));
	CHECK(rdt_fcntl(p.cfd, F_GETFD) & FD_CLOEXEC, "F_SETFD FD_CLOEXEC "
	      "did not stick");
	fl = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
				 SOCK_CLOEXEC, 0));
	CHECK(rdt_fcntl(fl, F_GETFL) & O_NONBLOCK, "SOCK_NONBLOCK ignored");
	CHECK(rdt_fcntl(fl, F_GETFD) & FD_CLOEXEC, "SOCK_CLOEXEC ignored");
	CHECK_OK(rdt_close(fl));
	itest_pair_close(&p);
}

/* --- options -------------------------------------------------------------- */

static int getopt_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	CHECK_OK(rdt_getsockopt(fd, level, name, &v, &len));
	CHECK(len == sizeof(v), "option %d/%d: length %u", level, name,
	      (unsigned int)len);
	return v;
}

/* Set an int option and read back |want|. */
static void roundtrip_int(int fd, int level, int name, const char *what,
			  int value, int want)
{
	int got;

	itest_setopt_int(fd, level, name, value);
	got = getopt_int(fd, level, name);
	CHECK(got == want, "%s: set %d, expected to read %d, got %d", what,
	      value, want, got);
}

static void roundtrip_timeo(int fd, int name, const char *what)
{
	struct timeval tv = { .tv_sec = 2, .tv_usec = 500000 }, got;
	socklen_t len = sizeof(got);

	CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)));
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, name, &got, &len));
	CHECK(len == sizeof(got) && got.tv_sec == 2 && got.tv_usec == 500000,
	      "%s: set 2.5 s, got %ld.%06ld s", what, (long)got.tv_sec,
	      (long)got.tv_usec);
}

static void test_options(void)
{
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int fd6 = CHECK_OK(rdt_socket(AF_INET6, SOCK_STREAM, 0));
	struct linger lg = { 1, 7 }, lgot;
	char cc[32];
	socklen_t len;

	roundtrip_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", 65536, 65536);
	roundtrip_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", 4096, 4096);
	roundtrip_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", 1 << 30,
		      256 << 20);
	roundtrip_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", 100, 4096);
	roundtrip_timeo(fd, SO_RCVTIMEO, "SO_RCVTIMEO");
	roundtrip_timeo(fd, SO_SNDTIMEO, "SO_SNDTIMEO");
	CHECK(getopt_int(fd, SOL_SOCKET, SO_ERROR) == 0, "SO_ERROR of a new "
	      "socket is not 0");
	CHECK(getopt_int(fd, SOL_SOCKET, SO_KEEPALIVE) == 0, "SO_KEEPALIVE "
	      "on by default");
	roundtrip_int(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1, 1);
	roundtrip_int(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1, 1);
	CHECK(getopt_int(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "SO_TYPE "
	      "is not SOCK_STREAM");
	CHECK(getopt_int(fd, SOL_SOCKET, SO_DOMAIN) == AF_INET, "SO_DOMAIN "
	      "is not AF_INET");
	CHECK(getopt_int(fd6, SOL_SOCKET, SO_DOMAIN) == AF_INET6, "SO_DOMAIN"
	      " is not AF_INET6");
	errno = 0;
	CHECK(rdt_setsockopt(fd, SOL_SOCKET, SO_TYPE, &(int){ 1 },
			     sizeof(int)) == -1 &&
	      (errno == ENOPROTOOPT || errno == EINVAL), "setting SO_TYPE: "
	      "expected ENOPROTOOPT or EINVAL, got %s", itest_errname(errno));
	CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	len = sizeof(lgot);
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgot, &len));
	CHECK(len == sizeof(lgot) && lgot.l_onoff && lgot.l_linger == 7,
	      "SO_LINGER: set {1, 7}, got {%d, %d}", lgot.l_onoff,
	      lgot.l_linger);

	CHECK(getopt_int(fd, RDT_SOL, RDT_NODELAY) == 0, "RDT_NODELAY on by "
	      "default");
	roundtrip_int(fd, RDT_SOL, RDT_NODELAY, "RDT_NODELAY", 1, 1);
	len = sizeof(cc);
	CHECK_OK(rdt_getsockopt(fd, RDT_SOL, RDT_CONGESTION, cc, &len));
	CHECK(!strcmp(cc, "bbr"), "RDT_CONGESTION: expected \"bbr\""
	      " by default, got \"%.*s\"", (int)len, cc);
	CHECK_OK(rdt_setsockopt(fd, RDT_SOL, RDT_CONGESTION, "cubic", 5));
	len = sizeof(cc);
	CHECK_OK(rdt_getsockopt(fd, RDT_SOL, RDT_CONGESTION, cc, &len));
	CHECK(!strcmp(cc, "cubic"), "RDT_CONGESTION: set \"cubic\", got "
	      "\"%.*s\"", (int)len, cc);
	CHECK_OK(rdt_setsockopt(fd, RDT_SOL, RDT_CONGESTION, "newreno", 7));
	CHECK(getopt_int(fd, RDT_SOL, RDT_USER_TIMEOUT) == 60000,
	      "RDT_USER_TIMEOUT: expected the documented default 60000");
	roundtrip_int(fd, RDT_SOL, RDT_USER_TIMEOUT, "RDT_USER_TIMEOUT",
		      5000, 5000);
	roundtrip_int(fd, RDT_SOL, RDT_USER_TIMEOUT, "RDT_USER_TIMEOUT 0",
		      0, 60000);
	CHECK(getopt_int(fd, RDT_SOL, RDT_KEEPIDLE) == 7200000,
	      "RDT_KEEPIDLE: expected the documented default 7200000");
	roundtrip_int(fd, RDT_SOL, RDT_KEEPIDLE, "RDT_KEEPIDLE", 1000, 1000);
	CHECK(getopt_int(fd, RDT_SOL, RDT_IDLE_TIMEOUT) == 0,
	      "RDT_IDLE_TIMEOUT: expected the documented default 0");
	roundtrip_int(fd, RDT_SOL, RDT_IDLE_TIMEOUT, "RDT_IDLE_TIMEOUT",
		      30000, 30000);
	CHECK(getopt_int(fd, RDT_SOL, RDT_MAXDGRAM) == 1400,
	      "RDT_MAXDGRAM: expected the documented default 1400");
	roundtrip_int(fd, RDT_SOL, RDT_MAXDGRAM, "RDT_MAXDGRAM", 1200, 1200);
	roundtrip_int(fd, RDT_SOL, RDT_MAXDGRAM, "RDT_MAXDGRAM", 65507,
		      65507);

	/* A short buffer gets the start of struct rdt_info. */
	uint32_t state = 99;

	len = sizeof(state);
	CHECK_OK(rdt_getsockopt(fd, RDT_SOL, RDT_INFO, &state, &len));
	CHECK(len == sizeof(state) && state == RDT_STATE_CLOSED, "RDT_INFO "
	      "in 4 bytes: expected state CLOSED, got %u (length %u)", state,
	      (unsigned int)len);
	CHECK_OK(rdt_close(fd));
	CHECK_OK(rdt_close(fd6));
}

/* Accepted sockets inherit the listener's options. */
static void test_options_inherited(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int lfd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	struct timeval tv = { .tv_sec = 3, .tv_usec = 0 }, got;
	int cfd, sfd;

	itest_setopt_int(lfd, SOL_SOCKET, SO_RCVBUF, 300000);
	itest_setopt_int(lfd, SOL_SOCKET, SO_SNDBUF, 200000);
	itest_setopt_int(lfd, SOL_SOCKET, SO_KEEPALIVE, 1);
	itest_setopt_int(lfd, RDT_SOL, RDT_NODELAY, 1);
	itest_setopt_int(lfd, RDT_SOL, RDT_USER_TIMEOUT, 4321);
	itest_setopt_int(lfd, RDT_SOL, RDT_KEEPIDLE, 5000);
	CHECK_OK(rdt_setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	CHECK_OK(rdt_bind(lfd, (struct sockaddr *)&ss, len));
	CHECK_OK(rdt_listen(lfd, 4));
	CHECK_OK(rdt_getsockname(lfd, (struct sockaddr *)&ss, &len));
	cfd = itest_connect(&ss, len);
	sfd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	CHECK(getopt_int(sfd, SOL_SOCKET, SO_RCVBUF) == 300000, "SO_RCVBUF "
	      "not inherited");
	CHECK(getopt_int(sfd, SOL_SOCKET, SO_SNDBUF) == 200000, "SO_SNDBUF "
	      "not inherited");
	CHECK(getopt_int(sfd, SOL_SOCKET, SO_KEEPALIVE) == 1, "SO_KEEPALIVE "
	      "not inherited");
	CHECK(getopt_int(sfd, RDT_SOL, RDT_NODELAY) == 1, "RDT_NODELAY not "
	      "inherited");
	CHECK(getopt_int(sfd, RDT_SOL, RDT_USER_TIMEOUT) == 4321,
	      "RDT_USER_TIMEOUT not inherited");
	CHECK(getopt_int(sfd, RDT_SOL, RDT_KEEPIDLE) == 5000, "RDT_KEEPIDLE "
	      "not inherited");
	len = sizeof(got);
	CHECK_OK(rdt_getsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	CHECK(got.tv_sec == 3 && got.tv_usec == 0, "SO_RCVTIMEO not "
	      "inherited: %ld.%06ld", (long)got.tv_sec, (long)got.tv_usec);
	CHECK_OK(rdt_close(cfd));
	CHECK_OK(rdt_close(sfd));
	CHECK_OK(rdt_close(lfd));
}

/* RDT_INFO after a transfer: the byte counts are what was moved. */
static void test_info_after_transfer(void)
{
	const uint64_t up = 3u << 20, down = 1u << 20;
	struct itest_stream s[2];
	struct rdt_info ci, si;
	struct itest_pair p;
	int64_t deadline;

	itest_pair_open(&p, AF_INET);
	itest_set_nonblock(p.cfd, true);
	itest_set_nonblock(p.sfd, true);
	itest_stream_init(&s[0], p.cfd, "client", 21, up, 22, down);
	itest_stream_init(&s[1], p.sfd, "server", 22, down, 21, up);
	itest_stream_run(s, 2, 30000);

	/* The last acknowledgments may still be on their way. */
	deadline = itest_now_ms() + PEER_WAIT_MS;
	do {
		itest_info(p.cfd, &ci);
		itest_info(p.sfd, &si);
		if (ci.bytes_acked >= up && si.bytes_acked >= down)
			break;
		poll(NULL, 0, 10);	/* nothing to wait on but time */
	} while (itest_now_ms() < deadline);

	CHECK(ci.bytes_acked == up, "client bytes_acked: expected %" PRIu64
	      ", got %" PRIu64, up, ci.bytes_acked);
	CHECK(si.bytes_acked == down, "server bytes_acked: expected %" PRIu64
	      ", got %" PRIu64, down, si.bytes_acked);
	CHECK(si.bytes_received == up && si.bytes_delivered == up, "server "
	      "bytes_received %" PRIu64 ", bytes_delivered %" PRIu64
	      ", expected %" PRIu64, si.bytes_received, si.bytes_delivered,
	      up);
	CHECK(ci.bytes_received == down && ci.bytes_delivered == down,
	      "client bytes_received %" PRIu64 ", bytes_delivered %" PRIu64
	      ", expected %" PRIu64, ci.bytes_received, ci.bytes_delivered,
	      down);
	CHECK(ci.bytes_sent >= up && ci.bytes_sent - ci.bytes_retransmitted
	      == up, "client bytes_sent %" PRIu64 " minus retransmitted %"
	      PRIu64 " should be %" PRIu64, ci.bytes_sent,
	      ci.bytes_retransmitted, up);
	CHECK(ci.pkts_sent >= up / 65507 && ci.pkts_received > 0 &&
	      si.pkts_received > 0, "packet counts implausible: client sent %"
	      PRIu64 " received %" PRIu64, ci.pkts_sent, ci.pkts_received);
	CHECK(ci.srtt_us > 0 && ci.srtt_us < 1000000 && ci.min_rtt_us > 0 &&
	      ci.min_rtt_us <= ci.srtt_us + ci.rttvar_us * 4 &&
	      ci.rto_us >= ci.srtt_us, "RTT implausible on loopback: srtt %u"
	      " rttvar %u min_rtt %u rto %u us", ci.srtt_us, ci.rttvar_us,
	      ci.min_rtt_us, ci.rto_us);
	CHECK(ci.cwnd > 0 && ci.max_dgram >= 1200 && ci.max_dgram <= 65507,
	      "cwnd %" PRIu64 ", max_dgram %u", ci.cwnd, ci.max_dgram);
	CHECK(ci.drop_checksum == 0 && ci.drop_malformed == 0 &&
	      si.drop_checksum == 0 && si.drop_malformed == 0, "drops on a "
	      "clean loopback: client %" PRIu64 "/%" PRIu64 ", server %"
	      PRIu64 "/%" PRIu64, ci.drop_checksum, ci.drop_malformed,
	      si.drop_checksum, si.drop_malformed);
	CHECK(ci.error == 0 && si.error == 0, "error set: %u / %u",
	      ci.error, si.error);
	CHECK(si.port_dgrams_received >= si.pkts_received, "server port "
	      "received %" PRIu64 " datagrams, its connection %" PRIu64,
	      si.port_dgrams_received, si.pkts_received);
	itest_log("client: srtt %u us, %" PRIu64 " pkts sent, %" PRIu64
		  " retransmitted, cwnd %" PRIu64, ci.srtt_us, ci.pkts_sent,
		  ci.pkts_retransmitted, ci.cwnd);
	itest_pair_close(&p);
}

/* The states RDT_INFO reports along a connection's life. */
static void test_info_states(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct rdt_info info;
	struct itest_pair p;
	char c;

	p.lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	itest_info(p.lfd, &info);
	CHECK(info.state == RDT_STATE_LISTEN, "listener: state %u, expected "
	      "LISTEN", info.state);
	p.cfd = itest_connect(&ss, len);
	p.sfd = CHECK_OK(rdt_accept(p.lfd, NULL, NULL));
	itest_info(p.cfd, &info);
	CHECK(info.state == RDT_STATE_ESTABLISHED, "client: state %u, "
	      "expected ESTABLISHED", info.state);
	itest_info(p.sfd, &info);
	CHECK(info.state == RDT_STATE_ESTABLISHED, "server: state %u, "
	      "expected ESTABLISHED", info.state);
	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	set_timeout(p.sfd, SO_RCVTIMEO, PEER_WAIT_MS);
	CHECK(rdt_recv(p.sfd, &c, 1, 0) == 0, "expected end of stream");
	itest_info(p.sfd, &info);
	CHECK(info.state == RDT_STATE_CLOSE_WAIT, "server after the peer's "
	      "FIN: state %u, expected CLOSE_WAIT", info.state);
	itest_info(p.cfd, &info);
	CHECK(info.state == RDT_STATE_FIN_WAIT, "client after its FIN: state"
	      " %u, expected FIN_WAIT", info.state);
	itest_pair_close(&p);
}

static const struct itest_case cases[] = {
	{ "peek", test_peek, 10 },
	{ "waitall", test_waitall, 20 },
	{ "partial_reads", test_partial_reads, 20 },
	{ "readv_writev", test_readv_writev, 10 },
	{ "shutdown_wr", test_shutdown_wr, 10 },
	{ "shutdown_rd", test_shutdown_rd, 10 },
	{ "reader_writer_threads", test_reader_writer_threads, 60 },
	{ "graceful_close_delivers", test_graceful_close_delivers, 60 },
	{ "linger_zero_resets", test_linger_zero_resets, 10 },
	{ "linger_waits_for_ack", test_linger_waits_for_ack, 60 },
	{ "exit_delivers", test_exit_delivers, 60 },
	{ "close_unread_resets", test_close_unread_resets, 10 },
	{ "poll_after_reset", test_poll_after_reset, 10 },
	{ "listener_close_keeps_accepted",
	  test_listener_close_keeps_accepted, 10 },
	{ "listener_close_resets_queue", test_listener_close_resets_queue,
	  10 },
	{ "names_ipv4", test_names_ipv4, 10 },
	{ "names_ipv6", test_names_ipv6, 10 },
	{ "ipv4_mapped", test_ipv4_mapped, 10 },
	{ "poll_readiness", test_poll_readiness, 20 },
	{ "poll_writable_again", test_poll_writable_again, 30 },
	{ "accept4_flags", test_accept4_flags, 10 },
	{ "fcntl", test_fcntl, 10 },
	{ "options", test_options, 10 },
	{ "options_inherited", test_options_inherited, 10 },
	{ "info_after_transfer", test_info_after_transfer, 60 },
	{ "info_states", test_info_states, 10 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
