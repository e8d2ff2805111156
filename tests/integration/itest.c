/*
 * itest.c: the case runner and helpers of the integration tests.
 *
 * Map:
 *   itest_main()            fork one process per case, bound it with an
 *                           alarm, report PASS/FAIL/SKIP/TIMEOUT
 *   itest_fail/skip/log()   how a case reports
 *   itest_fork/wait_ok()    helper processes that die with their case
 *   itest_count_fds() ...   what /proc says about this process
 *   itest_listen() ...      loopback listeners, connections, options
 *   itest_pattern_*()       the verifiable byte streams
 *   itest_stream_*()        moving them over non-blocking descriptors
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/prng.h"
#include "integration/itest.h"

/* Exit status of a skipped case, as automake counts a skipped test. */
#define EXIT_SKIP 77

/* Largest single read or write the stream helpers make. */
#define STREAM_CHUNK (64 * 1024)

static const char *current_case = "main";

/* --- running cases ------------------------------------------------------ */

static void run_case(const struct itest_case *c, int *npass, int *nskip,
		     int *nfail)
{
	int64_t start = itest_now_ms();
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("FAIL: %s: fork: %s\n", c->name, itest_errname(errno));
		(*nfail)++;
		return;
	}
	if (pid == 0) {
		current_case = c->name;
		alarm(c->timeout_s);
		c->run();
		/* exit, not _exit: LeakSanitizer and valgrind check for
		 * leaks at exit, and the library may clean up then. */
		exit(0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("FAIL: %s: waitpid: %s\n", c->name,
			       itest_errname(errno));
			(*nfail)++;
			return;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("PASS: %s (%" PRId64 " ms)\n", c->name,
		       itest_now_ms() - start);
		(*npass)++;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
		printf("SKIP: %s\n", c->name);
		(*nskip)++;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		printf("FAIL: %s: TIMEOUT, not finished within %u s\n",
		       c->name, c->timeout_s);
		(*nfail)++;
	} else if (WIFSIGNALED(status)) {
		printf("FAIL: %s: killed by signal %d (%s)\n", c->name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		(*nfail)++;
	} else {
		printf("FAIL: %s: exit status %d\n", c->name,
		       WEXITSTATUS(status));
		(*nfail)++;
	}
	fflush(stdout);
}

/*
 * Is |name| in RDT_ITEST_SKIP (names separated by spaces)?  For running
 * under a tool that breaks a case's premise: valgrind.sh lists the cases
 * that need the real descriptor limit or real-time progress.
 */
static bool skip_listed(const char *name)
{
	const char *list = getenv("RDT_ITEST_SKIP"), *p;
	size_t len = strlen(name);

	for (p = list; p && (p = strstr(p, name)) != NULL; p += len)
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' '))
			return true;
	return false;
}

int itest_main(const struct itest_case *cases, size_t ncases, int argc,
	       char **argv)
{
	int npass = 0, nskip = 0, nfail = 0;
	size_t i;
	int a;

	/* Line-buffered, so that the order of messages survives forks. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "-l"))) {
		printf("usage: %s [CASE...]\ncases:\n", argv[0]);
		for (i = 0; i < ncases; i++)
			printf("  %s\n", cases[i].name);
		return 0;
	}
	for (a = 1; a < argc; a++) {
		for (i = 0; i < ncases; i++)
			if (!strcmp(argv[a], cases[i].name))
				break;
		if (i == ncases) {
			fprintf(stderr, "%s: no case named '%s' (-l lists "
				"them)\n", argv[0], argv[a]);
			return 2;
		}
	}
	for (i = 0; i < ncases; i++) {
		bool wanted = argc <= 1;

		for (a = 1; a < argc && !wanted; a++)
			wanted = !strcmp(argv[a], cases[i].name);
		if (wanted && skip_listed(cases[i].name)) {
			printf("SKIP: %s (listed in RDT_ITEST_SKIP)\n",
			       cases[i].name);
			nskip++;
		} else if (wanted) {
			run_case(&cases[i], &npass, &nskip, &nfail);
		}
	}
	printf("%d passed, %d failed, %d skipped\n", npass, nfail, nskip);
	if (nfail)
		return 1;
	return npass ? 0 : EXIT_SKIP;
}

void itest_skip(const char *fmt, ...)
{
	va_list ap;

	printf("%s: skipped: ", current_case);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(EXIT_SKIP);
}

void itest_fail(const char *file, int line, const char *cond,
		const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s:%d: ", current_case, file, line);
	if (cond)
		printf("check failed: %s: ", cond);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	/* _exit: no atexit handlers or library teardown in a broken state. */
	_exit(1);
}

