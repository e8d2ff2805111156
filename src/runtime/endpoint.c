/*
 * endpoint.c: UDP endpoints (one per port, shared by its listener and
 * connections) and batched transmission.
 *
 *   rdt_rt_ep_open/ep_connect   sock_calls.c (bind, listen, connect)
 *   rdt_rt_ep_put               sock.c (the last socket on a port lets go)
 *   rdt_rt_reap_dying_endpoints engine.c, between batches
 *   rdt_rt_ep_dead              recv.c: a port closed mid-batch
 *   rdt_rt_flush                sock.c (rdt_rt_service): what the
 *                               connection wants to send, by sendmmsg
 *   rdt_rt_pcap_record          here and recv.c: the RDT_PCAP log
 *
 * Calls out only to the core (rdt_conn_write_pkt, rdt_conn_refused) and
 * to engine.c, to wake the thread that must close a port.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"

/* Socket buffer we ask the kernel for on every UDP socket: a burst of a
 * full window must not overflow it on loopback. */
#define UDP_BUFFER (8 << 20)
/* See rdt_rt_flush. */
#define APP_FLUSH_BATCHES 4

/* Records one datagram in the RDT_PCAP file, if there is one. */
void rdt_rt_pcap_record(const void *src, const void *dst, const uint8_t *dg,
			size_t len)
{
	if (eng.pcap == NULL)
		return;
	/* The log takes the time under its own lock, so the records'
	 * order and their timestamps agree. */
	rdt_pcaplog_write(eng.pcap, NULL, src, dst, dg, len);
}

/* --- endpoints ---------------------------------------------------------- */

static void set_buffer(int fd, int force_opt, int opt)
{
	int size = UDP_BUFFER;

	/* The FORCE variants pass net.core.[rw]mem_max for root. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * Connects |ep|'s UDP socket to a client's one peer, so the kernel
 * filters strangers and reports ICMP errors (ECONNREFUSED) to us.
 * Returns 0 or -errno.
 */
int rdt_rt_ep_connect(struct rt_endpoint *ep, const struct sockaddr *peer,
		      socklen_t len)
{
	if (connect(ep->fd, peer, len) != 0)
		return -errno;
	ep->connected = 1;
	/* connect(2) bound the ephemeral port and picked the source
	 * address: rdt_getsockname reports them. */
	ep->local_len = sizeof(ep->local);
	getsockname(ep->fd, (struct sockaddr *)&ep->local, &ep->local_len);
	return 0;
}

/*
 * Opens a UDP socket of |family| bound to |addr| (or to an ephemeral port
 * when NULL) and, if |peer| is not NULL, connected to it before the
 * engine starts reading it.  Returns the endpoint with one reference, or
 * NULL with *|err| = -errno.
 */
struct rt_endpoint *rdt_rt_ep_open(int family, const struct sockaddr *addr,
				   socklen_t len, const struct sockaddr *peer,
				   socklen_t peerlen, int *err)
{
	struct rt_endpoint *ep;
	struct epoll_event ev;
	int fd;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	if (addr != NULL && bind(fd, addr, len) != 0) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	ep = calloc(1, sizeof(*ep));
	if (ep == NULL) {
		*err = -ENOMEM;
		close(fd);
		return NULL;
	}
	ep->fd = fd;
	ep->family = family;
	ep->refs = 1;
	ep->local_len = sizeof(ep->local);
	getsockname(fd, (struct sockaddr *)&ep->local, &ep->local_len);
	if (peer != NULL) {
		*err = rdt_rt_ep_connect(ep, peer, peerlen);
		if (*err) {
			close(fd);
			free(ep);
			return NULL;
		}
	}
	if (is_wildcard(&ep->local)) {
		int one = 1;

		ep->pktinfo = family == AF_INET ?
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				   sizeof(one)) == 0 :
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one)) == 0;
	}
	{
		int one = 1;

		/* ICMP errors with the address and the quoted datagram, on
		 * unconnected ports too: how a dead peer is noticed
		 * (read_errors, recv.c). */
		if (family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
					 sizeof(one));
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one,
				 sizeof(one));
		/* Trains of datagrams in one send and one receive (GSO and
		 * GRO): the kernel's cost per datagram is most of rdt's on a
		 * fast path.  A kernel without GRO just never coalesces. */
		if (!eng.no_offload) {
			ep->gso = 1;
			(void)setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one,
					 sizeof(one));
		}
	}
	ev.events = EPOLLIN;
	ev.data.ptr = ep;
	if (epoll_ctl(eng.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		*err = -errno;
		close(fd);
		free(ep);
		return NULL;
	}
	pthread_mutex_lock(&eng.lock);
	ep->next = eng.endpoints;
	eng.endpoints = ep;
	pthread_mutex_unlock(&eng.lock);
	return ep;
}

