/*
 * fail_mem.h: a struct rdt_mem for allocation-failure tests.  It counts
 * the blocks still live (so a test can check that everything allocated
 * was freed) and fails exactly the Nth allocation call.
 *
 * Every malloc, calloc and realloc call counts, from 1, whether or not it
 * succeeds; the call numbered |fail_at| returns NULL without allocating
 * and bumps |failed|.  fail_at == 0 never fails.  realloc(NULL, ...) is a
 * new live block; realloc of a block keeps the count; free(NULL) is a
 * no-op.
 */
#ifndef RDT_TEST_FAIL_MEM_H
#define RDT_TEST_FAIL_MEM_H

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct fail_mem {
	struct rdt_mem mem;	/* hand &fm->mem to the code under test */
	unsigned long calls;	/* allocation calls so far */
	unsigned long fail_at;	/* fail exactly this call; 0: never */
	unsigned long failed;	/* calls made to fail */
	long live;		/* blocks not yet freed */
};

/* Counts one allocation call; returns 1 if it is the one to fail. */
static inline int fail_mem_fail(struct fail_mem *fm)
{
	fm->calls++;
	if (fm->fail_at != 0 && fm->calls == fm->fail_at) {
		fm->failed++;
		return 1;
	}
	return 0;
}

static inline void *fail_mem_malloc(size_t size, void *user_data)
{
	struct fail_mem *fm = user_data;
	void *p;

	if (fail_mem_fail(fm))
		return NULL;
	p = malloc(size);
	if (p)
		fm->live++;
	return p;
}

static inline void *fail_mem_calloc(size_t nmemb, size_t size,
				    void *user_data)
{
	struct fail_mem *fm = user_data;
	void *p;

	if (fail_mem_fail(fm))
		return NULL;
	p = calloc(nmemb, size);
	if (p)
		fm->live++;
	return p;
}

static inline void *fail_mem_realloc(void *ptr, size_t size,
				     void *user_data)
{
	struct fail_mem *fm = user_data;
	void *p;

	if (fail_mem_fail(fm))
		return NULL;
	p = realloc(ptr, size);
	if (p && !ptr)
		fm->live++;
	return p;
}

static inline void fail_mem_free(void *ptr, void *user_data)
{
	struct fail_mem *fm = user_data;

	if (ptr) {
		fm->live--;
		free(ptr);
	}
}

/* Zeroes |fm| and points its hooks at it; |fail_at| as in the struct. */
static inline void fail_mem_init(struct fail_mem *fm, unsigned long fail_at)
{
	memset(fm, 0, sizeof(*fm));
	fm->fail_at = fail_at;
	fm->mem.user_data = fm;
	fm->mem.malloc = fail_mem_malloc;
	fm->mem.free = fail_mem_free;
	fm->mem.calloc = fail_mem_calloc;
	fm->mem.realloc = fail_mem_realloc;
}

#endif
