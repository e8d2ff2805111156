/*
 * reliable-cat.c: netcat for rdt.
 *
 *	reliable-cat [options] HOST PORT        connect
 *	reliable-cat -l [options] [HOST] PORT   listen
 *
 * Bytes read from stdin go to the peer and bytes from the peer go to
 * stdout, both at once; at stdin's end we half-close and keep reading
 * until the peer closes.  Only the public API of librdt (rdt.h) is used,
 * as any other program would.
 *
 * Map, in calling order:
 *   main            options (parse_options), signals, then run_client()
 *                   or run_server(); the exit status
 *   run_client      resolve HOST PORT, connect_any(): try each address
 *   run_server      open_listener(), then accept one connection at a time
 *   serve           one connection: transfer(), drain(), the reports
 *   transfer        the one poll loop: stdin -> ring -> rdt socket and
 *                   rdt socket -> ring -> stdout, half-close, -w, -q,
 *                   --progress
 *   drain           after both ends of the stream are seen, wait until
 *                   the peer has acknowledged everything we sent
 *   time_wait       before exiting, stay while the peer may need our
 *                   last acknowledgement again
 *   report_verbose, write_stats   -v and --stats
 *
 * Design.  One thread; the rdt socket is non-blocking and a real
 * descriptor, so one ppoll() waits for stdin, stdout, the socket, the
 * deadlines and SIGINT/SIGTERM together.  Each direction has a bounded
 * ring; we read from a source only while its ring has room, so a slow
 * sink stops the source (backpressure) instead of growing memory.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdt.h"

#define PROG "reliable-cat"

/* Exit statuses, as documented in --help and reliable-cat(1). */
#define EXIT_CLEAN 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* Bytes buffered per direction; a power of two so that ring positions
 * can be free-running counters reduced with a mask. */
#define RING_SIZE (1u << 20)
/* Largest single read or write, so that one busy direction cannot keep
 * the loop from serving the other for long. */
#define IO_CHUNK (256u * 1024)
/* How often --progress redraws its line, seconds. */
#define PROGRESS_PERIOD 0.5
/* Longest pause between RDT_INFO checks while drain() waits for the
 * final acknowledgement, seconds. */
#define DRAIN_TICK_MAX 0.02
/* time_wait() ends after this many of our retransmission timeouts
 * without a datagram from the peer, or after TIME_WAIT_MAX seconds. */
#define TIME_WAIT_RTOS 4
#define TIME_WAIT_MAX 10.0
/* The library's default user timeout (rdt.h), for drain() should the
 * socket not tell its own. */
#define DEFAULT_USER_TIMEOUT_MS 60000u
/* Connections that may wait for rdt_accept; only -k ever takes more than
 * the first, one at a time. */
#define LISTEN_BACKLOG 16

struct options {
	bool listen;
	bool keep_open;		/* -k: accept again after each connection */
	bool no_stdin;		/* -d */
	bool verbose;
	bool progress;
	int family;		/* AF_UNSPEC, AF_INET or AF_INET6 */
	double wait_s;		/* -w; 0: no connect or idle timeout */
	double quit_s;		/* -q; negative: wait for the peer forever */
	uint64_t size;		/* --size; 0: unknown */
	const char *stats_path;
	const char *port_file;
	unsigned int user_timeout_ms;	/* 0: the library's default */
	int sndbuf, rcvbuf;	/* 0: the library's default */
	const char *host;	/* NULL: any address (listen only) */
	const char *port;
};

/* Values of "result" in --stats, in the order of enum result. */
enum result { RES_OK, RES_REFUSED, RES_TIMEOUT, RES_RESET, RES_ERROR };
static const char *const result_names[] = {
	"ok", "refused", "timeout", "reset", "error",
};

/* What one connection (or one failed attempt) did; fed to -v and
 * --stats. */
struct session {
	const char *role;		/* "client" or "server" */
	char local[80], peer[80];	/* "ADDR:PORT", "[ADDR]:PORT" */
	enum result result;
	char error[256];		/* one line; empty when result is ok */
	bool quit_early;		/* -q expired before the peer closed */
	uint64_t bytes_sent, bytes_received;
	double t_start, t_end;		/* monotonic seconds */
	bool have_info;
	struct rdt_info info;
};

/* A byte ring: data lives in [head, tail); both count bytes ever moved
 * and wrap only modulo 2^64. */
struct ring {
	char *data;
	uint64_t head, tail;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * wait_for - poll |pfd| until an event, |deadline| (monotonic seconds;
 * INFINITY: none) or SIGINT/SIGTERM
 *
 * The one place the program sleeps.  The stop signals are blocked except
 * during this call (see setup_signals), so a signal that arrived before
 * it still ends the wait.  Returns what ppoll() returns: 0 at the
 * deadline, -1 with EINTR after a signal.
 */
static int wait_for(struct pollfd *pfd, nfds_t n, double deadline)
{
	struct timespec ts;
	sigset_t no_signals;
	double left;

	sigemptyset(&no_signals);
	if (isinf(deadline))
		return ppoll(pfd, n, NULL, &no_signals);
	/* Rounded up to the millisecond so that we never wake just
	 * before the deadline and spin. */
	left = ceil((deadline - now_s()) * 1000.0) / 1000.0;
	if (left < 0)
		left = 0;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	return ppoll(pfd, n, &ts, &no_signals);
}

static void usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", PROG);
	exit(EXIT_USAGE);
}

/* Record why the session failed, keeping the first reason: later errors
 * are usually consequences of it.  |err| is an errno value, or 0 when
 * |fmt| says everything. */
