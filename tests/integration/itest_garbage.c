/*
 * itest_garbage.c: datagrams of garbage sprayed at a listener's port in
 * the middle of a 64 MiB transfer (quick: 16 MiB) change nothing but the
 * port's drop counters.
 *
 * A client process sends the stream; this process accepts, verifies
 * every byte and sends a small stream back, while a thread sprays the
 * listener's port from plain UDP sockets, one per kind of garbage:
 *
 *   random       random bytes, 20 to 1400 long      -> port_drop_checksum
 *   short        random bytes, 1 to 19 long         -> port_drop_malformed
 *   data         a well-formed DATA, random dcid    -> port_drop_unknown_cid
 *   reset        a well-formed RESET, random dcid   -> port_drop_unknown_cid
 *   badcrc       a DATA header and body, random dcid,
 *                one bit of the CRC flipped         -> port_drop_checksum
 *   reserved     a DATA with the reserved byte set,
 *                valid CRC                          -> port_drop_malformed
 *
 * Afterwards each counter must have risen by exactly what was sent of
 * its kinds (the sprayer keeps few enough in flight that the kernel
 * drops none on a full socket buffer), the connection's own drop
 * counters must not have moved, and no garbage may have been answered,
 * except a well-formed DATA with an unknown dcid, which the protocol
 * allows to answer with a RESET (docs/PROTOCOL.md, 7.1).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/prng.h"
#include "integration/itest.h"
#include "wire/crc32c.h"

#define FULL_BYTES (64u << 20)
#define QUICK_BYTES (16u << 20)
/* The spray goes on as long as the transfer, up to this many. */
#define SPRAY_MAX 1000000

/* At least this many must have been sprayed during the transfer. */
#define SPRAY_MIN 1000

/*
 * Sprayed datagrams not yet counted by the library, at most: far less
 * than a socket buffer holds, so the kernel drops none of them and every
 * one must be accounted for; the library still gets garbage as fast as
 * it takes it.
 */
#define SPRAY_WINDOW 128


/* The server's stream back to the client. */
#define BACK_BYTES (1u << 20)

enum kind { RANDOM, SHORT, DATA, RESET, BADCRC, RESERVED, NKINDS };

static const char *const kind_name[NKINDS] = {
	"random", "short", "data", "reset", "badcrc", "reserved",
};

struct sprayer {
	uint16_t port;
	int counted_fd;		/* the rdt socket whose port is sprayed */
	uint64_t counted0;	/* its port drops before the spray */
	atomic_bool stop;
	unsigned long sent[NKINDS];
	int fd[NKINDS];
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/*
 * A 24-byte datagram of |type| (3 DATA with only its window edge, 4
 * RESET) to a random non-zero dcid, with its CRC (docs/PROTOCOL.md,
 * sections 3, 4.3, 4.4).
 */
static size_t make_small(uint8_t *buf, struct prng *rng, uint8_t type)
{
	uint64_t dcid = prng_next(rng) | 1;

	buf[0] = 1;
	buf[1] = type;
	buf[2] = 0;
	buf[3] = 0;
	put_be64(buf + 4, dcid);
	put_be32(buf + 12, (uint32_t)prng_next(rng));
	put_be32(buf + 16, type == 4 ? 1 : (uint32_t)prng_next(rng));
	put_be32(buf + 20, rdt_crc32c(0, buf, 20));
	return 24;
}

static size_t make_garbage(uint8_t *buf, struct prng *rng, enum kind k)
{
	size_t len, i;

	switch (k) {
	case RANDOM:
	case SHORT:
		len = k == RANDOM ? 20 + prng_below(rng, 1381) :
				    1 + prng_below(rng, 19);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)prng_next(rng);
		return len;
	case DATA:
		return make_small(buf, rng, 3);
	case RESET:
		return make_small(buf, rng, 4);
	case BADCRC:
		/* DATA, flags STREAM, 100 bytes at a random offset. */
		len = make_small(buf, rng, 3);
		buf[2] = 0x02;
		put_be32(buf + 20, (uint32_t)prng_next(rng));
		buf[24] = 0;
		buf[25] = 100;
		for (i = 26; i < 126; i++)
			buf[i] = (uint8_t)prng_next(rng);
		put_be32(buf + 126, rdt_crc32c(0, buf, 126) ^ 0x00010000);
		return 130;
	case RESERVED:
		len = make_small(buf, rng, 3);
		buf[3] = 0x80;
		put_be32(buf + 20, rdt_crc32c(0, buf, 20));
		return len;
	default:
		FAIL("no garbage of kind %d", (int)k);
	}
}

static uint64_t port_dropped(const struct rdt_info *i)
{
	return i->port_drop_checksum + i->port_drop_malformed +
	       i->port_drop_unknown_cid;
}

static void *spray(void *arg)
{
	struct sprayer *sp = arg;
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, sp->port);
	uint8_t buf[1500];
	struct rdt_info info;
	struct prng rng;
	unsigned long n = 0;

	prng_seed(&rng, 0x6a7262616765ull);
	while (n < SPRAY_MAX && !atomic_load(&sp->stop)) {
		enum kind k = (enum kind)(n % NKINDS);
		size_t dlen;

		if (n % 16 == 0) {
			itest_info(sp->counted_fd, &info);
			if (n - (port_dropped(&info) - sp->counted0) >=
			    SPRAY_WINDOW) {
				poll(NULL, 0, 1);	/* let it catch up */
				continue;
			}
		}
		dlen = make_garbage(buf, &rng, k);
		CHECK(sendto(sp->fd[k], buf, dlen, 0, (struct sockaddr *)&ss,
			     len) == (ssize_t)dlen, "sendto: %s",
		      itest_errname(errno));
		sp->sent[k]++;
		n++;
	}
	return NULL;
}

