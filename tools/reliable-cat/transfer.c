/*
 * transfer.c: one connection's data path, and its end.
 *
 * Map, in calling order:
 *   rcat_transfer   the one poll loop: stdin -> ring -> rdt socket and
 *                   rdt socket -> ring -> stdout, half-close, -w, -q,
 *                   --progress
 *   rcat_drain      after both ends of the stream are seen, wait until
 *                   the peer has acknowledged everything we sent
 *   rcat_time_wait  before exiting, stay while the peer may need our
 *                   last acknowledgement again
 *
 * One thread; the rdt socket is non-blocking and a real descriptor, so
 * one ppoll() waits for stdin, stdout, the socket, the deadlines and
 * SIGINT/SIGTERM together.  Each direction has a bounded ring; we read
 * from a source only while its ring has room, so a slow sink stops the
 * source (backpressure) instead of growing memory.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "rcat.h"

/* Bytes buffered per direction; a power of two so that ring positions
 * can be free-running counters reduced with a mask. */
#define RING_SIZE (1u << 20)
/* Largest single read or write, so that one busy direction cannot keep
 * the loop from serving the other for long. */
#define IO_CHUNK (256u * 1024)
/* Longest pause between RDT_INFO checks while rcat_drain() waits for
 * the final acknowledgement, seconds. */
#define DRAIN_TICK_MAX 0.02
/* rcat_time_wait() ends after this many of our retransmission timeouts
 * without a datagram from the peer, or after TIME_WAIT_MAX seconds. */
#define TIME_WAIT_RTOS 4
#define TIME_WAIT_MAX 10.0
/* The library's default user timeout (rdt.h), for rcat_drain() should
 * the socket not tell its own. */
#define DEFAULT_USER_TIMEOUT_MS 60000u

/* A byte ring: data lives in [head, tail); both count bytes ever moved
 * and wrap only modulo 2^64. */
struct ring {
	char *data;
	uint64_t head, tail;
};

/* Buffers shared by every connection of the process (-k serves one at a
 * time). */
static char ring_space[2][RING_SIZE];

static size_t ring_len(const struct ring *r)
{
	return (size_t)(r->tail - r->head);
}

/* The contiguous bytes that may be written to stdout or the socket. */
static size_t ring_readable(const struct ring *r, char **p)
{
	size_t off = (size_t)(r->head & (RING_SIZE - 1));
	size_t n = ring_len(r);

	*p = r->data + off;
	if (n > RING_SIZE - off)
		n = RING_SIZE - off;
	return n > IO_CHUNK ? IO_CHUNK : n;
}

/* The contiguous free space a read from stdin or the socket may fill. */
static size_t ring_writable(const struct ring *r, char **p)
{
	size_t off = (size_t)(r->tail & (RING_SIZE - 1));
	size_t n = RING_SIZE - ring_len(r);

	*p = r->data + off;
	if (n > RING_SIZE - off)
		n = RING_SIZE - off;
	return n > IO_CHUNK ? IO_CHUNK : n;
}


/* Whether a failed read or write only means "not now". */
static bool io_would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* One connection's data path: what rcat_transfer() and its pumps share. */
struct xfer {
	int sock;
	struct rcat_session *s;
	const struct rcat_options *o;
	bool *stdin_open;	/* cleared at stdin's end, for good */
	struct ring to_peer;	/* stdin -> socket */
	struct ring to_out;	/* socket -> stdout */
	bool wr_shut;		/* we half-closed */
	bool peer_eof;		/* we read the end of the peer's stream */
	bool sock_quiet;	/* a hangup without error was seen */
	bool moved;		/* a byte moved in this round */
	double last_activity;	/* when a byte last moved, for -w */
	uint64_t last_acked;	/* bytes_acked at last_activity */
	double quit_at;		/* -q deadline, INFINITY until set */
};

/*
 * The pumps: each moves one chunk between a descriptor and a ring.  They
 * return false after rcat_fail(); "would block" is not a failure, as
 * poll may report readiness that another party consumed.
 */
static bool pump_stdin(struct xfer *x)
{
	char *p;
	size_t n = ring_writable(&x->to_peer, &p);
	ssize_t r = read(STDIN_FILENO, p, n);

	if (r > 0) {
		x->to_peer.tail += (size_t)r;
		x->moved = true;
	} else if (r == 0) {
		*x->stdin_open = false;
	} else if (!io_would_block()) {
		rcat_fail(x->s, errno, "read from stdin");
		return false;
	}
	return true;
}

static bool pump_stdout(struct xfer *x)
{
	char *p;
	size_t n = ring_readable(&x->to_out, &p);
	ssize_t r = write(STDOUT_FILENO, p, n);

	if (r > 0) {
		x->to_out.head += (size_t)r;
		x->moved = true;
	} else if (r < 0 && !io_would_block()) {
		/* EPIPE too: SIGPIPE is ignored so that we can say so. */
		rcat_fail(x->s, errno, "write to stdout");
		return false;
	}
	return true;
}