static void session_fail(struct session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void session_fail(struct session *s, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (s->result != RES_OK)
		return;
	switch (err) {
	case ECONNREFUSED:
		s->result = RES_REFUSED;
		break;
	case ETIMEDOUT:
		s->result = RES_TIMEOUT;
		break;
	case ECONNRESET:
		s->result = RES_RESET;
		break;
	default:
		s->result = RES_ERROR;
		break;
	}
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	n = strlen(s->error);
	if (err)
		snprintf(s->error + n, sizeof(s->error) - n, ": %s",
			 strerror(err));
}

/* SIGINT or SIGTERM ended the session; |when| adds context. */
static void fail_stopped(struct session *s, const char *when)
{
	session_fail(s, 0, "stopped by %s%s",
		     stop_signal == SIGINT ? "SIGINT" : "SIGTERM", when);
}

/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6, numeric. */
static void format_addr(const struct sockaddr *sa, socklen_t len, char *buf,
			size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

static void format_local(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (rdt_getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		format_addr((struct sockaddr *)&ss, len, buf, size);
}

/* ----- options ------------------------------------------------------- */

static void print_help(void)
{
	printf(
"Usage: " PROG " [options] HOST PORT\n"
"       " PROG " -l [options] [HOST] PORT\n"
"\n"
"netcat for rdt: copy stdin to an rdt connection and the connection to\n"
"stdout, both directions at once.  When stdin ends, " PROG " half-closes\n"
"the connection (the peer reads end of stream) and keeps copying until\n"
"the peer closes its side too.  rdt is a reliable byte stream over UDP;\n"
"PORT is a UDP port.  Only data goes to stdout; messages go to stderr.\n"
"\n"
"The first form connects to HOST PORT (a name or a numeric IPv4 or IPv6\n"
"address; each address HOST has is tried in turn).  With -l, " PROG "\n"
"listens on PORT (0: an ephemeral port, see --port-file) at HOST, by\n"
"default any address (::, which also takes IPv4 peers, or 0.0.0.0), and\n"
"serves one connection, or with -k one connection after another.\n"
"\n"
"Options:\n"
"  -l, --listen          listen for a connection instead of connecting\n"
"  -k, --keep-open       with -l: after a connection ends, accept the\n"
"                        next one (one at a time); stdin goes to the first\n"
"  -w, --wait SECS       give up connecting after SECS, and end a\n"
"                        connection on which no byte moved for SECS\n"
"  -q, --quit-after SECS after stdin's end and our half-close, wait at\n"
"                        most SECS for the peer to close, then exit\n"
"  -d, --no-stdin        do not read stdin: half-close at once\n"
"  -4, -6                use IPv4 only, IPv6 only\n"
"  -v, --verbose         report the connection on stderr, and at the end\n"
"                        a summary: bytes each way, duration, goodput,\n"
"                        round-trip time, retransmissions and losses\n"
"      --progress        show bytes, rate and ETA on stderr while running\n"
"                        (only if stderr is a terminal)\n"
"      --size N          the number of bytes expected, for the ETA\n"
"      --stats FILE      at exit write one JSON object to FILE: result,\n"
"                        addresses, byte counts, goodput and the\n"
"                        connection's RDT_INFO counters\n"
"      --port-file FILE  with -l: write the port listened on to FILE,\n"
"                        once listening (useful with PORT 0)\n"
"      --user-timeout MS fail when data stays unacknowledged for MS\n"
"                        milliseconds (default 60000)\n"
"      --sndbuf BYTES    send buffer size (4096 to 1G)\n"
"      --rcvbuf BYTES    receive buffer size (4096 to 1G)\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n"
"\n"
"SECS may have a fraction (0.5).  N and BYTES may end in k, M or G\n"
"(powers of 1024).\n"
"\n"
"Exit status:\n"
"  0  clean transfer: both directions finished (or -q expired) and the\n"
"     peer acknowledged every byte sent\n"
"  1  the connection failed (refused, timed out, reset, ...); stderr\n"
"     has one line \"" PROG ": REASON\"\n"
"  2  usage error\n"
"\n"
"Examples:\n"
"  " PROG " -l 9000 > file               receive a file\n"
"  " PROG " host 9000 < file             send it\n"
"  " PROG " -v -w 5 host 9000 < /dev/null  read what the server sends\n"
"\n"
"See reliable-cat(1).\n");
}

/* Parse a duration in seconds, >= 0 (> 0 if |positive|). */
static double parse_secs(const char *arg, const char *opt, bool positive)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* A year bounds every deadline far inside a double's precision. */
	if (errno || end == arg || *end || !isfinite(v) || v < 0 ||
	    (positive && v == 0) || v > 365 * 86400.0)
		usage_error("%s: invalid duration '%s' (seconds, %s)", opt,
			    arg, positive ? "> 0" : ">= 0");
	return v;
}

/* Parse a byte count with an optional k/M/G suffix (powers of 1024). */
static uint64_t parse_bytes(const char *arg, const char *opt, uint64_t min,
			    uint64_t max)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (end != arg) {
		switch (*end) {
		case 'k': case 'K': shift = 10; end++; break;
		case 'm': case 'M': shift = 20; end++; break;
		case 'g': case 'G': shift = 30; end++; break;
		}
	}
	/* strtoull accepts "-1" as a huge number; a count has no sign. */
	if (errno || end == arg || *end || arg[0] == '-' ||
	    v > (max >> shift) || (v << shift) < min)
		usage_error("%s: invalid byte count '%s' (%llu to %llu)", opt,
			    arg, (unsigned long long)min,
			    (unsigned long long)max);
	return (uint64_t)v << shift;
}

static unsigned int parse_ms(const char *arg, const char *opt)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > UINT_MAX)
		usage_error("%s: invalid milliseconds '%s'", opt, arg);
	return (unsigned int)v;
}

enum {
	OPT_PROGRESS = 256,
	OPT_SIZE,
	OPT_STATS,
	OPT_PORT_FILE,
	OPT_USER_TIMEOUT,
	OPT_SNDBUF,
	OPT_RCVBUF,
};

