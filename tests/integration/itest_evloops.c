/*
 * itest_evloops.c: event-loop libraries drive rdt descriptors as they
 * drive TCP sockets, knowing nothing of rdt past rdt_connect and
 * rdt_accept.
 *
 *   libevent  a bufferevent echo server and a bufferevent client that
 *             streams 256 MiB (quick: 32 MiB) through it and checks every
 *             echoed byte, then half-closes and waits for the echo's end;
 *   libuv     the same with uv_tcp_open on both descriptors, 64 MiB
 *             (quick: 16 MiB).
 *
 * Each case skips when this build found no such library.
 */
#define _GNU_SOURCE
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBEVENT
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#endif
#ifdef HAVE_LIBUV
#include <uv.h>
#endif

#include "integration/itest.h"

#define CHUNK (64u << 10)

#if defined(HAVE_LIBEVENT) || defined(HAVE_LIBUV)
/* Accepts one connection in this process after forking |client|, which
 * gets its connected descriptor; returns the accepted descriptor. */
static int fork_client(void (*client)(int fd), pid_t *pid)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int pfd[2], lfd, fd;

	CHECK_OK(pipe(pfd));
	*pid = CHECK_OK(itest_fork());
	if (*pid == 0) {
		close(pfd[1]);
		len = itest_loopback(&ss, AF_INET, itest_recv_port(pfd[0]));
		client(itest_connect(&ss, len));
		exit(0);
	}
	close(pfd[0]);
	lfd = itest_listen(AF_INET, 1, 0, &ss, &len);
	itest_send_port(pfd[1], itest_port(&ss));
	fd = CHECK_OK(rdt_accept(lfd, NULL, NULL));
	CHECK_OK(rdt_close(lfd));
	close(pfd[1]);
	return fd;
}
#endif

/* --- libevent ------------------------------------------------------------ */

#ifdef HAVE_LIBEVENT
static uint64_t ev_total(void)
{
	return itest_quick() ? 32ull << 20 : 256ull << 20;
}

struct ev_client {
	struct bufferevent *bev;
	uint64_t sent, got;
	int shut, eof;
};

static void ev_client_write(struct bufferevent *bev, void *arg)
{
	struct ev_client *c = arg;
	struct evbuffer *out = bufferevent_get_output(bev);
	static uint8_t buf[CHUNK];

	/* Keep a few chunks queued: the output buffer stays bounded. */
	while (c->sent < ev_total() && evbuffer_get_length(out) < 4 * CHUNK) {
		uint64_t left = ev_total() - c->sent;
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		itest_pattern_fill(buf, n, 1, c->sent);
		CHECK(evbuffer_add(out, buf, n) == 0, "evbuffer_add");
		c->sent += n;
	}
	if (c->sent == ev_total() && evbuffer_get_length(out) == 0 &&
	    !c->shut) {
		CHECK_OK(shutdown(bufferevent_getfd(bev), SHUT_WR));
		c->shut = 1;
	}
}

static void ev_client_read(struct bufferevent *bev, void *arg)
{
	struct ev_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	static uint8_t buf[CHUNK];
	size_t n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		ptrdiff_t bad = itest_pattern_find_error(buf, n, 1, c->got);

		CHECK(bad < 0, "echo: wrong byte at %" PRIu64,
		      c->got + (uint64_t)bad);
		c->got += n;
	}
}

static void ev_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct ev_client *c = arg;

	CHECK(!(what & BEV_EVENT_ERROR), "client: %s",
	      itest_errname(EVUTIL_SOCKET_ERROR()));
	if (what & BEV_EVENT_EOF) {
		ev_client_read(bev, arg);
		c->eof = 1;
		event_base_loopexit(bufferevent_get_base(bev), NULL);
	}
}

