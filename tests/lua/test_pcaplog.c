/*
 * test_pcaplog.c: unit tests for src/runtime/pcaplog.c.
 *
 * Every test writes records through the library and reads them back with
 * libpcap's own reader, then checks each synthesized header field by
 * field; checksums are verified with a bit-by-bit-different Internet
 * checksum written here, so a shared mistake cannot hide.  The flushing
 * promises are checked without timing assertions: 64 records must be in
 * the file at once, and a lone record must appear within a generous
 * bounded wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "runtime/pcaplog.h"

/* The most records one file in these tests holds. */
#define MAX_RECORDS 10000
#define THREADS 4
#define PER_THREAD 2000

struct fixture {
	char path[64];
	struct rdt_pcaplog *log;
};

struct record {
	struct timespec ts;
	size_t len;
	uint8_t *data;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int fd;

	if (fx == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "test_pcaplog.XXXXXX");
	fd = mkstemp(fx->path);
	if (fd < 0)
		return -1;
	close(fd);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	rdt_pcaplog_close(fx->log);
	unlink(fx->path);
	free(fx);
	return 0;
}

static void open_log(struct fixture *fx)
{
	fx->log = rdt_pcaplog_open(fx->path);
	assert_non_null(fx->log);
}

static void close_log(struct fixture *fx)
{
	rdt_pcaplog_close(fx->log);
	fx->log = NULL;
}

/* Reads every record of |path| (at most |max|); returns the count. */
static size_t read_records(const char *path, struct record *recs,
			   size_t max)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	size_t n = 0;

	p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, err);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	while (n < max && pcap_next_ex(p, &h, &data) == 1) {
		assert_int_equal(h->caplen, h->len);
		recs[n].ts.tv_sec = h->ts.tv_sec;
		recs[n].ts.tv_nsec = h->ts.tv_usec;
		recs[n].len = h->caplen;
		recs[n].data = malloc(h->caplen);
		assert_non_null(recs[n].data);
		memcpy(recs[n].data, data, h->caplen);
		n++;
	}
	pcap_close(p);
	return n;
}

static void free_records(struct record *recs, size_t n)
{
	while (n-- > 0)
		free(recs[n].data);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 the long way: fold after every word.  A correct header or
 * datagram (checksum field included) sums to 0xFFFF. */
static uint16_t ones_sum(uint16_t acc, const uint8_t *p, size_t len)
{
	uint32_t s = acc;
	size_t i;

	for (i = 0; i < len; i += 2) {
		s += (uint32_t)p[i] << 8;
		if (i + 1 < len)
			s += p[i + 1];
		s = (s & 0xFFFF) + (s >> 16);
	}
	return (uint16_t)s;
}

static uint16_t ones_sum16(uint16_t acc, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return ones_sum(acc, b, 4);
}

static struct sockaddr_in sin4(const char *addr, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, addr, &a.sin_addr), 1);
	return a;
}

static struct sockaddr_in6 sin6(const char *addr, uint16_t port)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, addr, &a.sin6_addr), 1);
	return a;
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* Checks the UDP header and payload at |udp| against what was written;
 * |pseudo| is the pseudo-header sum without the UDP length. */
static void check_udp(const uint8_t *udp, uint16_t pseudo, uint16_t sport,
		      uint16_t dport, const uint8_t *payload, size_t len)
{
	assert_int_equal(get16(udp), sport);
	assert_int_equal(get16(udp + 2), dport);
	assert_int_equal(get16(udp + 4), 8 + len);
	assert_int_not_equal(get16(udp + 6), 0);
	pseudo = ones_sum16(pseudo, 17);
	pseudo = ones_sum16(pseudo, (uint32_t)(8 + len));
	assert_int_equal(ones_sum(pseudo, udp, 8 + len), 0xFFFF);
	if (len > 0)
		assert_memory_equal(udp + 8, payload, len);
}