static const struct option long_options[] = {
	{ "listen", no_argument, NULL, 'l' },
	{ "keep-open", no_argument, NULL, 'k' },
	{ "wait", required_argument, NULL, 'w' },
	{ "quit-after", required_argument, NULL, 'q' },
	{ "no-stdin", no_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "user-timeout", required_argument, NULL, OPT_USER_TIMEOUT },
	{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Whether getopt's last argument was a long option (getopt_long leaves
 * optind past it), for messages that name it. */
static bool is_long_option(const char *arg)
{
	return strncmp(arg, "--", 2) == 0;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	/* The bounds rdt.h gives for SO_SNDBUF and SO_RCVBUF. */
	const uint64_t buf_min = 4096, buf_max = 1u << 30;
	int c, nargs;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->quit_s = -1;
	/* The leading ':' makes a missing value ':' instead of '?'. */
	while ((c = getopt_long(argc, argv, ":lkw:q:d46vhV", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = true; break;
		case 'k': o->keep_open = true; break;
		case 'w': o->wait_s = parse_secs(optarg, "-w", true); break;
		case 'q': o->quit_s = parse_secs(optarg, "-q", false); break;
		case 'd': o->no_stdin = true; break;
		case '4': o->family = AF_INET; break;
		case '6': o->family = AF_INET6; break;
		case 'v': o->verbose = true; break;
		case OPT_PROGRESS: o->progress = true; break;
		case OPT_SIZE:
			o->size = parse_bytes(optarg, "--size", 1, UINT64_MAX);
			break;
		case OPT_STATS: o->stats_path = optarg; break;
		case OPT_PORT_FILE: o->port_file = optarg; break;
		case OPT_USER_TIMEOUT:
			o->user_timeout_ms = parse_ms(optarg,
						      "--user-timeout");
			break;
		case OPT_SNDBUF:
			o->sndbuf = (int)parse_bytes(optarg, "--sndbuf",
						     buf_min, buf_max);
			break;
		case OPT_RCVBUF:
			o->rcvbuf = (int)parse_bytes(optarg, "--rcvbuf",
						     buf_min, buf_max);
			break;
		case 'h':
			print_help();
			exit(EXIT_CLEAN);
		case 'V':
			printf("%s (rdt) %s, librdt %s\n", PROG,
			       RDT_VERSION_STRING, rdt_version());
			exit(EXIT_CLEAN);
		case ':':
			if (is_long_option(argv[optind - 1]))
				usage_error("%s needs a value",
					    argv[optind - 1]);
			usage_error("-%c needs a value", optopt);
		default:
			/* Our own words rather than getopt's, which name
			 * the program by its path. */
			if (is_long_option(argv[optind - 1]))
				usage_error("invalid option '%s'",
					    argv[optind - 1]);
			usage_error("unknown option -%c", optopt);
		}
	}
	nargs = argc - optind;
	if (o->listen && nargs == 1) {
		o->port = argv[optind];
	} else if (nargs == 2) {
		o->host = argv[optind];
		o->port = argv[optind + 1];
	} else {
		usage_error("%s", o->listen ? "expected [HOST] PORT after -l" :
			    "expected HOST PORT");
	}
	if (o->keep_open && !o->listen)
		usage_error("-k needs -l");
	if (o->port_file && !o->listen)
		usage_error("--port-file needs -l");
}

/* ----- the data path -------------------------------------------------- */

static size_t ring_len(const struct ring *r)
{
	return (size_t)(r->tail - r->head);
}

/* The contiguous bytes that may be written to stdout or the socket. */
static size_t ring_readable(const struct ring *r, char **p)
{
	size_t off = (size_t)(r->head & (RING_SIZE - 1));
	size_t n = ring_len(r);

	*p = r->data + off;
	if (n > RING_SIZE - off)
		n = RING_SIZE - off;
	return n > IO_CHUNK ? IO_CHUNK : n;
}

/* The contiguous free space a read from stdin or the socket may fill. */
static size_t ring_writable(const struct ring *r, char **p)
{
	size_t off = (size_t)(r->tail & (RING_SIZE - 1));
	size_t n = RING_SIZE - ring_len(r);

	*p = r->data + off;
	if (n > RING_SIZE - off)
		n = RING_SIZE - off;
	return n > IO_CHUNK ? IO_CHUNK : n;
}

static void set_user_options(int fd, const struct options *o)
{
	/* The values were range-checked while parsing, so a failure here
	 * means the library disagrees with rdt.h; say so but carry on
	 * with its defaults. */
	if (o->sndbuf && rdt_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf,
					sizeof(o->sndbuf)) < 0)
		fprintf(stderr, "%s: warning: --sndbuf: %s\n", PROG,
			strerror(errno));
	if (o->rcvbuf && rdt_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf,
					sizeof(o->rcvbuf)) < 0)
		fprintf(stderr, "%s: warning: --rcvbuf: %s\n", PROG,
			strerror(errno));
	if (o->user_timeout_ms &&
	    rdt_setsockopt(fd, RDT_SOL, RDT_USER_TIMEOUT, &o->user_timeout_ms,
			   sizeof(o->user_timeout_ms)) < 0)
		fprintf(stderr, "%s: warning: --user-timeout: %s\n", PROG,
			strerror(errno));
}

static void fetch_info(int fd, struct session *s)
{
	socklen_t len = sizeof(s->info);

	s->have_info = rdt_getsockopt(fd, RDT_SOL, RDT_INFO, &s->info,
				      &len) == 0;
}

/* The connection's pending error (SO_ERROR), or |fallback| if it has
 * none: poll reported a failure whose reason was already taken. */
static int socket_error(int fd, int fallback)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err ? err : fallback;
}

static void format_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* Progress state: the last redraw, to compute the current rate. */
struct progress {
	double last_t;
	uint64_t last_bytes;
};

static void progress_draw(struct progress *p, const struct session *s,
			  const struct options *o, double now)
{
	uint64_t done = s->bytes_sent > s->bytes_received ?
			s->bytes_sent : s->bytes_received;
	double dt = now - p->last_t;
	double rate = dt > 0 ? (double)(done - p->last_bytes) / dt : 0;
	char sent[32], recvd[32], eta[32] = "";

	format_bytes(s->bytes_sent, sent, sizeof(sent));
	format_bytes(s->bytes_received, recvd, sizeof(recvd));
	if (o->size && rate > 0 && done < o->size) {
		double left = (double)(o->size - done) / rate;

		snprintf(eta, sizeof(eta), ", ETA %d:%02d",
			 (int)(left / 60), (int)fmod(left, 60));
	} else if (o->size) {
		snprintf(eta, sizeof(eta), ", %3.0f%%",
			 done >= o->size ? 100.0 :
			 100.0 * (double)done / (double)o->size);
	}
	/* \033[K clears what a longer earlier line left behind. */
	fprintf(stderr, "\rsent %s, received %s, %.1f Mbit/s%s\033[K",
		sent, recvd, rate * 8 / 1e6, eta);
	p->last_t = now;
	p->last_bytes = done;
}