static void ev_client(int fd)
{
	struct event_base *base = event_base_new();
	struct ev_client c = { 0 };
	int64_t t0 = itest_now_ms();

	CHECK(base != NULL, "event_base_new");
	CHECK_OK(evutil_make_socket_nonblocking(fd));
	c.bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	CHECK(c.bev != NULL, "bufferevent_socket_new");
	bufferevent_setcb(c.bev, ev_client_read, ev_client_write,
			  ev_client_event, &c);
	bufferevent_enable(c.bev, EV_READ | EV_WRITE);
	ev_client_write(c.bev, &c);
	CHECK(event_base_dispatch(base) == 0, "event_base_dispatch");
	CHECK(c.eof && c.got == ev_total(), "echoed %" PRIu64 " of %" PRIu64
	      " bytes", c.got, ev_total());
	itest_log("libevent: %" PRIu64 " MiB echoed in %" PRId64 " ms",
		  c.got >> 20, itest_now_ms() - t0);
	bufferevent_free(c.bev);
	event_base_free(base);
}

/* The echo server: everything read goes back; at end of input, the
 * rest is flushed and the descriptor closed (close(2), by libevent). */
static void ev_echo_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	CHECK(bufferevent_write_buffer(bev, bufferevent_get_input(bev)) == 0,
	      "echo");
}

static void ev_echo_drained(struct bufferevent *bev, void *arg)
{
	int *eof = arg;

	if (*eof && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		event_base_loopexit(bufferevent_get_base(bev), NULL);
}

static void ev_echo_event(struct bufferevent *bev, short what, void *arg)
{
	int *eof = arg;

	CHECK(!(what & BEV_EVENT_ERROR), "server: %s",
	      itest_errname(EVUTIL_SOCKET_ERROR()));
	if (what & BEV_EVENT_EOF) {
		ev_echo_read(bev, arg);
		*eof = 1;
		ev_echo_drained(bev, arg);
	}
}

static void test_libevent(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *bev;
	int eof = 0, fd;
	pid_t pid;

	fd = fork_client(ev_client, &pid);
	CHECK_OK(evutil_make_socket_nonblocking(fd));
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	CHECK(bev != NULL, "bufferevent_socket_new");
	/* Stop reading while 1 MiB waits to go back: bounded memory. */
	bufferevent_setwatermark(bev, EV_READ, 0, 1u << 20);
	bufferevent_setcb(bev, ev_echo_read, ev_echo_drained, ev_echo_event,
			  &eof);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	CHECK(event_base_dispatch(base) == 0, "event_base_dispatch");
	CHECK(eof, "the server never saw end of stream");
	bufferevent_free(bev);
	event_base_free(base);
	itest_wait_ok(pid, "client");
}
#else
static void test_libevent(void)
{
	itest_skip("built without libevent (libevent-dev)");
}
#endif

/* --- libuv --------------------------------------------------------------- */

#ifdef HAVE_LIBUV
static uint64_t uv_total(void)
{
	return itest_quick() ? 16ull << 20 : 64ull << 20;
}

#define UV_CHECK(call)                                                      \
	do {                                                                \
		int uv_rc_ = (call);                                        \
		CHECK(uv_rc_ == 0, "%s: %s", #call, uv_strerror(uv_rc_));   \
	} while (0)

struct uv_side {
	uv_tcp_t tcp;
	uint64_t sent, got, in_flight;
	int echo;		/* the server: writes back what it reads */
	int eof, reading;
};

struct uv_chunk {
	uv_write_t req;
	struct uv_side *side;
	size_t len;
	uint8_t data[];
};

static void uv_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	buf->base = malloc(CHUNK);
	buf->len = buf->base ? CHUNK : 0;
}

static void uv_client_pump(struct uv_side *s);
static void uv_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

/* The echo reads only while less than 1 MiB waits to go back. */
static void uv_reading(struct uv_side *s, int on)
{
	if (on == s->reading || (on && s->eof))
		return;
	if (on)
		UV_CHECK(uv_read_start((uv_stream_t *)&s->tcp, uv_alloc,
				       uv_on_read));
	else
		UV_CHECK(uv_read_stop((uv_stream_t *)&s->tcp));
	s->reading = on;
}

static void uv_written(uv_write_t *req, int status)
{
	struct uv_chunk *c = (struct uv_chunk *)req;
	struct uv_side *s = c->side;

	CHECK(status == 0, "write: %s", uv_strerror(status));
	s->in_flight -= c->len;
	free(c);
	if (s->echo) {
		if (s->in_flight < (1u << 20))
			uv_reading(s, 1);
	} else {
		uv_client_pump(s);
	}
}

static void uv_send(struct uv_side *s, const uint8_t *data, size_t len)
{
	struct uv_chunk *c = malloc(sizeof(*c) + len);
	uv_buf_t b;

	CHECK(c != NULL, "malloc");
	c->side = s;
	c->len = len;
	memcpy(c->data, data, len);
	b = uv_buf_init((char *)c->data, (unsigned)len);
	s->in_flight += len;
	UV_CHECK(uv_write(&c->req, (uv_stream_t *)&s->tcp, &b, 1,
			  uv_written));
}

static void uv_shut(uv_shutdown_t *req, int status)
{
	CHECK(status == 0, "shutdown: %s", uv_strerror(status));
	free(req);
}

static void uv_half_close(struct uv_side *s)
{
	uv_shutdown_t *req = malloc(sizeof(*req));

	CHECK(req != NULL, "malloc");
	UV_CHECK(uv_shutdown(req, (uv_stream_t *)&s->tcp, uv_shut));
}

static void uv_client_pump(struct uv_side *s)
{
	static uint8_t buf[CHUNK];

	while (s->sent < uv_total() && s->in_flight < 4 * CHUNK) {
		uint64_t left = uv_total() - s->sent;
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		itest_pattern_fill(buf, n, 1, s->sent);
		s->sent += n;
		uv_send(s, buf, n);
		if (s->sent == uv_total())
			uv_half_close(s);
	}
}

static void uv_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct uv_side *s = (struct uv_side *)st;

	if (n > 0) {
		if (s->echo) {
			uv_send(s, (uint8_t *)buf->base, (size_t)n);
			if (s->in_flight >= (1u << 20))
				uv_reading(s, 0);
		} else {
			ptrdiff_t bad = itest_pattern_find_error(
				(uint8_t *)buf->base, (size_t)n, 1, s->got);

			CHECK(bad < 0, "echo: wrong byte at %" PRIu64,
			      s->got + (uint64_t)bad);
		}
		s->got += (uint64_t)n;
	} else if (n == UV_EOF) {
		uv_reading(s, 0);
		s->eof = 1;
		if (s->echo)
			uv_half_close(s);
		else
			uv_close((uv_handle_t *)st, NULL);
	} else if (n < 0) {
		FAIL("read: %s", uv_strerror((int)n));
	}
	free(buf->base);
}

