/*
 * util.h: what every rdt-pcap command shares: allocation that cannot
 * fail silently, one-line errors, and number parsing for options.
 */
#ifndef RDT_PCAP_UTIL_H
#define RDT_PCAP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG "rdt-pcap"

/* Exit codes shared by the commands (see docs/rdt-pcap.1). */
#define EXIT_VIOLATIONS 1
#define EXIT_USAGE 2

/* Allocation that exits with status EXIT_USAGE and a message when
 * memory runs out: a checker without memory has no answer to give. */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* "rdt-pcap: MESSAGE" on stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * parse_u64 reads a decimal (or 0x-prefixed hexadecimal) number in
 * [min, max] from |s| into |*out|; returns 0, or -1 after printing
 * "rdt-pcap: invalid WHAT: S" on stderr.
 */
int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max,
	      uint64_t *out);

/* Writes |s| to |f| as a JSON string, quotes included. */
void json_str(FILE *f, const char *s);

/* The most ports one command line may select. */
#define MAX_PORTS 64

/* Parses PORT (1-65535) from |s| and appends it to |ports| (MAX_PORTS
 * entries, |*n| used); returns 0 or -1 after a message. */
int add_port(uint16_t *ports, size_t *n, const char *s);

/*
 * read_psk_file reads the encrypted mode's pre-shared key from |path|
 * into |psk| (32 bytes): 64 hexadecimal digits, white space anywhere
 * ignored, as reliable-cat --psk-file reads it.  Returns 0, or -1 after
 * a message saying what a key file holds.
 */
int read_psk_file(const char *path, uint8_t psk[32]);

#endif
