/*
 * bench_idle.c: what idle connections cost a listener, rdt against
 * kernel TCP, same run.
 *
 *   tests/bench/bench_idle [CONNS [SECS]]
 *
 * For each transport, client processes (this program executed again,
 * so that they start with no rdt state of ours) open CONNS connections
 * (default 10,000) to a listener in this process, which accepts and
 * keeps them all.  Then nothing moves for SECS seconds (default 30).
 * Printed for each: the listener process's RSS growth per connection,
 * its VmSize, and the CPU time both processes used while idle.  Kernel
 * TCP's buffers are the kernel's, not the process's, so its RSS figure
 * shows only what the program itself keeps; it is printed for scale.
 *
 * Both sides need descriptors for every connection (rdt: a socket pair
 * per connection, and on the client a UDP socket too).  The soft limit
 * is raised to the hard one, and the hard one too where the system
 * allows (as root with CAP_SYS_RESOURCE); the clients are spread over as
 * many processes as that limit asks, and if the listener's own
 * descriptors are still too few, CONNS is lowered and the program says
 * so.  A benchmark, not a test: nothing is asserted but that every
 * connection opened.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rdt.h"

struct transport {
	const char *name;
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*close)(int);
};

static const struct transport transports[] = {
	{ "tcp", socket, bind, listen, accept, connect, getsockname, close },
	{ "rdt", rdt_socket, rdt_bind, rdt_listen, rdt_accept, rdt_connect,
	  rdt_getsockname, rdt_close },
};

/* Descriptors per connection on the side that needs the most (rdt's
 * client: its UDP socket and both ends of the socket pair), and spare
 * ones for the program and the library. */
#define FDS_PER_CONN 3
#define FDS_SPARE 64

static void die(const char *what)
{
	fprintf(stderr, "bench_idle: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Raises the descriptor limit as far as allowed; returns the soft
 * limit now in force. */
static long raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < want) {
		struct rlimit more = { (rlim_t)want, (rlim_t)want };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return want;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	return rl.rlim_cur == RLIM_INFINITY ? want : (long)rl.rlim_cur;
}

/* A field of /proc/self/status, in kB. */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(field);
	long kb = -1;

	if (f == NULL)
		die("/proc/self/status");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* CPU seconds, user and system, that process |pid| has used. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime = 0, stime = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		die(path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15, counted after the command name's ')'. */
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &utime, &stime) != 2)
		die("parse /proc/PID/stat");
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The client: |conns| connections to 127.0.0.1:|port|, one line on
 * stdout when all are open, then held until stdin ends. */
