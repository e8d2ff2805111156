/*
 * e2e.c: helpers for the tests that run a real rdt-impair (see e2e.h).
 *
 * The relay is started with --listen ADDR:0 and -v, so the kernel picks a
 * free port with no race, and the relay names it on its first line of
 * standard error ("listening on ADDR:PORT"), which is how the test knows
 * it is ready.  Cleanup: an atexit handler and the signal handlers kill
 * the relays this process started (by PID) and remove its temporary
 * directory.
 */
#define _GNU_SOURCE
#include "e2e.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire/crc32c.h"

#define MAX_RELAYS 8
#define SOCK_BUF (8 * 1024 * 1024)

static const char *test_name = "impair";
static pid_t relays[MAX_RELAYS];
static char tmpdir[64];

uint64_t e2e_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int e2e_quick(void)
{
	const char *q = getenv("RDT_TEST_QUICK");

	return q && strcmp(q, "1") == 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Async-signal-safe: kill is, and so is waitpid. */
static void kill_relays(int sig)
{
	int i;

	for (i = 0; i < MAX_RELAYS; i++)
		if (relays[i] > 0)
			kill(relays[i], sig);
}

/* Removes the temporary directory, unless RDT_IMPAIR_TEST_KEEP is set
 * (to read the relays' standard error and statistics after a run). */
static void remove_tmpdir(void)
{
	struct dirent *de;
	char path[512];
	DIR *d;

	if (tmpdir[0] && getenv("RDT_IMPAIR_TEST_KEEP")) {
		fprintf(stderr, "%s: kept %s\n", test_name, tmpdir);
		return;
	}
	if (!tmpdir[0] || !(d = opendir(tmpdir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

static void cleanup(void)
{
	int i;

	kill_relays(SIGKILL);
	for (i = 0; i < MAX_RELAYS; i++)
		if (relays[i] > 0)
			waitpid(relays[i], NULL, 0);
	remove_tmpdir();
}

static void on_signal(int sig)
{
	static const char msg[] = ": FAIL: timed out or interrupted\n";

	kill_relays(SIGKILL);
	if (write(2, test_name, strlen(test_name)) < 0 ||
	    write(2, msg, sizeof(msg) - 1) < 0)
		sig = 0;
	(void)sig;
	/* _exit skips atexit: the directory may stay; the relays do not. */
	_exit(1);
}

void e2e_init(const char *name, unsigned seconds)
{
	struct sigaction sa;

	test_name = name;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	strcpy(tmpdir, "/tmp/rdt-impair-test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = '\0';
		e2e_fail("mkdtemp: %s", strerror(errno));
	}
	atexit(cleanup);
	alarm(seconds);
}

void e2e_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: FAIL: ", test_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

const char *e2e_temp_path(const char *what)
{
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, what);
	return p;
}

static void grow(int fd)
{
	int size = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
				 sizeof(size));
}

/* A numeric address with port |port| into |ss|. */
static void make_addr(const char *addr, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(addr, port, &hints, &res);
	if (rc)
		e2e_fail("%s: %s", addr, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

int e2e_udp(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

	make_addr(addr, "0", ss, len);
	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		e2e_fail("socket: %s", strerror(errno));
	grow(fd);
	if (bind(fd, (struct sockaddr *)ss, *len) < 0)
		e2e_fail("bind %s: %s", addr, strerror(errno));
	*len = sizeof(*ss);
	getsockname(fd, (struct sockaddr *)ss, len);
	return fd;
}

const char *e2e_addr_str(const struct sockaddr_storage *ss, int slot)
{
	static char bufs[4][NI_MAXHOST + NI_MAXSERV + 4];
	char host[NI_MAXHOST], port[NI_MAXSERV];
	char *b = bufs[slot & 3];

	getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host,
		    sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	if (ss->ss_family == AF_INET6)
		snprintf(b, sizeof(bufs[0]), "[%s]:%s", host, port);
	else
		snprintf(b, sizeof(bufs[0]), "%s:%s", host, port);
	return b;
}

void e2e_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		e2e_fail("%s: %s", path, strerror(errno));
	while ((n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
}

/* Waits for "listening on ADDR:PORT" in the relay's standard error. */
static void wait_listening(pid_t pid, const char *errpath, const char *addr,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	char text[4096], port[16];
	const char *p;
	uint64_t end = e2e_now() + 10000000000ull;
	int status;

	while (e2e_now() < end) {
		e2e_read_file(errpath, text, sizeof(text));
		p = strstr(text, "listening on ");
		if (p && strchr(p, '\n')) {
			/* The port is after the last ':' before ", ". */
			const char *comma = strstr(p, ", forwarding");
			const char *colon = comma;

			while (colon && *colon != ':')
				colon--;
			if (!colon || comma - colon - 1 >= (long)sizeof(port))
				e2e_fail("relay said: %s", text);
			memcpy(port, colon + 1, (size_t)(comma - colon - 1));
			port[comma - colon - 1] = '\0';
			make_addr(addr, port, ss, len);
			return;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			e2e_fail("relay exited at start: %s", text);
		sleep_ms(5);
	}
	e2e_fail("relay did not start within 10 s");
}

pid_t e2e_relay_start(const char *listen_addr, const char *const *args,
		      struct sockaddr_storage *listen, socklen_t *len,
		      const char *stderr_path)
{
	static int count;
	const char *dir = getenv("top_builddir");
	const char *argv[64];
	char relay[512], listen_arg[160], errname[32];
	const char *errpath;
	pid_t pid;
	int i, n = 0, fd;

	if (snprintf(relay, sizeof(relay), "%s/tools/rdt-impair/rdt-impair",
		     dir ? dir : ".") >= (int)sizeof(relay))
		e2e_fail("top_builddir too long");
	snprintf(listen_arg, sizeof(listen_arg),
		 strchr(listen_addr, ':') ? "[%s]:0" : "%s:0", listen_addr);
	snprintf(errname, sizeof(errname), "relay%d.err", count++);
	errpath = stderr_path ? stderr_path : e2e_temp_path(errname);
	argv[n++] = relay;
	argv[n++] = "-v";
	argv[n++] = "--listen";
	argv[n++] = listen_arg;
	for (i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	for (i = 0; i < MAX_RELAYS && relays[i] > 0; i++)
		;
	if (i == MAX_RELAYS)
		e2e_fail("too many relays");
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		e2e_fail("%s: %s", errpath, strerror(errno));
	pid = fork();
	if (pid < 0)
		e2e_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Even if this test dies without cleaning up, the relay
		 * goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 2);
		execv(relay, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", relay, strerror(errno));
		_exit(127);
	}
	close(fd);
	relays[i] = pid;
	wait_listening(pid, errpath, listen_addr, listen, len);
	return pid;
}

int e2e_relay_stop(pid_t pid)
{
	uint64_t end = e2e_now() + 10000000000ull;
	int status, i;

	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (e2e_now() > end)
			e2e_fail("relay %d did not stop on SIGTERM",
				 (int)pid);
		sleep_ms(5);
	}
	for (i = 0; i < MAX_RELAYS; i++)
		if (relays[i] == pid)
			relays[i] = 0;
	if (!WIFEXITED(status))
		e2e_fail("relay died of signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Where the value of "KEY" in "OBJ" starts. */
static const char *stat_find(const char *json, const char *obj,
			     const char *key)
{
	char pat[64];
	const char *o, *end, *k;

	snprintf(pat, sizeof(pat), "\"%s\":{", obj);
	o = strstr(json, pat);
	if (!o)
		e2e_fail("no \"%s\" in stats: %s", obj, json);
	end = strchr(o, '}');
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	k = strstr(o, pat);
	if (!k || k > end)
		e2e_fail("no \"%s\" in \"%s\" of stats: %s", key, obj, json);
	return k + strlen(pat);
}

uint64_t e2e_stat(const char *json, const char *obj, const char *key)
{
	return strtoull(stat_find(json, obj, key), NULL, 10);
}

double e2e_stat_f(const char *json, const char *obj, const char *key)
{
	return strtod(stat_find(json, obj, key), NULL);
}

void e2e_dgram_fill(uint8_t *buf, size_t size, uint64_t seq, uint64_t now)
{
	uint32_t crc;
	size_t i;

	memcpy(buf, "RDTI", 4);
	memcpy(buf + 4, &seq, 8);
	memcpy(buf + 12, &now, 8);
	for (i = 20; i < size - 4; i++)
		buf[i] = (uint8_t)(seq + i);
	crc = rdt_crc32c(0, buf, size - 4);
	memcpy(buf + size - 4, &crc, 4);
}

int e2e_dgram_check(const uint8_t *buf, size_t len, uint64_t *pseq,
		    uint64_t *psent)
{
	uint32_t crc;

	if (len < E2E_DGRAM_MIN)
		return -1;
	memcpy(&crc, buf + len - 4, 4);
	if (crc != rdt_crc32c(0, buf, len - 4) || memcmp(buf, "RDTI", 4))
		return -1;
	memcpy(pseq, buf + 4, 8);
	memcpy(psent, buf + 12, 8);
	return 0;
}

#define TX_BATCH 64

ssize_t e2e_send_gso(int fd, const struct sockaddr_storage *dst,
		     socklen_t dstlen, struct iovec *iov, size_t niov,
		     uint16_t seg)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)dst;
	mh.msg_namelen = dstlen;
	mh.msg_iov = iov;
	mh.msg_iovlen = niov;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	return sendmsg(fd, &mh, 0);
}

/* Sends the |n| datagrams in |iov| as one UDP_SEGMENT message. */
static unsigned send_gso(const struct e2e_traffic *t, uint64_t *next,
			 unsigned n, struct iovec *iov)
{
	if (n > 65000 / t->size)
		n = (unsigned)(65000 / t->size);
	if (e2e_send_gso(t->tx, t->dst, t->dstlen, iov, n,
			 (uint16_t)t->size) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ENOBUFS)
			return 0;
		e2e_fail("sendmsg with UDP_SEGMENT: %s", strerror(errno));
	}
	*next += n;
	return n;
}

/* Sends up to |n| datagrams from |*next|; returns how many went. */
static unsigned send_some(const struct e2e_traffic *t, uint64_t *next,
			  unsigned n, uint8_t (*bufs)[65536])
{
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH];
	uint64_t now = e2e_now();
	unsigned i;
	int sent;

	if (n > TX_BATCH)
		n = TX_BATCH;
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < n; i++) {
		e2e_dgram_fill(bufs[i], t->size, *next + i, now);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = t->size;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		if (t->dst2 && ((*next + i) & 1)) {
			msg[i].msg_hdr.msg_name = (void *)t->dst2;
			msg[i].msg_hdr.msg_namelen = t->dst2len;
		} else {
			msg[i].msg_hdr.msg_name = (void *)t->dst;
			msg[i].msg_hdr.msg_namelen = t->dstlen;
		}
	}
	if (t->gso && n > 1)
		return send_gso(t, next, n, iov);
	sent = sendmmsg(t->tx, msg, n, 0);
	if (sent < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ENOBUFS)
			return 0;
		e2e_fail("sendmmsg: %s", strerror(errno));
	}
	*next += (uint64_t)sent;
	return (unsigned)sent;
}

/* Reads what |t->rx| holds, a few batches at most. */
static void recv_some(const struct e2e_traffic *t, uint8_t (*bufs)[65536])
{
	struct mmsghdr msg[TX_BATCH];
	struct iovec iov[TX_BATCH];
	uint64_t now;
	int got, i, round;

	memset(msg, 0, sizeof(msg));
	for (i = 0; i < TX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	for (round = 0; round < 16; round++) {
		got = recvmmsg(t->rx, msg, TX_BATCH, MSG_DONTWAIT, NULL);
		now = e2e_now();
		for (i = 0; i < got; i++)
			t->on_recv(t->ctx, bufs[i], msg[i].msg_len, now);
		if (got < TX_BATCH)
			return;
	}
}

void e2e_traffic_run(const struct e2e_traffic *t)
{
	uint8_t (*bufs)[65536] = malloc(TX_BATCH * sizeof(*bufs));
	uint64_t start = e2e_now(), now, next = 0, allowed, wake;
	uint64_t last_rx = start, deadline = start + t->max_s * 1000000000ull;
	uint64_t quiet = t->quiet_ms * 1000000ull;
	struct pollfd pfd[2];
	struct timespec ts;

	if (!bufs)
		e2e_fail("out of memory");
	for (;;) {
		now = e2e_now();
		if (now > deadline)
			e2e_fail("traffic took over %u s (%llu of %llu sent)",
				 t->max_s, (unsigned long long)next,
				 (unsigned long long)t->count);
		if (next == t->count && now - last_rx > quiet)
			break;
		allowed = t->count;
		if (t->pps > 0) {
			allowed = (uint64_t)((double)(now - start) * 1e-9 *
					     t->pps) + 1;
			if (allowed > t->count)
				allowed = t->count;
		}
		while (next < allowed &&
		       send_some(t, &next, (unsigned)(allowed - next), bufs))
			;
		/* Sleep until the next send slot, readability, or the quiet
		 * period's end; never spin. */
		pfd[0].fd = t->rx;
		pfd[0].events = POLLIN;
		pfd[1].fd = t->tx;
		pfd[1].events = next < allowed ? POLLOUT : 0;
		wake = next == t->count ? last_rx + quiet + 1 :
		       next < allowed ? deadline :
		       start + (uint64_t)((double)(next + 1) / t->pps * 1e9);
		if (wake < now)
			wake = now;
		if (wake > deadline)
			wake = deadline;
		ts.tv_sec = (time_t)((wake - now) / 1000000000u);
		ts.tv_nsec = (long)((wake - now) % 1000000000u);
		if (ppoll(pfd, 2, &ts, NULL) > 0 &&
		    (pfd[0].revents & POLLIN)) {
			recv_some(t, bufs);
			last_rx = e2e_now();
		}
	}
	free(bufs);
}

/* The receive queue of the socket bound to port |port| in |table|, or -1
 * if there is none. */
static long rx_queue(const char *table, unsigned port)
{
	FILE *f = fopen(table, "r");
	char line[512], local[64];
	unsigned long tx, rx;
	unsigned p;
	long found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* "sl local_address rem_address st tx_queue:rx_queue ..." */
		if (sscanf(line, " %*s %63s %*s %*s %lx:%lx", local, &tx,
			   &rx) != 3)
			continue;
		if (sscanf(strchr(local, ':') ? strchr(local, ':') + 1 : "",
			   "%x", &p) == 1 && p == port)
			found = (long)rx;
	}
	fclose(f);
	return found;
}

void e2e_wait_read(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	unsigned port = ntohs(ss->ss_family == AF_INET6 ? sin6->sin6_port :
					     sin->sin_port);
	const char *table = ss->ss_family == AF_INET6 ? "/proc/net/udp6" :
				"/proc/net/udp";
	uint64_t end = e2e_now() + 10000000000ull;

	while (rx_queue(table, port) != 0) {
		if (e2e_now() > end)
			e2e_fail("the relay did not read its socket in 10 s");
		sleep_ms(2);
	}
}
