/*
 * notify.h: a kernel descriptor whose readiness mirrors a connection's.
 *
 * An rdt socket must be a real descriptor that poll, select and epoll
 * (level- and edge-triggered) report as they would a TCP socket.  It is
 * one end of an AF_UNIX stream pair; the library holds the other end and
 * steers what the kernel reports on the application's end:
 *
 *   readable   a byte waits in the application end's receive queue
 *              (sent from the library end); drained when nothing is left
 *              to read.  Each new arrival may add a byte, so that
 *              edge-triggered waiters see a new edge as on TCP.
 *   writable   the application end's own send queue is empty; to make it
 *              unwritable the library writes a block from the
 *              application end into the library end and leaves it unread
 *              (its send buffer is set to the minimum, so one block
 *              fills it); reading the block makes it writable again.
 *   POLLRDHUP  shutdown(library end, SHUT_WR): the peer finished.
 *   POLLHUP    the library end is closed: the connection is over.
 *   POLLERR    ... and was closed with a byte unread, which makes the
 *              kernel flag ECONNRESET on the application end (while
 *              streaming, the held byte: see |held|).
 *
 * Not thread-safe: the caller holds the connection's lock.  Every call
 * costs at most a few system calls and none when nothing changes.
 */
#ifndef RDT_RUNTIME_NOTIFY_H
#define RDT_RUNTIME_NOTIFY_H

#include <sys/types.h>

struct rdt_notify {
	/* The application's descriptor, and the library's end; -1 when
	 * closed. */
	int app_fd;
	int lib_fd;
	/* Bytes queued toward app_fd (readable while > 0). */
	unsigned tokens;
	unsigned unwritable : 1;
	unsigned rdhup : 1;
	unsigned finished : 1;
	/* The pair carries the connection's bytes (see stream.h). */
	unsigned streaming : 1;
	/* The application may have written bytes not yet read. */
	unsigned in_ready : 1;
	/* The pair toward the application is full: wait for EPOLLOUT. */
	unsigned out_blocked : 1;
	/* The application finished writing (read returned 0). */
	unsigned app_eof : 1;
	/* The application stopped reading (closed, or SHUT_RD): EPIPE. */
	unsigned app_no_read : 1;
	/* shutdown(lib_fd, SHUT_WR) told the application end of stream. */
	unsigned eof_sent : 1;
	/* The application shut its end for writing or closed it
	 * (EPOLLRDHUP/EPOLLHUP on lib_fd): once what is queued is read,
	 * its stream is over. */
	unsigned app_shut : 1;
	/* The first byte queued on lib_fd was taken already (copied onto
	 * the connection, or the unwritable block's last byte).  It stays
	 * queued so that closing lib_fd on a failed connection always
	 * leaves a byte unread, which is what makes the kernel flag
	 * ECONNRESET on the application's end: without it an application
	 * that had shut its writing side would read a clean end of stream
	 * from a connection that lost bytes. */
	unsigned held : 1;
	/* lib_fd is in the engine's epoll set, and for EPOLLOUT too. */
	unsigned watched : 1;
	unsigned out_watched : 1;
	/* The application end's send buffer, bytes, once streaming (0:
	 * unknown). */
	unsigned app_sndbuf;
	/* Bytes of the unwritable block still at the head of what the
	 * application wrote: skipped, they were never the application's. */
	unsigned filler;
	/* The application end's inode: tells our descriptor from another
	 * file that reuses its number after a plain close(2). */
	unsigned long app_ino;
};


/*
 * rdt_notify_open makes the pair; |cloexec| sets FD_CLOEXEC on the
 * application's end (the library's end always has it).  Returns 0 or
 * -1 with errno (EMFILE, ENFILE, ENOMEM).  Starts neither readable nor
 * writable.
 */
int rdt_notify_open(struct rdt_notify *n, int cloexec);

/* rdt_notify_set_readable makes the descriptor readable or not.  With
 * |edge| set on an already readable descriptor, waiters see a new edge. */
void rdt_notify_set_readable(struct rdt_notify *n, int readable, int edge);

void rdt_notify_set_writable(struct rdt_notify *n, int writable);

/* rdt_notify_set_rdhup reports that the peer finished sending; it stays
 * readable from then on. */
void rdt_notify_set_rdhup(struct rdt_notify *n);

/*
 * rdt_notify_finish reports the end of the connection for good: readable
 * and writable with POLLHUP, plus POLLERR if |failed|.  Nothing can be
 * changed afterwards.
 */
void rdt_notify_finish(struct rdt_notify *n, int failed);

/* rdt_notify_close closes both ends (the application's descriptor too). */
void rdt_notify_close(struct rdt_notify *n);

/* rdt_notify_close_lib closes only the library's end: the application's
 * descriptor is the application's to close. */
void rdt_notify_close_lib(struct rdt_notify *n);

/* rdt_notify_discard reads and drops up to |max| bytes queued on |fd|
 * without waiting; returns what recvmsg(2) returns. */
ssize_t rdt_notify_discard(int fd, size_t max);

/* Non-zero while |n|->app_fd still names the application end: the
 * application may have closed it and reused the number. */
int rdt_notify_app_open(const struct rdt_notify *n);

#endif
