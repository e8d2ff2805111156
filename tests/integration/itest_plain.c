/*
 * itest_plain.c: after rdt_connect and rdt_accept, an rdt descriptor is
 * used with nothing but the kernel's own calls, as a TCP program would,
 * and the stream must stay byte-exact and exactly-once:
 *
 *   sendfile   client and server in two processes each sendfile(2) a
 *              256 MiB file (quick: 16 MiB) and readv/read the other's,
 *              both directions at once, then shutdown(SHUT_WR), read end
 *              of stream, close(2);
 *   epoll_et   the same with writev and read on O_NONBLOCK descriptors
 *              (set with fcntl(2)) in one edge-triggered epoll loop;
 *   close_exit the sender write(2)s, close(2)s and exits at once: every
 *              byte still arrives, then end of stream (a graceful close,
 *              and the exit drain for a descriptor closed with close(2));
 *   mixed      rdt_send and write, rdt_recv and read alternate on one
 *              socket: one stream, in order;
 *   lockstep   one- and two-byte write(2)s, each answered before the
 *              next, as a control protocol's messages are: every one
 *              arrives at once (a stall of 5 s fails);
 *   reset      the peer aborts (SO_LINGER 0): read(2) fails with
 *              ECONNRESET, then write(2) with EPIPE, as on TCP;
 *   dup_close  closing one of two descriptors ends nothing, as on TCP:
 *              a connection with SO_LINGER 0 (close resets) closed with
 *              rdt_close while a dup(2) of it is open keeps carrying
 *              bytes both ways through the dup, and rdt_close of the
 *              dup, the last, resets it; one without SO_LINGER ends
 *              with end of stream at its dup's close(2); a listener
 *              closed while a dup of it is open keeps accepting through
 *              the dup (`dup2(l, 3); close(l)`);
 *   stopped_reader  the reader stops for 30 s (quick: 3 s, 64 MiB): the sender
 *              blocks (its non-blocking writes say EAGAIN), neither
 *              process grows by more than its buffers (RSS printed), and
 *              after it resumes no byte is lost.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration/itest.h"

#define CHUNK (64 << 10)

/* Stream ids: what the client sends, what the server sends. */
#define UP 1
#define DOWN 2

static uint64_t big_bytes(void)
{
	return itest_quick() ? 16ull << 20 : 256ull << 20;
}

/* A temporary file holding |len| bytes of stream |id|, opened for
 * reading and already unlinked. */
static int pattern_file(uint64_t id, uint64_t len)
{
	char path[] = "/tmp/itest_plain.XXXXXX";
	static uint8_t buf[CHUNK];
	uint64_t off;
	int fd = CHECK_OK(mkstemp(path));

	CHECK_OK(unlink(path));
	for (off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;

		itest_pattern_fill(buf, n, id, off);
		CHECK(write(fd, buf, n) == (ssize_t)n, "writing %s", path);
	}
	CHECK_OK(lseek(fd, 0, SEEK_SET));
	return fd;
}

/* Reads stream |id| with read(2) (readv(2) if |vectored|) until end of
 * stream, checking every byte; returns the count. */
static uint64_t read_all(int fd, uint64_t id, int vectored)
{
	static __thread uint8_t buf[2][CHUNK / 2];
	uint64_t got = 0;

	for (;;) {
		struct iovec iov[2] = { { buf[0], sizeof(buf[0]) },
					{ buf[1], sizeof(buf[1]) } };
		ssize_t n = vectored ? readv(fd, iov, 2) :
				       read(fd, buf[0], sizeof(buf[0]));
		ptrdiff_t bad;

		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0, "read of stream %" PRIu64 " at %" PRIu64 ": %s",
		      id, got, itest_errname(errno));
		if (n == 0)
			return got;
		/* The two buffers are contiguous in memory. */
		bad = itest_pattern_find_error(buf[0], (size_t)n, id, got);
		CHECK(bad < 0, "stream %" PRIu64 ": wrong byte at offset %"
		      PRIu64, id, got + (uint64_t)bad);
		got += (uint64_t)n;
	}
}

struct sender {
	int fd, file;
	uint64_t len;
};

