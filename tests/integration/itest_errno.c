/*
 * itest_errno.c: every errno the socket API promises, over real UDP on
 * loopback.
 *
 * Refused connections (nothing bound at the UDP port, or an rdt socket
 * bound there that does not listen), a peer killed with SIGKILL in the
 * middle of a transfer (seen from the client and from the server side),
 * writes after the peer closed (EPIPE and SIGPIPE), non-blocking connect
 * reported through writability and SO_ERROR, and the argument and state
 * errors: EALREADY, EISCONN, ENOTCONN, EBADF, ENOTSOCK, EINVAL, EADDRINUSE,
 * EAGAIN, EMFILE.  A forged ICMP port unreachable (a raw socket, as
 * root) that quotes the right ports but not the connection's ID leaves a
 * live connection alone and is counted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration/itest.h"

/* The user timeout the killed-peer cases set, and how late past it the
 * error may come (a probe in flight at the deadline, a loaded machine). */
#define KILL_USER_TIMEOUT_MS 3000
#define KILL_MARGIN_MS 2000
/* A SIGKILLed peer on this host is noticed within this (ICMP). */
#define KILL_DETECT_MS 1000

/* A refused connection must fail within this (the acceptance's bound). */
#define REFUSED_WITHIN_MS 1000

/* Bytes each way before the peer is killed: well into the transfer. */
#define KILL_AFTER_BYTES (1024 * 1024)

/* A UDP port on 127.0.0.1 where nothing is bound (it was a moment ago). */
static uint16_t unused_udp_port(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int fd = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));

	CHECK_OK(bind(fd, (struct sockaddr *)&ss, len));
	CHECK_OK(getsockname(fd, (struct sockaddr *)&ss, &len));
	close(fd);
	return itest_port(&ss);
}

/*
 * A plain UDP socket bound on 127.0.0.1 that never answers: a handshake
 * sent there stays in progress.  Its address goes to |ss|.
 */
static int udp_sink(struct sockaddr_storage *ss, socklen_t *len)
{
	int fd = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));

	*len = itest_loopback(ss, AF_INET, 0);
	CHECK_OK(bind(fd, (struct sockaddr *)ss, *len));
	CHECK_OK(getsockname(fd, (struct sockaddr *)ss, len));
	return fd;
}

/* Connect, expecting ECONNREFUSED within REFUSED_WITHIN_MS. */
static void expect_refused(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int64_t start = itest_now_ms(), took;

	CHECK_ERR(rdt_connect(fd, (const struct sockaddr *)ss, len),
		  ECONNREFUSED);
	took = itest_now_ms() - start;
	itest_log("refused after %" PRId64 " ms", took);
	CHECK(took <= REFUSED_WITHIN_MS, "expected ECONNREFUSED within %d "
	      "ms, it took %" PRId64 " ms", REFUSED_WITHIN_MS, took);
	CHECK_OK(rdt_close(fd));
}

static void test_refused_no_udp_socket(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, unused_udp_port());

	expect_refused(&ss, len);
}

static void test_refused_bound_not_listening(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int bound = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));

	CHECK_OK(rdt_bind(bound, (struct sockaddr *)&ss, len));
	CHECK_OK(rdt_getsockname(bound, (struct sockaddr *)&ss, &len));
	expect_refused(&ss, len);
	CHECK_OK(rdt_close(bound));
}

/* A blocking connect nobody answers fails after the user timeout. */
static void test_connect_user_timeout(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int sink = udp_sink(&ss, &len);
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int64_t start, took;

	itest_setopt_int(fd, RDT_SOL, RDT_USER_TIMEOUT, 1000);
	start = itest_now_ms();
	CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, len), ETIMEDOUT);
	took = itest_now_ms() - start;
	itest_log("ETIMEDOUT after %" PRId64 " ms (user timeout 1000)",
		  took);
	CHECK(took >= 900 && took <= 1000 + KILL_MARGIN_MS, "expected "
	      "ETIMEDOUT after the 1000 ms user timeout, got it after %"
	      PRId64 " ms", took);
	CHECK_OK(rdt_close(fd));
	close(sink);
}

/* --- a peer killed mid-transfer ----------------------------------------- */

/* The peer's part: move stream 1 out and stream 2 in until killed. */
static void __attribute__((noreturn)) pump_until_killed(int fd)
{
	struct itest_stream s;

	itest_set_nonblock(fd, true);
	itest_stream_init(&s, fd, "peer", 1, ITEST_FOREVER, 2,
			  ITEST_FOREVER);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

		CHECK(poll(&p, 1, -1) >= 0 || errno == EINTR, "poll: %s",
		      itest_errname(errno));
		CHECK(itest_stream_io(&s) >= 0, "peer: %s",
		      itest_errname(s.error));
	}
}

