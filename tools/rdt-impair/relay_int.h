/*
 * relay_int.h: the inside of rdt-impair's relay, shared by relay.c (the
 * loop and the receive path), relay_send.c (the send path), relay_flow.c
 * (the flow table) and relay_control.c (the control FIFO).  Nothing else includes it.
 */
#ifndef RDT_IMPAIR_RELAY_INT_H
#define RDT_IMPAIR_RELAY_INT_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "relay.h"

/* Datagrams per recvmmsg/sendmmsg. */
#define BATCH 64
/* Batches read from one socket before the loop turns again. */
#define RX_ROUNDS 4
/* Largest read: a UDP payload, or GRO's datagrams glued together. */
#define MAX_DGRAM 65535
/* Socket buffers asked for: room for a burst at several Gbit/s. */
#define SOCK_BUF (8 * 1024 * 1024)
/* r->armed after the timer fired: matches no deadline arm() is given
 * (those are clock readings or UINT64_MAX). */
#define TIMER_FIRED (UINT64_MAX - 1)
/* 64-bit words for a read's control messages: a timestamp, a GRO size. */
#define RX_CTL_WORDS ((CMSG_SPACE(sizeof(struct timespec)) + \
		       CMSG_SPACE(sizeof(int))) / sizeof(uint64_t) + 1)
/* Longest control line. */
#define CONTROL_LINE 4096

/* What an epoll event is about: the kind in the top half of data.u64,
 * the flow slot in the bottom half. */
enum { EV_LISTEN = 1, EV_TIMER, EV_SIGNAL, EV_CONTROL, EV_FLOW };
#define EV(kind, slot) (((uint64_t)(kind) << 32) | (uint32_t)(slot))

struct flow {
	struct sockaddr_storage client;
	socklen_t client_len;
	int fd;			/* -1: slot free */
	uint32_t gen;		/* bumped each time the slot is reused */
	uint64_t last_active;
	struct flow *hnext;	/* hash chain */
	unsigned slot;
};

struct relay {
	const struct relay_opts *o;
	struct impair **dir;
	struct relay_stats *rs;
	int ep, lfd, tfd, sfd, cfd;
	int control_created;
	uint64_t armed;		/* timer deadline set, UINT64_MAX: none */

	struct flow *flows;
	unsigned *free_slots;
	unsigned nfree;
	struct flow **buckets;
	unsigned nbuckets;	/* a power of two */
	unsigned nflows;
	int warned_flow_socket;
	int gso;		/* send with UDP_SEGMENT until refused */

	/* The fd a direction waits on to become writable, or -1. */
	int blocked[DIR_COUNT];

	char line[CONTROL_LINE + 1];
	size_t line_len;
	int line_too_long;

	/* Receive buffers: BATCH datagrams of the largest size. */
	uint8_t (*rx)[MAX_DGRAM];
	struct sockaddr_storage rx_addr[BATCH];
	struct iovec rx_iov[BATCH];
	struct mmsghdr rx_msg[BATCH];
	/* Room for the SO_TIMESTAMPNS and UDP_GRO control messages. */
	uint64_t rx_ctl[BATCH][RX_CTL_WORDS];
	uint64_t last_arrival[DIR_COUNT];
};

/* relay.c */
uint64_t now_ns(void);
void warn(const char *what);
void tune_socket(int fd);
int add_fd(struct relay *r, int fd, uint64_t tag);

/* relay_send.c */
void release(struct relay *r, int d, uint64_t now);
void want_out(struct relay *r, int d, int fd, uint64_t tag, int on);

/* relay_flow.c */
uint64_t flow_tag(const struct flow *f);
struct flow *flow_by_tag(struct relay *r, uint64_t tag);
struct flow *flow_find(struct relay *r,
		       const struct sockaddr_storage *client);
struct flow *flow_open(struct relay *r,
		       const struct sockaddr_storage *client,
		       socklen_t client_len, uint64_t now);
void flow_close(struct relay *r, struct flow *f);
void flows_reap(struct relay *r, uint64_t now);

/* relay_control.c */
void control_read(struct relay *r);
int control_open(struct relay *r);

#endif