static void *sendfile_all(void *arg)
{
	struct sender *s = arg;
	off_t off = 0;

	while ((uint64_t)off < s->len) {
		ssize_t n = sendfile(s->fd, s->file, &off,
				     (size_t)(s->len - (uint64_t)off));

		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, "sendfile at %lld: %s", (long long)off,
		      itest_errname(errno));
	}
	CHECK_OK(shutdown(s->fd, SHUT_WR));
	return NULL;
}

/* One side of the sendfile case: sendfile in a thread, read here. */
static void sendfile_side(int fd, uint64_t send_id, uint64_t recv_id,
			  int vectored)
{
	struct sender s = { fd, pattern_file(send_id, big_bytes()),
			    big_bytes() };
	int64_t t0 = itest_now_ms();
	pthread_t t;
	uint64_t got;

	CHECK(pthread_create(&t, NULL, sendfile_all, &s) == 0, "thread");
	got = read_all(fd, recv_id, vectored);
	pthread_join(t, NULL);
	CHECK(got == big_bytes(), "read %" PRIu64 " of %" PRIu64 " bytes",
	      got, big_bytes());
	itest_log("stream %" PRIu64 ": %" PRIu64 " MiB each way in %" PRId64
		  " ms", recv_id, got >> 20, itest_now_ms() - t0);
	close(s.file);
	CHECK_OK(close(fd));
}

/*
 * Runs |client| in a child process and |server| here, each with its
 * connected descriptor (the listener is closed before |server| runs).
 */
static void two_processes(void (*client)(int fd), void (*server)(int fd))
{
	struct sockaddr_storage ss;
	socklen_t len;
	int pfd[2], lfd, fd;
	pid_t pid;

	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		close(pfd[1]);
		len = itest_loopback(&ss, AF_INET, itest_recv_port(pfd[0]));
		client(itest_connect(&ss, len));
		exit(0);
	}
	close(pfd[0]);
	lfd = itest_listen(AF_INET, 1, 0, &ss, &len);
	itest_send_port(pfd[1], itest_port(&ss));
	fd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	CHECK_OK(rdt_close(lfd));
	server(fd);
	itest_wait_ok(pid, "client");
	close(pfd[1]);
}

static void sendfile_client(int fd)
{
	sendfile_side(fd, UP, DOWN, 1);
}

static void sendfile_server(int fd)
{
	sendfile_side(fd, DOWN, UP, 0);
}

static void test_sendfile(void)
{
	two_processes(sendfile_client, sendfile_server);
}

/* --- edge-triggered, non-blocking ------------------------------------ */

struct nb_side {
	int fd;
	uint64_t send_id, recv_id, sent, got;
	int shut, eof;
};

/* Writes with writev until EAGAIN, shuts down when all is sent, reads
 * until EAGAIN or end of stream: what an edge demands. */
static void nb_io(struct nb_side *s)
{
	static __thread uint8_t out[2][CHUNK / 2], in[CHUNK];

	while (!s->shut) {
		uint64_t left = big_bytes() - s->sent;
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		struct iovec iov[2];
		ssize_t w;

		if (left == 0) {
			CHECK_OK(shutdown(s->fd, SHUT_WR));
			s->shut = 1;
			break;
		}
		itest_pattern_fill(out[0], n, s->send_id, s->sent);
		iov[0].iov_base = out[0];
		iov[0].iov_len = n < CHUNK / 2 ? n : CHUNK / 2;
		iov[1].iov_base = out[1];
		iov[1].iov_len = n - iov[0].iov_len;
		w = writev(s->fd, iov, 2);
		if (w < 0 && errno == EAGAIN)
			break;
		CHECK(w > 0, "writev: %s", itest_errname(errno));
		s->sent += (uint64_t)w;
	}
	while (!s->eof) {
		ssize_t r = read(s->fd, in, sizeof(in));
		ptrdiff_t bad;

		if (r < 0 && errno == EAGAIN)
			break;
		CHECK(r >= 0, "read: %s", itest_errname(errno));
		if (r == 0) {
			s->eof = 1;
			break;
		}
		bad = itest_pattern_find_error(in, (size_t)r, s->recv_id,
					       s->got);
		CHECK(bad < 0, "wrong byte at offset %" PRIu64,
		      s->got + (uint64_t)bad);
		s->got += (uint64_t)r;
	}
}

