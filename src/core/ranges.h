/*
 * ranges.h: a bounded set of disjoint half-open uint64 ranges [start, end),
 * kept sorted and coalesced (adjacent or overlapping ranges merge).
 *
 * One structure serves every place the core tracks "which numbers have we
 * seen": packet numbers received (for ACK frames), out-of-order stream
 * bytes held for reassembly, bytes the peer acknowledged selectively, and
 * bytes waiting for retransmission.  It is a sorted array: insertion and
 * removal cost O(n) moves, which is cheap for the few dozen ranges a
 * connection normally holds; |max| bounds both memory and that cost.
 */
#ifndef RDT_CORE_RANGES_H
#define RDT_CORE_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

struct rdt_range {
	uint64_t start;
	uint64_t end;
};

struct rdt_ranges {
	/* Sorted by start, disjoint, never adjacent, never empty. */
	struct rdt_range *v;
	size_t n;
	size_t cap;
	/* The most ranges the set may hold. */
	size_t max;
	const struct rdt_mem *mem;
};

/*
 * rdt_ranges_init prepares an empty set that will hold at most |max|
 * (>= 1) ranges, allocating through |mem| (borrowed; must outlive the
 * set).  Allocates lazily; returns 0.
 */
int rdt_ranges_init(struct rdt_ranges *rs, size_t max,
		    const struct rdt_mem *mem);

/* rdt_ranges_free releases the set's memory; the set is empty after. */
void rdt_ranges_free(struct rdt_ranges *rs);

/*
 * rdt_ranges_add inserts [start, end) (start < end; an empty range is a
 * no-op returning 0), merging as needed.  Returns the number of values
 * that were not already in the set (0 for a full duplicate), as a
 * non-negative int64, or RDT_ERR_NOBUF if the insertion would need more
 * than |max| ranges, or RDT_ERR_NOMEM.  On error the set is unchanged.
 */
int64_t rdt_ranges_add(struct rdt_ranges *rs, uint64_t start, uint64_t end);

/*
 * rdt_ranges_remove subtracts [start, end) from the set.  Returns 0, or
 * RDT_ERR_NOBUF / RDT_ERR_NOMEM if splitting a range would exceed |max| or
 * memory (the set is then unchanged).
 */
int rdt_ranges_remove(struct rdt_ranges *rs, uint64_t start, uint64_t end);

/* rdt_ranges_remove_below drops every value below |point|; never fails. */
void rdt_ranges_remove_below(struct rdt_ranges *rs, uint64_t point);

/* rdt_ranges_drop_lowest drops the lowest range, if any. */
void rdt_ranges_drop_lowest(struct rdt_ranges *rs);

/* Non-zero if every value of [start, end) is in the set. */
int rdt_ranges_contains(const struct rdt_ranges *rs, uint64_t start,
			uint64_t end);

/* How many values of [start, end) are in the set. */
uint64_t rdt_ranges_count_in(const struct rdt_ranges *rs, uint64_t start,
			     uint64_t end);

/*
 * rdt_ranges_first_gap returns, through |pstart| and |pend|, the first
 * sub-range of [start, end) that is NOT in the set.  Returns 1 if there is
 * one, 0 if [start, end) is fully covered.
 */
int rdt_ranges_first_gap(const struct rdt_ranges *rs, uint64_t start,
			 uint64_t end, uint64_t *pstart, uint64_t *pend);

static inline int rdt_ranges_empty(const struct rdt_ranges *rs)
{
	return rs->n == 0;
}

#endif