/*
 * The last reference gone, the UDP socket must close, but the engine
 * thread may be in the middle of a batch read from it (and may still send
 * through it in that batch): only the engine closes it, after the batch,
 * so the descriptor number cannot be reused under its feet.  Another
 * thread waits for that, so the port is free when rdt_close returns, as
 * a TCP port would be.
 */
void rdt_rt_ep_put(struct rt_endpoint *ep)
{
	struct rt_endpoint **pp;

	pthread_mutex_lock(&eng.lock);
	if (--ep->refs > 0) {
		pthread_mutex_unlock(&eng.lock);
		return;
	}
	__atomic_store_n(&ep->dead, 1, __ATOMIC_RELEASE);
	for (pp = &eng.endpoints; *pp; pp = &(*pp)->next)
		if (*pp == ep) {
			*pp = ep->next;
			break;
		}
	ep->next = eng.dying;
	eng.dying = ep;
	if (rdt_rt_in_engine) {
		/* Freed by rdt_rt_reap_dying_endpoints after the batch. */
		pthread_mutex_unlock(&eng.lock);
		return;
	}
	ep->waited = 1;
	rdt_rt_engine_wake();
	while (!ep->closed)
		pthread_cond_wait(&eng.reaped, &eng.lock);
	pthread_mutex_unlock(&eng.lock);
	free(ep);
}

/* Engine thread, between batches: close the UDP sockets of dead
 * endpoints; free those nobody waits for. */
void rdt_rt_reap_dying_endpoints(void)
{
	struct rt_endpoint *ep, *next;

	pthread_mutex_lock(&eng.lock);
	ep = eng.dying;
	eng.dying = NULL;
	for (; ep; ep = next) {
		next = ep->next;
		epoll_ctl(eng.epfd, EPOLL_CTL_DEL, ep->fd, NULL);
		close(ep->fd);
		ep->closed = 1;
		if (!ep->waited)
			free(ep);
	}
	pthread_cond_broadcast(&eng.reaped);
	pthread_mutex_unlock(&eng.lock);
}

int rdt_rt_ep_dead(const struct rt_endpoint *ep)
{
	return __atomic_load_n(&ep->dead, __ATOMIC_ACQUIRE);
}

void rdt_rt_port_stats(const struct rt_sock *s, struct rdt_rt_port_stats *out)
{
	const struct rdt_rt_port_stats *in;

	memset(out, 0, sizeof(*out));
	if (s->ep == NULL)
		return;
	in = &s->ep->stats;
#define COPY(f) out->f = __atomic_load_n(&in->f, __ATOMIC_RELAXED)
	COPY(received);
	COPY(sent);
	COPY(drop_checksum);
	COPY(drop_malformed);
	COPY(drop_unknown_cid);
	COPY(drop_no_listener);
	COPY(drop_backlog);
	COPY(send_errors);
	COPY(drop_icmp);
	COPY(retry_sent);
	COPY(validated);
	COPY(drop_bad_cookie);
	COPY(drop_reset_addr);
#undef COPY
}

/* --- transmission ------------------------------------------------------- */

/* Room for a PKTINFO and a UDP_SEGMENT control message together. */
#define TRAIN_CTRL (RT_PKTINFO_SPACE + CMSG_SPACE(sizeof(uint16_t)))
/* A GSO train: at most the kernel's UDP_MAX_SEGMENTS datagrams, and one
 * IP datagram's worth of payload. */
#define TRAIN_MAX_SEGS 64
#define TRAIN_MAX_BYTES 65000

/* One batch: datagrams written back to back in |data|, each with its
 * own message (the RDT_PCAP log, and sending one by one), and the same
 * bytes grouped into trains of equal-size datagrams for GSO. */
struct txbuf {
	size_t dgram_cap;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr trains[BATCH];
	struct iovec train_iov[BATCH];
	unsigned train_first[BATCH];
	uint8_t train_ctrl[BATCH][TRAIN_CTRL]
		__attribute__((aligned(__alignof__(struct cmsghdr))));
	uint8_t data[];
};

static pthread_key_t tx_key;
static pthread_once_t tx_key_once = PTHREAD_ONCE_INIT;

static void tx_key_make(void)
{
	pthread_key_create(&tx_key, free);
}