/* Whether a failed read or write only means "not now". */
static bool io_would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* One connection's data path: what transfer() and its pumps share. */
struct xfer {
	int sock;
	struct session *s;
	const struct options *o;
	bool *stdin_open;	/* cleared at stdin's end, for good */
	struct ring to_peer;	/* stdin -> socket */
	struct ring to_out;	/* socket -> stdout */
	bool wr_shut;		/* we half-closed */
	bool peer_eof;		/* the peer half-closed, we read its end */
	bool sock_quiet;	/* a hangup without error was seen */
	bool moved;		/* a byte moved in this round */
	double last_activity;	/* when a byte last moved, for -w */
	double quit_at;		/* -q deadline, INFINITY until set */
	bool show_progress;
	struct progress prog;
};

/*
 * The pumps: each moves one chunk between a descriptor and a ring.  They
 * return false after session_fail(); "would block" is not a failure, as
 * poll may report readiness that another party consumed.
 */
static bool pump_stdin(struct xfer *x)
{
	char *p;
	size_t n = ring_writable(&x->to_peer, &p);
	ssize_t r = read(STDIN_FILENO, p, n);

	if (r > 0) {
		x->to_peer.tail += (size_t)r;
		x->moved = true;
	} else if (r == 0) {
		*x->stdin_open = false;
	} else if (!io_would_block()) {
		session_fail(x->s, errno, "read from stdin");
		return false;
	}
	return true;
}

static bool pump_stdout(struct xfer *x)
{
	char *p;
	size_t n = ring_readable(&x->to_out, &p);
	ssize_t r = write(STDOUT_FILENO, p, n);

	if (r > 0) {
		x->to_out.head += (size_t)r;
		x->moved = true;
	} else if (r < 0 && !io_would_block()) {
		/* EPIPE too: SIGPIPE is ignored so that we can say so. */
		session_fail(x->s, errno, "write to stdout");
		return false;
	}
	return true;
}

