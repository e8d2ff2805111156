/*
 * test_jsonw.c: unit tests for src/runtime/jsonw.c, the JSON writer of
 * RDT_QLOG's records.
 *
 * Each case writes into a buffer with guard bytes after its end and
 * compares the exact text: escaping (quote, backslash, control bytes,
 * bytes from 0x7F up), commas across nested containers, the number
 * formats (integers to 2^64 - 1, milliseconds either side of zero, hex
 * IDs), and overflow, which must stop writing at the capacity and be
 * reported rather than leave a truncated record looking whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/jsonw.h"

#define GUARD 16

struct fixture {
	char buf[512 + GUARD];
	struct rdt_jsonw w;
};

static struct fixture fx;

/* A writer of |cap| bytes, guarded by 0x55 bytes beyond. */
static struct rdt_jsonw *writer(size_t cap)
{
	memset(fx.buf, 0x55, sizeof(fx.buf));
	rdt_jsonw_init(&fx.w, fx.buf, cap);
	return &fx.w;
}

static void expect_text(const struct rdt_jsonw *w, const char *want)
{
	size_t i;

	assert_false(w->overflow);
	assert_int_equal(w->len, strlen(want));
	assert_memory_equal(w->buf, want, w->len);
	for (i = 0; i < GUARD; i++)
		assert_int_equal((unsigned char)w->buf[w->cap + i], 0x55);
}

static void test_jsonw_escapes_strings(void **state)
{
	struct rdt_jsonw *w = writer(512);

	(void)state;
	rdt_jsonw_str(w, "a\"b\\c\nd\te\x01\x1f\x7f\xc3\xa9 /");
	expect_text(w, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f"
		       "\\u00c3\\u00a9 /\"");
}

static void test_jsonw_places_commas_in_nesting(void **state)
{
	struct rdt_jsonw *w = writer(512);

	(void)state;
	rdt_jsonw_open(w, '{');
	rdt_jsonw_key(w, "a");
	rdt_jsonw_u64(w, 1);
	rdt_jsonw_key(w, "b");
	rdt_jsonw_open(w, '[');
	rdt_jsonw_open(w, '[');
	rdt_jsonw_u64(w, 2);
	rdt_jsonw_u64(w, 3);
	rdt_jsonw_close(w, ']');
	rdt_jsonw_open(w, '{');
	rdt_jsonw_close(w, '}');
	rdt_jsonw_bool(w, 0);
	rdt_jsonw_close(w, ']');
	rdt_jsonw_key(w, "c");
	rdt_jsonw_bool(w, 1);
	rdt_jsonw_close(w, '}');
	expect_text(w, "{\"a\":1,\"b\":[[2,3],{},false],\"c\":true}");
}

static void test_jsonw_formats_numbers(void **state)
{
	struct rdt_jsonw *w = writer(512);

	(void)state;
	rdt_jsonw_open(w, '[');
	rdt_jsonw_u64(w, 0);
	rdt_jsonw_u64(w, UINT64_MAX);
	rdt_jsonw_ms(w, 0);
	rdt_jsonw_ms(w, 1500000);
	rdt_jsonw_ms(w, 999);		/* below a microsecond */
	rdt_jsonw_ms(w, 12345678901);
	rdt_jsonw_ms(w, -1500000);
	rdt_jsonw_ms(w, INT64_MIN);
	rdt_jsonw_hex64(w, 0x00ab00cd00ef0012ull);
	rdt_jsonw_close(w, ']');
	expect_text(w, "[0,18446744073709551615,0.000,1.500,0.000,"
		       "12345.678,-1.500,-9223372036854.775,"
		       "\"00ab00cd00ef0012\"]");
}

/* Overflow stops all writing at the capacity, even of later values
 * that would fit, and is reported. */
static void test_jsonw_overflow_stops_at_capacity(void **state)
{
	struct rdt_jsonw *w = writer(10);
	size_t i;

	(void)state;
	rdt_jsonw_str(w, "0123456789abcdef");
	assert_true(w->overflow);
	rdt_jsonw_raw(w, "x");
	assert_true(w->overflow);
	assert_true(w->len <= 10);
	for (i = 0; i < GUARD; i++)
		assert_int_equal((unsigned char)fx.buf[10 + i], 0x55);
	/* Exactly full is not overflow. */
	w = writer(4);
	rdt_jsonw_str(w, "ab");
	assert_false(w->overflow);
	assert_int_equal(w->len, 4);
	rdt_jsonw_raw(w, "");
	assert_false(w->overflow);
	rdt_jsonw_u64(w, 7);
	assert_true(w->overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw_escapes_strings),
		cmocka_unit_test(test_jsonw_places_commas_in_nesting),
		cmocka_unit_test(test_jsonw_formats_numbers),
		cmocka_unit_test(test_jsonw_overflow_stops_at_capacity),
	};

	return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