/* Datagrams that came back to the sprayer's socket of kind |k|. */
static unsigned long answers(int fd)
{
	uint8_t buf[1500];
	unsigned long n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* Check one counter rose by |sent|, the datagrams of its kinds. */
static void check_counter(const char *name, uint64_t before, uint64_t after,
			  unsigned long sent)
{
	uint64_t rose = after - before;

	itest_log("%s rose by %" PRIu64 " for %lu sprayed", name, rose, sent);
	CHECK(rose == sent, "%s rose by %" PRIu64 ", expected %lu: the "
	      "datagrams of its kinds sprayed", name, rose, sent);
}

static void run_client(uint16_t port, uint64_t bytes, int done_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = itest_loopback(&ss, AF_INET, port);
	struct itest_stream s;
	int fd = itest_connect(&ss, len);

	itest_set_nonblock(fd, true);
	itest_stream_init(&s, fd, "client", 41, bytes, 42, BACK_BYTES);
	itest_stream_run(&s, 1, 120000);
	CHECK_OK(rdt_close(fd));
	itest_wait_eof(done_fd);
}

static void test_garbage(void)
{
	uint64_t bytes = itest_quick() ? QUICK_BYTES : FULL_BYTES;
	struct sprayer sp = { .port = 0 };
	struct rdt_info before, after;
	struct sockaddr_storage ss;
	struct itest_stream s;
	socklen_t len;
	unsigned long total = 0;
	int64_t deadline;
	int pfd[2], done_pipe[2], lfd, fd, k;
	pthread_t t;
	pid_t pid;

	CHECK_OK(pipe(pfd));
	CHECK_OK(pipe(done_pipe));
	pid = CHECK_OK(itest_fork());
	if (pid == 0) {
		close(done_pipe[1]);
		run_client(itest_recv_port(pfd[0]), bytes, done_pipe[0]);
		_exit(0);
	}
	close(done_pipe[0]);
	lfd = itest_listen(AF_INET, 4, 0, &ss, &len);
	itest_send_port(pfd[1], itest_port(&ss));
	fd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	itest_info(fd, &before);

	sp.port = itest_port(&ss);
	sp.counted_fd = fd;
	sp.counted0 = port_dropped(&before);
	for (k = 0; k < NKINDS; k++)
		sp.fd[k] = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK(pthread_create(&t, NULL, spray, &sp) == 0,
	      "pthread_create failed");
	itest_set_nonblock(fd, true);
	itest_stream_init(&s, fd, "server", 42, BACK_BYTES, 41, bytes);
	itest_stream_run(&s, 1, 120000);
	close(done_pipe[1]);
	atomic_store(&sp.stop, true);
	pthread_join(t, NULL);
	for (k = 0; k < NKINDS; k++)
		total += sp.sent[k];
	itest_log("%" PRIu64 " MiB byte-exact with %lu garbage datagrams "
		  "sprayed during the transfer", bytes >> 20, total);
	CHECK(total >= SPRAY_MIN, "the transfer ended before %d datagrams "
	      "were sprayed (%lu): not much of a test", SPRAY_MIN, total);

	/* The last datagrams may still be in the socket buffer. */
	deadline = itest_now_ms() + 2000;
	do {
		itest_info(fd, &after);
		if (port_dropped(&after) - port_dropped(&before) >= total)
			break;
		poll(NULL, 0, 20);	/* nothing to wait on but time */
	} while (itest_now_ms() < deadline);

	check_counter("port_drop_checksum", before.port_drop_checksum,
		      after.port_drop_checksum, sp.sent[RANDOM] +
		      sp.sent[BADCRC]);
	check_counter("port_drop_malformed", before.port_drop_malformed,
		      after.port_drop_malformed, sp.sent[SHORT] +
		      sp.sent[RESERVED]);
	check_counter("port_drop_unknown_cid", before.port_drop_unknown_cid,
		      after.port_drop_unknown_cid, sp.sent[DATA] +
		      sp.sent[RESET]);
	CHECK(after.error == 0, "the connection has error %s",
	      itest_errname((int)after.error));
	CHECK(after.drop_checksum == before.drop_checksum &&
	      after.drop_malformed == before.drop_malformed &&
	      after.drop_version == before.drop_version,
	      "garbage reached the connection: its drops went from %" PRIu64
	      "/%" PRIu64 "/%" PRIu64 " to %" PRIu64 "/%" PRIu64 "/%" PRIu64
	      " (checksum/malformed/version)", before.drop_checksum,
	      before.drop_malformed, before.drop_version, after.drop_checksum,
	      after.drop_malformed, after.drop_version);
	for (k = 0; k < NKINDS; k++) {
		unsigned long n = answers(sp.fd[k]);

		if (k == DATA)
			itest_log("%lu answers to DATA with unknown dcids", n);
		else
			CHECK(n == 0, "%lu answers to %s garbage: garbage must"
			      " never be answered", n, kind_name[k]);
		close(sp.fd[k]);
	}
	CHECK_OK(rdt_close(fd));
	CHECK_OK(rdt_close(lfd));
	itest_wait_ok(pid, "client");
}

static const struct itest_case cases[] = {
	{ "garbage", test_garbage, 180 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
