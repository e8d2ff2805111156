/*
 * stream.c: the connection's bytes through its descriptor (stream.h).
 *
 * Both directions move straight between the connection's ring buffers
 * and the kernel (rdt_conn_send_space / rdt_conn_recv_view), so a byte is
 * copied once by the kernel each way and never by us.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stream.h"

/* The application end's send buffer while streaming, asked of
 * SO_SNDBUF (the kernel doubles what it grants). */
#define APP_SNDBUF (208 << 10)

void rdt_stream_start(struct rdt_notify *n)
{
	if (n->streaming || n->finished)
		return;
	n->streaming = 1;
	/* Whatever the application wrote while the handshake ran waits
	 * behind the unwritable block, which pump_in skips. */
	n->unwritable = 0;
	n->in_ready = 1;
	/* Room for the held byte's buffer (see unpin_held): sendfile(2)
	 * queues 16 pages at a time, more than a quarter of the default
	 * send buffer; twice the default (the most an unprivileged
	 * SO_SNDBUF gets) holds it.  The calls go to the kernel directly:
	 * under librdt-preload.so the C library's setsockopt on an
	 * application's descriptor is rdt_setsockopt, which would wait for
	 * the socket lock our caller holds. */
	if (rdt_notify_app_open(n)) {
		int want = APP_SNDBUF, got = 0;
		socklen_t len = sizeof(got);

		(void)syscall(SYS_setsockopt, n->app_fd, SOL_SOCKET,
			      SO_SNDBUF, &want, sizeof(want));
		if (syscall(SYS_getsockopt, n->app_fd, SOL_SOCKET, SO_SNDBUF,
			    &got, &len) == 0)
			n->app_sndbuf = (unsigned)got;
	}
}

/*
 * The held byte keeps its whole buffer (sk_buff) queued, and the
 * application's end counts that buffer against its send buffer.  The
 * kernel wakes a writer that is blocked on a full send buffer only once
 * what is counted is within a quarter of it: a held byte in a bigger
 * buffer would keep that writer asleep for ever.  Called when nothing
 * but the held byte is queued; gives it up then (the next bytes written
 * bring a new one).
 */
static void unpin_held(struct rdt_notify *n)
{
	int charged = 0;
	char taken;

	if (!n->held || n->app_sndbuf == 0 ||
	    ioctl(n->app_fd, SIOCOUTQ, &charged) != 0 ||
	    (unsigned)charged <= n->app_sndbuf / 4)
		return;
	if (recv(n->lib_fd, &taken, 1, MSG_DONTWAIT) == 1)
		n->held = 0;
}

/* Reads and drops what remains of the unwritable block but its last
 * byte, which becomes the held byte (notify.h).  Returns the recv
 * result: > 0 progress, 0 end, < 0 with errno. */
static ssize_t skip_filler(struct rdt_notify *n)
{
	ssize_t r = rdt_notify_discard(n->lib_fd, n->filler - 1);

	if (r > 0)
		n->filler -= (unsigned)r;
	return r;
}

/*
 * Moves up to |take| of the bytes queued behind the held one to |p|,
 * all of them taken off the queue except, with |keep_last|, the last,
 * which is copied and stays queued as the new held byte.  Returns the
 * number of bytes now at |p|, or -1 with errno.
 */
