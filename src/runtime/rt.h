/*
 * rt.h: the runtime: UDP endpoints, the I/O thread, timers, and the
 * socket objects the api layer hands out.
 *
 * One background thread (the engine) waits in epoll on every UDP socket,
 * a timerfd armed to the earliest connection deadline, and an eventfd for
 * its own housekeeping.  It reads datagrams in batches (recvmmsg), hands
 * each to the connection its destination connection ID names, and sends
 * what the connections want to send (sendmmsg).  Application threads do
 * the same work for their own calls (a send queues bytes and transmits at
 * once), so a byte never waits for a thread switch.
 *
 * Locks, always taken in this order:
 *   1. a listener's |lock|, then one of its connections' (rdt_accept4,
 *      closing a listener); otherwise one socket's |lock| at a time;
 *   2. the engine lock: the connection ID tables, the timer heap, accept
 *      queues, endpoint reference counts and listeners' readiness;
 *   3. leaves taken under either: the pcap log's mutex.
 * The engine thread never holds a socket's lock while taking another
 * socket's, and no thread waits for the engine (ep_put) while holding a
 * socket's lock.
 *
 * Lifetime: sockets are reference-counted.  The api's descriptor table
 * holds one reference, the engine's registry (connection ID table, timer
 * heap, accept queue) another while the connection lives, and every
 * thread working on a socket holds one for the duration.
 *
 * Errors: every runtime function that can fail returns 0 (or a count) or
 * a negated errno, as the kernel's own calls do internally; a core or
 * wire code (RDT_ERR_*) never leaves the runtime unmapped, and the map is
 * src/api/errmap.c, the only one.
 */
#ifndef RDT_RUNTIME_RT_H
#define RDT_RUNTIME_RT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/conn.h"
#include "notify.h"
#include "timerheap.h"

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
#define RT_PKTINFO_SPACE 64

/* Counters of one UDP port (struct rdt_info's port_* fields). */
struct rdt_rt_port_stats {
	uint64_t received, sent;
	uint64_t drop_checksum, drop_malformed;
	uint64_t drop_unknown_cid, drop_no_listener, drop_backlog;
	uint64_t send_errors;
	/* ICMP port unreachable matching no connection (forged or late). */
	uint64_t drop_icmp;
	/* Address validation: RETRYs sent, INITs whose cookie checked, and
	 * INITs dropped for a cookie we never made. */
	uint64_t retry_sent, validated, drop_bad_cookie;
	/* RESETs naming a connection of this port from another address
	 * or port than that connection's peer (reset_from_elsewhere). */
	uint64_t drop_reset_addr;
	/* INITs refused for their key (RDT_PSK): sealed with another, or
	 * sealed or clear against the listener's choice. */
	uint64_t drop_auth;
};

struct rt_sock;
struct rdt_qlog;

/* A UDP socket and everything that shares its port. */
struct rt_endpoint {
	int fd;
	int family;
	struct sockaddr_storage local;
	socklen_t local_len;
	/* The UDP socket is connect()ed to a client's one peer, so ICMP
	 * errors reach it. */
	int connected;
	/* Bound to a wildcard address: received datagrams say which local
	 * address they were sent to (IP_PKTINFO), and replies leave from
	 * it. */
	int pktinfo;
	/* Sends trains of equal datagrams in one call (UDP GSO), until the
	 * kernel refuses one; atomic. */
	int gso;
	/* Engine lock: */
	unsigned refs;
	struct rt_sock *listener;
	struct rt_sock *client;
	int dead;			/* atomic; no references left */
	int waited;			/* a thread waits for closed */
	int closed;
	struct rt_endpoint *next;
	struct rdt_rt_port_stats stats;
};

