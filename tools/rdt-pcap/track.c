/*
 * track.c: connection tracking and the invariants listed in track.h.
 *
 * Map: track_dgram sets sealed datagrams that did not open aside
 * (on_unopened, sealed_conn), sorts out bad datagrams (bad_dgram), finds
 * or creates the connection and direction (by type: on_init, on_accept,
 * find_conn), records the packet number (track_pn_record: duplicates and
 * reuse), then looks at the content: the handshake fields (on_handshake),
 * and for DATA the window edge and ACK section about the opposite
 * direction (track_stream_raise_edge, track_pn_on_ack in track_pn.c)
 * before the STREAM section of its own (track_stream_on_stream in
 * track_stream.c).
 * track_finish walks the packet tables once more for spurious
 * retransmissions and settles how each connection ended.
 *
 * Here: the names, track_init / track_free, track_violation_add, the
 * connection table, the datagram entry point and the end of the capture.
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
#include "track_int.h"
#include "util.h"

/* Ranges of stream bytes seen, per direction: holes in the capture. */
#define SENT_MAX_RANGES 4096

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
	case CLOSE_SEALED:
		return "unknown (sealed)";
	}
	return "?";
}

int64_t track_pos(const struct track_conn *c, int dir, uint64_t abs)
{
	const struct track_dir *s = &c->d[dir];

	return (int64_t)(abs - (s->origin_known ? s->origin : s->ref));
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
	free(t->auth);
	map_free(&t->cids);
	map_free(&t->flows);
}

/* Records a violation (see track_int.h). */
void track_violation_add(struct track *t, const struct track_conn *c,
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
		track_violation_add(t, c, d, DIR_C2S, "handshake",
				    "INIT announces client cid 0x%016"
				    PRIx64 " after DATA to it (conn %u, "
				    "packet #%" PRIu64 ")", d->pkt.scid,
				    c->id, c->frame_first);
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
		track_violation_add(t, c, d, DIR_S2C, "handshake",
				    "ACCEPT announces server cid 0x%016"
				    PRIx64 " after DATA to it (conn %u, "
				    "packet #%" PRIu64 ")", d->pkt.scid,
				    other->id, other->frame_first);
	else if (c->accept_seen && c->cid[DIR_C2S] != d->pkt.scid)
		track_violation_add(t, c, d, DIR_S2C, "handshake",
				    "ACCEPT changes the server cid from "
				    "0x%016" PRIx64 " to 0x%016" PRIx64,
				    c->cid[DIR_C2S], d->pkt.scid);
	c->accept_seen = 1;
	set_cid(t, c, DIR_C2S, d->pkt.scid);
	return c;
}

/*
 * The connection of a DATA or RESET, from its dcid.  A dcid never
 * announced is either a capture that began mid-connection (a new
 * connection, or the second direction of one found by its addresses) or,
 * when the handshake of that address pair was seen, DATA before the
 * handshake named its destination: a violation, unless |quiet| (a sealed
 * datagram not opened, whose header nothing vouches for).
 */
static struct track_conn *find_conn(struct track *t,
				    const struct rdt_dgram *d, int *pdir,
				    int quiet)
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
		if (!c->midstream && !quiet)
			track_violation_add(t, c, d, dir, "handshake",
					    "DATA to cid 0x%016" PRIx64
					    " before any ACCEPT announced "
					    "it", d->pkt.dcid);
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


/* --- datagrams ------------------------------------------------------ */

/* Lists |d| (on |c|, direction |dir|) in |*list| of |*n| entries, at
 * most TRACK_MAX_CORRUPT of them. */
static void list_dgram(struct track_corrupt **list, size_t *n,
		       const struct track_conn *c, int dir,
		       const struct rdt_dgram *d)
{
	struct track_corrupt *k;
	const uint8_t *b = d->bytes;

	if (*n == TRACK_MAX_CORRUPT)
		return;
	if (!*list)
		*list = xcalloc(TRACK_MAX_CORRUPT, sizeof(**list));
	k = &(*list)[(*n)++];
	k->conn = c ? c->id : 0;
	k->frame = d->frame;
	k->dir = dir;
	k->len = d->wire_len;
	k->sealed = d->seal != UNSEAL_CLEAR;
	k->has_pn = d->len >= RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE &&
		    (b[0] == RDT_PROTO_VERSION ||
		     b[0] == RDT_PROTO_VERSION_SEALED) &&
		    b[1] >= RDT_PKT_INIT && b[1] <= RDT_PKT_RESET;
	if (k->has_pn) {
		k->type = b[1];
		k->pn = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
			(uint32_t)b[14] << 8 | b[15];
	}
}

