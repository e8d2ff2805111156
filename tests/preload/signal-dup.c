/*
 * signal-dup: a plain TCP program (it knows nothing of rdt) for
 * tests/preload/preload-signal.sh, run under rdt-run.
 *
 *   signal-dup SECONDS
 *
 * For SECONDS, the main thread asks getsockname and getsockopt of a
 * listening TCP socket (an rdt socket under rdt-run, so the preload
 * library takes its table lock for every call), while a timer signal
 * every 100 us runs a handler that does dup(2) and close(2) on a pipe
 * and on the listening socket, which POSIX allows in a handler.  They
 * must never wait for a lock the interrupted thread holds: the program
 * would deadlock (the test bounds it).  Exits 0 and prints how many
 * handlers ran.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2], listener = -1;
static volatile sig_atomic_t handled, failed;

static void on_alarm(int sig)
{
	int saved = errno, d = dup(pipe_fds[0]);

	(void)sig;
	if (d < 0 || close(d) != 0)
		failed = 1;
	d = dup(listener);
	if (d < 0 || close(d) != 0)
		failed = 1;
	handled++;
	errno = saved;
}

static void die(const char *what)
{
	fprintf(stderr, "signal-dup: %s: %s\n", what, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct itimerval every = { { 0, 100 }, { 0, 100 } }, off = { 0 };
	struct sigaction sa;
	struct timespec t0, t;
	socklen_t len;
	long calls = 0;
	int l, v, secs = argc > 1 ? atoi(argv[1]) : 2;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	len = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(l, 4) != 0 || pipe(pipe_fds) != 0)
		die("setup");
	listener = l;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGALRM, &sa, NULL) != 0 ||
	    setitimer(ITIMER_REAL, &every, NULL) != 0)
		die("timer");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		len = sizeof(a);
		if (getsockname(l, (struct sockaddr *)&a, &len) != 0)
			die("getsockname");
		len = sizeof(v);
		if (getsockopt(l, SOL_SOCKET, SO_TYPE, &v, &len) != 0 ||
		    v != SOCK_STREAM)
			die("getsockopt SO_TYPE");
		calls++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < secs);
	setitimer(ITIMER_REAL, &off, NULL);
	if (failed) {
		fprintf(stderr, "signal-dup: dup or close failed in the "
			"handler\n");
		return 1;
	}
	printf("signal-dup: %ld call pairs, %d handlers ran\n", calls,
	       (int)handled);
	close(l);
	return handled > 0 ? 0 : 1;
}
