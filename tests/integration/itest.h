/*
 * itest.h: what the integration tests of the rdt socket API share.
 *
 * Each test program is a list of cases run by itest_main(): every case in
 * a process of its own, forked before any rdt call so that it gets a
 * fresh library (and background thread), and bounded by an alarm so that
 * a hang becomes a failure instead of a stuck `make check`.  Processes a
 * case forks die with it (PR_SET_PDEATHSIG).
 *
 * A failed check prints what was expected and what happened, with the
 * file and line, and ends the case.  Byte streams are a deterministic
 * function of (stream id, offset) so that a receiver verifies every byte
 * without a copy of what was sent.
 */
#ifndef RDT_ITEST_H
#define RDT_ITEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "rdt.h"

/* --- running cases ------------------------------------------------------ */

struct itest_case {
	const char *name;
	void (*run)(void);
	/* Seconds before the case is killed and counted as failed. */
	unsigned int timeout_s;
};

/*
 * itest_main runs the cases named on the command line, or all of them, and
 * returns the exit status for automake: 0 if all passed, 77 if all were
 * skipped, 1 otherwise.
 */
int itest_main(const struct itest_case *cases, size_t ncases, int argc,
	       char **argv);

/* End the current case as skipped (automake's 77), saying why. */
__attribute__((noreturn, format(printf, 1, 2)))
void itest_skip(const char *fmt, ...);

/*
 * End the current case as failed, naming the failed condition |cond| if
 * not NULL; prefer the FAIL and CHECK macros.
 */
__attribute__((noreturn, format(printf, 4, 5)))
void itest_fail(const char *file, int line, const char *cond,
		const char *fmt, ...);

/* Progress and measurements, on stdout, prefixed with the case name. */
__attribute__((format(printf, 1, 2)))
void itest_log(const char *fmt, ...);

#define FAIL(...) itest_fail(__FILE__, __LINE__, NULL, __VA_ARGS__)

/* CHECK(cond, "expected ..., got %d", x): fail with the message unless. */
#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond))                                                \
			itest_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* CHECK_OK(call): a call that returns -1 and errno on failure succeeds. */
