/*
 * main.c: reliable-cat's command line and process setup.
 *
 *	reliable-cat [options] HOST PORT        connect
 *	reliable-cat -l [options] [HOST] PORT   listen
 *
 * Bytes read from stdin go to the peer and bytes from the peer go to
 * stdout, both at once; at stdin's end we half-close and keep reading
 * until the peer closes.  rcat.h maps the other files.
 *
 * main: ensure_std_fds, parse_options (getopt_long), the signals, the
 * standard descriptors made non-blocking, then rcat_run_client() or
 * rcat_run_server(), whose result is the exit status.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcat.h"
#include "keyfile.h"

void rcat_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", PROG);
	exit(EXIT_USAGE);
}

/* ----- options ------------------------------------------------------- */

static void print_help(void)
{
	printf(
"Usage: " PROG " [options] HOST PORT\n"
"       " PROG " -l [options] [HOST] PORT\n"
"       " PROG " --gen-key FILE\n"
"\n"
"netcat for rdt: copy stdin to an rdt connection and the connection to\n"
"stdout, both directions at once.  When stdin ends, " PROG " half-closes\n"
"the connection (the peer reads end of stream) and keeps copying until\n"
"the peer closes its side too.  rdt is a reliable byte stream over UDP;\n"
"PORT is a UDP port, 1 to 65535, or a TCP service name (\"http\" is 80,\n"
"as rdt mirrors TCP).  Only data goes to stdout; messages to stderr.\n"
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
"                        connection on which no byte moved (or, at the\n"
"                        end, was acknowledged) for SECS: cleanly, as\n"
"                        nc -w, if the peer had ended its stream and\n"
"                        acknowledged ours, else as a failure\n"
"  -q, --quit-after SECS after stdin's end and our half-close, wait at\n"
"                        most SECS for the peer to close, then close\n"
"                        cleanly (the peer is not reset) and exit\n"
"  -d, --no-stdin        do not read stdin: half-close at once\n"
"  -N                    accepted for nc: the connection is always shut\n"
"                        down at the end of stdin\n"
"  -n                    numeric HOST and PORT only: no name lookups\n"
"  -p PORT, -s ADDR      connect from this source port and address; with\n"
"                        -l, listen on them instead of [HOST] PORT\n"
"  -z                    probe: connect, close cleanly, send nothing;\n"
"                        exit 0 if the connection was accepted, else 1\n"
"  -4, -6                use IPv4 only, IPv6 only\n"
"  -v, --verbose         report the connection on stderr, and at the end\n"
"                        a summary: bytes each way, duration, goodput,\n"
"                        round-trip time, retransmissions and losses\n"
"      --progress        show the bytes the peer acknowledged, the rate\n"
"                        over the last second and, when the size is\n"
"                        known, the percentage and ETA on stderr, twice\n"
"                        a second (only if stderr is a terminal)\n"
"      --size N          the bytes expected, for the ETA (default: the\n"
"                        rest of stdin if it is a regular file)\n"
"      --stats FILE      at exit write one JSON object to FILE: result,\n"
"                        addresses, byte counts, goodput and the\n"
"                        connection's RDT_INFO counters\n"
"      --port-file FILE  with -l: write the port listened on to FILE,\n"
"                        once listening (useful with PORT 0)\n"
"      --user-timeout MS fail when data stays unacknowledged for MS\n"
"                        milliseconds (default 60000)\n"
"      --sndbuf BYTES    send buffer size (4096 to 1G)\n"
"      --rcvbuf BYTES    receive buffer size (4096 to 1G)\n"
"      --psk-file FILE   encrypt and authenticate the connection with the\n"
"                        pre-shared key in FILE: 32 bytes as 64 hex\n"
"                        digits (make one with: head -c 32 /dev/urandom\n"
"                        | od -An -tx1 > FILE); both ends need the same\n"
"                        key, else the connection is refused at once\n"
"      --key FILE        with -l: encrypt with the public-key handshake,\n"
"                        this listener's secret key in FILE (from\n"
"                        --gen-key); clients need its public half\n"
"      --peer-key FILE   connect only to the server whose public key is\n"
"                        in FILE (its --gen-key FILE.pub), encrypted,\n"
"                        with forward secrecy\n"
"      --gen-key FILE    write a new secret key to FILE (mode 0600) and\n"
"                        its public half to FILE.pub and stdout, never\n"
"                        over existing files; exit\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and exit\n"
"\n"
"SECS may have a fraction (0.5).  N and BYTES may end in k, M or G\n"
"(powers of 1024).\n"
"\n"
"Exit status:\n"
"  0  clean transfer: both directions finished (or -q expired, or -w\n"
"     ended an idle connection) and the peer acknowledged every byte sent\n"
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
		rcat_usage("%s: invalid duration '%s' (seconds, %s)", opt,
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
		rcat_usage("%s: invalid byte count '%s' (%llu to %llu)", opt,
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
		rcat_usage("%s: invalid milliseconds '%s'", opt, arg);
	return (unsigned int)v;
}

/*
 * --psk-file, --key, --peer-key: a key file that cannot be used is a
 * usage error, not a failure later.  A secret one (|secret|) that others
 * can read draws a warning, as ssh's private keys do: whoever reads it
 * can play that end.
 */
static void read_key_file(const char *opt, const char *path, uint8_t key[32],
			  bool secret, const char *howto)
{
	mode_t mode = 0;
	int rv = rdt_keyfile_read(path, key, &mode);

	if (rv > 0)
		rcat_usage("%s %s: %s", opt, path, strerror(rv));
	if (rv < 0)
		rcat_usage("%s %s: expected a 32-byte key as 64 hexadecimal "
			   "digits; make one with\n  %s", opt, path, howto);
	if (secret && rdt_keyfile_exposed(mode))
		fprintf(stderr, "%s: warning: %s %s can be read by other "
			"users (mode %04o); chmod 600 it\n", PROG, opt, path,
			(unsigned)(mode & 07777));
}

static void print_hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
	fputc('\n', f);
}

/* Creates |path| (never over an existing file) with |mode| holding the
 * 32 bytes at |key| in hex; 0, or -1 after saying why. */
static int write_key(const char *path, const uint8_t key[32], mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (f == NULL) {
		fprintf(stderr, "%s: --gen-key %s: %s\n", PROG, path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	print_hex(f, key, 32);
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: --gen-key %s: %s\n", PROG, path,
			strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * --gen-key FILE: a new static key pair for a listener: the secret in
 * FILE (mode 0600) and the public half, for its clients' --peer-key, in
 * FILE.pub and on stdout.  Neither file is ever written over, and a
 * failure leaves neither behind, so a run either made a whole pair or
 * nothing.  The public half comes from the library itself (RDT_KEY's
 * read-back), so this program needs no cryptography of its own.
 */
static int gen_key(const char *path)
{
	uint8_t secret[32], public_key[32];
	socklen_t len = sizeof(public_key);
	char pub_path[4096];
	int sock, rv = EXIT_FAILED;

	if (snprintf(pub_path, sizeof(pub_path), "%s.pub", path) >=
	    (int)sizeof(pub_path)) {
		fprintf(stderr, "%s: --gen-key %s: %s\n", PROG, path,
			strerror(ENAMETOOLONG));
		return EXIT_FAILED;
	}
	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
		fprintf(stderr, "%s: --gen-key: getrandom: %s\n", PROG,
			strerror(errno));
		return EXIT_FAILED;
	}
	sock = rdt_socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0 ||
	    rdt_setsockopt(sock, RDT_SOL, RDT_KEY, secret, sizeof(secret)) <
		    0 ||
	    rdt_getsockopt(sock, RDT_SOL, RDT_KEY, public_key, &len) < 0) {
		fprintf(stderr, "%s: --gen-key: %s\n", PROG, strerror(errno));
	} else if (write_key(path, secret, 0600) == 0) {
		if (write_key(pub_path, public_key, 0644) == 0) {
			print_hex(stdout, public_key, sizeof(public_key));
			rv = EXIT_CLEAN;
		} else {
			unlink(path);
		}
	}
	if (sock >= 0)
		rdt_close(sock);
	explicit_bzero(secret, sizeof(secret));
	return rv;
}

enum {
	OPT_PROGRESS = 256,
	OPT_SIZE,
	OPT_STATS,
	OPT_PORT_FILE,
	OPT_USER_TIMEOUT,
	OPT_SNDBUF,
	OPT_RCVBUF,
	OPT_PSK_FILE,
	OPT_KEY,
	OPT_PEER_KEY,
	OPT_GEN_KEY,
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
	{ "psk-file", required_argument, NULL, OPT_PSK_FILE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "peer-key", required_argument, NULL, OPT_PEER_KEY },
	{ "gen-key", required_argument, NULL, OPT_GEN_KEY },
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

static void parse_options(int argc, char **argv, struct rcat_options *o)
{
	/* The bounds rdt.h gives for SO_SNDBUF and SO_RCVBUF. */
	const uint64_t buf_min = 4096, buf_max = 1u << 30;
	const char *src_port = NULL;
	int c, nargs;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->quit_s = -1;
	/* The leading ':' makes a missing value ':' instead of '?'. */
	while ((c = getopt_long(argc, argv, ":lkw:q:d46Nnp:s:zvhV",
				long_options, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = true; break;
		case 'k': o->keep_open = true; break;
		case 'w': o->wait_s = parse_secs(optarg, "-w", true); break;
		case 'q': o->quit_s = parse_secs(optarg, "-q", false); break;
		case 'd': o->no_stdin = true; break;
		/* nc's -N shuts the connection down at the end of input;
		 * reliable-cat always does, so it is accepted and changes
		 * nothing. */
		case 'N': break;
		case 'n': o->numeric = true; break;
		case 'p': src_port = optarg; break;
		case 's': o->src_host = optarg; break;
		case 'z': o->probe = true; o->no_stdin = true; break;
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
		case OPT_PSK_FILE:
			read_key_file("--psk-file", optarg, o->psk, true,
				      RDT_KEYFILE_HOWTO);
			o->have_psk = true;
			break;
		case OPT_KEY:
			read_key_file("--key", optarg, o->key, true,
				      PROG " --gen-key FILE");
			o->have_key = true;
			break;
		case OPT_PEER_KEY:
			read_key_file("--peer-key", optarg, o->peer_key, false,
				      "the server's " PROG " --gen-key FILE "
				      "(its FILE.pub)");
			o->have_peer_key = true;
			break;
		case OPT_GEN_KEY:
			exit(gen_key(optarg));
		case 'h':
			print_help();
			exit(EXIT_CLEAN);
		case 'V':
			printf("%s (rdt) %s, librdt %s\n", PROG,
			       RDT_VERSION_STRING, rdt_version());
			exit(EXIT_CLEAN);
		case ':':
			if (is_long_option(argv[optind - 1]))
				rcat_usage("%s needs a value",
					   argv[optind - 1]);
			rcat_usage("-%c needs a value", optopt);
		default:
			/* Our own words rather than getopt's, which name
			 * the program by its path. */
			if (is_long_option(argv[optind - 1]))
				rcat_usage("invalid option '%s'",
					   argv[optind - 1]);
			rcat_usage("unknown option -%c", optopt);
		}
	}
	nargs = argc - optind;
	/* nc -l -p PORT [-s ADDR]: the listening port and address. */
	if (o->listen && nargs == 0 && src_port) {
		o->port = src_port;
		o->host = o->src_host;
		src_port = NULL;
		o->src_host = NULL;
	} else if (o->listen && (src_port || o->src_host)) {
		rcat_usage("with -l, give either [HOST] PORT or -p PORT "
			   "[-s HOST]");
	} else if (o->listen && nargs == 1) {
		o->port = argv[optind];
	} else if (nargs == 2) {
		o->host = argv[optind];
		o->port = argv[optind + 1];
	} else {
		rcat_usage("%s", o->listen ? "expected [HOST] PORT after -l" :
			   "expected HOST PORT");
	}
	snprintf(o->port_num, sizeof(o->port_num), "%u",
		 rcat_parse_port(o->port, o->listen, o->numeric));
	if (src_port)
		snprintf(o->src_port_num, sizeof(o->src_port_num), "%u",
			 rcat_parse_port(src_port, true, o->numeric));
	if (o->probe && o->listen)
		rcat_usage("-z is for the client");
	if (o->keep_open && !o->listen)
		rcat_usage("-k needs -l");
	if (o->port_file && !o->listen)
		rcat_usage("--port-file needs -l");
	if (o->have_key && !o->listen)
		rcat_usage("--key is the listener's; a client gives the "
			   "server's public key with --peer-key");
	if (o->have_peer_key && o->listen)
		rcat_usage("--peer-key is the client's; a listener gives its "
			   "secret key with --key");
	if (o->have_psk && (o->have_key || o->have_peer_key))
		rcat_usage("--psk-file and --key/--peer-key are two different "
			   "modes; choose one");
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

int main(int argc, char **argv)
{
	struct rcat_options o;

	ensure_std_fds();
	parse_options(argc, argv, &o);
	rcat_setup_signals();
	make_std_nonblocking();
	return o.listen ? rcat_run_server(&o) : rcat_run_client(&o);
}
