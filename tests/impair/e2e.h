/*
 * e2e.h: helpers for the tests that run a real rdt-impair on loopback.
 *
 * The relay is found at $top_builddir/tools/rdt-impair/rdt-impair (the
 * test harness exports top_builddir; "." otherwise).  Every relay started
 * is remembered and killed, by PID, when the test exits for any reason,
 * including the watchdog alarm that bounds each test's run time.
 */
#ifndef RDT_TEST_IMPAIR_E2E_H
#define RDT_TEST_IMPAIR_E2E_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Monotonic time in ns. */
uint64_t e2e_now(void);

/* True if RDT_TEST_QUICK=1: smaller sizes. */
int e2e_quick(void);

/*
 * e2e_init arms a watchdog of |seconds| (the test fails, relays killed,
 * if it has not finished by then) and sets up the cleanup.
 */
void e2e_init(const char *name, unsigned seconds);

/* Prints "NAME: FAIL: ..." and exits 1 (relays killed). */
void e2e_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						   noreturn));

/*
 * e2e_udp opens a non-blocking UDP socket bound to |addr| (a numeric
 * address, port 0) with big buffers; its address is stored in |ss|.
 */
int e2e_udp(const char *addr, struct sockaddr_storage *ss, socklen_t *len);

/* "[ADDR]:PORT" or "ADDR:PORT" of |ss|, in a static buffer per call slot
 * (|slot| 0 to 3). */
const char *e2e_addr_str(const struct sockaddr_storage *ss, int slot);

/*
 * e2e_relay_start runs rdt-impair with --listen ADDR:PORT (a free port on
 * |listen_addr|, returned in |listen|) and the NULL-terminated |args|,
 * and returns when its port is bound.  Its standard error goes to
 * |stderr_path| if not NULL.
 */
pid_t e2e_relay_start(const char *listen_addr, const char *const *args,
		      struct sockaddr_storage *listen, socklen_t *len,
		      const char *stderr_path);

/*
 * e2e_relay_stop sends SIGTERM and waits (at most 10 s, then SIGKILL and
 * fail); returns the exit status.
 */
int e2e_relay_stop(pid_t pid);

/* Reads a whole small file into |buf| (NUL-terminated); fails the test
 * if it cannot. */
void e2e_read_file(const char *path, char *buf, size_t cap);

/* The number "KEY":N inside the object "OBJ":{...} of a stats line;
 * fails the test if absent. */
uint64_t e2e_stat(const char *json, const char *obj, const char *key);
double e2e_stat_f(const char *json, const char *obj, const char *key);

/*
 * e2e_wait_read waits (at most 10 s) until the UDP socket bound to |ss|
 * on this host has an empty receive queue (/proc/net/udp, udp6): the
 * relay listening there has read everything sent to it so far.
 */
void e2e_wait_read(const struct sockaddr_storage *ss);

/*
 * e2e_send_gso sends |niov| buffers as one message to |dst|, which the
 * kernel cuts into datagrams of |seg| bytes (UDP_SEGMENT).  Returns what
 * sendmsg does.
 */
ssize_t e2e_send_gso(int fd, const struct sockaddr_storage *dst,
		     socklen_t dstlen, struct iovec *iov, size_t niov,
		     uint16_t seg);

/* A fresh path in the temporary directory for |what|. */
const char *e2e_temp_path(const char *what);

/*
 * Test datagrams: "RDTI", a 64-bit sequence number, the 64-bit send time
 * (ns, e2e_now) and a pattern, with a CRC32C of it all in the last four
 * bytes.  |size| >= E2E_DGRAM_MIN.
 */
#define E2E_DGRAM_MIN 24
void e2e_dgram_fill(uint8_t *buf, size_t size, uint64_t seq, uint64_t now);
/* 0 and the fields if intact, -1 if corrupted (or not ours). */
int e2e_dgram_check(const uint8_t *buf, size_t len, uint64_t *pseq,
		    uint64_t *psent);

/*
 * e2e_traffic sends |count| test datagrams of |size| bytes from |tx| to
 * |dst| (odd sequence numbers to |dst2| instead, if set) at |pps| per
 * second (0: as fast as the socket takes them; in GSO messages of up to
 * 64 if |gso|, which |dst2| must then not be) and
 * hands every datagram arriving at |rx| to |on_recv| with its arrival
 * time.  It returns when all are sent and nothing has arrived for
 * |quiet_ms|, and fails the test if that takes over |max_s| seconds.
 */
struct e2e_traffic {
	int tx;
	const struct sockaddr_storage *dst;
	socklen_t dstlen;
	const struct sockaddr_storage *dst2;
	socklen_t dst2len;
	int rx;
	size_t size;
	uint64_t count;
	double pps;
	int gso;		/* send batches as UDP_SEGMENT messages */
	unsigned quiet_ms;
	unsigned max_s;
	void (*on_recv)(void *ctx, const uint8_t *buf, size_t len,
			uint64_t now);
	void *ctx;
};
void e2e_traffic_run(const struct e2e_traffic *t);

#endif