/* SIGKILL |peer| and reap it; returns the time of death. */
static int64_t kill_peer(pid_t peer)
{
	int status;

	CHECK_OK(kill(peer, SIGKILL));
	CHECK_OK(waitpid(peer, &status, 0));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "peer: expected death by SIGKILL, got status 0x%x", status);
	return itest_now_ms();
}

/*
 * The survivor's part: move stream 2 out and stream 1 in until both
 * directions passed KILL_AFTER_BYTES, kill |peer|, then go on until the
 * connection fails.  The error must be ETIMEDOUT or ECONNRESET, and come
 * within the user timeout and a margin.
 */
static void survive_kill(int fd, pid_t peer)
{
	int64_t deadline = itest_now_ms() + 30000, killed_at = 0, took;
	struct itest_stream s;
	int r = 0;

	itest_set_nonblock(fd, true);
	itest_stream_init(&s, fd, "survivor", 2, ITEST_FOREVER, 1,
			  ITEST_FOREVER);
	while (r == 0 && itest_now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

		CHECK(poll(&p, 1, 1000) >= 0 || errno == EINTR, "poll: %s",
		      itest_errname(errno));
		r = itest_stream_io(&s);
		if (!killed_at && s.sent >= KILL_AFTER_BYTES &&
		    s.received >= KILL_AFTER_BYTES) {
			killed_at = kill_peer(peer);
			itest_log("peer killed after %" PRIu64 " bytes sent, "
				  "%" PRIu64 " received", s.sent, s.received);
		}
	}
	CHECK(killed_at, "the transfer did not reach %d bytes each way "
	      "within 30 s: sent %" PRIu64 ", received %" PRIu64
	      "%s%s", KILL_AFTER_BYTES, s.sent, s.received,
	      r < 0 ? ", failed with " : "",
	      r < 0 ? itest_errname(s.error) : "");
	CHECK(r < 0, "no error within 30 s of the peer's death");
	took = itest_now_ms() - killed_at;
	itest_log("%s %" PRId64 " ms after the kill (user timeout %d ms)",
		  itest_errname(s.error), took, KILL_USER_TIMEOUT_MS);
	/* The dead peer's kernel answers with port unreachable: that, not
	 * the user timeout, must end the connection. */
	CHECK(s.error == ECONNRESET, "expected ECONNRESET, got %s",
	      itest_errname(s.error));
	CHECK(took <= KILL_DETECT_MS, "expected the error within %d ms of "
	      "the kill, it took %" PRId64 " ms", KILL_DETECT_MS, took);
	CHECK_OK(rdt_close(fd));
}

/* The server is killed; the client must notice. */
static void test_killed_server(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int pfd[2];
	pid_t pid;
	int fd;

	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		int lfd = itest_listen(AF_INET, 1, 0, &ss, &len);

		itest_send_port(pfd[1], itest_port(&ss));
		pump_until_killed(CHECK_OK(rdt_accept(lfd, NULL, NULL)));
	}
	len = itest_loopback(&ss, AF_INET, itest_recv_port(pfd[0]));
	fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	itest_setopt_int(fd, RDT_SOL, RDT_USER_TIMEOUT, KILL_USER_TIMEOUT_MS);
	CHECK_OK(rdt_connect(fd, (struct sockaddr *)&ss, len));
	survive_kill(fd, pid);
}

/* The client is killed; the server's accepted socket must notice. */
static void test_killed_client(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int pfd[2];
	pid_t pid;
	int lfd;

	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		len = itest_loopback(&ss, AF_INET, itest_recv_port(pfd[0]));
		pump_until_killed(itest_connect(&ss, len));
	}
	lfd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	/* Accepted sockets inherit the option from the listener. */
	itest_setopt_int(lfd, RDT_SOL, RDT_USER_TIMEOUT,
			 KILL_USER_TIMEOUT_MS);
	len = itest_loopback(&ss, AF_INET, 0);
	CHECK_OK(rdt_bind(lfd, (struct sockaddr *)&ss, len));
	CHECK_OK(rdt_listen(lfd, 1));
	CHECK_OK(rdt_getsockname(lfd, (struct sockaddr *)&ss, &len));
	itest_send_port(pfd[1], itest_port(&ss));
	survive_kill(CHECK_OK(rdt_accept(lfd, NULL, NULL)), pid);
	CHECK_OK(rdt_close(lfd));
}

/*
 * The server dies after sending a few bytes; the client reads them, then
 * ends its writing side (so its descriptor can no longer be written to)
 * and waits for the server's end of stream.  The FIN meets the dead
 * server's port: the read must fail with ECONNRESET.  A clean end of
 * stream would tell the client it had everything when the server never
 * finished.  |wrote| bytes go out before the shutdown, and |plain|
 * picks shutdown(2) over rdt_shutdown.
 */
