/*
 * check.c: "rdt-pcap check", the invariant checker and its report.
 *
 * Map: cmd_check parses options, runs reader_run into the tracker
 * (track.c does the checking), then prints the report as text
 * (print_text) or one JSON object (print_json), and turns the violation
 * count into the exit status.  Datagrams corrupted in transit are listed
 * beside the violations but never count as one, unless --strict-crc; so
 * are sealed datagrams that failed authentication, which never count as
 * one (see track.h).  --verbose prints each datagram as it goes by
 * (printout.c), the same decoding the checks see.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/err.h"
#include "printout.h"
#include "track.h"
#include "util.h"

const char check_usage[] =
"Usage: rdt-pcap check [--json] [--strict-crc] [--psk-file KEYFILE] [-v]\n"
"                      [-p PORT]... FILE\n"
"\n"
"Decode every rdt datagram in the capture FILE (\"-\" reads standard\n"
"input) and check, per connection, the invariants of docs/PROTOCOL.md:\n"
"well-formed datagrams, the handshake before data, packet\n"
"numbers never reused, retransmitted bytes equal to the first\n"
"transmission, nothing acknowledged that was not sent, no data beyond\n"
"the advertised window, one FIN position.  Then print per-connection\n"
"statistics.  Link types: Ethernet, Linux cooked (SLL, SLL2), raw IP,\n"
"BSD loopback; IPv4 and IPv6.\n"
"\n"
"A datagram failing CRC32C was damaged in transit, which rdt drops as\n"
"designed: it is listed (CORRUPTED lines, with the packet number its\n"
"header claims, unverified) and counted, but is not a violation.\n"
"\n"
"The encrypted mode's sealed datagrams (version 2) show only their\n"
"header in clear: without the key they are counted per connection, and\n"
"the stream checks need --psk-file.  With it, each one is opened and\n"
"checked as a datagram in clear; one that does not open failed\n"
"authentication (altered, forged, or another key): listed (AUTH-FAILED\n"
"lines) and counted, but not a violation, as its receiver drops it.\n"
"\n"
"  -p, --port PORT     every UDP datagram to or from PORT is rdt (may be\n"
"                      repeated); without it, rdt flows are recognised by\n"
"                      datagrams with a valid CRC32C\n"
"      --strict-crc    a datagram failing CRC32C is a violation (for a\n"
"                      capture taken where no link could damage it)\n"
"      --allow-corrupt the default; accepted for older scripts\n"
"      --psk-file KEYFILE\n"
"                      the pre-shared key of the encrypted mode, 64 hex\n"
"                      digits as for reliable-cat --psk-file: open the\n"
"                      sealed datagrams and check them\n"
"  -v, --verbose       print one line per rdt datagram first, as\n"
"                      'rdt-pcap capture' prints a live capture (not\n"
"                      with --json)\n"
"  -j, --json          print one JSON object instead of text\n"
"  -h, --help          print this help and exit\n"
"\n"
"Exit status: 0 no violation, 1 violations (each printed with its\n"
"connection, packet (frame) number and packet number), 2 usage or I/O\n"
"error.\n";

static double ms(double ns)
{
	return ns / 1e6;
}

static double duration_s(const struct track_conn *c)
{
	return (double)(c->t_last - c->t_first) / 1e9;
}

static double goodput_mbps(const struct track_conn *c, int dir)
{
	double s = duration_s(c);

	return s > 0 ? (double)c->d[dir].st.acked_bytes * 8 / s / 1e6 : 0;
}

static double rtt_avg_ns(const struct track_dir_stats *st)
{
	return st->rtt_samples ? st->rtt_sum_ns / (double)st->rtt_samples : 0;
}

static const char *handshake_text(const struct track_conn *c)
{
	if (c->midstream)
		return "capture began mid-connection";
	if (c->init_seen && c->accept_seen)
		return "handshake seen";
	return c->init_seen ? "INIT seen, no ACCEPT" :
			      "ACCEPT seen, capture missed the INIT";
}

static void print_dir_text(FILE *f, const struct track_conn *c, int dir)
{
	const struct track_dir_stats *st = &c->d[dir].st;

	fprintf(f, "  %s: %" PRIu64 " packets (%" PRIu64 " with data), %"
		PRIu64 " stream bytes, %" PRIu64 " acked%s\n",
		track_dir_name(dir), st->packets, st->data_packets,
		st->stream_bytes, st->acked_bytes,
		st->fin_acked ? ", FIN acked" : st->fin ? ", FIN" : "");
	fprintf(f, "       retransmitted %" PRIu64 " packets / %" PRIu64
		" bytes (spurious %" PRIu64 " / %" PRIu64 "), duplicates %"
		PRIu64 ", reordered %" PRIu64 ", holes %" PRIu64 "\n",
		st->retx_packets, st->retx_bytes, st->spurious_packets,
		st->spurious_bytes, st->duplicates, st->reordered, st->holes);
	if (st->rtt_samples)
		fprintf(f, "       rtt %" PRIu64 " samples: min %.3f ms, avg "
			"%.3f ms, max %.3f ms; ", st->rtt_samples,
			ms((double)st->rtt_min_ns), ms(rtt_avg_ns(st)),
			ms((double)st->rtt_max_ns));
	else
		fprintf(f, "       rtt no samples; ");
	fprintf(f, "goodput %.3f Mbit/s\n", goodput_mbps(c, dir));
}

static void print_violation_text(FILE *f, const struct track_violation *v)
{
	fprintf(f, "VIOLATION packet #%" PRIu64, v->frame);
	if (v->conn)
		fprintf(f, " conn %u", v->conn);
	if (v->dir >= 0)
		fprintf(f, " %s", track_dir_name(v->dir));
	if (v->has_pn)
		fprintf(f, " pn %" PRIu32, v->pn);
	fprintf(f, ": %s [%s]\n", v->msg, v->kind);
}

static const char *type_name(uint8_t type)
{
	static const char *const names[] = { "?", "INIT", "ACCEPT", "DATA",
					     "RESET", "RETRY" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* The start of a CORRUPTED or AUTH-FAILED line: where, and what the
 * header claims (the type only on AUTH-FAILED lines, CORRUPTED lines
 * keeping the form scripts already read). */
