/*
 * fuzz_input.h: what the fuzz targets share: reading the fuzzer's bytes
 * as a script, and making a datagram's CRC right again.
 *
 * A script reads its operands with fuzz_u8/u16/u32/u64; bytes past the
 * end read as zero, so every input, however short, is a valid script.
 * fuzz_fix_crc recomputes the trailing CRC32C of a datagram a target
 * changed, so that the checks behind the CRC see the change (almost any
 * mutation breaks the CRC, which would otherwise stop them all).
 */
#ifndef RDT_FUZZ_INPUT_H
#define RDT_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/wire/crc32c.h"
#include "../../src/wire/pkt.h"

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

static inline uint64_t fuzz_u64(struct fuzz_input *in)
{
	uint64_t hi = fuzz_u32(in);

	return hi << 32 | fuzz_u32(in);
}

/* |dg| is |len| >= RDT_PKT_CRC_SIZE bytes. */
static inline void fuzz_fix_crc(uint8_t *dg, size_t len)
{
	uint32_t crc = rdt_crc32c(0, dg, len - RDT_PKT_CRC_SIZE);

	dg[len - 4] = (uint8_t)(crc >> 24);
	dg[len - 3] = (uint8_t)(crc >> 16);
	dg[len - 2] = (uint8_t)(crc >> 8);
	dg[len - 1] = (uint8_t)crc;
}

#endif
