/*
 * plot.c: "rdt-pcap plot", pictures of one direction of one connection,
 * as SVG or PNG (canvas.h), the graphs tcptrace and Wireshark's Stream
 * Graphs draw for TCP:
 *
 *   seq         stream position against time: each datagram's bytes a
 *               vertical stroke, retransmissions in red with a marker
 *               (so that they show at any scale), selectively
 *               acknowledged ranges in blue, the cumulative ACK and the
 *               window edge as step lines; the y scale follows the data,
 *               never the window edge, which is clipped;
 *   throughput  sent, retransmitted and acknowledged bytes per interval,
 *               in Mbit/s;
 *   rtt         every RTT sample the sender could take, in ms;
 *   window      the receive window left (edge minus cumulative ACK) and
 *               the bytes in flight, on their own scale.
 *
 * Map: cmd_plot parses options, runs the tracker with hooks that record
 * every event (record), picks the connection (pick) and direction, then
 * has graph_draw (graph.c) draw the picture on a canvas.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "canvas.h"
#include "commands.h"
#include "graph.h"
#include "track.h"
#include "util.h"

const char plot_usage[] =
"Usage: rdt-pcap plot [-o OUT.svg|OUT.png] [-g GRAPH] [-t FROM:TO]\n"
"                     [-y FROM:TO] [--no-window] [--dir c2s|s2c]\n"
"                     [--conn CID] [--psk-file KEYFILE] [-p PORT]... FILE\n"
"\n"
"Draw one direction of one rdt connection in the capture FILE.  GRAPH:\n"
"  seq         (default) stream position against time: every datagram's\n"
"              bytes, retransmissions in red with a marker, selectively\n"
"              acknowledged (SACK) ranges in blue, the cumulative ACK\n"
"              (green) and the receiver's window edge (orange, clipped:\n"
"              it never sets the scale)\n"
"  throughput  sent, retransmitted and acknowledged Mbit/s over time\n"
"  rtt         the sender's RTT samples over time, in ms\n"
"  window      the receive window left and the bytes in flight\n"
"\n"
"  -o, --output FILE     write there (default: SVG on standard output);\n"
"                        a name ending in .png writes PNG\n"
"  -f, --format svg|png  the format, whatever the name\n"
"  -g, --graph GRAPH     which picture (above)\n"
"  -t, --time FROM:TO    seconds since the connection's first datagram;\n"
"                        either may be left out (\"2:\", \":0.5\")\n"
"  -y, --bytes FROM:TO   (seq) stream positions to show, with K, M or G\n"
"                        (powers of 1024): zoom in on a region\n"
"      --no-window       (seq) leave the window edge out\n"
"  -b, --bin SECS        (throughput) the interval (default: 1/100 of\n"
"                        the time shown)\n"
"  -d, --dir DIR         c2s or s2c (default: the one with more bytes)\n"
"  -c, --conn CID        the connection: a connection ID of either side\n"
"                        (0x... or decimal), or a connection number from\n"
"                        'rdt-pcap check'; default: the one carrying the\n"
"                        most stream bytes\n"
"  -p, --port PORT       as for 'rdt-pcap check'\n"
"      --psk-file KEYFILE\n"
"                        as for 'rdt-pcap check': the encrypted mode's\n"
"                        key, without which a sealed connection has no\n"
"                        graphs\n"
"  -h, --help            print this help and exit\n"
"\n"
"Exit status: 0 success, 1 no such connection (or none in the capture),\n"
"2 usage or I/O error.\n";

/* Events kept for all connections together; later ones are dropped, with
 * a warning, to bound memory. */
#define PLOT_MAX_POINTS ((size_t)1 << 22)