static void reset_after_shutdown(size_t wrote, bool plain)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t buf[4096];
	int pfd[2], fd;
	size_t got = 0;
	int64_t killed_at, took;
	ssize_t r;
	pid_t pid;

	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		int lfd = itest_listen(AF_INET, 1, 0, &ss, &len), c;

		itest_send_port(pfd[1], itest_port(&ss));
		c = CHECK_OK(rdt_accept(lfd, NULL, NULL));
		itest_pattern_fill(buf, sizeof(buf), 1, 0);
		CHECK(write(c, buf, sizeof(buf)) == (ssize_t)sizeof(buf),
		      "server write: %s", itest_errname(errno));
		for (;;)
			pause();
	}
	len = itest_loopback(&ss, AF_INET, itest_recv_port(pfd[0]));
	fd = itest_connect(&ss, len);
	if (wrote > 0) {
		itest_pattern_fill(buf, wrote, 2, 0);
		CHECK(write(fd, buf, wrote) == (ssize_t)wrote,
		      "client write: %s", itest_errname(errno));
	}
	while (got < sizeof(buf)) {
		r = read(fd, buf, sizeof(buf) - got);
		CHECK(r > 0, "read before the kill: %zd (%s)", r,
		      itest_errname(errno));
		got += (size_t)r;
	}
	killed_at = kill_peer(pid);
	if (plain)
		CHECK_OK(shutdown(fd, SHUT_WR));
	else if (rdt_shutdown(fd, SHUT_WR) != 0)
		/* The reset got here first (it takes a millisecond on
		 * loopback): as on Linux, a reset connection cannot be shut
		 * down, and the read below must still say why. */
		CHECK(errno == ENOTCONN, "rdt_shutdown: %s, expected success "
		      "or ENOTCONN", itest_errname(errno));
	r = read(fd, buf, sizeof(buf));
	took = itest_now_ms() - killed_at;
	CHECK(r < 0, "read after the server died: %zd (%s), expected "
	      "ECONNRESET", r, r == 0 ? "a clean end of stream" : "bytes");
	CHECK(errno == ECONNRESET, "expected ECONNRESET, got %s",
	      itest_errname(errno));
	itest_log("%zu bytes written, %s: ECONNRESET %" PRId64 " ms after "
		  "the kill", wrote, plain ? "shutdown(2)" : "rdt_shutdown",
		  took);
	CHECK_OK(rdt_close(fd));
}

static void test_reset_after_shutdown(void)
{
	reset_after_shutdown(0, true);
	reset_after_shutdown(1000, true);
	reset_after_shutdown(1, false);
}

/* --- EPIPE and SIGPIPE ---------------------------------------------------- */

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/*
 * After the peer closed, writes first succeed (as on TCP, the peer only
 * answers them with a reset), then fail: the first failure may be
 * ECONNRESET, later ones are EPIPE; SIGPIPE comes with every EPIPE unless
 * MSG_NOSIGNAL.
 */
static void test_epipe_after_peer_close(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	struct itest_pair p;
	struct pollfd pfd;
	char c = 0;
	int n;

	CHECK_OK(sigaction(SIGPIPE, &sa, NULL));
	itest_pair_open(&p, AF_INET);
	/* Bounds the case should the closed peer never answer. */
	itest_setopt_int(p.cfd, RDT_SOL, RDT_USER_TIMEOUT, 3000);
	CHECK_OK(rdt_close(p.sfd));
	/* The peer's end of stream comes first. */
	CHECK(rdt_recv(p.cfd, &c, 1, 0) == 0, "expected end of stream after "
	      "the peer's close, got %s", itest_errname(errno));
	CHECK(rdt_send(p.cfd, "x", 1, MSG_NOSIGNAL) == 1,
	      "the first write after the peer's close: expected 1, got %s",
	      itest_errname(errno));
	/* No events asked: end of stream keeps it readable, but POLLERR
	 * and POLLHUP are always reported. */
	pfd = (struct pollfd){ .fd = p.cfd, .events = 0 };
	n = CHECK_OK(poll(&pfd, 1, 5000));
	CHECK(n == 1 && (pfd.revents & POLLERR), "expected POLLERR once the "
	      "closed peer answered the write, got revents 0x%x after %s",
	      pfd.revents, n ? "an event" : "5 s");
	errno = 0;
	n = (int)rdt_send(p.cfd, "x", 1, MSG_NOSIGNAL);
	CHECK(n == -1 && (errno == ECONNRESET || errno == EPIPE), "expected "
	      "ECONNRESET or EPIPE, got %d with %s", n, itest_errname(errno));
	CHECK(sigpipes == 0, "expected no SIGPIPE with MSG_NOSIGNAL, got %d",
	      (int)sigpipes);
	CHECK_ERR(rdt_send(p.cfd, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK(sigpipes == 0, "expected no SIGPIPE with MSG_NOSIGNAL, got %d",
	      (int)sigpipes);
	CHECK_ERR(rdt_send(p.cfd, "x", 1, 0), EPIPE);
	CHECK(sigpipes == 1, "rdt_send without MSG_NOSIGNAL: expected one "
	      "SIGPIPE, got %d", (int)sigpipes);
	CHECK_ERR(rdt_write(p.cfd, "x", 1), EPIPE);
	CHECK(sigpipes == 2, "rdt_write: expected a second SIGPIPE, got %d "
	      "in all", (int)sigpipes);
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };

	CHECK_ERR(rdt_writev(p.cfd, &iov, 1), EPIPE);
	CHECK(sigpipes == 3, "rdt_writev: expected a third SIGPIPE, got %d "
	      "in all", (int)sigpipes);
	CHECK_OK(rdt_close(p.cfd));
	CHECK_OK(rdt_close(p.lfd));
}

/* Writing after our own SHUT_WR is EPIPE at once. */
static void test_epipe_after_shutdown(void)
{
	struct itest_pair p;

	signal(SIGPIPE, SIG_IGN);
	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_shutdown(p.cfd, SHUT_WR));
	CHECK_ERR(rdt_send(p.cfd, "x", 1, MSG_NOSIGNAL), EPIPE);
	itest_pair_close(&p);
}