/* This thread's transmit buffers, large enough for |dgram| bytes each. */
static struct txbuf *txbuf_get(size_t dgram)
{
	struct txbuf *tx;

	pthread_once(&tx_key_once, tx_key_make);
	tx = pthread_getspecific(tx_key);
	if (tx && tx->dgram_cap >= dgram)
		return tx;
	free(tx);
	tx = malloc(sizeof(*tx) + BATCH * dgram);
	if (tx)
		tx->dgram_cap = dgram;
	pthread_setspecific(tx_key, tx);
	return tx;
}

/* How send_msgs ended. */
enum sent_how {
	SENT_ALL,		/* each message went, or was lost as on a network */
	SENT_REFUSED,		/* the path is refused */
	SENT_NO_GSO,		/* the kernel or device refused a GSO train */
};

/*
 * Sends the messages |msgs|[0..count) on |s|'s port with sendmmsg.  A
 * message the kernel will not take for a passing reason (a full socket
 * buffer, a transient routing error) is lost, as on a network, and the
 * protocol recovers it.  On SENT_REFUSED and SENT_NO_GSO, |*stopped| is
 * the first message not sent.
 */
static enum sent_how send_msgs(struct rt_sock *s, struct mmsghdr *msgs,
			       unsigned count, int trains, unsigned *stopped)
{
	struct rt_endpoint *ep = s->ep;
	unsigned done = 0;

	while (done < count) {
		int rc = sendmmsg(ep->fd, msgs + done, count - done, 0);

		if (rc > 0) {
			done += (unsigned)rc;
			continue;
		}
		if (rc < 0 && errno == EINTR)
			continue;
		*stopped = done;
		/* ECONNREFUSED belongs to an earlier datagram (ICMP port
		 * unreachable on a connected socket). */
		if (rc < 0 && errno == ECONNREFUSED)
			return SENT_REFUSED;
		if (trains && rc < 0 &&
		    (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT ||
		     errno == EOPNOTSUPP))
			return SENT_NO_GSO;
		stat_add(&ep->stats.send_errors, 1);
		done++;
	}
	return SENT_ALL;
}

/*
 * Sends the prepared datagrams |msgs|[0..n) of |s| one per message;
 * returns -1 if the path is refused (the rest count as lost).
 */
static int send_each(struct rt_sock *s, struct mmsghdr *msgs, unsigned n)
{
	unsigned stopped = 0;

	if (send_msgs(s, msgs, n, 0, &stopped) == SENT_REFUSED) {
		stat_add(&s->ep->stats.send_errors, n - stopped);
		return -1;
	}
	stat_add(&s->ep->stats.sent, n);
	return 0;
}

/*
 * Groups the |n| datagrams of |tx| (back to back in tx->data) into
 * trains for GSO: a run of datagrams of one size, and one shorter to end
 * it, go as one message whose UDP_SEGMENT control message tells the
 * kernel where to cut.  Returns the number of trains.
 */
static unsigned make_trains(struct txbuf *tx, unsigned n)
{
	unsigned i = 0, t = 0;

	while (i < n) {
		size_t seg = tx->iov[i].iov_len, bytes = seg;
		unsigned count = 1;
		struct msghdr *mh = &tx->trains[t].msg_hdr;

		while (i + count < n && count < TRAIN_MAX_SEGS &&
		       tx->iov[i + count - 1].iov_len == seg &&
		       tx->iov[i + count].iov_len <= seg &&
		       bytes + tx->iov[i + count].iov_len <= TRAIN_MAX_BYTES) {
			bytes += tx->iov[i + count].iov_len;
			count++;
		}
		*mh = tx->msgs[i].msg_hdr;
		tx->train_iov[t].iov_base = tx->iov[i].iov_base;
		tx->train_iov[t].iov_len = bytes;
		mh->msg_iov = &tx->train_iov[t];
		if (count > 1) {
			/* The datagram's own PKTINFO, if it has one, then
			 * UDP_SEGMENT. */
			uint8_t *ctrl = tx->train_ctrl[t];
			size_t pk = mh->msg_control ? mh->msg_controllen : 0;
			struct cmsghdr *cm = (struct cmsghdr *)(ctrl + pk);
			uint16_t seg16 = (uint16_t)seg;

			memset(ctrl, 0, TRAIN_CTRL);
			if (pk)
				memcpy(ctrl, mh->msg_control, pk);
			cm->cmsg_level = IPPROTO_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(seg16));
			memcpy(CMSG_DATA(cm), &seg16, sizeof(seg16));
			mh->msg_control = ctrl;
			mh->msg_controllen = pk + CMSG_SPACE(sizeof(seg16));
		}
		tx->train_first[t] = i;
		t++;
		i += count;
	}
	return t;
}