static void note_corrupt(struct track *t, struct track_conn *c,
			 const struct rdt_dgram *d)
{
	t->corrupted++;
	if (c)
		c->corrupted++;
	list_dgram(&t->corrupt, &t->ncorrupt, c, flow_dir(c, d), d);
}

static void bad_dgram(struct track *t, const struct rdt_dgram *d)
{
	struct track_conn *c = conn_by_flow(t, d);

	switch (d->status) {
	case RDT_ERR_CHECKSUM:
		note_corrupt(t, c, d);
		if (t->strict_crc)
			track_violation_add(t, c, d, flow_dir(c, d),
					    "checksum", "CRC32C mismatch: "
					    "the datagram (%zu bytes) is "
					    "corrupt", d->len);
		break;
	case RDT_ERR_VERSION:
		t->foreign++;
		break;
	default:
		t->malformed++;
		/* Opened, it is what its sender sealed: the sender's
		 * mistake, authenticated. */
		track_violation_add(t, c, d, -1, "malformed",
				    "malformed %sdatagram (%zu bytes): %s",
				    d->seal == UNSEAL_OPENED ?
				    "sealed, opened " :
				    d->seal != UNSEAL_CLEAR ? "sealed " : "",
				    d->wire_len,
				    d->seal == UNSEAL_MALFORMED ?
				    unseal_malformed_why(d->bytes, d->len) :
				    rdt_strerror(d->status));
	}
}

/*
 * The connection of a sealed datagram that did not open, by the IDs in
 * its clear header; NULL if none.  Only without a key (|d| is
 * UNSEAL_NO_KEY) do those IDs make connections: that is all there is to
 * know of them, and as much as a clear datagram's CRC would vouch for.
 * With a key, a datagram that did not open may be a forgery, and is
 * only counted on the connection it names.
 */
static struct track_conn *sealed_conn(struct track *t,
				      const struct rdt_dgram *d, int *pdir)
{
	const struct rdt_pkt *p = &d->pkt;
	int create = d->seal == UNSEAL_NO_KEY;
	struct track_conn *c;

	switch (p->type) {
	case RDT_PKT_INIT:
		*pdir = DIR_C2S;
		c = conn_by_cid(t, p->scid);
		if (!c && create) {
			c = conn_new(t, d, 0);
			if (c)
				set_cid(t, c, DIR_S2C, p->scid);
		}
		if (c && create)
			c->init_seen = 1;
		return c;
	case RDT_PKT_ACCEPT:
		*pdir = DIR_S2C;
		c = conn_by_cid(t, p->dcid);
		if (!c && create) {
			struct rdt_dgram rev = *d;

			rev.src = d->dst;
			rev.dst = d->src;
			c = conn_new(t, &rev, 0);
			if (c)
				set_cid(t, c, DIR_S2C, p->dcid);
		}
		if (c && create) {
			c->accept_seen = 1;
			if (c->cid[DIR_C2S] == 0)
				set_cid(t, c, DIR_C2S, p->scid);
		}
		return c;
	}
	if (create)
		return find_conn(t, d, pdir, 1);
	c = conn_by_cid(t, p->dcid);
	if (c) {
		*pdir = p->dcid == c->cid[DIR_C2S] ? DIR_C2S : DIR_S2C;
		return c;
	}
	c = conn_by_flow(t, d);
	*pdir = flow_dir(c, d);
	return *pdir >= 0 ? c : NULL;
}

/* A sealed datagram that did not open: counted, attributed, listed if
 * it failed authentication, and never a violation (see track.h). */