void itest_log(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", current_case);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

const char *itest_errname(int err)
{
	/* A few at once: one message may name two errors. */
	static __thread char buf[4][96];
	static __thread unsigned int next;
	const char *name = strerrorname_np(err);
	char *out = buf[next++ % 4];

	snprintf(out, sizeof(buf[0]), "%s (%s)", name ? name : "?",
		 strerror(err));
	return out;
}

/* --- environment -------------------------------------------------------- */

bool itest_quick(void)
{
	const char *q = getenv("RDT_TEST_QUICK");

	return q && *q && strcmp(q, "0") != 0;
}

int64_t itest_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t itest_now_ms(void)
{
	return itest_now_ns() / 1000000;
}

long itest_raise_nofile(void)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = rl.rlim_max;
	/* valgrind refuses: it keeps descriptors of its own at the top. */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	return (long)rl.rlim_cur;
}

pid_t itest_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent may have died before prctl took effect. */
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

void itest_wait_ok(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			FAIL("waitpid(%s): %s", what, itest_errname(errno));
	if (WIFSIGNALED(status))
		FAIL("%s: killed by signal %d (%s)", what, WTERMSIG(status),
		     strsignal(WTERMSIG(status)));
	CHECK(WEXITSTATUS(status) == 0, "%s: expected exit status 0, got %d",
	      what, WEXITSTATUS(status));
}

void itest_send_port(int fd, uint16_t port)
{
	CHECK(write(fd, &port, sizeof(port)) == (ssize_t)sizeof(port),
	      "write to port pipe: %s", itest_errname(errno));
}

uint16_t itest_recv_port(int fd)
{
	uint16_t port;
	ssize_t n;

	do
		n = read(fd, &port, sizeof(port));
	while (n < 0 && errno == EINTR);
	CHECK(n == (ssize_t)sizeof(port), "read from port pipe: expected a "
	      "port, got %zd (%s)", n, n < 0 ? itest_errname(errno) :
	      "the listening process ended");
	return port;
}

void itest_wait_eof(int fd)
{
	char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) != 0)
		CHECK(n >= 0 || errno == EINTR, "read from pipe: %s",
		      itest_errname(errno));
}

long itest_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	CHECK(d != NULL, "opendir /proc/self/fd: %s", itest_errname(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

long itest_rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size, resident;

	CHECK(f != NULL, "open /proc/self/statm: %s", itest_errname(errno));
	CHECK(fscanf(f, "%ld %ld", &size, &resident) == 2,
	      "cannot parse /proc/self/statm");
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * utime + stime (fields 14 and 15) of a stat file; the comm field may
 * hold spaces and parentheses, so parsing starts after its last ')'.
 */
static uint64_t stat_cpu_ticks(const char *path)
{
	unsigned long long utime, stime;
	char buf[1024];
	const char *p;
	size_t n;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return 0;	/* a thread that exited meanwhile */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	CHECK(p != NULL, "cannot parse %s", path);
	/* After ')': state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime(15). */
	CHECK(sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		     "%llu %llu", &utime, &stime) == 2,
	      "cannot parse %s", path);
	return utime + stime;
}

uint64_t itest_cpu_ticks(void)
{
	return stat_cpu_ticks("/proc/self/stat");
}

int itest_thread_cpu_ticks(pid_t *tids, uint64_t *ticks, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	char path[300];
	int n = 0;

	CHECK(d != NULL, "opendir /proc/self/task: %s", itest_errname(errno));
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] == '.')
			continue;
		tids[n] = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
			 e->d_name);
		ticks[n++] = stat_cpu_ticks(path);
	}
	closedir(d);
	return n;
}

/* --- addresses and connections ------------------------------------------ */

socklen_t itest_loopback(struct sockaddr_storage *ss, int family,
			 uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(port);
	return sizeof(*s4);
}

uint16_t itest_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

