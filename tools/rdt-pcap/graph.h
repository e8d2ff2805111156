/*
 * graph.h: the events rdt-pcap plot records from a capture, and the
 * pictures it draws of them (graph.c), on a canvas (canvas.h).
 */
#ifndef RDT_PCAP_GRAPH_H
#define RDT_PCAP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "canvas.h"
#include "track.h"

/* The size of every picture, in pixels. */
#define GRAPH_W 1000
#define GRAPH_H 620

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

/*
 * graph_draw draws graph |po->graph| of direction |dir| of connection |c|
 * from the events in |p| on |cv|, which canvas_open made GRAPH_W by
 * GRAPH_H: the title, axes, legend and layers.
 */
void graph_draw(struct canvas *cv, const struct plot *p,
		const struct track_conn *c, int dir,
		const struct plot_opts *po);

#endif
