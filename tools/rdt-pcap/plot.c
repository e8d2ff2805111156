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
 * one draw_* per graph lays out a frame (struct frame_box, from the
 * events in the time range) and draws axes, legend and layers.
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
#include "track.h"
#include "util.h"

const char plot_usage[] =
"Usage: rdt-pcap plot [-o OUT.svg|OUT.png] [-g GRAPH] [-t FROM:TO]\n"
"                     [-y FROM:TO] [--no-window] [--dir c2s|s2c]\n"
"                     [--conn CID] [-p PORT]... FILE\n"
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

/* The smallest stroke drawn, in pixels: a 1400-byte datagram in a 64 MiB
 * transfer is a thousandth of a pixel high. */
#define MIN_STROKE 1.0
/* Side of the square marking a retransmission or an RTT sample. */
#define MARK 5.0

enum pt_kind { PT_DATA, PT_RETX, PT_ACK, PT_WINDOW, PT_SACK, PT_RTT };

struct pt {
	int64_t t_ns;
	uint64_t a, b;		/* abs stream positions; the RTT in ns */
	unsigned conn;
	uint8_t dir;
	uint8_t kind;
};

struct plot {
	struct pt *v;
	size_t n, cap;
	int truncated;
};

enum graph { GRAPH_SEQ, GRAPH_THROUGHPUT, GRAPH_RTT, GRAPH_WINDOW };

struct plot_opts {
	enum graph graph;
	int have_t0, have_t1, have_y0, have_y1;
	double t0, t1, y0, y1;
	double bin;
	int no_window;
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

/* --- frame and axes ------------------------------------------------- */

struct frame_box {
	double t0, t1, y0, y1;
};

/* A round step (1, 2 or 5 times a power of ten) giving about 6 ticks. */
static double tick_step(double span)
{
	double raw = span / 6, p = pow(10, floor(log10(raw)));

	if (raw / p >= 5)
		return 5 * p;
	return raw / p >= 2 ? 2 * p : p;
}

static double X(const struct frame_box *f, double t)
{
	return ML + (t - f->t0) / (f->t1 - f->t0) * (W - ML - MR);
}

static double Y(const struct frame_box *f, double y)
{
	return H - MB - (y - f->y0) / (f->y1 - f->y0) * (H - MT - MB);
}

/* Keeps a degenerate range drawable, then applies the user's limits. */
static void settle_frame(struct frame_box *f, const struct plot_opts *po,
			 int y_user)
{
	if (y_user && po->have_y0)
		f->y0 = po->y0;
	if (y_user && po->have_y1)
		f->y1 = po->y1;
	if (f->t1 <= f->t0)
		f->t1 = f->t0 + 0.001;
	if (f->y1 <= f->y0)
		f->y1 = f->y0 + 1;
}

static void axes(struct canvas *cv, const struct frame_box *f,
		 const char *ylabel)
{
	char s[64];
	double step, v;

	canvas_group(cv, "axes", "#888", 1);
	canvas_line(cv, ML, H - MB, W - MR, H - MB);
	canvas_line(cv, ML, MT, ML, H - MB);
	canvas_group_end(cv);
	step = tick_step(f->t1 - f->t0);
	for (v = ceil(f->t0 / step) * step; v <= f->t1 + step / 1e6;
	     v += step) {
		snprintf(s, sizeof(s), "%g", fabs(v) < step / 1e6 ? 0 : v);
		canvas_text(cv, X(f, v), H - MB + 18, ANCHOR_MIDDLE, 12, 0,
			    "#333", s);
	}
	step = tick_step(f->y1 - f->y0);
	for (v = ceil(f->y0 / step) * step; v <= f->y1 + step / 1e6;
	     v += step) {
		snprintf(s, sizeof(s), step >= 1 ? "%.0f" : "%g", v);
		canvas_text(cv, ML - 6, Y(f, v) + 4, ANCHOR_END, 12, 0,
			    "#333", s);
	}
	canvas_text(cv, (ML + W - MR) / 2.0, H - 15, ANCHOR_MIDDLE, 12, 0,
		    "#333", "time (s)");
	canvas_text(cv, 20, (MT + H - MB) / 2.0, ANCHOR_MIDDLE, 12, 90,
		    "#333", ylabel);
}

struct legend_item {
	const char *color;
	const char *text;
};

static void legend(struct canvas *cv, const struct legend_item *items,
		   size_t n)
{
	size_t i;
	double x = ML + 10;

	for (i = 0; i < n; i++) {
		canvas_group(cv, "legend", items[i].color, 1);
		canvas_rect(cv, x, MT - 14, 14, 4);
		canvas_group_end(cv);
		canvas_text(cv, x + 20, MT - 9, ANCHOR_START, 12, 0, "#000",
			    items[i].text);
		x += 40 + 7.0 * (double)strlen(items[i].text);
	}
}

static void begin_plot_area(struct canvas *cv)
{
	canvas_clip(cv, ML, MT, W - ML - MR, H - MT - MB);
}

static double secs(const struct track_conn *c, int64_t t_ns)
{
	return (double)(t_ns - c->t_first) / 1e9;
}

static int mine(const struct pt *q, const struct track_conn *c, int dir)
{
	return q->conn == c->id && q->dir == dir;
}

/* The time range: the whole connection unless the user chose. */
static void time_range(struct frame_box *f, const struct track_conn *c,
		       const struct plot_opts *po)
{
	f->t0 = po->have_t0 ? po->t0 : 0;
	f->t1 = po->have_t1 ? po->t1 : secs(c, c->t_last);
}

/* --- seq: the time-sequence graph ------------------------------------ */

static size_t count_kind(const struct plot *p, const struct track_conn *c,
			 int dir, enum pt_kind kind, const struct frame_box *f)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double t = secs(c, q->t_ns);

