/*
 * mem.h: allocator injection.  The core allocates only through a
 * struct rdt_mem handed to it, so tests can count allocations and fail the
 * Nth one.
 */
#ifndef RDT_CORE_MEM_H
#define RDT_CORE_MEM_H

#include <stddef.h>

struct rdt_mem {
	/* Opaque pointer passed back to every hook. */
	void *user_data;
	void *(*malloc)(size_t size, void *user_data);
	void (*free)(void *ptr, void *user_data);
	void *(*calloc)(size_t nmemb, size_t size, void *user_data);
	void *(*realloc)(void *ptr, size_t size, void *user_data);
};

/* rdt_mem_default returns the libc allocator wrapped as a struct rdt_mem. */
const struct rdt_mem *rdt_mem_default(void);

static inline void *rdt_mem_malloc(const struct rdt_mem *mem, size_t size)
{
	return mem->malloc(size, mem->user_data);
}

static inline void *rdt_mem_calloc(const struct rdt_mem *mem, size_t n,
				   size_t size)
{
	return mem->calloc(n, size, mem->user_data);
}

static inline void *rdt_mem_realloc(const struct rdt_mem *mem, void *ptr,
				    size_t size)
{
	return mem->realloc(ptr, size, mem->user_data);
}

static inline void rdt_mem_free(const struct rdt_mem *mem, void *ptr)
{
	mem->free(ptr, mem->user_data);
}

#endif
