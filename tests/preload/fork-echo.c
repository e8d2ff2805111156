/*
 * fork-echo: a plain TCP program (it knows nothing of rdt) for
 * tests/preload/preload-fork.sh, run under rdt-run.
 *
 *   fork-echo server PORTFILE N [exec|linger]
 *                                  listen on FORK_ECHO_SERVER, port 0; write
 *                                  the port to PORTFILE; accept N
 *                                  connections, forking one child per
 *                                  connection that echoes every byte
 *                                  back until end of stream; exit 0 once
 *                                  every child exited 0.  With "exec"
 *                                  the child executes cat(1) with the
 *                                  connection as its stdin and stdout,
 *                                  as inetd starts a handler.  With
 *                                  "linger" each accepted socket gets
 *                                  SO_LINGER on with 0 s (close resets)
 *                                  before the fork: the parent's close
 *                                  of its copy is not the last, so it
 *                                  must reset nothing; the child turns
 *                                  it off before its own close
 *   fork-echo client PORT N BYTES  N connections at once from one
 *                                  process, each sending BYTES of its
 *                                  own pseudo-random pattern and
 *                                  checking that exactly the same bytes
 *                                  come back; exit 0 if all did
 *
 * FORK_ECHO_SERVER is the server's IPv4 address, FORK_ECHO_CLIENT the
 * one its children must see as their peer (both 127.0.0.1 by default;
 * others between network namespaces).
 *
 * The child uses the connection it inherited while the parent lives, as
 * forking servers do, and asks what such a child asks of its socket:
 * getpeername, getsockname, SO_TYPE, SO_DOMAIN, SO_PROTOCOL and a
 * setsockopt TCP_NODELAY, which must answer as TCP would.  The parent
 * closes its copy of every connection right after the fork (which must
 * not end the connection) and keeps accepting.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "fork-echo[%d]: %s: %s\n", (int)getpid(), what,
		strerror(errno));
	exit(2);
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fork-echo[%d]: %s\n", (int)getpid(), what);
		exit(3);
	}
}

static int get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) != 0)
		die("getsockopt");
	return v;
}

/* |name|'s IPv4 address from the environment, 127.0.0.1 without it. */
static in_addr_t env_addr(const char *name)
{
	const char *v = getenv(name);
	struct in_addr a;

	if (v == NULL || *v == '\0')
		return htonl(INADDR_LOOPBACK);
	if (inet_pton(AF_INET, v, &a) != 1) {
		fprintf(stderr, "fork-echo: %s=%s: not an IPv4 address\n",
			name, v);
		exit(2);
	}
	return a.s_addr;
}

/* The child: what TCP would say about the socket, then echo, itself
 * or through cat(1). */
static int serve(int fd, const char *mode)
{
	struct sockaddr_in peer, local;
	socklen_t len = sizeof(peer);
	char buf[65536];
	int one = 1;
	ssize_t n;

	if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0)
		die("getpeername");
	check(peer.sin_family == AF_INET &&
		      peer.sin_addr.s_addr == env_addr("FORK_ECHO_CLIENT"),
	      "getpeername: not the client's address");
	len = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &len) != 0)
		die("getsockname");
	check(local.sin_family == AF_INET && local.sin_port != 0,
	      "getsockname: no port");
	check(get_int(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "SO_TYPE");
	check(get_int(fd, SOL_SOCKET, SO_DOMAIN) == AF_INET, "SO_DOMAIN");
	check(get_int(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP,
	      "SO_PROTOCOL");
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		die("setsockopt TCP_NODELAY");
	if (strcmp(mode, "exec") == 0) {
		if (dup2(fd, 0) != 0 || dup2(fd, 1) != 1)
			die("dup2");
		close(fd);
		execlp("cat", "cat", (char *)NULL);
		die("exec cat");
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		char *p = buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		while (n > 0) {
			ssize_t w = write(fd, p, (size_t)n);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				die("write");
			}
			p += w;
			n -= w;
		}
	}
	if (shutdown(fd, SHUT_WR) != 0)
		die("shutdown");
	if (strcmp(mode, "linger") == 0) {
		/* On TCP this close, the last, would reset with SO_LINGER
		 * 0.  (Under rdt-run a forked child's option changes have
		 * no effect, and its last close ends the stream
		 * gracefully, as rdt-run(1) says.) */
		struct linger off = { 0, 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &off,
			       sizeof(off)) != 0)
			die("SO_LINGER off");
	}
	close(fd);
	return 0;
}

