/*
 * impair.c: one direction's impairment model (see impair.h).
 *
 * Map of this file:
 *   crandom, hit          netem's correlated draw and its comparison
 *   loss_event            step 2: random or Gilbert-Elliott loss
 *   jitter_delay          step 5: netem's tabledist
 *   packet_time           step 6: transmission time at the rate
 *   heap_push/heap_pop    the queue, a binary min-heap on (due, order)
 *   enqueue               steps 3 to 6 for one copy
 *   impair_offer          steps 0 to 2, then enqueue for each copy
 *   impair_pop/unpop/done the caller's side of the queue
 *
 * Costs: an offer or a pop is O(log n) in the datagrams queued plus one
 * malloc and one copy of the bytes.  Nothing scans the queue.
 */
#include "impair.h"

#include <stdlib.h>
#include <string.h>

#include "dist.h"
/* The simulator's seeded generator, shared rather than copied, so that
 * rdt-impair and tests/sim draw from the same well-tested xoshiro. */
#include "../../src/util/prng.h"

/* 128-bit products for the transmission time, as tests/sim/link.c. */
__extension__ typedef unsigned __int128 u128;

/* One generator per decision, so that each has its own stream: enabling
 * corruption does not change which datagrams loss picks. */
enum {
	RNG_DUP,
	RNG_LOSS,
	RNG_CORRUPT,
	RNG_REORDER,
	RNG_DELAY,
	RNG_COUNT
};

struct impair {
	struct netem_cfg cfg;
	struct impair_stats stats;
	struct prng rng[RNG_COUNT];
	uint32_t last[RNG_COUNT];	/* previous draw, for correlation */
	int ge_bad;			/* Gilbert-Elliott: in BAD */
	uint32_t counter;		/* datagrams since the last reorder */
	int down;

	struct impair_pkt **heap;
	size_t n;
	size_t cap;
	uint64_t next_order;
	uint64_t last_due;		/* latest due queued; valid if n > 0 */
};

/*
 * netem's get_crandom: a uniform 32-bit draw, mixed with the previous one
 * in proportion |rho| (a probability) when rho is not 0.
 */
static uint32_t crandom(struct impair *im, int which, netem_prob rho)
{
	uint32_t value = (uint32_t)(prng_next(&im->rng[which]) >> 32);
	uint64_t r;

	if (rho == 0)
		return value;
	r = (uint64_t)rho + 1;
	value = (uint32_t)(((uint64_t)value * ((1ull << 32) - r) +
			    (uint64_t)im->last[which] * r) >> 32);
	im->last[which] = value;
	return value;
}

/* netem's test "p && p >= draw": probability p, exactly 0 and 1 at the
 * ends. */
static int hit(netem_prob p, uint32_t draw)
{
	return p && p >= draw;
}

static uint32_t draw(struct impair *im, int which)
{
	return crandom(im, which, 0);
}

static int loss_event(struct impair *im)
{
	const struct netem_cfg *c = &im->cfg;
	int lost;

	switch (c->loss_model) {
	case NETEM_LOSS_RANDOM:
		return hit(c->loss, crandom(im, RNG_LOSS, c->loss_corr));
	case NETEM_LOSS_GEMODEL:
		/* As netem: first the transition, then the loss, with the
		 * loss probability of the state the datagram found. */
		if (!im->ge_bad) {
			if (hit(c->ge_p, draw(im, RNG_LOSS)))
				im->ge_bad = 1;
			lost = hit(c->ge_good_loss, draw(im, RNG_LOSS));
		} else {
			if (hit(c->ge_r, draw(im, RNG_LOSS)))
				im->ge_bad = 0;
			lost = hit(c->ge_bad_loss, draw(im, RNG_LOSS));
		}
		return lost;
	case NETEM_LOSS_NONE:
	default:
		return 0;
	}
}

/* netem's tabledist: delay plus jitter times the distribution's value. */
static uint64_t jitter_delay(struct impair *im)
{
	const struct netem_cfg *c = &im->cfg;
	double d;

	if (c->jitter == 0)
		return c->latency;
	d = (double)c->latency + (double)c->jitter *
		dist_value(c->dist, crandom(im, RNG_DELAY, c->delay_corr));
	/* A departure in the past is a departure now, as in netem. */
	return d <= 0 ? 0 : (uint64_t)(d + 0.5);
}

/* netem's packet_time_ns: the datagram plus overheads, in cells if set. */
static uint64_t packet_time(const struct netem_cfg *c, size_t len)
{
	int64_t bytes = (int64_t)len + c->packet_overhead;
	uint64_t cells;

	if (bytes < 0)
		bytes = 0;
	if (c->cell_size) {
		cells = ((uint64_t)bytes + c->cell_size - 1) / c->cell_size;
		bytes = (int64_t)(cells * c->cell_size) +
			(int64_t)cells * c->cell_overhead;
		if (bytes < 0)
			bytes = 0;
	}
	return (uint64_t)((u128)bytes * 8 * 1000000000u / c->rate);
}

static int pkt_before(const struct impair_pkt *a, const struct impair_pkt *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static int heap_push(struct impair *im, struct impair_pkt *p)
{
	struct impair_pkt **h;
	size_t i, parent, cap;

	if (im->n == im->cap) {
		cap = im->cap ? im->cap * 2 : 64;
		h = realloc(im->heap, cap * sizeof(*h));
		if (!h)
			return -1;
		im->heap = h;
		im->cap = cap;
	}
	h = im->heap;
	/* Sift the hole up, then drop |p| into it. */
	for (i = im->n++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!pkt_before(p, h[parent]))
			break;
		h[i] = h[parent];
	}
	h[i] = p;
	if (im->n == 1 || p->due > im->last_due)
		im->last_due = p->due;
	if (im->n > im->stats.queue_peak)
		im->stats.queue_peak = im->n;
	return 0;
}