/* --- non-blocking connect ------------------------------------------------ */

static void test_nonblocking_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
				     0));
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = -1, sfd;
	socklen_t elen = sizeof(err);

	CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, len), EINPROGRESS);
	CHECK(poll(&p, 1, 2000) == 1, "expected POLLOUT within 2 s of a "
	      "loopback connect, got nothing");
	CHECK((p.revents & POLLOUT) && !(p.revents & (POLLERR | POLLHUP)),
	      "expected POLLOUT alone, got revents 0x%x", p.revents);
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen));
	CHECK(err == 0, "SO_ERROR: expected 0, got %s", itest_errname(err));
	CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, len), EISCONN);
	sfd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	CHECK(rdt_send(fd, "ok", 2, 0) == 2, "send: %s",
	      itest_errname(errno));
	CHECK_OK(rdt_close(fd));
	CHECK_OK(rdt_close(sfd));
	CHECK_OK(rdt_close(lfd));
}

/* A refused non-blocking connect: POLLOUT|POLLERR, SO_ERROR once. */
static void expect_nonblocking_refused(const struct sockaddr_storage *ss,
				       socklen_t len)
{
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
				     0));
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = -1;
	socklen_t elen = sizeof(err);

	CHECK_ERR(rdt_connect(fd, (const struct sockaddr *)ss, len),
		  EINPROGRESS);
	CHECK(poll(&p, 1, REFUSED_WITHIN_MS) == 1, "expected POLLOUT|POLLERR"
	      " within %d ms, got nothing", REFUSED_WITHIN_MS);
	CHECK((p.revents & (POLLOUT | POLLERR)) == (POLLOUT | POLLERR),
	      "expected POLLOUT|POLLERR, got revents 0x%x", p.revents);
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen));
	CHECK(err == ECONNREFUSED, "SO_ERROR: expected ECONNREFUSED, got %s",
	      itest_errname(err));
	CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen));
	CHECK(err == 0, "SO_ERROR read twice: expected 0 the second time, "
	      "got %s", itest_errname(err));
	CHECK_OK(rdt_close(fd));
}

static void test_nonblocking_connect_refused(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int bound = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));

	CHECK_OK(rdt_bind(bound, (struct sockaddr *)&ss, len));
	CHECK_OK(rdt_getsockname(bound, (struct sockaddr *)&ss, &len));
	expect_nonblocking_refused(&ss, len);
	CHECK_OK(rdt_close(bound));
	len = itest_loopback(&ss, AF_INET, unused_udp_port());
	expect_nonblocking_refused(&ss, len);
}

/* EALREADY while a handshake nobody answers is in progress. */
static void test_ealready(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int sink = udp_sink(&ss, &len);
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
				     0));
	struct pollfd p = { .fd = fd, .events = POLLOUT | POLLIN };

	CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, len), EINPROGRESS);
	CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, len), EALREADY);
	CHECK(poll(&p, 1, 200) == 0, "a connecting socket must be neither "
	      "readable nor writable, got revents 0x%x", p.revents);
	/* As TCP: nothing is queued before the handshake completes. */
	CHECK_ERR(rdt_send(fd, "x", 1, MSG_NOSIGNAL), EAGAIN);
	CHECK_ERR(rdt_listen(fd, 1), EINVAL);
	CHECK_OK(rdt_close(fd));
	close(sink);
}

/* --- argument and state errors ------------------------------------------ */

