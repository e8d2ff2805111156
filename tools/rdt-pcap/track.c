/*
 * track.c: connection tracking and the invariants listed in track.h.
 *
 * Map: track_dgram sorts out bad datagrams (bad_dgram), finds or creates
 * the connection and direction (by type: on_init, on_accept, find_conn),
 * records the packet number (record_pn: duplicates and reuse), then looks
 * at the content: the handshake fields, and for DATA the window edge and
 * ACK section about the opposite direction (on_edge, on_ack, ack_pns)
 * before the STREAM section of its own (on_stream, compare_bytes,
 * keep_bytes).  track_finish walks the packet tables once more for
 * spurious retransmissions and settles how each connection ended.
 *
 * Costs: a packet-number table and a copy of up to TRACK_KEEP_BYTES
 * stream bytes per direction; an ACK walks only the packet numbers it
 * newly covers above the lowest unacknowledged one.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/seq.h"
#include "track.h"
#include "util.h"

/* Every abs value is lifted by one 32-bit window (see track.h). */
#define LIFT RDT_SEQ32_WIN
/* Entries kept below the first packet number seen, for reordering. */
#define PN_SLACK 1024
#define PN_MIN_CAP 4096
/* Ranges of stream bytes seen, per direction: holes in the capture. */
#define SENT_MAX_RANGES 4096

/* The packet was seen (entries for numbers never seen exist too). */
#define PN_F_SEEN 0x01
/* An ACK named it. */
#define PN_F_ACKED 0x02
/* It carried stream bytes seen before. */
#define PN_F_RETX 0x04

struct pn_entry {
	uint64_t hash;		/* FNV-1a of the datagram: duplicate or reuse */
	uint64_t frame;		/* where it was first seen */
	int64_t t_ns;
	uint64_t sstart;	/* abs stream bytes it carried, [sstart, send) */
	uint64_t send;
	uint32_t len;
	uint8_t flags;
};

static const char *const dir_names[] = { "c2s", "s2c" };

const char *track_dir_name(int dir)
{
	return dir == DIR_C2S || dir == DIR_S2C ? dir_names[dir] : "-";
}

const char *track_close_name(enum track_close close)
{
	switch (close) {
	case CLOSE_OPEN:
		return "open";
	case CLOSE_HALF:
		return "half-closed";
	case CLOSE_FIN:
		return "closed";
	case CLOSE_RESET:
		return "reset";
	case CLOSE_REFUSED:
		return "refused";
	}
	return "?";
}

int64_t track_pos(const struct track_conn *c, int dir, uint64_t abs)
{
	const struct track_dir *s = &c->d[dir];

	return (int64_t)(abs - (s->origin_known ? s->origin : s->ref));
}

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

void track_init(struct track *t, int strict_crc,
		const struct track_hooks *hooks)
{
	memset(t, 0, sizeof(*t));
	t->strict_crc = strict_crc;
	if (hooks)
		t->hooks = *hooks;
	map_init(&t->cids, sizeof(uint64_t), TRACK_MAX_CONNS * 2);
	map_init(&t->flows, sizeof(struct flow_key), TRACK_MAX_CONNS);
}

void track_free(struct track *t)
{
	size_t i;
	int k;

	for (i = 0; i < t->nconns; i++) {
		for (k = 0; k < 2; k++) {
			free(t->conns[i]->d[k].pns);
			free(t->conns[i]->d[k].buf);
			rdt_ranges_free(&t->conns[i]->d[k].sent);
		}
		free(t->conns[i]);
	}
	free(t->conns);
	free(t->viol);
	free(t->corrupt);
	map_free(&t->cids);
	map_free(&t->flows);
}

/* Records a violation: |c| and |dir| may be NULL and -1, |pn| < 0 if the
 * datagram has none worth naming. */
