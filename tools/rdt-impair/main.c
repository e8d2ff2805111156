/*
 * main.c: rdt-impair's command line: options, addresses, the statistics
 * line, exit codes.  The relay is relay.c, the impairment model
 * impair.c, the parameter grammar netem.c.
 *
 * Options are applied in the order given: each --a2b, --b2a, --both or
 * profile line replaces the impairment of its directions, so a later
 * one wins.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "impair.h"
#include "netem.h"
#include "relay.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Defaults of the flow table. */
#define DEFAULT_MAX_FLOWS 1024u
#define DEFAULT_FLOW_TIMEOUT_S 60.0

static const char usage_text[] =
"Usage: rdt-impair [OPTION]... --listen [ADDR:]PORT --forward HOST:PORT\n"
"A UDP relay that impairs the datagrams it forwards the way tc-netem does:\n"
"delay with jitter, loss (random or Gilbert-Elliott bursts), duplication,\n"
"corruption, reordering, a rate limit with a bounded queue, separately in\n"
"each direction.  For kernels without the netem qdisc.\n"
"\n"
"Datagrams from any client (the \"a\" side) arriving at --listen go to\n"
"--forward (the \"b\" side) from a socket of their own per client; what b\n"
"answers on that socket goes back to that client.\n"
"\n"
"  -l, --listen [ADDR:]PORT  where clients send (IPv6 as [ADDR]:PORT;\n"
"                            no ADDR: every address, IPv6 and IPv4)\n"
"  -f, --forward HOST:PORT   where their datagrams go (IPv6 as [ADDR]:PORT)\n"
"      --a2b PARAMS          impair client-to-server datagrams (see below)\n"
"      --b2a PARAMS          impair server-to-client datagrams\n"
"      --both PARAMS         impair both directions alike\n"
"  -p, --profile FILE        lines \"a2b PARAMS\", \"b2a PARAMS\" or\n"
"                            \"both PARAMS\"; '#' starts a comment\n"
"  -c, --control PATH        read commands from the FIFO PATH (created if\n"
"                            missing, removed at exit if created): a profile\n"
"                            line replaces that impairment; \"down\" drops\n"
"                            everything both ways, \"up\" ends that\n"
"  -s, --seed N              seed of the random decisions (default: random,\n"
"                            shown by -v); the same seed and traffic make\n"
"                            the same choices\n"
"      --stats FILE          at exit, write the counters there as one JSON\n"
"                            line (default: standard error)\n"
"  -d, --duration SECS       stop after SECS seconds (default: on SIGINT or\n"
"                            SIGTERM only)\n"
"      --max-flows N         clients served at once (default 1024);\n"
"                            datagrams of more are dropped and counted\n"
"      --flow-timeout SECS   close a flow idle this long (default 60)\n"
"  -v, --verbose             on standard error: the seed, the listening\n"
"                            address and each control command applied\n"
"      --check FILE...       only check the profile files (\"-\": standard\n"
"                            input) with the parser the relay uses: print\n"
"                            \"FILE:LINE: reason\" for each bad one and exit\n"
"                            1, or exit 0 if all are good; with -v, print\n"
"                            \"FILE: a2b rate_bps=N b2a rate_bps=N\" for each\n"
"                            good one (0: no rate limit)\n"
"  -h, --help                show this help and exit\n"
"  -V, --version             show the version and exit\n"
"\n"
"PARAMS is tc-netem's grammar (see rdt-impair(1) and tc-netem(8)):\n"
"  delay TIME [JITTER [CORRELATION]]\n"
"  distribution uniform|normal|pareto|paretonormal\n"
"  loss [random] PERCENT [CORRELATION]\n"
"  loss gemodel P [R [1-H [1-K]]]\n"
"  duplicate PERCENT [CORRELATION]\n"
"  corrupt PERCENT [CORRELATION]\n"
"  reorder PERCENT [CORRELATION] [gap DISTANCE]\n"
"  rate RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]]\n"
"  limit PACKETS                 (default 1000)\n"
"TIME like 10ms, 1.5s or 200us; RATE like 10mbit, 100kbit, 1gbit or\n"
"500kbps (bytes); PERCENT like 1% or 0.5%.  Corruption flips one bit of\n"
"the UDP payload after the kernel checked the UDP checksum, so it reaches\n"
"the receiver, whose own checks must catch it.\n"
"\n"
"Example:\n"
"  rdt-impair --listen 9000 --forward 127.0.0.1:9001 \\\n"
"      --a2b 'delay 20ms 5ms distribution normal loss 1%' \\\n"
"      --b2a 'delay 20ms rate 10mbit limit 100'\n"
"\n"
"Exit status: 0 when stopped by SIGINT, SIGTERM or --duration (the\n"
"counters are written first); 1 on a runtime error (e.g. the address is\n"
"in use) or, with --check, a bad profile; 2 on a usage error.\n";

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "forward", required_argument, NULL, 'f' },
	{ "a2b", required_argument, NULL, 'A' },
	{ "b2a", required_argument, NULL, 'B' },
	{ "both", required_argument, NULL, 'O' },
	{ "profile", required_argument, NULL, 'p' },
	{ "check", no_argument, NULL, 'K' },
	{ "control", required_argument, NULL, 'c' },
	{ "seed", required_argument, NULL, 's' },
	{ "stats", required_argument, NULL, 'S' },
	{ "duration", required_argument, NULL, 'd' },
	{ "max-flows", required_argument, NULL, 'M' },
	{ "flow-timeout", required_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void usage_error(const char *fmt, const char *arg)
	__attribute__((noreturn));

/* One line naming the problem, a pointer to --help, exit 2. */
static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "rdt-impair: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try --help)\n");
	exit(EXIT_USAGE);
}

