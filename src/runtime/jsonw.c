/*
 * jsonw.c: the JSON writer of jsonw.h.
 *
 *   put, putc_       append text, or set overflow and append nothing
 *   sep              the comma a member or element needs, and the
 *                    bookkeeping of whether the next one will
 *   rdt_jsonw_*      values, names, containers
 *
 * Numbers are formatted by hand, not with snprintf: the writer runs once
 * per logged event inside a connection's call, and stays free of the
 * locale (a decimal comma would break every time value).
 */
#include <string.h>

#include "jsonw.h"

void rdt_jsonw_init(struct rdt_jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = 0;
	w->comma = 0;
}

static void put(struct rdt_jsonw *w, const char *s, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void putc_(struct rdt_jsonw *w, char c)
{
	put(w, &c, 1);
}

/* Before a value or member: a comma unless it is the first. */
static void sep(struct rdt_jsonw *w)
{
	if (w->comma)
		putc_(w, ',');
	w->comma = 1;
}

void rdt_jsonw_raw(struct rdt_jsonw *w, const char *s)
{
	put(w, s, strlen(s));
}

void rdt_jsonw_open(struct rdt_jsonw *w, char c)
{
	sep(w);
	putc_(w, c);
	w->comma = 0;
}

void rdt_jsonw_close(struct rdt_jsonw *w, char c)
{
	putc_(w, c);
	w->comma = 1;
}

void rdt_jsonw_key(struct rdt_jsonw *w, const char *k)
{
	sep(w);
	putc_(w, '"');
	rdt_jsonw_raw(w, k);
	put(w, "\":", 2);
	/* The value follows without a comma. */
	w->comma = 0;
}

void rdt_jsonw_str(struct rdt_jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	sep(w);
	putc_(w, '"');
	for (; *p; p++) {
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			put(w, esc, 2);
		} else if (*p == '\n') {
			put(w, "\\n", 2);
		} else if (*p == '\t') {
			put(w, "\\t", 2);
		} else if (*p < 0x20 || *p >= 0x7F) {
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			put(w, esc, 6);
		} else {
			putc_(w, (char)*p);
		}
	}
	putc_(w, '"');
}

/* Digits of |v| without a separator. */
static void digits(struct rdt_jsonw *w, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, tmp + sizeof(tmp) - n, n);
}

void rdt_jsonw_u64(struct rdt_jsonw *w, uint64_t v)
{
	sep(w);
	digits(w, v);
}

void rdt_jsonw_bool(struct rdt_jsonw *w, int v)
{
	sep(w);
	rdt_jsonw_raw(w, v ? "true" : "false");
}

void rdt_jsonw_ms(struct rdt_jsonw *w, int64_t ns)
{
	uint64_t us, frac;
	char f[3];

	sep(w);
	if (ns < 0) {
		putc_(w, '-');
		/* Negated in unsigned arithmetic: INT64_MIN has no
		 * positive counterpart. */
		us = (0 - (uint64_t)ns) / 1000;
	} else {
		us = (uint64_t)ns / 1000;
	}
	digits(w, us / 1000);
	frac = us % 1000;
	f[0] = (char)('0' + frac / 100);
	f[1] = (char)('0' + frac / 10 % 10);
	f[2] = (char)('0' + frac % 10);
	putc_(w, '.');
	put(w, f, 3);
}

void rdt_jsonw_hex64(struct rdt_jsonw *w, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char s[18];
	int i;

	s[0] = s[17] = '"';
	for (i = 0; i < 16; i++)
		s[16 - i] = hex[(v >> (4 * i)) & 15];
	sep(w);
	put(w, s, sizeof(s));
}
