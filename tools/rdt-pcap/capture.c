/*
 * capture.c: "rdt-pcap capture", live capture of rdt traffic.
 *
 * Map: cmd_capture parses options, open_live opens the interface
 * (immediate mode, nanosecond stamps where the system has them) and
 * installs the BPF filter built by make_filter, then run waits in ppoll
 * with SIGINT and SIGTERM unblocked only there, so a signal ends the wait
 * at once and is never lost between checking the flag and sleeping.  Each
 * wake-up drains what libpcap has (pcap_dispatch, non-blocking) into the
 * dump file or, without -w, into one line per datagram (print_dgram,
 * decoded as check decodes a file: reader_decode, sealed datagrams opened
 * with --psk-file's key).
 */
/* ppoll */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "commands.h"
#include "core/err.h"
#include "frame.h"
#include "printout.h"
#include "reader.h"
#include "util.h"
#include "wire/pkt.h"

const char capture_usage[] =
"Usage: rdt-pcap capture -i IFACE [-w FILE] [-c COUNT] [-d SECS]\n"
"                        [-s SNAPLEN] [-B KIB] [--psk-file KEYFILE]\n"
"                        [PORT...]\n"
"\n"
"Capture UDP traffic on interface IFACE with libpcap, as tcpdump would;\n"
"with PORTs, only UDP datagrams to or from one of them (BPF filter\n"
"\"udp and (port P or ...)\").  Ends cleanly on SIGINT or SIGTERM, after\n"
"COUNT datagrams or after SECS seconds, and reports on stderr how many\n"
"were captured and how many the kernel dropped.  Needs the privileges\n"
"of a packet capture (root or CAP_NET_RAW).\n"
"\n"
"  -i, --interface IFACE  the interface to capture on (\"any\": all)\n"
"  -w, --write FILE       write a pcap file (\"-\": standard output);\n"
"                         without it, print one line per rdt datagram\n"
"      --psk-file KEYFILE (without -w) open the encrypted mode's sealed\n"
"                         datagrams with the pre-shared key in KEYFILE\n"
"                         (64 hex digits, as for reliable-cat) and print\n"
"                         their fields; without it, their clear header\n"
"  -c, --count COUNT      stop after COUNT datagrams\n"
"  -d, --duration SECS    stop after SECS seconds (decimals allowed)\n"
"  -s, --snaplen SNAPLEN  bytes kept of each frame (default 262144)\n"
"  -B, --buffer-size KIB  the kernel's capture buffer, KiB (default\n"
"                         32768; libpcap's 2 MiB loses datagrams when a\n"
"                         transfer runs at Gbit/s); at least 4 frames\n"
"                         of SNAPLEN\n"
"  -h, --help             print this help and exit\n"
"\n"
"Exit status: 0 success, 1 the capture failed (interface, permission,\n"
"write error), 2 usage error.\n";

#define DEFAULT_SNAPLEN 262144
#define DEFAULT_BUFFER_KIB 32768
/* Room for "udp and (port N or port N ...)" with MAX_PORTS ports. */
#define FILTER_LEN (32 + MAX_PORTS * 16)

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct capture {
	pcap_t *pc;
	pcap_dumper_t *dump;
	int dlt;
	int nano;		/* timestamps in nanoseconds */
	struct unseal *unseal;	/* opens sealed ones for the printout */
	uint64_t count;		/* 0: no limit */
	uint64_t seen;
};

static void make_filter(char *buf, size_t len, const uint16_t *ports,
			size_t nports)
{
	size_t i, used;

	used = (size_t)snprintf(buf, len, "udp");
	for (i = 0; i < nports && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s port %u",
					 i ? " or" : " and (", ports[i]);
	if (nports && used < len)
		snprintf(buf + used, len - used, ")");
}

/* One line per datagram (a GSO train holds several), opened with the
 * key if one was given: the same decoding as "rdt-pcap check". */
