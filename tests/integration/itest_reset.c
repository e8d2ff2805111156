/*
 * itest_reset.c: forged RESETs against a connection a listener accepted
 * (issue 10; docs/PROTOCOL.md, 7.8 "Reset tokens").
 *
 * The client reaches the listener through a UDP relay in this process,
 * which reads the handshake as an on-path observer would: the client's
 * reset token from its INIT, the server's connection ID from its ACCEPT.
 * The relay's socket is the server's idea of the client's address.  Then
 * the test, playing the attacker:
 *
 *   1. sends RESETs naming the server's connection, with the client's
 *      true token, from another port of 127.0.0.1 and from the relay's
 *      port on 127.0.0.2: dropped for their address and counted in
 *      port_drop_reset_addr (today's library reset the connection);
 *   2. sends RESETs from the relay's own socket, the right address, one
 *      without a token and one with a wrong one: dropped and counted in
 *      the connection's drop_forged_reset;
 *   3. checks that bytes still flow both ways, then sends the RESET with
 *      the true token from the right address: the server's end fails
 *      with ECONNRESET, so the two checks above are what stopped the
 *      forgeries.
 *
 * The relay and the attacker build datagrams with the library's codec,
 * compiled in.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "integration/itest.h"
#include "wire/pkt.h"

struct relay {
	int fd;				/* bound to 127.0.0.1, any port */
	struct sockaddr_in self, server, client;
	atomic_bool stop;
	/* What the handshake showed, under |lock|. */
	pthread_mutex_t lock;
	int have_init, have_accept;
	uint8_t client_token[RDT_PKT_RESET_TOKEN_SIZE];
	uint64_t server_cid;
};

static int same_sin(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	       a->sin_port == b->sin_port;
}

/* Forwards every datagram between the client and the server, noting
 * the handshake's fields on the way. */
static void *relay_run(void *arg)
{
	struct relay *r = arg;
	uint8_t buf[RDT_PKT_MAX_DGRAM];

	while (!atomic_load(&r->stop)) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct rdt_pkt pkt;
		ssize_t n;
		int to_server;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = recvfrom(r->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n <= 0)
			continue;
		to_server = !same_sin(&from, &r->server);
		pthread_mutex_lock(&r->lock);
		if (to_server && r->client.sin_port == 0)
			r->client = from;
		if (rdt_pkt_decode(&pkt, buf, (size_t)n) == 0) {
			if (pkt.type == RDT_PKT_INIT) {
				memcpy(r->client_token, pkt.reset_token,
				       sizeof(r->client_token));
				r->have_init = 1;
			} else if (pkt.type == RDT_PKT_ACCEPT) {
				r->server_cid = pkt.scid;
				r->have_accept = 1;
			}
		}
		pthread_mutex_unlock(&r->lock);
		(void)sendto(r->fd, buf, (size_t)n, 0,
			     (const struct sockaddr *)(to_server ? &r->server :
								   &r->client),
			     sizeof(struct sockaddr_in));
	}
	return NULL;
}

/* Sends from |fd| to the server a RESET naming |cid|, reason ABORT,
 * with |token| (NULL: none). */
static void send_reset(int fd, const struct sockaddr_in *server,
		       uint64_t cid, const uint8_t *token)
{
	uint8_t dg[RDT_PKT_RESET_WITH_TOKEN_SIZE];
	struct rdt_pkt p;
	rdt_ssize n;

	memset(&p, 0, sizeof(p));
	p.type = RDT_PKT_RESET;
	p.dcid = cid;
	p.pn = 12345;
	p.reason = RDT_RESET_ABORT;
	if (token) {
		p.has_reset_token = 1;
		memcpy(p.reset_token, token, RDT_PKT_RESET_TOKEN_SIZE);
	}
	n = rdt_pkt_encode(dg, sizeof(dg), &p);
	CHECK(n > 0, "encode: %ld", (long)n);
	CHECK(sendto(fd, dg, (size_t)n, 0, (const struct sockaddr *)server,
		     sizeof(*server)) == n,
	      "sendto: %s", itest_errname(errno));
}

static bool addr_drops(const struct rdt_info *i, uint64_t want)
{
	return i->port_drop_reset_addr >= want;
}

static bool token_drops(const struct rdt_info *i, uint64_t want)
{
	return i->drop_forged_reset >= want;
}

