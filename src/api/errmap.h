/*
 * errmap.h: the one place where core error codes become errno values.
 */
#ifndef RDT_API_ERRMAP_H
#define RDT_API_ERRMAP_H

/* rdt_errno_from returns the errno for an RDT_ERR_* code (negative). */
int rdt_errno_from(int code);

#endif