int itest_listen(int family, int backlog, int type_flags,
		 struct sockaddr_storage *addr, socklen_t *len)
{
	int fd = CHECK_OK(rdt_socket(family, SOCK_STREAM | type_flags, 0));

	*len = itest_loopback(addr, family, 0);
	CHECK_OK(rdt_bind(fd, (struct sockaddr *)addr, *len));
	CHECK_OK(rdt_listen(fd, backlog));
	*len = sizeof(*addr);
	CHECK_OK(rdt_getsockname(fd, (struct sockaddr *)addr, len));
	CHECK(itest_port(addr) != 0, "listener bound to port 0");
	return fd;
}

int itest_connect(const struct sockaddr_storage *addr, socklen_t len)
{
	int fd = CHECK_OK(rdt_socket(addr->ss_family, SOCK_STREAM, 0));

	CHECK_OK(rdt_connect(fd, (const struct sockaddr *)addr, len));
	return fd;
}

void itest_pair_open(struct itest_pair *p, int family)
{
	p->lfd = itest_listen(family, 16, 0, &p->laddr, &p->laddrlen);
	p->cfd = itest_connect(&p->laddr, p->laddrlen);
	p->sfd = CHECK_OK(rdt_accept(p->lfd, NULL, NULL));
}

void itest_pair_close(struct itest_pair *p)
{
	CHECK_OK(rdt_close(p->cfd));
	CHECK_OK(rdt_close(p->sfd));
	CHECK_OK(rdt_close(p->lfd));
}

void itest_setopt_int(int fd, int level, int name, int value)
{
	CHECK_OK(rdt_setsockopt(fd, level, name, &value, sizeof(value)));
}

void itest_info(int fd, struct rdt_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	CHECK_OK(rdt_getsockopt(fd, RDT_SOL, RDT_INFO, info, &len));
	CHECK(len == sizeof(*info), "RDT_INFO: expected %zu bytes, got %u",
	      sizeof(*info), (unsigned int)len);
}

bool itest_wait_info(int fd, struct rdt_info *info,
		     bool (*done)(const struct rdt_info *, uint64_t),
		     uint64_t want, int timeout_ms)
{
	int64_t end = itest_now_ms() + timeout_ms;

	for (;;) {
		itest_info(fd, info);
		if (done(info, want))
			return true;
		if (itest_now_ms() > end)
			return false;
		poll(NULL, 0, 5);
	}
}

int itest_udp_bound(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));

	a.sin_port = htons(port);
	CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1, "address %s", ip);
	CHECK_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	return fd;
}

void itest_set_nonblock(int fd, bool on)
{
	int fl = CHECK_OK(rdt_fcntl(fd, F_GETFL));

	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	CHECK_OK(rdt_fcntl(fd, F_SETFL, fl));
}

/* --- verifiable byte streams --------------------------------------------- */

/* The 8 stream bytes of stream |id| at offsets 8*|word| to 8*|word|+7. */
static uint64_t pattern_word(uint64_t id, uint64_t word)
{
	uint64_t x = id * 0xD6E8FEB86659FD93ull ^ word;

	return prng_splitmix64(&x);
}

void itest_pattern_fill(uint8_t *buf, size_t len, uint64_t id, uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		uint64_t w = pattern_word(id, (off + i) >> 3);
		unsigned int b;

		for (b = (off + i) & 7; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(w >> (8 * b));
	}
}

ptrdiff_t itest_pattern_find_error(const uint8_t *buf, size_t len,
				   uint64_t id, uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		uint64_t w = pattern_word(id, (off + i) >> 3);
		unsigned int b;

		for (b = (off + i) & 7; b < 8 && i < len; b++, i++)
			if (buf[i] != (uint8_t)(w >> (8 * b)))
				return (ptrdiff_t)i;
	}
	return -1;
}

void itest_stream_init(struct itest_stream *s, int fd, const char *name,
		       uint64_t send_id, uint64_t send_total,
		       uint64_t recv_id, uint64_t recv_total)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->name = name;
	s->send_id = send_id;
	s->send_total = send_total;
	s->recv_id = recv_id;
	s->recv_total = recv_total;
}

