/*
 * preload.h: what the files of librdt-preload.so share.  Nothing here is
 * part of librdt: the preload library is a program of its own that uses
 * the public API (rdt.h) and takes the place of the socket calls of the
 * program it is loaded into.
 *
 *   preload.c  the interposed calls and the table of rdt descriptors
 *   policy.c   which TCP sockets become rdt (RDT_RUN_PORTS,
 *              RDT_RUN_EXCLUDE), read once from the environment; also
 *              linked into rdt-run, which checks the lists
 */
#ifndef RDT_PRELOAD_PRELOAD_H
#define RDT_PRELOAD_PRELOAD_H

#include <sys/socket.h>

/* Reads the policy from the environment; called once, before any other
 * call below.  An item that does not parse is reported on stderr and
 * ignored, so a typo never turns into a silent fallback to TCP; returns
 * how many there were (rdt-run refuses to run with any). */
int rdt_preload_policy_init(void);

/* Should a socket whose service address is |addr| (the peer for a
 * connect, the local address for a listen) be rdt?  1 yes, 0 no. */
int rdt_preload_policy_wants(const struct sockaddr *addr, socklen_t len);

/* Does the policy ever say no?  When it never does (the default), the
 * decision at connect and listen is skipped. */
int rdt_preload_policy_restricted(void);

#endif
