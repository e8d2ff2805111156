/*
 * crc32c.c: CRC32C (Castagnoli), the checksum over every rdt datagram.
 *
 * Map:
 *   rdt_crc32c()             public entry: picks the hardware or table path
 *   rdt_crc32c_hw_available()  whether the hardware path is in use
 *   rdt_crc32c_sw()          slicing-by-8 table path, portable
 *   crc32c_hw()              SSE4.2 (x86-64, three streams) or ARMv8 CRC
 *                            (aarch64) path
 *   tables_get()             builds the eight 256-entry tables on first use
 *   shift_get()              builds the x86-64 path's table that joins its
 *                            three streams, on first use
 *   crc32c_bitwise()         one bit at a time; used only while another
 *                            thread is still building the tables
 *
 * All paths work on the same internal state, the running CRC with its bits
 * inverted; the public functions invert on entry and on exit so that the
 * result of one call can be fed as |crc| to the next (RFC 3720, B.4).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "crc32c.h"

/* The Castagnoli polynomial 0x1EDC6F41, bit-reversed (LSB-first form). */
#define CRC32C_POLY 0x82F63B78u

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_HW_CRC32C 1
#include <nmmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Only when the compiler already targets a little-endian CPU with the CRC
 * extension (e.g. -march=armv8.1-a): then the instruction is always there
 * and no run-time check is needed.  Other aarch64 builds use the tables.
 */
#define HAVE_HW_CRC32C 1
#include <arm_acle.h>
#endif

/*
 * table[k][b] is the CRC state after feeding byte |b| followed by |k| zero
 * bytes, which lets the table path fold eight input bytes per step
 * (slicing-by-8): 8 KiB of tables, built once.
 */
static uint32_t table[8][256];

/* table's life cycle; moves forward only, through tables_state. */
enum { TABLES_EMPTY, TABLES_BUILDING, TABLES_READY };
static atomic_int tables_state = TABLES_EMPTY;

static uint32_t crc32c_bitwise(uint32_t state, const uint8_t *p, size_t len)
{
	int k;

	while (len--) {
		state ^= *p++;
		for (k = 0; k < 8; k++)
			state = (state >> 1) ^ (CRC32C_POLY & -(state & 1));
	}
	return state;
}

enum claim { CLAIM_READY, CLAIM_BUILD, CLAIM_BUSY };

/* What a caller of a table built on first use finds: built, its own to
 * build now (then table_publish), or another thread building it. */
static enum claim table_claim(atomic_int *state)
{
	int expected = TABLES_EMPTY;

	if (atomic_load_explicit(state, memory_order_acquire) == TABLES_READY)
		return CLAIM_READY;
	return atomic_compare_exchange_strong(state, &expected,
					      TABLES_BUILDING) ?
		       CLAIM_BUILD : CLAIM_BUSY;
}

static void table_publish(atomic_int *state)
{
	atomic_store_explicit(state, TABLES_READY, memory_order_release);
}

/*
 * tables_get returns the slicing tables, or NULL while another thread is
 * building them.  The first caller builds them; nobody waits, because the
 * bitwise fallback gives the same answer and the window is microseconds.
 * The release store publishes the finished tables to acquiring readers.
 */
static const uint32_t (*tables_get(void))[256]
{
	enum claim claim = table_claim(&tables_state);
	uint32_t c;
	int b, k;

	if (claim != CLAIM_BUILD)
		return claim == CLAIM_READY ? (const uint32_t (*)[256])table :
					      NULL;
	for (b = 0; b < 256; b++) {
		c = (uint32_t)b;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY & -(c & 1));
		table[0][b] = c;
	}
	/* One more zero byte: shift out the low byte and fold it back in. */
	for (k = 1; k < 8; k++)
		for (b = 0; b < 256; b++)
			table[k][b] = (table[k - 1][b] >> 8) ^
				      table[0][table[k - 1][b] & 0xff];
	table_publish(&tables_state);
	return (const uint32_t (*)[256])table;
}

