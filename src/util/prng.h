/*
 * prng.h: a small, fast, seedable generator for the tests, the simulator
 * and rdt-impair's reproducible impairments (xoshiro256**, seeded through
 * splitmix64).  Never used for anything that needs to be unpredictable;
 * the library itself does not use it.  In src/ so that the tools need
 * nothing from tests/.
 */
#ifndef RDT_UTIL_PRNG_H
#define RDT_UTIL_PRNG_H

#include <stdint.h>

struct prng {
	uint64_t s[4];
};

static inline uint64_t prng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static inline void prng_seed(struct prng *p, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		p->s[i] = prng_splitmix64(&seed);
}

static inline uint64_t prng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t prng_next(struct prng *p)
{
	uint64_t result = prng_rotl(p->s[1] * 5, 7) * 9;
	uint64_t t = p->s[1] << 17;

	p->s[2] ^= p->s[0];
	p->s[3] ^= p->s[1];
	p->s[1] ^= p->s[2];
	p->s[0] ^= p->s[3];
	p->s[2] ^= t;
	p->s[3] = prng_rotl(p->s[3], 45);
	return result;
}

/* A double uniformly distributed in [0, 1). */
static inline double prng_uniform(struct prng *p)
{
	return (double)(prng_next(p) >> 11) * (1.0 / 9007199254740992.0);
}

/* An integer uniformly distributed in [0, n); n > 0. */
static inline uint64_t prng_below(struct prng *p, uint64_t n)
{
	return (uint64_t)(prng_uniform(p) * (double)n);
}

#endif