static void check_ip4(const struct record *r, const char *src,
		      uint16_t sport, const char *dst, uint16_t dport,
		      const uint8_t *payload, size_t len)
{
	const uint8_t *ip = r->data;
	uint8_t a[4];

	assert_int_equal(r->len, 28 + len);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get16(ip + 2), 28 + len);
	assert_int_equal(get16(ip + 6) & 0x3FFF, 0);	/* not a fragment */
	assert_true(ip[8] > 0);
	assert_int_equal(ip[9], 17);
	assert_int_equal(ones_sum(0, ip, 20), 0xFFFF);
	inet_pton(AF_INET, src, a);
	assert_memory_equal(ip + 12, a, 4);
	inet_pton(AF_INET, dst, a);
	assert_memory_equal(ip + 16, a, 4);
	check_udp(ip + 20, ones_sum(0, ip + 12, 8), sport, dport, payload,
		  len);
}

static void check_ip6(const struct record *r, const char *src,
		      uint16_t sport, const char *dst, uint16_t dport,
		      const uint8_t *payload, size_t len)
{
	const uint8_t *ip = r->data;
	uint8_t a[16];

	assert_int_equal(r->len, 48 + len);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(get16(ip + 4), 8 + len);
	assert_int_equal(ip[6], 17);
	assert_true(ip[7] > 0);
	inet_pton(AF_INET6, src, a);
	assert_memory_equal(ip + 8, a, 16);
	inet_pton(AF_INET6, dst, a);
	assert_memory_equal(ip + 24, a, 16);
	check_udp(ip + 40, ones_sum(0, ip + 8, 32), sport, dport, payload,
		  len);
}

/* Payload sizes worth a record each: empty, odd, typical, the largest
 * rdt datagram. */
static const size_t sizes[] = { 0, 1, 1399, 65507 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void test_pcaplog_ipv4_records(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_in s = sin4("10.0.0.1", 40000);
	struct sockaddr_in d = sin4("10.0.0.2", 5000);
	static uint8_t payload[65507];
	struct record recs[NSIZES + 1];
	struct timespec ts = { 1700000000, 123456789 };
	size_t i, n;

	open_log(fx);
	for (i = 0; i < NSIZES; i++) {
		fill(payload, sizes[i], (unsigned)i);
		ts.tv_nsec += (long)i;
		rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&s,
				  (struct sockaddr *)&d, payload, sizes[i]);
	}
	close_log(fx);
	n = read_records(fx->path, recs, NSIZES + 1);
	assert_int_equal(n, NSIZES);
	ts.tv_nsec = 123456789;
	for (i = 0; i < NSIZES; i++) {
		fill(payload, sizes[i], (unsigned)i);
		ts.tv_nsec += (long)i;
		assert_int_equal(recs[i].ts.tv_sec, ts.tv_sec);
		assert_int_equal(recs[i].ts.tv_nsec, ts.tv_nsec);
		check_ip4(&recs[i], "10.0.0.1", 40000, "10.0.0.2", 5000,
			  payload, sizes[i]);
	}
	/* Distinct IP ids: no tool may take two records for fragments. */
	assert_int_not_equal(get16(recs[0].data + 4),
			     get16(recs[1].data + 4));
	free_records(recs, n);
}

static void test_pcaplog_ipv6_records(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_in6 s = sin6("2001:db8::1", 65535);
	struct sockaddr_in6 d = sin6("::1", 1);
	static uint8_t payload[65507];
	struct record recs[NSIZES + 1];
	struct timespec ts = { 5, 999999999 };
	size_t i, n;

	open_log(fx);
	for (i = 0; i < NSIZES; i++) {
		fill(payload, sizes[i], (unsigned)i + 7);
		rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&s,
				  (struct sockaddr *)&d, payload, sizes[i]);
	}
	close_log(fx);
	n = read_records(fx->path, recs, NSIZES + 1);
	assert_int_equal(n, NSIZES);
	for (i = 0; i < NSIZES; i++) {
		fill(payload, sizes[i], (unsigned)i + 7);
		assert_int_equal(recs[i].ts.tv_sec, 5);
		assert_int_equal(recs[i].ts.tv_nsec, 999999999);
		check_ip6(&recs[i], "2001:db8::1", 65535, "::1", 1, payload,
			  sizes[i]);
	}
	free_records(recs, n);
}

