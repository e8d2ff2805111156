/*
 * progress.c: the --progress line on stderr.
 *
 * rcat_progress_start() decides once per connection whether to draw
 * (only when stderr is a terminal: a log file must not fill with
 * carriage returns) and how many bytes to expect (--size, else what is
 * left of a regular file on stdin).  The transfer loop and the final
 * drain call rcat_progress_tick(), which redraws every PROGRESS_PERIOD;
 * rcat_progress_end() draws the last state and ends the line.
 *
 * The line counts what the peer acknowledged (RDT_INFO bytes_acked), not
 * what we queued: bytes in our buffers are not yet anywhere.  A
 * connection that only receives shows the bytes received instead.  The
 * rate is measured over the last second or so (PROGRESS_WINDOW), so it
 * follows the link rather than the average since the start.
 */
#define _GNU_SOURCE

#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcat.h"

/* How often the line is redrawn, seconds: twice a second is well within
 * the "at least once a second" a watching operator expects. */
#define PROGRESS_PERIOD 0.5
/* The span, seconds, over which the current rate is measured. */
#define PROGRESS_WINDOW 1.0

static void format_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void rcat_progress_start(struct rcat_progress *p,
			 const struct rcat_options *o, double now)
{
	struct stat st;
	off_t pos;

	*p = (struct rcat_progress){ 0 };
	p->on = o->progress && isatty(STDERR_FILENO);
	p->total = o->size;
	p->sending = !o->no_stdin;
	if (!p->total && !o->no_stdin && fstat(STDIN_FILENO, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		pos = lseek(STDIN_FILENO, 0, SEEK_CUR);
		if (pos >= 0 && st.st_size > pos)
			p->total = (uint64_t)(st.st_size - pos);
	}
	p->next_t = now;
	p->hist_t[0] = now;
}

/* Acknowledged bytes, or received ones on a connection that only
 * receives. */
static uint64_t progress_done(const struct rcat_progress *p,
			      const struct rcat_session *s)
{
	uint64_t acked = s->have_info ? s->info.bytes_acked : 0;

	/* The end of stream may count as a byte; it is not data. */
	if (acked > s->bytes_sent)
		acked = s->bytes_sent;
	return p->sending ? acked : s->bytes_received;
}

static void progress_draw(struct rcat_progress *p, int sock,
			  struct rcat_session *s, double now)
{
	char done_s[32], total_s[32], tail[64] = "";
	double rate = 0, dt;
	uint64_t done;
	unsigned int i, oldest;

	rcat_fetch_info(sock, s);
	done = progress_done(p, s);
	/* The rate since the oldest sample no older than the window. */
	for (i = 0; i < p->n; i++)
		if (now - p->hist_t[i] <= PROGRESS_WINDOW + PROGRESS_PERIOD)
			break;
	oldest = i < p->n ? i : 0;
	if (p->n) {
		dt = now - p->hist_t[oldest];
		if (dt > 0 && done >= p->hist_b[oldest])
			rate = (double)(done - p->hist_b[oldest]) / dt;
	}
	if (p->n == sizeof(p->hist_t) / sizeof(p->hist_t[0])) {
		for (i = 1; i < p->n; i++) {
			p->hist_t[i - 1] = p->hist_t[i];
			p->hist_b[i - 1] = p->hist_b[i];
		}
		p->n--;
	}
	p->hist_t[p->n] = now;
	p->hist_b[p->n] = done;
	p->n++;

	format_bytes(done, done_s, sizeof(done_s));
	if (p->total) {
		double frac = done >= p->total ? 1.0 :
			      (double)done / (double)p->total;

		format_bytes(p->total, total_s, sizeof(total_s));
		if (done < p->total && rate > 0) {
			double left = (double)(p->total - done) / rate;

			snprintf(tail, sizeof(tail), ", ETA %d:%02d",
				 (int)(left / 60), (int)fmod(left, 60));
		}
		/* \033[K clears what a longer earlier line left behind. */
		fprintf(stderr, "\r%s %s of %s (%3.0f%%), %.2f Mbit/s%s\033[K",
			p->sending ? "acknowledged" : "received", done_s,
			total_s, 100.0 * frac, rate * 8 / 1e6, tail);
	} else {
		fprintf(stderr, "\r%s %s, %.2f Mbit/s\033[K",
			p->sending ? "acknowledged" : "received", done_s,
			rate * 8 / 1e6);
	}
	p->next_t = now + PROGRESS_PERIOD;
}

double rcat_progress_tick(struct rcat_progress *p, int sock,
			  struct rcat_session *s, double now)
{
	if (!p->on)
		return INFINITY;
	if (now >= p->next_t)
		progress_draw(p, sock, s, now);
	return p->next_t;
}

void rcat_progress_end(struct rcat_progress *p, int sock,
		       struct rcat_session *s, double now)
{
	if (!p->on)
		return;
	progress_draw(p, sock, s, now);
	fputc('\n', stderr);
	p->on = false;
}