static void print_listed_text(FILE *f, const char *what,
			      const struct track_corrupt *k, int show_type)
{
	fprintf(f, "%s packet #%" PRIu64, what, k->frame);
	if (k->conn)
		fprintf(f, " conn %u", k->conn);
	if (k->dir >= 0)
		fprintf(f, " %s", track_dir_name(k->dir));
	if (k->has_pn && show_type)
		fprintf(f, " %s", type_name(k->type));
	if (k->has_pn)
		fprintf(f, " pn %" PRIu32 " (unverified)", k->pn);
}

static void print_corrupt_text(FILE *f, const struct track_corrupt *k)
{
	print_listed_text(f, "CORRUPTED", k, 0);
	fprintf(f, ": %zu bytes%s failed CRC32C in transit\n", k->len,
		k->sealed ? " sealed" : "");
}

static void print_auth_text(FILE *f, const struct track_corrupt *k)
{
	print_listed_text(f, "AUTH-FAILED", k, 1);
	fprintf(f, ": %zu bytes sealed, intact, but do not open with the "
		"key: altered, forged, or sealed with another key\n", k->len);
}

/* Where sealed datagrams were seen: what became of them. */
static void print_sealed_text(FILE *f, const struct track *t, int have_psk)
{
	if (!t->sealed && !have_psk)
		return;
	fprintf(f, "sealed: %" PRIu64 " datagram%s (encrypted mode), %" PRIu64
		" opened", t->sealed, t->sealed == 1 ? "" : "s",
		t->sealed_opened);
	if (t->sealed_no_key)
		fprintf(f, ", %" PRIu64 " not opened: no key, the stream "
			"checks need --psk-file", t->sealed_no_key);
	if (t->sealed_no_keys)
		fprintf(f, ", %" PRIu64 " not opened: keys unknown, the "
			"capture missed the handshake", t->sealed_no_keys);
	fprintf(f, ", %" PRIu64 " failed authentication\n", t->auth_failed);
}

