/*
 * daemon: a plain TCP program (it knows nothing of rdt) for
 * tests/preload/preload-daemon.sh, run under rdt-run, that checks what
 * rdt-run(1) says of daemons, the programs that fork and let the parent
 * exit.
 *
 *   daemon late PORTFILE        the daemon that forks first: the parent
 *                               exits at once; the child listens on
 *                               127.0.0.1 port 0, writes the port and
 *                               its PID to PORTFILE, accepts one
 *                               connection and
 *                               echoes it until end of stream.  Its
 *                               sockets, made after the fork, must work.
 *   daemon early PORT RESULT    the daemon that forks last: connects to
 *                               127.0.0.1 PORT, sends "hello", then
 *                               forks; the parent exits; the child
 *                               writes its PID to RESULT.pid, waits
 *                               (bounded) until it is orphaned, then
 *                               reads.  rdt-run(1) promises end of stream
 *                               or ECONNRESET, never a hang: the child
 *                               writes "eof" or "econnreset" (or what it
 *                               got instead) to RESULT and exits 0 for
 *                               the promised outcomes, 1 otherwise.
 *
 * Every wait is bounded (SO_RCVTIMEO, and a deadline for the orphaning).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The child reads at most this long: far past any graceful close or
 * RDT_EXIT_LINGER the tests set. */
#define READ_TIMEOUT_S 30

static void die(const char *what)
{
	fprintf(stderr, "daemon[%d]: %s: %s\n", (int)getpid(), what,
		strerror(errno));
	exit(2);
}

static struct sockaddr_in loopback(unsigned port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int run_late(const char *portfile)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);
	char buf[65536];
	ssize_t n;
	FILE *f;
	int l, c;

	switch (fork()) {
	case -1:
		die("fork");
	case 0:
		break;
	default:
		return 0;	/* the parent goes, as a daemon's does */
	}
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0)
		die("listen");
	f = fopen(portfile, "w");
	if (f == NULL ||
	    fprintf(f, "%u %d\n", ntohs(a.sin_port), (int)getpid()) < 0 ||
	    fclose(f) != 0)
		die(portfile);
	c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, (size_t)n) != n)
			die("write");
	if (n < 0)
		die("read");
	close(c);
	close(l);
	return 0;
}

static int run_early(unsigned port, const char *result)
{
	struct sockaddr_in a = loopback(port);
	struct timeval tv = { READ_TIMEOUT_S, 0 };
	const char *got;
	char buf[4096];
	ssize_t n;
	pid_t parent = getpid();
	FILE *f;
	int c, i;

	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect");
	if (write(c, "hello", 5) != 5)
		die("write");
	switch (fork()) {
	case -1:
		die("fork");
	case 0:
		break;
	default:
		exit(0);	/* exit(3): atexit handlers run, librdt's too */
	}
	snprintf(buf, sizeof(buf), "%s.pid", result);
	f = fopen(buf, "w");
	if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 ||
	    fclose(f) != 0)
		die(buf);
	for (i = 0; i < 1000 && getppid() == parent; i++)
		poll(NULL, 0, 10);
	if (getppid() == parent) {
		fprintf(stderr, "daemon: the parent did not exit in 10 s\n");
		return 1;
	}
	if (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		die("SO_RCVTIMEO");
	n = read(c, buf, sizeof(buf));
	if (n == 0)
		got = "eof";
	else if (n < 0 && errno == ECONNRESET)
		got = "econnreset";
	else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		got = "timeout";
	else if (n < 0)
		got = strerror(errno);
	else
		got = "data";
	f = fopen(result, "w");
	if (f == NULL || fprintf(f, "%s\n", got) < 0 || fclose(f) != 0)
		die(result);
	return strcmp(got, "eof") == 0 || strcmp(got, "econnreset") == 0 ? 0
									  : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "late") == 0)
		return run_late(argv[2]);
	if (argc == 4 && strcmp(argv[1], "early") == 0)
		return run_early((unsigned)atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: daemon late PORTFILE | daemon early PORT "
		"RESULT\n");
	return 2;
}
