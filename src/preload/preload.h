/*
 * preload.h: what the files of librdt-preload.so share.  Nothing here is
 * part of librdt: the preload library is a program of its own that uses
 * the public API (rdt.h) and takes the place of the socket calls of the
 * program it is loaded into.
 *
 *   preload.c  the interposed calls that make, connect and end sockets
 *   options.c  getsockopt and setsockopt, and the fallback to TCP
 *   fdtable.c  the table of rdt descriptors
 *   policy.c   which TCP sockets become rdt (RDT_RUN_PORTS,
 *              RDT_RUN_EXCLUDE), read once from the environment; also
 *              linked into rdt-run, which checks the lists
 */
#ifndef RDT_PRELOAD_PRELOAD_H
#define RDT_PRELOAD_PRELOAD_H

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

/* Exported: the interposers carry libc's names.  Everything else in
 * this object is hidden by -fvisibility=hidden. */
#define EXPORT __attribute__((visibility("default")))

/* --- preload.c ------------------------------------------------------------ */

/* The C library's functions the other files call (dlsym(RTLD_NEXT)). */
extern int (*real_socket)(int, int, int);
extern int (*real_bind)(int, const struct sockaddr *, socklen_t);
extern int (*real_getsockopt)(int, int, int, void *, socklen_t *);
extern int (*real_setsockopt)(int, int, int, const void *, socklen_t);
extern int (*real_close)(int);
extern int (*real_dup3)(int, int, int);
extern int (*real_fcntl)(int, int, ...);

/* Every interposer starts here (resolves the real functions once). */
void preload_ready(void);

/* Set while this thread is inside librdt: its calls go to libc. */
extern __thread int in_lib __attribute__((tls_model("initial-exec")));

/* Evaluates |call| (an rdt_* call) with in_lib set. */
#define RDT(call)                                                          \
	({                                                                 \
		__typeof__(call) rc_;                                      \
		in_lib++;                                                  \
		rc_ = (call);                                              \
		in_lib--;                                                  \
		rc_;                                                       \
	})


/* --- fdtable.c ------------------------------------------------------------ */

/* What a descriptor of ours is doing; decides how close ends it. */
enum role {
	ROLE_NEW = 1,	/* created, not yet listening or connecting */
	ROLE_LISTENER,
	ROLE_CONN,	/* connecting, connected or accepted */
};

struct entry {
	unsigned char role;	/* enum role; 0: not an rdt descriptor */
	unsigned char bound;	/* bind succeeded: a fallback binds too */
	unsigned char any_port;	/* ... and asked for port 0 */
	unsigned char linger;	/* SO_LINGER set: close through rdt_close */
	unsigned char v6only;	/* IPV6_V6ONLY as last set (not honoured) */
	int domain;
	/* The file the number named when the entry was made: a number
	 * closed behind our back (close_range, a race with close) and
	 * reused for another file is told apart by it. */
	dev_t dev;
	ino_t ino;
	/* For a forked child, where librdt no longer answers. */
	struct sockaddr_in6 local, peer;
	socklen_t local_len, peer_len;
};

/* Copies |fd|'s entry to |e|; 1 if |fd| is an rdt socket of ours. */
int entry_get(int fd, struct entry *e);
/* Stores |e| as |fd|'s entry; -1 if the table cannot grow. */
int entry_put(int fd, const struct entry *e);
void entry_clear(int fd);

/* --- options.c ------------------------------------------------------------ */

/* Turns the unconnected rdt socket |fd| into a kernel TCP socket under
 * the same number; 0, or -1 with errno. */
int fallback_tcp(int fd, const struct entry *e);

/* Copies a remembered address out as getsockname(2) does. */
int put_addr(struct sockaddr *addr, socklen_t *len,
	     const struct sockaddr_in6 *a, socklen_t alen);

/* --- policy.c ------------------------------------------------------------- */


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

/*
 * The encrypted mode under rdt-run --psk-file: the environment names the
 * key file (never the key).  rdt_preload_key_apply gives every new rdt
 * socket the key; it returns 0, or -1 with errno set if the file named
 * cannot be used, and then the socket must not be used either: falling
 * back to clear would be silent.
 */
#define RDT_PRELOAD_PSK_ENV "RDT_RUN_PSK_FILE"
/* rdt-run --key and --peer-key: the public-key handshake's files, the
 * static secret key for listeners and the server's public key for
 * connections. */
#define RDT_PRELOAD_KEY_ENV "RDT_RUN_KEY_FILE"
#define RDT_PRELOAD_PEER_KEY_ENV "RDT_RUN_PEER_KEY_FILE"
int rdt_preload_key_apply(int fd);

#endif