/* IPv4-mapped pairs become IPv4; a mapped address beside a real IPv6 one
 * stays IPv6; AF_INET beside AF_INET6 and oversized payloads are dropped,
 * without disturbing the records around them. */
static void test_pcaplog_address_mixes(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_in6 m1 = sin6("::ffff:127.0.0.1", 4000);
	struct sockaddr_in6 m2 = sin6("::ffff:127.0.0.2", 5000);
	struct sockaddr_in6 v6 = sin6("fe80::2", 6000);
	struct sockaddr_in v4 = sin4("127.0.0.3", 7000);
	static uint8_t big[65528];
	const uint8_t hello[] = "hello";
	struct record recs[4];
	struct timespec ts = { 1, 0 };
	size_t n;

	open_log(fx);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&m1,
			  (struct sockaddr *)&m2, hello, 5);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&m1,
			  (struct sockaddr *)&v6, hello, 5);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&v4,
			  (struct sockaddr *)&v6, hello, 5);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&v4, NULL, hello,
			  5);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&v4,
			  (struct sockaddr *)&v4, big, 65508);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&v6,
			  (struct sockaddr *)&v6, big, 65528);
	rdt_pcaplog_write(fx->log, &ts, (struct sockaddr *)&v6,
			  (struct sockaddr *)&v6, big, 65527);
	close_log(fx);
	n = read_records(fx->path, recs, 4);
	assert_int_equal(n, 3);
	check_ip4(&recs[0], "127.0.0.1", 4000, "127.0.0.2", 5000, hello, 5);
	check_ip6(&recs[1], "::ffff:127.0.0.1", 4000, "fe80::2", 6000, hello,
		  5);
	check_ip6(&recs[2], "fe80::2", 6000, "fe80::2", 6000, big, 65527);
	free_records(recs, n);
}

static void write_small(struct rdt_pcaplog *log, unsigned i, uint16_t port)
{
	struct sockaddr_in s = sin4("127.0.0.1", port);
	struct sockaddr_in d = sin4("127.0.0.1", 9);
	struct timespec ts = { 1000, (long)i };
	uint8_t payload[10];

	memset(payload, 0, sizeof(payload));
	payload[0] = (uint8_t)(i >> 24);
	payload[1] = (uint8_t)(i >> 16);
	payload[2] = (uint8_t)(i >> 8);
	payload[3] = (uint8_t)i;
	rdt_pcaplog_write(log, &ts, (struct sockaddr *)&s,
			  (struct sockaddr *)&d, payload, sizeof(payload));
}

/* 64 small records fit in stdio's buffer many times over, so only the
 * count rule can have put them on disk right away. */
static void test_pcaplog_flush_every_64(void **state)
{
	struct fixture *fx = *state;
	static struct record recs[RDT_PCAPLOG_FLUSH_RECORDS + 1];
	unsigned i;
	size_t n;

	open_log(fx);
	for (i = 0; i < RDT_PCAPLOG_FLUSH_RECORDS; i++)
		write_small(fx->log, i, 1234);
	n = read_records(fx->path, recs, RDT_PCAPLOG_FLUSH_RECORDS + 1);
	assert_int_equal(n, RDT_PCAPLOG_FLUSH_RECORDS);
	free_records(recs, n);
}

/* A lone record reaches the file without another write or a close; the
 * bound of the wait is fifty times the promise, so a loaded machine
 * cannot fail it. */
