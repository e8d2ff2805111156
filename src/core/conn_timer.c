/*
 * conn_timer.c: the connection's one deadline and what happens when it
 * passes.
 *
 *   rdt_conn_deadline     the earliest of: handshake retransmission,
 *                         time-wait end, idle timeout, user timeout,
 *                         delayed ACK, loss time, probe timeout, persist,
 *                         keepalive, the silence probe, the pacer's
 *                         next send time and trimming an idle
 *                         connection's memory
 *   rdt_conn_on_deadline  a flat list of "if expired, handle" steps
 *   on_pto                RFC 9002 6.2 probe timeout: the first one is a
 *                         tail-loss probe, every later one a full RTO
 *                         (everything in flight is lost, the window
 *                         collapses, RFC 6298 5.5 backoff continues)
 */
#include "conn_int.h"
#include "err.h"

/*
 * If a probe is due but nothing waits to be sent, resend the newest bytes
 * in flight: a probe exists to draw an ACK, and old bytes do that as well
 * as new ones.  Returns 0 if there is nothing at all to probe with.
 */
int rdt_conn_prepare_probe(struct rdt_conn *conn)
{
	size_t k;

	for (k = conn->sent.n; k-- > 0;) {
		struct rdt_sent_pkt *rec = rdt_sent_at(&conn->sent, k);

		if (!(rec->flags & RDT_SENT_IN_FLIGHT) ||
		    (rec->flags & RDT_SENT_ACKED))
			continue;
		/* Nothing left to resend in it: bytes acknowledged and no
		 * FIN, or the FIN acknowledged too. */
		if (rec->off + rec->len <= conn->snd_una &&
		    (!(rec->flags & RDT_SENT_FIN) || conn->fin_acked))
			continue;
		if (rec->len > 0)
			rdt_conn_queue_rtx(conn, rec->off, rec->len);
		if ((rec->flags & RDT_SENT_FIN) && !conn->fin_acked)
			conn->fin_rtx = 1;
		return 1;
	}
	return 0;
}

static rdt_tstamp min_ts(rdt_tstamp a, rdt_tstamp b)
{
	return a < b ? a : b;
}

/*
 * Bytes below the highest sent are unacknowledged, yet nothing in flight
 * or queued will ever cover them: a selective ACK said they arrived, the
 * cumulative point says they did not.  Honest receivers never renege, but
 * an ACK about a packet number a forger used first says "arrived" of a
 * genuine packet that may then be lost.  SACK is advice; only the
 * cumulative point releases bytes (RFC 2018 8), so this is a state to
 * time out of, not to wait in.
 */
static int reneged(const struct rdt_conn *conn)
{
	return conn->bytes_in_flight == 0 && rdt_ranges_empty(&conn->rtx) &&
	       !conn->fin_rtx &&
	       (conn->snd_una < conn->snd_nxt ||
		(conn->fin_sent && !conn->fin_acked));
}

static rdt_tstamp pto_deadline(const struct rdt_conn *conn)
{
	if (conn->bytes_in_flight == 0 && !reneged(conn))
		return RDT_TSTAMP_NEVER;
	return conn->last_in_flight_sent + rdt_conn_rto(conn, conn->pto_count);
}

/* Forget every SACK and resend from the cumulative point (RFC 2018 8:
 * "the data sender ... MUST ignore prior SACK information" on timeout). */
static void on_renege(struct rdt_conn *conn)
{
	conn->stats.sack_reneged++;
	rdt_ranges_free(&conn->sacked);
	rdt_conn_queue_rtx(conn, conn->snd_una, conn->snd_nxt - conn->snd_una);
	if (conn->fin_sent && !conn->fin_acked)
		conn->fin_rtx = 1;
	conn->probes_pending = 1;
}

/* An unanswered PING (keepalive or zero-window probe) is sent again
 * after an RTO, backing off: it is not in flight, so no PTO covers it. */
static rdt_tstamp ping_deadline(const struct rdt_conn *conn)
{
	return conn->ping_sent + rdt_conn_rto(conn, conn->ping_backoff);
}

/*
 * How long a sending peer may fall silent before we ask whether it is
 * still there: an RTO (a pause in its data is then more than a lost
 * ACK), and not under 200 ms, so that pauses between an application's
 * writes cost at most a few probes a second.
 */
rdt_tstamp rdt_conn_silence_interval(const struct rdt_conn *conn)
{
	rdt_tstamp rto = rdt_conn_rto(conn, 0);

	return rto > 200 * RDT_MS ? rto : 200 * RDT_MS;
}

static int keepalive_armed(const struct rdt_conn *conn)
{
	return conn->cfg.keepalive > 0 && !rdt_conn_outstanding(conn) &&
	       !conn->ping_pending && conn->state != RDT_CONN_TIME_WAIT;
}

/* When an idle connection's empty buffers have been unused long enough
 * to be given back.  They empty only when a datagram arrives (the ACK of
 * the last bytes sent, or the bytes the application then read), so the
 * last datagram received stands for the last use. */
static rdt_tstamp trim_time(const struct rdt_conn *conn)
{
	return conn->last_recv + CONN_TRIM_IDLE;
}