static void on_unopened(struct track *t, const struct rdt_dgram *d)
{
	struct track_conn *c;
	struct flow_key k;
	int dir = -1;

	c = sealed_conn(t, d, &dir);
	if (d->seal == UNSEAL_AUTH) {
		t->auth_failed++;
		if (c)
			c->auth_failed++;
		list_dgram(&t->auth, &t->nauth, c, c ? dir : -1, d);
		return;
	}
	if (d->seal == UNSEAL_NO_KEY)
		t->sealed_no_key++;
	else
		t->sealed_no_keys++;
	if (!c)
		return;
	c->sealed++;
	c->sealed_hidden++;
	c->t_last = d->t_ns;
	c->frame_last = d->frame;
	c->d[dir].st.packets++;
	c->d[dir].st.wire_bytes += d->wire_len;
	flow_key_make(&k, &d->src, &d->dst);
	(void)map_put(&t->flows, &k, c->id - 1);
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

	c->token_known[p->type == RDT_PKT_INIT ? DIR_C2S : DIR_S2C] = 1;
	memcpy(c->token[p->type == RDT_PKT_INIT ? DIR_C2S : DIR_S2C],
	       p->reset_token, RDT_PKT_RESET_TOKEN_SIZE);
	if (p->type == RDT_PKT_INIT) {
		note_first_pn(cs, e);
		track_stream_set_isn(cs, p->isn);
		sc->init_window_known = 1;
		sc->init_window = p->window;
		if (sc->isn_known)
			track_stream_raise_edge(t, c, DIR_S2C,
						sc->origin + p->window, d);
		return;
	}
	note_first_pn(sc, e);
	track_stream_set_isn(sc, p->isn);
	if (cs->isn_known)
		track_stream_raise_edge(t, c, DIR_C2S,
					cs->origin + p->window, d);
	if (sc->init_window_known)
		track_stream_raise_edge(t, c, DIR_S2C,
					sc->origin + sc->init_window, d);
	if (cs->pn_any) {
		uint64_t echo = track_pn_abs(cs, p->echo_pn);
		struct pn_entry *ie = track_pn_find(cs, echo);

		if (track_pn_ack_range(t, c, DIR_C2S, echo, echo, d) > 0 &&
		    ie && (ie->flags & PN_F_SEEN))
			track_pn_rtt_sample(t, c, DIR_C2S, d,
					    d->t_ns - ie->t_ns, 0);
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
	if (d->seal != UNSEAL_CLEAR)
		t->sealed++;
	if (d->seal == UNSEAL_OPENED)
		t->sealed_opened++;
	if (d->status == RDT_ERR_AUTH) {
		on_unopened(t, d);
		return;
	}
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
		c = find_conn(t, d, &dir, 0);
	}
	if (!c)
		return;
	if (dir == DIR_S2C && p->type == RDT_PKT_DATA && c->init_seen &&
	    !c->accept_seen)
		track_violation_add(t, c, d, dir, "handshake",
				    "server DATA before its ACCEPT");
	c->t_last = d->t_ns;
	c->frame_last = d->frame;
	if (d->seal == UNSEAL_OPENED)
		c->sealed++;
	c->d[dir].st.packets++;
	c->d[dir].st.wire_bytes += d->wire_len;
	flow_key_make(&k, &d->src, &d->dst);
	(void)map_put(&t->flows, &k, c->id - 1);

	/* A RETRY comes from a listener that keeps nothing for the client
	 * yet: its packet number belongs to no packet-number space. */
	if (p->type == RDT_PKT_RETRY)
		return;
	e = track_pn_record(t, c, dir, d);
	if (!e)
		return;
	switch (p->type) {
	case RDT_PKT_INIT:
	case RDT_PKT_ACCEPT:
		on_handshake(t, c, d, e);
		break;
	case RDT_PKT_DATA:
		track_stream_raise_edge(t, c, !dir,
					track_stream_abs(&c->d[!dir],
							 p->window_edge),
					d);
		if (p->flags & RDT_PKT_F_ACK)
			track_pn_on_ack(t, c, dir, d);
		if (p->flags & RDT_PKT_F_STREAM)
			track_stream_on_stream(t, c, dir, d, e);
		break;
	case RDT_PKT_RESET:
		if (c->token_known[dir] &&
		    (!p->has_reset_token ||
		     memcmp(p->reset_token, c->token[dir],
			    RDT_PKT_RESET_TOKEN_SIZE) != 0)) {
			c->resets_ignored++;
			break;
		}
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
	/* "open" would claim what the capture cannot show. */
	if (c->close == CLOSE_OPEN && c->sealed_hidden)
		c->close = CLOSE_SEALED;
}

void track_finish(struct track *t)
{
	size_t i;

	for (i = 0; i < t->nconns; i++)
		settle(t->conns[i]);
}