static void print_text(FILE *f, const char *path, const struct track *t,
		       const struct reader_stats *rs, int have_psk)
{
	char a[FRAME_ENDPOINT_STRLEN], b[FRAME_ENDPOINT_STRLEN];
	size_t i;

	fprintf(f, "%s: %" PRIu64 " frames, %" PRIu64 " rdt datagrams, %zu "
		"connection%s\n", path, rs->frames, rs->rdt, t->nconns,
		t->nconns == 1 ? "" : "s");
	for (i = 0; i < t->nconns; i++) {
		const struct track_conn *c = t->conns[i];

		fprintf(f, "conn %u: client %s cid 0x%016" PRIx64 ", server %s"
			" cid 0x%016" PRIx64 "\n", c->id,
			frame_endpoint_str(&c->ep[DIR_C2S], a),
			c->cid[DIR_S2C],
			frame_endpoint_str(&c->ep[DIR_S2C], b),
			c->cid[DIR_C2S]);
		fprintf(f, "  %s; %s", handshake_text(c),
			track_close_name(c->close));
		if (c->reset_seen)
			fprintf(f, " (RESET reason %" PRIu32 " from %s)",
				c->reset_reason,
				c->reset_dir == DIR_C2S ? "client" : "server");
		fprintf(f, "; packets #%" PRIu64 "..#%" PRIu64 ", %.6f s",
			c->frame_first, c->frame_last, duration_s(c));
		if (c->corrupted)
			fprintf(f, "; %" PRIu64 " corrupted in transit",
				c->corrupted);
		if (c->sealed)
			fprintf(f, "; %" PRIu64 " sealed", c->sealed);
		if (c->sealed_hidden)
			fprintf(f, " (%" PRIu64 " not opened)",
				c->sealed_hidden);
		if (c->auth_failed)
			fprintf(f, "; %" PRIu64 " failed authentication",
				c->auth_failed);
		if (c->resets_ignored)
			fprintf(f, "; %" PRIu64 " RESET%s without the "
				"sender's reset token ignored",
				c->resets_ignored,
				c->resets_ignored == 1 ? "" : "s");
		fputc('\n', f);
		print_dir_text(f, c, DIR_C2S);
		print_dir_text(f, c, DIR_S2C);
	}
	fprintf(f, "other: %" PRIu64 " corrupted in transit%s, %" PRIu64
		" malformed, %"
		PRIu64 " other version, %" PRIu64 " stray, %" PRIu64
		" untracked, %" PRIu64 " non-rdt UDP, %" PRIu64 " not UDP, %"
		PRIu64 " truncated, %" PRIu64 " fragments\n", t->corrupted,
		t->strict_crc ? " (violations: --strict-crc)" : "",
		t->malformed,
		t->foreign, t->stray, t->untracked, rs->other_udp,
		rs->not_udp, rs->truncated, rs->fragments);
	print_sealed_text(f, t, have_psk);
	for (i = 0; i < t->ncorrupt; i++)
		print_corrupt_text(f, &t->corrupt[i]);
	if (t->corrupted > t->ncorrupt)
		fprintf(f, "(%" PRIu64 " more corrupted datagrams not shown)\n",
			t->corrupted - t->ncorrupt);
	for (i = 0; i < t->nauth; i++)
		print_auth_text(f, &t->auth[i]);
	if (t->auth_failed > t->nauth)
		fprintf(f, "(%" PRIu64 " more datagrams that failed "
			"authentication not shown)\n",
			t->auth_failed - t->nauth);
	for (i = 0; i < t->nviol; i++)
		print_violation_text(f, &t->viol[i]);
	if (t->violations > t->nviol)
		fprintf(f, "(%" PRIu64 " more violations not shown)\n",
			t->violations - t->nviol);
	fprintf(f, "%" PRIu64 " violation%s\n", t->violations,
		t->violations == 1 ? "" : "s");
}

