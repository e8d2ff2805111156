/*
 * itest_flood.c: a listener keeps serving real clients through a flood of
 * INITs from addresses that never answer (issue 10, stateless address
 * validation; PROTOCOL.md 7.4).
 *
 *   flood   64 UDP sockets on 127.0.0.2 .. 127.0.0.65 send well-formed
 *           INITs, each with a fresh connection ID, 20,000 per second in
 *           all, and never answer what comes back: from the listener's
 *           side, exactly what INITs with forged source addresses look
 *           like.  Once the flood has filled the handshake queue (the
 *           listener has started answering with RETRY), a client process
 *           starts 30 clients at once; each connects, sends 256 KiB,
 *           half-closes and reads back the echo, byte-exact.  All 30 must
 *           succeed.  The listener's memory must stay bounded, and the
 *           bytes that came back to the flooding addresses must be at
 *           most 3 times what they sent (QUIC's anti-amplification
 *           limit).  The figures are printed.
 *   slow-answer
 *           A real client that got into the handshake queue without a
 *           cookie, and is slow to answer its ACCEPT, keeps its place
 *           while clients that proved their address find the queue full
 *           (crafted datagrams, backlog 4: two unvalidated INITs, then
 *           four validated ones that never answer their ACCEPT).  When
 *           it answers, it gets an ACK and is accepted, not a RESET
 *           UNKNOWN: a connection dropped after its ACCEPT leaves a
 *           client that believes it connected, and which the flood case
 *           once saw wait out its timeout.
 *   always  RDT_VALIDATE_ADDR 1: a client with no flood around proves
 *           its address (one RETRY, one validated INIT) and connects; the
 *           option reads back and refuses values other than 0 and 1.
 *
 * Before cookies (stop 15), the same flood let 16 of 30 clients in: the
 * half-open connection of a client was evicted by the flood before its
 * first DATA.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "integration/itest.h"
#include "util/prng.h"
#include "wire/pkt.h"

#define FLOOD_SOCKETS 64
#define FLOOD_RATE 20000	/* INITs per second */
#define FLOOD_MAX_S 60		/* the flood stops by itself after this */
#define CLIENTS 30
#define CLIENT_BYTES (256u << 10)
#define BACKLOG 16
/* Listener growth allowed during the flood, KiB: the accept queue and
 * the handshake queue are bounded by BACKLOG, whatever the flood does. */
#define RSS_GROWTH_KIB (64 * 1024)

struct flood {
	uint16_t port;
	atomic_bool stop;
	uint64_t sent, sent_bytes, back_bytes;
	int fd[FLOOD_SOCKETS];
};

/* Sockets bound to 127.0.0.2 and up, one address each. */
static void flood_open(struct flood *fl)
{
	int i;

	for (i = 0; i < FLOOD_SOCKETS; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET };

		a.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)i);
		fl->fd[i] = CHECK_OK(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK,
					    0));
		CHECK_OK(bind(fl->fd[i], (struct sockaddr *)&a, sizeof(a)));
	}
}

/* Reads and counts what came back to the flooding addresses. */
static void flood_drain(struct flood *fl)
{
	uint8_t buf[2048];
	ssize_t n;
	int i;

	for (i = 0; i < FLOOD_SOCKETS; i++)
		while ((n = recv(fl->fd[i], buf, sizeof(buf), 0)) > 0)
			fl->back_bytes += (uint64_t)n;
}