static void violation(struct track *t, const struct track_conn *c,
		      const struct rdt_dgram *d, int dir, const char *kind,
		      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void violation(struct track *t, const struct track_conn *c,
		      const struct rdt_dgram *d, int dir, const char *kind,
		      const char *fmt, ...)
{
	struct track_violation *v;
	va_list ap;

	t->violations++;
	if (t->nviol == TRACK_MAX_VIOLATIONS)
		return;
	if (!t->viol)
		t->viol = xcalloc(TRACK_MAX_VIOLATIONS, sizeof(*t->viol));
	v = &t->viol[t->nviol++];
	v->conn = c ? c->id : 0;
	v->frame = d->frame;
	v->dir = dir;
	v->has_pn = d->status == 0;
	v->pn = d->pkt.pn;
	v->kind = kind;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
}

/* --- connections ---------------------------------------------------- */

static struct track_conn *conn_new(struct track *t,
				   const struct rdt_dgram *d, int midstream)
{
	struct track_conn *c;
	int k;

	if (t->nconns == TRACK_MAX_CONNS) {
		t->untracked++;
		return NULL;
	}
	if (t->nconns == t->conns_cap) {
		t->conns_cap = t->conns_cap ? t->conns_cap * 2 : 16;
		t->conns = xrealloc(t->conns,
				    t->conns_cap * sizeof(*t->conns));
	}
	c = xcalloc(1, sizeof(*c));
	c->id = (unsigned)t->nconns + 1;
	c->ep[DIR_C2S] = d->src;
	c->ep[DIR_S2C] = d->dst;
	c->midstream = midstream;
	c->t_first = d->t_ns;
	c->frame_first = d->frame;
	for (k = 0; k < 2; k++)
		rdt_ranges_init(&c->d[k].sent, SENT_MAX_RANGES,
				rdt_mem_default());
	t->conns[t->nconns++] = c;
	return c;
}

static struct track_conn *conn_by_cid(struct track *t, uint64_t cid)
{
	size_t i;

	if (cid == 0)
		return NULL;
	i = map_get(&t->cids, &cid);
	return i == SIZE_MAX ? NULL : t->conns[i];
}

static void set_cid(struct track *t, struct track_conn *c, int dir,
		    uint64_t cid)
{
	c->cid[dir] = cid;
	/* Full means TRACK_MAX_CONNS connections: later ones go untracked. */
	(void)map_put(&t->cids, &cid, c->id - 1);
}

static struct track_conn *conn_by_flow(struct track *t,
				       const struct rdt_dgram *d)
{
	struct flow_key k;
	size_t i;

	flow_key_make(&k, &d->src, &d->dst);
	i = map_get(&t->flows, &k);
	return i == SIZE_MAX ? NULL : t->conns[i];
}

/* Which direction of |c| the datagram |d| travels, by its addresses. */
static int flow_dir(const struct track_conn *c, const struct rdt_dgram *d)
{
	if (!c)
		return -1;
	if (endpoint_eq(&d->src, &c->ep[DIR_C2S]))
		return DIR_C2S;
	return endpoint_eq(&d->src, &c->ep[DIR_S2C]) ? DIR_S2C : -1;
}

static struct track_conn *on_init(struct track *t, const struct rdt_dgram *d)
{
	struct track_conn *c = conn_by_cid(t, d->pkt.scid);

	if (c && c->init_seen)
		return c;	/* a retransmitted INIT */
	if (c)
		violation(t, c, d, DIR_C2S, "handshake",
			  "INIT announces client cid 0x%016" PRIx64
			  " after DATA to it (conn %u, packet #%" PRIu64 ")",
			  d->pkt.scid, c->id, c->frame_first);
	c = conn_new(t, d, 0);
	if (!c)
		return NULL;
	c->init_seen = 1;
	set_cid(t, c, DIR_S2C, d->pkt.scid);
	return c;
}

static struct track_conn *on_accept(struct track *t,
				    const struct rdt_dgram *d)
{
	struct track_conn *c = conn_by_cid(t, d->pkt.dcid);
	struct track_conn *other = conn_by_cid(t, d->pkt.scid);

	if (!c) {
		/* The capture missed the INIT: it began between the two. */
		struct rdt_dgram rev = *d;

		rev.src = d->dst;
		rev.dst = d->src;
		c = conn_new(t, &rev, 0);
		if (!c)
			return NULL;
		set_cid(t, c, DIR_S2C, d->pkt.dcid);
	}
	if (other && other != c)
		violation(t, c, d, DIR_S2C, "handshake",
			  "ACCEPT announces server cid 0x%016" PRIx64
			  " after DATA to it (conn %u, packet #%" PRIu64 ")",
			  d->pkt.scid, other->id, other->frame_first);
	else if (c->accept_seen && c->cid[DIR_C2S] != d->pkt.scid)
		violation(t, c, d, DIR_S2C, "handshake",
			  "ACCEPT changes the server cid from 0x%016" PRIx64
			  " to 0x%016" PRIx64, c->cid[DIR_C2S], d->pkt.scid);
	c->accept_seen = 1;
	set_cid(t, c, DIR_C2S, d->pkt.scid);
	return c;
}

/*
 * The connection of a DATA or RESET, from its dcid.  A dcid never
 * announced is either a capture that began mid-connection (a new
 * connection, or the second direction of one found by its addresses) or,
 * when the handshake of that address pair was seen, DATA before the
 * handshake named its destination.
 */
static struct track_conn *find_conn(struct track *t,
				    const struct rdt_dgram *d, int *pdir)
{
	struct track_conn *c = conn_by_cid(t, d->pkt.dcid);
	int dir;

	if (c) {
		*pdir = d->pkt.dcid == c->cid[DIR_C2S] ? DIR_C2S : DIR_S2C;
		return c;
	}
	if (d->pkt.type == RDT_PKT_RESET || d->pkt.dcid == 0) {
		t->stray++;
		return NULL;
	}
	c = conn_by_flow(t, d);
	dir = flow_dir(c, d);
	if (dir >= 0 && c->cid[dir] == 0) {
		if (!c->midstream)
			violation(t, c, d, dir, "handshake",
				  "DATA to cid 0x%016" PRIx64 " before any "
				  "ACCEPT announced it", d->pkt.dcid);
		set_cid(t, c, dir, d->pkt.dcid);
		*pdir = dir;
		return c;
	}
	c = conn_new(t, d, 1);
	if (!c)
		return NULL;
	set_cid(t, c, DIR_C2S, d->pkt.dcid);
	*pdir = DIR_C2S;
	return c;
}

/* --- packet numbers ------------------------------------------------- */

static uint64_t pn_abs(const struct track_dir *s, uint32_t wire)
{
	if (!s->pn_any)
		return LIFT + wire;
	return rdt_seq32_expand(s->pn_max + 1, wire);
}

/* The table entry for |pn|, making room; NULL if it is too old. */
static struct pn_entry *pn_slot(struct track_dir *s, uint64_t pn)
{
	size_t need, cap;

	if (!s->pns) {
		s->pn_base = pn - PN_SLACK;
		s->acked_floor = s->pn_base;
		s->pn_cap = PN_MIN_CAP;
		s->pns = xcalloc(s->pn_cap, sizeof(*s->pns));
	}
	if (pn < s->pn_base)
		return NULL;
	if (pn - s->pn_base >= TRACK_KEEP_PNS) {
		/* Forget the older half: bounded memory for long captures. */
		uint64_t base = pn - TRACK_KEEP_PNS / 2;
		uint64_t drop = base - s->pn_base;

		if (drop < s->pn_cap) {
			memmove(s->pns, s->pns + drop,
				(s->pn_cap - drop) * sizeof(*s->pns));
			memset(s->pns + (s->pn_cap - drop), 0,
			       drop * sizeof(*s->pns));
		} else {
			memset(s->pns, 0, s->pn_cap * sizeof(*s->pns));
		}
		s->pn_base = base;
		if (s->acked_floor < base)
			s->acked_floor = base;
	}
	need = (size_t)(pn - s->pn_base) + 1;
	if (need > s->pn_cap) {
		for (cap = s->pn_cap; cap < need; cap *= 2)
			;
		if (cap > TRACK_KEEP_PNS)
			cap = TRACK_KEEP_PNS;
		s->pns = xrealloc(s->pns, cap * sizeof(*s->pns));
		memset(s->pns + s->pn_cap, 0,
		       (cap - s->pn_cap) * sizeof(*s->pns));
		s->pn_cap = cap;
	}
	return &s->pns[pn - s->pn_base];
}

static struct pn_entry *pn_find(const struct track_dir *s, uint64_t pn)
{
	if (!s->pns || pn < s->pn_base || pn - s->pn_base >= s->pn_cap)
		return NULL;
	return &s->pns[pn - s->pn_base];
}

/*
 * Registers the datagram's packet number in direction |dir|.  Returns the
 * new entry, or NULL when the datagram must not be looked at further: a
 * duplicate (counted), a reuse (a violation) or too old to track.
 */
static struct pn_entry *record_pn(struct track *t, struct track_conn *c,
				  int dir, const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];
	uint64_t pn = pn_abs(s, d->pkt.pn);
	uint64_t h = fnv1a(d->bytes, d->len);
	struct pn_entry *e = pn_slot(s, pn);

	if (!e)
		return NULL;
	if (e->flags & PN_F_SEEN) {
		if (e->hash == h && e->len == d->len) {
			s->st.duplicates++;
		} else {
			violation(t, c, d, dir, "pn-reuse",
				  "packet number %" PRIu32 " reused: first "
				  "sent in packet #%" PRIu64 " with other "
				  "content", d->pkt.pn, e->frame);
		}
		return NULL;
	}
	if (s->pn_any && pn < s->pn_max)
		s->st.reordered++;
	if (!s->pn_any || pn > s->pn_max)
		s->pn_max = pn;
	s->pn_any = 1;
	e->flags = PN_F_SEEN;
	e->hash = h;
	e->len = (uint32_t)d->len;
	e->frame = d->frame;
	e->t_ns = d->t_ns;
	return e;
}

