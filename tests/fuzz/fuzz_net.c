/*
 * fuzz_net.c: libFuzzer target that drives two real cores, a client and a
 * server, through a network the fuzzer controls, and checks what the
 * applications get.
 *
 * Map of this file:
 *
 *   pattern              the byte at a position of each direction's stream:
 *                        the truth every delivered byte is compared with.
 *   struct side, struct fz   the two endpoints, their applications and the
 *                        datagrams in flight each way.
 *   app, drain, fire     one turn of the applications (write what fits,
 *                        read and check everything), of the cores' output
 *                        (into the queues, tail drop when full) and of
 *                        their timers (a core whose deadline stays in the
 *                        past is a busy loop: abort).
 *   truthify             what a forgery may not change (below).
 *   op_*                 what the fuzzer can do: deliver, drop,
 *                        duplicate or reorder the head of a queue, advance
 *                        the clock, flip bytes of a datagram (with or
 *                        without a valid CRC), or rewrite its fields.
 *   settle, verdict      after the script, a clean network until both ends
 *                        are quiet; then the properties below.
 *
 * The input: 8 bytes of seed, a byte choosing the congestion controller,
 * a byte choosing the buffers, two 16-bit stream lengths (client's and
 * server's), then the script, one operation per byte plus its operands.
 * Missing bytes read as zero, so every input is a valid script.
 *
 * The properties, which hold in the clear mode for the attacker PROTOCOL.md
 * 7.10 describes (one who sees the traffic and forges any header field,
 * packet number, FIN, window edge, acknowledgement, RESET or raw junk,
 * but not the content of the stream: only encryption protects that):
 *
 *   - every byte either application reads is the truth at its position,
 *     and no application reads past the end of its peer's stream;
 *   - no crash, no sanitizer report, no busy loop (a deadline that stays
 *     due after its timers ran);
 *   - after the script, on a clean network, both ends go quiet: each
 *     closes (cleanly or with an error) or is left waiting with nothing
 *     outstanding because its peer is gone; two open ends with nothing
 *     due is a stall, which PROTOCOL.md 7.10 promises forgeries cannot
 *     cause;
 *   - an end whose every byte and FIN was acknowledged has really been
 *     received: its peer read the whole stream, or failed with an error.
 *
 * The last two exempt a run in which a forged acknowledgement ran ahead
 * of what the receiver had really acknowledged: a sender must release
 * acknowledged bytes (only cum does that, and only in the send buffer's
 * reach), so an attacker who sees the traffic can make it drop bytes the
 * receiver never got.  That is the on-path forgery PROTOCOL.md 7.10 says
 * only authentication removes; the run still checks every safety
 * property.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/cc.h"
#include "../../src/core/conn.h"
#include "../../src/core/err.h"
#include "../../src/util/prng.h"
#include "../../src/wire/pkt.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLI 0
#define SRV 1
/* Datagrams held per direction; more are tail-dropped, as a router
 * would. */
#define QUEUE_MAX 48
#define DG_MAX 1500
/* Script operations, so a long input cannot make one run slow. */
#define OPS_MAX 4096
/* Timer rounds at one instant before it counts as a busy loop. */
#define BUSY_MAX 1000
/* The clean network after the script: long enough for the user timeout
 * (60 s) and every backoff to end what the forgeries left behind. */
#define SETTLE_LIMIT (900 * RDT_S)
#define SETTLE_ROUNDS 200000

struct dgram {
	uint8_t buf[DG_MAX];
	size_t len;
};

struct side {
	struct rdt_conn *conn;
	struct rdt_conn_config cfg;
	uint64_t target;	/* bytes this application sends */
	uint64_t given;		/* of which the core took so far */
	uint64_t got;		/* bytes this application read */
	int eof;
	int shut;
	/* This side's initial stream number, once its INIT or ACCEPT was
	 * seen, and that datagram (a forged INIT or ACCEPT keeps the real
	 * identity: see truthify). */
	int have_hs;
	uint64_t hs_scid;
	uint32_t isn;
	/* The furthest cum this side really acknowledged, relative to the
	 * peer's stream. */
	int64_t real_cum;
};

struct fz {
	struct prng rng;
	rdt_tstamp t;
	struct side s[2];
	/* q[d]: datagrams written by side d, on their way to the other. */
	struct dgram q[2][QUEUE_MAX];
	unsigned n[2];
	int ack_ahead;
	struct fuzz_input in;
};

static uint64_t fz_rand64(void *ctx)
{
	return prng_next(ctx);
}

/* Side |dir|'s stream at position |pos|: the two directions differ, so a
 * byte delivered to the wrong side is caught too. */
