/*
 * plot.c: "rdt-pcap plot", a time-sequence graph of one connection as SVG:
 * stream position against time, each datagram's bytes a vertical stroke
 * (retransmissions in red), the receiver's cumulative ACK and window edge
 * as step lines, the picture tcptrace and Wireshark draw for TCP.
 *
 * Map: cmd_plot runs the tracker with hooks that record every event
 * (record), picks the connection and its busier direction (pick), then
 * draw writes the SVG: axes with round ticks, then the layers.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "track.h"
#include "util.h"

const char plot_usage[] =
"Usage: rdt-pcap plot [-o OUT.svg] [--conn CID] [-p PORT]... FILE\n"
"\n"
"Draw the time-sequence graph of one rdt connection in the capture FILE\n"
"as SVG: stream position against time, with every datagram's stream\n"
"bytes (retransmissions in red), the receiver's cumulative ACK and its\n"
"window edge.  The direction that carried more bytes is drawn.\n"
"\n"
"  -o, --output OUT.svg  write the SVG there (default: standard output)\n"
"  -c, --conn CID        the connection: a connection ID of either side\n"
"                        (0x... or decimal), or a connection number from\n"
"                        'rdt-pcap check'; default: the one carrying the\n"
"                        most stream bytes\n"
"  -p, --port PORT       as for 'rdt-pcap check'\n"
"  -h, --help            print this help and exit\n"
"\n"
"Exit status: 0 success, 1 no such connection (or none in the capture),\n"
"2 usage or I/O error.\n";

/* Events kept for all connections together; later ones are dropped, with
 * a warning, to bound memory. */
#define PLOT_MAX_POINTS ((size_t)1 << 22)

#define W 1000
#define H 620
#define ML 90		/* margins: room for the axis labels */
#define MR 20
#define MT 40
#define MB 60

enum pt_kind { PT_DATA, PT_RETX, PT_ACK, PT_WINDOW };

struct pt {
	int64_t t_ns;
	uint64_t a, b;		/* abs stream positions; b only for data */
	unsigned conn;
	uint8_t dir;
	uint8_t kind;
};

struct plot {
	struct pt *v;
	size_t n, cap;
	int truncated;
};

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

/* A round step (1, 2 or 5 times a power of ten) giving about 6 ticks. */
static double tick_step(double span)
{
	double raw = span / 6, p = pow(10, floor(log10(raw)));

	if (raw / p >= 5)
		return 5 * p;
	return raw / p >= 2 ? 2 * p : p;
}

struct frame_box {
	double t0, t1, y0, y1;
};

static double X(const struct frame_box *f, double t)
{
	return ML + (t - f->t0) / (f->t1 - f->t0) * (W - ML - MR);
}

static double Y(const struct frame_box *f, double y)
{
	return H - MB - (y - f->y0) / (f->y1 - f->y0) * (H - MT - MB);
}

static void axes(FILE *o, const struct frame_box *f)
{
	double s, v;

	fprintf(o, "<g stroke=\"#888\" stroke-width=\"1\">\n"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n</g>\n",
		ML, H - MB, W - MR, H - MB, ML, MT, ML, H - MB);
	fputs("<g font-family=\"sans-serif\" font-size=\"12\" fill=\"#333\">\n",
	      o);
	s = tick_step(f->t1 - f->t0);
	for (v = ceil(f->t0 / s) * s; v <= f->t1; v += s)
		fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
			"%g</text>\n", X(f, v), H - MB + 18, v);
	s = tick_step(f->y1 - f->y0);
	for (v = ceil(f->y0 / s) * s; v <= f->y1; v += s)
		fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">"
			"%.0f</text>\n", ML - 6, Y(f, v) + 4, v);
	fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time "
		"(s)</text>\n", (ML + W - MR) / 2, H - 15);
	fprintf(o, "<text transform=\"translate(20,%d) rotate(-90)\" "
		"text-anchor=\"middle\">stream position (bytes)</text>\n",
		(MT + H - MB) / 2);
	fputs("</g>\n", o);
}

