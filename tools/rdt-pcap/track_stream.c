/*
 * track_stream.c: each direction's stream, for track.c.
 *
 * Map: track_stream_abs expands wire offsets (the first fixes the frame
 * of reference), track_stream_set_isn fixes position 0 from the
 * handshake, track_stream_raise_edge follows the receiver's window edge.
 * track_stream_on_stream takes a DATA's STREAM section: the window, FIN
 * and data-after-FIN checks, then compare_bytes (a retransmission equals
 * the first transmission) and keep_bytes (keep_room) to remember the new
 * bytes.
 *
 * Costs: a copy of up to TRACK_KEEP_BYTES stream bytes per direction and
 * up to SENT_MAX_RANGES (track.c) ranges of bytes seen.
 */
#include <inttypes.h>
#include <string.h>

#include "core/err.h"
#include "track_int.h"
#include "util.h"

/* --- streams -------------------------------------------------------- */

/* Expands a wire offset of stream |s|; the first one fixes the frame. */
uint64_t track_stream_abs(struct track_dir *s, uint32_t wire)
{
	uint64_t abs;

	if (!s->ref_known) {
		s->ref_known = 1;
		s->ref = LIFT + wire;
		return s->ref;
	}
	abs = rdt_seq32_expand(s->ref, wire);
	if (abs > s->ref)
		s->ref = abs;
	return abs;
}

void track_stream_set_isn(struct track_dir *s, uint32_t isn)
{
	if (s->isn_known)
		return;
	s->origin = track_stream_abs(s, isn);
	s->origin_known = s->isn_known = 1;
}

void track_stream_raise_edge(struct track *t, struct track_conn *c, int dir,
			     uint64_t edge, const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];

	if (s->edge_known && edge <= s->edge)
		return;
	s->edge_known = 1;
	s->edge = edge;
	s->edge_frame = d->frame;
	if (t->hooks.window)
		t->hooks.window(t->hooks.arg, c, dir, d->t_ns, edge);
}

/* Compares the bytes of [a, b) already seen with |data|; counts the
 * ones too old to compare. */
static void compare_bytes(struct track *t, struct track_conn *c, int dir,
			  uint64_t a, uint64_t b, const uint8_t *data,
			  const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];
	size_t i;

	for (i = 0; i < s->sent.n; i++) {
		uint64_t lo = s->sent.v[i].start, hi = s->sent.v[i].end, k;

		if (lo < a)
			lo = a;
		if (hi > b)
			hi = b;
		if (lo >= hi)
			continue;
		if (lo < s->buf_base) {
			uint64_t old = (hi < s->buf_base ? hi : s->buf_base);

			s->st.unverified_bytes += old - lo;
			lo = old;
		}
		if (hi > s->buf_base + s->buf_len)
			hi = s->buf_base + s->buf_len;
		for (k = lo; k < hi; k++) {
			if (s->buf[k - s->buf_base] == data[k - a])
				continue;
			track_violation_add(t, c, d, dir,
					    "retransmission-differs",
					    "retransmitted stream bytes %"
					    PRId64 "..%" PRId64 " differ from "
					    "their first transmission at "
					    "position %" PRId64,
					    track_pos(c, dir, a),
					    track_pos(c, dir, b),
					    track_pos(c, dir, k));
			return;
		}
	}
}

/* Makes the kept copy of the stream reach |end|, dropping old bytes
 * beyond TRACK_KEEP_BYTES. */
static void keep_room(struct track_dir *s, uint64_t end)
{
	size_t cap;

	if (end <= s->buf_base)
		return;		/* older than what is kept: nothing to store */
	if (end - s->buf_base > TRACK_KEEP_BYTES) {
		uint64_t base = end - TRACK_KEEP_BYTES / 2;
		uint64_t drop = base - s->buf_base;

		if (drop < s->buf_len) {
			memmove(s->buf, s->buf + drop, s->buf_len - drop);
			s->buf_len -= (size_t)drop;
		} else {
			s->buf_len = 0;
		}
		s->buf_base = base;
	}
	if (end - s->buf_base <= s->buf_cap)
		return;
	for (cap = s->buf_cap ? s->buf_cap : 65536; cap < end - s->buf_base;)
		cap *= 2;
	if (cap > TRACK_KEEP_BYTES)
		cap = TRACK_KEEP_BYTES;
	s->buf = xrealloc(s->buf, cap);
	s->buf_cap = cap;
}

