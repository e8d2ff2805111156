/*
 * pcaplog.c: RDT_PCAP, every datagram written to a pcap file (pcaplog.h).
 *
 * Map of this file:
 *
 *   get_endpoint, same_family
 *                      a sockaddr pair as the IP version, addresses and
 *                      ports the record will carry.
 *   csum_add, csum_fold
 *                      the Internet checksum (RFC 1071).
 *   build_ip4, build_ip6, build_udp
 *                      synthesize the headers in front of the payload,
 *                      which rdt_pcaplog_write has already copied into the
 *                      log's frame buffer (the UDP checksum covers it).
 *   rdt_pcaplog_write  under the mutex: build, write the record, and
 *                      flush_locked every RDT_PCAPLOG_FLUSH_RECORDS
 *                      records.
 *   flusher            the thread that flushes records which have waited
 *                      RDT_PCAPLOG_FLUSH_MS; it sleeps while none wait.
 *   rdt_pcaplog_open, rdt_pcaplog_close
 *   rdt_pcaplog_forget_in_child   a forked child's copy, made harmless
 *
 * The file format (a 24-byte file header, then a 16-byte header before
 * each record) is written here rather than through libpcap, so that every
 * program linking librdt does not need libpcap for a feature it may never
 * turn on, and a -static program can link librdt at all (Debian's
 * libpcap.a needs libdbus and libsystemd, whose static archives it does
 * not ship).  The format is the one libpcap reads and writes, as
 * described in pcap-savefile(5).
 */
#include <errno.h>

#include "pcaplog.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IP4_HDR 20
#define IP6_HDR 40
#define UDP_HDR 8
#define IPPROTO_UDP_NUM 17
/* A fixed TTL / hop limit: the value means nothing, 64 is the common one. */
#define HOP_LIMIT 64
/* IPv4 "don't fragment": rdt never sends datagrams to be fragmented. */
#define IP4_DF 0x4000
/* The largest record: an IPv6 header and a UDP length field at its
 * maximum; an IPv4 total length field allows less. */
#define FRAME_MAX (IP6_HDR + 0xFFFF)
/* Payload limits set by the 16-bit length fields. */
#define IP4_PAYLOAD_MAX (0xFFFF - IP4_HDR - UDP_HDR)
#define IP6_PAYLOAD_MAX (0xFFFF - UDP_HDR)
/* pcap-savefile(5): the magic number of a file with nanosecond
 * timestamps, written in the writer's byte order (readers swap), the
 * format version 2.4, and LINKTYPE_RAW (each record an IP packet). */
#define PCAP_MAGIC_NSEC 0xA1B23C4Du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define LINKTYPE_RAW 101

struct endpoint {
	int v6;
	uint8_t addr[16];	/* 4 bytes used for IPv4 */
	uint16_t port;		/* host order */
};

struct rdt_pcaplog {
	pthread_mutex_t lock;
	/* Signalled when the first record starts waiting, and on close. */
	pthread_cond_t wake;
	pthread_t thread;
	int closing;
	FILE *file;
	char *path;
	/* Records written since the last flush, and when the first of them
	 * was written (CLOCK_MONOTONIC). */
	unsigned pending;
	struct timespec oldest;
	/* IPv4 identification field: distinct per record, as a sender's
	 * would be, so no tool mistakes two records for one fragment. */
	uint16_t ip_id;
	/* Datagrams not recorded (unrepresentable, or lost by a failed
	 * write); the first loss is reported on stderr, the total at close. */
	unsigned long long lost;
	uint8_t frame[FRAME_MAX];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Fills |ep| from |sa|; an IPv4-mapped IPv6 address counts as IPv4.
 * Returns -1 for any other family. */
static int get_endpoint(const struct sockaddr *sa, struct endpoint *ep)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					      0, 0, 0xFF, 0xFF };
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	memset(ep, 0, sizeof(*ep));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(ep->addr, &sin->sin_addr, 4);
		ep->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	ep->port = ntohs(sin6->sin6_port);
	if (memcmp(&sin6->sin6_addr, v4mapped, sizeof(v4mapped)) == 0) {
		memcpy(ep->addr, (const uint8_t *)&sin6->sin6_addr + 12, 4);
		return 0;
	}
	ep->v6 = 1;
	memcpy(ep->addr, &sin6->sin6_addr, 16);
	return 0;
}

/*
 * Gives |s| and |d| one IP version: IPv6 if either is a real IPv6
 * address, which is only possible if both came as AF_INET6 (a mapped
 * address is then written back as ::ffff:a.b.c.d).  Returns -1 for an
 * AF_INET address paired with a real IPv6 one.
 */
