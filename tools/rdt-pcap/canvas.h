/*
 * canvas.h: the few drawing operations rdt-pcap plot needs, written once
 * and rendered by one of two backends: SVG text (always built) or a PNG
 * through cairo (when configure found it).  Coordinates are pixels from
 * the top left corner.
 *
 * Drawing happens in groups: canvas_group sets the colour and line width
 * of what follows until canvas_group_end, and in SVG names the group with
 * a class, so tests and stylesheets can find a layer.
 */
#ifndef RDT_PCAP_CANVAS_H
#define RDT_PCAP_CANVAS_H

#include <stdio.h>

enum canvas_format { CANVAS_SVG, CANVAS_PNG };

enum canvas_anchor { ANCHOR_START, ANCHOR_MIDDLE, ANCHOR_END };

struct canvas {
	enum canvas_format format;
	int w, h;
	FILE *f;		/* SVG: where the text goes */
	const char *path;	/* NULL: standard output */
	void *cr;		/* PNG: the cairo context */
	int in_path;
	unsigned nclip;		/* SVG: clip paths made, for their ids */
	int failed;
};

/* canvas_png_supported says whether this build can write PNG. */
int canvas_png_supported(void);

/*
 * canvas_open starts a |w| x |h| picture with a white background, to be
 * written to |path| (NULL: standard output) when closed.  |title| is the
 * SVG title.  Returns 0, or -1 with errno set (ENOTSUP: no PNG in this
 * build).
 */
int canvas_open(struct canvas *cv, enum canvas_format format,
		const char *path, int w, int h, const char *title);

/* canvas_close writes the picture and frees the canvas; 0 or -1 (errno). */
int canvas_close(struct canvas *cv);

/* |color| is "#rgb" or "#rrggbb"; |cls| a CSS class name. */
void canvas_group(struct canvas *cv, const char *cls, const char *color,
		  double width);
void canvas_group_end(struct canvas *cv);

/* Everything drawn until canvas_unclip stays inside the rectangle. */
void canvas_clip(struct canvas *cv, double x, double y, double w, double h);
void canvas_unclip(struct canvas *cv);

void canvas_line(struct canvas *cv, double x1, double y1, double x2,
		 double y2);
/* A filled rectangle in the group's colour. */
void canvas_rect(struct canvas *cv, double x, double y, double w, double h);
/* A polyline: canvas_move, then canvas_to for each further point. */
void canvas_move(struct canvas *cv, double x, double y);
void canvas_to(struct canvas *cv, double x, double y);
void canvas_stroke(struct canvas *cv);
/* Text at baseline point (x, y), rotated by |degrees| counterclockwise
 * when non-zero, in |color|. */
void canvas_text(struct canvas *cv, double x, double y,
		 enum canvas_anchor anchor, double size, double degrees,
		 const char *color, const char *text);

#endif
