/*
 * ranges.c: the bounded, sorted, coalesced set of half-open uint64 ranges
 * declared in ranges.h.
 *
 * What lives here, in order:
 *   search helpers    first_end_ge/first_end_gt/first_start_gt: binary
 *                     searches over the sorted array (ends are sorted too,
 *                     because ranges are disjoint);
 *   reserve           grows the array geometrically, never past |max|;
 *   init/free;
 *   add               the per-packet path: the highest range is checked
 *                     before any search, so appending the next in-order
 *                     number costs O(1);
 *   remove, remove_below, drop_lowest;
 *   contains, count_in, first_gap   read-only queries.
 *
 * Every mutating call that can fail does all of its checks and its one
 * allocation before it touches the array, so a failure leaves the set
 * exactly as it was.
 */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "ranges.h"

/* The first allocation holds this many ranges (or |max| if smaller). */
#define RANGES_INITIAL_CAP 4

/* First index whose range ends at or after |x| (n if none). */
static size_t first_end_ge(const struct rdt_ranges *rs, uint64_t x)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->v[mid].end >= x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First index whose range ends strictly after |x| (n if none). */
static size_t first_end_gt(const struct rdt_ranges *rs, uint64_t x)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->v[mid].end > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First index at or after |lo| whose range starts after |x| (n if none). */
static size_t first_start_gt(const struct rdt_ranges *rs, size_t lo,
			     uint64_t x)
{
	size_t hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->v[mid].start > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * Makes room for |need| ranges.  The array doubles so that a set growing
 * one range at a time costs amortised O(1) allocations, but never beyond
 * |max| (the caller has already checked need <= max).  On failure nothing
 * changed: realloc leaves the old block intact.
 */
static int reserve(struct rdt_ranges *rs, size_t need)
{
	struct rdt_range *v;
	size_t cap;

	if (need <= rs->cap)
		return 0;
	cap = rs->cap ? rs->cap : RANGES_INITIAL_CAP;
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	if (cap > rs->max)
		cap = rs->max;
	if (cap > SIZE_MAX / sizeof(*v))
		return RDT_ERR_NOMEM;
	/*
	 * The first block comes from malloc rather than realloc(NULL, ...)
	 * so an injected allocator need not implement that corner of
	 * realloc.
	 */
	if (rs->v)
		v = rdt_mem_realloc(rs->mem, rs->v, cap * sizeof(*v));
	else
		v = rdt_mem_malloc(rs->mem, cap * sizeof(*v));
	if (!v)
		return RDT_ERR_NOMEM;
	rs->v = v;
	rs->cap = cap;
	return 0;
}

int rdt_ranges_init(struct rdt_ranges *rs, size_t max,
		    const struct rdt_mem *mem)
{
	memset(rs, 0, sizeof(*rs));
	if (max == 0 || !mem)
		return RDT_ERR_INVALID;
	rs->max = max;
	rs->mem = mem;
	return 0;
}

void rdt_ranges_free(struct rdt_ranges *rs)
{
	/* |max| and |mem| stay, so the set can be used again. */
	if (rs->v)
		rdt_mem_free(rs->mem, rs->v);
	rs->v = NULL;
	rs->n = 0;
	rs->cap = 0;
}

/* How many values |r| and [start, end) share. */
static uint64_t overlap(const struct rdt_range *r, uint64_t start,
			uint64_t end)
{
	uint64_t s = r->start > start ? r->start : start;
	uint64_t e = r->end < end ? r->end : end;

	return e > s ? e - s : 0;
}

/* Removes the ranges at [i, j) by sliding the tail down. */
static void erase(struct rdt_ranges *rs, size_t i, size_t j)
{
	if (i >= j)
		return;
	memmove(&rs->v[i], &rs->v[j], (rs->n - j) * sizeof(rs->v[0]));
	rs->n -= j - i;
}

int64_t rdt_ranges_add(struct rdt_ranges *rs, uint64_t start, uint64_t end)
{
	uint64_t covered = 0, added;
	size_t i, j, k, n = rs->n;
	struct rdt_range merged;
	int rv;

	if (start >= end)
		return 0;

	/*
	 * Find [i, j), the ranges that overlap or touch [start, end):
	 * those with end >= start and start <= end.  The highest range is
	 * tried first because in-order arrivals extend it; only when it
	 * does not decide the answer do we search.
	 */
	if (n == 0 || rs->v[n - 1].end < start)
		i = n;
	else if (n == 1 || rs->v[n - 2].end < start)
		i = n - 1;
	else
		i = first_end_ge(rs, start);
	if (i == n || rs->v[n - 1].start <= end)
		j = n;
	else
		j = first_start_gt(rs, i, end);

	if (i == j) {
		/* Touches nothing: a new range goes in at i. */
		if (n >= rs->max)
			return RDT_ERR_NOBUF;
		rv = reserve(rs, n + 1);
		if (rv)
			return rv;
		memmove(&rs->v[i + 1], &rs->v[i], (n - i) * sizeof(rs->v[0]));
		rs->v[i].start = start;
		rs->v[i].end = end;
		rs->n++;
		added = end - start;
	} else {
		/*
		 * Merging never needs more room.  The values already present
		 * are the lengths of the absorbed ranges clipped to
		 * [start, end); adjacent ones contribute nothing.
		 */
		merged.start = start < rs->v[i].start ? start : rs->v[i].start;
		merged.end = end > rs->v[j - 1].end ? end : rs->v[j - 1].end;
		for (k = i; k < j; k++)
			covered += overlap(&rs->v[k], start, end);
		added = (end - start) - covered;
		rs->v[i] = merged;
		erase(rs, i + 1, j);
	}
	/*
	 * The count can exceed INT64_MAX only for a range wider than 2^63,
	 * which no packet number or stream offset reaches; saturate rather
	 * than return a negative "error".
	 */
	return added > INT64_MAX ? INT64_MAX : (int64_t)added;
}

int rdt_ranges_remove(struct rdt_ranges *rs, uint64_t start, uint64_t end)
{
	size_t i, j;
	int rv;

	if (start >= end)
		return 0;
	/* [i, j): the ranges that overlap, with end > start, start < end. */
	i = first_end_gt(rs, start);
	if (i == rs->n || rs->v[i].start >= end)
		return 0;
	j = first_start_gt(rs, i, end - 1);

	if (j == i + 1 && rs->v[i].start < start && rs->v[i].end > end) {
		/* A hole inside one range: it splits in two. */
		if (rs->n >= rs->max)
			return RDT_ERR_NOBUF;
		rv = reserve(rs, rs->n + 1);
		if (rv)
			return rv;
		memmove(&rs->v[i + 1], &rs->v[i],
			(rs->n - i) * sizeof(rs->v[0]));
		rs->v[i].end = start;
		rs->v[i + 1].start = end;
		rs->n++;
		return 0;
	}
	/* Keep the outer parts of the first and last ranges, drop the rest. */
	if (rs->v[j - 1].end > end) {
		rs->v[j - 1].start = end;
		j--;
	}
	if (rs->v[i].start < start) {
		rs->v[i].end = start;
		i++;
	}
	erase(rs, i, j);
	return 0;
}

void rdt_ranges_remove_below(struct rdt_ranges *rs, uint64_t point)
{
	size_t i = first_end_gt(rs, point);

	erase(rs, 0, i);
	if (rs->n && rs->v[0].start < point)
		rs->v[0].start = point;
}

void rdt_ranges_drop_lowest(struct rdt_ranges *rs)
{
	erase(rs, 0, rs->n ? 1 : 0);
}

int rdt_ranges_contains(const struct rdt_ranges *rs, uint64_t start,
			uint64_t end)
{
	size_t i;

	/* The empty range is in every set. */
	if (start >= end)
		return 1;
	i = first_end_gt(rs, start);
	return i < rs->n && rs->v[i].start <= start && rs->v[i].end >= end;
}

uint64_t rdt_ranges_count_in(const struct rdt_ranges *rs, uint64_t start,
			     uint64_t end)
{
	uint64_t count = 0;
	size_t i;

	if (start >= end)
		return 0;
	for (i = first_end_gt(rs, start); i < rs->n; i++) {
		if (rs->v[i].start >= end)
			break;
		count += overlap(&rs->v[i], start, end);
	}
	return count;
}

int rdt_ranges_first_gap(const struct rdt_ranges *rs, uint64_t start,
			 uint64_t end, uint64_t *pstart, uint64_t *pend)
{
	uint64_t cur = start;
	size_t i;

	if (start >= end)
		return 0;
	i = first_end_gt(rs, start);
	/* If a range covers |start|, the gap (if any) begins where it ends. */
	if (i < rs->n && rs->v[i].start <= cur) {
		cur = rs->v[i].end;
		i++;
	}
	if (cur >= end)
		return 0;
	/* Ranges never touch, so the next one starts strictly after cur. */
	*pstart = cur;
	*pend = (i < rs->n && rs->v[i].start < end) ? rs->v[i].start : end;
	return 1;
}