static void print_dir_json(FILE *f, const struct track_conn *c, int dir)
{
	const struct track_dir_stats *st = &c->d[dir].st;

	fprintf(f, "{\"packets\":%" PRIu64 ",\"wire_bytes\":%" PRIu64
		",\"data_packets\":%" PRIu64 ",\"stream_bytes\":%" PRIu64
		",\"acked_bytes\":%" PRIu64 ",\"retransmitted_packets\":%"
		PRIu64 ",\"retransmitted_bytes\":%" PRIu64
		",\"spurious_packets\":%" PRIu64 ",\"spurious_bytes\":%" PRIu64
		",\"unverified_bytes\":%" PRIu64 ",\"duplicates\":%" PRIu64
		",\"reordered\":%" PRIu64 ",\"holes\":%" PRIu64
		",\"rtt_samples\":%" PRIu64 ",\"rtt_min_ms\":%.3f"
		",\"rtt_avg_ms\":%.3f,\"rtt_max_ms\":%.3f"
		",\"goodput_mbps\":%.3f,\"fin\":%s,\"fin_acked\":%s}",
		st->packets, st->wire_bytes, st->data_packets,
		st->stream_bytes, st->acked_bytes, st->retx_packets,
		st->retx_bytes, st->spurious_packets, st->spurious_bytes,
		st->unverified_bytes, st->duplicates, st->reordered,
		st->holes, st->rtt_samples, ms((double)st->rtt_min_ns),
		ms(rtt_avg_ns(st)), ms((double)st->rtt_max_ns),
		goodput_mbps(c, dir), st->fin ? "true" : "false",
		st->fin_acked ? "true" : "false");
}

static void print_conn_json(FILE *f, const struct track_conn *c)
{
	char a[FRAME_ENDPOINT_STRLEN], b[FRAME_ENDPOINT_STRLEN];

	fprintf(f, "{\"id\":%u,\"client\":\"%s\",\"server\":\"%s\","
		"\"client_cid\":\"0x%016" PRIx64 "\",\"server_cid\":\"0x%016"
		PRIx64 "\",\"handshake\":%s,\"midstream\":%s,\"close\":\"%s\","
		"\"reset_reason\":%" PRIu32 ",\"first_packet\":%" PRIu64
		",\"last_packet\":%" PRIu64 ",\"duration_s\":%.6f,"
		"\"corrupted_in_transit\":%" PRIu64
		",\"resets_ignored\":%" PRIu64 ",\"sealed\":%" PRIu64
		",\"sealed_not_opened\":%" PRIu64 ",\"auth_failed\":%" PRIu64
		",\"c2s\":", c->id,
		frame_endpoint_str(&c->ep[DIR_C2S], a),
		frame_endpoint_str(&c->ep[DIR_S2C], b), c->cid[DIR_S2C],
		c->cid[DIR_C2S],
		c->init_seen && c->accept_seen ? "true" : "false",
		c->midstream ? "true" : "false", track_close_name(c->close),
		c->reset_seen ? c->reset_reason : 0, c->frame_first,
		c->frame_last, duration_s(c), c->corrupted,
		c->resets_ignored, c->sealed, c->sealed_hidden,
		c->auth_failed);
	print_dir_json(f, c, DIR_C2S);
	fputs(",\"s2c\":", f);
	print_dir_json(f, c, DIR_S2C);
	fputc('}', f);
}

/* A list of corrupted or unauthenticated datagrams, as a JSON array. */
static void print_listed_json(FILE *f, const struct track_corrupt *v,
			      size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		const struct track_corrupt *k = &v[i];

		fprintf(f, "%s{\"packet\":%" PRIu64 ",\"conn\":%u,\"dir\":"
			"\"%s\",\"bytes\":%zu", i ? "," : "", k->frame,
			k->conn, track_dir_name(k->dir), k->len);
		if (k->sealed)
			fputs(",\"sealed\":true", f);
		if (k->has_pn)
			fprintf(f, ",\"type_unverified\":\"%s\""
				",\"pn_unverified\":%" PRIu32,
				type_name(k->type), k->pn);
		fputc('}', f);
	}
	fputc(']', f);
}