static void nb_side(int fd, uint64_t send_id, uint64_t recv_id)
{
	struct nb_side s = { fd, send_id, recv_id, 0, 0, 0, 0 };
	struct epoll_event ev = { EPOLLIN | EPOLLOUT | EPOLLET, { 0 } };
	int ep = CHECK_OK(epoll_create1(0));
	int64_t t0 = itest_now_ms();

	CHECK_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	nb_io(&s);
	while (!s.eof || !s.shut) {
		int n = epoll_wait(ep, &ev, 1, 5000);

		CHECK(n == 1 || (n < 0 && errno == EINTR), "no edge for 5 s: "
		      "sent %" PRIu64 ", got %" PRIu64, s.sent, s.got);
		CHECK(itest_now_ms() - t0 < 150000, "not done in 150 s");
		nb_io(&s);
	}
	CHECK(s.got == big_bytes(), "got %" PRIu64 " bytes", s.got);
	itest_log("edge-triggered: %" PRIu64 " MiB each way in %" PRId64
		  " ms", s.got >> 20, itest_now_ms() - t0);
	close(ep);
	CHECK_OK(close(fd));
}

static void nb_client(int fd)
{
	nb_side(fd, UP, DOWN);
}

static void nb_server(int fd)
{
	nb_side(fd, DOWN, UP);
}

static void test_epoll_et(void)
{
	two_processes(nb_client, nb_server);
}

/* --- close and exit --------------------------------------------------- */

#define CLOSE_BYTES (8u << 20)

static void close_exit_client(int fd)
{
	static uint8_t buf[CLOSE_BYTES];

	itest_pattern_fill(buf, sizeof(buf), UP, 0);
	CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	      "write: %s", itest_errname(errno));
	CHECK_OK(close(fd));
	/* exit(0) follows at once: the library must deliver on its own. */
}

static void close_exit_server(int fd)
{
	uint64_t got = read_all(fd, UP, 0);

	CHECK(got == CLOSE_BYTES, "read %" PRIu64 " of %u bytes before end "
	      "of stream", got, CLOSE_BYTES);
	CHECK_OK(close(fd));
}

static void test_close_exit(void)
{
	two_processes(close_exit_client, close_exit_server);
}

/* --- rdt calls and plain calls on one socket --------------------------- */

static void test_mixed(void)
{
	struct itest_pair p;
	uint8_t out[4096], in[4096];
	uint64_t off = 0;
	int i;

	itest_pair_open(&p, AF_INET);
	for (i = 0; i < 200; i++) {
		size_t n = 1 + (size_t)(i * 37) % sizeof(out);
		ssize_t r;
		size_t got = 0;

		itest_pattern_fill(out, n, UP, off);
		r = i % 2 ? write(p.cfd, out, n) : rdt_send(p.cfd, out, n, 0);
		CHECK(r == (ssize_t)n, "send %d: %zd", i, r);
		while (got < n) {
			r = i % 3 ? read(p.sfd, in + got, n - got) :
				    rdt_recv(p.sfd, in + got, n - got, 0);
			CHECK(r > 0, "recv %d: %s", i, itest_errname(errno));
			got += (size_t)r;
		}
		CHECK(itest_pattern_find_error(in, n, UP, off) < 0,
		      "round %d: bytes out of order", i);
		off += n;
	}
	itest_pair_close(&p);
}

/* --- one-byte messages in lock step ---------------------------------- */

/* Reads exactly |n| bytes from |fd|, failing if none come for 5 s: a
 * message that stays queued in the library is a stall, not a slow
 * network, on loopback. */
static void read_within(int fd, uint8_t *buf, size_t n, int round)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		CHECK(poll(&pf, 1, 5000) == 1,
		      "round %d: %zu of %zu bytes came within 5 s", round,
		      got, n);
		r = read(fd, buf + got, n - got);
		CHECK(r > 0, "round %d: read: %s", round,
		      r == 0 ? "end of stream" : itest_errname(errno));
		got += (size_t)r;
	}
}

