/*
 * map.c: the bounded open-addressing hash map of map.h.  FNV-1a hashes
 * the key bytes; there is no removal, so probing needs no tombstones.
 */
#include <stdlib.h>
#include <string.h>

#include "map.h"

#define MAP_MIN_CAP 64

static uint64_t hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

void map_init(struct map *m, size_t keylen, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->keylen = keylen;
	m->max = max;
}

void map_free(struct map *m)
{
	free(m->keys);
	free(m->vals);
	map_init(m, m->keylen, m->max);
}

/* The slot holding |key|, or the empty slot where it would go. */
static size_t slot(const struct map *m, const void *key)
{
	size_t i = (size_t)hash(key, m->keylen) & (m->cap - 1);

	while (m->vals[i] != SIZE_MAX &&
	       memcmp(m->keys + i * m->keylen, key, m->keylen) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

size_t map_get(const struct map *m, const void *key)
{
	if (m->cap == 0)
		return SIZE_MAX;
	return m->vals[slot(m, key)];
}

static int grow(struct map *m)
{
	size_t cap = m->cap ? m->cap * 2 : MAP_MIN_CAP, i;
	struct map bigger = *m;

	bigger.cap = cap;
	bigger.keys = malloc(cap * m->keylen);
	bigger.vals = malloc(cap * sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -1;
	}
	for (i = 0; i < cap; i++)
		bigger.vals[i] = SIZE_MAX;
	for (i = 0; i < m->cap; i++) {
		const uint8_t *k = m->keys + i * m->keylen;
		size_t j;

		if (m->vals[i] == SIZE_MAX)
			continue;
		j = slot(&bigger, k);
		memcpy(bigger.keys + j * m->keylen, k, m->keylen);
		bigger.vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	*m = bigger;
	return 0;
}

int map_put(struct map *m, const void *key, size_t val)
{
	size_t i;

	if (m->cap) {
		i = slot(m, key);
		if (m->vals[i] != SIZE_MAX) {
			m->vals[i] = val;
			return 0;
		}
	}
	if (m->n >= m->max)
		return -1;
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -1;
	i = slot(m, key);
	memcpy(m->keys + i * m->keylen, key, m->keylen);
	m->vals[i] = val;
	m->n++;
	return 0;
}
