/*
 * test_crc32c.c: unit tests for src/wire/crc32c.c.
 *
 * Known answers from RFC 3720 B.4 and the common "123456789" check value
 * pin the algorithm; the rest checks that the two implementations agree
 * with each other and with a one-bit-at-a-time reference written here, for
 * every length 0..300 at every alignment 0..15, and that splitting a
 * buffer anywhere gives the same CRC as one call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/prng.h"
#include "wire/crc32c.h"

/* Longest buffer and largest misalignment the comparison tests cover. */
#define MAX_LEN 300
#define MAX_ALIGN 16

/* Straight from the definition, so both library paths have a referee. */
static uint32_t crc32c_reference(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;
	int k;

	while (len--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
	}
	return ~c;
}

/* Checks one buffer against its expected CRC through every path. */
static void check_all_paths(const uint8_t *buf, size_t len, uint32_t want)
{
	assert_int_equal(rdt_crc32c(0, buf, len), want);
	assert_int_equal(rdt_crc32c_sw(0, buf, len), want);
	assert_int_equal(crc32c_reference(buf, len), want);
}

static void test_crc32c_rfc3720_zeros(void **state)
{
	uint8_t buf[32];

	(void)state;
	memset(buf, 0x00, sizeof(buf));
	check_all_paths(buf, sizeof(buf), 0x8A9136AAu);
}

static void test_crc32c_rfc3720_ones(void **state)
{
	uint8_t buf[32];

	(void)state;
	memset(buf, 0xFF, sizeof(buf));
	check_all_paths(buf, sizeof(buf), 0x62A8AB43u);
}

static void test_crc32c_rfc3720_incrementing(void **state)
{
	uint8_t buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	check_all_paths(buf, sizeof(buf), 0x46DD794Eu);
}

static void test_crc32c_rfc3720_decrementing(void **state)
{
	uint8_t buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(31 - i);
	check_all_paths(buf, sizeof(buf), 0x113FDB5Cu);
}

static void test_crc32c_rfc3720_iscsi_read_pdu(void **state)
{
	/* An iSCSI SCSI Read (10) command PDU, RFC 3720 B.4. */
	static const uint8_t pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	(void)state;
	check_all_paths(pdu, sizeof(pdu), 0xD9963A56u);
}

static void test_crc32c_check_value(void **state)
{
	static const char digits[] = "123456789";

	(void)state;
	check_all_paths((const uint8_t *)digits, 9, 0xE3069283u);
}

static void test_crc32c_empty_is_identity(void **state)
{
	uint8_t byte = 0;

	(void)state;
	assert_int_equal(rdt_crc32c(0, &byte, 0), 0);
	assert_int_equal(rdt_crc32c_sw(0, &byte, 0), 0);
	assert_int_equal(rdt_crc32c(0xD9963A56u, &byte, 0), 0xD9963A56u);
	assert_int_equal(rdt_crc32c_sw(0xD9963A56u, &byte, 0), 0xD9963A56u);
}

static void test_crc32c_incremental_equals_one_shot(void **state)
{
	uint8_t buf[MAX_LEN];
	struct prng rng;
	uint32_t whole, hw, sw;
	size_t i, split;

	(void)state;
	prng_seed(&rng, 1);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)prng_next(&rng);
	whole = crc32c_reference(buf, sizeof(buf));

	for (split = 0; split <= sizeof(buf); split++) {
		hw = rdt_crc32c(rdt_crc32c(0, buf, split), buf + split,
				sizeof(buf) - split);
		sw = rdt_crc32c_sw(rdt_crc32c_sw(0, buf, split), buf + split,
				   sizeof(buf) - split);
		assert_int_equal(hw, whole);
		assert_int_equal(sw, whole);
	}

	/* One byte per call is the extreme case of splitting. */
	hw = 0;
	sw = 0;
	for (i = 0; i < sizeof(buf); i++) {
		hw = rdt_crc32c(hw, buf + i, 1);
		sw = rdt_crc32c_sw(sw, buf + i, 1);
	}
	assert_int_equal(hw, whole);
	assert_int_equal(sw, whole);
}

static void test_crc32c_hw_matches_sw(void **state)
{
	/* Room for the longest buffer at the largest misalignment. */
	uint8_t storage[MAX_LEN + MAX_ALIGN];
	struct prng rng;
	size_t len, align, i;
	uint32_t ref;

	(void)state;
	if (!rdt_crc32c_hw_available())
		print_message("no CRC32C instruction: comparing table path "
			      "with the reference only\n");

	prng_seed(&rng, 2);
	for (len = 0; len <= MAX_LEN; len++) {
		for (align = 0; align < MAX_ALIGN; align++) {
			for (i = 0; i < len; i++)
				storage[align + i] = (uint8_t)prng_next(&rng);
			ref = crc32c_reference(storage + align, len);
			assert_int_equal(rdt_crc32c(0, storage + align, len),
					 ref);
			assert_int_equal(rdt_crc32c_sw(0, storage + align,
						       len), ref);
		}
	}
}

/*
 * Datagram sizes, where the hardware path runs three streams over
 * adjacent 128-byte blocks and joins them: every length around one, two
 * and three rounds of 384 bytes, a full datagram and the largest one,
 * each at several alignments, against the reference.
 */
static void test_crc32c_long_buffers(void **state)
{
	static uint8_t storage[65535 + 8];
	static const size_t lens[] = { 1400, 1472, 4096, 9000, 65535 };
	struct prng rng;
	size_t len, align, i;

	(void)state;
	prng_seed(&rng, 3);
	for (i = 0; i < sizeof(storage); i++)
		storage[i] = (uint8_t)prng_next(&rng);
	for (align = 0; align < 8; align += 3) {
		for (len = 370; len <= 1160; len++)
			assert_int_equal(rdt_crc32c(0, storage + align, len),
					 crc32c_reference(storage + align,
							  len));
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			assert_int_equal(rdt_crc32c(0, storage + align,
						    lens[i]),
					 crc32c_reference(storage + align,
							  lens[i]));
	}
	/* Carried across calls, as the datagram code does (header, then
	 * payload). */
	assert_int_equal(rdt_crc32c(rdt_crc32c(0, storage, 17), storage + 17,
				    1383),
			 crc32c_reference(storage, 1400));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_rfc3720_zeros),
		cmocka_unit_test(test_crc32c_rfc3720_ones),
		cmocka_unit_test(test_crc32c_rfc3720_incrementing),
		cmocka_unit_test(test_crc32c_rfc3720_decrementing),
		cmocka_unit_test(test_crc32c_rfc3720_iscsi_read_pdu),
		cmocka_unit_test(test_crc32c_check_value),
		cmocka_unit_test(test_crc32c_empty_is_identity),
		cmocka_unit_test(test_crc32c_incremental_equals_one_shot),
		cmocka_unit_test(test_crc32c_hw_matches_sw),
		cmocka_unit_test(test_crc32c_long_buffers),
	};

	return cmocka_run_group_tests_name("crc32c", tests, NULL, NULL);
}