static bool pump_send(struct xfer *x)
{
	char *p;
	size_t n = ring_readable(&x->to_peer, &p);
	ssize_t r = rdt_send(x->sock, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (r > 0) {
		x->to_peer.head += (size_t)r;
		x->s->bytes_sent += (size_t)r;
		x->moved = true;
	} else if (r < 0 && !io_would_block()) {
		session_fail(x->s, errno, "send");
		return false;
	}
	return true;
}

static bool pump_recv(struct xfer *x)
{
	char *p;
	size_t n = ring_writable(&x->to_out, &p);
	ssize_t r = rdt_recv(x->sock, p, n, MSG_DONTWAIT);

	if (r > 0) {
		x->to_out.tail += (size_t)r;
		x->s->bytes_received += (size_t)r;
		x->moved = true;
	} else if (r == 0) {
		x->peer_eof = true;
	} else if (!io_would_block()) {
		session_fail(x->s, errno, "receive");
		return false;
	}
	return true;
}

/*
 * Half-close once stdin has ended and its last bytes are queued, and
 * start the -q clock.
 */
static bool maybe_shutdown(struct xfer *x)
{
	if (*x->stdin_open || ring_len(&x->to_peer) || x->wr_shut)
		return true;
	if (rdt_shutdown(x->sock, SHUT_WR) < 0) {
		session_fail(x->s, errno, "shutdown");
		return false;
	}
	x->wr_shut = true;
	if (x->o->quit_s >= 0)
		x->quit_at = now_s() + x->o->quit_s;
	return true;
}

/*
 * Fill |pfd| (stdin, stdout, socket) with what we can use now: a source
 * only while its ring has room, a sink only while its ring has bytes.
 * Returns the events asked of the socket.
 */
static short poll_set(const struct xfer *x, struct pollfd pfd[3])
{
	short sev = 0;

	pfd[0].fd = *x->stdin_open && ring_len(&x->to_peer) < RING_SIZE ?
		    STDIN_FILENO : -1;
	pfd[0].events = POLLIN;
	pfd[1].fd = ring_len(&x->to_out) ? STDOUT_FILENO : -1;
	pfd[1].events = POLLOUT;
	if (!x->peer_eof && ring_len(&x->to_out) < RING_SIZE)
		sev |= POLLIN;
	if (ring_len(&x->to_peer))
		sev |= POLLOUT;
	/*
	 * With nothing to ask of the socket we still watch it for a
	 * failure (POLLERR/POLLHUP) while our side is open, so a reset is
	 * noticed even when only stdin is awaited.  After our half-close a
	 * hangup is the normal end and would be reported again at once:
	 * leave the socket out then.
	 */
	pfd[2].fd = sev || (!x->wr_shut && !x->sock_quiet) ? x->sock : -1;
	pfd[2].events = sev;
	pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
	return sev;
}

/* The earliest of the -q, -w and --progress deadlines. */
static double next_deadline(const struct xfer *x)
{
	double d = x->quit_at;

	if (x->o->wait_s > 0 && x->last_activity + x->o->wait_s < d)
		d = x->last_activity + x->o->wait_s;
	if (x->show_progress && x->prog.last_t + PROGRESS_PERIOD < d)
		d = x->prog.last_t + PROGRESS_PERIOD;
	return d;
}

/* Act on what poll reported for the socket; false after a failure. */
static bool service_socket(struct xfer *x, short sev, short rev)
{
	const short broken = POLLERR | POLLHUP;

	if (sev & POLLOUT && rev & (POLLOUT | broken) && !pump_send(x))
		return false;
	if (sev & POLLIN && rev & (POLLIN | broken) && !pump_recv(x))
		return false;
	if (!sev && rev & broken) {
		int err = socket_error(x->sock, 0);

		if (err) {
			session_fail(x->s, err, "connection");
			return false;
		}
		/* A hangup with no error: the peer finished while our
		 * ring was full; the next receive sees the end. */
		x->sock_quiet = true;
	}
	if (sev)
		x->sock_quiet = false;
	return true;
}

/*
 * transfer - copy both ways on connected socket |sock| until both
 * directions have finished, the peer fails, -w or -q expires, or a
 * signal.  |stdin_open| is cleared at stdin's end and stays so for later
 * connections (-k).  Returns true when both directions finished (or -q
 * expired; s->quit_early says so), false after session_fail().
 */
static bool transfer(int sock, struct session *s, const struct options *o,
		     bool *stdin_open, char *space_out, char *space_in)
{
	struct xfer x = {
		.sock = sock, .s = s, .o = o, .stdin_open = stdin_open,
		.to_peer = { space_out, 0, 0 }, .to_out = { space_in, 0, 0 },
		.last_activity = now_s(), .quit_at = INFINITY,
		.show_progress = o->progress && isatty(STDERR_FILENO),
	};
	bool ok = false;

	x.prog.last_t = x.last_activity;
	for (;;) {
		struct pollfd pfd[3];
		double now;
		short sev;

		if (!maybe_shutdown(&x))
			break;
		if (x.wr_shut && x.peer_eof && !ring_len(&x.to_out)) {
			ok = true;
			break;
		}
		now = now_s();
		if (stop_signal) {
			fail_stopped(s, "");
			break;
		}
		if (now >= x.quit_at) {
			s->quit_early = true;
			ok = true;
			break;
		}
		if (o->wait_s > 0 && now >= x.last_activity + o->wait_s) {
			session_fail(s, ETIMEDOUT, "no data moved for %g s",
				     o->wait_s);
			break;
		}
		if (x.show_progress && now >= x.prog.last_t + PROGRESS_PERIOD)
			progress_draw(&x.prog, s, o, now);

		sev = poll_set(&x, pfd);
		if (wait_for(pfd, 3, next_deadline(&x)) < 0) {
			if (errno == EINTR)
				continue;
			session_fail(s, errno, "poll");
			break;
		}
		x.moved = false;
		if (pfd[0].revents && !pump_stdin(&x))
			break;
		if (pfd[1].revents && !pump_stdout(&x))
			break;
		if (pfd[2].revents && !service_socket(&x, sev, pfd[2].revents))
			break;
		if (x.moved)
			x.last_activity = now_s();
	}
	if (x.show_progress) {
		progress_draw(&x.prog, s, o, now_s());
		fputc('\n', stderr);
	}
	return ok;
}

/*
 * Whether the connection has nothing left to deliver.  After a normal
 * end both ends of the stream have been seen, so the connection is in
 * LAST_ACK until our FIN is acknowledged, then in TIME_WAIT or CLOSED.
 * When -q cut the wait for the peer short, only our bytes count.
 */
static bool drained(const struct rdt_info *i, const struct session *s)
{
	if (s->quit_early)
		return i->bytes_acked >= s->bytes_sent;
	return i->state == RDT_STATE_TIME_WAIT ||
	       i->state == RDT_STATE_CLOSED;
}

/*
 * drain - wait until the peer has acknowledged everything we sent
 *
 * The library lives in this process: exiting before the peer has
 * acknowledged the tail of the stream would lose it.  The socket reports
 * POLLHUP once the connection is over, so after a normal end that is
 * what wakes us.  Whether our bytes are all acknowledged (after -q) has
 * no descriptor event, nor has a hangup that comes before the end, so
 * RDT_INFO is also read again every tick, from 1 ms doubling up to
 * DRAIN_TICK_MAX.  Bounded by the user timeout, after which the
 * library fails the connection, and by -w: no byte acknowledged for
 * that long is an idle connection too.
 */
static bool drain(int sock, struct session *s, const struct options *o)
{
	unsigned int limit_ms = 0;
	socklen_t len = sizeof(limit_ms);
	struct pollfd pfd = { sock, 0, 0 };
	double give_up, idle_at = INFINITY, tick = 0.001;
	uint64_t acked = 0;

	if (rdt_getsockopt(sock, RDT_SOL, RDT_USER_TIMEOUT, &limit_ms,
			   &len) < 0 || limit_ms == 0)
		limit_ms = DEFAULT_USER_TIMEOUT_MS;
	/* One extra second lets the library's own timeout fire first, so
	 * the error we report is its own. */
	give_up = now_s() + limit_ms / 1000.0 + 1;

	for (;;) {
		double now;

		fetch_info(sock, s);
		if (!s->have_info) {
			session_fail(s, errno, "RDT_INFO");
			return false;
		}
		if (s->info.state == RDT_STATE_CLOSED && s->info.error) {
			session_fail(s, (int)s->info.error, "connection");
			return false;
		}
		if (drained(&s->info, s))
			return true;
		now = now_s();
		if (stop_signal) {
			fail_stopped(s, "");
			return false;
		}
		if (now >= give_up) {
			session_fail(s, ETIMEDOUT, "waiting for the last "
				     "acknowledgement");
			return false;
		}
		if (o->wait_s > 0 && (isinf(idle_at) ||
				      s->info.bytes_acked != acked)) {
			acked = s->info.bytes_acked;
			idle_at = now + o->wait_s;
		}
		if (now >= idle_at) {
			session_fail(s, ETIMEDOUT, "nothing acknowledged for "
				     "%g s", o->wait_s);
			return false;
		}
		pfd.revents = 0;
		if (wait_for(&pfd, 1, fmin(fmin(now + tick, give_up),
					  idle_at)) > 0) {
			if (pfd.revents & POLLERR) {
				session_fail(s, socket_error(sock, EPIPE),
					     "connection");
				return false;
			}
			/* A hangup stays reported: from now on only the
			 * tick wakes us, or we would spin. */
			if (pfd.revents & POLLHUP)
				pfd.fd = -1;
		}
		tick = fmin(tick * 2, DRAIN_TICK_MAX);
	}
}

/*
 * time_wait - stay to acknowledge the peer's FIN again if it needs it
 *
 * Our acknowledgement of the peer's FIN may be the connection's last
 * datagram, and nothing tells us that it arrived (the ACKs of our own
 * FIN may well have come before it was sent).  If it is lost the peer
 * sends again and, with nobody left to answer, fails after its user
 * timeout although everything was delivered.  TCP's TIME_WAIT outlives
 * the process in the kernel; rdt's lives in this process, so we stay
 * while the peer may still be retransmitting (the library answers
 * meanwhile).  Either side may be the one the peer waits for.
 *
 * The peer retransmits after its retransmission timeout, doubling it
 * each time, and on the same path its RTO is about ours.  So we wait
 * TIME_WAIT_RTOS of our RTOs, long enough for the peer's first two
 * retransmissions (after 1 and 3 RTOs); each datagram that does arrive
 * shows an acknowledgement was lost, and the next one would come twice
 * as late, so the quiet period doubles.  At most TIME_WAIT_MAX seconds.
 */
static void time_wait(int sock, const struct rdt_info *at_end)
{
	double quiet = TIME_WAIT_RTOS * at_end->rto_us / 1e6;
	double start = now_s(), until = start + quiet;
	uint64_t seen = at_end->pkts_received;

	while (!stop_signal && now_s() < start + TIME_WAIT_MAX) {
		struct rdt_info info;
		socklen_t len = sizeof(info);

		/* Nothing to poll: the socket reports POLLHUP all along. */
		wait_for(NULL, 0, fmin(until, start + TIME_WAIT_MAX));
		if (rdt_getsockopt(sock, RDT_SOL, RDT_INFO, &info, &len) < 0 ||
		    info.state != RDT_STATE_TIME_WAIT)
			return;
		if (info.pkts_received != seen) {
			seen = info.pkts_received;
			quiet *= 2;
			until = now_s() + quiet;
		} else if (now_s() >= until) {
			return;
		}
	}
}

/* Abortive close: the peer sees a reset instead of a clean end. */
static void close_abort(int sock)
{
	struct linger lg = { 1, 0 };

	rdt_setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	rdt_close(sock);
}

/* ----- reports -------------------------------------------------------- */

static double mbit_per_s(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0;
}

static double session_duration(const struct session *s)
{
	return s->t_end > s->t_start ? s->t_end - s->t_start : 0;
}

static void report_verbose(const struct session *s)
{
	const struct rdt_info *i = &s->info;
	double d = session_duration(s);

	fprintf(stderr, "%s: %" PRIu64 " bytes sent, %" PRIu64
		" bytes received in %.3f s%s\n", PROG, s->bytes_sent,
		s->bytes_received, d,
		s->quit_early ? " (quit before the peer closed)" : "");
	fprintf(stderr, "%s: goodput %.1f Mbit/s sent, %.1f Mbit/s received\n",
		PROG, mbit_per_s(s->bytes_sent, d),
		mbit_per_s(s->bytes_received, d));
	if (!s->have_info)
		return;
	fprintf(stderr, "%s: srtt %.3f ms, rttvar %.3f ms, min rtt %.3f ms, "
		"cwnd %" PRIu64 " bytes\n", PROG, i->srtt_us / 1000.0,
		i->rttvar_us / 1000.0, i->min_rtt_us / 1000.0, i->cwnd);
	fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " packets retransmitted "
		"(%" PRIu64 " bytes), %" PRIu64 " lost (%" PRIu64
		" spurious), %" PRIu64 " RTO, %" PRIu64 " TLP\n", PROG,
		i->pkts_retransmitted, i->pkts_sent, i->bytes_retransmitted,
		i->pkts_lost, i->pkts_spurious_lost, i->rto_count,
		i->tlp_count);
}