static int stream_write(struct itest_stream *s)
{
	uint8_t buf[STREAM_CHUNK];

	while (s->sent < s->send_total) {
		uint64_t left = s->send_total - s->sent;
		size_t len = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n;

		itest_pattern_fill(buf, len, s->send_id, s->sent);
		n = rdt_send(s->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			s->error = errno;
			return -1;
		}
		CHECK(n > 0 && (size_t)n <= len, "%s: rdt_send of %zu bytes "
		      "returned %zd", s->name, len, n);
		s->sent += (uint64_t)n;
	}
	if (!s->shut && !s->keep_open && s->send_total != ITEST_FOREVER) {
		if (rdt_shutdown(s->fd, SHUT_WR) < 0) {
			s->error = errno;
			return -1;
		}
		s->shut = true;
	}
	return 0;
}

static int stream_read(struct itest_stream *s)
{
	uint8_t buf[STREAM_CHUNK];

	while (!s->eof) {
		ssize_t n = rdt_recv(s->fd, buf, sizeof(buf), 0);
		ptrdiff_t bad;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			s->error = errno;
			return -1;
		}
		if (n == 0) {
			CHECK(s->received == s->recv_total, "%s: end of stream "
			      "after %" PRIu64 " bytes, expected %" PRIu64,
			      s->name, s->received, s->recv_total);
			s->eof = true;
			break;
		}
		CHECK(s->recv_total - s->received >= (uint64_t)n, "%s: %zd "
		      "bytes more after %" PRIu64 ", expected end of stream "
		      "at %" PRIu64, s->name, n, s->received, s->recv_total);
		bad = itest_pattern_find_error(buf, (size_t)n, s->recv_id,
					       s->received);
		if (bad >= 0) {
			uint8_t want;

			itest_pattern_fill(&want, 1, s->recv_id,
					   s->received + (uint64_t)bad);
			FAIL("%s: byte at stream offset %" PRIu64 " is 0x%02x, "
			     "expected 0x%02x (read of %zd bytes at %" PRIu64
			     ")", s->name, s->received + (uint64_t)bad,
			     buf[bad], want, n, s->received);
		}
		s->received += (uint64_t)n;
	}
	return 0;
}

static bool stream_sent_all(const struct itest_stream *s)
{
	return s->keep_open ? s->sent == s->send_total : s->shut;
}

int itest_stream_io(struct itest_stream *s)
{
	if (stream_write(s) < 0 || stream_read(s) < 0)
		return -1;
	if (s->keep_open)
		return s->received == s->recv_total && stream_sent_all(s);
	return s->eof && s->shut;
}

short itest_stream_events(const struct itest_stream *s)
{
	short ev = 0;

	if (!s->eof)
		ev |= POLLIN;
	if (!stream_sent_all(s))
		ev |= POLLOUT;
	return ev;
}

void itest_stream_run(struct itest_stream *s, size_t n, int timeout_ms)
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	int64_t deadline = itest_now_ms() + timeout_ms;
	size_t i, left = n;

	CHECK(pfd != NULL, "out of memory");
	for (i = 0; i < n; i++)
		pfd[i].fd = s[i].fd;
	while (left > 0) {
		int64_t wait = deadline - itest_now_ms();
		int r;

		if (wait <= 0)
			break;
		for (i = 0; i < n; i++)
			pfd[i].events = pfd[i].fd >= 0 ?
					itest_stream_events(&s[i]) : 0;
		r = poll(pfd, n, (int)wait);
		CHECK(r >= 0 || errno == EINTR, "poll: %s",
		      itest_errname(errno));
		for (i = 0; i < n && r > 0; i++) {
			int done;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			done = itest_stream_io(&s[i]);
			CHECK(done >= 0, "%s: after %" PRIu64 " bytes sent and "
			      "%" PRIu64 " received: %s", s[i].name, s[i].sent,
			      s[i].received, itest_errname(s[i].error));
			if (done) {
				pfd[i].fd = -1;
				left--;
			}
		}
	}
	for (i = 0; i < n; i++)
		CHECK(pfd[i].fd < 0, "%s: not finished within %d ms: sent %"
		      PRIu64 " of %" PRIu64 ", received %" PRIu64 " of %"
		      PRIu64 "%s", s[i].name, timeout_ms, s[i].sent,
		      s[i].send_total, s[i].received, s[i].recv_total,
		      s[i].eof ? " and end of stream" : "");
	free(pfd);
}
