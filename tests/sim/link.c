/*
 * link.c: one direction of a simulated network path (see link.h).
 *
 * Map of this file:
 *   slot_get/slot_put     datagram storage: fixed-size slots on a free
 *                         list, carved from slabs; malloc for big ones
 *   heap_push/heap_pop    the in-flight datagrams, a binary min-heap keyed
 *                         by (arrival time, insertion number)
 *   fifo_*                departure times of the datagrams still in the
 *                         bottleneck, to know its exact occupancy
 *   bottleneck()          step 4 of link.h: the rate-limited tail-drop queue
 *   launch()              steps 5 and 6: propagation, reordering, corruption
 *   sim_link_send()       steps 1 to 7 in link.h order
 *   sim_link_recv()       pops the earliest arrived datagram
 *
 * Costs: a send is O(log n) in the number of datagrams in flight plus a
 * copy of the bytes; a recv is O(log n) plus a copy.  Nothing scans.
 *
 * Randomness: each impairment draws from its own generator, all derived
 * from the seed.  So turning on, say, corruption does not change which
 * datagrams random loss picks; this keeps a failing simulator run
 * recognisable while one explores its configuration.  Loss and
 * Gilbert-Elliott draw once per datagram offered (whether or not an
 * earlier step dropped it), so the loss pattern depends only on the seed
 * and the number of datagrams sent.
 */
#include "link.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/util/prng.h"

/* Datagrams up to this many bytes live in recycled slots. */
#define SLOT_SIZE 2048
/* Slots carved from one malloc'd slab. */
#define SLAB_SLOTS 64

/*
 * len * 8 * 1e9 overflows 64 bits for datagrams over about 2 GB, and the
 * carried remainder needs the exact product, so the transmission time is
 * worked out in 128 bits (a GCC and Clang extension on 64-bit targets).
 */
__extension__ typedef unsigned __int128 u128;

/* One generator per impairment, so that each has its own stream. */
enum {
	RNG_LOSS,
	RNG_GE,
	RNG_DELAY,
	RNG_REORDER,
	RNG_CORRUPT,
	RNG_DUP,
	RNG_COUNT
};

/* A datagram in flight. */
struct pkt {
	rdt_tstamp at;		/* arrival time */
	uint64_t order;		/* insertion number: breaks arrival ties */
	uint8_t *data;		/* a slot if len <= SLOT_SIZE, else malloc'd */
	size_t len;
};

/* A datagram still in the bottleneck (waiting or being transmitted). */
struct departure {
	rdt_tstamp done;	/* its last bit leaves at this time */
	size_t len;
};

struct slab {
	struct slab *next;
	/* Slots follow; uint64_t keeps the free-list links aligned. */
	uint64_t mem[SLAB_SLOTS * SLOT_SIZE / sizeof(uint64_t)];
};

struct sim_link {
	struct sim_link_cfg cfg;
	struct sim_link_stats stats;
	struct prng rng[RNG_COUNT];

	/* In-flight datagrams: a binary min-heap on (at, order). */
	struct pkt *heap;
	size_t nheap;
	size_t heap_cap;
	uint64_t next_order;

	/* Free slots, linked through their first bytes; slabs to free. */
	void *free_slots;
	struct slab *slabs;

	/* Bottleneck: departures in FIFO order in a power-of-two ring. */
	struct departure *fifo;
	size_t fifo_head;
	size_t fifo_len;
	size_t fifo_cap;
	size_t queued;		/* bytes in the fifo */
	rdt_tstamp busy_until;	/* the transmitter is busy until then */
	uint64_t tx_rem;	/* carried remainder of bits*1e9/rate */

	/* Gilbert-Elliott state: 0 GOOD, 1 BAD.  Starts GOOD. */
	int ge_bad;
	rdt_tstamp last_now;
};

/* Adds without wrapping; RDT_TSTAMP_NEVER stays reserved for "none". */
static rdt_tstamp tadd(rdt_tstamp a, rdt_tstamp b)
{
	if (a >= RDT_TSTAMP_NEVER - 1 - b)
		return RDT_TSTAMP_NEVER - 1;
	return a + b;
}

/* True with probability p; draws nothing when the answer is fixed. */
static int chance(struct prng *rng, double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	return prng_uniform(rng) < p;
}

/* Uniform integer in [0, n], n inclusive. */
static uint64_t upto(struct prng *rng, uint64_t n)
{
	if (n == 0)
		return 0;
	if (n == UINT64_MAX)
		return prng_next(rng);
	return prng_below(rng, n + 1);
}