static void *flood_run(void *arg)
{
	struct flood *fl = arg;
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, fl->port);
	uint8_t dg[RDT_PKT_INIT_MIN_SIZE];
	int64_t start = itest_now_ms(), now;
	struct rdt_pkt p;
	struct prng rng;
	rdt_ssize n;

	prng_seed(&rng, 0x666c6f6f64ull);
	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_INIT;
	p.window = 1 << 20;
	p.max_dgram = 1400;
	while (!atomic_load(&fl->stop) &&
	       (now = itest_now_ms()) - start < FLOOD_MAX_S * 1000) {
		/* Keep to the rate: as many as are due by now. */
		uint64_t due = (uint64_t)(now - start) * FLOOD_RATE / 1000;

		while (fl->sent < due) {
			p.scid = prng_next(&rng) | 1;
			p.isn = (uint32_t)prng_next(&rng);
			p.pn = (uint32_t)prng_next(&rng);
			n = rdt_pkt_encode(dg, sizeof(dg), &p);
			CHECK(n > 0, "INIT encoding failed: %ld", (long)n);
			/* A full socket buffer drops it, as a network would. */
			if (sendto(fl->fd[fl->sent % FLOOD_SOCKETS], dg,
				   (size_t)n, 0, (struct sockaddr *)&ss,
				   len) == n)
				fl->sent_bytes += (uint64_t)n;
			fl->sent++;
		}
		flood_drain(fl);
		poll(NULL, 0, 1);
	}
	flood_drain(fl);
	return NULL;
}

/* --- the listener: echo every connection -------------------------------- */

struct echo_arg {
	int lfd;
	atomic_int served;
};

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t buf[16384];
	ssize_t n;

	while ((n = rdt_recv(fd, buf, sizeof(buf), 0)) > 0)
		CHECK(rdt_send(fd, buf, (size_t)n, 0) == n, "echo: %s",
		      itest_errname(errno));
	CHECK(n == 0, "echo recv: %s", itest_errname(errno));
	rdt_close(fd);
	return NULL;
}

static void *echo_server(void *arg)
{
	struct echo_arg *ea = arg;
	pthread_t th[CLIENTS];
	int i;

	for (i = 0; i < CLIENTS; i++) {
		int fd = CHECK_OK(rdt_accept(ea->lfd, NULL, NULL));

		pthread_create(&th[i], NULL, echo_conn, (void *)(intptr_t)fd);
	}
	for (i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&ea->served, CLIENTS);
	return NULL;
}

/* --- the clients, in a process of their own (a library of their own) ---- */

struct client_arg {
	struct sockaddr_storage addr;
	socklen_t len;
	uint64_t id;
	int ok;
};

static void *client_run(void *arg)
{
	struct client_arg *ca = arg;
	uint8_t *out = malloc(CLIENT_BYTES), *in = malloc(CLIENT_BYTES);
	struct timeval stuck = { .tv_sec = 60 };
	size_t got = 0;
	ssize_t n;
	int fd;

	CHECK(out && in, "out of memory");
	itest_pattern_fill(out, CLIENT_BYTES, ca->id, 0);
	fd = itest_connect(&ca->addr, ca->len);
	/* A client stuck for a minute fails with its name and its count,
	 * rather than the whole case running into its bound. */
	CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &stuck,
				sizeof(stuck)));
	CHECK_OK(rdt_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stuck,
				sizeof(stuck)));
	CHECK(rdt_send(fd, out, CLIENT_BYTES, 0) == (ssize_t)CLIENT_BYTES,
	      "client %" PRIu64 ": send: %s", ca->id, itest_errname(errno));
	CHECK_OK(rdt_shutdown(fd, SHUT_WR));
	while (got < CLIENT_BYTES &&
	       (n = rdt_recv(fd, in + got, CLIENT_BYTES - got, 0)) > 0)
		got += (size_t)n;
	CHECK(got == CLIENT_BYTES, "client %" PRIu64 ": %zu of %u bytes back"
	      " (%s)", ca->id, got, CLIENT_BYTES,
	      n < 0 ? itest_errname(errno) : "end of stream");
	CHECK(itest_pattern_find_error(in, got, ca->id, 0) < 0,
	      "client %" PRIu64 ": the echo differs", ca->id);
	rdt_close(fd);
	free(out);
	free(in);
	ca->ok = 1;
	return NULL;
}