#define CHECK_OK(call)                                                      \
	({                                                                  \
		__typeof__(call) itest_r_ = (call);                         \
		if (itest_r_ < 0)                                           \
			FAIL("%s: expected success, got -1 with %s",        \
			     #call, itest_errname(errno));                  \
		itest_r_;                                                   \
	})

/* CHECK_ERR(call, E): the call fails with errno E. */
#define CHECK_ERR(call, err)                                                \
	do {                                                                \
		errno = 0;                                                  \
		long itest_r_ = (long)(call);                               \
		int itest_e_ = errno;                                       \
		if (itest_r_ != -1 || itest_e_ != (err))                    \
			FAIL("%s: expected -1 with %s, got %ld with %s",   \
			     #call, itest_errname(err), itest_r_,           \
			     itest_r_ == -1 ? itest_errname(itest_e_)       \
					    : "(no error)");                \
	} while (0)

/* "ECONNRESET (Connection reset by peer)", for messages. */
const char *itest_errname(int err);

/* --- environment -------------------------------------------------------- */

/* True when RDT_TEST_QUICK=1 asks for the smaller sizes. */
bool itest_quick(void);

/* Monotonic time in milliseconds and in nanoseconds. */
int64_t itest_now_ms(void);
int64_t itest_now_ns(void);

/* Raise the soft RLIMIT_NOFILE to the hard limit; returns the new limit. */
long itest_raise_nofile(void);

/*
 * Fork a helper process that is killed when the calling case ends, for
 * any reason.  Returns as fork() does.  Call it before the first rdt call
 * of the process: the library's thread does not survive a fork.
 */
pid_t itest_fork(void);

/* Wait for |pid| and fail unless it exited with status 0. */
void itest_wait_ok(pid_t pid, const char *what);

/*
 * Pass a port number over a pipe, from the process that listens to the
 * one that connects; reading blocks until it comes and fails the case if
 * the writer died first.
 */
void itest_send_port(int fd, uint16_t port);
uint16_t itest_recv_port(int fd);

/*
 * Block until every write end of the pipe |fd| reads from is closed: a
 * helper process that closed its rdt sockets waits so for its peer to
 * confirm that everything arrived, since exiting would end the library's
 * thread and with it the delivery of what is still queued.
 */
void itest_wait_eof(int fd);

/* Open descriptors of this process, from /proc/self/fd. */
long itest_count_fds(void);

/* Resident set size in KiB, from /proc/self/statm. */
long itest_rss_kib(void);

/*
 * CPU time (user + system) in clock ticks consumed by this process, all
 * threads, from /proc/self/stat; and by each thread, from
 * /proc/self/task/TID/stat, written to |ticks| (at most |max| threads,
 * the count returned).
 */
uint64_t itest_cpu_ticks(void);
int itest_thread_cpu_ticks(pid_t *tids, uint64_t *ticks, int max);

/* --- addresses and connections ------------------------------------------ */

/* The loopback address of |family| with |port|, as a generic address. */
socklen_t itest_loopback(struct sockaddr_storage *ss, int family,
			 uint16_t port);

/* The port of an AF_INET or AF_INET6 address. */
uint16_t itest_port(const struct sockaddr_storage *ss);

/*
 * A listening rdt socket on the loopback of |family|, ephemeral port,
 * with |backlog|; its address goes to |addr|/|len|.  |type_flags| is or'ed
 * into SOCK_STREAM (SOCK_NONBLOCK...).  Fails the case on any error.
 */
int itest_listen(int family, int backlog, int type_flags,
		 struct sockaddr_storage *addr, socklen_t *len);

/* A blocking rdt connect to |addr|; fails the case on any error. */
int itest_connect(const struct sockaddr_storage *addr, socklen_t len);

/* A connected pair on loopback: listener, client end, accepted end. */
struct itest_pair {
	int lfd, cfd, sfd;
	struct sockaddr_storage laddr;
	socklen_t laddrlen;
};

void itest_pair_open(struct itest_pair *p, int family);
void itest_pair_close(struct itest_pair *p);

/* Set an int or an unsigned int socket option, failing on error. */
void itest_setopt_int(int fd, int level, int name, int value);

/* RDT_INFO of |fd|, failing on error. */
void itest_info(int fd, struct rdt_info *info);

/* Polls |fd|'s RDT_INFO into |info| until |done|(info, |want|) holds or
 * |timeout_ms| passed; returns whether it held (|info|: the last read). */
bool itest_wait_info(int fd, struct rdt_info *info,
		     bool (*done)(const struct rdt_info *, uint64_t),
		     uint64_t want, int timeout_ms);

/* A UDP socket bound to IPv4 address |ip| and |port| (0: any). */
int itest_udp_bound(const char *ip, uint16_t port);

/* Set O_NONBLOCK through rdt_fcntl. */
void itest_set_nonblock(int fd, bool on);

/* --- verifiable byte streams --------------------------------------------- */

/* Fill |len| bytes of stream |id| starting at stream offset |off|. */
void itest_pattern_fill(uint8_t *buf, size_t len, uint64_t id, uint64_t off);

/* Index of the first byte that differs from the stream, or -1. */
ptrdiff_t itest_pattern_find_error(const uint8_t *buf, size_t len,
				   uint64_t id, uint64_t off);

/*
 * One side of a connection moving a verifiable stream each way over a
 * non-blocking descriptor: it sends |send_total| bytes of stream |send_id|
 * then shuts down its sending side (never, with ITEST_FOREVER), and
 * expects exactly |recv_total| bytes of stream |recv_id| then end of
 * stream.  With |keep_open| set it neither shuts down nor waits for end
 * of stream: it is finished when the counts are reached.  Any byte that
 * differs fails the case, naming the offset.
 */
#define ITEST_FOREVER UINT64_MAX

struct itest_stream {
	int fd;
	uint64_t send_id, recv_id;
	uint64_t send_total, recv_total;
	uint64_t sent, received;
	bool keep_open;		/* no SHUT_WR, no end of stream expected */
	bool shut;		/* our SHUT_WR is done */
	bool eof;		/* the peer's end of stream was read */
	int error;		/* errno of the call that failed, or 0 */
	const char *name;	/* for messages, e.g. "client 17" */
};

void itest_stream_init(struct itest_stream *s, int fd, const char *name,
		       uint64_t send_id, uint64_t send_total,
		       uint64_t recv_id, uint64_t recv_total);

/*
 * Write until the socket would block or everything is sent, then read
 * until it would block or the stream ends: exactly what an edge-triggered
 * event loop must do on each edge.  Returns 1 when both directions are
 * finished, 0 when more events are needed, -1 when a call failed (errno
 * in s->error; EPIPE is not raised as SIGPIPE).
 */
int itest_stream_io(struct itest_stream *s);

/* The poll events |s| is waiting for. */
short itest_stream_events(const struct itest_stream *s);

/*
 * Drive |n| streams with poll until all are finished; fails the case on
 * any error or if |timeout_ms| passes first.
 */
void itest_stream_run(struct itest_stream *s, size_t n, int timeout_ms);

#endif
