/*
 * qlog.c: RDT_QLOG, a qlog trace per connection (qlog.h).
 *
 * Map of this file:
 *
 *   begin, commit      one record: make room (writing out what waits if
 *                      the longest record might not fit), open it with
 *                      0x1E, time and name; close it, or drop it whole
 *                      if it overflowed
 *   write_out          write(2) of the buffer; a failure ends the trace
 *   put_header, put_frames, record_packet
 *                      transport:packet_sent / packet_received
 *   record_lost        recovery:packet_lost
 *   record_metrics     recovery:metrics_updated with the fields that
 *                      changed, then congestion_state_updated if the
 *                      controller's state name did
 *   rdt_qlog_observe   the core's observer: dispatch on the event
 *   rdt_qlog_open, rdt_qlog_flush, rdt_qlog_close,
 *   rdt_qlog_forget_in_child
 *
 * Records go through a buffer of our own and write(2), not stdio: stdio
 * would copy every record once more, and a forked child's exit would
 * write stdio's unflushed copy of the parent's records a second time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonw.h"
#include "qlog.h"
#include "wire/pkt.h"

/* RFC 7464's record separator. */
#define RS "\x1e"
/* The longest program name the title carries, bytes; escaping may
 * multiply it by 6 and it must leave the header within a record. */
#define TITLE_NAME_MAX 64

struct rdt_qlog {
	int fd;
	/* A write failed, or this is a forked child's copy: record and
	 * write nothing more. */
	int off;
	char *path;
	/* The trace's time 0, on the core's clock. */
	rdt_tstamp ref;
	/* When the first record not yet written was made. */
	rdt_tstamp oldest;
	/* Records dropped for lack of room; said at close. */
	unsigned long long dropped;
	/* What metrics_updated last reported (valid once |reported|). */
	int reported;
	struct rdt_conn_info last;
	size_t len;
	char buf[RDT_QLOG_BUF];
};

/* Only the first failure to create a trace is reported (qlog.h). */
static int open_failure_reported;

static void write_out(struct rdt_qlog *q)
{
	size_t done = 0;
	ssize_t n;

	while (!q->off && done < q->len) {
		n = write(q->fd, q->buf + done, q->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "librdt: qlog %s: %s (no more events "
				"are recorded for this connection)\n", q->path,
				n < 0 ? strerror(errno) : "nothing written");
			q->off = 1;
			break;
		}
		done += (size_t)n;
	}
	q->len = 0;
}

/* Starts record |name| at |now| in |w|; returns 0 if the trace is off. */
static int begin(struct rdt_qlog *q, struct rdt_jsonw *w, const char *name,
		 rdt_tstamp now)
{
	if (q->off)
		return 0;
	if (RDT_QLOG_BUF - q->len < RDT_QLOG_RECORD_MAX)
		write_out(q);
	if (q->off)
		return 0;
	rdt_jsonw_init(w, q->buf + q->len, RDT_QLOG_RECORD_MAX);
	rdt_jsonw_raw(w, RS);
	rdt_jsonw_open(w, '{');
	rdt_jsonw_key(w, "time");
	rdt_jsonw_ms(w, (int64_t)(now - q->ref));
	rdt_jsonw_key(w, "name");
	rdt_jsonw_str(w, name);
	rdt_jsonw_key(w, "data");
	rdt_jsonw_open(w, '{');
	return 1;
}

/* Ends the record begun in |w| (its data object, then itself). */
static void commit(struct rdt_qlog *q, struct rdt_jsonw *w, rdt_tstamp now)
{
	rdt_jsonw_close(w, '}');
	rdt_jsonw_close(w, '}');
	rdt_jsonw_raw(w, "\n");
	if (w->overflow) {
		q->dropped++;
		return;
	}
	if (q->len == 0)
		q->oldest = now;
	q->len += w->len;
}

static const char *pkt_type_name(uint8_t type)
{
	/* rdt's handshake is QUIC's in miniature: INIT opens as an Initial
	 * does, ACCEPT completes it as the Handshake space does; DATA and
	 * RESET travel as 1-RTT packets do; RETRY is QUIC's Retry. */
	switch (type) {
	case RDT_PKT_INIT:
		return "initial";
	case RDT_PKT_ACCEPT:
		return "handshake";
	case RDT_PKT_RETRY:
		return "retry";
	default:
		return "1RTT";
	}
}

static void put_header(struct rdt_jsonw *w, uint8_t type, rdt_pktnum pn)
{
	rdt_jsonw_key(w, "header");
	rdt_jsonw_open(w, '{');
	rdt_jsonw_key(w, "packet_type");
	rdt_jsonw_str(w, pkt_type_name(type));
	rdt_jsonw_key(w, "packet_number");
	rdt_jsonw_u64(w, pn);
	rdt_jsonw_close(w, '}');
}