static void test_eisconn(void)
{
	struct itest_pair p;

	itest_pair_open(&p, AF_INET);
	CHECK_ERR(rdt_connect(p.cfd, (struct sockaddr *)&p.laddr, p.laddrlen),
		  EISCONN);
	CHECK_ERR(rdt_connect(p.lfd, (struct sockaddr *)&p.laddr, p.laddrlen),
		  EISCONN);
	itest_pair_close(&p);
}

static void test_enotconn(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	char c = 0;

	CHECK_ERR(rdt_send(fd, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	CHECK_ERR(rdt_recv(fd, &c, 1, 0), ENOTCONN);
	CHECK_ERR(rdt_getpeername(fd, (struct sockaddr *)&ss, &len),
		  ENOTCONN);
	CHECK_ERR(rdt_shutdown(fd, SHUT_WR), ENOTCONN);
	CHECK_OK(rdt_close(fd));

	fd = itest_listen(AF_INET, 1, 0, &ss, &len);
	CHECK_ERR(rdt_recv(fd, &c, 1, 0), ENOTCONN);
	len = sizeof(ss);
	CHECK_ERR(rdt_getpeername(fd, (struct sockaddr *)&ss, &len),
		  ENOTCONN);
	CHECK_OK(rdt_close(fd));
}

static void test_ebadf(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int v = 0;
	socklen_t vlen = sizeof(v);
	char c = 0;

	CHECK_OK(rdt_close(fd));
	CHECK_ERR(rdt_close(fd), EBADF);
	CHECK_ERR(rdt_send(fd, "x", 1, MSG_NOSIGNAL), EBADF);
	CHECK_ERR(rdt_recv(fd, &c, 1, 0), EBADF);
	CHECK_ERR(rdt_bind(fd, (struct sockaddr *)&ss, len), EBADF);
	CHECK_ERR(rdt_close(-1), EBADF);
	CHECK_ERR(rdt_send(-1, "x", 1, MSG_NOSIGNAL), EBADF);
	CHECK_ERR(rdt_listen(-1, 1), EBADF);
	CHECK_ERR(rdt_accept(-1, NULL, NULL), EBADF);
	CHECK_ERR(rdt_connect(-1, (struct sockaddr *)&ss, len), EBADF);
	CHECK_ERR(rdt_shutdown(-1, SHUT_RDWR), EBADF);
	CHECK_ERR(rdt_getsockopt(-1, SOL_SOCKET, SO_ERROR, &v, &vlen), EBADF);
	CHECK_ERR(rdt_fcntl(-1, F_GETFL), EBADF);
	CHECK_ERR(rdt_close(1 << 20), EBADF);
}

/* Plain descriptors, a kernel socket among them, are not rdt sockets. */
static void test_enotsock(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int plain[3], i, v = 0;
	socklen_t vlen = sizeof(v);
	char c = 0;

	CHECK_OK(pipe(plain));
	plain[2] = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	for (i = 0; i < 3; i++) {
		int fd = plain[i];

		CHECK_ERR(rdt_send(fd, "x", 1, MSG_NOSIGNAL), ENOTSOCK);
		CHECK_ERR(rdt_recv(fd, &c, 1, MSG_DONTWAIT), ENOTSOCK);
		CHECK_ERR(rdt_bind(fd, (struct sockaddr *)&ss, len), ENOTSOCK);
		CHECK_ERR(rdt_listen(fd, 1), ENOTSOCK);
		CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, len),
			  ENOTSOCK);
		CHECK_ERR(rdt_accept(fd, NULL, NULL), ENOTSOCK);
		CHECK_ERR(rdt_shutdown(fd, SHUT_RDWR), ENOTSOCK);
		CHECK_ERR(rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &vlen),
			  ENOTSOCK);
		CHECK_ERR(rdt_close(fd), ENOTSOCK);
		/* rdt_close must have left the descriptor alone. */
		CHECK(fcntl(fd, F_GETFD) >= 0, "rdt_close closed a plain "
		      "descriptor: %s", itest_errname(errno));
		close(fd);
	}
}

