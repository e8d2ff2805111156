/*
 * graph.c: the pictures of "rdt-pcap plot" (see plot.c for what each
 * shows), drawn from the recorded events on a canvas.
 *
 * Map: graph_draw calls one draw_* per graph; each lays out a frame
 * (struct frame_box, from the events in the time range, never from the
 * window edge in seq), then draws axes, legend and the layers, clipped to
 * the plot area.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "util.h"

#define W GRAPH_W
#define H GRAPH_H
#define ML 90		/* margins: room for the axis labels */
#define MR 20
#define MT 40
#define MB 60

/* The smallest stroke drawn, in pixels: a 1400-byte datagram in a 64 MiB
 * transfer is a thousandth of a pixel high. */
#define MIN_STROKE 1.0
/* Side of the square marking a retransmission or an RTT sample. */
#define MARK 5.0

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
		/* A short stroke at the very top (a retransmitted FIN) grows
		 * downward, so it stays inside the plot area. */
		if (yb < MT && ya >= MT) {
			yb = MT;
			ya = yb + MIN_STROKE;
		}
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

void graph_draw(struct canvas *cv, const struct plot *p,
		const struct track_conn *c, int dir,
		const struct plot_opts *po)
{
	char a[FRAME_ENDPOINT_STRLEN], b[FRAME_ENDPOINT_STRLEN];
	char title[256];

	snprintf(title, sizeof(title), "rdt conn %u %s: %s to %s", c->id,
		 track_dir_name(dir), frame_endpoint_str(&c->ep[dir], a),
		 frame_endpoint_str(&c->ep[!dir], b));
	canvas_text(cv, ML, 16, ANCHOR_START, 14, 0, "#000", title);
	switch (po->graph) {
	case GRAPH_SEQ:
		draw_seq(cv, p, c, dir, po);
		break;
	case GRAPH_THROUGHPUT:
		draw_throughput(cv, p, c, dir, po);
		break;
	case GRAPH_RTT:
		draw_rtt(cv, p, c, dir, po);
		break;
	case GRAPH_WINDOW:
		draw_window(cv, p, c, dir, po);
		break;
	}
}