/* Copies the bytes of [a, b) not seen before into the kept stream and
 * adds them to the seen set; returns how many were new. */
static uint64_t keep_bytes(struct track_dir *s, uint64_t a, uint64_t b,
			   const uint8_t *data)
{
	uint64_t from = a, gs, ge, fresh = 0;

	if (!s->buf)
		s->buf_base = a;
	keep_room(s, b);
	while (from < b && rdt_ranges_first_gap(&s->sent, from, b, &gs, &ge)) {
		uint64_t lo = gs > s->buf_base ? gs : s->buf_base;

		if (lo < ge) {
			memcpy(s->buf + (lo - s->buf_base), data + (lo - a),
			       (size_t)(ge - lo));
			if (ge - s->buf_base > s->buf_len)
				s->buf_len = (size_t)(ge - s->buf_base);
		}
		fresh += ge - gs;
		from = ge;
	}
	/* A full range set forgets the oldest hole: only old bytes lose
	 * their retransmission check. */
	while (rdt_ranges_add(&s->sent, a, b) == RDT_ERR_NOBUF)
		rdt_ranges_drop_lowest(&s->sent);
	return fresh;
}

void track_stream_on_stream(struct track *t, struct track_conn *c, int dir,
			    const struct rdt_dgram *d, struct pn_entry *e)
{
	const struct rdt_pkt *p = &d->pkt;
	struct track_dir *s = &c->d[dir];
	uint64_t a = track_stream_abs(s, p->offset), b = a + p->data_len;
	uint64_t fresh;

	if (!s->origin_known) {
		s->origin = a;
		s->origin_known = 1;
	}
	if (p->data_len && s->edge_known && b > s->edge)
		track_violation_add(t, c, d, dir, "beyond-window",
				    "stream bytes %" PRId64 "..%" PRId64
				    " reach beyond the receiver's window "
				    "edge %" PRId64 " (advertised in "
				    "packet #%" PRIu64 ")",
				    track_pos(c, dir, a), track_pos(c, dir, b),
				    track_pos(c, dir, s->edge), s->edge_frame);
	if (p->flags & RDT_PKT_F_FIN) {
		if (s->fin_seen && s->fin_pos != b)
			track_violation_add(t, c, d, dir, "fin-moved",
					    "FIN at position %" PRId64
					    ", but packet #%" PRIu64
					    " put it at %" PRId64,
					    track_pos(c, dir, b), s->fin_frame,
					    track_pos(c, dir, s->fin_pos));
		if (!s->fin_seen) {
			s->fin_seen = 1;
			s->fin_pos = b;
			s->fin_frame = d->frame;
		}
	} else if (s->fin_seen && b > s->fin_pos) {
		track_violation_add(t, c, d, dir, "data-after-fin",
				    "stream bytes up to position %" PRId64
				    " after the FIN at %" PRId64
				    " (packet #%" PRIu64 ")",
				    track_pos(c, dir, b),
				    track_pos(c, dir, s->fin_pos),
				    s->fin_frame);
	}
	if (!p->data_len)
		return;
	s->st.data_packets++;
	compare_bytes(t, c, dir, a, b, p->data, d);
	if (s->data_any && a > s->sent_high)
		s->st.holes++;
	fresh = keep_bytes(s, a, b, p->data);
	s->st.stream_bytes += fresh;
	if (fresh < p->data_len) {
		s->st.retx_packets++;
		s->st.retx_bytes += p->data_len - fresh;
		if (e)
			e->flags |= PN_F_RETX;
	}
	if (e) {
		e->sstart = a;
		e->send = b;
	}
	if (!s->data_any || b > s->sent_high)
		s->sent_high = b;
	s->data_any = 1;
	if (t->hooks.stream)
		t->hooks.stream(t->hooks.arg, c, dir, d->t_ns, a, b,
				fresh < p->data_len);
}
