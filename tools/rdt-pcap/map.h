/*
 * map.h: a bounded hash map from fixed-size keys to a size_t, for the
 * tables rdt-pcap keeps per capture (rdt flows, connection IDs).
 *
 * Open addressing with linear probing; the table doubles at half load and
 * never holds more than the |max| entries given at init, so a capture
 * full of junk cannot make it grow without bound.  Keys are compared
 * with memcmp: callers zero any padding.
 */
#ifndef RDT_PCAP_MAP_H
#define RDT_PCAP_MAP_H

#include <stddef.h>
#include <stdint.h>

struct map {
	size_t keylen;
	size_t max;
	size_t n;
	size_t cap;		/* slots; a power of two, or 0 */
	uint8_t *keys;		/* cap * keylen */
	size_t *vals;		/* cap; SIZE_MAX marks an empty slot */
};

void map_init(struct map *m, size_t keylen, size_t max);
void map_free(struct map *m);

/* map_get returns the value stored for |key|, or SIZE_MAX. */
size_t map_get(const struct map *m, const void *key);

/*
 * map_put stores |val| (not SIZE_MAX) for |key|, replacing any value.
 * Returns 0, or -1 when the map is full (|max| entries) or out of memory;
 * the map is then unchanged.
 */
int map_put(struct map *m, const void *key, size_t val);

#endif