static uint8_t *slot_get(struct sim_link *link, size_t len)
{
	struct slab *slab;
	uint8_t *s;
	size_t i;

	if (len > SLOT_SIZE)
		return malloc(len);
	if (!link->free_slots) {
		slab = malloc(sizeof(*slab));
		if (!slab)
			return NULL;
		slab->next = link->slabs;
		link->slabs = slab;
		/* Thread the new slots onto the free list, first on top. */
		for (i = SLAB_SLOTS; i-- > 0;) {
			s = (uint8_t *)slab->mem + i * SLOT_SIZE;
			memcpy(s, &link->free_slots, sizeof(void *));
			link->free_slots = s;
		}
	}
	s = link->free_slots;
	memcpy(&link->free_slots, s, sizeof(void *));
	return s;
}

static void slot_put(struct sim_link *link, uint8_t *s, size_t len)
{
	if (len > SLOT_SIZE) {
		free(s);
		return;
	}
	memcpy(s, &link->free_slots, sizeof(void *));
	link->free_slots = s;
}

static int pkt_before(const struct pkt *a, const struct pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static int heap_push(struct sim_link *link, const struct pkt *p)
{
	struct pkt *h;
	size_t i, parent, cap;

	if (link->nheap == link->heap_cap) {
		cap = link->heap_cap ? link->heap_cap * 2 : 256;
		h = realloc(link->heap, cap * sizeof(*h));
		if (!h)
			return -1;
		link->heap = h;
		link->heap_cap = cap;
	}
	h = link->heap;
	/* Sift the hole up, then drop |p| into it. */
	for (i = link->nheap++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!pkt_before(p, &h[parent]))
			break;
		h[i] = h[parent];
	}
	h[i] = *p;
	return 0;
}

static void heap_pop(struct sim_link *link, struct pkt *out)
{
	struct pkt *h = link->heap;
	struct pkt last;
	size_t i, c, n;

	*out = h[0];
	n = --link->nheap;
	if (n == 0)
		return;
	last = h[n];
	/* Sift the hole at the root down, then drop |last| into it. */
	for (i = 0; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && pkt_before(&h[c + 1], &h[c]))
			c++;
		if (!pkt_before(&h[c], &last))
			break;
		h[i] = h[c];
	}
	h[i] = last;
}

static int fifo_push(struct sim_link *link, rdt_tstamp done, size_t len)
{
	struct departure *f;
	size_t cap, i;

	if (link->fifo_len == link->fifo_cap) {
		cap = link->fifo_cap ? link->fifo_cap * 2 : 64;
		f = malloc(cap * sizeof(*f));
		if (!f)
			return -1;
		/* Unroll the ring into the new array, oldest first. */
		for (i = 0; i < link->fifo_len; i++)
			f[i] = link->fifo[(link->fifo_head + i) &
					  (link->fifo_cap - 1)];
		free(link->fifo);
		link->fifo = f;
		link->fifo_cap = cap;
		link->fifo_head = 0;
	}
	f = &link->fifo[(link->fifo_head + link->fifo_len) &
			(link->fifo_cap - 1)];
	f->done = done;
	f->len = len;
	link->fifo_len++;
	link->queued += len;
	return 0;
}

/* Forgets the datagrams whose last bit has left by |now|. */
static void fifo_expire(struct sim_link *link, rdt_tstamp now)
{
	struct departure *f;

	while (link->fifo_len) {
		f = &link->fifo[link->fifo_head];
		if (f->done > now)
			break;
		link->queued -= f->len;
		link->fifo_head = (link->fifo_head + 1) & (link->fifo_cap - 1);
		link->fifo_len--;
	}
}

/*
 * Step 4.  The queue holds the datagram being transmitted and those
 * waiting behind it, so its occupancy at |now| is the bytes whose last bit
 * has not left yet.  A datagram is tail-dropped when it would take the
 * occupancy over queue_bytes, except that an idle link always takes one:
 * otherwise a queue smaller than a datagram (queue_bytes 0 included) would
 * be a black hole.  Hence queue_bytes 0 means "no waiting room": whatever
 * arrives while the transmitter is busy is dropped.
 *
 * Transmission takes len * 8 * 1e9 / rate_bps ns.  The division's
 * remainder is carried to the next datagram while the link stays busy, so
 * a saturated link runs at exactly rate_bps however the numbers round.
 *
 * The datagram is ready for transmission at |ready| (|now|, or later with
 * netem_jitter).
 *
 * Returns 0 and the departure time in |*pdone|, or -1 if dropped.
 */
