/*
 * fdtable.c: which descriptors are rdt sockets librdt-preload.so made,
 * with their role and addresses (preload.h).  Indexed by descriptor
 * number; one mutex, held only for the copy in or out, never across a
 * call that may block, and across fork so a child gets it whole.
 *
 * A bitmap of the numbers that have an entry is read without the mutex,
 * so that a call on any other descriptor (nearly every call a program
 * makes) takes no lock: close(2), dup2(2) and the rest stay
 * async-signal-safe there, as the C library's are.  On our own
 * descriptors, a signal handler that interrupted its thread while that
 * thread held the mutex is told "not ours" instead of waiting for
 * itself: its call then goes to the C library as a plain one, which the
 * descriptor (a socket pair end) serves (librdt hears of a close).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "preload.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table;
static size_t table_len;

/* Set while this thread holds table_lock, or is taking or releasing it. */
static __thread int holding_table __attribute__((tls_model("initial-exec")));

/* Locks the table; 0 (without locking) if this thread holds it already,
 * which only a signal handler running on it can meet. */
static int lock_table(void)
{
	if (holding_table)
		return 0;
	/* Set before the lock is taken and cleared after it is released,
	 * so that no instant of holding it goes unflagged. */
	holding_table = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&table_lock);
	return 1;
}

static void unlock_table(void)
{
	pthread_mutex_unlock(&table_lock);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	holding_table = 0;
}

/* Linux's ceiling on descriptor numbers (fs.nr_open) is 2^20 by
 * default; numbers above it, if a system allows them, take the lock. */
#define MAPPED_FDS (1u << 20)
#define WORD_BITS (8 * sizeof(unsigned long))
static unsigned long has_entry[MAPPED_FDS / WORD_BITS];

/* May |fd| have an entry?  0 means certainly not, without the lock. */
static int maybe_entry(int fd)
{
	if ((unsigned)fd >= MAPPED_FDS)
		return 1;
	return (__atomic_load_n(&has_entry[(unsigned)fd / WORD_BITS],
				__ATOMIC_ACQUIRE) >>
		((unsigned)fd % WORD_BITS)) & 1;
}

/* Table locked. */
static void mark_entry(int fd, int present)
{
	unsigned long bit;

	if ((unsigned)fd >= MAPPED_FDS)
		return;
	bit = 1ul << ((unsigned)fd % WORD_BITS);
	if (present)
		__atomic_fetch_or(&has_entry[(unsigned)fd / WORD_BITS], bit,
				  __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&has_entry[(unsigned)fd / WORD_BITS], ~bit,
				   __ATOMIC_RELEASE);
}

/*
 * Copies |fd|'s entry to |e|; returns 1 if |fd| is ours.  An entry
 * whose file is no longer the one behind |fd| is stale: it is dropped
 * and |fd| is not ours.  That costs an fstat for our descriptors only;
 * the engine thread's descriptors, never entered, cost a table look.
 */
int entry_get(int fd, struct entry *e)
{
	struct stat st;
	int ours = 0;

	if (fd < 0 || !maybe_entry(fd) || !lock_table())
		return 0;
	if ((size_t)fd < table_len && table[fd].role) {
		*e = table[fd];
		ours = 1;
	}
	unlock_table();
	if (!ours)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino)
		return 1;
	if (!lock_table())
		return 0;
	if ((size_t)fd < table_len && table[fd].role &&
	    table[fd].dev == e->dev && table[fd].ino == e->ino) {
		memset(&table[fd], 0, sizeof(table[fd]));
		mark_entry(fd, 0);
	}
	unlock_table();
	return 0;
}

/* Stores |e| as |fd|'s entry (a zeroed |e| clears it).  Returns -1 if
 * the table cannot grow: the descriptor then works, but as a plain one. */
int entry_put(int fd, const struct entry *e)
{
	struct entry copy = *e;
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -1;
	if (!copy.role && !maybe_entry(fd))
		return 0;	/* nothing to clear */
	if (copy.role) {
		if (fstat(fd, &st) != 0)
			return -1;
		copy.dev = st.st_dev;
		copy.ino = st.st_ino;
	}
	e = &copy;
	if (!lock_table())
		return -1;
	if ((size_t)fd >= table_len && e->role) {
		size_t len = table_len ? table_len : 256;
		struct entry *t;

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
	if (rc == 0 && (size_t)fd < table_len) {
		table[fd] = *e;
		mark_entry(fd, e->role != 0);
	}
	unlock_table();
	return rc;
}

void entry_clear(int fd)
{
	struct entry none;

	memset(&none, 0, sizeof(none));
	entry_put(fd, &none);
}

/* The table is locked across fork, so the child gets it consistent. */
static void table_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

static void table_release(void)
{
	pthread_mutex_unlock(&table_lock);
}

__attribute__((constructor)) static void table_ctor(void)
{
	pthread_atfork(table_prepare, table_release, table_release);
}

