/*
 * engine_int.h: the inside of the runtime, shared by its files and by
 * nothing outside src/runtime (rt.h is the runtime's face to the api).
 *
 *   engine.c      the engine's state, its thread, epoll set and timers
 *   recv.c        the receive path: datagrams and ICMP errors in
 *   sock_calls.c  bind, listen, connect, accept, close, exit drain
 *   sock.c        socket objects; servicing a connection
 *   registry.c    connection ID -> socket, handshake queues
 *   endpoint.c    UDP ports and batched transmission
 *
 * Calls go down this list, with one loop: the engine thread services
 * sockets (engine.c -> sock.c), and servicing a socket rearms the
 * engine's timer and epoll set (sock.c -> engine.c).  endpoint.c wakes
 * the thread to close a port, and registry.c takes references with
 * rdt_rt_sock_get; nothing else calls up.  The state (struct engine)
 * belongs to engine.c.
 *
 * Every symbol declared here leaves its file, so it carries the rdt_rt_
 * prefix: librdt.a must define no unprefixed global.
 */
#ifndef RDT_RUNTIME_ENGINE_INT_H
#define RDT_RUNTIME_ENGINE_INT_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/admit.h"
#include "pcaplog.h"
#include "qlog.h"
#include "rt.h"
#include "wire/pkt.h"

/* Datagrams per recvmmsg/sendmmsg call. */
#define BATCH 64

struct engine {
	pthread_mutex_t lock;
	pthread_cond_t reaped;
	pthread_cond_t drained;
	pthread_once_t once;
	/* This process is a fork of one that used rdt. */
	int forked;
	/* Orphans still delivering their bytes (rdt_rt_exit_drain waits). */
	unsigned draining;
	/* Paces the RESETs answering datagrams nobody claimed (admit.h). */
	struct rdt_admit_limiter reset_limiter;
	int start_errno;
	pthread_t thread;
	int epfd, timerfd, wakefd;
	rdt_tstamp armed;
	struct rdt_timerheap heap;
	/* Connection ID -> socket, and INIT scid -> server socket. */
	struct rt_sock **cids, **inits;
	size_t nbuckets, nconns;
	struct rt_endpoint *endpoints;
	/* Endpoints whose last reference is gone, to be closed. */
	struct rt_endpoint *dying;
	/* RDT_PCAP: every datagram sent and received, or NULL. */
	struct rdt_pcaplog *pcap;
	/* RDT_QLOG: the directory of the connections' traces, or NULL. */
	const char *qlog_dir;
	/* RDT_GSO=0: no segmentation offload (GSO) nor receive offload
	 * (GRO), to compare or to get past a path that mishandles them. */
	int no_offload;
	/* The engine thread's receive buffers. */
	uint8_t (*rxbuf)[RDT_PKT_MAX_DGRAM + 1];
	/* Sockets taken out of epoll whose reference the engine thread
	 * drops once no event of its current batch can name them. */
	struct rt_sock *unwatched;
	/* The api's: forget a descriptor the application closed. */
	void (*forget)(struct rt_sock *s);
};

/* Defined in engine.c; the short name keeps the code readable. */
extern struct engine rdt_rt_eng;
#define eng rdt_rt_eng

/* Set on the engine thread: a call from it must not wait for itself. */
extern __thread int rdt_rt_in_engine;

static inline void stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* --- engine.c ----------------------------------------------------------- */

void rdt_rt_engine_wake(void);
/* |s| locked. */
void rdt_rt_watch(struct rt_sock *s);
/* Add EPOLLOUT once the pair toward the application is full. */
void rdt_rt_watch_out(struct rt_sock *s);
void rdt_rt_unwatch(struct rt_sock *s);
/* Takes the engine lock. */
void rdt_rt_timer_update(struct rt_sock *s);

/* --- recv.c ------------------------------------------------------------- */

/* Engine thread only. */
void rdt_rt_read_endpoint(struct rt_endpoint *ep, uint32_t events);

/* --- sock.c ------------------------------------------------------------- */

struct rt_sock *rdt_rt_sock_alloc(int family, const struct rt_opts *opt);
/* Engine lock held. */
void rdt_rt_listener_signal(struct rt_sock *l);
/* |s| locked. */
void rdt_rt_orphan(struct rt_sock *s);
/* RDT_QLOG: a trace for |s|'s new connection (|s| locked); a no-op
 * when RDT_QLOG is unset.  A server's connection was made from |init|,
 * |init_len| bytes, which the trace records as its first packet. */
void rdt_rt_qlog_attach(struct rt_sock *s, const struct rdt_pkt *init,
			size_t init_len, rdt_tstamp now);

/* --- registry.c: engine lock held ---------------------------------------- */

int rdt_rt_registry_add(struct rt_sock *s, int server);
void rdt_rt_registry_remove(struct rt_sock *s);
void rdt_rt_embryo_link(struct rt_sock *l, struct rt_sock *s);
void rdt_rt_embryo_unlink(struct rt_sock *s);
struct rt_sock *rdt_rt_lookup_cid(uint64_t cid, const struct rt_endpoint *ep);
struct rt_sock *rdt_rt_lookup_init(uint64_t scid, const struct rt_endpoint *ep,
				   const struct sockaddr_storage *from,
				   socklen_t fromlen);
int rdt_rt_same_addr(const struct sockaddr_storage *a, socklen_t alen,
		     const struct sockaddr_storage *b, socklen_t blen);

/* --- endpoint.c --------------------------------------------------------- */

struct rt_endpoint *rdt_rt_ep_open(int family, const struct sockaddr *addr,
				   socklen_t len, const struct sockaddr *peer,
				   socklen_t peerlen, int *err);
int rdt_rt_ep_connect(struct rt_endpoint *ep, const struct sockaddr *peer,
		      socklen_t len);
void rdt_rt_ep_put(struct rt_endpoint *ep);
void rdt_rt_reap_dying_endpoints(void);
int rdt_rt_ep_dead(const struct rt_endpoint *ep);
void rdt_rt_flush(struct rt_sock *s, rdt_tstamp now);
void rdt_rt_pcap_record(const void *src, const void *dst, const uint8_t *dg,
			size_t len);

#endif
