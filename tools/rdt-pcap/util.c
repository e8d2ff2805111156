/*
 * util.c: allocation, errors and option parsing for the rdt-pcap commands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "util/keyfile.h"

static void *or_die(void *p)
{
	if (!p) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(EXIT_USAGE);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	return or_die(calloc(n, size));
}

void *xrealloc(void *p, size_t size)
{
	return or_die(realloc(p, size));
}

void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max,
	      uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		warnx_("invalid %s: '%s' (expected %llu to %llu)", what, s,
		       (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

int add_port(uint16_t *ports, size_t *n, const char *s)
{
	uint64_t v;

	if (*n == MAX_PORTS) {
		warnx_("too many ports (at most %d)", MAX_PORTS);
		return -1;
	}
	if (parse_u64(s, "port", 1, 65535, &v) < 0)
		return -1;
	ports[(*n)++] = (uint16_t)v;
	return 0;
}

/* The key file format is src/util/keyfile.c's, as reliable-cat's and
 * rdt-run's.  No warning for a file others can read: rdt-pcap reads
 * captures, and the key file is the operator's. */
int read_psk_file(const char *path, uint8_t psk[32])
{
	mode_t mode;
	int rv = rdt_keyfile_read(path, psk, &mode);

	if (rv > 0)
		warnx_("--psk-file %s: %s", path, strerror(rv));
	else if (rv < 0)
		warnx_("--psk-file %s: expected a 32-byte key as 64 "
		       "hexadecimal digits (white space ignored), as "
		       "reliable-cat --psk-file reads it", path);
	return rv == 0 ? 0 : -1;
}