/* Write |str| as a JSON string. */
static void json_string(FILE *f, const char *str)
{
	const unsigned char *c;

	fputc('"', f);
	for (c = (const unsigned char *)str; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

static bool write_stats(const char *path, const struct session *s)
{
	const struct rdt_info *i = &s->info;
	struct rdt_info zero = { 0 };
	double d = session_duration(s);
	FILE *f;

	if (!s->have_info)
		i = &zero;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "%s: --stats %s: %s\n", PROG, path,
			strerror(errno));
		return false;
	}
	fprintf(f, "{\"role\":\"%s\",\"local\":", s->role);
	json_string(f, s->local);
	fprintf(f, ",\"peer\":");
	json_string(f, s->peer);
	fprintf(f, ",\"result\":\"%s\",\"error\":", result_names[s->result]);
	json_string(f, s->error);
	fprintf(f, ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
		",\"duration_s\":%.6f,\"goodput_send_mbps\":%.3f"
		",\"goodput_recv_mbps\":%.3f", s->bytes_sent,
		s->bytes_received, d, mbit_per_s(s->bytes_sent, d),
		mbit_per_s(s->bytes_received, d));
	fprintf(f, ",\"srtt_ms\":%.3f,\"rttvar_ms\":%.3f,\"min_rtt_ms\":%.3f"
		",\"cwnd\":%" PRIu64, i->srtt_us / 1000.0,
		i->rttvar_us / 1000.0, i->min_rtt_us / 1000.0, i->cwnd);
	fprintf(f, ",\"pkts_sent\":%" PRIu64 ",\"pkts_received\":%" PRIu64
		",\"pkts_retransmitted\":%" PRIu64
		",\"bytes_retransmitted\":%" PRIu64 ",\"pkts_lost\":%" PRIu64
		",\"pkts_spurious_lost\":%" PRIu64
		",\"pkts_reordered\":%" PRIu64 ",\"pkts_duplicate\":%" PRIu64,
		i->pkts_sent, i->pkts_received, i->pkts_retransmitted,
		i->bytes_retransmitted, i->pkts_lost, i->pkts_spurious_lost,
		i->pkts_reordered, i->pkts_duplicate);
	fprintf(f, ",\"tlp_count\":%" PRIu64 ",\"rto_count\":%" PRIu64
		",\"drop_checksum\":%" PRIu64 ",\"drop_malformed\":%" PRIu64
		",\"port_drop_checksum\":%" PRIu64
		",\"port_drop_malformed\":%" PRIu64
		",\"port_drop_unknown_cid\":%" PRIu64 "}\n",
		i->tlp_count, i->rto_count, i->drop_checksum,
		i->drop_malformed, i->port_drop_checksum,
		i->port_drop_malformed, i->port_drop_unknown_cid);
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: --stats %s: %s\n", PROG, path,
			strerror(errno));
		return false;
	}
	return true;
}