static int server(const char *portfile, int n, const char *mode)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, i, failed = 0;
	FILE *f;

	if (l < 0)
		die("socket");
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		die("SO_REUSEADDR");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = env_addr("FORK_ECHO_SERVER");
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(l, 128) != 0)
		die("bind/listen");
	check(get_int(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "SO_ACCEPTCONN");
	if (getsockname(l, (struct sockaddr *)&a, &len) != 0)
		die("getsockname");
	/* Written to a temporary name and renamed, so that the test never
	 * reads half a number. */
	{
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		f = fopen(tmp, "w");
		if (f == NULL || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 ||
		    fclose(f) != 0 || rename(tmp, portfile) != 0)
			die("port file");
	}
	for (i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL), st;
		pid_t pid;

		if (c < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("accept");
		}
		if (strcmp(mode, "linger") == 0) {
			struct linger lg = { 1, 0 };

			if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg,
				       sizeof(lg)) != 0)
				die("SO_LINGER");
		}
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(l);
			exit(serve(c, mode));
		}
		/* The parent's copy: closing it must not end the
		 * connection the child is using. */
		close(c);
		/* Reap whoever finished, without waiting. */
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
	}
	close(l);
	for (;;) {
		int st;
		pid_t pid = wait(&st);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	if (failed)
		fprintf(stderr, "fork-echo: %d children failed\n", failed);
	return failed ? 1 : 0;
}

/* Byte |i| of connection |c|'s stream: a cheap hash, so that a byte
 * from the wrong place or the wrong connection is caught. */
static unsigned char pattern(int c, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(c + 1) * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 29;
	return (unsigned char)(x ^ (x >> 17));
}

struct cconn {
	int fd;
	uint64_t sent, got;
	int eof_sent, done;
};

static int client(int port, int n, uint64_t bytes)
{
	struct cconn *cs = calloc((size_t)n, sizeof(*cs));
	struct pollfd *ps = calloc((size_t)n, sizeof(*ps));
	struct sockaddr_in a;
	int i, left = n;
	unsigned char buf[65536];

	if (cs == NULL || ps == NULL)
		die("calloc");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = env_addr("FORK_ECHO_SERVER");
	/* All connected before any byte moves, so that all N connections
	 * and N children exist at once. */
	for (i = 0; i < n; i++) {
		cs[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (cs[i].fd < 0)
			die("socket");
		if (connect(cs[i].fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			die("connect");
		if (fcntl(cs[i].fd, F_SETFL, O_NONBLOCK) != 0)
			die("fcntl");
	}
	while (left > 0) {
		for (i = 0; i < n; i++) {
			ps[i].fd = cs[i].done ? -1 : cs[i].fd;
			ps[i].events = POLLIN;
			if (!cs[i].eof_sent)
				ps[i].events |= POLLOUT;
		}
		if (poll(ps, (nfds_t)n, 60000) <= 0)
			die("poll (60 s without progress?)");
		for (i = 0; i < n; i++) {
			struct cconn *c = &cs[i];
			ssize_t r;

			if (c->done)
				continue;
			if ((ps[i].revents & POLLOUT) && !c->eof_sent) {
				size_t k, m = sizeof(buf);

				if (bytes - c->sent < m)
					m = (size_t)(bytes - c->sent);
				for (k = 0; k < m; k++)
					buf[k] = pattern(i, c->sent + k);
				r = m ? write(c->fd, buf, m) : 0;
				if (r < 0 && errno != EAGAIN)
					die("write");
				if (r > 0)
					c->sent += (uint64_t)r;
				if (c->sent == bytes) {
					if (shutdown(c->fd, SHUT_WR) != 0)
						die("shutdown");
					c->eof_sent = 1;
				}
			}
			if (ps[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t k;

				r = read(c->fd, buf, sizeof(buf));
				if (r < 0 && errno == EAGAIN)
					continue;
				if (r < 0)
					die("read");
				if (r == 0) {
					if (c->got != bytes) {
						fprintf(stderr, "fork-echo[%d]: "
							"connection %d: end of "
							"stream after %llu of "
							"%llu bytes came back "
							"(%llu sent)\n",
							(int)getpid(), i,
							(unsigned long long)c->got,
							(unsigned long long)bytes,
							(unsigned long long)c->sent);
						exit(3);
					}
					close(c->fd);
					c->done = 1;
					left--;
					continue;
				}
				for (k = 0; k < r; k++)
					if (buf[k] != pattern(i, c->got + (uint64_t)k)) {
						fprintf(stderr, "fork-echo: "
							"connection %d: byte "
							"%llu differs\n", i,
							(unsigned long long)(c->got + (uint64_t)k));
						exit(1);
					}
				c->got += (uint64_t)r;
				check(c->got <= bytes, "more bytes came back");
			}
		}
	}
	printf("fork-echo: %d connections, %llu bytes each way each, "
	       "echoed exactly\n", n, (unsigned long long)bytes);
	free(cs);
	free(ps);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || (argc == 5 && (strcmp(argv[4], "exec") == 0 ||
					  strcmp(argv[4], "linger") == 0))) &&
	    strcmp(argv[1], "server") == 0)
		return server(argv[2], atoi(argv[3]),
			      argc == 5 ? argv[4] : "plain");
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]), atoi(argv[3]),
			      strtoull(argv[4], NULL, 10));
	fprintf(stderr, "usage: fork-echo server PORTFILE N [exec|linger]\n"
			"       fork-echo client PORT N BYTES\n");
	return 2;
}