rdt_tstamp rdt_conn_deadline(const struct rdt_conn *conn)
{
	rdt_tstamp t = RDT_TSTAMP_NEVER;

	switch (conn->state) {
	case RDT_CONN_CLOSED:
		return RDT_TSTAMP_NEVER;
	case RDT_CONN_SYN_SENT:
	case RDT_CONN_SYN_RCVD:
		return min_ts(conn->hs_next,
			      conn->created + conn->cfg.user_timeout);
	case RDT_CONN_TIME_WAIT:
		t = conn->close_deadline;
		break;
	default:
		break;
	}
	if (conn->cfg.idle_timeout > 0)
		t = min_ts(t, conn->last_recv + conn->cfg.idle_timeout);
	if (rdt_conn_outstanding(conn))
		t = min_ts(t, conn->last_progress + conn->cfg.user_timeout);
	t = min_ts(t, rdt_conn_ack_deadline(conn));
	t = min_ts(t, conn->loss_time);
	if (conn->loss_time == RDT_TSTAMP_NEVER)
		t = min_ts(t, pto_deadline(conn));
	t = min_ts(t, conn->persist_next);
	if (conn->ping_outstanding)
		t = min_ts(t, ping_deadline(conn));
	if (keepalive_armed(conn))
		t = min_ts(t, conn->last_recv + conn->cfg.keepalive);
	t = min_ts(t, conn->silence_probe_at);
	if (rdt_conn_can_trim(conn))
		t = min_ts(t, trim_time(conn));
	/* Data the pacer held back leaves when its credit returns. */
	t = min_ts(t, rdt_pacer_next_send(&conn->pacer, conn->cc.pacing_rate));
	return t;
}

static void on_pto(struct rdt_conn *conn, rdt_tstamp now)
{
	size_t k;

	conn->pto_count++;
	if (reneged(conn)) {
		on_renege(conn);
		return;
	}
	if (conn->pto_count == 1) {
		/* Tail-loss probe (RFC 8985 7): one datagram beyond the
		 * window, new bytes if there are any, else the newest ones
		 * in flight, to draw an ACK that reveals the loss. */
		conn->stats.tlp_count++;
		conn->probes_pending = 1;
		return;
	}
	/* A full retransmission timeout: nothing in flight made it. */
	conn->stats.rto_count++;
	conn->have_recovery_trigger = 0;
	for (k = 0; k < conn->sent.n; k++) {
		struct rdt_sent_pkt *rec = rdt_sent_at(&conn->sent, k);

		if (!(rec->flags & RDT_SENT_IN_FLIGHT) ||
		    (rec->flags & (RDT_SENT_ACKED | RDT_SENT_LOST)))
			continue;
		/* Should the oldest of these turn out to have arrived, the
		 * timeout was spurious (lost ACKs, not data) and the
		 * collapse is undone (F-RTO, RFC 5682; RFC 4015). */
		if (!conn->have_recovery_trigger) {
			conn->have_recovery_trigger = 1;
			conn->recovery_trigger_pn = rec->pn;
		}
		rdt_conn_declare_lost(conn, rec, RDT_CONN_LOSS_PTO, now);
	}
	conn->cc.ops->on_rto(&conn->cc, now);
	/* Two probes (RFC 9002 6.2.4): one lost datagram must not cost a
	 * whole doubled timeout when the path drops many. */
	conn->probes_pending = 2;
}

void rdt_conn_on_deadline(struct rdt_conn *conn, rdt_tstamp now)
{
	if (conn == NULL || conn->state == RDT_CONN_CLOSED)
		return;
	if (conn->state == RDT_CONN_SYN_SENT ||
	    conn->state == RDT_CONN_SYN_RCVD) {
		if (now >= conn->created + conn->cfg.user_timeout)
			rdt_conn_fail(conn, RDT_ERR_TIMEOUT, now);
		else if (now >= conn->hs_next) {
			conn->hs_due = 1;
			conn->hs_next = RDT_TSTAMP_NEVER;
		}
		return;
	}
	if (conn->state == RDT_CONN_TIME_WAIT && now >= conn->close_deadline) {
		conn->state = RDT_CONN_CLOSED;
		return;
	}
	if (conn->cfg.idle_timeout > 0 &&
	    now >= conn->last_recv + conn->cfg.idle_timeout) {
		rdt_conn_fail(conn, RDT_ERR_IDLE, now);
		conn->reset_pending = 0;
		return;
	}
	if (rdt_conn_outstanding(conn) &&
	    now >= conn->last_progress + conn->cfg.user_timeout) {
		/*
		 * In LAST_ACK every byte we sent was acknowledged and the
		 * peer's FIN received: only the ACK of our FIN is missing,
		 * most likely because the peer already left time-wait.
		 * Nothing was lost, so this ends cleanly.
		 */
		if (conn->state == RDT_CONN_LAST_ACK &&
		    conn->snd_una == conn->snd_nxt)
			conn->state = RDT_CONN_CLOSED;
		else
			rdt_conn_fail(conn, RDT_ERR_TIMEOUT, now);
		return;
	}
	rdt_conn_ack_on_timer(conn, now);
	if (now >= conn->loss_time)
		rdt_conn_detect_lost(conn, now);
	else if (now >= pto_deadline(conn))
		on_pto(conn, now);
	if (now >= conn->persist_next) {
		conn->persist_next = RDT_TSTAMP_NEVER;
		conn->ping_pending = 1;
		conn->stats.persist_probes++;
		if (conn->persist_backoff < 16)
			conn->persist_backoff++;
	}
	if (conn->ping_outstanding && now >= ping_deadline(conn)) {
		conn->ping_pending = 1;
		if (conn->ping_backoff < 16)
			conn->ping_backoff++;
	}
	if (keepalive_armed(conn) &&
	    now >= conn->last_recv + conn->cfg.keepalive)
		conn->ping_pending = 1;
	if (now >= conn->silence_probe_at) {
		/* Once per silence: the next stream bytes re-arm it. */
		conn->silence_probe_at = RDT_TSTAMP_NEVER;
		if (!conn->peer_fin_rcvd && !conn->ping_outstanding)
			conn->ping_pending = 1;
	}
	if (rdt_conn_can_trim(conn) && now >= trim_time(conn))
		rdt_conn_trim(conn);
	rdt_conn_after_event(conn, now);
}
