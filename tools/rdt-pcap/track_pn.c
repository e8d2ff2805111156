/*
 * track_pn.c: packet numbers and what acknowledges them, for track.c.
 *
 * Map: track_pn_record registers each datagram's packet number in the
 * table of its direction (track_pn_abs expands it, pn_slot makes room and
 * forgets the oldest half of a full table): a number seen again is a
 * duplicate or a reuse.  track_pn_on_ack takes a DATA's ACK section: its
 * cum, then each range (track_pn_ack_range checks it names nothing never
 * sent, mark_acked marks the entries and reports SACKed bytes), and an
 * RTT sample (track_pn_rtt_sample) when the largest is newly acked.
 *
 * Costs: an ACK walks only the packet numbers it newly covers above the
 * lowest unacknowledged one (acked_floor).
 */
#include <inttypes.h>
#include <string.h>

#include "track_int.h"
#include "util.h"

/* Entries kept below the first packet number seen, for reordering. */
#define PN_SLACK 1024
#define PN_MIN_CAP 4096

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* --- packet numbers ------------------------------------------------- */

uint64_t track_pn_abs(const struct track_dir *s, uint32_t wire)
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

struct pn_entry *track_pn_find(const struct track_dir *s, uint64_t pn)
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
struct pn_entry *track_pn_record(struct track *t, struct track_conn *c,
				 int dir, const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];
	uint64_t pn = track_pn_abs(s, d->pkt.pn);
	uint64_t h = fnv1a(d->bytes, d->len);
	struct pn_entry *e = pn_slot(s, pn);

	if (!e)
		return NULL;
	if (e->flags & PN_F_SEEN) {
		if (e->hash == h && e->len == d->len) {
			s->st.duplicates++;
		} else {
			track_violation_add(t, c, d, dir, "pn-reuse",
					    "packet number %" PRIu32
					    " reused: first sent in packet "
					    "#%" PRIu64 " with other content",
					    d->pkt.pn, e->frame);
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

/* --- acknowledgments ----------------------------------------------- */

void track_pn_rtt_sample(struct track *t, struct track_conn *c, int dir,
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
int track_pn_ack_range(struct track *t, struct track_conn *c, int dir,
		       uint64_t lo, uint64_t hi, const struct rdt_dgram *d)
{
	struct track_dir *s = &c->d[dir];

	if (hi > s->pn_max) {
		track_violation_add(t, c, d, !dir, "ack-unsent-packet",
				    "acknowledges %s packet number %"
				    PRIu32 ", never sent (the largest "
				    "sent is %" PRIu32 ")",
				    track_dir_name(dir), (uint32_t)hi,
				    (uint32_t)s->pn_max);
		return -1;
	}
	if (s->pn_first_known && lo < s->pn_first) {
		track_violation_add(t, c, d, !dir, "ack-unsent-packet",
				    "acknowledges %s packet number %"
				    PRIu32 ", before the first of that "
				    "direction (%" PRIu32 ")",
				    track_dir_name(dir), (uint32_t)lo,
				    (uint32_t)s->pn_first);
		return -1;
	}
	return mark_acked(t, c, dir, lo, hi, d);
}

/* The ACK section of |d|, sent in direction |dir|, about |!dir|. */
void track_pn_on_ack(struct track *t, struct track_conn *c, int dir,
		     const struct rdt_dgram *d)
{
	const struct rdt_pkt_ack *a = &d->pkt.ack;
	struct track_dir *s = &c->d[!dir];
	uint64_t cum = track_stream_abs(s, a->cum), hi, lo, limit;
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
			track_violation_add(t, c, d, dir, "ack-unsent-data",
					    "acknowledges %s stream bytes up "
					    "to position %" PRId64 ", but "
					    "only %" PRId64 " were sent",
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
	hi = track_pn_abs(s, a->largest);
	lo = hi - a->first_len;
	e = track_pn_find(s, hi);
	newly = track_pn_ack_range(t, c, !dir, lo, hi, d);
	if (newly < 0)
		return;
	if (newly && e && (e->flags & PN_F_SEEN))
		track_pn_rtt_sample(t, c, !dir, d, d->t_ns - e->t_ns,
				    a->ack_delay_us);
	for (i = 0; i < a->nranges; i++) {
		const struct rdt_pkt_ack_range *r = &a->ranges[i];

		if (lo < (uint64_t)r->gap + 2 + r->len)
			break;	/* below packet number 0: not ours to walk */
		hi = lo - r->gap - 2;
		lo = hi - r->len;
		if (track_pn_ack_range(t, c, !dir, lo, hi, d) < 0)
			return;
	}
}