/*
 * The ACK section's ranges as qlog's [smallest, largest] pairs, newest
 * first, expanded below the full |largest| the core worked out.  A range
 * that would go below 0 ends the list: the core refuses such an ACK too.
 */
static void put_ack(struct rdt_jsonw *w, const struct rdt_pkt_ack *ack,
		    rdt_pktnum largest)
{
	uint64_t hi = largest, lo = 0;
	unsigned i;

	rdt_jsonw_open(w, '{');
	rdt_jsonw_key(w, "frame_type");
	rdt_jsonw_str(w, "ack");
	rdt_jsonw_key(w, "ack_delay");
	rdt_jsonw_ms(w, (int64_t)ack->ack_delay_us * 1000);
	rdt_jsonw_key(w, "acked_ranges");
	rdt_jsonw_open(w, '[');
	for (i = 0; i <= ack->nranges && i <= RDT_PKT_MAX_ACK_RANGES; i++) {
		uint64_t len = i == 0 ? ack->first_len :
					ack->ranges[i - 1].len;

		if (i > 0) {
			uint64_t step = (uint64_t)ack->ranges[i - 1].gap + 2;

			if (lo < step)
				break;
			hi = lo - step;
		}
		if (hi < len)
			break;
		lo = hi - len;
		rdt_jsonw_open(w, '[');
		rdt_jsonw_u64(w, lo);
		rdt_jsonw_u64(w, hi);
		rdt_jsonw_close(w, ']');
	}
	rdt_jsonw_close(w, ']');
	rdt_jsonw_close(w, '}');
}

static void put_frames(struct rdt_jsonw *w, const struct rdt_conn_event *ev)
{
	const struct rdt_pkt *pkt = ev->pkt;

	if (pkt->type != RDT_PKT_DATA && pkt->type != RDT_PKT_RESET)
		return;
	rdt_jsonw_key(w, "frames");
	rdt_jsonw_open(w, '[');
	if (pkt->type == RDT_PKT_RESET) {
		/* Abortive, as QUIC's CONNECTION_CLOSE is. */
		rdt_jsonw_open(w, '{');
		rdt_jsonw_key(w, "frame_type");
		rdt_jsonw_str(w, "connection_close");
		rdt_jsonw_key(w, "error_space");
		rdt_jsonw_str(w, "transport");
		rdt_jsonw_key(w, "raw_error_code");
		rdt_jsonw_u64(w, pkt->reason);
		rdt_jsonw_close(w, '}');
	}
	if (pkt->type == RDT_PKT_DATA && (pkt->flags & RDT_PKT_F_ACK))
		put_ack(w, &pkt->ack, ev->ack_largest);
	if (pkt->type == RDT_PKT_DATA && (pkt->flags & RDT_PKT_F_STREAM)) {
		rdt_jsonw_open(w, '{');
		rdt_jsonw_key(w, "frame_type");
		rdt_jsonw_str(w, "stream");
		/* One byte stream per connection. */
		rdt_jsonw_key(w, "stream_id");
		rdt_jsonw_u64(w, 0);
		rdt_jsonw_key(w, "offset");
		rdt_jsonw_u64(w, ev->stream_off);
		rdt_jsonw_key(w, "length");
		rdt_jsonw_u64(w, pkt->data_len);
		if (pkt->flags & RDT_PKT_F_FIN) {
			rdt_jsonw_key(w, "fin");
			rdt_jsonw_bool(w, 1);
		}
		rdt_jsonw_close(w, '}');
	}
	if (pkt->type == RDT_PKT_DATA && (pkt->flags & RDT_PKT_F_PING)) {
		rdt_jsonw_open(w, '{');
		rdt_jsonw_key(w, "frame_type");
		rdt_jsonw_str(w, "ping");
		rdt_jsonw_close(w, '}');
	}
	rdt_jsonw_close(w, ']');
}

static void record_packet(struct rdt_qlog *q, const struct rdt_conn_event *ev,
			  rdt_tstamp now)
{
	struct rdt_jsonw w;

	if (!begin(q, &w, ev->type == RDT_CONN_EV_SENT ?
				  "transport:packet_sent" :
				  "transport:packet_received", now))
		return;
	put_header(&w, ev->pkt->type, ev->pn);
	rdt_jsonw_key(&w, "raw");
	rdt_jsonw_open(&w, '{');
	rdt_jsonw_key(&w, "length");
	rdt_jsonw_u64(&w, ev->len);
	rdt_jsonw_close(&w, '}');
	put_frames(&w, ev);
	commit(q, &w, now);
}