		n += mine(q, c, dir) && q->kind == kind && t >= f->t0 &&
		     t <= f->t1;
	}
	return n;
}

/* The strokes of |kind|: each datagram's bytes, at least MIN_STROKE
 * high, and a marker beside each when |marked|. */
static void strokes(struct canvas *cv, const struct plot *p,
		    const struct track_conn *c, int dir, enum pt_kind kind,
		    const struct frame_box *f, int marked)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double x, ya, yb;

		if (!mine(q, c, dir) || q->kind != kind)
			continue;
		x = X(f, secs(c, q->t_ns));
		ya = Y(f, (double)track_pos(c, dir, q->a));
		yb = Y(f, (double)track_pos(c, dir, q->b));
		if (ya - yb < MIN_STROKE)
			yb = ya - MIN_STROKE;
		canvas_line(cv, x, ya, x, yb);
		if (marked)
			canvas_rect(cv, x - MARK / 2, (ya + yb - MARK) / 2,
				    MARK, MARK);
	}
}

/* A step line through the points of |kind|, on to the right edge. */
static void steps(struct canvas *cv, const struct plot *p,
		  const struct track_conn *c, int dir, enum pt_kind kind,
		  const struct frame_box *f)
{
	double y = 0;
	int first = 1;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double x;

		if (!mine(q, c, dir) || q->kind != kind)
			continue;
		x = X(f, secs(c, q->t_ns));
		if (first) {
			canvas_move(cv, x, Y(f, (double)track_pos(c, dir,
								  q->a)));
		} else {
			/* The old value holds until this event. */
			canvas_to(cv, x, y);
		}
		y = Y(f, (double)track_pos(c, dir, q->a));
		canvas_to(cv, x, y);
		first = 0;
	}
	if (!first) {
		canvas_to(cv, X(f, f->t1), y);
		canvas_stroke(cv);
	}
}

