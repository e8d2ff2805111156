/*
 * table.c: what every call of the api shares: the table from descriptor
 * to socket, the process's fork and exit hooks, waiting on a
 * descriptor, and the errno of a failed connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "core/err.h"
#include "errmap.h"
#include "rdt.h"
#include "runtime/rt.h"
#include "wire/pkt.h"

/* --- the descriptor table --------------------------------------------------- */

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct rt_sock **table;
static size_t table_len;

int rdt_api_table_add(int fd, struct rt_sock *s)
{
	struct rt_sock *stale = NULL;
	int rc = 0;

	pthread_rwlock_wrlock(&table_lock);
	if ((size_t)fd >= table_len) {
		size_t len = table_len ? table_len : 64;
		struct rt_sock **t;

		while (len <= (size_t)fd)
			len *= 2;
		t = realloc(table, len * sizeof(*t));
		if (t == NULL) {
			rc = -1;
		} else {
			memset(t + table_len, 0,
			       (len - table_len) * sizeof(*t));
			table = t;
			table_len = len;
		}
	}
	if (rc == 0) {
		/* An entry left by a plain close(2) whose number the
		 * kernel handed out again before the runtime noticed. */
		stale = table[fd];
		table[fd] = s;
	}
	pthread_rwlock_unlock(&table_lock);
	rdt_rt_sock_put(stale);
	return rc;
}

/* The runtime's word that the application closed |s|'s descriptor. */
static void table_forget(struct rt_sock *s)
{
	int fd = s->notify.app_fd;

	pthread_rwlock_wrlock(&table_lock);
	if (fd >= 0 && (size_t)fd < table_len && table[fd] == s)
		table[fd] = NULL;
	else
		s = NULL;
	pthread_rwlock_unlock(&table_lock);
	/* The runtime's caller holds another reference. */
	rdt_rt_sock_put(s);
}

/* Is the file |st| describes |s|'s descriptor (or a dup of it)? */
static int same_file(const struct rt_sock *s, const struct stat *st)
{
	return S_ISSOCK(st->st_mode) &&
	       (unsigned long)st->st_ino == s->notify.app_ino &&
	       s->notify.app_fd >= 0;
}

/*
 * The socket behind |fd|, referenced, or NULL.  The table is indexed by
 * descriptor number; a number the application closed with close(2) and
 * got back for another file is told apart by its inode, and a dup(2) of
 * an rdt descriptor is found by its inode too.
 */
struct rt_sock *rdt_api_lookup(int fd)
{
	struct rt_sock *s = NULL;
	struct stat st;
	size_t i;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	pthread_rwlock_rdlock(&table_lock);
	if ((size_t)fd < table_len && table[fd] &&
	    same_file(table[fd], &st))
		s = table[fd];
	for (i = 0; s == NULL && i < table_len; i++)
		if (table[i] && same_file(table[i], &st))
			s = table[i];
	if (s)
		rdt_rt_sock_get(s);
	pthread_rwlock_unlock(&table_lock);
	return s;
}

/* Sets errno as the kernel would for a descriptor that is not ours. */
void rdt_api_not_ours(int fd)
{
	errno = fd >= 0 && fcntl(fd, F_GETFD) >= 0 ? ENOTSOCK : EBADF;
}

/*
 * The socket behind |fd|, referenced and locked, or NULL with errno set.
 * A call that raced with rdt_close on the same descriptor finds it
 * closed and fails with EBADF, as it would on a closed kernel socket.
 */
struct rt_sock *rdt_api_sock_lock(int fd)
{
	struct rt_sock *s = rdt_api_lookup(fd);

	if (s == NULL) {
		rdt_api_not_ours(fd);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	if (s->closed) {
		pthread_mutex_unlock(&s->lock);
		rdt_rt_sock_put(s);
		errno = EBADF;
		return NULL;
	}
	return s;
}

/* Takes |fd|'s entry out of the table: the socket with the table's
 * reference, or NULL if |fd| is not (or no longer) an rdt descriptor. */
struct rt_sock *rdt_api_table_take(int fd)
{
	struct rt_sock *s = NULL, *stale = NULL;
	struct stat st;
	int ok = fd >= 0 && fstat(fd, &st) == 0;