static void test_lockstep(void)
{
	struct itest_pair p;
	uint8_t out[2], in[2];
	int i;

	itest_pair_open(&p, AF_INET);
	for (i = 0; i < 300; i++) {
		/* Mostly single bytes, as a control protocol's state
		 * changes (iperf3's) are; now and then two. */
		size_t n = i % 7 == 3 ? 2 : 1;

		out[0] = (uint8_t)i;
		out[1] = (uint8_t)~i;
		CHECK(write(p.cfd, out, n) == (ssize_t)n, "round %d: write: %s",
		      i, itest_errname(errno));
		read_within(p.sfd, in, n, i);
		CHECK(memcmp(in, out, n) == 0, "round %d: wrong bytes", i);
		in[0] ^= 0xff;
		CHECK(write(p.sfd, in, 1) == 1, "round %d: reply: %s", i,
		      itest_errname(errno));
		read_within(p.cfd, out, 1, i);
		CHECK(out[0] == (uint8_t)~i, "round %d: wrong reply", i);
	}
	itest_pair_close(&p);
}

/* --- reset ------------------------------------------------------------ */

static void test_reset(void)
{
	struct itest_pair p;
	struct linger lg = { 1, 0 };
	struct pollfd pf;
	char c;

	signal(SIGPIPE, SIG_IGN);
	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_setsockopt(p.cfd, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	CHECK_OK(rdt_close(p.cfd));
	pf.fd = p.sfd;
	pf.events = POLLIN;
	CHECK(poll(&pf, 1, 5000) == 1, "no event after the peer's reset");
	CHECK(pf.revents & (POLLERR | POLLHUP), "revents 0x%x", pf.revents);
	CHECK_ERR(read(p.sfd, &c, 1), ECONNRESET);
	CHECK_ERR(write(p.sfd, "x", 1), EPIPE);
	CHECK_OK(close(p.sfd));
	CHECK_OK(rdt_close(p.lfd));
}

/* --- closing one of two descriptors ------------------------------------- */

static void test_dup_close(void)
{
	struct itest_pair p;
	struct linger lg = { 1, 0 };
	struct sockaddr_storage addr;
	socklen_t len;
	uint8_t b[2];
	int d, c, s;

	signal(SIGPIPE, SIG_IGN);
	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_setsockopt(p.cfd, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	d = dup(p.cfd);
	CHECK(d >= 0, "dup: %s", itest_errname(errno));
	CHECK_OK(rdt_close(p.cfd));
	CHECK(write(d, "u", 1) == 1, "write through the dup: %s",
	      itest_errname(errno));
	read_within(p.sfd, b, 1, 0);
	CHECK(b[0] == 'u', "wrong byte through the dup");
	CHECK(write(p.sfd, "d", 1) == 1, "reply: %s", itest_errname(errno));
	read_within(d, b, 1, 1);
	CHECK(b[0] == 'd', "wrong reply through the dup");
	/* The last close, SO_LINGER 0: a reset. */
	CHECK_OK(rdt_close(d));
	CHECK_ERR(read(p.sfd, b, 1), ECONNRESET);
	CHECK_OK(close(p.sfd));

	/* Without SO_LINGER, the dup's plain close ends the stream. */
	c = itest_connect(&p.laddr, p.laddrlen);
	s = rdt_accept(p.lfd, NULL, NULL);
	CHECK(s >= 0, "accept: %s", itest_errname(errno));
	d = dup(c);
	CHECK(d >= 0, "dup: %s", itest_errname(errno));
	CHECK_OK(rdt_close(c));
	CHECK(write(d, "v", 1) == 1, "write through the dup: %s",
	      itest_errname(errno));
	read_within(s, b, 1, 3);
	CHECK(b[0] == 'v', "wrong byte through the dup");
	CHECK_OK(close(d));
	CHECK(read(s, b, 1) == 0, "after the dup's close: %s",
	      itest_errname(errno));
	CHECK_OK(rdt_close(s));

	/* A listener: its dup keeps the port and the accept queue. */
	d = dup(p.lfd);
	CHECK(d >= 0, "dup: %s", itest_errname(errno));
	CHECK_OK(rdt_close(p.lfd));
	len = p.laddrlen;
	memcpy(&addr, &p.laddr, sizeof(addr));
	c = itest_connect(&addr, len);
	s = rdt_accept(d, NULL, NULL);
	CHECK(s >= 0, "accept through the listener's dup: %s",
	      itest_errname(errno));
	CHECK(write(c, "x", 1) == 1, "write: %s", itest_errname(errno));
	read_within(s, b, 1, 2);
	CHECK(b[0] == 'x', "wrong byte on the dup's connection");
	CHECK_OK(rdt_close(c));
	CHECK_OK(rdt_close(s));
	CHECK_OK(rdt_close(d));
}

/* --- a reader that stops ----------------------------------------------- */

static int stop_ms(void)
{
	return itest_quick() ? 3000 : 30000;
}

/* Bytes the sender pushes while the reader sleeps; far beyond every
 * buffer between them (some 10 MiB), so the sender must block.  At
 * reduced sizes 64 MiB, which valgrind moves in time too. */
#define STOP_BYTES (itest_quick() ? 64ull << 20 : 256ull << 20)

static void stopped_reader_client(int fd)
{
	static uint8_t buf[CHUNK];
	uint64_t sent = 0;
	long rss0 = itest_rss_kib(), rss_max = rss0;
	int64_t t0 = itest_now_ms();
	unsigned eagain = 0;

	CHECK_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	while (sent < STOP_BYTES) {
		struct pollfd pf = { fd, POLLOUT, 0 };
		size_t n = STOP_BYTES - sent < CHUNK ?
			   (size_t)(STOP_BYTES - sent) : CHUNK;
		ssize_t w;

		itest_pattern_fill(buf, n, UP, sent);
		w = write(fd, buf, n);
		if (w < 0 && errno == EAGAIN) {
			eagain++;
			CHECK(poll(&pf, 1, stop_ms() + 20000) == 1,
			      "writable never again after %" PRIu64 " bytes",
			      sent);
			continue;
		}
		CHECK(w > 0, "write: %s", itest_errname(errno));
		sent += (uint64_t)w;
		if (itest_rss_kib() > rss_max)
			rss_max = itest_rss_kib();
		CHECK(itest_now_ms() - t0 < stop_ms() + 120000,
		      "sending not done");
	}
	CHECK(eagain > 0, "the sender never blocked");
	itest_log("sender: RSS %ld KiB at start, %ld KiB at most",
		  rss0, rss_max);
	CHECK(rss_max - rss0 < 32 * 1024, "the sender grew by %ld KiB",
	      rss_max - rss0);
	CHECK_OK(shutdown(fd, SHUT_WR));
	/* The reader's end of stream says it has every byte. */
	CHECK_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK));
	CHECK(read_all(fd, DOWN, 0) == 0, "unexpected bytes from the reader");
	CHECK_OK(close(fd));
}