static void draw_seq(struct canvas *cv, const struct plot *p,
		     const struct track_conn *c, int dir,
		     const struct plot_opts *po)
{
	static char texts[4][48];
	struct legend_item items[5];
	struct frame_box f;
	size_t i, n = 0;
	int any = 0;

	time_range(&f, c, po);
	f.y0 = 0;
	f.y1 = 1;
	/* The scale follows what was sent and acknowledged in the time
	 * range: the window edge runs far above it and would flatten the
	 * retransmissions into the floor. */
	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double t = secs(c, q->t_ns), lo, hi;

		if (!mine(q, c, dir) || q->kind == PT_WINDOW ||
		    q->kind == PT_RTT || t < f.t0 || t > f.t1)
			continue;
		lo = (double)track_pos(c, dir, q->a);
		hi = (double)track_pos(c, dir, q->b);
		if (!any || lo < f.y0)
			f.y0 = lo;
		if (!any || hi > f.y1)
			f.y1 = hi;
		any = 1;
	}
	settle_frame(&f, po, 1);
	axes(cv, &f, "stream position (bytes)");

	items[n++] = (struct legend_item){ "#000", "data" };
	snprintf(texts[0], sizeof(texts[0]), "retransmission (%zu)",
		 count_kind(p, c, dir, PT_RETX, &f));
	items[n++] = (struct legend_item){ "#d00", texts[0] };
	snprintf(texts[1], sizeof(texts[1]), "SACKed (%zu)",
		 count_kind(p, c, dir, PT_SACK, &f));
	items[n++] = (struct legend_item){ "#06c", texts[1] };
	items[n++] = (struct legend_item){ "#090", "cumulative ACK" };
	if (!po->no_window)
		items[n++] = (struct legend_item){ "#b80", "window edge" };
	legend(cv, items, n);

	begin_plot_area(cv);
	if (!po->no_window) {
		canvas_group(cv, "window", "#b80", 1);
		steps(cv, p, c, dir, PT_WINDOW, &f);
		canvas_group_end(cv);
	}
	canvas_group(cv, "ack", "#090", 1);
	steps(cv, p, c, dir, PT_ACK, &f);
	canvas_group_end(cv);
	canvas_group(cv, "sack", "#06c", 2);
	strokes(cv, p, c, dir, PT_SACK, &f, 0);
	canvas_group_end(cv);
	canvas_group(cv, "data", "#000", 1.5);
	strokes(cv, p, c, dir, PT_DATA, &f, 0);
	canvas_group_end(cv);
	canvas_group(cv, "retransmission", "#d00", 2);
	strokes(cv, p, c, dir, PT_RETX, &f, 1);
	canvas_group_end(cv);
	canvas_unclip(cv);
}

/* --- throughput ------------------------------------------------------ */

enum { TP_SENT, TP_RETX, TP_ACKED, TP_N };

