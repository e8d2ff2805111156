/*
 * types.h: the scalar types every layer of rdt shares.
 *
 * Time is a count of monotonic nanoseconds handed in by the caller; the core
 * never reads a clock.  Sizes that may also carry an RDT_ERR_* code are
 * rdt_ssize.
 */
#ifndef RDT_CORE_TYPES_H
#define RDT_CORE_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Monotonic time in nanoseconds. */
typedef uint64_t rdt_tstamp;
/* A 64-bit packet number; only its low 32 bits travel on the wire. */
typedef uint64_t rdt_pktnum;
/* A byte count on success, a negative RDT_ERR_* code on failure. */
typedef ssize_t rdt_ssize;

/* "No deadline": later than any real time. */
#define RDT_TSTAMP_NEVER UINT64_MAX

#define RDT_NS ((rdt_tstamp)1)
#define RDT_US ((rdt_tstamp)1000)
#define RDT_MS ((rdt_tstamp)1000000)
#define RDT_S ((rdt_tstamp)1000000000)

#endif