static void record_lost(struct rdt_qlog *q, const struct rdt_conn_event *ev,
			rdt_tstamp now)
{
	static const char *const triggers[] = {
		[RDT_CONN_LOSS_REORDERING] = "reordering_threshold",
		[RDT_CONN_LOSS_TIME] = "time_threshold",
		[RDT_CONN_LOSS_PTO] = "pto_expired",
	};
	struct rdt_jsonw w;

	if (!begin(q, &w, "recovery:packet_lost", now))
		return;
	/* Only DATA datagrams are tracked for loss. */
	put_header(&w, RDT_PKT_DATA, ev->pn);
	if (ev->trigger >= RDT_CONN_LOSS_REORDERING &&
	    ev->trigger <= RDT_CONN_LOSS_PTO) {
		rdt_jsonw_key(&w, "trigger");
		rdt_jsonw_str(&w, triggers[ev->trigger]);
	}
	commit(q, &w, now);
}

/* Writes member |key| with |v| milliseconds if it differs from |was|
 * (or nothing was reported yet); returns whether it wrote. */
static int changed_ms(struct rdt_qlog *q, struct rdt_jsonw *w,
		      const char *key, rdt_tstamp v, rdt_tstamp was)
{
	if (q->reported && v == was)
		return 0;
	rdt_jsonw_key(w, key);
	rdt_jsonw_ms(w, (int64_t)v);
	return 1;
}

static int changed_u64(struct rdt_qlog *q, struct rdt_jsonw *w,
		       const char *key, uint64_t v, uint64_t was)
{
	if (q->reported && v == was)
		return 0;
	rdt_jsonw_key(w, key);
	rdt_jsonw_u64(w, v);
	return 1;
}

static void record_metrics(struct rdt_qlog *q, const struct rdt_conn *conn,
			   rdt_tstamp now)
{
	struct rdt_conn_info i;
	const struct rdt_conn_info *was = &q->last;
	struct rdt_jsonw w;
	int n = 0;

	rdt_conn_get_info(conn, &i);
	/* Most calls change nothing here (an ACK sent, a timer that found
	 * nothing due): then no record, not even an empty one. */
	if (q->reported && i.srtt == was->srtt && i.rttvar == was->rttvar &&
	    i.min_rtt == was->min_rtt && i.latest_rtt == was->latest_rtt &&
	    i.cwnd == was->cwnd && i.ssthresh == was->ssthresh &&
	    i.bytes_in_flight == was->bytes_in_flight &&
	    i.pacing_rate == was->pacing_rate && i.cc_state == was->cc_state)
		return;
	if (!begin(q, &w, "recovery:metrics_updated", now))
		return;
	n += changed_ms(q, &w, "min_rtt", i.min_rtt, was->min_rtt);
	n += changed_ms(q, &w, "smoothed_rtt", i.srtt, was->srtt);
	n += changed_ms(q, &w, "latest_rtt", i.latest_rtt, was->latest_rtt);
	n += changed_ms(q, &w, "rtt_variance", i.rttvar, was->rttvar);
	n += changed_u64(q, &w, "congestion_window", i.cwnd, was->cwnd);
	n += changed_u64(q, &w, "bytes_in_flight", i.bytes_in_flight,
			 was->bytes_in_flight);
	/* An unset threshold is "infinite": no number to draw. */
	if (i.ssthresh != UINT64_MAX)
		n += changed_u64(q, &w, "ssthresh", i.ssthresh, was->ssthresh);
	/* qlog's pacing rate is in bits per second. */
	n += changed_u64(q, &w, "pacing_rate", i.pacing_rate * 8,
			 was->pacing_rate * 8);
	if (n > 0)
		commit(q, &w, now);
	if (i.cc_state != was->cc_state && i.cc_state && *i.cc_state &&
	    (!was->cc_state || strcmp(i.cc_state, was->cc_state) != 0) &&
	    begin(q, &w, "recovery:congestion_state_updated", now)) {
		if (q->reported && was->cc_state && *was->cc_state) {
			rdt_jsonw_key(&w, "old");
			rdt_jsonw_str(&w, was->cc_state);
		}
		rdt_jsonw_key(&w, "new");
		rdt_jsonw_str(&w, i.cc_state);
		commit(q, &w, now);
	}
	q->last = i;
	q->reported = 1;
}

void rdt_qlog_observe(void *ctx, const struct rdt_conn *conn,
		      const struct rdt_conn_event *ev, rdt_tstamp now)
{
	struct rdt_qlog *q = ctx;

	switch (ev->type) {
	case RDT_CONN_EV_SENT:
	case RDT_CONN_EV_RECEIVED:
		record_packet(q, ev, now);
		break;
	case RDT_CONN_EV_LOST:
		record_lost(q, ev, now);
		break;
	case RDT_CONN_EV_UPDATED:
		record_metrics(q, conn, now);
		break;
	}
}