/* |len| bytes of stream |id| from |from| to |to|, verified. */
static void exchange(int from, int to, uint64_t id, size_t len,
		     uint64_t *off)
{
	uint8_t buf[4096];
	size_t got = 0;

	CHECK(len <= sizeof(buf), "len %zu", len);
	itest_pattern_fill(buf, len, id, *off);
	CHECK(rdt_send(from, buf, len, 0) == (ssize_t)len, "send: %s",
	      itest_errname(errno));
	while (got < len) {
		ssize_t n = rdt_recv(to, buf + got, len - got, 0);

		CHECK(n > 0, "recv: %s", n < 0 ? itest_errname(errno) : "EOF");
		got += (size_t)n;
	}
	CHECK(itest_pattern_find_error(buf, len, id, *off) < 0,
	      "corrupt bytes");
	*off += len;
}

static void test_forged_reset(void)
{
	struct sockaddr_storage laddr, raddr;
	socklen_t llen, rlen = sizeof(struct sockaddr_in);
	struct relay r;
	struct rdt_info info;
	uint8_t wrong[RDT_PKT_RESET_TOKEN_SIZE];
	uint64_t up = 0, down = 0;
	pthread_t th;
	int lfd, cfd, sfd, other, other_ip;
	char b;

	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.lock, NULL);
	lfd = itest_listen(AF_INET, 8, 0, &laddr, &llen);
	memcpy(&r.server, &laddr, sizeof(r.server));
	r.fd = itest_udp_bound("127.0.0.1", 0);
	CHECK_OK(getsockname(r.fd, (struct sockaddr *)&r.self, &rlen));
	CHECK(pthread_create(&th, NULL, relay_run, &r) == 0, "thread");
	memset(&raddr, 0, sizeof(raddr));
	memcpy(&raddr, &r.self, sizeof(r.self));
	cfd = itest_connect(&raddr, sizeof(r.self));
	sfd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	exchange(cfd, sfd, 1, 1000, &up);
	pthread_mutex_lock(&r.lock);
	CHECK(r.have_init && r.have_accept, "the relay saw no handshake");
	pthread_mutex_unlock(&r.lock);

	/* 1. The true token from the wrong address or port. */
	other = itest_udp_bound("127.0.0.1", 0);
	other_ip = itest_udp_bound("127.0.0.2", ntohs(r.self.sin_port));
	send_reset(other, &r.server, r.server_cid, r.client_token);
	send_reset(other_ip, &r.server, r.server_cid, r.client_token);
	(void)itest_wait_info(sfd, &info, addr_drops, 2, 5000);
	CHECK(info.state == RDT_STATE_ESTABLISHED, "state %u", info.state);
	CHECK(info.port_drop_reset_addr == 2,
	      "port_drop_reset_addr %" PRIu64 ", expected 2",
	      info.port_drop_reset_addr);

	/* 2. The right address without the token, or with a wrong one. */
	memcpy(wrong, r.client_token, sizeof(wrong));
	wrong[7] ^= 0x10;
	send_reset(r.fd, &r.server, r.server_cid, NULL);
	send_reset(r.fd, &r.server, r.server_cid, wrong);
	(void)itest_wait_info(sfd, &info, token_drops, 2, 5000);
	CHECK(info.drop_forged_reset == 2,
	      "drop_forged_reset %" PRIu64 ", expected 2",
	      info.drop_forged_reset);
	CHECK(info.state == RDT_STATE_ESTABLISHED, "state %u", info.state);
	CHECK(info.port_drop_reset_addr == 2, "port_drop_reset_addr %" PRIu64,
	      info.port_drop_reset_addr);
	exchange(cfd, sfd, 1, 3000, &up);
	exchange(sfd, cfd, 2, 3000, &down);
	itest_log("dropped %" PRIu64 " RESETs for their address, %" PRIu64
		  " for their token; the connection carried on",
		  info.port_drop_reset_addr, info.drop_forged_reset);

	/* 3. Both right: the server's end is reset. */
	send_reset(r.fd, &r.server, r.server_cid, r.client_token);
	CHECK_ERR(rdt_recv(sfd, &b, 1, 0), ECONNRESET);

	/* The client's end goes at once, with nobody left to hear it. */
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		CHECK_OK(rdt_setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg,
					sizeof(lg)));
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	close(other);
	close(other_ip);
	close(r.fd);
	rdt_close(cfd);
	rdt_close(sfd);
	rdt_close(lfd);
}

static const struct itest_case cases[] = {
	{ "forged_reset", test_forged_reset, 20 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
