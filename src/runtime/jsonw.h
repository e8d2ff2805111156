/*
 * jsonw.h: a JSON writer into a caller's fixed buffer, for RDT_QLOG.
 *
 * It allocates nothing and never writes past the buffer: a value that
 * does not fit sets |overflow|, and from then on nothing more is written,
 * so the caller checks once, at the end of a record, and drops the whole
 * record rather than emit half of one.  Commas between members and
 * elements are placed by the writer; the caller only opens, names and
 * closes.  Nesting is not checked: the caller's code is the grammar.
 */
#ifndef RDT_RUNTIME_JSONW_H
#define RDT_RUNTIME_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct rdt_jsonw {
	char *buf;
	size_t cap;
	size_t len;
	/* Something did not fit; the text is incomplete. */
	int overflow;
	/* The next member or element needs a comma before it. */
	int comma;
};

/* rdt_jsonw_init: write into |buf|[0, |cap|), borrowed while in use. */
void rdt_jsonw_init(struct rdt_jsonw *w, char *buf, size_t cap);

/* rdt_jsonw_raw appends |s| as it is: a separator or literal text the
 * caller knows to be valid where it goes (no comma is added). */
void rdt_jsonw_raw(struct rdt_jsonw *w, const char *s);

/* Open an object ('{') or array ('['), and close it ('}' or ']'). */
void rdt_jsonw_open(struct rdt_jsonw *w, char c);
void rdt_jsonw_close(struct rdt_jsonw *w, char c);

/* rdt_jsonw_key writes a member name; the next call writes its value.
 * |k| is written as it is: names are the program's own literals. */
void rdt_jsonw_key(struct rdt_jsonw *w, const char *k);

/*
 * rdt_jsonw_str writes |s| as a JSON string.  Quote, backslash and every
 * byte below 0x20 are escaped; so is every byte from 0x7F up, as \u00XX
 * (read as Latin-1): the output is valid JSON in plain ASCII whatever
 * bytes |s| holds (a program name need not be UTF-8).
 */
void rdt_jsonw_str(struct rdt_jsonw *w, const char *s);

void rdt_jsonw_u64(struct rdt_jsonw *w, uint64_t v);
void rdt_jsonw_bool(struct rdt_jsonw *w, int v);

/* rdt_jsonw_ms writes |ns| nanoseconds as milliseconds with three
 * decimals ("-1.500"): qlog's unit of time, to the microsecond. */
void rdt_jsonw_ms(struct rdt_jsonw *w, int64_t ns);

/* rdt_jsonw_hex64 writes |v| as a string of 16 hex digits. */
void rdt_jsonw_hex64(struct rdt_jsonw *w, uint64_t v);

#endif