static uint8_t pattern(int dir, uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8) * 7 + 3 + (uint64_t)dir * 101);
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_net: %s\n", why);
	abort();
}

static int closed(const struct side *s)
{
	return s->conn == NULL ||
	       rdt_conn_state(s->conn) == RDT_CONN_CLOSED;
}

static void app(struct fz *f)
{
	uint8_t buf[4096];
	int d;

	for (d = CLI; d <= SRV; d++) {
		struct side *s = &f->s[d];
		rdt_ssize n;
		size_t i;

		if (s->conn == NULL)
			continue;
		while (s->given < s->target) {
			size_t want = (size_t)(s->target - s->given);

			if (want > sizeof(buf))
				want = sizeof(buf);
			for (i = 0; i < want; i++)
				buf[i] = pattern(d, s->given + i);
			n = rdt_conn_send(s->conn, buf, want, f->t);
			if (n <= 0)
				break;
			s->given += (uint64_t)n;
		}
		if (s->given == s->target && !s->shut &&
		    rdt_conn_shutdown(s->conn, f->t) == 0)
			s->shut = 1;
		for (;;) {
			n = rdt_conn_recv(s->conn, buf, sizeof(buf), 0, f->t);
			if (n == 0)
				s->eof = 1;
			if (n <= 0)
				break;
			if (s->got + (uint64_t)n > f->s[!d].target)
				fail("read past the end of the peer's stream");
			for (i = 0; i < (size_t)n; i++)
				if (buf[i] != pattern(!d, s->got + i))
					fail("read a byte that was never sent");
			s->got += (uint64_t)n;
		}
	}
}

/* Notes what side |d| really sent that forgeries are judged against. */
static void note_real(struct fz *f, int d, const uint8_t *dg, size_t len)
{
	struct side *s = &f->s[d];
	struct rdt_pkt pkt;

	if (rdt_pkt_decode(&pkt, dg, len) != 0)
		fail("a core wrote a datagram the codec refuses");
	if ((pkt.type == RDT_PKT_INIT && d == CLI) ||
	    (pkt.type == RDT_PKT_ACCEPT && d == SRV)) {
		if (!s->have_hs) {
			s->have_hs = 1;
			s->hs_scid = pkt.scid;
			s->isn = pkt.isn;
		}
	}
	if (pkt.type == RDT_PKT_DATA && (pkt.flags & RDT_PKT_F_ACK) &&
	    f->s[!d].have_hs) {
		int64_t rel = (int32_t)(pkt.ack.cum - f->s[!d].isn);

		if (rel > s->real_cum)
			s->real_cum = rel;
	}
}

static void drain(struct fz *f)
{
	uint8_t dg[DG_MAX];
	unsigned k;
	int d;

	for (d = CLI; d <= SRV; d++) {
		if (f->s[d].conn == NULL)
			continue;
		for (k = 0;; k++) {
			rdt_ssize n = rdt_conn_write_pkt(f->s[d].conn, dg,
							 sizeof(dg), f->t);

			if (n <= 0)
				break;
			if (k > 100000)
				fail("write_pkt never runs dry");
			note_real(f, d, dg, (size_t)n);
			if (f->n[d] == QUEUE_MAX)
				continue;
			memcpy(f->q[d][f->n[d]].buf, dg, (size_t)n);
			f->q[d][f->n[d]].len = (size_t)n;
			f->n[d]++;
		}
	}
}

static rdt_tstamp deadline(const struct fz *f, int d)
{
	if (f->s[d].conn == NULL)
		return RDT_TSTAMP_NEVER;
	return rdt_conn_deadline(f->s[d].conn);
}

/* Runs every timer due by now; each round hands the cores' output to
 * the network and the applications their turn, as the runtime does. */
static void fire(struct fz *f)
{
	unsigned rounds;
	int d, due;

	for (rounds = 0;; rounds++) {
		due = 0;
		for (d = CLI; d <= SRV; d++) {
			if (deadline(f, d) <= f->t) {
				rdt_conn_on_deadline(f->s[d].conn, f->t);
				due = 1;
			}
		}
		if (!due)
			return;
		if (rounds == BUSY_MAX)
			fail("a deadline stays due after its timers ran");
		app(f);
		drain(f);
	}
}

/*
 * A forged datagram for side |to| keeps what the attacker of this model
 * cannot change: the stream's content (forged stream bytes are the truth
 * at their position, and none lie past the stream's end) and the
 * handshake's identity (a forged INIT or ACCEPT names the real IDs and
 * initial numbers: a different one would be another connection).  Marks
 * the run when a forged cum runs ahead of the real one.  Returns 0 if
 * the forgery cannot be made truthful (the identity is not known yet).
 */
