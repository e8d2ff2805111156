/*
 * version.c: rdt_version(), which reports the version the library was
 * built as (from include/rdt.h), not the one a program was compiled
 * against.
 */
#include "rdt.h"

const char *rdt_version(void)
{
	return RDT_VERSION_STRING;
}