static int bottleneck(struct sim_link *link, size_t len, rdt_tstamp now,
		      rdt_tstamp ready, rdt_tstamp *pdone)
{
	u128 work;
	rdt_tstamp start, tx;

	fifo_expire(link, now);
	if (link->queued > 0 && link->queued + len > link->cfg.queue_bytes) {
		link->stats.dropped_queue++;
		return -1;
	}
	if (link->busy_until <= ready) {
		start = ready;
		link->tx_rem = 0;
	} else {
		start = link->busy_until;
	}
	work = (u128)len * 8 * 1000000000u + link->tx_rem;
	tx = (rdt_tstamp)(work / link->cfg.rate_bps);
	link->tx_rem = (uint64_t)(work % link->cfg.rate_bps);
	if (fifo_push(link, tadd(start, tx), len) < 0) {
		/* Out of memory: lose the datagram rather than abort. */
		link->stats.dropped_queue++;
		return -1;
	}
	link->busy_until = tadd(start, tx);
	if (link->queued > link->stats.queue_peak_bytes)
		link->stats.queue_peak_bytes = link->queued;
	*pdone = link->busy_until;
	return 0;
}

/* Step 6: XORs 1 to 4 distinct bytes with non-zero values. */
static void corrupt(struct sim_link *link, uint8_t *data, size_t len)
{
	struct prng *rng = &link->rng[RNG_CORRUPT];
	size_t pos[4];
	unsigned n, i, j;

	n = 1 + (unsigned)prng_below(rng, 4);
	if (n > len)
		n = (unsigned)len;
	/*
	 * Distinct positions, so that two XORs cannot cancel out and the
	 * datagram always differs from what was sent.  Rejection is cheap
	 * here: at most 4 picks among len >= n positions.
	 */
	for (i = 0; i < n; i++) {
again:
		pos[i] = (size_t)prng_below(rng, len);
		for (j = 0; j < i; j++)
			if (pos[j] == pos[i])
				goto again;
		data[pos[i]] ^= (uint8_t)(1 + prng_below(rng, 255));
	}
}

/* The propagation delay with its jitter, clamped at zero: uniform on
 * [-jitter, +jitter], or with netem_jitter normal (the sum of twelve
 * uniforms less six, close enough and bounded), cut at 4 jitters as
 * iproute2's tables are. */
static rdt_tstamp jittered_delay(struct sim_link *link)
{
	const struct sim_link_cfg *cfg = &link->cfg;
	struct prng *rng = &link->rng[RNG_DELAY];
	rdt_tstamp j;
	double z = 0, d;
	int i;

	if (!cfg->jitter)
		return cfg->delay;
	if (!cfg->netem_jitter) {
		j = upto(rng, 2 * cfg->jitter);
		if (j >= cfg->jitter)
			return tadd(cfg->delay, j - cfg->jitter);
		return cfg->delay > cfg->jitter - j ?
			       cfg->delay - (cfg->jitter - j) : 0;
	}
	for (i = 0; i < 12; i++)
		z += prng_uniform(rng);
	z -= 6;
	if (z > 4)
		z = 4;
	if (z < -4)
		z = -4;
	d = (double)cfg->delay + z * (double)cfg->jitter;
	return d > 0 ? (rdt_tstamp)d : 0;
}

/*
 * Steps 5 and 6 for one copy of a datagram that leaves the bottleneck at
 * |done|: propagation with jitter (unless netem_jitter put it before the
 * bottleneck) and reordering, then corruption, then into the heap.
 */
static void launch(struct sim_link *link, const uint8_t *pkt, size_t len,
		   rdt_tstamp done)
{
	const struct sim_link_cfg *cfg = &link->cfg;
	struct pkt p;
	rdt_tstamp d = 0;

	if (!cfg->netem_jitter || cfg->rate_bps == 0)
		d = jittered_delay(link);
	if (chance(&link->rng[RNG_REORDER], cfg->reorder)) {
		link->stats.reordered++;
		d = tadd(d, upto(&link->rng[RNG_REORDER],
				 cfg->reorder_extra));
	}
	p.data = slot_get(link, len);
	if (!p.data)
		return;
	memcpy(p.data, pkt, len);
	p.len = len;
	if (chance(&link->rng[RNG_CORRUPT], cfg->corrupt)) {
		link->stats.corrupted++;
		corrupt(link, p.data, len);
	}
	p.at = tadd(done, d);
	p.order = link->next_order++;
	if (heap_push(link, &p) < 0)
		slot_put(link, p.data, len);
}

