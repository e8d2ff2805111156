/*
 * report.c: how a session ended, told three ways.
 *
 * rcat_fail() records the first reason a session failed (later
 * errors are usually its consequences); rcat_finish_session() prints
 * that reason as the one line on stderr, then the -v summary, and writes
 * the --stats JSON object.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rcat.h"

/* Indexed by enum rcat_result. */
static const char *const result_names[] = {
	"ok", "refused", "timeout", "reset", "error", "key_rejected",
};

/* Record why the session failed, keeping the first reason: later errors
 * are usually consequences of it.  |err| is an errno value, or 0 when
 * |fmt| says everything. */
void rcat_fail(struct rcat_session *s, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (s->result != RES_OK)
		return;
	switch (err) {
	case ECONNREFUSED:
		s->result = RES_REFUSED;
		break;
	case ETIMEDOUT:
		s->result = RES_TIMEOUT;
		break;
	case ECONNRESET:
		s->result = RES_RESET;
		break;
	case EKEYREJECTED:
		s->result = RES_KEY_REJECTED;
		break;
	default:
		s->result = RES_ERROR;
		break;
	}
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	n = strlen(s->error);
	if (err == EKEYREJECTED)
		snprintf(s->error + n, sizeof(s->error) - n,
			 ": the peer refused our key: both ends need the same "
			 "--psk-file, or the client the --peer-key of the "
			 "server's --key, or neither a key");
	else if (err)
		snprintf(s->error + n, sizeof(s->error) - n, ": %s",
			 strerror(err));
}

/* SIGINT or SIGTERM ended the session; |when| adds context. */
void rcat_stopped(struct rcat_session *s, const char *when)
{
	rcat_fail(s, 0, "stopped by %s%s",
		  rcat_stop_signal == SIGINT ? "SIGINT" : "SIGTERM", when);
}

static double mbit_per_s(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0;
}

static double session_duration(const struct rcat_session *s)
{
	return s->t_end > s->t_start ? s->t_end - s->t_start : 0;
}

static void report_verbose(const struct rcat_session *s)
{
	const struct rdt_info *i = &s->info;
	double d = session_duration(s);

	fprintf(stderr, "%s: %" PRIu64 " bytes sent, %" PRIu64
		" bytes received in %.3f s%s\n", PROG, s->bytes_sent,
		s->bytes_received, d,
		s->idle_end ? " (ended idle, -w)" :
		s->quit_early ? " (quit before the peer closed)" : "");
	fprintf(stderr, "%s: goodput %.1f Mbit/s sent, %.1f Mbit/s received\n",
		PROG, mbit_per_s(s->bytes_sent, d),
		mbit_per_s(s->bytes_received, d));
	if (!s->have_info)
		return;
	fprintf(stderr, "%s: srtt %.3f ms, rttvar %.3f ms, min rtt %.3f ms, "
		"cwnd %" PRIu64 " bytes\n", PROG, i->srtt_us / 1000.0,
		i->rttvar_us / 1000.0, i->min_rtt_us / 1000.0, i->cwnd);
	fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " packets retransmitted "
		"(%" PRIu64 " bytes), %" PRIu64 " lost (%" PRIu64
		" spurious), %" PRIu64 " RTO, %" PRIu64 " TLP\n", PROG,
		i->pkts_retransmitted, i->pkts_sent, i->bytes_retransmitted,
		i->pkts_lost, i->pkts_spurious_lost, i->rto_count,
		i->tlp_count);
}

/* Write |str| as a JSON string. */
static void json_string(FILE *f, const char *str)
{
	const unsigned char *c;

	fputc('"', f);
	for (c = (const unsigned char *)str; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}

static bool write_stats(const char *path, const struct rcat_session *s)
{
	const struct rdt_info *i = &s->info;
	struct rdt_info zero = { 0 };
	double d = session_duration(s);
	FILE *f;

	if (!s->have_info)
		i = &zero;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "%s: --stats %s: %s\n", PROG, path,
			strerror(errno));
		return false;
	}
	fprintf(f, "{\"role\":\"%s\",\"local\":", s->role);
	json_string(f, s->local);
	fprintf(f, ",\"peer\":");
	json_string(f, s->peer);
	fprintf(f, ",\"result\":\"%s\",\"error\":", result_names[s->result]);
	json_string(f, s->error);
	fprintf(f, ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
		",\"duration_s\":%.6f,\"goodput_send_mbps\":%.3f"
		",\"goodput_recv_mbps\":%.3f", s->bytes_sent,
		s->bytes_received, d, mbit_per_s(s->bytes_sent, d),
		mbit_per_s(s->bytes_received, d));
	fprintf(f, ",\"srtt_ms\":%.3f,\"rttvar_ms\":%.3f,\"min_rtt_ms\":%.3f"
		",\"cwnd\":%" PRIu64, i->srtt_us / 1000.0,
		i->rttvar_us / 1000.0, i->min_rtt_us / 1000.0, i->cwnd);
	fprintf(f, ",\"pkts_sent\":%" PRIu64 ",\"pkts_received\":%" PRIu64
		",\"pkts_retransmitted\":%" PRIu64
		",\"bytes_retransmitted\":%" PRIu64 ",\"pkts_lost\":%" PRIu64
		",\"pkts_spurious_lost\":%" PRIu64
		",\"pkts_reordered\":%" PRIu64 ",\"pkts_duplicate\":%" PRIu64,
		i->pkts_sent, i->pkts_received, i->pkts_retransmitted,
		i->bytes_retransmitted, i->pkts_lost, i->pkts_spurious_lost,
		i->pkts_reordered, i->pkts_duplicate);
	fprintf(f, ",\"tlp_count\":%" PRIu64 ",\"rto_count\":%" PRIu64
		",\"drop_checksum\":%" PRIu64 ",\"drop_malformed\":%" PRIu64
		",\"port_drop_checksum\":%" PRIu64
		",\"port_drop_malformed\":%" PRIu64
		",\"port_drop_unknown_cid\":%" PRIu64,
		i->tlp_count, i->rto_count, i->drop_checksum,
		i->drop_malformed, i->port_drop_checksum,
		i->port_drop_malformed, i->port_drop_unknown_cid);
	fprintf(f, ",\"encrypted\":%s,\"drop_auth\":%" PRIu64
		",\"port_drop_auth\":%" PRIu64 "}\n",
		s->encrypted ? "true" : "false", i->drop_auth,
		i->port_drop_auth);
	if (fclose(f) != 0) {
		fprintf(stderr, "%s: --stats %s: %s\n", PROG, path,
			strerror(errno));
		return false;
	}
	return true;
}

/* Print the session's outcome; returns its exit status. */
int rcat_finish_session(const struct rcat_session *s,
			const struct rcat_options *o)
{
	int status = s->result == RES_OK ? EXIT_CLEAN : EXIT_FAILED;

	if (s->result != RES_OK)
		fprintf(stderr, "%s: %s\n", PROG, s->error);
	if (o->verbose && s->t_start > 0)
		report_verbose(s);
	if (o->stats_path && !write_stats(o->stats_path, s))
		status = EXIT_FAILED;
	return status;
}
