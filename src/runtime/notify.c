/*
 * notify.c: readiness of an AF_UNIX pair end, steered by the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify.h"

/* Larger than a quarter of the smallest send buffer the kernel allows
 * (SOCK_MIN_SNDBUF, about 4.5 KiB), which is when AF_UNIX stops
 * reporting a stream end writable. */
#define FILL_BLOCK 2048
/* Edge bytes beyond the first; bounded so a reader that never drains
 * cannot fill the pair. */
#define MAX_TOKENS 32

int rdt_notify_open(struct rdt_notify *n, int cloexec)
{
	int sv[2];
	int one = 1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (!cloexec && fcntl(sv[0], F_SETFD, 0) != 0) {
		int saved = errno;

		close(sv[0]);
		close(sv[1]);
		errno = saved;
		return -1;
	}
	/* The kernel raises it to its minimum. */
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	n->app_fd = sv[0];
	n->lib_fd = sv[1];
	n->tokens = 0;
	n->unwritable = 0;
	n->rdhup = 0;
	n->finished = 0;
	/* A connection starts unwritable until it is established. */
	rdt_notify_set_writable(n, 0);
	return 0;
}

/* Read and discard everything queued on |fd| now. */
static void drain(int fd)
{
	char buf[FILL_BLOCK];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
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

void rdt_notify_set_writable(struct rdt_notify *n, int writable)
{
	static const char block[FILL_BLOCK];

	if (n->finished || (!writable) == n->unwritable)
		return;
	if (writable) {
		drain(n->lib_fd);
		n->unwritable = 0;
	} else if (send(n->app_fd, block, sizeof(block),
			MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
		n->unwritable = 1;
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
		/* Closing an AF_UNIX stream end with unread bytes flags
		 * ECONNRESET on its peer: that is POLLERR. */
		if (!n->unwritable)
			(void)send(n->app_fd, block, sizeof(block),
				   MSG_DONTWAIT | MSG_NOSIGNAL);
	} else {
		drain(n->lib_fd);
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