static void record(struct plot *p, const struct track_conn *c, int dir,
		   int64_t t, uint64_t a, uint64_t b, enum pt_kind kind)
{
	struct pt *q;

	if (p->n == PLOT_MAX_POINTS) {
		p->truncated = 1;
		return;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	q = &p->v[p->n++];
	q->t_ns = t;
	q->a = a;
	q->b = b;
	q->conn = c->id;
	q->dir = (uint8_t)dir;
	q->kind = (uint8_t)kind;
}

static void on_stream(void *arg, const struct track_conn *c, int dir,
		      int64_t t, uint64_t a, uint64_t b, int retx)
{
	record(arg, c, dir, t, a, b, retx ? PT_RETX : PT_DATA);
}

static void on_ack(void *arg, const struct track_conn *c, int dir,
		   int64_t t, uint64_t cum)
{
	record(arg, c, dir, t, cum, cum, PT_ACK);
}

static void on_window(void *arg, const struct track_conn *c, int dir,
		      int64_t t, uint64_t edge)
{
	record(arg, c, dir, t, edge, edge, PT_WINDOW);
}

static void on_sack(void *arg, const struct track_conn *c, int dir,
		    int64_t t, uint64_t a, uint64_t b)
{
	record(arg, c, dir, t, a, b, PT_SACK);
}

static void on_rtt(void *arg, const struct track_conn *c, int dir,
		   int64_t t, int64_t rtt_ns)
{
	record(arg, c, dir, t, (uint64_t)rtt_ns, (uint64_t)rtt_ns, PT_RTT);
}

static const struct track_conn *pick(const struct track *t, int have_cid,
				     uint64_t cid)
{
	const struct track_conn *best = NULL;
	size_t i;

	for (i = 0; i < t->nconns; i++) {
		const struct track_conn *c = t->conns[i];
		uint64_t bytes = c->d[0].st.stream_bytes +
				 c->d[1].st.stream_bytes;

		if (have_cid) {
			if (c->cid[0] == cid || c->cid[1] == cid)
				return c;
			continue;
		}
		if (!best || bytes > best->d[0].st.stream_bytes +
				     best->d[1].st.stream_bytes)
			best = c;
	}
	if (have_cid && cid >= 1 && cid <= t->nconns)
		return t->conns[cid - 1];
	return best;
}

/* --- options --------------------------------------------------------- */

/* "FROM:TO", either side optional; |bytes| allows K, M, G suffixes. */
static int parse_range(const char *arg, const char *what, int bytes,
		       int *have0, double *v0, int *have1, double *v1)
{
	const char *colon = strchr(arg, ':');
	const char *part[2];
	int *have[2] = { have0, have1 };
	double *v[2] = { v0, v1 };
	size_t len[2];
	int k;

	if (!colon) {
		warnx_("%s '%s': expected FROM:TO", what, arg);
		return -1;
	}
	part[0] = arg;
	len[0] = (size_t)(colon - arg);
	part[1] = colon + 1;
	len[1] = strlen(colon + 1);
	for (k = 0; k < 2; k++) {
		char buf[64], *end;
		double x, mul = 1;

		*have[k] = len[k] > 0;
		if (!len[k])
			continue;
		if (len[k] >= sizeof(buf))
			goto bad;
		memcpy(buf, part[k], len[k]);
		buf[len[k]] = '\0';
		errno = 0;
		x = strtod(buf, &end);
		if (bytes && *end && !end[1]) {
			switch (*end) {
			case 'k': case 'K': mul = 1024; end++; break;
			case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
			case 'g': case 'G':
				mul = 1024.0 * 1024 * 1024;
				end++;
				break;
			}
		}
		if (end == buf || *end || errno || !isfinite(x) || x < 0)
			goto bad;
		*v[k] = x * mul;
	}
	if (*have0 && *have1 && *v1 <= *v0) {
		warnx_("%s '%s': FROM must be below TO", what, arg);
		return -1;
	}
	return 0;
bad:
	warnx_("%s '%s': expected two non-negative numbers, FROM:TO", what,
	       arg);
	return -1;
}

static int parse_graph(const char *s, enum graph *g)
{
	static const char *const names[] = { "seq", "throughput", "rtt",
					     "window" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*g = (enum graph)i;
			return 0;
		}
	warnx_("unknown graph '%s' (seq, throughput, rtt or window)", s);
	return -1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

enum { OPT_NO_WINDOW = 256, OPT_PSK_FILE };

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "graph", required_argument, NULL, 'g' },
		{ "time", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'y' },
		{ "no-window", no_argument, NULL, OPT_NO_WINDOW },
		{ "bin", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "conn", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "psk-file", required_argument, NULL, OPT_PSK_FILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Static: it holds a datagram-sized buffer. */
	static struct unseal unseal;
	uint8_t psk[RDT_SEAL_KEY_SIZE];
	int have_psk = 0;
	struct plot p = { 0 };
	struct track_hooks hooks = { &p, on_stream, on_ack, on_window,
				     on_sack, on_rtt };
	struct plot_opts po = { 0 };
	const struct track_conn *c;
	const char *out = NULL, *format = NULL;
	enum canvas_format fmt;
	uint16_t ports[MAX_PORTS];
	size_t nports = 0;
	uint64_t cid = 0;
	int have_cid = 0, ch, dir = -1, status = 0, rc;
	struct reader_stats rs;
	struct canvas cv;
	struct track t;
	char err[512], title[256];
	char a[FRAME_ENDPOINT_STRLEN], b[FRAME_ENDPOINT_STRLEN];
	char *end;

	while ((ch = getopt_long(argc, argv, "+o:f:g:t:y:b:d:c:p:h", opts,
				 NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'g':
			if (parse_graph(optarg, &po.graph) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (parse_range(optarg, "time", 0, &po.have_t0, &po.t0,
					&po.have_t1, &po.t1) < 0)
				return EXIT_USAGE;
			break;
		case 'y':
			if (parse_range(optarg, "bytes", 1, &po.have_y0,
					&po.y0, &po.have_y1, &po.y1) < 0)
				return EXIT_USAGE;
			break;
		case OPT_NO_WINDOW:
			po.no_window = 1;
			break;
		case 'b':
			errno = 0;
			po.bin = strtod(optarg, &end);
			if (end == optarg || *end || errno ||
			    !(po.bin > 0) || !isfinite(po.bin)) {
				warnx_("bin '%s': expected seconds above 0",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (strcmp(optarg, "c2s") == 0) {
				dir = DIR_C2S;
			} else if (strcmp(optarg, "s2c") == 0) {
				dir = DIR_S2C;
			} else {
				warnx_("dir '%s': expected c2s or s2c",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_u64(optarg, "connection ID", 1, UINT64_MAX,
				      &cid) < 0)
				return EXIT_USAGE;
			have_cid = 1;
			break;
		case 'p':
			if (add_port(ports, &nports, optarg) < 0)
				return EXIT_USAGE;
			break;
		case OPT_PSK_FILE:
			if (read_psk_file(optarg, psk) < 0)
				return EXIT_USAGE;
			have_psk = 1;
			break;
		case 'h':
			fputs(plot_usage, stdout);
			return 0;
		default:
			fputs("Try 'rdt-pcap plot --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		warnx_("plot: expected one capture FILE");
		fputs("Try 'rdt-pcap plot --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (format && strcmp(format, "svg") != 0 &&
	    strcmp(format, "png") != 0) {
		warnx_("format '%s': expected svg or png", format);
		return EXIT_USAGE;
	}
	fmt = (format ? strcmp(format, "png") == 0 :
		out && ends_with(out, ".png")) ? CANVAS_PNG : CANVAS_SVG;
	if (fmt == CANVAS_PNG && !canvas_png_supported()) {
		warnx_("this rdt-pcap was built without cairo: no PNG (write "
		       "SVG and convert it, e.g. with rsvg-convert)");
		return EXIT_USAGE;
	}
	if (fmt == CANVAS_PNG && !out) {
		warnx_("PNG needs a file: -o FILE.png");
		return EXIT_USAGE;
	}
	track_init(&t, 0, &hooks);
	unseal_init(&unseal, have_psk ? psk : NULL);
	explicit_bzero(psk, sizeof(psk));
	rc = reader_run(argv[optind], ports, nports, &unseal, track_dgram, &t,
			&rs, err, sizeof(err));
	unseal_free(&unseal);
	if (rc < 0) {
		warnx_("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	track_finish(&t);
	c = pick(&t, have_cid, cid);
	if (!c) {
		if (have_cid)
			warnx_("no connection 0x%" PRIx64 " in %s", cid,
			       argv[optind]);
		else
			warnx_("no rdt connection in %s", argv[optind]);
		status = 1;
		goto out;
	}
	if (p.truncated)
		warnx_("more than %zu events: the plot ends early",
		       PLOT_MAX_POINTS);
	if (c->sealed_hidden)
		warnx_("conn %u: %" PRIu64 " sealed datagrams not opened (%s):"
		       " the graphs lack them", c->id, c->sealed_hidden,
		       have_psk ? "keys unknown" : "no --psk-file");
	if (dir < 0)
		dir = c->d[DIR_S2C].st.stream_bytes >
		      c->d[DIR_C2S].st.stream_bytes;
	snprintf(title, sizeof(title), "rdt conn %u %s: %s to %s", c->id,
		 track_dir_name(dir), frame_endpoint_str(&c->ep[dir], a),
		 frame_endpoint_str(&c->ep[!dir], b));
	if (canvas_open(&cv, fmt, out, GRAPH_W, GRAPH_H, title) < 0) {
		warnx_("%s: %m", out ? out : "standard output");
		status = EXIT_USAGE;
		goto out;
	}
	graph_draw(&cv, &p, c, dir, &po);
	if (canvas_close(&cv) < 0) {
		warnx_("writing %s: %m", out ? out : "standard output");
		status = EXIT_USAGE;
	}
out:
	track_free(&t);
	free(p.v);
	return status;
}