/* --- streams -------------------------------------------------------- */

/* Expands a wire offset of stream |s|; the first one fixes the frame. */
static uint64_t stream_abs(struct track_dir *s, uint32_t wire)
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

static void set_isn(struct track_dir *s, uint32_t isn)
{
	if (s->isn_known)
		return;
	s->origin = stream_abs(s, isn);
	s->origin_known = s->isn_known = 1;
}

static void raise_edge(struct track *t, struct track_conn *c, int dir,
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

static void rtt_sample(struct track *t, struct track_conn *c, int dir,
		       const struct rdt_dgram *d, int64_t raw,
		       uint32_t ack_delay_us)
{
	struct track_dir_stats *st = &c->d[dir].st;
	int64_t delay = (int64_t)ack_delay_us * 1000, adj = raw;

	if (st->rtt_samples == 0 || raw < st->rtt_min_ns)
		st->rtt_min_ns = raw;
	/* RFC 9002, 5.3: the ACK delay is subtracted unless that would
	 * take the sample below the minimum RTT. */
	if (raw - delay >= st->rtt_min_ns)
		adj = raw - delay;
	if (st->rtt_samples == 0 || adj > st->rtt_max_ns)
		st->rtt_max_ns = adj;
	st->rtt_sum_ns += (double)adj;
	st->rtt_samples++;
	if (t->hooks.rtt)
		t->hooks.rtt(t->hooks.arg, c, dir, d->t_ns, adj);
}

/* Marks [lo, hi] of direction |dir| acknowledged by |d|, telling the
 * sack hook about stream bytes above the cumulative ACK.  Returns whether
 * |hi| was newly acknowledged. */
static int mark_acked(struct track *t, struct track_conn *c, int dir,
		      uint64_t lo, uint64_t hi, const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];
	uint64_t pn, end;
	int newly = 0;

	if (!s->pns)
		return 0;
	end = s->pn_base + s->pn_cap - 1;
	if (hi < end)
		end = hi;
	pn = lo > s->acked_floor ? lo : s->acked_floor;
	for (; pn <= end; pn++) {
		struct pn_entry *e = &s->pns[pn - s->pn_base];

		if (pn == hi && !(e->flags & PN_F_ACKED))
			newly = 1;
		if (!(e->flags & PN_F_ACKED) && (e->flags & PN_F_SEEN) &&
		    e->send > e->sstart && s->cum_known &&
		    e->send > s->cum && t->hooks.sack)
			t->hooks.sack(t->hooks.arg, c, dir, d->t_ns,
				      e->sstart > s->cum ? e->sstart : s->cum,
				      e->send);
		e->flags |= PN_F_ACKED;
	}
	while (s->acked_floor < s->pn_base + s->pn_cap &&
	       s->acked_floor <= s->pn_max &&
	       (s->pns[s->acked_floor - s->pn_base].flags & PN_F_ACKED))
		s->acked_floor++;
	return newly;
}

