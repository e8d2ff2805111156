/*
 * notify.c: readiness of an AF_UNIX pair end, steered by the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "notify.h"

/* The unit of the block that makes the application's end unwritable. */
#define FILL_BLOCK 65536
/* Edge bytes beyond the first; bounded so a reader that never drains
 * cannot fill the pair. */
#define MAX_TOKENS 32

int rdt_notify_open(struct rdt_notify *n, int cloexec)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (!cloexec && fcntl(sv[0], F_SETFD, 0) != 0) {
		int saved = errno;

		close(sv[0]);
		close(sv[1]);
		errno = saved;
		return -1;
	}
	memset(n, 0, sizeof(*n));
	n->app_fd = sv[0];
	n->lib_fd = sv[1];
	{
		struct stat st;

		if (fstat(sv[0], &st) == 0)
			n->app_ino = (unsigned long)st.st_ino;
	}
	/* A connection starts unwritable until it is established. */
	rdt_notify_set_writable(n, 0);
	return 0;
}

ssize_t rdt_notify_discard(int fd, size_t max)
{
	/* Every piece lands in the same small buffer: one call takes up to
	 * 64 KiB, a whole unwritable block, where a single 4 KiB buffer
	 * took sixteen calls. */
	char junk[4096];
	struct iovec iov[16];
	struct msghdr m;
	size_t i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(iov) / sizeof(iov[0]) && max > 0; i++) {
		iov[i].iov_base = junk;
		iov[i].iov_len = max < sizeof(junk) ? max : sizeof(junk);
		max -= iov[i].iov_len;
	}
	m.msg_iov = iov;
	m.msg_iovlen = i;
	return recvmsg(fd, &m, MSG_DONTWAIT);
}

/* Read and discard everything queued on |fd| now. */
static void drain(int fd)
{
	while (rdt_notify_discard(fd, SIZE_MAX) > 0)
		;
}

void rdt_notify_set_readable(struct rdt_notify *n, int readable, int edge)
{
	if (n->finished)
		return;
	if (readable) {
		if (n->tokens > 0 && !edge)
			return;
		if (n->tokens >= MAX_TOKENS) {
			/* Still an edge for every arrival, as on TCP, without
			 * letting the bytes pile up. */
			drain(n->app_fd);
			n->tokens = 0;
		}
		if (!n->rdhup &&
		    send(n->lib_fd, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
			n->tokens++;
	} else if (n->tokens > 0) {
		drain(n->app_fd);
		n->tokens = 0;
	}
}

/*
 * An AF_UNIX stream end is writable while four times what it has queued
 * is within its send buffer: a block of more than a quarter of it, left
 * unread, makes it unwritable whatever the system's default buffer.
 * The buffer is first shrunk to the kernel's least (about 4.5 KB, so
 * the block is about 1.2 KB instead of 53 KB with the default buffer):
 * every connection writes this block and reads it back, and streaming
 * gives the buffer its working size (rdt_stream_start).  The calls go
 * to the kernel directly, as there: under librdt-preload.so the C
 * library's setsockopt on an application's descriptor is the shim's.
 */
static unsigned fill(int fd)
{
	static const char block[FILL_BLOCK];
	const int least = 1;	/* the kernel raises it to its minimum */
	int sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	size_t want, sent = 0;

	(void)syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDBUF, &least,
		      sizeof(least));
	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    &len) != 0 || sndbuf <= 0)
		sndbuf = 4 * FILL_BLOCK;
	want = (size_t)sndbuf / 4 + 1;
	while (sent < want) {
		size_t chunk = want - sent < sizeof(block) ? want - sent :
							     sizeof(block);
		ssize_t n = send(fd, block, chunk,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	return (unsigned)sent;
}

void rdt_notify_set_writable(struct rdt_notify *n, int writable)
{
	if (n->finished || (!writable) == n->unwritable)
		return;
	if (writable) {
		drain(n->lib_fd);
		n->unwritable = 0;
		n->filler = 0;
	} else {
		n->filler = fill(n->app_fd);
		n->unwritable = n->filler > 0;
	}
}

void rdt_notify_set_rdhup(struct rdt_notify *n)
{
	if (n->finished || n->rdhup)
		return;
	/* The queued tokens stay: the descriptor is readable for good. */
	shutdown(n->lib_fd, SHUT_WR);
	n->rdhup = 1;
}

void rdt_notify_finish(struct rdt_notify *n, int failed)
{
	static const char block[1];

	if (n->finished)
		return;
	if (failed) {
		int unread = 0;

		/* Closing an AF_UNIX stream end with unread bytes flags
		 * ECONNRESET on its peer: that is POLLERR.  Streaming, the
		 * held byte is one.  Otherwise the byte goes in through the
		 * application's end, so only while that is still the
		 * application's (a plain close may have freed its number);
		 * bytes the application wrote and we never sent serve as
		 * well. */
		if (n->streaming && ioctl(n->lib_fd, FIONREAD, &unread) != 0)
			unread = 0;
		if (!n->unwritable && unread == 0 && rdt_notify_app_open(n))
			(void)send(n->app_fd, block, sizeof(block),
				   MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (!n->streaming) {
		drain(n->lib_fd);
	} else if (n->held) {
		/* A clean end: the held byte was delivered.  Anything
		 * behind it the application wrote and the peer never got:
		 * its ECONNRESET is the truth. */
		char taken;

		(void)recv(n->lib_fd, &taken, 1, MSG_DONTWAIT);
		n->held = 0;
	}
	close(n->lib_fd);
	n->lib_fd = -1;
	n->finished = 1;
}

void rdt_notify_close(struct rdt_notify *n)
{
	if (n->lib_fd >= 0)
		close(n->lib_fd);
	if (n->app_fd >= 0)
		close(n->app_fd);
	n->lib_fd = -1;
	n->app_fd = -1;
	n->finished = 1;
}

void rdt_notify_close_lib(struct rdt_notify *n)
{
	if (n->lib_fd >= 0)
		close(n->lib_fd);
	n->lib_fd = -1;
	n->finished = 1;
}

int rdt_notify_app_open(const struct rdt_notify *n)
{
	struct stat st;

	return n->app_fd >= 0 && fstat(n->app_fd, &st) == 0 &&
	       S_ISSOCK(st.st_mode) && (unsigned long)st.st_ino == n->app_ino;
}