static void clients(const struct sockaddr_storage *addr, socklen_t len)
{
	struct client_arg ca[CLIENTS];
	pthread_t th[CLIENTS];
	int i, ok = 0;

	for (i = 0; i < CLIENTS; i++) {
		ca[i].addr = *addr;
		ca[i].len = len;
		ca[i].id = 100 + (uint64_t)i;
		ca[i].ok = 0;
		pthread_create(&th[i], NULL, client_run, &ca[i]);
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		ok += ca[i].ok;
	}
	CHECK(ok == CLIENTS, "%d of %d clients got through", ok, CLIENTS);
}

static bool retry_sent(const struct rdt_info *i, uint64_t want)
{
	return i->port_retry_sent >= want;
}

static void case_flood(void)
{
	struct sockaddr_storage addr;
	socklen_t len;
	struct flood fl;
	struct echo_arg ea;
	struct rdt_info info;
	pthread_t flood_th, echo_th;
	long rss0, rss1;
	int64_t t0, t1;
	int pfd[2];
	pid_t pid;
	int i;

	/*
	 * The client process is forked first, while this one has no thread:
	 * a child forked from threads may find a lock (an allocator's: the
	 * sanitizers' is not fork-safe) held forever by a thread it does not
	 * have.  It waits for the port, sent once the flood is under way.
	 */
	CHECK_OK(pipe(pfd));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		close(pfd[1]);
		len = itest_loopback(&addr, AF_INET, itest_recv_port(pfd[0]));
		clients(&addr, len);
		/* exit, not _exit: the library then delivers the last FINs. */
		exit(0);
	}
	close(pfd[0]);
	memset(&fl, 0, sizeof(fl));
	ea.lfd = itest_listen(AF_INET, BACKLOG, 0, &addr, &len);
	atomic_init(&ea.served, 0);
	fl.port = itest_port(&addr);
	flood_open(&fl);
	rss0 = itest_rss_kib();
	pthread_create(&echo_th, NULL, echo_server, &ea);
	pthread_create(&flood_th, NULL, flood_run, &fl);
	/* Wait (bounded) until the flood has filled the handshake queue. */
	CHECK(itest_wait_info(ea.lfd, &info, retry_sent, 1, 10000),
	      "the flood never filled the handshake queue");
	t0 = itest_now_ms();
	itest_send_port(pfd[1], fl.port);
	close(pfd[1]);
	itest_wait_ok(pid, "the 30 clients");
	t1 = itest_now_ms();
	pthread_join(echo_th, NULL);
	atomic_store(&fl.stop, true);
	pthread_join(flood_th, NULL);
	rss1 = itest_rss_kib();
	itest_info(ea.lfd, &info);
	itest_log("30 of 30 clients served in %" PRId64 " ms during the flood",
		  t1 - t0);
	itest_log("attacker: %" PRIu64 " INITs (%" PRIu64 " bytes) sent, %" PRIu64
		  " bytes came back: %.3fx", fl.sent, fl.sent_bytes,
		  fl.back_bytes,
		  fl.sent_bytes ? (double)fl.back_bytes / (double)fl.sent_bytes
				: 0.0);
	itest_log("listener: %" PRIu64 " RETRYs, %" PRIu64 " validated INITs, %"
		  PRIu64 " dropped for a bad cookie, %" PRIu64
		  " dropped at the backlog; RSS %ld -> %ld KiB",
		  info.port_retry_sent, info.port_validated,
		  info.port_drop_bad_cookie, info.port_drop_backlog, rss0,
		  rss1);
	CHECK(fl.back_bytes <= 3 * fl.sent_bytes,
	      "amplification: %" PRIu64 " bytes back for %" PRIu64 " sent",
	      fl.back_bytes, fl.sent_bytes);
	/* A client that arrived while the queue had room got in without a
	 * cookie; the others had to prove their address. */
	CHECK(info.port_validated > 0,
	      "no client was asked to prove its address");
	CHECK(info.port_drop_bad_cookie == 0,
	      "%" PRIu64 " genuine cookies refused", info.port_drop_bad_cookie);
	CHECK(rss1 - rss0 <= RSS_GROWTH_KIB,
	      "the listener grew by %ld KiB", rss1 - rss0);
	for (i = 0; i < FLOOD_SOCKETS; i++)
		close(fl.fd[i]);
	rdt_close(ea.lfd);
}