/*
 * Sends the |n| datagrams prepared in |tx| for |s|: as GSO trains where
 * the port may, one by one otherwise.  A kernel or device that refuses
 * a train (no UDP_SEGMENT, or no checksum offload on the way out: EIO)
 * turns GSO off for the port, and that train and the rest go one by
 * one.  Returns -1 if the path is refused.
 */
static int send_batch(struct rt_sock *s, struct txbuf *tx, unsigned n)
{
	struct rt_endpoint *ep = s->ep;
	unsigned trains, stopped = 0;

	/* Logged before they leave: logged after, the peer's answer (read
	 * by the engine thread meanwhile) could precede them in the log. */
	if (eng.pcap) {
		unsigned i;

		for (i = 0; i < n; i++)
			rdt_rt_pcap_record(
				s->local_len ? &s->local : &ep->local,
				ep->connected ? (void *)&s->peer :
						tx->msgs[i].msg_hdr.msg_name,
				tx->msgs[i].msg_hdr.msg_iov->iov_base,
				tx->msgs[i].msg_hdr.msg_iov->iov_len);
	}
	if (!__atomic_load_n(&ep->gso, __ATOMIC_RELAXED) || n < 2)
		return send_each(s, tx->msgs, n);
	trains = make_trains(tx, n);
	switch (send_msgs(s, tx->trains, trains, 1, &stopped)) {
	case SENT_ALL:
		break;
	case SENT_REFUSED:
		stat_add(&ep->stats.send_errors, n - tx->train_first[stopped]);
		return -1;
	case SENT_NO_GSO:
		/* That train and the rest go one by one, now and after. */
		__atomic_store_n(&ep->gso, 0, __ATOMIC_RELAXED);
		stat_add(&ep->stats.sent, tx->train_first[stopped]);
		return send_each(s, tx->msgs + tx->train_first[stopped],
				 n - tx->train_first[stopped]);
	}
	stat_add(&ep->stats.sent, n);
	return 0;
}

/*
 * Sends what the connection wants to send now.  An application thread
 * sends at most APP_FLUSH_BATCHES batches per call while holding the
 * socket's lock, so the engine is not kept from the ACKs that socket
 * needs; the rest follows from the engine as those ACKs arrive (after a
 * full batch, something is always in flight to bring them).
 */
void rdt_rt_flush(struct rt_sock *s, rdt_tstamp now)
{
	size_t cap = s->opt.max_dgram;
	unsigned batches = rdt_rt_in_engine ? UINT_MAX : APP_FLUSH_BATCHES;
	struct txbuf *tx;

	if (cap < RDT_PKT_MIN_DGRAM)
		cap = RDT_PKT_MIN_DGRAM;
	/* An INIT is padded to its minimum size whatever max_dgram says. */
	if (cap < RDT_PKT_INIT_MIN_SIZE)
		cap = RDT_PKT_INIT_MIN_SIZE;
	tx = txbuf_get(cap);
	if (tx == NULL)
		return;	/* Retried at the next event; the core keeps it. */
	for (;;) {
		unsigned n = 0;
		size_t off = 0;

		/* Back to back, so that a run of equal datagrams is one
		 * buffer for GSO. */
		while (n < BATCH) {
			uint8_t *buf = tx->data + off;
			rdt_ssize len = rdt_conn_write_pkt(s->conn, buf, cap,
							   now);
			struct msghdr *mh = &tx->msgs[n].msg_hdr;

			if (len <= 0)
				break;
			off += (size_t)len;
			tx->iov[n].iov_base = buf;
			tx->iov[n].iov_len = (size_t)len;
			memset(mh, 0, sizeof(*mh));
			mh->msg_iov = &tx->iov[n];
			mh->msg_iovlen = 1;
			if (!s->ep->connected) {
				mh->msg_name = &s->peer;
				mh->msg_namelen = s->peer_len;
				if (s->pktinfo_len) {
					mh->msg_control = s->pktinfo;
					mh->msg_controllen = s->pktinfo_len;
				}
			}
			n++;
		}
		if (n == 0)
			return;
		if (send_batch(s, tx, n) != 0) {
			rdt_conn_refused(s->conn, now);
			return;
		}
		if (n < BATCH || --batches == 0)
			return;
	}
}
