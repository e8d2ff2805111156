/*
 * canvas.c: the drawing operations of canvas.h, as SVG text or, through
 * cairo, as PNG.
 *
 * Map: canvas_open / canvas_close bracket a picture; each operation
 * below writes its SVG element or makes its cairo calls.  SVG is
 * written as it goes; the PNG is written by canvas_close.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_CAIRO
#include <cairo.h>
#endif

#include "canvas.h"

int canvas_png_supported(void)
{
#ifdef HAVE_CAIRO
	return 1;
#else
	return 0;
#endif
}

static void svg_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

#ifdef HAVE_CAIRO
static void set_color(cairo_t *cr, const char *color)
{
	unsigned v = 0;
	size_t n = strlen(color);
	double r, g, b;

	if (color[0] == '#')
		v = (unsigned)strtoul(color + 1, NULL, 16);
	if (n == 4) {
		r = ((v >> 8) & 0xf) / 15.0;
		g = ((v >> 4) & 0xf) / 15.0;
		b = (v & 0xf) / 15.0;
	} else {
		r = ((v >> 16) & 0xff) / 255.0;
		g = ((v >> 8) & 0xff) / 255.0;
		b = (v & 0xff) / 255.0;
	}
	cairo_set_source_rgb(cr, r, g, b);
}
#endif

int canvas_open(struct canvas *cv, enum canvas_format format,
		const char *path, int w, int h, const char *title)
{
	memset(cv, 0, sizeof(*cv));
	cv->format = format;
	cv->w = w;
	cv->h = h;
	cv->path = path;
	if (format == CANVAS_PNG) {
#ifdef HAVE_CAIRO
		cairo_surface_t *s = cairo_image_surface_create(
			CAIRO_FORMAT_RGB24, w, h);
		cairo_t *cr = cairo_create(s);

		cairo_surface_destroy(s);	/* the context holds it */
		if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
			cairo_destroy(cr);
			errno = ENOMEM;
			return -1;
		}
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
		cairo_select_font_face(cr, "sans-serif",
				       CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
		cv->cr = cr;
		return 0;
#else
		errno = ENOTSUP;
		return -1;
#endif
	}
	cv->f = path ? fopen(path, "w") : stdout;
	if (!cv->f)
		return -1;
	fprintf(cv->f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>", w, h, w, h);
	svg_escaped(cv->f, title);
	fputs("</title>\n<rect width=\"100%\" height=\"100%\" "
	      "fill=\"#fff\"/>\n", cv->f);
	return 0;
}

int canvas_close(struct canvas *cv)
{
	int bad = 0;

	if (cv->format == CANVAS_PNG) {
#ifdef HAVE_CAIRO
		cairo_t *cr = cv->cr;
		cairo_surface_t *s = cairo_get_target(cr);

		cairo_surface_flush(s);
		errno = 0;
		if (cv->path) {
			bad = cairo_surface_write_to_png(s, cv->path) !=
			      CAIRO_STATUS_SUCCESS;
		} else {
			errno = EINVAL;	/* PNG needs a file: -o */
			bad = 1;
		}
		/* cairo reports no errno of its own for a failed write. */
		if (bad && errno == 0)
			errno = EIO;
		cairo_destroy(cr);
#endif
		return bad ? -1 : 0;
	}
	fputs("</svg>\n", cv->f);
	bad = fflush(cv->f) != 0 || ferror(cv->f);
	if (cv->path && fclose(cv->f) != 0)
		bad = 1;
	return bad ? -1 : 0;
}

void canvas_group(struct canvas *cv, const char *cls, const char *color,
		  double width)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		set_color(cv->cr, color);
		cairo_set_line_width(cv->cr, width);
		return;
	}
#endif
	fprintf(cv->f, "<g class=\"%s\" stroke=\"%s\" fill=\"%s\" "
		"stroke-width=\"%g\">\n", cls, color, color, width);
}

void canvas_group_end(struct canvas *cv)
{
	if (cv->f)
		fputs("</g>\n", cv->f);
}

void canvas_clip(struct canvas *cv, double x, double y, double w, double h)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_save(cv->cr);
		cairo_rectangle(cv->cr, x, y, w, h);
		cairo_clip(cv->cr);
		return;
	}
#endif
	cv->nclip++;
	fprintf(cv->f, "<clipPath id=\"clip%u\"><rect x=\"%.1f\" y=\"%.1f\" "
		"width=\"%.1f\" height=\"%.1f\"/></clipPath>\n<g clip-path="
		"\"url(#clip%u)\">\n", cv->nclip, x, y, w, h, cv->nclip);
}

void canvas_unclip(struct canvas *cv)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_restore(cv->cr);
		return;
	}
#endif
	fputs("</g>\n", cv->f);
}

void canvas_line(struct canvas *cv, double x1, double y1, double x2,
		 double y2)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_move_to(cv->cr, x1, y1);
		cairo_line_to(cv->cr, x2, y2);
		cairo_stroke(cv->cr);
		return;
	}
#endif
	fprintf(cv->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		"y2=\"%.1f\"/>\n", x1, y1, x2, y2);
}

void canvas_rect(struct canvas *cv, double x, double y, double w, double h)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_rectangle(cv->cr, x, y, w, h);
		cairo_fill(cv->cr);
		return;
	}
#endif
	fprintf(cv->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" stroke=\"none\"/>\n", x, y, w, h);
}

void canvas_move(struct canvas *cv, double x, double y)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_move_to(cv->cr, x, y);
		cv->in_path = 1;
		return;
	}
#endif
	fprintf(cv->f, "%s<path d=\"M%.1f %.1f",
		cv->in_path ? "\" fill=\"none\"/>\n" : "", x, y);
	cv->in_path = 1;
}

void canvas_to(struct canvas *cv, double x, double y)
{
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_line_to(cv->cr, x, y);
		return;
	}
#endif
	fprintf(cv->f, " L%.1f %.1f", x, y);
}

void canvas_stroke(struct canvas *cv)
{
	if (!cv->in_path)
		return;
	cv->in_path = 0;
#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_stroke(cv->cr);
		return;
	}
#endif
	fputs("\" fill=\"none\"/>\n", cv->f);
}

void canvas_text(struct canvas *cv, double x, double y,
		 enum canvas_anchor anchor, double size, double degrees,
		 const char *color, const char *text)
{
	static const char *const anchors[] = { "start", "middle", "end" };

#ifdef HAVE_CAIRO
	if (cv->cr) {
		cairo_t *cr = cv->cr;
		cairo_text_extents_t e;

		cairo_save(cr);
		set_color(cr, color);
		cairo_set_font_size(cr, size);
		cairo_text_extents(cr, text, &e);
		cairo_translate(cr, x, y);
		if (degrees != 0)
			cairo_rotate(cr, -degrees * 3.14159265358979 / 180);
		cairo_move_to(cr, anchor == ANCHOR_START ? 0 :
			      anchor == ANCHOR_MIDDLE ? -e.x_advance / 2 :
			      -e.x_advance, 0);
		cairo_show_text(cr, text);
		cairo_restore(cr);
		return;
	}
#endif
	fprintf(cv->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
		"font-family=\"sans-serif\" font-size=\"%g\" fill=\"%s\" "
		"stroke=\"none\"", x, y, anchors[anchor], size, color);
	if (degrees != 0)
		fprintf(cv->f, " transform=\"rotate(%g %.1f %.1f)\"", -degrees,
			x, y);
	fputc('>', cv->f);
	svg_escaped(cv->f, text);
	fputs("</text>\n", cv->f);
}