/* --- a real client slow to answer its ACCEPT ----------------------------- */

#define SLOW_BACKLOG 4
#define RAW_WINDOW (1u << 20)

/* A client made of crafted datagrams, to answer (or not) as a test says. */
struct raw_client {
	int fd;
	uint64_t scid;
	uint32_t pn;
	const struct sockaddr_storage *to;
	socklen_t tolen;
	struct rdt_pkt got;	/* the last datagram received */
	uint8_t buf[2048];
};

static void raw_open(struct raw_client *rc, uint64_t scid,
		     const struct sockaddr_storage *to, socklen_t tolen)
{
	rc->fd = itest_udp_bound("127.0.0.1", 0);
	rc->scid = scid;
	rc->pn = 1000;
	rc->to = to;
	rc->tolen = tolen;
}

static void raw_send(struct raw_client *rc, const struct rdt_pkt *p)
{
	uint8_t dg[RDT_PKT_MAX_DGRAM];
	rdt_ssize n = rdt_pkt_encode(dg, sizeof(dg), p);

	CHECK(n > 0, "encoding failed: %ld", (long)n);
	CHECK(sendto(rc->fd, dg, (size_t)n, 0, (const struct sockaddr *)rc->to,
		     rc->tolen) == n,
	      "sendto: %s", itest_errname(errno));
}

static void raw_init(struct raw_client *rc, const uint8_t *token,
		     uint8_t token_len)
{
	struct rdt_pkt p;

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_INIT;
	p.scid = rc->scid;
	p.isn = 1;
	p.pn = rc->pn;
	p.window = RAW_WINDOW;
	p.max_dgram = 1400;
	p.token_len = token_len;
	p.token = token;
	raw_send(rc, &p);
}

/* The next datagram to |rc|, within 10 s, decoded into rc->got. */
static void raw_recv(struct raw_client *rc, const char *who, uint8_t type)
{
	struct pollfd pfd = { .fd = rc->fd, .events = POLLIN };
	ssize_t n;

	CHECK(poll(&pfd, 1, 10000) == 1, "%s: no answer in 10 s", who);
	n = recv(rc->fd, rc->buf, sizeof(rc->buf), 0);
	CHECK(n > 0, "%s: recv: %s", who, itest_errname(errno));
	CHECK(rdt_pkt_decode(&rc->got, rc->buf, (size_t)n) == 0,
	      "%s: an answer that does not decode", who);
	CHECK(rc->got.type == type,
	      "%s: answered with type %u (RESET reason %u), expected type %u",
	      who, rc->got.type, rc->got.reason, type);
}

/* A client that proves its address (INIT, RETRY, INIT with the cookie)
 * and then never answers its ACCEPT. */
static void raw_validated(struct raw_client *rc)
{
	uint8_t token[256];
	uint8_t token_len;

	raw_init(rc, NULL, 0);
	raw_recv(rc, "a client when the queue is half full", RDT_PKT_RETRY);
	token_len = rc->got.token_len;
	memcpy(token, rc->got.token, token_len);
	rc->pn++;
	raw_init(rc, token, token_len);
}

static bool backlog_drops(const struct rdt_info *i, uint64_t want)
{
	return i->port_drop_backlog >= want;
}