/* ----- connections ---------------------------------------------------- */

/* Buffers shared by every connection of the process (-k serves one at a
 * time). */
static char ring_space[2][RING_SIZE];

/*
 * serve - run one established connection |sock| to its end and close it
 *
 * Returns true for a clean transfer; on failure the reason is in |s|.
 */
static bool serve(int sock, struct session *s, const struct options *o,
		  bool *stdin_open)
{
	bool ok;

	format_local(sock, s->local, sizeof(s->local));
	if (o->verbose)
		fprintf(stderr, "%s: connected %s <-> %s\n", PROG, s->local,
			s->peer);
	s->t_start = now_s();
	ok = transfer(sock, s, o, stdin_open, ring_space[0], ring_space[1]);
	if (ok)
		ok = drain(sock, s, o);
	s->t_end = now_s();
	fetch_info(sock, s);
	/* With -k the process lives on, and the library keeps answering
	 * for a closed socket in TIME_WAIT meanwhile: no need to wait. */
	if (ok && !s->quit_early && !o->keep_open && s->have_info &&
	    s->info.state == RDT_STATE_TIME_WAIT)
		time_wait(sock, &s->info);
	/* Only a connection that is over may close gracefully.  After a
	 * failure, or when -q gave up on the peer, we reset: the library
	 * ends with this process, so the peer would otherwise wait for
	 * acknowledgements until its user timeout. */
	if (ok && !s->quit_early)
		rdt_close(sock);
	else
		close_abort(sock);
	return ok;
}

/* Wait for |fd| to become writable (a non-blocking connect finishing) or
 * for |deadline|.  Returns 0 or an errno value. */
static int wait_connected(int fd, double deadline)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int r;

		if (stop_signal)
			return EINTR;
		if (now_s() >= deadline)
			return ETIMEDOUT;
		r = wait_for(&pfd, 1, deadline);
		if (r < 0 && errno != EINTR)
			return errno;
		if (r > 0)
			return socket_error(fd, 0);
	}
}

/*
 * connect_any - connect to the first address of |ai| that answers
 *
 * Returns the connected, non-blocking socket, or -1 with the last
 * attempt's failure in |s|.
 */
static int connect_any(const struct addrinfo *ai, const struct options *o,
		       struct session *s)
{
	for (; ai; ai = ai->ai_next) {
		int fd, err;

		s->result = RES_OK;
		format_addr(ai->ai_addr, ai->ai_addrlen, s->peer,
			    sizeof(s->peer));
		fd = rdt_socket(ai->ai_family,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			session_fail(s, errno, "socket");
			continue;
		}
		set_user_options(fd, o);
		if (rdt_connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			err = 0;
		else if (errno != EINPROGRESS)
			err = errno;
		else
			err = wait_connected(fd, o->wait_s > 0 ?
					     now_s() + o->wait_s : INFINITY);
		if (!err)
			return fd;
		format_local(fd, s->local, sizeof(s->local));
		if (stop_signal) {
			fail_stopped(s, " while connecting");
			close_abort(fd);
			break;
		}
		session_fail(s, err, "connect to %s", s->peer);
		if (o->verbose && ai->ai_next)
			fprintf(stderr, "%s: %s\n", PROG, s->error);
		close_abort(fd);
	}
	return -1;
}

/* Print the session's outcome; returns its exit status. */
static int finish_session(const struct session *s, const struct options *o)
{
	int status = s->result == RES_OK ? EXIT_CLEAN : EXIT_FAILED;

	if (s->result != RES_OK)
		fprintf(stderr, "%s: %s\n", PROG, s->error);
	if (o->verbose && s->t_start > 0)
		report_verbose(s);
	if (o->stats_path && !write_stats(o->stats_path, s))
		status = EXIT_FAILED;
	return status;
}

static int resolve(const struct options *o, bool passive,
		   struct addrinfo **res, struct session *s)
{
	struct addrinfo hints;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	/* rdt runs over UDP: PORT names a UDP port. */
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	err = getaddrinfo(o->host, o->port, &hints, res);
	if (err == EAI_SYSTEM)
		session_fail(s, errno, "%s port %s", o->host ? o->host : "*",
			     o->port);
	else if (err)
		session_fail(s, 0, "%s port %s: %s", o->host ? o->host : "*",
			     o->port, gai_strerror(err));
	return err ? -1 : 0;
}

static int run_client(const struct options *o)
{
	struct session s = { .role = "client" };
	struct addrinfo *res;
	bool stdin_open = !o->no_stdin;
	int fd;

	if (resolve(o, false, &res, &s) == 0) {
		fd = connect_any(res, o, &s);
		freeaddrinfo(res);
		if (fd >= 0)
			serve(fd, &s, o, &stdin_open);
	}
	return finish_session(&s, o);
}

/* Write the listener's port to --port-file so that a script that asked
 * for port 0 learns it; written aside and renamed so the reader never
 * sees a partial file. */
static bool write_port_file(const char *path, int lfd, struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char tmp[PATH_MAX];
	unsigned int port;
	FILE *f;

	if (rdt_getsockname(lfd, (struct sockaddr *)&ss, &len) < 0) {
		session_fail(s, errno, "getsockname");
		return false;
	}
	port = ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		errno = ENAMETOOLONG;
	else if ((f = fopen(tmp, "w")) != NULL) {
		fprintf(f, "%u\n", port);
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			return true;
		unlink(tmp);
	}
	session_fail(s, errno, "--port-file %s", path);
	return false;
}

/*
 * open_listener - bind and listen on the first usable address of |res|
 *
 * Without HOST and without -4/-6 the IPv6 wildcard comes first: an
 * AF_INET6 socket bound to :: takes IPv4 peers too.  Returns the
 * listening socket, or -1 with the reason in |s|.
 */
static int open_listener(const struct addrinfo *res, const struct options *o,
			 struct session *s)
{
	const int families[] = { AF_INET6, AF_INET };
	const int one = 1;
	const struct addrinfo *ai;
	int err = EAFNOSUPPORT;
	size_t k;

