/*
 * conn.c: the client and the server around one connection.
 *
 * Map, in calling order:
 *   rcat_run_client   resolve HOST PORT, connect_any(): try each address
 *   rcat_run_server   open_listener(), then accept one connection at a
 *                     time
 *   serve             one connection: rcat_transfer(), rcat_drain(),
 *                     the close (graceful, or a reset after a failure)
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rcat.h"

/* Connections that may wait for rdt_accept; only -k ever takes more than
 * the first, one at a time. */
#define LISTEN_BACKLOG 16

static void set_user_options(int fd, const struct rcat_options *o)
{
	/* The values were range-checked while parsing, so a failure here
	 * means the library disagrees with rdt.h; say so but carry on
	 * with its defaults. */
	if (o->sndbuf && rdt_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf,
					sizeof(o->sndbuf)) < 0)
		fprintf(stderr, "%s: warning: --sndbuf: %s\n", PROG,
			strerror(errno));
	if (o->rcvbuf && rdt_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf,
					sizeof(o->rcvbuf)) < 0)
		fprintf(stderr, "%s: warning: --rcvbuf: %s\n", PROG,
			strerror(errno));
	if (o->user_timeout_ms &&
	    rdt_setsockopt(fd, RDT_SOL, RDT_USER_TIMEOUT, &o->user_timeout_ms,
			   sizeof(o->user_timeout_ms)) < 0)
		fprintf(stderr, "%s: warning: --user-timeout: %s\n", PROG,
			strerror(errno));
}

/* --psk-file, --key, --peer-key: unlike the tuning above, a key that
 * did not take must stop everything: the transfer would go in clear. */
static int set_key(int fd, const struct rcat_options *o,
		   struct rcat_session *s)
{
	const char *what = NULL;
	int rc = 0;

	if (o->have_psk) {
		what = "--psk-file: setting the key (RDT_PSK)";
		rc = rdt_setsockopt(fd, RDT_SOL, RDT_PSK, o->psk,
				    sizeof(o->psk));
	} else if (o->have_key) {
		what = "--key: setting the key (RDT_KEY)";
		rc = rdt_setsockopt(fd, RDT_SOL, RDT_KEY, o->key,
				    sizeof(o->key));
	} else if (o->have_peer_key) {
		what = "--peer-key: setting the key (RDT_PEER_KEY)";
		rc = rdt_setsockopt(fd, RDT_SOL, RDT_PEER_KEY, o->peer_key,
				    sizeof(o->peer_key));
	}
	if (what == NULL)
		return 0;
	if (rc < 0) {
		rcat_fail(s, errno, "%s", what);
		return -1;
	}
	s->encrypted = true;
	return 0;
}

void rcat_fetch_info(int fd, struct rcat_session *s)
{
	socklen_t len = sizeof(s->info);

	s->have_info = rdt_getsockopt(fd, RDT_SOL, RDT_INFO, &s->info,
				      &len) == 0;
}

/* The connection's pending error (SO_ERROR), or |fallback| if it has
 * none: poll reported a failure whose reason was already taken. */
int rcat_socket_error(int fd, int fallback)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (rdt_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err ? err : fallback;
}

/* Abortive close: the peer sees a reset instead of a clean end. */
static void close_abort(int sock)
{
	struct linger lg = { 1, 0 };

	rdt_setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	rdt_close(sock);
}

/*
 * serve - run one established connection |sock| to its end and close it
 *
 * Returns true for a clean rcat_transfer; on failure the reason is in |s|.
 */