static int same_family(const struct sockaddr *src, struct endpoint *s,
		       const struct sockaddr *dst, struct endpoint *d)
{
	struct endpoint *v4;

	if (s->v6 == d->v6)
		return 0;
	if (src->sa_family != AF_INET6 || dst->sa_family != AF_INET6)
		return -1;
	v4 = s->v6 ? d : s;
	memmove(v4->addr + 12, v4->addr, 4);
	memset(v4->addr, 0, 10);
	v4->addr[10] = v4->addr[11] = 0xFF;
	v4->v6 = 1;
	return 0;
}

/* Adds |len| bytes at |p| as big-endian 16-bit words (an odd last byte is
 * padded with zero).  64 bits cannot overflow for any datagram. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint64_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

/* The one's-complement of the one's-complement sum, ready to store. */
static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Writes the UDP header at |udp|, followed by |len| payload bytes already
 * in place; |pseudo| is the pseudo-header sum (addresses, protocol,
 * length).  A computed checksum of 0 is sent as 0xFFFF (RFC 768), as 0
 * would mean "none".
 */
static void build_udp(uint8_t *udp, const struct endpoint *s,
		      const struct endpoint *d, size_t len, uint64_t pseudo)
{
	uint16_t sum;

	put16(udp, s->port);
	put16(udp + 2, d->port);
	put16(udp + 4, (uint16_t)(UDP_HDR + len));
	put16(udp + 6, 0);
	sum = csum_fold(csum_add(pseudo, udp, UDP_HDR + len));
	put16(udp + 6, sum ? sum : 0xFFFF);
}

static size_t build_ip4(uint8_t *f, uint16_t id, const struct endpoint *s,
			const struct endpoint *d, size_t len)
{
	uint16_t udp_len = (uint16_t)(UDP_HDR + len);

	f[0] = 0x45;		/* version 4, 5 words of header */
	f[1] = 0;
	put16(f + 2, (uint16_t)(IP4_HDR + udp_len));
	put16(f + 4, id);
	put16(f + 6, IP4_DF);
	f[8] = HOP_LIMIT;
	f[9] = IPPROTO_UDP_NUM;
	put16(f + 10, 0);
	memcpy(f + 12, s->addr, 4);
	memcpy(f + 16, d->addr, 4);
	put16(f + 10, csum_fold(csum_add(0, f, IP4_HDR)));
	build_udp(f + IP4_HDR, s, d, len,
		  csum_add(0, f + 12, 8) + IPPROTO_UDP_NUM + udp_len);
	return IP4_HDR + UDP_HDR + len;
}

static size_t build_ip6(uint8_t *f, const struct endpoint *s,
			const struct endpoint *d, size_t len)
{
	uint16_t udp_len = (uint16_t)(UDP_HDR + len);

	f[0] = 0x60;		/* version 6, traffic class and flow 0 */
	f[1] = f[2] = f[3] = 0;
	put16(f + 4, udp_len);
	f[6] = IPPROTO_UDP_NUM;
	f[7] = HOP_LIMIT;
	memcpy(f + 8, s->addr, 16);
	memcpy(f + 24, d->addr, 16);
	build_udp(f + IP6_HDR, s, d, len,
		  csum_add(0, f + 8, 32) + IPPROTO_UDP_NUM + udp_len);
	return IP6_HDR + UDP_HDR + len;
}

/* Counts |n| datagrams lost; the first loss says why on stderr. */
static void lose(struct rdt_pcaplog *log, unsigned long long n,
		 const char *why)
{
	if (n == 0)
		return;
	if (log->lost == 0)
		fprintf(stderr, "librdt: pcap log %s: %s (further losses are "
			"only counted)\n", log->path, why);
	log->lost += n;
}

static void flush_locked(struct rdt_pcaplog *log)
{
	FILE *f = log->file;

	errno = 0;
	if (fflush(f) != 0 || ferror(f)) {
		/* Whatever stdio held since the last good flush is gone. */
		lose(log, log->pending ? log->pending : 1,
		     strerror(errno ? errno : EIO));
		clearerr(f);
	}
	log->pending = 0;
}