/* Options a socket carries into the connections it makes or accepts. */
struct rt_opts {
	size_t sndbuf, rcvbuf, max_dgram;
	rdt_tstamp rcvtimeo, sndtimeo;	/* 0: wait forever */
	rdt_tstamp user_timeout, idle_timeout, keepidle;
	int keepalive, nodelay, reuseaddr, reuseport;
	int keepintvl_s, keepcnt;	/* TCP_KEEPINTVL, TCP_KEEPCNT */
	int quickack;
	int linger_on, linger_s;
	int validate_addr;		/* RDT_VALIDATE_ADDR */
	int use_psk;			/* RDT_PSK */
	uint8_t psk[32];
	int have_key;			/* RDT_KEY: our static key pair */
	uint8_t key_secret[32], key_public[32];
	int have_peer_key;		/* RDT_PEER_KEY: the server's */
	uint8_t peer_key[32];
	const struct rdt_cc_ops *cc;
};

enum rt_role {
	RT_FRESH,	/* created or bound */
	RT_LISTENING,
	RT_CONNECTION,	/* has a core connection (maybe failed or done) */
	RT_CLOSED_LISTENER,
};

struct rt_sock {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* broadcast when lingering */
	int refs;			/* atomic */

	struct rdt_notify notify;
	int has_fd;			/* notify is open */
	int family;
	enum rt_role role;
	struct rt_endpoint *ep;
	struct rdt_conn *conn;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* Accepted on a wildcard-bound port: the address the client
	 * reached, and the control message that sends from it. */
	struct sockaddr_storage local;
	socklen_t local_len;
	uint8_t pktinfo[RT_PKTINFO_SPACE];
	size_t pktinfo_len;
	struct rt_opts opt;
	int nonblock;
	/* The connection's error was returned once (SO_ERROR, a call). */
	int error_reported;
	int shut_rd, shut_wr;
	/* The application closed it; the connection finishes alone. */
	int orphan;
	/* rdt_close ran: calls that raced with it fail with EBADF. */
	int closed;
	/* An orphan still delivering its bytes (counted in the engine). */
	int draining;
	rdt_tstamp orphan_deadline;
	int lingering;
	/* Readiness hysteresis: the send buffer must drain to this much
	 * room before an unwritable socket turns writable again. */
	size_t wake_room;
	/* New bytes became readable since the last readiness update. */
	int new_data;
	/* Both directions of the pair were shut from the application's
	 * side (EPOLLHUP): it closed or shut down its descriptor. */
	int app_hup;
	/* notify.streaming, for lock-free readers (atomic). */
	int streaming;
	struct rt_sock *unwatched_next;		/* engine lock */

	/* Engine lock: */
	int registered;
	struct rdt_timer timer;
	uint64_t cid;
	struct rt_sock *cid_next;
	int server;			/* made by a listener */
	uint64_t init_scid;		/* server: the INIT's scid */
	struct rt_sock *init_next;
	struct rt_sock *parent;		/* listener, until accepted */
	int embryo;			/* in parent's handshake queue */
	int addr_validated;		/* its INIT brought a valid cookie */
	rdt_tstamp emb_since;		/* when it joined the handshake queue */
	struct rt_sock *emb_prev, *emb_next;
	int queued;			/* in parent's accept queue */
	struct rt_sock *q_next;
	/* Listener: its handshake queue (oldest first) and accept queue. */
	struct rt_sock *emb_head, *emb_tail;
	struct rt_sock *q_head, *q_tail;
	unsigned q_len, embryos, backlog;

	/* RDT_QLOG's trace of the connection, or NULL. */
	struct rdt_qlog *qlog;

	/* Engine thread only: */
	struct rt_sock *dirty_next;
	int dirty;
};

/* rdt_rt_now reads the monotonic clock the core's timestamps use. */
rdt_tstamp rdt_rt_now(void);

/* rdt_rt_start starts the engine once; returns 0 or -1 with errno. */
int rdt_rt_start(void);

/*
 * rdt_rt_sock_new makes a socket of |family| with a descriptor (notify pair).
 * Returns NULL with errno set.  The caller owns the one reference.
 */
