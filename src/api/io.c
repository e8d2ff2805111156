/*
 * io.c: rdt_send, rdt_recv and their kinds: the kernel's own calls on
 * the descriptor, which carries the stream (runtime/stream.h), framed by
 * what the kernel cannot know: ENOTCONN before a connection, waiting out
 * the handshake, and the precise cause of a failure (ETIMEDOUT,
 * ECONNREFUSED) where the pair can only say ECONNRESET.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "core/err.h"
#include "errmap.h"
#include "rdt.h"
#include "runtime/rt.h"
#include "wire/pkt.h"

/*
 * Before the stream runs: ENOTCONN without a connection, and during the
 * handshake wait for it (as TCP's send and recv do) or EAGAIN.  Returns
 * 0 when the kernel call may proceed, else -errno.  |s| locked.
 */
static int await_stream(struct rt_sock *s, int flags, short events,
			rdt_tstamp timeo)
{
	rdt_tstamp deadline = rdt_api_deadline_after(timeo);
	int err;

	if (s->role != RT_CONNECTION)
		return -ENOTCONN;
	while (rdt_conn_state(s->conn) == RDT_CONN_SYN_SENT) {
		if (rdt_api_nonblocking(s) || (flags & MSG_DONTWAIT))
			return -EAGAIN;
		err = rdt_api_wait_ready(s, events, deadline);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The kernel call on the descriptor, framed by what the kernel cannot
 * know (see the top of this file): sendmsg if |sending|, else recvmsg.
 */
static ssize_t stream_io(int fd, struct msghdr *mh, int flags, int sending)
{
	struct rt_sock *s = rdt_api_lookup(fd);
	ssize_t n;
	int err;

	if (s == NULL) {
		rdt_api_not_ours(fd);
		return -1;
	}
	if (!__atomic_load_n(&s->streaming, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&s->lock);
		err = await_stream(s, flags, sending ? POLLOUT : POLLIN,
				   sending ? s->opt.sndtimeo :
					     s->opt.rcvtimeo);
		if (err == 0 && s->conn &&
		    rdt_conn_state(s->conn) == RDT_CONN_CLOSED &&
		    !s->notify.streaming) {
			/* Failed before it ever carried a byte. */
			int e = rdt_api_take_error(s);

			err = -(e ? e : (sending ? EPIPE : ENOTCONN));
		}
		if (err) {
			rdt_api_finish_ssize(s, err, 0);
			if (err == -EPIPE && sending && !(flags & MSG_NOSIGNAL))
				raise(SIGPIPE);
			return -1;
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (sending && !(flags & MSG_MORE)) {
		pthread_mutex_lock(&s->lock);
		n = rdt_rt_send_direct(s, mh->msg_iov, mh->msg_iovlen,
				       rdt_rt_now());
		pthread_mutex_unlock(&s->lock);
		if (n >= 0) {
			rdt_rt_sock_put(s);
			return n;
		}
	}
	n = sending ? sendmsg(fd, mh, flags) : recvmsg(fd, mh, flags);
	if (n > 0 && sending) {
		pthread_mutex_lock(&s->lock);
		rdt_rt_app_wrote(s, rdt_rt_now());
		pthread_mutex_unlock(&s->lock);
	}
	if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) {
		int e;

		/* The pair knows only that the connection ended; the
		 * connection knows why. */
		pthread_mutex_lock(&s->lock);
		e = rdt_api_take_error(s);
		pthread_mutex_unlock(&s->lock);
		if (e)
			errno = e;
	}
	err = errno;
	rdt_rt_sock_put(s);
	errno = err;
	return n;
}

static ssize_t send_iov(int fd, const struct iovec *iov, int iovcnt,
			int flags)
{
	struct msghdr mh;

	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	return stream_io(fd, &mh, flags, 1);
}

ssize_t rdt_send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };

	return send_iov(fd, &iov, 1, flags);
}

ssize_t rdt_write(int fd, const void *buf, size_t len)
{
	return rdt_send(fd, buf, len, 0);
}

ssize_t rdt_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return send_iov(fd, iov, iovcnt, 0);
}

static ssize_t recv_iov(int fd, const struct iovec *iov, int iovcnt,
			int flags)
{
	struct msghdr mh;

	if (flags & ~(MSG_DONTWAIT | MSG_WAITALL | MSG_PEEK | MSG_NOSIGNAL |
		      MSG_CMSG_CLOEXEC)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	return stream_io(fd, &mh, flags & ~MSG_NOSIGNAL, 0);
}

ssize_t rdt_recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { buf, len };

	return recv_iov(fd, &iov, 1, flags);
}

ssize_t rdt_read(int fd, void *buf, size_t len)
{
	return rdt_recv(fd, buf, len, 0);
}

ssize_t rdt_readv(int fd, const struct iovec *iov, int iovcnt)
{
	return recv_iov(fd, iov, iovcnt, 0);
}