static bool pump_send(struct xfer *x)
{
	char *p;
	size_t n = ring_readable(&x->to_peer, &p);
	ssize_t r = rdt_send(x->sock, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (r > 0) {
		x->to_peer.head += (size_t)r;
		x->s->bytes_sent += (size_t)r;
		x->moved = true;
	} else if (r < 0 && !io_would_block()) {
		rcat_fail(x->s, errno, "send");
		return false;
	}
	return true;
}

static bool pump_recv(struct xfer *x)
{
	char *p;
	size_t n = ring_writable(&x->to_out, &p);
	ssize_t r = rdt_recv(x->sock, p, n, MSG_DONTWAIT);

	if (r > 0) {
		x->to_out.tail += (size_t)r;
		x->s->bytes_received += (size_t)r;
		x->moved = true;
	} else if (r == 0) {
		x->peer_eof = true;
	} else if (!io_would_block()) {
		rcat_fail(x->s, errno, "receive");
		return false;
	}
	return true;
}

/*
 * Half-close once stdin has ended and its last bytes are queued, and
 * start the -q clock.
 */
static bool maybe_shutdown(struct xfer *x)
{
	if (*x->stdin_open || ring_len(&x->to_peer) || x->wr_shut)
		return true;
	if (rdt_shutdown(x->sock, SHUT_WR) < 0) {
		rcat_fail(x->s, errno, "shutdown");
		return false;
	}
	x->wr_shut = true;
	if (x->o->quit_s >= 0)
		x->quit_at = rcat_now() + x->o->quit_s;
	return true;
}

/*
 * Whether the peer acknowledged bytes since the last activity; if so
 * that is activity too.  After the end of input on a slow link, the
 * send buffer may take far longer than -w to drain while no byte moves
 * through our descriptors: -w is a timeout without progress, and
 * acknowledgements are progress.
 */
static bool acked_more(struct xfer *x, double now)
{
	rcat_fetch_info(x->sock, x->s);
	if (!x->s->have_info || x->s->info.bytes_acked == x->last_acked)
		return false;
	x->last_acked = x->s->info.bytes_acked;
	x->last_activity = now;
	return true;
}

/*
 * -w expired with nothing moving.  If nothing is owed either way (the
 * peer's stream ended and is all written out, every byte we sent is
 * acknowledged), only our open stdin keeps the connection, and nc -w
 * ends such a connection as a normal end: exit 0 with a clean close, so
 * that the banner idiom (a server greets and closes, our stdin stays
 * open) works and the peer, which did nothing wrong, is not reset.  We
 * half-close and rcat_drain() then waits as after -q.  Before the
 * peer's end of stream we cannot tell a quiet peer from a dead link
 * (a blackout while we receive a file): exit 0 could then hide a
 * truncated transfer, so that stays a failure, as does a stall with our
 * bytes unacknowledged.  Returns false for those; the caller reports.
 */
static bool idle_end(struct xfer *x)
{
	if (!x->peer_eof || ring_len(&x->to_peer) || ring_len(&x->to_out) ||
	    !x->s->have_info || x->s->info.bytes_acked < x->s->bytes_sent)
		return false;
	if (!x->wr_shut && rdt_shutdown(x->sock, SHUT_WR) < 0)
		return false;
	x->wr_shut = true;
	x->s->quit_early = true;
	x->s->idle_end = true;
	return true;
}

/*
 * Fill |pfd| (stdin, stdout, socket) with what we can use now: a source
 * only while its ring has room, a sink only while its ring has bytes.
 * Returns the events asked of the socket.
 */
static short poll_set(const struct xfer *x, struct pollfd pfd[3])
{
	short sev = 0;

	pfd[0].fd = *x->stdin_open && ring_len(&x->to_peer) < RING_SIZE ?
		    STDIN_FILENO : -1;
	pfd[0].events = POLLIN;
	pfd[1].fd = ring_len(&x->to_out) ? STDOUT_FILENO : -1;
	pfd[1].events = POLLOUT;
	if (!x->peer_eof && ring_len(&x->to_out) < RING_SIZE)
		sev |= POLLIN;
	if (ring_len(&x->to_peer))
		sev |= POLLOUT;
	/*
	 * With nothing to ask of the socket we still watch it for a
	 * failure (POLLERR/POLLHUP) while our side is open, so a reset is
	 * noticed even when only stdin is awaited.  After our half-close a
	 * hangup is the normal end and would be reported again at once:
	 * leave the socket out then.
	 */
	pfd[2].fd = sev || (!x->wr_shut && !x->sock_quiet) ? x->sock : -1;
	pfd[2].events = sev;
	pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
	return sev;
}

/* The earliest of the -q, -w and --progress deadlines. */
static double next_deadline(const struct xfer *x)
{
	double d = x->quit_at;

	if (x->o->wait_s > 0 && x->last_activity + x->o->wait_s < d)
		d = x->last_activity + x->o->wait_s;
	if (x->s->prog.on && x->s->prog.next_t < d)
		d = x->s->prog.next_t;
	return d;
}

/* Act on what poll reported for the socket; false after a failure. */
static bool service_socket(struct xfer *x, short sev, short rev)
{
	const short broken = POLLERR | POLLHUP;

	if (sev & POLLOUT && rev & (POLLOUT | broken) && !pump_send(x))
		return false;
	if (sev & POLLIN && rev & (POLLIN | broken) && !pump_recv(x))
		return false;
	if (!sev && rev & broken) {
		int err = rcat_socket_error(x->sock, 0);

		if (err) {
			rcat_fail(x->s, err, "connection");
			return false;
		}
		/* A hangup with no error: the peer finished while our
		 * ring was full; the next receive sees the end. */
		x->sock_quiet = true;
	}
	if (sev)
		x->sock_quiet = false;
	return true;
}

/*
 * rcat_transfer - copy both ways on connected socket |sock| until both
 * directions have finished, the peer fails, -w or -q expires, or a
 * signal.  |stdin_open| is cleared at stdin's end and stays so for later
 * connections (-k).  Returns true when both directions finished (or -q
 * expired, or -w on an idle connection owing nothing; s->quit_early says
 * so), false after rcat_fail().
 */
bool rcat_transfer(int sock, struct rcat_session *s,
		   const struct rcat_options *o, bool *stdin_open)
{
	struct xfer x = {
		.sock = sock, .s = s, .o = o, .stdin_open = stdin_open,
		.to_peer = { ring_space[0], 0, 0 },
		.to_out = { ring_space[1], 0, 0 },
		.last_activity = rcat_now(), .quit_at = INFINITY,
	};
	bool ok = false;

	for (;;) {
		struct pollfd pfd[3];
		double now;
		short sev;

		if (!maybe_shutdown(&x))
			break;
		if (x.wr_shut && x.peer_eof && !ring_len(&x.to_out)) {
			ok = true;
			break;
		}
		now = rcat_now();
		if (rcat_stop_signal) {
			rcat_stopped(s, "");
			break;
		}
		if (now >= x.quit_at) {
			s->quit_early = true;
			ok = true;
			break;
		}
		if (o->wait_s > 0 && now >= x.last_activity + o->wait_s &&
		    !acked_more(&x, now)) {
			if (idle_end(&x)) {
				ok = true;
				break;
			}
			rcat_fail(s, ETIMEDOUT, "no data moved for %g s",
				  o->wait_s);
			break;
		}
		rcat_progress_tick(&s->prog, sock, s, now);

		sev = poll_set(&x, pfd);
		if (rcat_wait(pfd, 3, next_deadline(&x)) < 0) {
			if (errno == EINTR)
				continue;
			rcat_fail(s, errno, "poll");
			break;
		}
		x.moved = false;
		if (pfd[0].revents && !pump_stdin(&x))
			break;
		if (pfd[1].revents && !pump_stdout(&x))
			break;
		if (pfd[2].revents && !service_socket(&x, sev, pfd[2].revents))
			break;
		if (x.moved)
			x.last_activity = rcat_now();
	}
	return ok;
}

/*
 * Whether the connection has nothing left to deliver.  After a normal
 * end both ends of the stream have been seen, so the connection is in
 * LAST_ACK until our FIN is acknowledged, then in TIME_WAIT or CLOSED.
 * When -q cut the wait for the peer short, only our bytes count.
 */
static bool drained(const struct rdt_info *i, const struct rcat_session *s)
{
	if (s->quit_early)
		return i->bytes_acked >= s->bytes_sent;
	return i->state == RDT_STATE_TIME_WAIT ||
	       i->state == RDT_STATE_CLOSED;
}

/*
 * rcat_drain - wait until the peer has acknowledged everything we sent
 *
 * The library lives in this process: exiting before the peer has
 * acknowledged the tail of the stream would lose it.  The socket reports
 * POLLHUP once the connection is over, so after a normal end that is
 * what wakes us.  Whether our bytes are all acknowledged (after -q) has
 * no descriptor event, nor has a hangup that comes before the end, so
 * RDT_INFO is also read again every tick, from 1 ms doubling up to
 * DRAIN_TICK_MAX.
 *
 * A slow link may need minutes to take what the buffers hold at the end
 * of input, so there is no deadline for the whole drain: we give up only
 * when nothing new was acknowledged (bytes_acked, or the state after our
 * FIN) for the user timeout, plus a second so that the library's own
 * timeout fires first and the error we report is its own; or, with -w,
 * for that long.
 */
bool rcat_drain(int sock, struct rcat_session *s,
		const struct rcat_options *o)
{
	unsigned int limit_ms = 0;
	socklen_t len = sizeof(limit_ms);
	struct pollfd pfd = { sock, 0, 0 };
	double stall_s, last_progress, tick = 0.001;
	uint64_t acked = 0;
	uint32_t state = RDT_STATE_CLOSED;
	bool first = true;

	if (rdt_getsockopt(sock, RDT_SOL, RDT_USER_TIMEOUT, &limit_ms,
			   &len) < 0 || limit_ms == 0)
		limit_ms = DEFAULT_USER_TIMEOUT_MS;
	stall_s = limit_ms / 1000.0 + 1;
	last_progress = rcat_now();

	for (;;) {
		double now, give_up;

		rcat_fetch_info(sock, s);
		if (!s->have_info) {
			rcat_fail(s, errno, "RDT_INFO");
			return false;
		}
		if (s->info.state == RDT_STATE_CLOSED && s->info.error) {
			rcat_fail(s, (int)s->info.error, "connection");
			return false;
		}
		if (drained(&s->info, s))
			return true;
		now = rcat_now();
		if (rcat_stop_signal) {
			rcat_stopped(s, "");
			return false;
		}
		if (first || s->info.bytes_acked != acked ||
		    s->info.state != state) {
			acked = s->info.bytes_acked;
			state = s->info.state;
			last_progress = now;
			first = false;
		}
		if (now >= last_progress + stall_s) {
			rcat_fail(s, ETIMEDOUT, "waiting for the last "
				  "acknowledgement: nothing acknowledged for "
				  "%g s", stall_s);
			return false;
		}
		if (o->wait_s > 0 && now >= last_progress + o->wait_s) {
			rcat_fail(s, ETIMEDOUT, "nothing acknowledged for "
				  "%g s", o->wait_s);
			return false;
		}
		give_up = last_progress + (o->wait_s > 0 ?
					   fmin(stall_s, o->wait_s) :
					   stall_s);
		pfd.revents = 0;
		/* The line keeps moving while the link drains. */
		rcat_progress_tick(&s->prog, sock, s, now);
		if (rcat_wait(&pfd, 1, fmin(now + tick, give_up)) > 0) {
			if (pfd.revents & POLLERR) {
				rcat_fail(s, rcat_socket_error(sock, EPIPE),
					  "connection");
				return false;
			}
			/* A hangup stays reported: from now on only the
			 * tick wakes us, or we would spin. */
			if (pfd.revents & POLLHUP)
				pfd.fd = -1;
		}
		tick = fmin(tick * 2, DRAIN_TICK_MAX);
	}
}

/*
 * rcat_time_wait - stay to acknowledge the peer's FIN again if it needs it
 *
 * Our acknowledgement of the peer's FIN may be the connection's last
 * datagram, and nothing tells us that it arrived (the ACKs of our own
 * FIN may well have come before it was sent).  If it is lost the peer
 * sends again and, with nobody left to answer, fails after its user
 * timeout although everything was delivered.  TCP's TIME_WAIT outlives
 * the process in the kernel; rdt's lives in this process, so we stay
 * while the peer may still be retransmitting (the library answers
 * meanwhile).  Either side may be the one the peer waits for.
 *
 * The peer retransmits after its retransmission timeout, doubling it
 * each time, and on the same path its RTO is about ours.  So we wait
 * TIME_WAIT_RTOS of our RTOs, long enough for the peer's first two
 * retransmissions (after 1 and 3 RTOs); each datagram that does arrive
 * shows an acknowledgement was lost, and the next one would come twice
 * as late, so the quiet period doubles.  At most TIME_WAIT_MAX seconds.
 */
void rcat_time_wait(int sock, const struct rdt_info *at_end)
{
	double quiet = TIME_WAIT_RTOS * at_end->rto_us / 1e6;
	double start = rcat_now(), until = start + quiet;
	uint64_t seen = at_end->pkts_received;

	while (!rcat_stop_signal && rcat_now() < start + TIME_WAIT_MAX) {
		struct rdt_info info;
		socklen_t len = sizeof(info);

		/* Nothing to poll: the socket reports POLLHUP all along. */
		rcat_wait(NULL, 0, fmin(until, start + TIME_WAIT_MAX));
		if (rdt_getsockopt(sock, RDT_SOL, RDT_INFO, &info, &len) < 0 ||
		    info.state != RDT_STATE_TIME_WAIT)
			return;
		if (info.pkts_received != seen) {
			seen = info.pkts_received;
			quiet *= 2;
			until = rcat_now() + quiet;
		} else if (rcat_now() >= until) {
			return;
		}
	}
}

