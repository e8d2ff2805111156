/*
 * event.c: the stop signals, the clock, and the one place reliable-cat
 * sleeps.
 *
 * rcat_setup_signals() runs once, before the first rdt socket exists (so
 * the library's thread inherits the mask); everything that waits then
 * goes through rcat_wait(), which unblocks SIGINT/SIGTERM only while it
 * sleeps, and reads rcat_now() for its deadlines.
 */
#define _GNU_SOURCE

#include <math.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "rcat.h"

volatile sig_atomic_t rcat_stop_signal;

static void on_stop_signal(int sig)
{
	rcat_stop_signal = sig;
}

double rcat_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * rcat_wait - poll |pfd| until an event, |deadline| (monotonic seconds;
 * INFINITY: none) or SIGINT/SIGTERM
 *
 * The one place the program sleeps.  The stop signals are blocked except
 * during this call (see rcat_setup_signals), so a signal that arrived before
 * it still ends the wait.  Returns what ppoll() returns: 0 at the
 * deadline, -1 with EINTR after a signal.
 */
int rcat_wait(struct pollfd *pfd, nfds_t n, double deadline)
{
	struct timespec ts;
	sigset_t no_signals;
	double left;

	sigemptyset(&no_signals);
	if (isinf(deadline))
		return ppoll(pfd, n, NULL, &no_signals);
	/* Rounded up to the millisecond so that we never wake just
	 * before the deadline and spin. */
	left = ceil((deadline - rcat_now()) * 1000.0) / 1000.0;
	if (left < 0)
		left = 0;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	return ppoll(pfd, n, &ts, &no_signals);
}

/*
 * SIGINT and SIGTERM are blocked everywhere but inside ppoll(), so the
 * flag they set is always seen before the next wait (no lost wake-up),
 * and the library's thread, created later, inherits the mask.  SIGPIPE
 * is ignored: a closed stdout must come back as EPIPE so that we can
 * report it.
 */
void rcat_setup_signals(void)
{
	struct sigaction sa;
	sigset_t stop;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
}