static void *flusher(void *arg)
{
	struct rdt_pcaplog *log = arg;
	struct timespec due, now;

	pthread_mutex_lock(&log->lock);
	while (!log->closing) {
		if (log->pending == 0) {
			pthread_cond_wait(&log->wake, &log->lock);
			continue;
		}
		due = log->oldest;
		due.tv_nsec += RDT_PCAPLOG_FLUSH_MS * 1000000L;
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec += due.tv_nsec / 1000000000L;
			due.tv_nsec %= 1000000000L;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < due.tv_sec ||
		    (now.tv_sec == due.tv_sec && now.tv_nsec < due.tv_nsec))
			pthread_cond_timedwait(&log->wake, &log->lock, &due);
		else
			flush_locked(log);
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

void rdt_pcaplog_write(struct rdt_pcaplog *log, const struct timespec *ts,
		       const struct sockaddr *src, const struct sockaddr *dst,
		       const uint8_t *payload, size_t len)
{
	struct endpoint s, d;
	uint32_t rec[4];
	struct timespec now;
	const char *bad = NULL;
	size_t hdr, total;

	if (log == NULL)
		return;
	if (get_endpoint(src, &s) != 0 || get_endpoint(dst, &d) != 0 ||
	    same_family(src, &s, dst, &d) != 0)
		bad = "datagram with unusable addresses not recorded";
	else if (len > (s.v6 ? IP6_PAYLOAD_MAX : IP4_PAYLOAD_MAX) ||
		 (payload == NULL && len > 0))
		bad = "datagram too long for an IP packet not recorded";
	pthread_mutex_lock(&log->lock);
	/* Timestamped under the lock: records are in time order. */
	if (ts == NULL) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	if (bad != NULL) {
		lose(log, 1, bad);
		pthread_mutex_unlock(&log->lock);
		return;
	}
	hdr = (s.v6 ? IP6_HDR : IP4_HDR) + UDP_HDR;
	if (len > 0)
		memcpy(log->frame + hdr, payload, len);
	total = s.v6 ? build_ip6(log->frame, &s, &d, len) :
		       build_ip4(log->frame, log->ip_id++, &s, &d, len);
	/* Seconds, nanoseconds, bytes recorded, bytes on the wire; a failed
	 * write shows in ferror() at the next flush. */
	rec[0] = (uint32_t)ts->tv_sec;
	rec[1] = (uint32_t)ts->tv_nsec;
	rec[2] = rec[3] = (uint32_t)total;
	if (fwrite(rec, sizeof(rec), 1, log->file) == 1)
		(void)fwrite(log->frame, 1, total, log->file);
	if (log->pending++ == 0) {
		clock_gettime(CLOCK_MONOTONIC, &log->oldest);
		pthread_cond_signal(&log->wake);
	}
	if (log->pending >= RDT_PCAPLOG_FLUSH_RECORDS)
		flush_locked(log);
	pthread_mutex_unlock(&log->lock);
}

/* Frees what rdt_pcaplog_open got so far; the thread is not running. */
static void free_log(struct rdt_pcaplog *log)
{
	if (log->file)
		fclose(log->file);
	free(log->path);
	free(log);
}

struct rdt_pcaplog *rdt_pcaplog_open(const char *path)
{
	struct rdt_pcaplog *log;
	pthread_condattr_t ca;
	sigset_t all, old;
	/* pcap-savefile(5)'s file header: 24 bytes, no padding. */
	struct {
		uint32_t magic;
		uint16_t version_major, version_minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = { PCAP_MAGIC_NSEC, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR,
		  0, 0, FRAME_MAX, LINKTYPE_RAW };
	int fd, err;

	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (log == NULL)
		return NULL;
	log->path = strdup(path);
	if (log->path == NULL) {
		err = ENOMEM;
		goto fail;
	}
	/* open(2) rather than fopen: the descriptor must not leak into the
	 * application's children (O_CLOEXEC). */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	log->file = fdopen(fd, "w");
	if (log->file == NULL) {
		err = errno;
		close(fd);
		goto fail;
	}
	/* The header on disk at once: a reader sees an empty capture, not a
	 * truncated file, until the first records are flushed. */
	errno = 0;
	if (fwrite(&hdr, sizeof(hdr), 1, log->file) != 1 ||
	    fflush(log->file) != 0) {
		err = errno ? errno : EIO;
		goto fail;
	}

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&log->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&log->lock, NULL);
	/* The application's signals must not be delivered to our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&log->thread, NULL, flusher, log);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		pthread_cond_destroy(&log->wake);
		pthread_mutex_destroy(&log->lock);
		goto fail;
	}
	return log;
fail:
	free_log(log);
	errno = err;
	return NULL;
}

void rdt_pcaplog_close(struct rdt_pcaplog *log)
{
	if (log == NULL)
		return;
	pthread_mutex_lock(&log->lock);
	log->closing = 1;
	pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->lock);
	pthread_join(log->thread, NULL);

	flush_locked(log);
	if (log->lost)
		fprintf(stderr, "librdt: pcap log %s: %llu datagrams not "
			"recorded\n", log->path, log->lost);
	pthread_cond_destroy(&log->wake);
	pthread_mutex_destroy(&log->lock);
	free_log(log);
}

void rdt_pcaplog_forget_in_child(struct rdt_pcaplog *log)
{
	int null, fd;

	if (log == NULL || log->file == NULL)
		return;
	/* Not fclose: that would flush the parent's records too.  Only
	 * open, dup2, fcntl and close: this runs in an atfork child
	 * handler. */
	fd = fileno(log->file);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0 || fd < 0)
		return;
	if (dup2(null, fd) == fd)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	close(null);
}