static int truthify(struct fz *f, int to, struct rdt_pkt *pkt,
		    uint8_t *data)
{
	const struct side *from = &f->s[!to];
	uint16_t i;

	switch (pkt->type) {
	case RDT_PKT_INIT:
	case RDT_PKT_ACCEPT:
		if (!from->have_hs)
			return 0;
		pkt->scid = from->hs_scid;
		pkt->isn = from->isn;
		return 1;
	case RDT_PKT_DATA:
		break;
	default:
		return 1;
	}
	if (pkt->flags & RDT_PKT_F_STREAM) {
		uint32_t rel;

		if (!from->have_hs)
			return 0;
		rel = pkt->offset - from->isn;
		if ((uint64_t)rel >= from->target)
			pkt->data_len = 0;
		else if ((uint64_t)rel + pkt->data_len > from->target)
			pkt->data_len = (uint16_t)(from->target - rel);
		for (i = 0; i < pkt->data_len; i++)
			data[i] = pattern(!to, (uint64_t)rel + i);
		pkt->data = pkt->data_len ? data : NULL;
	}
	if ((pkt->flags & RDT_PKT_F_ACK) && f->s[to].have_hs) {
		int64_t rel = (int32_t)(pkt->ack.cum - f->s[to].isn);

		if (rel > from->real_cum)
			f->ack_ahead = 1;
	}
	return 1;
}

/* Hands datagram |dg| to side |to|; the server's core is made by the
 * first INIT that reaches it, as a listener would. */
static void deliver_to(struct fz *f, int to, const uint8_t *dg, size_t len)
{
	struct side *s = &f->s[to];
	struct rdt_pkt pkt;

	if (s->conn == NULL) {
		if (rdt_pkt_decode(&pkt, dg, len) != 0 ||
		    pkt.type != RDT_PKT_INIT)
			return;
		if (rdt_conn_server_new(&s->conn, &s->cfg, rdt_mem_default(),
					&pkt, f->t) != 0)
			fail("server_new refused a decoded INIT");
	} else {
		rdt_conn_recv_pkt(s->conn, dg, len, f->t);
	}
	app(f);
	drain(f);
}

static void pop(struct fz *f, int d, struct dgram *out)
{
	if (out)
		*out = f->q[d][0];
	f->n[d]--;
	memmove(&f->q[d][0], &f->q[d][1], f->n[d] * sizeof(f->q[d][0]));
}

static void op_deliver(struct fz *f, int d)
{
	struct dgram head;

	pop(f, d, &head);
	deliver_to(f, !d, head.buf, head.len);
}

static void op_duplicate(struct fz *f, int d)
{
	if (f->n[d] < QUEUE_MAX) {
		f->q[d][f->n[d]] = f->q[d][0];
		f->n[d]++;
	}
}

static void op_reorder(struct fz *f, int d)
{
	struct dgram head;

	pop(f, d, &head);
	f->q[d][f->n[d]++] = head;
}

/* Encodes |pkt| and hands it over; a forgery the codec cannot build is
 * not sent. */
static void send_forged(struct fz *f, int to, struct rdt_pkt *pkt)
{
	static uint8_t dg[RDT_PKT_MAX_DGRAM];
	uint8_t data[DG_MAX];
	rdt_ssize n;

	if (pkt->data_len > sizeof(data))
		pkt->data_len = sizeof(data);
	if (!truthify(f, to, pkt, data))
		return;
	n = rdt_pkt_encode(dg, DG_MAX, pkt);
	if (n > 0)
		deliver_to(f, to, dg, (size_t)n);
}

/* Overwrites up to 4 bytes of a copy of the head of queue |d|; with
 * |crc| set the checksum is made right again, so the core's checks
 * behind it see the change (decoded forgeries are made truthful first). */
static void op_corrupt(struct fz *f, int d, int crc)
{
	struct dgram c = f->q[d][0];
	unsigned k, edits = 1 + fuzz_u8(&f->in) % 4;
	struct rdt_pkt pkt;

	for (k = 0; k < edits; k++) {
		size_t at = fuzz_u16(&f->in) % c.len;

		c.buf[at] ^= (uint8_t)(fuzz_u8(&f->in) | 1);
	}
	if (!crc) {
		deliver_to(f, !d, c.buf, c.len);
		return;
	}
	fuzz_fix_crc(c.buf, c.len);
	if (rdt_pkt_decode(&pkt, c.buf, c.len) == 0)
		send_forged(f, !d, &pkt);
	else
		deliver_to(f, !d, c.buf, c.len);
}