/*
 * An acknowledgment of direction |dir|'s packets [lo, hi], carried by |d|
 * (the ACK section's first range, or an ACCEPT's echo_pn).  Returns -1
 * after a violation, so that the caller reports one per datagram.
 */
static int ack_range(struct track *t, struct track_conn *c, int dir,
		     uint64_t lo, uint64_t hi, const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];

	if (hi > s->pn_max) {
		violation(t, c, d, !dir, "ack-unsent-packet",
			  "acknowledges %s packet number %" PRIu32 ", never "
			  "sent (the largest sent is %" PRIu32 ")",
			  track_dir_name(dir), (uint32_t)hi,
			  (uint32_t)s->pn_max);
		return -1;
	}
	if (s->pn_first_known && lo < s->pn_first) {
		violation(t, c, d, !dir, "ack-unsent-packet",
			  "acknowledges %s packet number %" PRIu32 ", before"
			  " the first of that direction (%" PRIu32 ")",
			  track_dir_name(dir), (uint32_t)lo,
			  (uint32_t)s->pn_first);
		return -1;
	}
	return mark_acked(t, c, dir, lo, hi, d);
}

/* The ACK section of |d|, sent in direction |dir|, about |!dir|. */
static void on_ack(struct track *t, struct track_conn *c, int dir,
		   const struct rdt_dgram *d)
{
	const struct rdt_pkt_ack *a = &d->pkt.ack;
	struct track_dir *s = &c->d[!dir];
	uint64_t cum = stream_abs(s, a->cum), hi, lo, limit;
	struct pn_entry *e;
	int i, newly;

	/* Only a stream seen from its isn on has a known end: in a capture
	 * begun mid-connection, bytes above the highest seen may have been
	 * sent before it began. */
	if (s->isn_known) {
		limit = s->data_any ? s->sent_high : s->origin;
		if (s->fin_seen && s->fin_pos + 1 > limit)
			limit = s->fin_pos + 1;
		if (cum > limit)
			violation(t, c, d, dir, "ack-unsent-data",
				  "acknowledges %s stream bytes up to position"
				  " %" PRId64 ", but only %" PRId64 " were sent",
				  track_dir_name(!dir),
				  track_pos(c, !dir, cum),
				  track_pos(c, !dir, limit));
	}
	if (!s->cum_known || cum > s->cum) {
		s->cum_known = 1;
		s->cum = cum;
		if (t->hooks.ack)
			t->hooks.ack(t->hooks.arg, c, !dir, d->t_ns, cum);
	}

	if (!s->pn_any)
		return;		/* nothing seen of the acked direction */
	hi = pn_abs(s, a->largest);
	lo = hi - a->first_len;
	e = pn_find(s, hi);
	newly = ack_range(t, c, !dir, lo, hi, d);
	if (newly < 0)
		return;
	if (newly && e && (e->flags & PN_F_SEEN))
		rtt_sample(t, c, !dir, d, d->t_ns - e->t_ns,
			   a->ack_delay_us);
	for (i = 0; i < a->nranges; i++) {
		const struct rdt_pkt_ack_range *r = &a->ranges[i];

		if (lo < (uint64_t)r->gap + 2 + r->len)
			break;	/* below packet number 0: not ours to walk */
		hi = lo - r->gap - 2;
		lo = hi - r->len;
		if (ack_range(t, c, !dir, lo, hi, d) < 0)
			return;
	}
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
			violation(t, c, d, dir, "retransmission-differs",
				  "retransmitted stream bytes %" PRId64 "..%"
				  PRId64 " differ from their first "
				  "transmission at position %" PRId64,
				  track_pos(c, dir, a), track_pos(c, dir, b),
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

static void on_stream(struct track *t, struct track_conn *c, int dir,
		      const struct rdt_dgram *d, struct pn_entry *e)
{
	const struct rdt_pkt *p = &d->pkt;
	struct track_dir *s = &c->d[dir];
	uint64_t a = stream_abs(s, p->offset), b = a + p->data_len, fresh;

	if (!s->origin_known) {
		s->origin = a;
		s->origin_known = 1;
	}
	if (p->data_len && s->edge_known && b > s->edge)
		violation(t, c, d, dir, "beyond-window",
			  "stream bytes %" PRId64 "..%" PRId64 " reach beyond"
			  " the receiver's window edge %" PRId64
			  " (advertised in packet #%" PRIu64 ")",
			  track_pos(c, dir, a), track_pos(c, dir, b),
			  track_pos(c, dir, s->edge), s->edge_frame);
	if (p->flags & RDT_PKT_F_FIN) {
		if (s->fin_seen && s->fin_pos != b)
			violation(t, c, d, dir, "fin-moved",
				  "FIN at position %" PRId64 ", but packet #%"
				  PRIu64 " put it at %" PRId64,
				  track_pos(c, dir, b), s->fin_frame,
				  track_pos(c, dir, s->fin_pos));
		if (!s->fin_seen) {
			s->fin_seen = 1;
			s->fin_pos = b;
			s->fin_frame = d->frame;
		}
	} else if (s->fin_seen && b > s->fin_pos) {
		violation(t, c, d, dir, "data-after-fin",
			  "stream bytes up to position %" PRId64 " after the "
			  "FIN at %" PRId64 " (packet #%" PRIu64 ")",
			  track_pos(c, dir, b), track_pos(c, dir, s->fin_pos),
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

/* --- datagrams ------------------------------------------------------ */

static void note_corrupt(struct track *t, struct track_conn *c,
			 const struct rdt_dgram *d)
{
	struct track_corrupt *k;
	const uint8_t *b = d->bytes;

	t->corrupted++;
	if (c)
		c->corrupted++;
	if (t->ncorrupt == TRACK_MAX_CORRUPT)
		return;
	if (!t->corrupt)
		t->corrupt = xcalloc(TRACK_MAX_CORRUPT, sizeof(*t->corrupt));
	k = &t->corrupt[t->ncorrupt++];
	k->conn = c ? c->id : 0;
	k->frame = d->frame;
	k->dir = flow_dir(c, d);
	k->len = d->len;
	k->has_pn = d->len >= RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE &&
		    b[0] == RDT_PROTO_VERSION && b[1] >= RDT_PKT_INIT &&
		    b[1] <= RDT_PKT_RESET;
	if (k->has_pn)
		k->pn = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
			(uint32_t)b[14] << 8 | b[15];
}

static void bad_dgram(struct track *t, const struct rdt_dgram *d)
{
	struct track_conn *c = conn_by_flow(t, d);

	switch (d->status) {
	case RDT_ERR_CHECKSUM:
		note_corrupt(t, c, d);
		if (t->strict_crc)
			violation(t, c, d, flow_dir(c, d), "checksum",
				  "CRC32C mismatch: the datagram (%zu bytes) "
				  "is corrupt", d->len);
		break;
	case RDT_ERR_VERSION:
		t->foreign++;
		break;
	default:
		t->malformed++;
		violation(t, c, d, -1, "malformed",
			  "malformed datagram (%zu bytes): %s", d->len,
			  rdt_strerror(d->status));
	}
}

/* INIT and ACCEPT open their direction's packet number space: nothing
 * below the lowest of them (retransmissions count up) can be acked. */
static void note_first_pn(struct track_dir *s, const struct pn_entry *e)
{
	uint64_t pn = s->pn_base + (uint64_t)(e - s->pns);

	if (!s->pn_first_known || pn < s->pn_first) {
		s->pn_first_known = 1;
		s->pn_first = pn;
	}
}

static void on_handshake(struct track *t, struct track_conn *c,
			 const struct rdt_dgram *d, struct pn_entry *e)
{
	const struct rdt_pkt *p = &d->pkt;
	struct track_dir *cs = &c->d[DIR_C2S], *sc = &c->d[DIR_S2C];

	if (p->type == RDT_PKT_INIT) {
		note_first_pn(cs, e);
		set_isn(cs, p->isn);
		sc->init_window_known = 1;
		sc->init_window = p->window;
		if (sc->isn_known)
			raise_edge(t, c, DIR_S2C, sc->origin + p->window, d);
		return;
	}
	note_first_pn(sc, e);
	set_isn(sc, p->isn);
	if (cs->isn_known)
		raise_edge(t, c, DIR_C2S, cs->origin + p->window, d);
	if (sc->init_window_known)
		raise_edge(t, c, DIR_S2C, sc->origin + sc->init_window, d);
	if (cs->pn_any) {
		uint64_t echo = pn_abs(cs, p->echo_pn);
		struct pn_entry *ie = pn_find(cs, echo);

		if (ack_range(t, c, DIR_C2S, echo, echo, d) > 0 && ie &&
		    (ie->flags & PN_F_SEEN))
			rtt_sample(t, c, DIR_C2S, d, d->t_ns - ie->t_ns, 0);
	}
}

void track_dgram(void *arg, const struct rdt_dgram *d)
{
	struct track *t = arg;
	const struct rdt_pkt *p = &d->pkt;
	struct track_conn *c = NULL;
	struct pn_entry *e;
	struct flow_key k;
	int dir = DIR_C2S;

	t->datagrams++;
	if (t->datagrams == 1)
		t->t_first = d->t_ns;
	t->t_last = d->t_ns;
	if (d->status != 0) {
		bad_dgram(t, d);
		return;
	}
	switch (p->type) {
	case RDT_PKT_INIT:
		c = on_init(t, d);
		break;
	case RDT_PKT_ACCEPT:
		c = on_accept(t, d);
		dir = DIR_S2C;
		break;
	default:
		c = find_conn(t, d, &dir);
	}
	if (!c)
		return;
	if (dir == DIR_S2C && p->type == RDT_PKT_DATA && c->init_seen &&
	    !c->accept_seen)
		violation(t, c, d, dir, "handshake",
			  "server DATA before its ACCEPT");
	c->t_last = d->t_ns;
	c->frame_last = d->frame;
	c->d[dir].st.packets++;
	c->d[dir].st.wire_bytes += d->len;
	flow_key_make(&k, &d->src, &d->dst);
	(void)map_put(&t->flows, &k, c->id - 1);

	e = record_pn(t, c, dir, d);
	if (!e)
		return;
	switch (p->type) {
	case RDT_PKT_INIT:
	case RDT_PKT_ACCEPT:
		on_handshake(t, c, d, e);
		break;
	case RDT_PKT_DATA:
		raise_edge(t, c, !dir, stream_abs(&c->d[!dir], p->window_edge),
			   d);
		if (p->flags & RDT_PKT_F_ACK)
			on_ack(t, c, dir, d);
		if (p->flags & RDT_PKT_F_STREAM)
			on_stream(t, c, dir, d, e);
		break;
	case RDT_PKT_RESET:
		if (!c->reset_seen) {
			c->reset_seen = 1;
			c->reset_dir = dir;
			c->reset_reason = p->reason;
		}
		break;
	}
}

/* --- the end of the capture ----------------------------------------- */

/* A retransmission is spurious where its bytes had already been
 * delivered by an earlier, acknowledged packet. */
static void count_spurious(struct track_dir *s)
{
	struct rdt_ranges delivered;
	uint64_t pn;

	if (!s->pns)
		return;
	rdt_ranges_init(&delivered, SENT_MAX_RANGES, rdt_mem_default());
	for (pn = s->pn_base; pn <= s->pn_max; pn++) {
		const struct pn_entry *e = &s->pns[pn - s->pn_base];
		uint64_t dup;

		if (!(e->flags & PN_F_SEEN) || e->send == e->sstart)
			continue;
		if (e->flags & PN_F_RETX) {
			dup = rdt_ranges_count_in(&delivered, e->sstart,
						  e->send);
			if (dup) {
				s->st.spurious_packets++;
				s->st.spurious_bytes += dup;
			}
		}
		if (!(e->flags & PN_F_ACKED))
			continue;
		while (rdt_ranges_add(&delivered, e->sstart, e->send) ==
		       RDT_ERR_NOBUF)
			rdt_ranges_drop_lowest(&delivered);
	}
	rdt_ranges_free(&delivered);
}

static void settle(struct track_conn *c)
{
	int k, fins = 0, acked = 0;

	for (k = 0; k < 2; k++) {
		struct track_dir *s = &c->d[k];

		count_spurious(s);
		s->st.fin = s->fin_seen;
		s->st.fin_acked = s->fin_seen && s->cum_known &&
				  s->cum > s->fin_pos;
		if (s->cum_known && s->origin_known && s->cum > s->origin)
			s->st.acked_bytes = s->cum - s->origin -
					    (uint64_t)s->st.fin_acked;
		fins += s->st.fin;
		acked += s->st.fin_acked;
	}
	if (c->reset_seen)
		c->close = c->reset_reason == RDT_RESET_REFUSED &&
			   !c->accept_seen ? CLOSE_REFUSED : CLOSE_RESET;
	else if (acked == 2)
		c->close = CLOSE_FIN;
	else
		c->close = fins ? CLOSE_HALF : CLOSE_OPEN;
}

void track_finish(struct track *t)
{
	size_t i;

	for (i = 0; i < t->nconns; i++)
		settle(t->conns[i]);
}
