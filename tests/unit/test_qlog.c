/*
 * test_qlog.c: unit tests for src/runtime/qlog.c, RDT_QLOG's trace
 * writer, fed with events made by hand (the core's side is
 * test_recovery's; whole traces of a real transfer are rcat-qlog.sh's).
 *
 * Checked: the file's name and JSON-SEQ framing, the header first; a
 * packet's frames (ACK ranges expanded below the full largest, the
 * stream frame with its FIN) and a loss's trigger, as exact text; times
 * before the trace's 0; that records wait in a bounded buffer and reach
 * the file before close once it fills; that a write error ends the trace
 * with one message; that a forked child's copy writes nothing; that a
 * failure to create a trace is reported once.  Messages on stderr are
 * caught by pointing descriptor 2 at a file for the duration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/qlog.h"
#include "wire/pkt.h"

#define T0 (5 * RDT_S)
#define ID 0x0123456789abcdefull
#define NAME "0123456789abcdef-client.sqlog"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_qlog.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, NAME);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

/* The whole file, NUL-terminated; the caller frees it. */
static char *slurp(const char *p, size_t *plen)
{
	FILE *f = fopen(p, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (plen)
		*plen = (size_t)n;
	return buf;
}

static off_t file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/* Descriptor 2 into |file| until stderr_restore. */
static int saved_stderr = -1;

static void stderr_to(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void stderr_restore(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
}

/* Lines of |s| that contain |what|. */
static int count_lines(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

/* A DATA datagram with an ACK of two ranges and a stream frame. */
static void sent_event(struct rdt_conn_event *ev, struct rdt_pkt *pkt,
		       rdt_pktnum pn)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->type = RDT_PKT_DATA;
	pkt->flags = RDT_PKT_F_ACK | RDT_PKT_F_STREAM | RDT_PKT_F_FIN;
	pkt->ack.first_len = 2;		/* [98, 100] */
	pkt->ack.nranges = 2;
	pkt->ack.ranges[0].gap = 3;	/* largest 98 - 3 - 2 = 93 */
	pkt->ack.ranges[0].len = 3;	/* [90, 93] */
	pkt->ack.ranges[1].gap = 95;	/* would go below 0: dropped */
	pkt->ack.ack_delay_us = 2500;
	pkt->data_len = 100;
	memset(ev, 0, sizeof(*ev));
	ev->type = RDT_CONN_EV_SENT;
	ev->pkt = pkt;
	ev->pn = pn;
	ev->len = 1234;
	ev->stream_off = 5000;
	ev->ack_largest = 100;
}

static void test_qlog_writes_framed_records(void **state)
{
	struct rdt_conn_event ev;
	struct rdt_pkt pkt;
	struct rdt_qlog *q;
	char *text, *rec;
	int n = 0;

	(void)state;
	q = rdt_qlog_open(dir, ID, 0, T0);
	assert_non_null(q);
	sent_event(&ev, &pkt, (1ull << 32) + 7);
	rdt_qlog_observe(q, NULL, &ev, T0 + 1500 * RDT_US);
	memset(&ev, 0, sizeof(ev));
	ev.type = RDT_CONN_EV_LOST;
	ev.pn = 42;
	ev.trigger = RDT_CONN_LOSS_PTO;
	/* A thread may report with a time read before the trace began. */
	rdt_qlog_observe(q, NULL, &ev, T0 - RDT_MS);
	rdt_qlog_close(q);

	text = slurp(path, NULL);
	assert_int_equal(text[0], 0x1e);
	for (rec = strtok(text + 1, "\x1e"); rec; rec = strtok(NULL, "\x1e")) {
		/* One line per record, ending the record. */
		assert_int_equal(strchr(rec, '\n') - rec, strlen(rec) - 1);
		if (n == 0) {
			assert_non_null(strstr(rec, "\"qlog_format\":"
						    "\"JSON-SEQ\""));
			assert_non_null(strstr(rec, "\"type\":\"client\""));
			assert_non_null(strstr(rec, "\"ODCID\":"
						    "\"0123456789abcdef\""));
		}
		n++;
	}
	assert_int_equal(n, 3);
	free(text);
	text = slurp(path, NULL);
	assert_non_null(strstr(text,
		"{\"time\":1.500,\"name\":\"transport:packet_sent\",\"data\":"
		"{\"header\":{\"packet_type\":\"1RTT\",\"packet_number\":"
		"4294967303},\"raw\":{\"length\":1234},\"frames\":["
		"{\"frame_type\":\"ack\",\"ack_delay\":2.500,\"acked_ranges\":"
		"[[98,100],[90,93]]},{\"frame_type\":\"stream\",\"stream_id\":"
		"0,\"offset\":5000,\"length\":100,\"fin\":true}]}}\n"));
	assert_non_null(strstr(text,
		"{\"time\":-1.000,\"name\":\"recovery:packet_lost\",\"data\":"
		"{\"header\":{\"packet_type\":\"1RTT\",\"packet_number\":42},"
		"\"trigger\":\"pto_expired\"}}\n"));
	free(text);
}

/* Records wait in memory, but never more than the buffer holds. */
static void test_qlog_buffer_is_bounded(void **state)
{
	struct rdt_conn_event ev;
	struct rdt_pkt pkt;
	struct rdt_qlog *q;
	off_t header, before_close;
	size_t len;
	int i;

	(void)state;
	q = rdt_qlog_open(dir, ID, 0, T0);
	assert_non_null(q);
	header = file_size(path);
	assert_true(header > 0);
	sent_event(&ev, &pkt, 1);
	rdt_qlog_observe(q, NULL, &ev, T0);
	/* Young records stay in memory... */
	rdt_qlog_flush(q, T0 + RDT_MS, 0);
	assert_int_equal(file_size(path), header);
	/* ...old ones go. */
	rdt_qlog_flush(q, T0 + RDT_QLOG_FLUSH_MS * RDT_MS, 0);
	assert_true(file_size(path) > header);
	for (i = 0; i < 2000; i++) {
		ev.pn = 2 + (rdt_pktnum)i;
		rdt_qlog_observe(q, NULL, &ev, T0);
	}
	before_close = file_size(path);
	rdt_qlog_close(q);
	free(slurp(path, &len));
	assert_true(before_close > header);
	assert_true((off_t)len - before_close <= RDT_QLOG_BUF);
}

/* A failed write ends the trace with one message; nothing crashes. */
static void test_qlog_write_error_stops_trace(void **state)
{
	struct rdt_conn_event ev;
	struct rdt_pkt pkt;
	struct rdt_qlog *q;
	struct rlimit old, small;
	char errfile[96], *msg;
	int i;

	(void)state;
	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	q = rdt_qlog_open(dir, ID, 0, T0);
	assert_non_null(q);
	sent_event(&ev, &pkt, 1);
	/* The file may not grow past 8 KiB: write(2) fails with EFBIG. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 8192;
	stderr_to(errfile);
	setrlimit(RLIMIT_FSIZE, &small);
	for (i = 0; i < 3000; i++)
		rdt_qlog_observe(q, NULL, &ev, T0);
	rdt_qlog_close(q);
	setrlimit(RLIMIT_FSIZE, &old);
	stderr_restore();
	signal(SIGXFSZ, SIG_DFL);

	assert_true(file_size(path) <= 8192);
	msg = slurp(errfile, NULL);
	unlink(errfile);
	assert_int_equal(count_lines(msg, "librdt: qlog "), 1);
	assert_non_null(strstr(msg, strerror(EFBIG)));
	assert_non_null(strstr(msg, NAME));
	free(msg);
}

/* A forked child's copy writes none of what the parent had buffered. */
static void test_qlog_forget_in_child_writes_nothing(void **state)
{
	struct rdt_conn_event ev;
	struct rdt_pkt pkt;
	struct rdt_qlog *q;
	off_t header;

	(void)state;
	q = rdt_qlog_open(dir, ID, 0, T0);
	assert_non_null(q);
	header = file_size(path);
	sent_event(&ev, &pkt, 1);
	rdt_qlog_observe(q, NULL, &ev, T0);
	rdt_qlog_forget_in_child(q);
	rdt_qlog_observe(q, NULL, &ev, T0);
	rdt_qlog_flush(q, T0, 1);
	rdt_qlog_close(q);
	assert_int_equal(file_size(path), header);
}

/* A directory that cannot be written: NULL with errno, said once. */
static void test_qlog_open_failure_said_once(void **state)
{
	char missing[96], errfile[96], *msg;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	stderr_to(errfile);
	errno = 0;
	assert_null(rdt_qlog_open(missing, ID, 1, T0));
	assert_int_equal(errno, ENOENT);
	assert_null(rdt_qlog_open(missing, ID, 1, T0));
	stderr_restore();
	msg = slurp(errfile, NULL);
	unlink(errfile);
	assert_int_equal(count_lines(msg, "librdt: RDT_QLOG: cannot create "),
			 1);
	assert_non_null(strstr(msg, "0123456789abcdef-server.sqlog"));
	free(msg);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_qlog_writes_framed_records),
		T(test_qlog_buffer_is_bounded),
		T(test_qlog_write_error_stops_trace),
		T(test_qlog_forget_in_child_writes_nothing),
		T(test_qlog_open_failure_said_once),
	};
#undef T

	return cmocka_run_group_tests_name("qlog", tests, NULL, NULL);
}
