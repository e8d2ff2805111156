/*
 * mem.c: the default allocator, libc behind the struct rdt_mem hooks.
 */
#include <stdlib.h>

#include "mem.h"

static void *default_malloc(size_t size, void *user_data)
{
	(void)user_data;
	return malloc(size);
}

static void default_free(void *ptr, void *user_data)
{
	(void)user_data;
	free(ptr);
}

static void *default_calloc(size_t nmemb, size_t size, void *user_data)
{
	(void)user_data;
	return calloc(nmemb, size);
}

static void *default_realloc(void *ptr, size_t size, void *user_data)
{
	(void)user_data;
	return realloc(ptr, size);
}

static const struct rdt_mem default_mem = {
	NULL, default_malloc, default_free, default_calloc, default_realloc,
};

const struct rdt_mem *rdt_mem_default(void)
{
	return &default_mem;
}