static struct impair_pkt *heap_pop(struct impair *im)
{
	struct impair_pkt **h = im->heap, *top, *last;
	size_t i, child, n;

	top = h[0];
	last = h[--im->n];
	n = im->n;
	/* Sift the hole at the root down, then drop |last| into it. */
	for (i = 0; (child = 2 * i + 1) < n; i = child) {
		if (child + 1 < n && pkt_before(h[child + 1], h[child]))
			child++;
		if (!pkt_before(h[child], last))
			break;
		h[i] = h[child];
	}
	if (n)
		h[i] = last;
	return top;
}

/* Steps 3 to 6 of impair.h for one copy. */
static void enqueue(struct impair *im, const uint8_t *data, size_t len,
		    uint64_t tag, uint64_t now)
{
	const struct netem_cfg *c = &im->cfg;
	int corrupt = hit(c->corrupt,
			  crandom(im, RNG_CORRUPT, c->corrupt_corr));
	struct impair_pkt *p;
	uint64_t delay, base;

	if (im->n >= c->limit) {
		im->stats.dropped_queue++;
		return;
	}
	p = malloc(sizeof(*p) + len);
	if (!p) {
		/* Memory pressure is a full queue to the datagram. */
		im->stats.dropped_queue++;
		return;
	}
	memcpy(p->data, data, len);
	p->len = len;
	p->tag = tag;
	p->order = im->next_order++;
	if (corrupt && len > 0) {
		p->data[prng_below(&im->rng[RNG_CORRUPT], len)] ^=
			(uint8_t)(1u << prng_below(&im->rng[RNG_CORRUPT], 8));
		im->stats.corrupted++;
	}

	if (c->gap == 0 || im->counter < c->gap - 1 ||
	    !hit(c->reorder, crandom(im, RNG_REORDER, c->reorder_corr))) {
		delay = jitter_delay(im);
		base = now;
		if (c->rate) {
			/* The last datagram queued leaves at last_due; what
			 * is left of our delay after it counts from then. */
			if (im->n > 0 && im->last_due > now) {
				delay = delay > im->last_due - now ?
					delay - (im->last_due - now) : 0;
				base = im->last_due;
			}
			delay += packet_time(c, len);
		}
		p->due = base + delay;
		im->counter++;
	} else {
		p->due = now;
		im->counter = 0;
		im->stats.reordered++;
	}

	if (heap_push(im, p) < 0) {
		free(p);
		im->stats.dropped_queue++;
	}
}

void impair_offer(struct impair *im, const uint8_t *data, size_t len,
		  uint64_t tag, uint64_t now)
{
	int copies = 1;

	im->stats.received++;
	if (im->down) {
		im->stats.dropped_down++;
		return;
	}
	if (hit(im->cfg.duplicate,
		crandom(im, RNG_DUP, im->cfg.dup_corr)))
		copies++;
	if (loss_event(im))
		copies--;
	if (copies == 0) {
		im->stats.dropped_loss++;
		return;
	}
	enqueue(im, data, len, tag, now);
	if (copies == 2) {
		im->stats.duplicated++;
		/* netem's clone re-enters the qdisc with duplication off:
		 * it may be lost in its turn. */
		if (loss_event(im))
			im->stats.dropped_loss++;
		else
			enqueue(im, data, len, tag, now);
	}
}

static void reset_state(struct impair *im)
{
	int i;

	for (i = 0; i < RNG_COUNT; i++)
		im->last[i] = draw(im, i);
	im->ge_bad = 0;
	im->counter = 0;
}

int impair_new(struct impair **pim, const struct netem_cfg *cfg,
	       uint64_t seed)
{
	struct impair *im = calloc(1, sizeof(*im));
	uint64_t s = seed;
	int i;

	if (!im)
		return -1;
	im->cfg = *cfg;
	for (i = 0; i < RNG_COUNT; i++)
		prng_seed(&im->rng[i], prng_splitmix64(&s));
	reset_state(im);
	*pim = im;
	return 0;
}

void impair_del(struct impair *im)
{
	if (!im)
		return;
	while (im->n)
		free(heap_pop(im));
	free(im->heap);
	free(im);
}

void impair_set_cfg(struct impair *im, const struct netem_cfg *cfg)
{
	im->cfg = *cfg;
	reset_state(im);
}

const struct netem_cfg *impair_cfg(const struct impair *im)
{
	return &im->cfg;
}

void impair_set_down(struct impair *im, int down)
{
	im->down = down;
}

uint64_t impair_next_due(const struct impair *im)
{
	return im->n ? im->heap[0]->due : UINT64_MAX;
}

size_t impair_queued(const struct impair *im)
{
	return im->n;
}

struct impair_pkt *impair_pop(struct impair *im, uint64_t now)
{
	struct impair_pkt *p;

	while (im->n && im->heap[0]->due <= now) {
		p = heap_pop(im);
		if (!im->down)
			return p;
		im->stats.dropped_down++;
		free(p);
	}
	return NULL;
}

void impair_unpop(struct impair *im, struct impair_pkt *p)
{
	/* It left the heap a moment ago, so there is room for it. */
	(void)heap_push(im, p);
}

void impair_done(struct impair *im, struct impair_pkt *p, int sent)
{
	if (sent)
		im->stats.delivered++;
	free(p);
}

const struct impair_stats *impair_stats(const struct impair *im)
{
	return &im->stats;
}