static void test_einval(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int fd = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int fd6 = CHECK_OK(rdt_socket(AF_INET6, SOCK_STREAM, 0));
	int v = 1;
	socklen_t vlen;

	CHECK_ERR(rdt_socket(AF_INET, SOCK_DGRAM, 0), EINVAL);
	CHECK_ERR(rdt_socket(AF_INET, SOCK_STREAM | 0x40000000, 0), EINVAL);
	CHECK_ERR(rdt_socket(AF_UNIX, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR(rdt_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
		  EPROTONOSUPPORT);
	/* What getaddrinfo gives a TCP program, and TCP's TCP_NODELAY. */
	{
		int tcp = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM,
					      IPPROTO_TCP));

		CHECK_OK(rdt_setsockopt(tcp, IPPROTO_TCP, TCP_NODELAY, &v,
					sizeof(v)));
		v = 0;
		vlen = sizeof(v);
		CHECK_OK(rdt_getsockopt(tcp, RDT_SOL, RDT_NODELAY, &v, &vlen));
		CHECK(v == 1, "TCP_NODELAY 1 did not set RDT_NODELAY: got %d",
		      v);
		v = 1;
		CHECK_OK(rdt_close(tcp));
	}

	CHECK_ERR(rdt_bind(fd, (struct sockaddr *)&ss, 3), EINVAL);
	CHECK_ERR(rdt_bind(fd6, (struct sockaddr *)&ss,
			   sizeof(struct sockaddr_in6)), EAFNOSUPPORT);
	CHECK_OK(rdt_bind(fd, (struct sockaddr *)&ss, len));
	CHECK_ERR(rdt_bind(fd, (struct sockaddr *)&ss, len), EINVAL);

	CHECK_ERR(rdt_accept(fd, NULL, NULL), EINVAL);
	CHECK_ERR(rdt_shutdown(fd, 42), EINVAL);
	CHECK_ERR(rdt_fcntl(fd, F_DUPFD, 0), EINVAL);
	CHECK_ERR(rdt_connect(fd, (struct sockaddr *)&ss, 3), EINVAL);

	CHECK_ERR(rdt_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, 2), EINVAL);
	/* Below the 4096 minimum: refused, or clamped as Linux does. */
	v = 100;
	errno = 0;
	if (rdt_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0) {
		vlen = sizeof(v);
		CHECK_OK(rdt_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &vlen));
		CHECK(v == 4096, "SO_SNDBUF 100 accepted: expected it clamped "
		      "to 4096, got %d", v);
	} else {
		CHECK(errno == EINVAL, "SO_SNDBUF 100: expected EINVAL or a "
		      "clamp to 4096, got %s", itest_errname(errno));
	}
	v = 1199;
	CHECK_ERR(rdt_setsockopt(fd, RDT_SOL, RDT_MAXDGRAM, &v, sizeof(v)),
		  EINVAL);
	v = 65508;
	CHECK_ERR(rdt_setsockopt(fd, RDT_SOL, RDT_MAXDGRAM, &v, sizeof(v)),
		  EINVAL);
	CHECK_ERR(rdt_setsockopt(fd, RDT_SOL, 999, &v, sizeof(v)),
		  ENOPROTOOPT);
	CHECK_ERR(rdt_setsockopt(fd, 12345, SO_RCVBUF, &v, sizeof(v)),
		  ENOPROTOOPT);
	CHECK_ERR(rdt_setsockopt(fd, RDT_SOL, RDT_CONGESTION, "no-such-cc",
				 10), ENOENT);
	vlen = sizeof(v);
	CHECK_ERR(rdt_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, NULL, &vlen),
		  EFAULT);
	CHECK_ERR(rdt_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, NULL),
		  EFAULT);
	CHECK_ERR(rdt_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, NULL, sizeof(v)),
		  EFAULT);

	CHECK_OK(rdt_listen(fd, 1));
	CHECK_ERR(rdt_accept4(fd, NULL, NULL, 0x40000000), EINVAL);
	CHECK_OK(rdt_close(fd));
	CHECK_OK(rdt_close(fd6));
}

/* An unconnected socket also rejects unknown flags, but a connected one
 * is where they matter. */
static void test_eopnotsupp(void)
{
	struct itest_pair p;
	char c = 0;

	itest_pair_open(&p, AF_INET);
	CHECK_ERR(rdt_send(p.cfd, "x", 1, MSG_OOB), EOPNOTSUPP);
	CHECK_ERR(rdt_recv(p.sfd, &c, 1, MSG_OOB), EOPNOTSUPP);
	itest_pair_close(&p);
}

static void test_eaddrinuse(void)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, 0);
	int a = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int b = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	int udp;

	CHECK_OK(rdt_bind(a, (struct sockaddr *)&ss, len));
	CHECK_OK(rdt_getsockname(a, (struct sockaddr *)&ss, &len));
	CHECK_ERR(rdt_bind(b, (struct sockaddr *)&ss, len), EADDRINUSE);
	CHECK_OK(rdt_listen(a, 1));
	CHECK_ERR(rdt_bind(b, (struct sockaddr *)&ss, len), EADDRINUSE);
	CHECK_OK(rdt_close(b));

	/* A kernel UDP socket holds the port just as well. */
	udp = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	len = itest_loopback(&ss, AF_INET, 0);
	CHECK_OK(bind(udp, (struct sockaddr *)&ss, len));
	CHECK_OK(getsockname(udp, (struct sockaddr *)&ss, &len));
	b = CHECK_OK(rdt_socket(AF_INET, SOCK_STREAM, 0));
	CHECK_ERR(rdt_bind(b, (struct sockaddr *)&ss, len), EADDRINUSE);
	CHECK_OK(rdt_close(b));
	CHECK_OK(rdt_close(a));
	close(udp);
}