/* Rewrites fields of the head of queue |d| and sends the result beside
 * it: the attacker who sees the traffic and forges headers. */
static void op_forge(struct fz *f, int d)
{
	struct dgram c = f->q[d][0];
	struct rdt_pkt pkt;
	unsigned k, edits = 1 + fuzz_u8(&f->in) % 4;

	if (rdt_pkt_decode(&pkt, c.buf, c.len) != 0)
		return;
	if (pkt.token == NULL)
		pkt.token_len = 0;
	for (k = 0; k < edits; k++) {
		uint8_t what = fuzz_u8(&f->in);
		int32_t delta = (int32_t)fuzz_u32(&f->in);

		/* Small moves find the edges of the checks; big ones the
		 * wrap. */
		if (what & 0x80)
			delta >>= 16;
		switch (what & 0x0f) {
		case 0:
			pkt.pn += (uint32_t)delta;
			break;
		case 1:
			pkt.flags ^= (uint8_t)(delta & 0x0f);
			break;
		case 2:
			pkt.offset += (uint32_t)delta;
			break;
		case 3:
			pkt.data_len = (uint16_t)delta;
			break;
		case 4:
			pkt.window_edge += (uint32_t)delta;
			break;
		case 5:
			pkt.ack.cum += (uint32_t)delta;
			break;
		case 6:
			pkt.ack.largest += (uint32_t)delta;
			break;
		case 7:
			pkt.ack.first_len += (uint32_t)delta;
			break;
		case 8:
			pkt.ack.nranges = (uint8_t)(delta % 4);
			pkt.ack.ranges[0].gap = (uint32_t)delta & 0xff;
			pkt.ack.ranges[0].len = ((uint32_t)delta >> 8) & 0xff;
			break;
		case 9:
			pkt.type = (uint8_t)(1 + (delta & 0xff) % 5);
			pkt.reason = (uint32_t)delta >> 8;
			break;
		case 10:
			pkt.dcid ^= (uint64_t)(uint32_t)delta;
			break;
		case 11:
			pkt.window += (uint32_t)delta;
			pkt.max_dgram += (uint16_t)delta;
			break;
		default:
			pkt.ack.ack_delay_us += (uint32_t)delta;
			break;
		}
	}
	send_forged(f, !d, &pkt);
}

/* Moves the clock by up to 6.5 s, or to the next deadline. */
static void op_time(struct fz *f)
{
	uint16_t step = fuzz_u16(&f->in);
	rdt_tstamp next;

	if (step == 0) {
		next = deadline(f, CLI);
		if (deadline(f, SRV) < next)
			next = deadline(f, SRV);
		if (next != RDT_TSTAMP_NEVER && next > f->t)
			f->t = next;
	} else {
		f->t += (rdt_tstamp)step * 100 * RDT_US;
	}
	fire(f);
}

static void script(struct fz *f)
{
	unsigned ops;

	for (ops = 0; ops < OPS_MAX && f->in.n > 0; ops++) {
		uint8_t op = fuzz_u8(&f->in);
		int d = op >> 7;

		if ((op & 0x7f) % 8 == 7) {
			op_time(f);
			continue;
		}
		if (f->n[d] == 0)
			continue;
		switch ((op & 0x7f) % 8) {
		case 0:
		case 1:
			op_deliver(f, d);
			break;
		case 2:
			pop(f, d, NULL);
			break;
		case 3:
			op_duplicate(f, d);
			break;
		case 4:
			op_reorder(f, d);
			break;
		case 5:
			op_corrupt(f, d, op & 0x40);
			break;
		case 6:
			op_forge(f, d);
			break;
		}
	}
}

/* A clean network: every datagram arrives, in order, at once; the clock
 * jumps from deadline to deadline until both ends are quiet. */
static void settle(struct fz *f)
{
	rdt_tstamp limit = f->t + SETTLE_LIMIT, next;
	unsigned long moved = 0;
	unsigned rounds;

	for (rounds = 0; rounds < SETTLE_ROUNDS; rounds++) {
		while (f->n[CLI] > 0 || f->n[SRV] > 0) {
			if (++moved > 10000000)
				fail("an endless exchange at one instant");
			if (f->n[CLI] > 0)
				op_deliver(f, CLI);
			if (f->n[SRV] > 0)
				op_deliver(f, SRV);
		}
		if (closed(&f->s[CLI]) && closed(&f->s[SRV]))
			return;
		next = deadline(f, CLI);
		if (deadline(f, SRV) < next)
			next = deadline(f, SRV);
		if (next == RDT_TSTAMP_NEVER || next > limit)
			return;
		if (next > f->t)
			f->t = next;
		fire(f);
	}
	fail("the clean network never went quiet");
}