struct rt_sock *rdt_rt_sock_new(int family, int cloexec);
void rdt_rt_sock_get(struct rt_sock *s);
void rdt_rt_sock_put(struct rt_sock *s);

/* The calls below take |s| locked and return 0 or -errno. */
int rdt_rt_bind(struct rt_sock *s, const struct sockaddr *addr, socklen_t len);
int rdt_rt_listen(struct rt_sock *s, int backlog);
int rdt_rt_connect(struct rt_sock *s, const struct sockaddr *addr, socklen_t len);

/*
 * rdt_rt_accept_pop takes the first established connection of listener |s|
 * (locked) and returns it with the queue's reference, or NULL.  Give it
 * back with rdt_rt_accept_unpop if it cannot be handed out.
 */
struct rt_sock *rdt_rt_accept_pop(struct rt_sock *s);
void rdt_rt_accept_unpop(struct rt_sock *s, struct rt_sock *child);
/* rdt_rt_accept_adopt gives an accepted connection (locked) its descriptor,
 * already opened in |child|->notify; drops the listener reference. */
void rdt_rt_accept_adopt(struct rt_sock *child);

/*
 * rdt_rt_service runs the connection's due timers, transmits what it wants
 * to send and brings its descriptor's readiness up to date.  Call it
 * with |s| locked after every change to the connection.
 */
void rdt_rt_service(struct rt_sock *s, rdt_tstamp now);

/* rdt_rt_app_wrote: the application just wrote bytes to |s|'s descriptor
 * (locked).  They are taken and transmitted on the caller's thread, not
 * after the engine's wakeup: a small write then costs no thread switch. */
void rdt_rt_app_wrote(struct rt_sock *s, rdt_tstamp now);

/*
 * rdt_rt_send_direct queues the |iovcnt| buffers at |iov| on |s|'s
 * connection (|s| locked) without passing them through the descriptor,
 * and transmits: a write through the pair wakes the engine, which a
 * ping-pong pays for on every message.  Only when that cannot reorder or
 * change anything: the stream runs, nothing the application wrote waits
 * in the pair, and the connection takes every byte at once.  Returns the
 * bytes queued, or -1 when the caller must write to the descriptor.
 */
ssize_t rdt_rt_send_direct(struct rt_sock *s, const struct iovec *iov,
			   size_t iovcnt, rdt_tstamp now);

/* rdt_rt_unlisten stops listener |s| (locked, but unlocked for a while):
 * queued connections are reset, blocked accepts wake. */
void rdt_rt_unlisten(struct rt_sock *s);

/* rdt_rt_close releases the application's hold on |s| (locked): listeners
 * stop and reset their queue, connections finish in the background.  A
 * stream another descriptor still holds goes on, and 1 is returned (else
 * 0), unless |exiting|: the process, and the library with it, is ending,
 * and the stream ends with what was written so far. */
int rdt_rt_close(struct rt_sock *s, int exiting);

/*
 * rdt_rt_exit_drain, at process exit after every descriptor was closed,
 * waits up to |wait| for orphans to deliver their bytes, then resets
 * every connection still open so peers learn of it at once.
 */
void rdt_rt_exit_drain(rdt_tstamp wait);

/*
 * rdt_rt_set_forget installs the api's |forget|, which the runtime calls
 * (with |s| locked and referenced) when the application closed |s|'s
 * descriptor with close(2): the api drops its table entry.
 */
void rdt_rt_set_forget(void (*forget)(struct rt_sock *s));

/* rdt_rt_port_stats copies the counters of |s|'s port (zeros if none). */
void rdt_rt_port_stats(const struct rt_sock *s, struct rdt_rt_port_stats *out);

/* rdt_rt_conn_config builds the core configuration from |opt|. */
void rdt_rt_conn_config(const struct rt_opts *opt, struct rdt_conn_config *cfg);

/* rdt_rt_opts_default fills the defaults documented in rdt.h. */
void rdt_rt_opts_default(struct rt_opts *opt);

#endif
