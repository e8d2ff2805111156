/*
 * api.h: what the files of the api layer share (table.c).  Nothing here
 * is exported from the shared library; the rdt_api_ prefix keeps the
 * static library's globals out of the application's names.
 *
 * Calls on a socket follow one pattern: s = rdt_api_sock_lock(fd), which
 * returns it referenced and locked (or NULL with errno set), then
 * return rdt_api_finish(s, -errno or 0, result).
 */
#ifndef RDT_API_API_H
#define RDT_API_API_H

#include <sys/types.h>

#include "runtime/rt.h"

/* Installs the fork and exit hooks once per process. */
void rdt_api_process_init(void);

/* The table from descriptor to socket (the table's own reference). */
int rdt_api_table_add(int fd, struct rt_sock *s);
struct rt_sock *rdt_api_table_take(int fd);

/* The socket behind |fd| or a dup(2) of it, referenced, or NULL. */
struct rt_sock *rdt_api_lookup(int fd);
/* Sets errno as the kernel would for a descriptor that is not ours. */
void rdt_api_not_ours(int fd);
struct rt_sock *rdt_api_sock_lock(int fd);
ssize_t rdt_api_finish_ssize(struct rt_sock *s, int err, ssize_t rc);
int rdt_api_finish(struct rt_sock *s, int err, int rc);

/* Waiting on the descriptor, with |s| locked (unlocked meanwhile). */
rdt_tstamp rdt_api_deadline_after(rdt_tstamp timeo);
int rdt_api_wait_ready(struct rt_sock *s, short events, rdt_tstamp deadline);

/* The connection's failure as errno, once (as TCP's sk_err). */
int rdt_api_take_error(struct rt_sock *s);
int rdt_api_nonblocking(const struct rt_sock *s);
/* Has a peer, as getpeername(2) sees it on TCP. */
int rdt_api_connected(const struct rt_sock *s);

#endif
