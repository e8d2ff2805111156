/*
 * stream.c: the connection's bytes through its descriptor (stream.h).
 *
 * Both directions move straight between the connection's ring buffers
 * and the kernel (rdt_conn_send_space / rdt_conn_recv_view), so a byte is
 * copied once by the kernel each way and never by us.
 */
#include <errno.h>
#include <sys/socket.h>

#include "stream.h"

void rdt_stream_start(struct rdt_notify *n)
{
	if (n->streaming || n->finished)
		return;
	n->streaming = 1;
	/* Whatever the application wrote while the handshake ran waits
	 * behind the unwritable block, which pump_in skips. */
	n->unwritable = 0;
	n->in_ready = 1;
}

/* Reads and drops what remains of the unwritable block.  Returns the
 * recv result: > 0 progress, 0 end, < 0 with errno. */
static ssize_t skip_filler(struct rdt_notify *n)
{
	char junk[4096];
	size_t want = n->filler < sizeof(junk) ? n->filler : sizeof(junk);
	ssize_t r = recv(n->lib_fd, junk, want, MSG_DONTWAIT);

	if (r > 0)
		n->filler -= (unsigned)r;
	return r;
}

enum rdt_stream_in rdt_stream_pump_in(struct rdt_notify *n,
				      struct rdt_conn *c, rdt_tstamp now)
{
	while (n->streaming && !n->finished && !n->app_eof && n->in_ready) {
		uint8_t *p;
		size_t room;
		ssize_t r;

		if (n->filler > 0) {
			r = skip_filler(n);
		} else {
			room = rdt_conn_send_space(c, &p);
			if (room == 0)
				/* Full: the runtime calls again when ACKs
				 * make room. */
				break;
			r = recv(n->lib_fd, p, room, MSG_DONTWAIT);
			if (r > 0)
				rdt_conn_send_commit(c, (size_t)r, now);
		}
		if (r > 0)
			continue;
		if (r == 0) {
			n->app_eof = 1;
			n->in_ready = 0;
			return RDT_STREAM_IN_EOF;
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