	pthread_rwlock_wrlock(&table_lock);
	if (fd >= 0 && (size_t)fd < table_len && table[fd]) {
		if (ok && same_file(table[fd], &st))
			s = table[fd];
		else
			stale = table[fd];
		table[fd] = NULL;
	}
	pthread_rwlock_unlock(&table_lock);
	rdt_rt_sock_put(stale);
	return s;
}

/* Ends a call on |s|: unlock, drop the reference, and return |rc|, or -1
 * with errno set from a negative |err|. */
ssize_t rdt_api_finish_ssize(struct rt_sock *s, int err, ssize_t rc)
{
	pthread_mutex_unlock(&s->lock);
	rdt_rt_sock_put(s);
	if (err) {
		errno = -err;
		return -1;
	}
	return rc;
}

/* The same for calls that return an int. */
int rdt_api_finish(struct rt_sock *s, int err, int rc)
{
	return (int)rdt_api_finish_ssize(s, err, rc);
}

/* --- process lifetime ------------------------------------------------------- */

/* How long exit waits for closed connections to deliver, by default. */
#define EXIT_LINGER_S 10

static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static void table_atfork_prepare(void)
{
	pthread_rwlock_wrlock(&table_lock);
}

static void table_atfork_parent(void)
{
	pthread_rwlock_unlock(&table_lock);
}

/*
 * A forked child inherits the parent's rdt descriptors but not their
 * connections (the engine thread did not follow): it forgets them, so
 * rdt calls on them fail with ENOTSOCK, and closes its copies of the
 * library's ends (the parent's stay open).  close(2) releases them.
 */
/* A forked child's inherited table: not freed, as another thread of the
 * parent may have been using its sockets; kept reachable (and so not
 * optimised away) for leak checkers. */
static __attribute__((used)) struct rt_sock **inherited_table;

static void table_atfork_child(void)
{
	size_t i;

	for (i = 0; i < table_len; i++) {
		struct rt_sock *s = table[i];

		if (s && s->has_fd && s->notify.lib_fd >= 0) {
			close(s->notify.lib_fd);
			s->notify.lib_fd = -1;
		}
	}
	inherited_table = table;
	table = NULL;
	table_len = 0;
	pthread_rwlock_init(&table_lock, NULL);
}

/*
 * At exit, as the kernel does for TCP, every descriptor still open is
 * closed gracefully, and bytes already queued get up to RDT_EXIT_LINGER
 * seconds (default EXIT_LINGER_S) to reach their peers before the
 * remaining connections are reset: unlike the kernel, the library dies
 * with the process.
 */
static void close_all_at_exit(void)
{
	const char *env = getenv("RDT_EXIT_LINGER");
	long linger = env && *env ? strtol(env, NULL, 10) : EXIT_LINGER_S;
	struct timespec until;
	size_t i;

	for (i = 0; i < table_len; i++) {
		struct rt_sock *s;

		/* Unchecked: an entry whose descriptor the application
		 * closed with close(2) may not be orphaned yet, and
		 * rdt_rt_close closes a descriptor only if still ours. */
		pthread_rwlock_wrlock(&table_lock);
		s = table[i];
		table[i] = NULL;
		pthread_rwlock_unlock(&table_lock);
		if (s == NULL)
			continue;
		/* The engine thread holds sockets' locks only briefly; a
		 * socket still locked after a second (a thread of the
		 * application stuck in it) is left alone. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (pthread_mutex_timedlock(&s->lock, &until) == 0) {
			rdt_rt_close(s, 1);
			pthread_mutex_unlock(&s->lock);
		}
		rdt_rt_sock_put(s);
	}
	rdt_rt_exit_drain(linger > 0 ? (rdt_tstamp)linger * RDT_S : 0);
}

static void process_hooks(void)
{
	pthread_atfork(table_atfork_prepare, table_atfork_parent,
		       table_atfork_child);
	rdt_rt_set_forget(table_forget);
	atexit(close_all_at_exit);
}

/* --- waiting ---------------------------------------------------------------- */

rdt_tstamp rdt_api_deadline_after(rdt_tstamp timeo)
{
	return timeo ? rdt_rt_now() + timeo : 0;
}

/*
 * Sleeps with |s| unlocked until its descriptor reports |events| or
 * |deadline| (0: none) passes.  Returns 0 to retry, -EAGAIN on timeout,
 * -EINTR on a signal.
 */
int rdt_api_wait_ready(struct rt_sock *s, short events, rdt_tstamp deadline)
{
	struct pollfd p;
	int timeout = -1, rc, err;

	if (!s->has_fd)
		return -EBADF;
	if (deadline) {
		rdt_tstamp now = rdt_rt_now();

		if (now >= deadline)
			return -EAGAIN;
		timeout = (int)((deadline - now + RDT_MS - 1) / RDT_MS);
	}
	p.fd = s->notify.app_fd;
	p.events = events;
	p.revents = 0;
	pthread_mutex_unlock(&s->lock);
	rc = poll(&p, 1, timeout);
	err = errno;
	pthread_mutex_lock(&s->lock);
	if (rc < 0)
		return err == EINTR ? -EINTR : -err;
	if (rc == 0 && deadline && rdt_rt_now() >= deadline)
		return -EAGAIN;
	return 0;
}

/*
 * The failure of |s|'s connection as errno: its own errno the first time
 * (as SO_ERROR or a TCP call reports sk_err once), 0 afterwards.
 */
int rdt_api_take_error(struct rt_sock *s)
{
	int e = s->conn ? rdt_conn_error(s->conn) : 0;

	if (e == 0 || s->error_reported)
		return 0;
	s->error_reported = 1;
	if (s->has_fd && rdt_notify_app_open(&s->notify)) {
		int pending;
		socklen_t len = sizeof(pending);

		/* Reading the descriptor's own error clears POLLERR, as
		 * reporting sk_err does on TCP. */
		getsockopt(s->notify.app_fd, SOL_SOCKET, SO_ERROR, &pending,
			   &len);
	}
	return rdt_errno_from(e);
}

/* O_NONBLOCK lives on the descriptor, where fcntl(2) may set it too. */
int rdt_api_nonblocking(const struct rt_sock *s)
{
	int fl = s->has_fd ? fcntl(s->notify.app_fd, F_GETFL) : -1;

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* Has a peer, as getpeername(2) sees it on TCP: not while the handshake
 * runs, and not once the connection is closed. */
int rdt_api_connected(const struct rt_sock *s)
{
	enum rdt_conn_state st = rdt_conn_state(s->conn);

	return st != RDT_CONN_SYN_SENT && st != RDT_CONN_SYN_RCVD &&
	       st != RDT_CONN_CLOSED;
}

void rdt_api_process_init(void)
{
	pthread_once(&process_once, process_hooks);
}
