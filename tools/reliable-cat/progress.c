/*
 * progress.c: the --progress line on stderr.
 *
 * The transfer loop calls rcat_progress_draw() every PROGRESS_PERIOD
 * while stderr is a terminal, and once more at the end.
 */
#define _GNU_SOURCE

#include <math.h>
#include <stdio.h>

#include "rcat.h"
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

void rcat_progress_draw(struct rcat_progress *p,
			const struct rcat_session *s,
			const struct rcat_options *o, double now)
{
	uint64_t done = s->bytes_sent > s->bytes_received ?
			s->bytes_sent : s->bytes_received;
	double dt = now - p->last_t;
	double rate = dt > 0 ? (double)(done - p->last_bytes) / dt : 0;
	char sent[32], recvd[32], eta[32] = "";

	format_bytes(s->bytes_sent, sent, sizeof(sent));
	format_bytes(s->bytes_received, recvd, sizeof(recvd));
	if (o->size && rate > 0 && done < o->size) {
		double left = (double)(o->size - done) / rate;

		snprintf(eta, sizeof(eta), ", ETA %d:%02d",
			 (int)(left / 60), (int)fmod(left, 60));
	} else if (o->size) {
		snprintf(eta, sizeof(eta), ", %3.0f%%",
			 done >= o->size ? 100.0 :
			 100.0 * (double)done / (double)o->size);
	}
	/* \033[K clears what a longer earlier line left behind. */
	fprintf(stderr, "\rsent %s, received %s, %.1f Mbit/s%s\033[K",
		sent, recvd, rate * 8 / 1e6, eta);
	p->last_t = now;
	p->last_bytes = done;
}