/* FUZZ_NET_TRACE=1 prints how each run ended, to read a finding. */
static void trace(const struct fz *f)
{
	int d;

	if (getenv("FUZZ_NET_TRACE") == NULL)
		return;
	for (d = CLI; d <= SRV; d++) {
		const struct side *s = &f->s[d];

		fprintf(stderr,
			"fuzz_net: %s: %s error %d, sent %llu/%llu%s, read "
			"%llu%s\n",
			d == CLI ? "client" : "server",
			s->conn ? rdt_conn_state_name(rdt_conn_state(s->conn))
				: "never made",
			s->conn ? rdt_conn_error(s->conn) : 0,
			(unsigned long long)s->given,
			(unsigned long long)s->target,
			s->conn && rdt_conn_send_done(s->conn) ? " (all acked)"
							       : "",
			(unsigned long long)s->got, s->eof ? " + EOF" : "");
		if (s->conn) {
			struct rdt_conn_info in;

			rdt_conn_get_info(s->conn, &in);
			fprintf(stderr,
				"fuzz_net:   received %llu, readable %zu; "
				"dropped: forged pn %llu, forged FIN %llu, "
				"past FIN %llu, edge %llu, invalid ACK %llu; "
				"FIN deferred %llu, pn collisions %llu, "
				"SACK reneged %llu\n",
				(unsigned long long)in.stats.bytes_received,
				rdt_conn_readable(s->conn),
				(unsigned long long)in.stats.drop_forged_pn,
				(unsigned long long)in.stats.drop_forged_fin,
				(unsigned long long)in.stats.drop_past_fin,
				(unsigned long long)in.stats.drop_invalid_edge,
				(unsigned long long)in.stats.drop_invalid_ack,
				(unsigned long long)in.stats.fin_deferred,
				(unsigned long long)in.stats.pn_collisions,
				(unsigned long long)in.stats.sack_reneged);
		}
	}
	fprintf(stderr, "fuzz_net: t = %.3f s%s\n", (double)f->t / RDT_S,
		f->ack_ahead ? ", a forged ACK ran ahead" : "");
}

static void verdict(struct fz *f)
{
	int d;

	trace(f);
	if (f->ack_ahead)
		return;
	if (!closed(&f->s[CLI]) && !closed(&f->s[SRV]))
		fail("both ends still open once the clean network settled: "
		     "a stall");
	for (d = CLI; d <= SRV; d++) {
		struct side *s = &f->s[d], *peer = &f->s[!d];

		if (s->conn == NULL || !rdt_conn_send_done(s->conn))
			continue;
		if (peer->got != s->target &&
		    (peer->conn == NULL || rdt_conn_error(peer->conn) == 0))
			fail("every byte acknowledged, but the peer lacks some");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rdt_cc_ops *const ccs[] = {
		&rdt_cc_newreno, &rdt_cc_cubic, &rdt_cc_bbr,
	};
	static struct fz f;
	uint8_t cc, bufs;
	int d;

	memset(&f, 0, sizeof(f));
	f.in.p = data;
	f.in.n = size;
	prng_seed(&f.rng, fuzz_u64(&f.in));
	cc = fuzz_u8(&f.in);
	bufs = fuzz_u8(&f.in);
	for (d = CLI; d <= SRV; d++) {
		struct side *s = &f.s[d];

		rdt_conn_config_default(&s->cfg);
		s->cfg.rand64 = fz_rand64;
		s->cfg.rand_ctx = &f.rng;
		s->cfg.cc = ccs[cc % 3];
		/* 4 KiB to 64 KiB: small buffers reach the window's edges
		 * and the zero-window probes quickly. */
		s->cfg.sndbuf = (size_t)4096 << (bufs & 3);
		s->cfg.rcvbuf = (size_t)4096 << ((bufs >> 2) & 3);
		s->target = fuzz_u16(&f.in);
		s->real_cum = 0;
	}
	f.t = RDT_S;
	if (rdt_conn_client_new(&f.s[CLI].conn, &f.s[CLI].cfg,
				rdt_mem_default(), f.t) != 0)
		fail("client_new failed");
	app(&f);
	drain(&f);
	script(&f);
	settle(&f);
	verdict(&f);
	for (d = CLI; d <= SRV; d++)
		rdt_conn_del(f.s[d].conn);
	return 0;
}