static void print_json(FILE *f, const char *path, const struct track *t,
		       const struct reader_stats *rs)
{
	size_t i;

	fputs("{\"file\":", f);
	json_str(f, path);
	fprintf(f, ",\"frames\":%" PRIu64 ",\"rdt_datagrams\":%" PRIu64
		",\"other_udp\":%" PRIu64 ",\"not_udp\":%" PRIu64
		",\"truncated\":%" PRIu64 ",\"fragments\":%" PRIu64
		",\"corrupted_in_transit\":%" PRIu64 ",\"malformed\":%" PRIu64
		",\"other_version\":%" PRIu64 ",\"stray\":%" PRIu64
		",\"untracked\":%" PRIu64 ",\"sealed\":%" PRIu64
		",\"sealed_opened\":%" PRIu64 ",\"sealed_no_key\":%" PRIu64
		",\"sealed_no_keys\":%" PRIu64 ",\"auth_failed\":%" PRIu64
		",\"connections\":[", rs->frames,
		rs->rdt, rs->other_udp, rs->not_udp, rs->truncated,
		rs->fragments, t->corrupted, t->malformed, t->foreign,
		t->stray, t->untracked, t->sealed, t->sealed_opened,
		t->sealed_no_key, t->sealed_no_keys, t->auth_failed);
	for (i = 0; i < t->nconns; i++) {
		if (i)
			fputc(',', f);
		print_conn_json(f, t->conns[i]);
	}
	fputs("],\"corrupted_datagrams\":", f);
	print_listed_json(f, t->corrupt, t->ncorrupt);
	fputs(",\"auth_failed_datagrams\":", f);
	print_listed_json(f, t->auth, t->nauth);
	fprintf(f, ",\"violation_count\":%" PRIu64 ",\"violations\":[",
		t->violations);
	for (i = 0; i < t->nviol; i++) {
		const struct track_violation *v = &t->viol[i];

		fprintf(f, "%s{\"packet\":%" PRIu64 ",\"conn\":%u,\"dir\":\"%s\","
			, i ? "," : "", v->frame, v->conn,
			track_dir_name(v->dir));
		if (v->has_pn)
			fprintf(f, "\"pn\":%" PRIu32 ",", v->pn);
		fprintf(f, "\"kind\":\"%s\",\"message\":", v->kind);
		json_str(f, v->msg);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* The reader's callback: --verbose's line, then the tracker. */
struct verbose {
	struct track *t;
	int on;
};

static void on_dgram(void *arg, const struct rdt_dgram *d)
{
	struct verbose *vb = arg;

	if (vb->on)
		print_dgram_line(stdout, d);
	track_dgram(vb->t, d);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "allow-corrupt", no_argument, NULL, 'C' },
		{ "strict-crc", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "psk-file", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Static: it holds a datagram-sized buffer. */
	static struct unseal unseal;
	uint8_t psk[RDT_SEAL_KEY_SIZE];
	uint16_t ports[MAX_PORTS];
	size_t nports = 0;
	int json = 0, strict_crc = 0, have_psk = 0, ch, status;
	struct verbose vb = { NULL, 0 };
	struct reader_stats rs;
	struct track t;
	char err[512];

	while ((ch = getopt_long(argc, argv, "+p:jvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (add_port(ports, &nports, optarg) < 0)
				return EXIT_USAGE;
			break;
		case 'C':
			strict_crc = 0;
			break;
		case 'S':
			strict_crc = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'K':
			if (read_psk_file(optarg, psk) < 0)
				return EXIT_USAGE;
			have_psk = 1;
			break;
		case 'v':
			vb.on = 1;
			break;
		case 'h':
			fputs(check_usage, stdout);
			return 0;
		default:
			fputs("Try 'rdt-pcap check --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (json && vb.on) {
		/* The lines would make the output no longer JSON. */
		warnx_("check: --verbose and --json do not go together");
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		warnx_("check: expected one capture FILE");
		fputs("Try 'rdt-pcap check --help'.\n", stderr);
		return EXIT_USAGE;
	}
	track_init(&t, strict_crc, NULL);
	unseal_init(&unseal, have_psk ? psk : NULL);
	explicit_bzero(psk, sizeof(psk));
	vb.t = &t;
	if (reader_run(argv[optind], ports, nports, &unseal, on_dgram, &vb,
		       &rs, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		track_free(&t);
		unseal_free(&unseal);
		return EXIT_USAGE;
	}
	unseal_free(&unseal);
	track_finish(&t);
	if (json)
		print_json(stdout, argv[optind], &t, &rs);
	else
		print_text(stdout, argv[optind], &t, &rs, have_psk);
	/* Not a violation, but a key that opened nothing at all is most
	 * likely not these connections' key. */
	if (have_psk && t.auth_failed && !t.sealed_opened)
		warnx_("warning: --psk-file opened none of the %" PRIu64
		       " sealed datagrams: is it the key of these "
		       "connections?", t.sealed);
	status = t.violations ? EXIT_VIOLATIONS : 0;
	track_free(&t);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnx_("writing the report: %m");
		return EXIT_USAGE;
	}
	return status;
}