static void draw_throughput(struct canvas *cv, const struct plot *p,
			    const struct track_conn *c, int dir,
			    const struct plot_opts *po)
{
	static const char *const cls[TP_N] = { "sent", "retransmitted",
					       "acked" };
	static const char *const color[TP_N] = { "#000", "#d00", "#090" };
	struct legend_item items[TP_N];
	struct frame_box f;
	double bin, *mbps[TP_N];
	uint64_t last_cum = 0;
	int have_cum = 0, k;
	size_t nbins, i, j;

	time_range(&f, c, po);
	f.y0 = 0;
	f.y1 = 1;
	settle_frame(&f, po, 0);
	bin = po->bin > 0 ? po->bin : (f.t1 - f.t0) / 100;
	nbins = (size_t)ceil((f.t1 - f.t0) / bin);
	if (nbins < 1)
		nbins = 1;
	for (k = 0; k < TP_N; k++)
		mbps[k] = xcalloc(nbins, sizeof(double));
	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double t = secs(c, q->t_ns), bytes = 0;

		if (!mine(q, c, dir))
			continue;
		k = q->kind == PT_DATA ? TP_SENT : q->kind == PT_RETX ?
		    TP_RETX : q->kind == PT_ACK ? TP_ACKED : -1;
		if (k < 0)
			continue;
		if (k == TP_ACKED) {
			/* The first cum only sets where counting starts. */
			bytes = have_cum ? (double)(q->a - last_cum) : 0;
			last_cum = q->a;
			have_cum = 1;
		} else {
			bytes = (double)(q->b - q->a);
		}
		if (t < f.t0 || t >= f.t0 + (double)nbins * bin)
			continue;
		j = (size_t)((t - f.t0) / bin);
		mbps[k][j] += bytes * 8 / bin / 1e6;
		/* Retransmitted bytes are sent bytes too. */
		if (k == TP_RETX)
			mbps[TP_SENT][j] += bytes * 8 / bin / 1e6;
	}
	f.y0 = 0;
	f.y1 = 0;
	for (k = 0; k < TP_N; k++)
		for (j = 0; j < nbins; j++)
			if (mbps[k][j] > f.y1)
				f.y1 = mbps[k][j];
	f.y1 *= 1.05;
	settle_frame(&f, po, 1);
	axes(cv, &f, "Mbit/s");
	items[0] = (struct legend_item){ color[0], "sent" };
	items[1] = (struct legend_item){ color[1], "retransmitted" };
	items[2] = (struct legend_item){ color[2], "acknowledged (goodput)" };
	legend(cv, items, TP_N);
	begin_plot_area(cv);
	for (k = 0; k < TP_N; k++) {
		canvas_group(cv, cls[k], color[k], k == TP_ACKED ? 2 : 1.5);
		for (j = 0; j < nbins; j++) {
			double x0 = X(&f, f.t0 + (double)j * bin);
			double x1 = X(&f, f.t0 + (double)(j + 1) * bin);

			if (j == 0)
				canvas_move(cv, x0, Y(&f, mbps[k][j]));
			else
				canvas_to(cv, x0, Y(&f, mbps[k][j]));
			canvas_to(cv, x1, Y(&f, mbps[k][j]));
		}
		canvas_stroke(cv);
		canvas_group_end(cv);
		free(mbps[k]);
	}
	canvas_unclip(cv);
}

/* --- rtt ------------------------------------------------------------ */

static void draw_rtt(struct canvas *cv, const struct plot *p,
		     const struct track_conn *c, int dir,
		     const struct plot_opts *po)
{
	static const struct legend_item items[] = {
		{ "#06c", "RTT sample (ACK delay deducted)" },
	};
	struct frame_box f;
	size_t i;

	time_range(&f, c, po);
	f.y0 = 0;
	f.y1 = 0;
	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double t = secs(c, q->t_ns), ms = (double)q->a / 1e6;

		if (mine(q, c, dir) && q->kind == PT_RTT && t >= f.t0 &&
		    t <= f.t1 && ms > f.y1)
			f.y1 = ms;
	}
	f.y1 *= 1.05;
	settle_frame(&f, po, 1);
	axes(cv, &f, "RTT (ms)");
	legend(cv, items, 1);
	begin_plot_area(cv);
	canvas_group(cv, "rtt", "#06c", 1);
	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];

		if (!mine(q, c, dir) || q->kind != PT_RTT)
			continue;
		canvas_rect(cv, X(&f, secs(c, q->t_ns)) - MARK / 2,
			    Y(&f, (double)q->a / 1e6) - MARK / 2, MARK, MARK);
	}
	canvas_group_end(cv);
	canvas_unclip(cv);
}

/* --- window ---------------------------------------------------------- */

/* The window left and the bytes in flight after each event that moves
 * them, as step lines; |draw| 0 only measures the largest value. */