static uint32_t crc32c_table(uint32_t state, const uint8_t *p, size_t len)
{
	const uint32_t (*t)[256] = tables_get();
	uint32_t lo;

	if (!t)
		return crc32c_bitwise(state, p, len);

	/*
	 * The low four bytes are combined with the state, the high four are
	 * looked up directly.  Bytes are read one at a time, so the result
	 * does not depend on host byte order or alignment.
	 */
	while (len >= 8) {
		lo = state ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			      (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		state = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
			t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
			t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		state = (state >> 8) ^ t[0][(state ^ *p++) & 0xff];
	return state;
}

uint32_t rdt_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_table(~crc, buf, len);
}

#if defined(HAVE_HW_CRC32C) && defined(__x86_64__)
/* One dependent crc32 instruction per 8 bytes: about 8 bytes per 3 cycles. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw_serial(uint32_t state, const uint8_t *p, size_t len)
{
	uint64_t s = state, v;

	while (len >= 8) {
		memcpy(&v, p, 8);
		s = _mm_crc32_u64(s, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		s = _mm_crc32_u8((uint32_t)s, *p++);
	return (uint32_t)s;
}

/*
 * The instruction's latency is three cycles and its throughput one per
 * cycle, so three independent streams over adjacent blocks run three
 * times as fast as one; the streams are then joined by advancing each
 * state over the bytes that follow its block.  Advancing a state over
 * STRIDE zero bytes is linear in the state's bits: four table lookups
 * (shift[k][b] is byte |b| at position |k| advanced so), built on first
 * use as the slicing tables are.
 */
#define STRIDE 128
static uint32_t shift[4][256];
static atomic_int shift_state = TABLES_EMPTY;

static const uint32_t (*shift_get(void))[256]
{
	static const uint8_t zeros[STRIDE];
	enum claim claim = table_claim(&shift_state);
	int b, k;

	if (claim != CLAIM_BUILD)
		return claim == CLAIM_READY ? (const uint32_t (*)[256])shift :
					      NULL;
	for (k = 0; k < 4; k++)
		for (b = 0; b < 256; b++)
			shift[k][b] = crc32c_hw_serial((uint32_t)b << (8 * k),
						       zeros, STRIDE);
	table_publish(&shift_state);
	return (const uint32_t (*)[256])shift;
}

static uint32_t advance_stride(const uint32_t (*t)[256], uint32_t s)
{
	return t[0][s & 0xff] ^ t[1][(s >> 8) & 0xff] ^
	       t[2][(s >> 16) & 0xff] ^ t[3][s >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t state, const uint8_t *p, size_t len)
{
	const uint32_t (*t)[256];
	uint64_t s0 = state, s1, s2, v0, v1, v2;
	size_t i;

	/* Reach 8-byte alignment so the wide loads never split a line. */
	while (len && ((uintptr_t)p & 7)) {
		s0 = _mm_crc32_u8((uint32_t)s0, *p++);
		len--;
	}
	if (len >= 3 * STRIDE && (t = shift_get()) != NULL) {
		do {
			s1 = 0;
			s2 = 0;
			for (i = 0; i < STRIDE; i += 8) {
				memcpy(&v0, p + i, 8);
				memcpy(&v1, p + STRIDE + i, 8);
				memcpy(&v2, p + 2 * STRIDE + i, 8);
				s0 = _mm_crc32_u64(s0, v0);
				s1 = _mm_crc32_u64(s1, v1);
				s2 = _mm_crc32_u64(s2, v2);
			}
			s0 = advance_stride(t, (uint32_t)s0) ^ (uint32_t)s1;
			s0 = advance_stride(t, (uint32_t)s0) ^ (uint32_t)s2;
			p += 3 * STRIDE;
			len -= 3 * STRIDE;
		} while (len >= 3 * STRIDE);
	}
	return crc32c_hw_serial((uint32_t)s0, p, len);
}

/* Cached answer of the CPU check: -1 unknown, then 0 or 1. */
static atomic_int hw_state = -1;

int rdt_crc32c_hw_available(void)
{
	int hw = atomic_load_explicit(&hw_state, memory_order_relaxed);

	if (hw < 0) {
		/* May run before libgcc's own constructor has filled it in. */
		__builtin_cpu_init();
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
		atomic_store_explicit(&hw_state, hw, memory_order_relaxed);
	}
	return hw;
}
#elif defined(HAVE_HW_CRC32C) && defined(__aarch64__)
static uint32_t crc32c_hw(uint32_t state, const uint8_t *p, size_t len)
{
	uint64_t v;

	while (len && ((uintptr_t)p & 7)) {
		state = __crc32cb(state, *p++);
		len--;
	}
	while (len >= 8) {
		/* The instruction consumes the value little-endian. */
		memcpy(&v, p, 8);
		state = __crc32cd(state, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		state = __crc32cb(state, *p++);
	return state;
}

int rdt_crc32c_hw_available(void)
{
	return 1;
}
#else
int rdt_crc32c_hw_available(void)
{
	return 0;
}
#endif

uint32_t rdt_crc32c(uint32_t crc, const void *buf, size_t len)
{
#ifdef HAVE_HW_CRC32C
	if (rdt_crc32c_hw_available())
		return ~crc32c_hw(~crc, buf, len);
#endif
	return ~crc32c_table(~crc, buf, len);
}