static void print_dgram(struct capture *cap, const struct pcap_pkthdr *h,
			const u_char *bytes)
{
	struct frame_udp u;
	struct rdt_dgram d;
	size_t seg, at;

	if (frame_decode(cap->dlt, bytes, h->caplen, &u) != FRAME_UDP)
		return;
	memset(&d, 0, sizeof(d));
	d.src = u.src;
	d.dst = u.dst;
	/* tv_usec holds nanoseconds where the capture offers them. */
	d.t_ns = (int64_t)h->ts.tv_sec * 1000000000 +
		 (int64_t)h->ts.tv_usec * (cap->nano ? 1 : 1000);
	reader_decode(cap->unseal, &d, u.payload, u.len);
	seg = d.status != 0 && d.status != RDT_ERR_AUTH &&
	      d.seal != UNSEAL_OPENED ?
		      reader_train_segment(u.payload, u.len) : 0;
	if (seg == 0) {
		print_dgram_line(stdout, &d);
		return;
	}
	for (at = 0; at < u.len; at += seg) {
		reader_decode(cap->unseal, &d, u.payload + at,
			      u.len - at < seg ? u.len - at : seg);
		print_dgram_line(stdout, &d);
	}
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct capture *cap = (struct capture *)arg;

	cap->seen++;
	if (cap->dump)
		pcap_dump((u_char *)cap->dump, h, bytes);
	else
		print_dgram(cap, h, bytes);
}

static pcap_t *open_live(const char *iface, int snaplen, int buffer_bytes,
			 const char *filter)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	pcap_t *pc;
	int rc;

	pc = pcap_create(iface, ebuf);
	if (!pc) {
		warnx_("%s: %s", iface, ebuf);
		return NULL;
	}
	pcap_set_snaplen(pc, snaplen);
	pcap_set_buffer_size(pc, buffer_bytes);
	/* Deliver each datagram at once, not when a kernel block fills. */
	pcap_set_immediate_mode(pc, 1);
	/* Best effort: microseconds where nanoseconds are not offered. */
	pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(pc);
	if (rc < 0) {
		const char *what = pcap_statustostr(rc), *why = pcap_geterr(pc);

		/* libpcap sometimes repeats the status as the detail. */
		if (!*why || !strcmp(why, what))
			warnx_("%s: %s", iface, what);
		else
			warnx_("%s: %s: %s", iface, what, why);
		goto fail;
	}
	if (rc > 0)
		warnx_("%s: warning: %s", iface, pcap_geterr(pc));
	if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		warnx_("filter '%s': %s", filter, pcap_geterr(pc));
		goto fail;
	}
	rc = pcap_setfilter(pc, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		warnx_("filter '%s': %s", filter, pcap_geterr(pc));
		goto fail;
	}
	if (pcap_setnonblock(pc, 1, ebuf) < 0) {
		warnx_("%s: %s", iface, ebuf);
		goto fail;
	}
	return pc;
fail:
	pcap_close(pc);
	return NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Captures until a signal, the count or the deadline (< 0: none). */