/* Seconds as a positive finite number, in ns. */
static uint64_t parse_secs(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v <= 0 ||
	    v > 1e9) {
		fprintf(stderr, "rdt-impair: %s: bad number of seconds \"%s\" "
			"(try --help)\n", opt, s);
		exit(EXIT_USAGE);
	}
	return (uint64_t)(v * 1e9);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || *end || errno || s[0] == '-' || v > max) {
		fprintf(stderr, "rdt-impair: %s: bad number \"%s\" "
			"(try --help)\n", opt, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/*
 * parse_addr resolves "[ADDR]:PORT", "ADDR:PORT" or, if |passive|, a bare
 * "PORT" (the IPv6 wildcard, which takes IPv4 too, or the IPv4 one on a
 * host without IPv6).  Exits with a usage error if it cannot.
 */
static void parse_addr(const char *opt, const char *arg, int passive,
		       struct sockaddr_storage *ss, socklen_t *plen)
{
	struct addrinfo hints, *res;
	char buf[300];
	char *host = NULL, *port, *colon;
	int rc;

	if (strlen(arg) >= sizeof(buf))
		usage_error("address too long: %s", arg);
	strcpy(buf, arg);
	if (buf[0] == '[') {
		host = buf + 1;
		colon = strchr(host, ']');
		if (!colon || colon[1] != ':')
			usage_error("bad address \"%s\" (expected "
				    "[ADDR]:PORT)", arg);
		*colon = '\0';
		port = colon + 2;
	} else if ((colon = strrchr(buf, ':'))) {
		if (strchr(buf, ':') != colon)
			usage_error("bad address \"%s\" (an IPv6 address "
				    "goes in brackets: [ADDR]:PORT)", arg);
		*colon = '\0';
		host = buf;
		port = colon + 1;
	} else if (passive) {
		port = buf;
	} else {
		usage_error("bad address \"%s\" (expected HOST:PORT)", arg);
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) ||
	    atol(port) > 65535 || (!passive && atol(port) == 0)) {
		fprintf(stderr, "rdt-impair: %s: bad port in \"%s\" "
			"(try --help)\n", opt, arg);
		exit(EXIT_USAGE);
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if (!host)
		hints.ai_family = AF_INET6;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc && !host) {
		hints.ai_family = AF_INET;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc) {
		fprintf(stderr, "rdt-impair: %s %s: %s\n", opt, arg,
			gai_strerror(rc));
		exit(EXIT_USAGE);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*plen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void set_dirs(struct netem_cfg cfg[DIR_COUNT], unsigned dirs,
		     const char *opt, const char *params)
{
	struct netem_cfg c;
	char err[512];
	int d;

	if (netem_parse(&c, params, err, sizeof(err)) < 0) {
		fprintf(stderr, "rdt-impair: %s: %s\n", opt, err);
		exit(EXIT_USAGE);
	}
	for (d = 0; d < DIR_COUNT; d++)
		if (dirs & DIR_BIT(d))
			cfg[d] = c;
}

static void print_dir(FILE *f, const char *name, const struct impair_stats *s)
{
	fprintf(f, "\"%s\":{\"received\":%" PRIu64 ",\"delivered\":%" PRIu64
		",\"dropped_loss\":%" PRIu64 ",\"dropped_queue\":%" PRIu64
		",\"dropped_down\":%" PRIu64 ",\"duplicated\":%" PRIu64
		",\"corrupted\":%" PRIu64 ",\"reordered\":%" PRIu64
		",\"queue_peak\":%" PRIu64 "}",
		name, s->received, s->delivered, s->dropped_loss,
		s->dropped_queue, s->dropped_down, s->duplicated,
		s->corrupted, s->reordered, s->queue_peak);
}

/* The contract's JSON line, with the relay's own counters after it, to
 * |f| (opened at start, so a bad path is known before relaying). */
static int write_stats(FILE *f, const char *path,
		       struct impair *dir[DIR_COUNT],
		       const struct relay_stats *rs)
{
	int d;

	fputc('{', f);
	for (d = 0; d < DIR_COUNT; d++) {
		print_dir(f, dir_names[d], impair_stats(dir[d]));
		fputc(',', f);
	}
	fprintf(f, "\"relay\":{\"flows\":%" PRIu64 ",\"flows_peak\":%" PRIu64
		",\"dropped_flow_limit\":%" PRIu64 ",\"dropped_no_flow\":%"
		PRIu64 ",\"send_errors\":%" PRIu64 ",\"late_mean_us\":%.3f"
		",\"late_max_us\":%.3f}}\n",
		rs->flows, rs->flows_peak, rs->dropped_flow_limit,
		rs->dropped_no_flow, rs->send_errors,
		rs->late_count ? (double)rs->late_sum_ns / 1e3 /
				 (double)rs->late_count : 0.0,
		(double)rs->late_max_ns / 1e3);
	if (f != stderr ? fclose(f) != 0 : fflush(f) != 0) {
		fprintf(stderr, "rdt-impair: --stats %s: %s\n",
			path ? path : "(standard error)", strerror(errno));
		return -1;
	}
	return 0;
}

static uint64_t random_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return seed;
}

/*
 * check_profiles is --check: every file through profile_load, the
 * relay's own parser, so that netem-scripts/replay (which runs this) and
 * the relay can never disagree about a profile.  With |verbose|, each
 * good file's rate limits go to standard output as
 * "FILE: a2b rate_bps=N b2a rate_bps=N" (0: no limit), which is how
 * replay learns a profile's bottleneck without a second parser of the
 * rate units.
 */
static int check_profiles(int n, char **paths, int verbose)
{
	struct netem_cfg cfg[DIR_COUNT];
	char err[1024];
	int i, d, bad = 0;

	if (n == 0)
		usage_error("%s needs profile files", "--check");
	for (i = 0; i < n; i++) {
		/* profile_load only sets the directions the file names. */
		for (d = 0; d < DIR_COUNT; d++)
			netem_cfg_init(&cfg[d]);
		if (profile_load(paths[i], cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			bad = 1;
		} else if (verbose) {
			printf("%s: a2b rate_bps=%" PRIu64 " b2a rate_bps=%"
			       PRIu64 "\n", paths[i], cfg[DIR_A2B].rate,
			       cfg[DIR_B2A].rate);
		}
	}
	return bad ? EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	struct netem_cfg cfg[DIR_COUNT];
	struct relay_opts o;
	struct relay_stats rs;
	struct impair *dir[DIR_COUNT] = { NULL, NULL };
	const char *stats_path = NULL;
	FILE *stats_file;
	uint64_t seed = 0;
	int have_seed = 0, have_listen = 0, have_forward = 0, check = 0;
	int c, d, rc;
	char err[1024];

	memset(&o, 0, sizeof(o));
	o.max_flows = DEFAULT_MAX_FLOWS;
	o.flow_timeout = (uint64_t)(DEFAULT_FLOW_TIMEOUT_S * 1e9);
	for (d = 0; d < DIR_COUNT; d++)
		netem_cfg_init(&cfg[d]);

	/* Our own messages for bad options: one line, as every error. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:f:p:c:s:d:vhV", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'l':
			parse_addr("--listen", optarg, 1, &o.listen,
				   &o.listen_len);
			have_listen = 1;
			break;
		case 'f':
			parse_addr("--forward", optarg, 0, &o.forward,
				   &o.forward_len);
			have_forward = 1;
			break;
		case 'A':
			set_dirs(cfg, DIR_BIT(DIR_A2B), "--a2b", optarg);
			break;
		case 'B':
			set_dirs(cfg, DIR_BIT(DIR_B2A), "--b2a", optarg);
			break;
		case 'O':
			set_dirs(cfg, DIR_BIT(DIR_A2B) | DIR_BIT(DIR_B2A),
				 "--both", optarg);
			break;
		case 'p':
			if (profile_load(optarg, cfg, err, sizeof(err)) < 0) {
				fprintf(stderr, "rdt-impair: --profile %s\n",
					err);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			o.control = optarg;
			break;
		case 'K':
			check = 1;
			break;
		case 's':
			seed = parse_u64("--seed", optarg, UINT64_MAX);
			have_seed = 1;
			break;
		case 'S':
			stats_path = optarg;
			break;
		case 'd':
			o.duration = parse_secs("--duration", optarg);
			break;
		case 'M':
			o.max_flows = (unsigned)parse_u64("--max-flows",
							  optarg, 1u << 20);
			if (o.max_flows == 0)
				usage_error("--max-flows: must be at least %s",
					    "1");
			break;
		case 'T':
			o.flow_timeout = parse_secs("--flow-timeout", optarg);
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("rdt-impair (rdt) %s\n", PACKAGE_VERSION);
			return 0;
		case ':':
			usage_error("%s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				fprintf(stderr, "rdt-impair: unknown option "
					"-%c (try --help)\n", optopt);
			else
				usage_error("unknown option %s",
					    argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (check)
		return check_profiles(argc - optind, argv + optind,
				      o.verbose);
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!have_listen)
		usage_error("%s is required", "--listen");
	if (!have_forward)
		usage_error("%s is required", "--forward");
	if (!have_seed)
		seed = random_seed();
	stats_file = stats_path ? fopen(stats_path, "w") : stderr;
	if (!stats_file) {
		fprintf(stderr, "rdt-impair: --stats %s: %s\n", stats_path,
			strerror(errno));
		return EXIT_RUNTIME;
	}

	/* Two streams from one seed: the directions decide independently. */
	if (impair_new(&dir[DIR_A2B], &cfg[DIR_A2B], seed) < 0 ||
	    impair_new(&dir[DIR_B2A], &cfg[DIR_B2A], ~seed) < 0) {
		fprintf(stderr, "rdt-impair: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (o.verbose)
		fprintf(stderr, "rdt-impair: seed %" PRIu64 "\n", seed);
	rc = relay_run(&o, dir, &rs);
	/* A relay that never started has nothing to report. */
	if (rs.started) {
		if (write_stats(stats_file, stats_path, dir, &rs) < 0)
			rc = -1;
	} else if (stats_file != stderr) {
		fclose(stats_file);
	}
	for (d = 0; d < DIR_COUNT; d++)
		impair_del(dir[d]);
	return rc < 0 ? EXIT_RUNTIME : 0;
}