static void case_slow_answer(void)
{
	struct sockaddr_storage addr;
	struct raw_client filler, slow, v[4];
	struct rdt_info info;
	struct rdt_pkt ping;
	struct pollfd pfd;
	socklen_t len;
	int lfd, fd, i;

	lfd = itest_listen(AF_INET, SLOW_BACKLOG, 0, &addr, &len);
	/* Two INITs without a cookie while the queue is less than half
	 * full: a forger's that never answers, then the slow client's. */
	raw_open(&filler, 0x1111, &addr, len);
	raw_init(&filler, NULL, 0);
	raw_recv(&filler, "the first INIT", RDT_PKT_ACCEPT);
	raw_open(&slow, 0x2222, &addr, len);
	raw_init(&slow, NULL, 0);
	raw_recv(&slow, "the slow client's INIT", RDT_PKT_ACCEPT);
	/* Two validated clients fill the queue; two more find it full,
	 * each of which used to take the place of the oldest one that did
	 * not prove its address: the forger's, then the slow client's. */
	for (i = 0; i < 4; i++) {
		raw_open(&v[i], 0x3333 + (uint64_t)i, &addr, len);
		raw_validated(&v[i]);
	}
	(void)itest_wait_info(lfd, &info, backlog_drops, 2, 10000);
	CHECK(info.port_validated == 4 && info.port_drop_backlog >= 2,
	      "%" PRIu64 " validated INITs, %" PRIu64 " dropped at the "
	      "backlog: expected 4 and 2", info.port_validated,
	      info.port_drop_backlog);
	/* Now the slow client answers its ACCEPT. */
	memset(&ping, 0, sizeof(ping));
	ping.type = RDT_PKT_DATA;
	ping.flags = RDT_PKT_F_PING;
	ping.dcid = slow.got.scid;
	ping.pn = slow.pn + 1;
	ping.window_edge = slow.got.isn + RAW_WINDOW;
	raw_send(&slow, &ping);
	raw_recv(&slow, "the slow client's first DATA", RDT_PKT_DATA);
	CHECK(slow.got.dcid == slow.scid && (slow.got.flags & RDT_PKT_F_ACK),
	      "the answer to the slow client is no ACK of its connection");
	pfd.fd = lfd;
	pfd.events = POLLIN;
	CHECK(rdt_poll(&pfd, 1, 10000) == 1,
	      "the slow client's connection was not accepted within 10 s");
	fd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	rdt_close(fd);
	close(filler.fd);
	close(slow.fd);
	for (i = 0; i < 4; i++)
		close(v[i].fd);
	rdt_close(lfd);
}

static void case_always(void)
{
	struct itest_pair p;
	struct rdt_info info;
	socklen_t len = sizeof(int);
	int v = -1;

	p.lfd = itest_listen(AF_INET, 4, 0, &p.laddr, &p.laddrlen);
	itest_setopt_int(p.lfd, RDT_SOL, RDT_VALIDATE_ADDR, 1);
	CHECK_OK(rdt_getsockopt(p.lfd, RDT_SOL, RDT_VALIDATE_ADDR, &v, &len));
	CHECK(v == 1, "RDT_VALIDATE_ADDR reads back %d", v);
	v = 2;
	CHECK_ERR(rdt_setsockopt(p.lfd, RDT_SOL, RDT_VALIDATE_ADDR, &v,
				 sizeof(v)),
		  EINVAL);
	p.cfd = itest_connect(&p.laddr, p.laddrlen);
	p.sfd = CHECK_OK(rdt_accept(p.lfd, NULL, NULL));
	CHECK(rdt_send(p.cfd, "proof", 5, 0) == 5, "send: %s",
	      itest_errname(errno));
	{
		char buf[8];

		CHECK(rdt_recv(p.sfd, buf, sizeof(buf), 0) == 5 &&
			      memcmp(buf, "proof", 5) == 0,
		      "the bytes did not arrive");
	}
	itest_info(p.lfd, &info);
	CHECK(info.port_retry_sent == 1 && info.port_validated == 1,
	      "%" PRIu64 " RETRYs, %" PRIu64 " validated, expected 1 and 1",
	      info.port_retry_sent, info.port_validated);
	itest_info(p.cfd, &info);
	CHECK(info.retry_received == 1, "the client obeyed %" PRIu64
	      " RETRYs", info.retry_received);
	itest_pair_close(&p);
}

int main(int argc, char **argv)
{
	static const struct itest_case cases[] = {
		{ "flood", case_flood, 180 },
		{ "slow-answer", case_slow_answer, 30 },
		{ "always", case_always, 30 },
	};

	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