static int client(const struct transport *t, int port, int conns)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char c;
	int i;

	raise_nofile((long)conns * FDS_PER_CONN + FDS_SPARE);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (i = 0; i < conns; i++) {
		int fd = t->socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || t->connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("client connect");
	}
	printf("connected\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

/* A client process (this very program, wherever libtool put it) for
 * |conns| connections of |t| to |port|; its stdout in |*out|, and its
 * stdin, held open until it should exit, in |*hold|. */
static pid_t start_client(const struct transport *t, int port, int conns,
			  FILE **out, int *hold)
{
	int to_child[2], from_child[2];
	char arg_port[16], arg_conns[16];
	pid_t pid;

	snprintf(arg_port, sizeof(arg_port), "%d", port);
	snprintf(arg_conns, sizeof(arg_conns), "%d", conns);
	/* Close-on-exec, so that a later client does not hold this one's
	 * stdin open; dup2 gives the child its own copies without it. */
	if (pipe2(to_child, O_CLOEXEC) != 0 ||
	    pipe2(from_child, O_CLOEXEC) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[1]);
		close(from_child[0]);
		execl("/proc/self/exe", "bench_idle", "--client", t->name,
		      arg_port, arg_conns, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	*hold = to_child[1];
	*out = fdopen(from_child[0], "r");
	if (*out == NULL)
		die("fdopen");
	return pid;
}

/* One transport: the listener here, |conns| connections from client
 * processes of at most |per_client| each.  Every connection is closed
 * again before it returns, so the next transport starts afresh. */
static void measure(const struct transport *t, int conns, int per_client,
		    int secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int nclients = (conns + per_client - 1) / per_client;
	int *fds = calloc((size_t)conns, sizeof(*fds));
	int *hold = calloc((size_t)nclients, sizeof(*hold));
	pid_t *pids = calloc((size_t)nclients, sizeof(*pids));
	FILE **outs = calloc((size_t)nclients, sizeof(*outs));
	struct timespec idle = { secs, 0 };
	double cpu_l, cpu_c = 0, cpu_c0 = 0;
	long rss0, rss1, vm1;
	int l, i, status;
	char line[32];

	if (fds == NULL || hold == NULL || pids == NULL || outs == NULL)
		die("calloc");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = t->socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || t->bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    t->listen(l, 4096) || t->getsockname(l, (struct sockaddr *)&a,
						  &len))
		die("listen");
	rss0 = status_kb("VmRSS");
	for (i = 0; i < nclients; i++) {
		int n = conns - i * per_client;

		pids[i] = start_client(t, ntohs(a.sin_port),
				       n < per_client ? n : per_client,
				       &outs[i], &hold[i]);
	}
	for (i = 0; i < conns; i++) {
		fds[i] = t->accept(l, NULL, NULL);
		if (fds[i] < 0)
			die("accept");
	}
	for (i = 0; i < nclients; i++)
		if (fgets(line, sizeof(line), outs[i]) == NULL ||
		    strcmp(line, "connected\n") != 0) {
			fprintf(stderr, "bench_idle: %s: a client did not "
				"connect\n", t->name);
			exit(1);
		}
	rss1 = status_kb("VmRSS");
	vm1 = status_kb("VmSize");
	cpu_l = proc_cpu_s(getpid());
	for (i = 0; i < nclients; i++)
		cpu_c0 += proc_cpu_s(pids[i]);
	while (nanosleep(&idle, &idle) != 0 && errno == EINTR)
		;
	cpu_l = proc_cpu_s(getpid()) - cpu_l;
	/* Two sums, not one running difference, which rounds to -0. */
	for (i = 0; i < nclients; i++)
		cpu_c += proc_cpu_s(pids[i]);
	cpu_c -= cpu_c0;
	printf("%s: %d idle connections: listener RSS +%ld KiB (%.2f KiB per "
	       "connection), VmSize %.1f MiB; CPU over %d s: listener %.0f "
	       "ms, clients (%d) %.0f ms\n",
	       t->name, conns, rss1 - rss0, (double)(rss1 - rss0) / conns,
	       (double)vm1 / 1024, secs, cpu_l * 1e3, nclients, cpu_c * 1e3);
	fflush(stdout);
	for (i = 0; i < nclients; i++) {
		close(hold[i]);
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr, "bench_idle: %s: a client failed\n",
				t->name);
		fclose(outs[i]);
	}
	for (i = 0; i < conns; i++)
		t->close(fds[i]);
	t->close(l);
	free(fds);
	free(hold);
	free(pids);
	free(outs);
}

int main(int argc, char **argv)
{
	int conns, secs, per_client;
	long limit;
	size_t k;

	if (argc == 5 && strcmp(argv[1], "--client") == 0) {
		for (k = 0; k < 2; k++)
			if (strcmp(argv[2], transports[k].name) == 0)
				return client(&transports[k], atoi(argv[3]),
					      atoi(argv[4]));
		return 2;
	}
	conns = argc > 1 ? atoi(argv[1]) : 10000;
	secs = argc > 2 ? atoi(argv[2]) : 30;
	if (conns < 1 || conns > 1000000 || secs < 0 || secs > 3600) {
		fprintf(stderr, "usage: bench_idle [CONNS [SECS]]\n");
		return 2;
	}
	/* The listener holds up to two descriptors per connection (rdt's
	 * socket pair), each client process up to three; clients are as
	 * many processes as the limit asks. */
	limit = raise_nofile((long)conns * FDS_PER_CONN + FDS_SPARE);
	if (limit < 2L * conns + FDS_SPARE) {
		int fit = (int)((limit - FDS_SPARE) / 2);

		printf("descriptor limit %ld: %d connections instead of %d\n",
		       limit, fit, conns);
		conns = fit;
	}
	per_client = (int)((limit - FDS_SPARE) / FDS_PER_CONN);
	for (k = 0; k < 2; k++)
		measure(&transports[k], conns, per_client, secs);
	return 0;
}
