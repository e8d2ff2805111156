/*
 * rcat.h: what the files of reliable-cat share; not installed.
 *
 * reliable-cat is netcat for rdt.  Its files, in the order a run meets
 * them:
 *   main.c      options, --help, standard descriptors, main()
 *   event.c     the stop signals, the clock and the one place we sleep
 *   addr.c      HOST and PORT to addresses, addresses to text
 *   conn.c      client and server: connect, listen, accept, serve one
 *               connection, close it
 *   transfer.c  the data path (stdin -> socket -> peer, peer -> socket
 *               -> stdout), the final drain and time-wait
 *   progress.c  the --progress line
 *   report.c    why a session failed, -v and --stats
 *
 * Only include/rdt.h is used of librdt, as any other program would.
 * Symbols shared between files carry the rcat_ prefix, so that none can
 * collide with librdt's own (rdt_) names in a static link.
 */
#ifndef RCAT_H
#define RCAT_H

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rdt.h"

#define PROG "reliable-cat"

/* Exit statuses, as documented in --help and reliable-cat(1). */
#define EXIT_CLEAN 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct rcat_options {
	bool listen;
	bool keep_open;		/* -k: accept again after each one */
	bool no_stdin;		/* -d */
	bool verbose;
	bool progress;
	int family;		/* AF_UNSPEC, AF_INET or AF_INET6 */
	double wait_s;		/* -w; 0: no connect or idle timeout */
	double quit_s;		/* -q; negative: wait for the peer */
	uint64_t size;		/* --size; 0: unknown */
	const char *stats_path;
	const char *port_file;
	unsigned int user_timeout_ms;	/* 0: the library's default */
	int sndbuf, rcvbuf;	/* 0: the library's default */
	const char *host;	/* NULL: any address (listen only) */
	const char *port;	/* as given: a number or a service */
	char port_num[6];	/* |port| as a number, for getaddrinfo */
	bool numeric;		/* -n: no name or service lookups */
	bool probe;		/* -z: connect, close, report */
	const char *src_host;	/* -s: the client's address, or NULL */
	char src_port_num[6];	/* -p: the client's port; "" if none */
	bool have_psk;		/* --psk-file: the encrypted mode */
	uint8_t psk[32];
	bool have_key;		/* --key: the listener's static secret */
	uint8_t key[32];
	bool have_peer_key;	/* --peer-key: the server's public key */
	uint8_t peer_key[32];
};

/* Values of "result" in --stats, in the order of their names in
 * report.c. */
enum rcat_result {
	RES_OK, RES_REFUSED, RES_TIMEOUT, RES_RESET, RES_ERROR,
	RES_KEY_REJECTED
};

/* The --progress line's state (progress.c). */
struct rcat_progress {
	bool on;		/* drawing: asked for, and stderr a tty */
	bool sending;		/* stdin feeds the peer: count acks */
	uint64_t total;		/* bytes expected; 0: unknown */
	double next_t;		/* when to redraw */
	/* Recent (time, bytes done) samples, oldest first, for the rate. */
	double hist_t[4];
	uint64_t hist_b[4];
	unsigned int n;
};

/* What one connection (or one failed attempt) did; fed to -v and
 * --stats. */
struct rcat_session {
	const char *role;		/* "client" or "server" */
	char local[80], peer[80];	/* "ADDR:PORT", "[ADDR]:PORT" */
	enum rcat_result result;
	char error[256];		/* one line; empty when result is ok */
	bool quit_early;		/* -q or -w ended before the peer closed */
	bool idle_end;			/* -w ended an idle connection */
	uint64_t bytes_sent, bytes_received;
	double t_start, t_end;		/* monotonic seconds */
	bool have_info;
	struct rdt_info info;
	struct rcat_progress prog;
	bool encrypted;			/* --psk-file took effect */
};

/* ----- main.c ---------------------------------------------------------- */

/* Print "reliable-cat: MESSAGE" and the --help hint; exit 2. */
void rcat_usage(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* ----- event.c --------------------------------------------------------- */

/* SIGINT or SIGTERM once either arrived, else 0. */
extern volatile sig_atomic_t rcat_stop_signal;

/* Block SIGINT/SIGTERM outside rcat_wait, ignore SIGPIPE. */
void rcat_setup_signals(void);
/* Monotonic seconds. */
double rcat_now(void);
/* ppoll |pfd| until an event, |deadline| (rcat_now() seconds; INFINITY:
 * none) or a stop signal; returns what ppoll returns. */
int rcat_wait(struct pollfd *pfd, nfds_t n, double deadline);

/* ----- addr.c ---------------------------------------------------------- */

/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6, numeric; "?" if unprintable. */
void rcat_format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
		      size_t size);
/* rcat_format_addr of |fd|'s local address; |buf| unchanged on failure. */
void rcat_format_local(int fd, char *buf, size_t size);
/* The number of PORT (digits or a TCP service name); exits 2 if bad. */
unsigned int rcat_parse_port(const char *arg, bool zero_ok, bool numeric);
/* Bind |fd| to -s and -p for a connection in |family|; 0, or -1 with
 * the reason in |s|. */
int rcat_bind_source(int fd, int family, const struct rcat_options *o,
		     struct rcat_session *s);
/* getaddrinfo for o->host and o->port; 0, or -1 with the reason in |s|.
 * The caller frees *|res| with freeaddrinfo. */
int rcat_resolve(const struct rcat_options *o, bool passive,
		 struct addrinfo **res, struct rcat_session *s);

/* ----- conn.c ---------------------------------------------------------- */

/* Connect (or listen), serve, report; each returns the exit status. */
int rcat_run_client(const struct rcat_options *o);
int rcat_run_server(const struct rcat_options *o);
/* RDT_INFO of |fd| into s->info; s->have_info says whether it worked. */
void rcat_fetch_info(int fd, struct rcat_session *s);
/* |fd|'s pending error (SO_ERROR), or |fallback| if none. */
int rcat_socket_error(int fd, int fallback);

/* ----- transfer.c ------------------------------------------------------ */

/* Copy both ways until both directions finished (true) or a failure
 * recorded in |s| (false); |stdin_open| outlives the connection. */
bool rcat_transfer(int sock, struct rcat_session *s,
		   const struct rcat_options *o, bool *stdin_open);
/* Wait until the peer acknowledged what we sent; false after a failure
 * recorded in |s|. */
bool rcat_drain(int sock, struct rcat_session *s,
		const struct rcat_options *o);
/* Stay while the peer may need our last acknowledgement again. */
void rcat_time_wait(int sock, const struct rdt_info *at_end);

/* ----- progress.c ------------------------------------------------------ */

/* Start the --progress line of a connection (drawn only if asked and
 * stderr is a terminal). */
void rcat_progress_start(struct rcat_progress *p,
			 const struct rcat_options *o, double now);
/* Redraw if due; returns when the next redraw is due (INFINITY: off). */
double rcat_progress_tick(struct rcat_progress *p, int sock,
			  struct rcat_session *s, double now);
/* Draw the final state and end the line. */
void rcat_progress_end(struct rcat_progress *p, int sock,
		       struct rcat_session *s, double now);

/* ----- report.c -------------------------------------------------------- */

/* Record why |s| failed, keeping the first reason; |err| is an errno
 * value appended as ": strerror", or 0. */
void rcat_fail(struct rcat_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A stop signal ended |s|; |when| adds context (" while connecting"). */
void rcat_stopped(struct rcat_session *s, const char *when);
/* Print the outcome, -v summary and --stats; returns the exit status. */
int rcat_finish_session(const struct rcat_session *s,
			const struct rcat_options *o);

#endif