/* EAGAIN: MSG_DONTWAIT, non-blocking accept, SO_RCVTIMEO, a full send
 * buffer, SO_SNDTIMEO. */
static void test_eagain(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	static uint8_t buf[1 << 20];
	struct itest_pair p;
	int64_t start, took;
	uint64_t queued = 0;
	ssize_t n = 0;

	itest_pair_open(&p, AF_INET);
	CHECK_ERR(rdt_recv(p.cfd, buf, 1, MSG_DONTWAIT), EAGAIN);

	CHECK_OK(rdt_setsockopt(p.cfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	start = itest_now_ms();
	CHECK_ERR(rdt_recv(p.cfd, buf, 1, 0), EAGAIN);
	took = itest_now_ms() - start;
	CHECK(took >= 250 && took < 2000, "SO_RCVTIMEO of 300 ms: expected "
	      "EAGAIN after about 300 ms, got it after %" PRId64 " ms", took);

	CHECK_OK(rdt_setsockopt(p.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	start = itest_now_ms();
	CHECK_ERR(rdt_accept(p.lfd, NULL, NULL), EAGAIN);
	took = itest_now_ms() - start;
	CHECK(took >= 250 && took < 2000, "accept with SO_RCVTIMEO of 300 "
	      "ms: expected EAGAIN after about 300 ms, got it after %" PRId64
	      " ms", took);
	itest_set_nonblock(p.lfd, true);
	CHECK_ERR(rdt_accept(p.lfd, NULL, NULL), EAGAIN);

	/*
	 * The server never reads: the send buffer fills (EAGAIN), drains
	 * into the server's receive buffer, fills again, until both are
	 * full and the socket stays unwritable.
	 */
	for (;;) {
		n = rdt_send(p.cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			queued += (uint64_t)n;
			CHECK(queued < 1024u << 20, "1 GiB queued to a peer "
			      "that does not read: no flow control?");
			continue;
		}
		CHECK(n < 0 && errno == EAGAIN, "MSG_DONTWAIT to a peer that "
		      "does not read: expected EAGAIN, got %zd with %s", n,
		      itest_errname(errno));
		struct pollfd w = { .fd = p.cfd, .events = POLLOUT };

		if (poll(&w, 1, 500) == 0)
			break;
	}
	itest_log("EAGAIN for good after %" PRIu64 " bytes queued", queued);

	CHECK_OK(rdt_setsockopt(p.cfd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)));
	/* EAGAIN, or the few bytes a window update let in meanwhile. */
	start = itest_now_ms();
	errno = 0;
	n = rdt_send(p.cfd, buf, sizeof(buf), 0);
	took = itest_now_ms() - start;
	CHECK((n == -1 && errno == EAGAIN) ||
	      (n > 0 && (size_t)n < sizeof(buf)), "blocking send of %zu "
	      "bytes to a full buffer with SO_SNDTIMEO: expected EAGAIN or a "
	      "short count, got %zd (%s)", sizeof(buf), n,
	      n < 0 ? itest_errname(errno) : "no error");
	CHECK(took >= 250 && took < 2000, "SO_SNDTIMEO of 300 ms: expected "
	      "the send to return after about 300 ms, it took %" PRId64
	      " ms", took);

	/* The unread data makes this close a reset, which is fine here. */
	itest_pair_close(&p);
}

/*
 * EMFILE: with the descriptor limit just above what is open, rdt_socket
 * fails with EMFILE, accept too while a connection waits (which stays
 * queued), and both work again once descriptors are freed.
 */
static void test_emfile(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	int cfd = itest_connect(&ss, len);
	struct rlimit rl;
	int fds[64];
	int n, sfd;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = (rlim_t)itest_count_fds() + 9;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	for (n = 0; n < 64; n++) {
		fds[n] = rdt_socket(AF_INET, SOCK_STREAM, 0);
		if (fds[n] < 0)
			break;
	}
	CHECK(n < 64 && errno == EMFILE, "expected EMFILE with the limit at "
	      "%lu descriptors, got %s after %d sockets",
	      (unsigned long)rl.rlim_cur,
	      n < 64 ? itest_errname(errno) : "no error", n);
	CHECK(n >= 1, "no socket could be made below the limit");
	itest_log("EMFILE after %d sockets", n);
	CHECK_ERR(rdt_accept(lfd, NULL, NULL), EMFILE);
	CHECK_OK(rdt_close(fds[--n]));
	sfd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	CHECK(rdt_send(cfd, "x", 1, 0) == 1, "send: %s",
	      itest_errname(errno));
	CHECK_OK(rdt_close(sfd));
	while (n > 0)
		CHECK_OK(rdt_close(fds[--n]));
	CHECK_OK(rdt_close(cfd));
	CHECK_OK(rdt_close(lfd));
}

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/*
 * An off-path forger who knows the addresses and ports (not the
 * connection ID) sends port unreachable for the client's datagrams to the
 * server: the connection must live on and the forgery be counted.
 */
static void test_forged_icmp(void)
{
	struct itest_pair p;
	struct sockaddr_storage cli, srv;
	socklen_t clen = sizeof(cli), slen = sizeof(srv);
	struct rdt_info info;
	uint8_t pkt[8 + 20 + 8 + 64], buf[4096];
	struct icmphdr *icmp = (struct icmphdr *)pkt;
	struct iphdr *ip = (struct iphdr *)(pkt + 8);
	struct udphdr *udp = (struct udphdr *)(pkt + 28);
	struct sockaddr_in to = { .sin_family = AF_INET };
	int raw, i;
	size_t got = 0;

	raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (raw < 0)
		itest_skip("no raw socket (%s): forging ICMP needs root",
			   itest_errname(errno));
	itest_pair_open(&p, AF_INET);
	CHECK_OK(rdt_getsockname(p.cfd, (struct sockaddr *)&cli, &clen));
	CHECK_OK(rdt_getpeername(p.cfd, (struct sockaddr *)&srv, &slen));
	memset(pkt, 0, sizeof(pkt));
	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_PORT_UNREACH;
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(20 + 8 + 64);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = ((struct sockaddr_in *)&cli)->sin_addr.s_addr;
	ip->daddr = ((struct sockaddr_in *)&srv)->sin_addr.s_addr;
	ip->check = inet_csum(ip, 20);
	udp->source = ((struct sockaddr_in *)&cli)->sin_port;
	udp->dest = ((struct sockaddr_in *)&srv)->sin_port;
	udp->len = htons(8 + 64);
	/* The quoted rdt header: version 1, a DATA type, a guessed ID. */
	pkt[36] = 1;
	pkt[37] = 2;
	for (i = 40; i < 48; i++)
		pkt[i] = (uint8_t)(0x5a ^ i);
	icmp->checksum = inet_csum(pkt, sizeof(pkt));
	to.sin_addr = ((struct sockaddr_in *)&cli)->sin_addr;
	for (i = 0; i < 10; i++)
		CHECK(sendto(raw, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
			     sizeof(to)) == (ssize_t)sizeof(pkt),
		      "sendto: %s", itest_errname(errno));
	close(raw);
	/* The connection still carries bytes both ways. */
	memset(buf, 'f', sizeof(buf));
	CHECK(rdt_send(p.cfd, buf, sizeof(buf), 0) == sizeof(buf), "send: %s",
	      itest_errname(errno));
	while (got < sizeof(buf)) {
		ssize_t n = rdt_recv(p.sfd, buf, sizeof(buf) - got, 0);

		CHECK(n > 0, "after the forgery: %s", itest_errname(errno));
		got += (size_t)n;
	}
	itest_info(p.cfd, &info);
	CHECK(info.state == RDT_STATE_ESTABLISHED, "state %u", info.state);
	CHECK(info.port_drop_icmp >= 1, "the forgeries were not counted");
	itest_log("%" PRIu64 " forged ICMP errors dropped",
		  info.port_drop_icmp);
	itest_pair_close(&p);
}

static const struct itest_case cases[] = {
	{ "refused_no_udp_socket", test_refused_no_udp_socket, 10 },
	{ "refused_bound_not_listening", test_refused_bound_not_listening,
	  10 },
	{ "connect_user_timeout", test_connect_user_timeout, 15 },
	{ "killed_server", test_killed_server, 60 },
	{ "killed_client", test_killed_client, 60 },
	{ "reset_after_shutdown", test_reset_after_shutdown, 60 },
	{ "epipe_after_peer_close", test_epipe_after_peer_close, 20 },
	{ "epipe_after_shutdown", test_epipe_after_shutdown, 10 },
	{ "nonblocking_connect", test_nonblocking_connect, 10 },
	{ "nonblocking_connect_refused", test_nonblocking_connect_refused,
	  10 },
	{ "ealready", test_ealready, 10 },
	{ "eisconn", test_eisconn, 10 },
	{ "enotconn", test_enotconn, 10 },
	{ "ebadf", test_ebadf, 10 },
	{ "enotsock", test_enotsock, 10 },
	{ "einval", test_einval, 10 },
	{ "eopnotsupp", test_eopnotsupp, 10 },
	{ "eaddrinuse", test_eaddrinuse, 10 },
	{ "eagain", test_eagain, 30 },
	{ "emfile", test_emfile, 20 },
	{ "forged_icmp", test_forged_icmp, 20 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