	for (k = 0; k < 2; k++) {
		for (ai = res; ai; ai = ai->ai_next) {
			int fd;

			if (ai->ai_family != families[k])
				continue;
			fd = rdt_socket(ai->ai_family, SOCK_STREAM |
					SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			/* Accepted sockets inherit the buffers and
			 * timeouts. */
			set_user_options(fd, o);
			rdt_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one));
			if (rdt_bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
			    rdt_listen(fd, LISTEN_BACKLOG) == 0) {
				format_local(fd, s->local, sizeof(s->local));
				if (o->verbose)
					fprintf(stderr, "%s: listening on "
						"%s\n", PROG, s->local);
				return fd;
			}
			err = errno;
			rdt_close(fd);
		}
	}
	session_fail(s, err, "listen on %s port %s", o->host ? o->host : "*",
		     o->port);
	return -1;
}

/*
 * accept_next - wait for and take the next connection on |lfd|
 *
 * Returns the connection's socket, or -1: on SIGINT/SIGTERM
 * (stop_signal is set) or a failure of the listener (reason in |s|).
 */
static int accept_next(int lfd, struct session *s)
{
	for (;;) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd;

		if (stop_signal)
			return -1;
		if (wait_for(&pfd, 1, INFINITY) < 0) {
			if (errno == EINTR)
				continue;
			session_fail(s, errno, "poll");
			return -1;
		}
		fd = rdt_accept4(lfd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			format_addr((struct sockaddr *)&ss, len, s->peer,
				    sizeof(s->peer));
			return fd;
		}
		/* A connection may vanish between poll and accept: that
		 * does not end the listener. */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			continue;
		session_fail(s, errno, "accept");
		return -1;
	}
}

/*
 * run_server - listen, then serve one connection, or with -k one after
 * another until SIGINT/SIGTERM
 *
 * The exit status and --stats are those of the last connection; a
 * listener that fails, or is stopped before any connection, fails.
 */
static int run_server(const struct options *o)
{
	struct session s = { .role = "server" };
	bool stdin_open = !o->no_stdin, served = false;
	struct addrinfo *res;
	char listen_addr[sizeof(s.local)];
	int lfd = -1, status = EXIT_CLEAN;

	if (resolve(o, true, &res, &s) == 0) {
		lfd = open_listener(res, o, &s);
		freeaddrinfo(res);
	}
	if (lfd >= 0 && o->port_file && !write_port_file(o->port_file, lfd,
							  &s)) {
		rdt_close(lfd);
		lfd = -1;
	}
	if (lfd < 0)
		return finish_session(&s, o);
	memcpy(listen_addr, s.local, sizeof(listen_addr));
	for (;;) {
		int fd = accept_next(lfd, &s);

		if (fd < 0) {
			if (!served && stop_signal)
				fail_stopped(&s, " before any connection");
			/* A signal between connections is how -k ends;
			 * the last connection's report stands. */
			if (!served || !stop_signal)
				status = finish_session(&s, o);
			break;
		}
		/* Without -k, later clients are refused, not queued. */
		if (!o->keep_open) {
			rdt_close(lfd);
			lfd = -1;
		}
		serve(fd, &s, o, &stdin_open);
		status = finish_session(&s, o);
		served = true;
		if (!o->keep_open || stop_signal)
			break;
		s = (struct session){ .role = "server" };
		memcpy(s.local, listen_addr, sizeof(s.local));
	}
	if (lfd >= 0)
		rdt_close(lfd);
	return status;
}

/* ----- process setup -------------------------------------------------- */

/* A closed stdin, stdout or stderr would be reused by the first socket
 * we open, and our data would go to the wrong place. */
static void ensure_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(EXIT_FAILED);
	}
}

/*
 * Pipes and sockets on stdin and stdout are made non-blocking so that a
 * write never waits for a slow reader while the other direction starves.
 * Terminals are left alone (their flags are shared with the shell), and
 * files never block.  The original flags come back at exit.
 */
static int saved_fl[2] = { -1, -1 };

static void restore_std_flags(void)
{
	int fd;

	for (fd = 0; fd < 2; fd++)
		if (saved_fl[fd] >= 0)
			fcntl(fd, F_SETFL, saved_fl[fd]);
}

static void make_std_nonblocking(void)
{
	struct stat st;
	int fd;

	for (fd = 0; fd < 2; fd++) {
		if (fstat(fd, &st) < 0 ||
		    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
			continue;
		saved_fl[fd] = fcntl(fd, F_GETFL);
		if (saved_fl[fd] >= 0 && !(saved_fl[fd] & O_NONBLOCK))
			fcntl(fd, F_SETFL, saved_fl[fd] | O_NONBLOCK);
		else
			saved_fl[fd] = -1;
	}
	atexit(restore_std_flags);
}

/*
 * SIGINT and SIGTERM are blocked everywhere but inside ppoll(), so the
 * flag they set is always seen before the next wait (no lost wake-up),
 * and the library's thread, created later, inherits the mask.  SIGPIPE
 * is ignored: a closed stdout must come back as EPIPE so that we can
 * report it.
 */
static void setup_signals(void)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
}

int main(int argc, char **argv)
{
	struct options o;

	ensure_std_fds();
	parse_options(argc, argv, &o);
	setup_signals();
	make_std_nonblocking();
	return o.listen ? run_server(&o) : run_client(&o);
}