static bool serve(int sock, struct rcat_session *s,
		  const struct rcat_options *o,
		  bool *stdin_open)
{
	bool ok;

	rcat_format_local(sock, s->local, sizeof(s->local));
	if (o->verbose)
		fprintf(stderr, "%s: connected %s <-> %s\n", PROG, s->local,
			s->peer);
	s->t_start = rcat_now();
	rcat_progress_start(&s->prog, o, s->t_start);
	if (o->probe) {
		/* -z: the connection answered, which is all we asked.  We
		 * end our side and close cleanly; the library delivers the
		 * end of stream before the process exits. */
		s->quit_early = true;
		ok = rdt_shutdown(sock, SHUT_WR) == 0;
		if (!ok)
			rcat_fail(s, errno, "shutdown");
	} else {
		ok = rcat_transfer(sock, s, o, stdin_open);
	}
	if (ok)
		ok = rcat_drain(sock, s, o);
	s->t_end = rcat_now();
	rcat_progress_end(&s->prog, sock, s, s->t_end);
	rcat_fetch_info(sock, s);
	/* With -k the process lives on, and the library keeps answering
	 * for a closed socket in TIME_WAIT meanwhile: no need to wait. */
	if (ok && !s->quit_early && !o->keep_open && s->have_info &&
	    s->info.state == RDT_STATE_TIME_WAIT)
		rcat_time_wait(sock, &s->info);
	/* A clean end closes gracefully, -q's too: the peer has every
	 * byte and our end of stream, and a reset would make it fail
	 * although nothing was lost (as nc -q closes, it does not abort).
	 * After a failure we reset, so that the peer learns it now rather
	 * than at its user timeout: the library ends with this process. */
	if (ok)
		rdt_close(sock);
	else
		close_abort(sock);
	return ok;
}

/* Wait for |fd| to become writable (a non-blocking connect finishing) or
 * for |deadline|.  Returns 0 or an errno value. */
static int wait_connected(int fd, double deadline)
{
	for (;;) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		int r;

		if (rcat_stop_signal)
			return EINTR;
		if (rcat_now() >= deadline)
			return ETIMEDOUT;
		r = rcat_wait(&pfd, 1, deadline);
		if (r < 0 && errno != EINTR)
			return errno;
		if (r > 0)
			return rcat_socket_error(fd, 0);
	}
}

/*
 * connect_any - connect to the first address of |ai| that answers
 *
 * Returns the connected, non-blocking socket, or -1 with the last
 * attempt's failure in |s|.
 */
static int connect_any(const struct addrinfo *ai, const struct rcat_options *o,
		       struct rcat_session *s)
{
	for (; ai; ai = ai->ai_next) {
		int fd, err;

		s->result = RES_OK;
		rcat_format_addr(ai->ai_addr, ai->ai_addrlen, s->peer,
				 sizeof(s->peer));
		fd = rdt_socket(ai->ai_family,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rcat_fail(s, errno, "socket");
			continue;
		}
		set_user_options(fd, o);
		/* -s/-p: bound before connecting, as nc does, so the peer
		 * sees the address and port asked for. */
		if (set_key(fd, o, s) < 0 ||
		    rcat_bind_source(fd, ai->ai_family, o, s) < 0) {
			rdt_close(fd);
			continue;
		}
		if (rdt_connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			err = 0;
		else if (errno != EINPROGRESS)
			err = errno;
		else
			err = wait_connected(fd, o->wait_s > 0 ?
					     rcat_now() + o->wait_s :
					     INFINITY);
		if (!err)
			return fd;
		rcat_format_local(fd, s->local, sizeof(s->local));
		if (rcat_stop_signal) {
			rcat_stopped(s, " while connecting");
			close_abort(fd);
			break;
		}
		rcat_fail(s, err, "connect to %s", s->peer);
		if (o->verbose && ai->ai_next)
			fprintf(stderr, "%s: %s\n", PROG, s->error);
		close_abort(fd);
	}
	return -1;
}


int rcat_run_client(const struct rcat_options *o)
{
	struct rcat_session s = { .role = "client" };
	struct addrinfo *res;
	bool stdin_open = !o->no_stdin;
	int fd;

	if (rcat_resolve(o, false, &res, &s) == 0) {
		fd = connect_any(res, o, &s);
		freeaddrinfo(res);
		if (fd >= 0)
			serve(fd, &s, o, &stdin_open);
	}
	return rcat_finish_session(&s, o);
}

/* Write the listener's port to --port-file so that a script that asked
 * for port 0 learns it; written aside and renamed so the reader never
 * sees a partial file. */
static bool write_port_file(const char *path, int lfd, struct rcat_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char tmp[PATH_MAX];
	unsigned int port;
	FILE *f;

	if (rdt_getsockname(lfd, (struct sockaddr *)&ss, &len) < 0) {
		rcat_fail(s, errno, "getsockname");
		return false;
	}
	port = ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		errno = ENAMETOOLONG;
	else if ((f = fopen(tmp, "w")) != NULL) {
		fprintf(f, "%u\n", port);
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			return true;
		unlink(tmp);
	}
	rcat_fail(s, errno, "--port-file %s", path);
	return false;
}

/*
 * open_listener - bind and listen on the first usable address of |res|
 *
 * Without HOST and without -4/-6 the IPv6 wildcard comes first: an
 * AF_INET6 socket bound to :: takes IPv4 peers too.  Returns the
 * listening socket, or -1 with the reason in |s|.
 */
static int open_listener(const struct addrinfo *res,
			 const struct rcat_options *o,
			 struct rcat_session *s)
{
	const int families[] = { AF_INET6, AF_INET };
	const int one = 1;
	const struct addrinfo *ai;
	int err = EAFNOSUPPORT;
	size_t k;