static int run(struct capture *cap, int64_t deadline, const sigset_t *wait)
{
	struct pollfd pfd = { .fd = pcap_get_selectable_fd(cap->pc),
			      .events = POLLIN };

	if (pfd.fd < 0) {
		warnx_("this interface cannot be waited on with poll");
		return -1;
	}
	while (!stop_signal && (!cap->count || cap->seen < cap->count)) {
		struct timespec ts, *tsp = NULL;
		int n;

		if (deadline >= 0) {
			int64_t left = deadline - now_ns();

			if (left <= 0)
				break;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tsp = &ts;
		}
		n = ppoll(&pfd, 1, tsp, wait);
		if (n < 0 && errno != EINTR) {
			warnx_("poll: %m");
			return -1;
		}
		if (n <= 0)
			continue;
		n = pcap_dispatch(cap->pc, cap->count ?
				  (int)(cap->count - cap->seen) : -1,
				  on_packet, (u_char *)cap);
		if (n < 0) {
			warnx_("capture: %s", pcap_geterr(cap->pc));
			return -1;
		}
		if (cap->dump)
			pcap_dump_flush(cap->dump);
		else
			fflush(stdout);
	}
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "buffer-size", required_argument, NULL, 'B' },
		{ "psk-file", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct capture cap = { 0 };
	/* Static: it holds a datagram-sized buffer. */
	static struct unseal unseal;
	uint8_t psk[RDT_SEAL_KEY_SIZE];
	int have_psk = 0;
	const char *iface = NULL, *file = NULL;
	uint16_t ports[MAX_PORTS];
	size_t nports = 0;
	uint64_t snaplen = DEFAULT_SNAPLEN;
	uint64_t buffer_kib = DEFAULT_BUFFER_KIB;
	double secs = -1;
	int64_t deadline = -1;
	char filter[FILTER_LEN], *end;
	struct sigaction sa;
	sigset_t block, wait;
	struct pcap_stat ps;
	int ch, status = 0;

	while ((ch = getopt_long(argc, argv, "+i:w:c:d:s:B:h", opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'i':
			iface = optarg;
			break;
		case 'w':
			file = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, "count", 1, INT32_MAX,
				      &cap.count) < 0)
				return EXIT_USAGE;
			break;
		case 'd':
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs > 0) ||
			    secs > 1e9) {
				warnx_("invalid duration: '%s' (expected "
				       "seconds > 0)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, "snaplen", 64, DEFAULT_SNAPLEN,
				      &snaplen) < 0)
				return EXIT_USAGE;
			break;
		case 'B':
			/* Up to 1 GiB: the int libpcap takes, with room. */
			if (parse_u64(optarg, "buffer size", 64, 1 << 20,
				      &buffer_kib) < 0)
				return EXIT_USAGE;
			break;
		case 'K':
			if (read_psk_file(optarg, psk) < 0)
				return EXIT_USAGE;
			have_psk = 1;
			break;
		case 'h':
			fputs(capture_usage, stdout);
			return 0;
		default:
			fputs("Try 'rdt-pcap capture --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	/* The kernel's ring holds frames of SNAPLEN bytes: fewer than a
	 * few of them and it drops nearly everything. */
	if (buffer_kib * 1024 < 4 * snaplen) {
		warnx_("buffer size %" PRIu64 " KiB holds fewer than 4 frames "
		       "of %" PRIu64 " bytes (-s): raise -B or lower -s",
		       buffer_kib, snaplen);
		return EXIT_USAGE;
	}
	if (!iface) {
		warnx_("capture: -i IFACE is required");
		fputs("Try 'rdt-pcap capture --help'.\n", stderr);
		return EXIT_USAGE;
	}
	/* The file keeps the datagrams as they travelled; a key given here
	 * would silently do nothing. */
	if (have_psk && file) {
		warnx_("capture: --psk-file is for the printout; open a file "
		       "written with -w with 'rdt-pcap check --psk-file'");
		return EXIT_USAGE;
	}
	for (; optind < argc; optind++)
		if (add_port(ports, &nports, argv[optind]) < 0)
			return EXIT_USAGE;
	make_filter(filter, sizeof(filter), ports, nports);
	unseal_init(&unseal, have_psk ? psk : NULL);
	explicit_bzero(psk, sizeof(psk));
	cap.unseal = &unseal;

	/* Signals stay blocked except inside ppoll (see the map above). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait);
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	cap.pc = open_live(iface, (int)snaplen, (int)(buffer_kib * 1024),
			   filter);
	if (!cap.pc) {
		unseal_free(&unseal);
		return 1;
	}
	cap.dlt = pcap_datalink(cap.pc);
	cap.nano = pcap_get_tstamp_precision(cap.pc) ==
		   PCAP_TSTAMP_PRECISION_NANO;
	if (file) {
		cap.dump = pcap_dump_open(cap.pc, file);
		if (!cap.dump) {
			warnx_("%s", pcap_geterr(cap.pc));
			pcap_close(cap.pc);
			unseal_free(&unseal);
			return 1;
		}
	} else if (!frame_dlt_supported(cap.dlt)) {
		warnx_("%s: link type %d cannot be decoded; use -w FILE",
		       iface, cap.dlt);
		pcap_close(cap.pc);
		unseal_free(&unseal);
		return 1;
	}
	/* Like tcpdump's "listening on": from here nothing is missed. */
	fprintf(stderr, PROG ": listening on %s, filter '%s'\n", iface, filter);
	if (secs > 0)
		deadline = now_ns() + (int64_t)(secs * 1e9);
	if (run(&cap, deadline, &wait) < 0)
		status = 1;
	if (cap.dump) {
		if (pcap_dump_flush(cap.dump) < 0) {
			warnx_("writing %s: %m", file);
			status = 1;
		}
		pcap_dump_close(cap.dump);
	}
	if (pcap_stats(cap.pc, &ps) == 0)
		fprintf(stderr, PROG ": %" PRIu64 " datagrams captured, %u "
			"dropped by the kernel\n", cap.seen, ps.ps_drop);
	pcap_close(cap.pc);
	unseal_free(&unseal);
	return status;
}