/* One layer: the points of |kind| as strokes, or as a step line. */
static void layer(FILE *o, const struct plot *p, const struct track_conn *c,
		  int dir, enum pt_kind kind, const struct frame_box *f)
{
	static const char *const color[] = { "#000", "#d00", "#090", "#b80" };
	static const char *const name[] = { "data", "retransmission", "ack",
					    "window" };
	int step = kind == PT_ACK || kind == PT_WINDOW, first = 1;
	size_t i;

	fprintf(o, "<g class=\"%s\" stroke=\"%s\" fill=\"none\" "
		"stroke-width=\"%s\">\n", name[kind], color[kind],
		step ? "1" : "1.5");
	if (step)
		fputs("<path d=\"", o);
	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double x = X(f, (double)(q->t_ns - c->t_first) / 1e9);
		double y = Y(f, (double)track_pos(c, dir, q->a));

		if (q->conn != c->id || q->dir != dir || q->kind != kind)
			continue;
		if (!step) {
			fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\"/>\n", x, y, x,
				Y(f, (double)track_pos(c, dir, q->b)));
			continue;
		}
		if (first)
			fprintf(o, "M%.1f %.1f", x, y);
		else
			fprintf(o, " H%.1f V%.1f", x, y);
		first = 0;
	}
	if (step) {
		if (!first)
			fprintf(o, " H%.1f", X(f, f->t1));
		fputs("\"/>\n", o);
	}
	fputs("</g>\n", o);
}

static void legend(FILE *o)
{
	static const char *const items[][2] = {
		{ "#000", "data" }, { "#d00", "retransmission" },
		{ "#090", "cumulative ACK" }, { "#b80", "window edge" },
	};
	size_t i;

	fputs("<g font-family=\"sans-serif\" font-size=\"12\">\n", o);
	for (i = 0; i < 4; i++) {
		int x = ML + 10 + (int)i * 150;

		fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" "
			"fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
			x, MT - 14, items[i][0], x + 20, MT - 9, items[i][1]);
	}
	fputs("</g>\n", o);
}

static void draw(FILE *o, const struct plot *p, const struct track_conn *c,
		 int dir)
{
	char a[FRAME_ENDPOINT_STRLEN], b[FRAME_ENDPOINT_STRLEN];
	struct frame_box f = { 0, (double)(c->t_last - c->t_first) / 1e9,
			       0, 1 };
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double lo, hi;

		if (q->conn != c->id || q->dir != dir)
			continue;
		lo = (double)track_pos(c, dir, q->a);
		hi = (double)track_pos(c, dir, q->b);
		if (lo < f.y0)
			f.y0 = lo;
		if (hi > f.y1)
			f.y1 = hi;
	}
	if (f.t1 <= 0)
		f.t1 = 0.001;
	fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<title>rdt conn %u %s: %s to %s</title>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
		W, H, W, H, c->id, track_dir_name(dir),
		frame_endpoint_str(&c->ep[dir], a),
		frame_endpoint_str(&c->ep[!dir], b));
	fprintf(o, "<text x=\"%d\" y=\"16\" font-family=\"sans-serif\" "
		"font-size=\"14\">rdt conn %u %s: %s to %s</text>\n", ML, c->id,
		track_dir_name(dir), a, b);
	axes(o, &f);
	legend(o);
	layer(o, p, c, dir, PT_WINDOW, &f);
	layer(o, p, c, dir, PT_ACK, &f);
	layer(o, p, c, dir, PT_DATA, &f);
	layer(o, p, c, dir, PT_RETX, &f);
	fputs("</svg>\n", o);
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "conn", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct plot p = { 0 };
	struct track_hooks hooks = { &p, on_stream, on_ack, on_window };
	const struct track_conn *c;
	const char *out = NULL;
	uint16_t ports[MAX_PORTS];
	size_t nports = 0;
	uint64_t cid = 0;
	int have_cid = 0, ch, dir, status = 0;
	struct reader_stats rs;
	struct track t;
	char err[512];
	FILE *o;

	while ((ch = getopt_long(argc, argv, "+o:c:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
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
	track_init(&t, 0, &hooks);
	if (reader_run(argv[optind], ports, nports, track_dgram, &t, &rs,
		       err, sizeof(err)) < 0) {
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
	dir = c->d[DIR_S2C].st.stream_bytes > c->d[DIR_C2S].st.stream_bytes;
	o = out ? fopen(out, "w") : stdout;
	if (!o) {
		warnx_("%s: %m", out);
		status = EXIT_USAGE;
		goto out;
	}
	draw(o, &p, c, dir);
	ch = fflush(o) != 0 || ferror(o);
	if (out && fclose(o) != 0)
		ch = 1;
	if (ch) {
		warnx_("writing %s: %m", out ? out : "standard output");
		status = EXIT_USAGE;
	}
out:
	track_free(&t);
	free(p.v);
	return status;
}
