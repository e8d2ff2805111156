/*
 * seq.h: wrap-safe arithmetic between the 64-bit numbers kept inside the
 * core and the 32-bit fields that travel on the wire.
 *
 * Packet numbers and stream offsets are 64-bit inside and never wrap in
 * practice; on the wire only their low 32 bits are sent.  A receiver
 * expands a truncated value to the 64-bit value nearest to one it expects
 * (RFC 9000, Appendix A.3, with a fixed 32-bit width).  Anything compared
 * in 32-bit space goes through rdt_seq32_lt and friends (RFC 1982 serial
 * arithmetic), never through a plain '<'.
 */
#ifndef RDT_CORE_SEQ_H
#define RDT_CORE_SEQ_H

#include <stdint.h>

/* The window of a 32-bit field, and half of it (the decoding radius). */
#define RDT_SEQ32_WIN ((uint64_t)1 << 32)
#define RDT_SEQ32_HWIN ((uint64_t)1 << 31)

/* a < b in 32-bit serial arithmetic. */
static inline int rdt_seq32_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int rdt_seq32_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* The low 32 bits of |full|: what goes on the wire. */
static inline uint32_t rdt_seq32_truncate(uint64_t full)
{
	return (uint32_t)full;
}

/*
 * rdt_seq32_expand returns the 64-bit value whose low 32 bits are |wire|
 * and which lies nearest to |expected|.  Values more than 2^31 away from
 * |expected| cannot be told apart and must be ruled out by the caller's
 * windows (the core keeps every window below 2^30).  Near zero the result
 * never goes below zero: a value that would underflow is returned one
 * window higher.
 */
static inline uint64_t rdt_seq32_expand(uint64_t expected, uint32_t wire)
{
	uint64_t candidate = (expected & ~(RDT_SEQ32_WIN - 1)) | wire;

	/* Written as differences so that nothing overflows near 2^64. */
	if (expected >= RDT_SEQ32_HWIN &&
	    candidate <= expected - RDT_SEQ32_HWIN &&
	    candidate < UINT64_MAX - RDT_SEQ32_WIN)
		return candidate + RDT_SEQ32_WIN;
	if (candidate > expected && candidate - expected > RDT_SEQ32_HWIN &&
	    candidate >= RDT_SEQ32_WIN)
		return candidate - RDT_SEQ32_WIN;
	return candidate;
}

#endif