static double window_lines(struct canvas *cv, const struct plot *p,
			   const struct track_conn *c, int dir,
			   const struct frame_box *f, int which, int draw)
{
	uint64_t cum = 0, edge = 0, high = 0;
	int have_cum = 0, have_edge = 0, have_high = 0, first = 1;
	double max = 0, v = 0, prev = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct pt *q = &p->v[i];
		double t = secs(c, q->t_ns);

		if (!mine(q, c, dir))
			continue;
		switch (q->kind) {
		case PT_ACK:
			cum = q->a;
			have_cum = 1;
			break;
		case PT_WINDOW:
			edge = q->a;
			have_edge = 1;
			break;
		case PT_DATA:
		case PT_RETX:
			if (!have_high || q->b > high)
				high = q->b;
			have_high = 1;
			break;
		default:
			continue;
		}
		if (!have_cum || (which == 0 ? !have_edge : !have_high))
			continue;
		v = which == 0 ? (edge > cum ? (double)(edge - cum) : 0) :
		    (high > cum ? (double)(high - cum) : 0);
		if (t >= f->t0 && t <= f->t1 && v > max)
			max = v;
		if (!draw)
			continue;
		if (first)
			canvas_move(cv, X(f, t), Y(f, v));
		else
			canvas_to(cv, X(f, t), Y(f, prev));
		canvas_to(cv, X(f, t), Y(f, v));
		prev = v;
		first = 0;
	}
	if (draw && !first) {
		canvas_to(cv, X(f, f->t1), Y(f, v));
		canvas_stroke(cv);
	}
	return max;
}

static void draw_window(struct canvas *cv, const struct plot *p,
			const struct track_conn *c, int dir,
			const struct plot_opts *po)
{
	static const struct legend_item items[] = {
		{ "#b80", "receive window left (edge - cumulative ACK)" },
		{ "#000", "in flight (highest sent - cumulative ACK)" },
	};
	struct frame_box f;
	double a, b;

	time_range(&f, c, po);
	f.y0 = 0;
	a = window_lines(cv, p, c, dir, &f, 0, 0);
	b = window_lines(cv, p, c, dir, &f, 1, 0);
	f.y1 = (a > b ? a : b) * 1.05;
	settle_frame(&f, po, 1);
	axes(cv, &f, "bytes");
	legend(cv, items, 2);
	begin_plot_area(cv);
	canvas_group(cv, "window", "#b80", 1.5);
	window_lines(cv, p, c, dir, &f, 0, 1);
	canvas_group_end(cv);
	canvas_group(cv, "inflight", "#000", 1);
	window_lines(cv, p, c, dir, &f, 1, 1);
	canvas_group_end(cv);
	canvas_unclip(cv);
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

enum { OPT_NO_WINDOW = 256 };

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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
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
	int have_cid = 0, ch, dir = -1, status = 0;
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
	if (dir < 0)
		dir = c->d[DIR_S2C].st.stream_bytes >
		      c->d[DIR_C2S].st.stream_bytes;
	snprintf(title, sizeof(title), "rdt conn %u %s: %s to %s", c->id,
		 track_dir_name(dir), frame_endpoint_str(&c->ep[dir], a),
		 frame_endpoint_str(&c->ep[!dir], b));
	if (canvas_open(&cv, fmt, out, W, H, title) < 0) {
		warnx_("%s: %m", out ? out : "standard output");
		status = EXIT_USAGE;
		goto out;
	}
	canvas_text(&cv, ML, 16, ANCHOR_START, 14, 0, "#000", title);
	switch (po.graph) {
	case GRAPH_SEQ:
		draw_seq(&cv, &p, c, dir, &po);
		break;
	case GRAPH_THROUGHPUT:
		draw_throughput(&cv, &p, c, dir, &po);
		break;
	case GRAPH_RTT:
		draw_rtt(&cv, &p, c, dir, &po);
		break;
	case GRAPH_WINDOW:
		draw_window(&cv, &p, c, dir, &po);
		break;
	}
	if (canvas_close(&cv) < 0) {
		warnx_("writing %s: %m", out ? out : "standard output");
		status = EXIT_USAGE;
	}
out:
	track_free(&t);
	free(p.v);
	return status;
}