static void test_pcaplog_flush_when_idle(void **state)
{
	struct fixture *fx = *state;
	struct timespec step = { 0, 10 * 1000000L };
	struct record rec[2];
	size_t n = 0;
	int tries;

	open_log(fx);
	/* The header alone is a valid, empty capture. */
	assert_int_equal(read_records(fx->path, rec, 2), 0);
	write_small(fx->log, 1, 1234);
	for (tries = 0; tries < 500 && n == 0; tries++) {
		nanosleep(&step, NULL);
		n = read_records(fx->path, rec, 2);
		free_records(rec, n);
	}
	assert_int_equal(n, 1);
}

struct writer {
	struct rdt_pcaplog *log;
	uint16_t port;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned i;

	for (i = 0; i < PER_THREAD; i++)
		write_small(w->log, i, w->port);
	return NULL;
}

/* Concurrent writers: no record lost or torn, each writer's records in
 * its own order. */
static void test_pcaplog_threads(void **state)
{
	struct fixture *fx = *state;
	static struct record recs[MAX_RECORDS];
	struct writer w[THREADS];
	pthread_t th[THREADS];
	unsigned next[THREADS] = { 0 };
	uint8_t payload[10];
	size_t i, n;
	int k;

	open_log(fx);
	for (k = 0; k < THREADS; k++) {
		w[k].log = fx->log;
		w[k].port = (uint16_t)(2000 + k);
		assert_int_equal(pthread_create(&th[k], NULL, writer_main,
						&w[k]), 0);
	}
	for (k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);
	close_log(fx);
	n = read_records(fx->path, recs, MAX_RECORDS);
	assert_int_equal(n, THREADS * PER_THREAD);
	for (i = 0; i < n; i++) {
		unsigned port = get16(recs[i].data + 20);

		assert_in_range(port, 2000, 2000 + THREADS - 1);
		k = (int)(port - 2000);
		memset(payload, 0, sizeof(payload));
		payload[2] = (uint8_t)(next[k] >> 8);
		payload[3] = (uint8_t)next[k];
		check_ip4(&recs[i], "127.0.0.1", (uint16_t)port, "127.0.0.1",
			  9, payload, sizeof(payload));
		next[k]++;
	}
	free_records(recs, n);
}

static void test_pcaplog_open_errors(void **state)
{
	(void)state;
	errno = 0;
	assert_null(rdt_pcaplog_open("no-such-dir/x.pcap"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(rdt_pcaplog_open(""));
	assert_int_equal(errno, EINVAL);
	/* NULL logs are no-ops. */
	write_small(NULL, 0, 1);
	rdt_pcaplog_close(NULL);
}

/*
 * A file that stops growing (RLIMIT_FSIZE, with SIGXFSZ ignored, makes
 * write(2) fail with EFBIG) costs the records, never the caller: the
 * writes go on, the loss is reported once when it happens and once in
 * total at close.
 */
static void test_pcaplog_write_errors_reported_once(void **state)
{
	struct fixture *fx = *state;
	struct rlimit old, small;
	char line[512];
	FILE *err;
	int saved, lines = 0, first = 0, total = 0;
	unsigned i;

	open_log(fx);
	err = tmpfile();
	assert_non_null(err);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	dup2(fileno(err), STDERR_FILENO);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 4096;
	setrlimit(RLIMIT_FSIZE, &small);

	for (i = 0; i < 20 * RDT_PCAPLOG_FLUSH_RECORDS; i++)
		write_small(fx->log, i, 1234);
	close_log(fx);

	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(err);
	while (fgets(line, sizeof(line), err)) {
		fputs(line, stderr);
		lines++;
		first += strstr(line, "only counted") != NULL;
		total += strstr(line, "not recorded") != NULL;
	}
	fclose(err);
	assert_int_equal(first, 1);
	assert_int_equal(total, 1);
	assert_int_equal(lines, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pcaplog_ipv4_records,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcaplog_ipv6_records,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcaplog_address_mixes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcaplog_flush_every_64,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcaplog_flush_when_idle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcaplog_threads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pcaplog_open_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_pcaplog_write_errors_reported_once, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
