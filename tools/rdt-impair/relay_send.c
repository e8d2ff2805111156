/*
 * relay_send.c: rdt-impair's send path.
 *
 *   release()         due datagrams of one direction, out in batches
 *     group()         datagrams -> GSO messages (UDP_SEGMENT)
 *     send_batch()    sendmmsg with the retry and blocking rules
 *     count_lateness  how late each departure was (relay_stats)
 *   want_out()        wait for a full socket to drain, or stop waiting
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/epoll.h>

#include "relay_int.h"

/* Wait for |fd| to be writable (|on|) or stop waiting. */
void want_out(struct relay *r, int d, int fd, uint64_t tag, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0) };

	ev.data.u64 = tag;
	r->blocked[d] = on ? fd : -1;
	if (epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		warn("epoll_ctl");
}

/* Datagrams one GSO message may carry: the kernel's UDP_MAX_SEGMENTS. */
#define GSO_SEGS 64
/* Bytes one GSO message may carry: a UDP datagram's, less headers. */
#define GSO_BYTES 65000

/*
 * group cuts |pkts| into messages: runs of datagrams bound for the same
 * place, all |len| bytes but the last, which may be shorter, sent as one
 * UDP_SEGMENT (GSO) message when r->gso; one datagram each otherwise.
 * Message k carries pkts[first[k]] to pkts[first[k + 1] - 1].  Returns
 * the number of messages.
 */
static size_t group(const struct relay *r, struct impair_pkt **pkts,
		    size_t n, size_t *first)
{
	size_t nmsg = 0, i = 0, j, bytes, len;

	while (i < n) {
		len = pkts[i]->len;
		bytes = len;
		j = i + 1;
		while (r->gso && len > 0 && j < n && j - i < GSO_SEGS &&
		       pkts[j - 1]->len == len && pkts[j]->len <= len &&
		       pkts[j]->tag == pkts[i]->tag &&
		       bytes + pkts[j]->len <= GSO_BYTES)
			bytes += pkts[j++]->len;
		first[nmsg++] = i;
		i = j;
	}
	first[nmsg] = n;
	return nmsg;
}

/*
 * send_batch sends |pkts| on |fd| (to their flows' clients if |to_client|).
 * Returns 0 when all are sent or refused, or the number still unsent when
 * the socket is full; those are given back to the model.
 */
static size_t send_batch(struct relay *r, int d, int fd,
			 struct impair_pkt **pkts, size_t n, int to_client)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[BATCH];
	size_t first[BATCH + 1];
	struct msghdr *mh;
	struct cmsghdr *c;
	struct flow *f;
	size_t nmsg, k, i, done = 0;
	uint16_t seg;
	int sent;

	nmsg = group(r, pkts, n, first);
	memset(msg, 0, nmsg * sizeof(msg[0]));
	for (k = 0; k < nmsg; k++) {
		mh = &msg[k].msg_hdr;
		for (i = first[k]; i < first[k + 1]; i++) {
			iov[i].iov_base = pkts[i]->data;
			iov[i].iov_len = pkts[i]->len;
		}
		mh->msg_iov = &iov[first[k]];
		mh->msg_iovlen = first[k + 1] - first[k];
		if (to_client) {
			/* release() only batches datagrams of live flows. */
			f = flow_by_tag(r, pkts[first[k]]->tag);
			mh->msg_name = &f->client;
			mh->msg_namelen = f->client_len;
		}
		if (mh->msg_iovlen > 1) {
			mh->msg_control = ctl[k].buf;
			mh->msg_controllen = sizeof(ctl[k].buf);
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			seg = (uint16_t)pkts[first[k]]->len;
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		}
	}
	while (done < nmsg) {
		sent = sendmmsg(fd, msg + done, (unsigned)(nmsg - done), 0);
		if (sent > 0) {
			for (i = first[done]; i < first[done + sent]; i++)
				impair_done(r->dir[d], pkts[i], 1);
			done += (size_t)sent;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK ||
			   errno == ENOBUFS) {
			for (i = first[done]; i < n; i++)
				impair_unpop(r->dir[d], pkts[i]);
			return n - first[done];
		} else if (msg[done].msg_hdr.msg_iovlen > 1 &&
			   (errno == EINVAL || errno == EIO ||
			    errno == EMSGSIZE || errno == EOPNOTSUPP)) {
			/* No GSO here (e.g. segments over the path's MTU):
			 * send one datagram per message from now on. */
			r->gso = 0;
			return send_batch(r, d, fd, pkts + first[done],
					  n - first[done], to_client);
		} else {
			/* Refused (e.g. an ICMP error reported on this
			 * connected socket): the message's datagrams are
			 * lost. */
			for (i = first[done]; i < first[done + 1]; i++) {
				r->rs->send_errors++;
				impair_done(r->dir[d], pkts[i], 0);
			}
			done++;
		}
	}
	return 0;
}

/*
 * How late datagrams leave, after their due time: the relay's own
 * scheduling latency, which adds to the configured delay.  A sent-again
 * datagram (after a full socket) counts again; that is rare.
 */
static void count_lateness(struct relay *r, struct impair_pkt **pkts,
			   size_t n, uint64_t now)
{
	uint64_t late;
	size_t i;

	for (i = 0; i < n; i++) {
		late = now - pkts[i]->due;
		r->rs->late_sum_ns += late;
		if (late > r->rs->late_max_ns)
			r->rs->late_max_ns = late;
		r->rs->late_count++;
	}
}

/* Sends what direction |d| has due, batching datagrams bound for the same
 * socket, until nothing is due or a socket is full. */
void release(struct relay *r, int d, uint64_t now)
{
	struct impair *im = r->dir[d];
	struct impair_pkt *batch[BATCH], *p;
	struct flow *f, *cur;
	size_t n;
	int fd;

	if (r->blocked[d] >= 0)
		return;
	for (;;) {
		n = 0;
		cur = NULL;
		while (n < BATCH && (p = impair_pop(im, now))) {
			f = flow_by_tag(r, p->tag);
			if (!f) {
				r->rs->dropped_no_flow++;
				impair_done(im, p, 0);
				continue;
			}
			/* a2b leaves on each flow's own socket. */
			if (d == DIR_A2B && cur && f != cur) {
				impair_unpop(im, p);
				break;
			}
			cur = f;
			batch[n++] = p;
		}
		if (n == 0)
			return;
		count_lateness(r, batch, n, now);
		fd = d == DIR_A2B ? cur->fd : r->lfd;
		if (send_batch(r, d, fd, batch, n, d == DIR_B2A)) {
			want_out(r, d, fd, d == DIR_A2B ?
				 EV(EV_FLOW, cur->slot) : EV(EV_LISTEN, 0),
				 1);
			return;
		}
	}
}