static ssize_t take_bytes(struct rdt_notify *n, uint8_t *p, size_t take,
			  int keep_last)
{
	char old_held;
	struct iovec iov[2] = {
		{ .iov_base = &old_held, .iov_len = 1 },
		{ .iov_base = p, .iov_len = take - (keep_last ? 1 : 0) },
	};
	struct msghdr m = { .msg_iov = n->held ? iov : iov + 1,
			    .msg_iovlen = n->held ? 2 : 1 };
	size_t want = n->held + iov[1].iov_len, got = 0;
	ssize_t r = 0;

	if (want > 0) {
		r = recvmsg(n->lib_fd, &m, MSG_DONTWAIT);
		if (r <= 0)
			return r < 0 ? -1 : 0;
		/* r >= held: the old held byte comes off first. */
		got = (size_t)r - n->held;
		n->held = 0;
		if ((size_t)r < want) {
			/* Short (a signal): the caller asks again. */
			if (got == 0)
				errno = EINTR;
			return got > 0 ? (ssize_t)got : -1;
		}
	}
	if (keep_last && recv(n->lib_fd, p + got, 1,
			      MSG_PEEK | MSG_DONTWAIT) == 1) {
		got++;
		n->held = 1;
	}
	return (ssize_t)got;
}

/* The application's stream is over: how it ended.  A close with bytes
 * we had delivered still unread left ECONNRESET on lib_fd. */
static enum rdt_stream_in app_finished(struct rdt_notify *n)
{
	int err = 0;
	socklen_t len = sizeof(err);

	n->app_eof = 1;
	n->in_ready = 0;
	if (getsockopt(n->lib_fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err == ECONNRESET)
		return RDT_STREAM_IN_RESET;
	return RDT_STREAM_IN_EOF;
}

enum rdt_stream_in rdt_stream_pump_in(struct rdt_notify *n,
				      struct rdt_conn *c, rdt_tstamp now)
{
	while (n->streaming && !n->finished && !n->app_eof && n->in_ready) {
		uint8_t *p;
		size_t room, fresh;
		int queued = 0;
		ssize_t r;

		if (n->filler == 1) {
			n->filler = 0;
			n->held = 1;
		}
		if (n->filler > 0) {
			r = skip_filler(n);
		} else {
			/* What the application wrote before it shut its
			 * end is all queued by the time app_shut is set. */
			int shut = n->app_shut;

			if (ioctl(n->lib_fd, FIONREAD, &queued) != 0)
				queued = 0;
			fresh = (size_t)queued > n->held ?
					(size_t)queued - n->held : 0;
			if (fresh == 0) {
				if (shut)
					return app_finished(n);
				unpin_held(n);
				n->in_ready = 0;
				break;
			}
			room = rdt_conn_send_space(c, &p);
			if (room == 0)
				/* Full: the runtime calls again when ACKs
				 * make room. */
				break;
			r = take_bytes(n, p, fresh < room ? fresh : room,
				       fresh <= room);
			if (r > 0)
				rdt_conn_send_commit(c, (size_t)r, now);
		}
		if (r > 0)
			continue;
		if (r == 0) {
			/* The application's end is gone: FIONREAD promised
			 * bytes, so a read finding none is the end. */
			return app_finished(n);
		}
		if (errno == EINTR)
			continue;
		n->in_ready = 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		/* ECONNRESET: the application closed its end with bytes
		 * we had delivered still unread. */
		n->app_eof = 1;
		return RDT_STREAM_IN_RESET;
	}
	return RDT_STREAM_IN_MORE;
}

void rdt_stream_pump_out(struct rdt_notify *n, struct rdt_conn *c,
			 rdt_tstamp now)
{
	const uint8_t *p;
	size_t len;

	if (!n->streaming || n->finished)
		return;
	while ((len = rdt_conn_recv_view(c, &p)) > 0) {
		ssize_t w;

		if (n->app_no_read) {
			rdt_conn_recv_consume(c, len, now);
			continue;
		}
		if (n->out_blocked)
			return;
		w = send(n->lib_fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			rdt_conn_recv_consume(c, (size_t)w, now);
			if ((size_t)w < len)
				n->out_blocked = 1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			n->out_blocked = 1;
		else
			n->app_no_read = 1;	/* EPIPE */
	}
	if (!n->eof_sent && rdt_conn_peer_finished(c) &&
	    rdt_conn_readable(c) == 0) {
		shutdown(n->lib_fd, SHUT_WR);
		n->eof_sent = 1;
	}
}