static void uv_side_run(int fd, int echo)
{
	uv_loop_t loop;
	struct uv_side s;
	int64_t t0 = itest_now_ms();

	memset(&s, 0, sizeof(s));
	s.echo = echo;
	UV_CHECK(uv_loop_init(&loop));
	UV_CHECK(uv_tcp_init(&loop, &s.tcp));
	UV_CHECK(uv_tcp_open(&s.tcp, fd));
	uv_reading(&s, 1);
	if (!echo)
		uv_client_pump(&s);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (echo) {
		uv_close((uv_handle_t *)&s.tcp, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	CHECK(s.eof && s.got == uv_total(), "%s: %" PRIu64 " of %" PRIu64
	      " bytes", echo ? "server" : "client", s.got, uv_total());
	if (!echo)
		itest_log("libuv: %" PRIu64 " MiB echoed in %" PRId64 " ms",
			  s.got >> 20, itest_now_ms() - t0);
	UV_CHECK(uv_loop_close(&loop));
}

static void uv_client(int fd)
{
	uv_side_run(fd, 0);
}

static void test_libuv(void)
{
	pid_t pid;
	int fd = fork_client(uv_client, &pid);

	uv_side_run(fd, 1);
	itest_wait_ok(pid, "client");
}
#else
static void test_libuv(void)
{
	itest_skip("built without libuv (libuv1-dev)");
}
#endif

static const struct itest_case cases[] = {
	{ "libevent", test_libevent, 240 },
	{ "libuv", test_libuv, 240 },
};

int main(int argc, char **argv)
{
	return itest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			  argv);
}