static void stopped_reader_server(int fd)
{
	long rss0 = itest_rss_kib(), rss1;
	struct rdt_info info;
	uint64_t got;

	usleep((useconds_t)stop_ms() * 1000);
	rss1 = itest_rss_kib();
	itest_info(fd, &info);
	itest_log("reader: RSS %ld KiB before the pause, %ld KiB after it; "
		  "%" PRIu64 " bytes waited in the library", rss0, rss1,
		  (uint64_t)info.bytes_received - info.bytes_delivered);
	/* The connection's receive buffer (4 MiB) plus the pair's, not the
	 * hundreds of MiB the sender tried to push. */
	CHECK(rss1 - rss0 < 32 * 1024, "the reader grew by %ld KiB",
	      rss1 - rss0);
	got = read_all(fd, UP, 0);
	CHECK(got == STOP_BYTES, "read %" PRIu64 " bytes", got);
	CHECK_OK(shutdown(fd, SHUT_WR));
	CHECK_OK(close(fd));
}

static void test_stopped_reader(void)
{
	two_processes(stopped_reader_client, stopped_reader_server);
}

static const struct itest_case cases[] = {
	{ "sendfile", test_sendfile, 240 },
	{ "epoll_et", test_epoll_et, 240 },
	{ "close_exit", test_close_exit, 60 },
	{ "mixed", test_mixed, 30 },
	{ "lockstep", test_lockstep, 60 },
	{ "reset", test_reset, 30 },
	{ "dup_close", test_dup_close, 30 },
	{ "stopped_reader", test_stopped_reader, 240 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