	for (k = 0; k < 2; k++) {
		for (ai = res; ai; ai = ai->ai_next) {
			int fd;

			if (ai->ai_family != families[k])
				continue;
			fd = rdt_socket(ai->ai_family, SOCK_STREAM |
					SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			/* Accepted sockets inherit the buffers and
			 * timeouts. */
			set_user_options(fd, o);
			if (set_key(fd, o, s) < 0) {
				rdt_close(fd);
				return -1;
			}
			rdt_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one));
			if (rdt_bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
			    rdt_listen(fd, LISTEN_BACKLOG) == 0) {
				rcat_format_local(fd, s->local,
						  sizeof(s->local));
				if (o->verbose)
					fprintf(stderr, "%s: listening on "
						"%s\n", PROG, s->local);
				return fd;
			}
			err = errno;
			rdt_close(fd);
		}
	}
	rcat_fail(s, err, "listen on %s port %s", o->host ? o->host : "*",
		  o->port);
	return -1;
}

/*
 * accept_next - wait for and take the next connection on |lfd|
 *
 * Returns the connection's socket, or -1: on SIGINT/SIGTERM
 * (rcat_stop_signal is set) or a failure of the listener (reason in |s|).
 */
static int accept_next(int lfd, struct rcat_session *s)
{
	for (;;) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd;

		if (rcat_stop_signal)
			return -1;
		if (rcat_wait(&pfd, 1, INFINITY) < 0) {
			if (errno == EINTR)
				continue;
			rcat_fail(s, errno, "poll");
			return -1;
		}
		fd = rdt_accept4(lfd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			rcat_format_addr((struct sockaddr *)&ss, len, s->peer,
					 sizeof(s->peer));
			return fd;
		}
		/* A connection may vanish between poll and accept: that
		 * does not end the listener. */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			continue;
		rcat_fail(s, errno, "accept");
		return -1;
	}
}

/*
 * rcat_run_server - listen, then serve one connection, or with -k one after
 * another until SIGINT/SIGTERM
 *
 * The exit status and --stats are those of the last connection; a
 * listener that fails, or is stopped before any connection, fails.
 */
int rcat_run_server(const struct rcat_options *o)
{
	struct rcat_session s = { .role = "server" };
	bool stdin_open = !o->no_stdin, served = false;
	struct addrinfo *res;
	char listen_addr[sizeof(s.local)];
	int lfd = -1, status = EXIT_CLEAN;

	if (rcat_resolve(o, true, &res, &s) == 0) {
		lfd = open_listener(res, o, &s);
		freeaddrinfo(res);
	}
	if (lfd >= 0 && o->port_file && !write_port_file(o->port_file, lfd,
							 &s)) {
		rdt_close(lfd);
		lfd = -1;
	}
	if (lfd < 0)
		return rcat_finish_session(&s, o);
	memcpy(listen_addr, s.local, sizeof(listen_addr));
	for (;;) {
		int fd = accept_next(lfd, &s);

		if (fd < 0) {
			if (!served && rcat_stop_signal)
				rcat_stopped(&s, " before any connection");
			/* A signal between connections is how -k ends;
			 * the last connection's report stands. */
			if (!served || !rcat_stop_signal)
				status = rcat_finish_session(&s, o);
			break;
		}
		/* Without -k, later clients are refused, not queued. */
		if (!o->keep_open) {
			rdt_close(lfd);
			lfd = -1;
		}
		serve(fd, &s, o, &stdin_open);
		status = rcat_finish_session(&s, o);
		served = true;
		if (!o->keep_open || rcat_stop_signal)
			break;
		s = (struct rcat_session){ .role = "server" };
		memcpy(s.local, listen_addr, sizeof(s.local));
	}
	if (lfd >= 0)
		rdt_close(lfd);
	return status;
}

