/*
 * crc32c.h: CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected), the
 * checksum every rdt datagram carries (RFC 3720, Appendix B.4).
 */
#ifndef RDT_WIRE_CRC32C_H
#define RDT_WIRE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * rdt_crc32c extends |crc| (0 to start) over |len| bytes at |buf| and
 * returns the new CRC; rdt_crc32c(rdt_crc32c(0, a, n), b, m) equals the CRC
 * of a followed by b.  The result is the final, post-inverted value, so the
 * RFC 3720 vector of 32 zero bytes gives 0x8A9136AA.  Uses the CPU's CRC32
 * instruction when it has one (checked once), a table otherwise.
 */
uint32_t rdt_crc32c(uint32_t crc, const void *buf, size_t len);

/* The table-driven implementation, exposed so tests compare both paths. */
uint32_t rdt_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* Non-zero when rdt_crc32c uses a hardware instruction on this CPU. */
int rdt_crc32c_hw_available(void);

#endif