static int in_blackout(const struct sim_link_cfg *cfg, rdt_tstamp t)
{
	unsigned i;

	for (i = 0; i < cfg->nblackouts; i++)
		if (cfg->blackout[i].start <= t && t < cfg->blackout[i].end)
			return 1;
	return 0;
}

static int valid_prob(double p)
{
	return p >= 0 && p <= 1;	/* false for NaN too */
}

int sim_link_new(struct sim_link **plink, const struct sim_link_cfg *cfg,
		 uint64_t seed)
{
	struct sim_link *link;
	struct prng master;
	int i;

	if (!valid_prob(cfg->loss) || !valid_prob(cfg->ge_p) ||
	    !valid_prob(cfg->ge_r) || !valid_prob(cfg->ge_loss_good) ||
	    !valid_prob(cfg->ge_loss_bad) || !valid_prob(cfg->reorder) ||
	    !valid_prob(cfg->dup) || !valid_prob(cfg->corrupt) ||
	    cfg->nblackouts > SIM_LINK_MAX_BLACKOUTS) {
		errno = EINVAL;
		return -1;
	}
	link = calloc(1, sizeof(*link));
	if (!link) {
		errno = ENOMEM;
		return -1;
	}
	link->cfg = *cfg;
	prng_seed(&master, seed);
	for (i = 0; i < RNG_COUNT; i++)
		prng_seed(&link->rng[i], prng_next(&master));
	*plink = link;
	return 0;
}

void sim_link_del(struct sim_link *link)
{
	struct slab *s, *next;
	size_t i;

	if (!link)
		return;
	/* Big datagrams own their memory; slots go with their slabs. */
	for (i = 0; i < link->nheap; i++)
		if (link->heap[i].len > SLOT_SIZE)
			free(link->heap[i].data);
	for (s = link->slabs; s; s = next) {
		next = s->next;
		free(s);
	}
	free(link->heap);
	free(link->fifo);
	free(link);
}

void sim_link_send(struct sim_link *link, const uint8_t *pkt, size_t len,
		   rdt_tstamp now)
{
	const struct sim_link_cfg *cfg = &link->cfg;
	rdt_tstamp done = now;
	int lost_random, lost_burst = 0;

	assert(now >= link->last_now);
	link->last_now = now;
	/* sim_link_recv could not tell an empty datagram from none. */
	if (len == 0)
		return;
	link->stats.sent++;

	/* Draw for steps 2 and 3 before judging step 1; see the map. */
	lost_random = chance(&link->rng[RNG_LOSS], cfg->loss);
	if (cfg->ge_p > 0) {
		struct prng *rng = &link->rng[RNG_GE];

		if (link->ge_bad)
			link->ge_bad = !(prng_uniform(rng) < cfg->ge_r);
		else
			link->ge_bad = prng_uniform(rng) < cfg->ge_p;
		lost_burst = prng_uniform(rng) < (link->ge_bad ?
						  cfg->ge_loss_bad :
						  cfg->ge_loss_good);
	}

	if (in_blackout(cfg, now)) {
		link->stats.lost_blackout++;
		return;
	}
	if (lost_random) {
		link->stats.lost_random++;
		return;
	}
	if (lost_burst) {
		link->stats.lost_burst++;
		return;
	}
	if (cfg->rate_bps > 0 &&
	    bottleneck(link, len, now,
		       cfg->netem_jitter ? tadd(now, jittered_delay(link)) : now,
		       &done) < 0)
		return;
	launch(link, pkt, len, done);
	if (chance(&link->rng[RNG_DUP], cfg->dup)) {
		link->stats.duplicated++;
		launch(link, pkt, len, done);
	}
}

rdt_tstamp sim_link_next_arrival(const struct sim_link *link)
{
	return link->nheap ? link->heap[0].at : RDT_TSTAMP_NEVER;
}

size_t sim_link_recv(struct sim_link *link, uint8_t *buf, size_t cap,
		     rdt_tstamp now)
{
	struct pkt p;

	if (!link->nheap || link->heap[0].at > now)
		return 0;
	heap_pop(link, &p);
	if (cap)
		memcpy(buf, p.data, p.len < cap ? p.len : cap);
	slot_put(link, p.data, p.len);
	link->stats.delivered++;
	link->stats.bytes_delivered += p.len;
	return p.len;
}

const struct sim_link_stats *sim_link_stats(const struct sim_link *link)
{
	return &link->stats;
}