/* The header record; |now| is the core's time for the trace's 0. */
static void put_file_header(struct rdt_qlog *q, uint64_t odcid,
			    int is_server, rdt_tstamp now)
{
	const char *role = is_server ? "server" : "client";
	char title[TITLE_NAME_MAX + 1];
	struct timespec wall, mono;
	struct rdt_jsonw w;
	int64_t ref_ns;

	/* The wall clock at the trace's 0: now on the wall clock, less
	 * how long ago |now| was on the monotonic one. */
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	ref_ns = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec -
		 ((int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec -
		  (int64_t)now);
	snprintf(title, sizeof(title), "%s", program_invocation_short_name);

	rdt_jsonw_init(&w, q->buf, RDT_QLOG_RECORD_MAX);
	rdt_jsonw_raw(&w, RS);
	rdt_jsonw_open(&w, '{');
	rdt_jsonw_key(&w, "qlog_version");
	rdt_jsonw_str(&w, "0.3");
	rdt_jsonw_key(&w, "qlog_format");
	rdt_jsonw_str(&w, "JSON-SEQ");
	rdt_jsonw_key(&w, "title");
	rdt_jsonw_str(&w, title);
	rdt_jsonw_key(&w, "description");
	rdt_jsonw_str(&w, "librdt RDT_QLOG trace");
	rdt_jsonw_key(&w, "trace");
	rdt_jsonw_open(&w, '{');
	rdt_jsonw_key(&w, "vantage_point");
	rdt_jsonw_open(&w, '{');
	rdt_jsonw_key(&w, "name");
	rdt_jsonw_str(&w, "librdt");
	rdt_jsonw_key(&w, "type");
	rdt_jsonw_str(&w, role);
	rdt_jsonw_close(&w, '}');
	rdt_jsonw_key(&w, "common_fields");
	rdt_jsonw_open(&w, '{');
	/* QUIC groups a connection's traces by its original destination
	 * connection ID; the client's ID plays that part here. */
	rdt_jsonw_key(&w, "ODCID");
	rdt_jsonw_hex64(&w, odcid);
	rdt_jsonw_key(&w, "group_id");
	rdt_jsonw_hex64(&w, odcid);
	rdt_jsonw_key(&w, "time_format");
	rdt_jsonw_str(&w, "relative");
	rdt_jsonw_key(&w, "reference_time");
	rdt_jsonw_ms(&w, ref_ns);
	rdt_jsonw_close(&w, '}');
	rdt_jsonw_close(&w, '}');
	rdt_jsonw_close(&w, '}');
	rdt_jsonw_raw(&w, "\n");
	/* Cannot overflow: fixed text and a bounded title. */
	q->len = w.overflow ? 0 : w.len;
	q->oldest = now;
}

struct rdt_qlog *rdt_qlog_open(const char *dir, uint64_t odcid,
			       int is_server, rdt_tstamp now)
{
	struct rdt_qlog *q;
	size_t plen;
	int err;

	q = calloc(1, sizeof(*q));
	plen = strlen(dir) + sizeof("/0123456789abcdef-server.sqlog");
	if (q == NULL || (q->path = malloc(plen)) == NULL) {
		err = ENOMEM;
		goto fail;
	}
	snprintf(q->path, plen, "%s/%016llx-%s.sqlog", dir,
		 (unsigned long long)odcid, is_server ? "server" : "client");
	/* Not inherited by the application's exec'd children. */
	q->fd = open(q->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (q->fd < 0) {
		err = errno;
		goto fail;
	}
	q->ref = now;
	put_file_header(q, odcid, is_server, now);
	/* The header on disk at once: a reader sees which connections
	 * exist even before their first events are written. */
	write_out(q);
	return q;
fail:
	if (!__atomic_exchange_n(&open_failure_reported, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "librdt: RDT_QLOG: cannot create %s: %s (no "
			"trace for this connection; further failures are not "
			"reported)\n", q && q->path ? q->path : dir,
			strerror(err));
	if (q)
		free(q->path);
	free(q);
	errno = err;
	return NULL;
}

void rdt_qlog_flush(struct rdt_qlog *q, rdt_tstamp now, int force)
{
	if (q == NULL || q->len == 0)
		return;
	if (force || now - q->oldest >= RDT_QLOG_FLUSH_MS * RDT_MS)
		write_out(q);
}

void rdt_qlog_close(struct rdt_qlog *q)
{
	if (q == NULL)
		return;
	write_out(q);
	if (q->dropped && !q->off)
		fprintf(stderr, "librdt: qlog %s: %llu events did not fit a "
			"record and were not recorded\n", q->path, q->dropped);
	if (q->fd >= 0)
		close(q->fd);
	free(q->path);
	free(q);
}

void rdt_qlog_forget_in_child(struct rdt_qlog *q)
{
	if (q == NULL)
		return;
	q->off = 1;
	q->len = 0;
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}
