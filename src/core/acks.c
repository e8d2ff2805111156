/*
 * acks.c: the receiver's side of acknowledgement.  Which packet numbers
 * arrived (for ACK frames and duplicate detection), and when the next ACK
 * is due: at once on reordering, a gap or a filled hole, otherwise every
 * CONN_ACK_EVERY ack-eliciting datagrams or after max_ack_delay.  This is
 * the only file that decides when an ACK is due; the rest of the core
 * reports events to it and asks it.
 *
 *   rdt_conn_ack_on_datagram  one DATA datagram taken in: record its
 *                             number, then at once, counted or timed
 *   rdt_conn_track_largest    reordering and packet-number gaps
 *   rdt_conn_ack_at_once      events that cannot wait (see the callers)
 *   rdt_conn_ack_on_timer     max_ack_delay ran out
 *   rdt_conn_ack_wanted / rdt_conn_ack_due / rdt_conn_ack_deadline
 *                             what conn_out.c and conn_timer.c ask
 *   rdt_conn_ack_sent         an ACK left: nothing is pending any more
 */
#include "conn_int.h"
#include "err.h"
#include "../wire/pkt.h"

void rdt_conn_ack_at_once(struct rdt_conn *conn)
{
	conn->ack_now = 1;
}

static void schedule_ack(struct rdt_conn *conn, rdt_tstamp now)
{
	conn->ack_eliciting_unacked++;
	if (conn->ack_eliciting_unacked >= CONN_ACK_EVERY)
		rdt_conn_ack_at_once(conn);
	else if (conn->ack_deadline == RDT_TSTAMP_NEVER)
		conn->ack_deadline = now + conn->cfg.max_ack_delay;
}

/* Has |pn| been received already (or is it too old to tell)? */
int rdt_conn_pn_seen(const struct rdt_conn *conn, rdt_pktnum pn)
{
	if (!conn->have_rcv_pn)
		return 0;
	if (rdt_ranges_contains(&conn->rcv_pns, pn, pn + 1))
		return 1;
	return conn->rcv_pns.n == CONN_MAX_RCV_PN_RANGES &&
	       pn < conn->rcv_pns.v[0].start;
}

/*
 * Note a packet as received: it will be acknowledged.  Called only once
 * everything it carried was taken, since acknowledging a packet tells the
 * sender its bytes need no resending.
 */
void rdt_conn_record_pn(struct rdt_conn *conn, rdt_pktnum pn, rdt_tstamp now)
{
	if (rdt_ranges_add(&conn->rcv_pns, pn, pn + 1) == RDT_ERR_NOBUF) {
		rdt_ranges_drop_lowest(&conn->rcv_pns);
		(void)rdt_ranges_add(&conn->rcv_pns, pn, pn + 1);
	}
	/* The ACK delay is measured from the arrival of the largest number
	 * the ACK names, so only a recorded packet may move it. */
	if (conn->rcv_pns.n > 0 &&
	    conn->rcv_pns.v[conn->rcv_pns.n - 1].end == pn + 1)
		conn->largest_rcv_time = now;
}

/*
 * Reordering and gaps in packet numbers call for an immediate ACK, but
 * only when the packet itself asks for one (|eliciting|, RFC 9000
 * 13.2.1): a pure ACK that arrives out of order or after a lost one
 * must not be answered, or two peers whose ACKs a jittery path reorders
 * answer each other's ACKs for ever (found on a +-5 ms jitter path,
 * where 93% of a sender's datagrams had become such ACKs).
 */
void rdt_conn_track_largest(struct rdt_conn *conn, rdt_pktnum pn,
			    int eliciting)
{
	if (!conn->have_rcv_pn || pn > conn->largest_rcv_pn) {
		/* A jump means something before it is missing: tell the
		 * sender at once so its loss detection starts early. */
		if (conn->have_rcv_pn && pn > conn->largest_rcv_pn + 1 &&
		    eliciting)
			rdt_conn_ack_at_once(conn);
		conn->have_rcv_pn = 1;
		conn->largest_rcv_pn = pn;
	} else {
		conn->stats.pkts_reordered++;
		if (eliciting)
			rdt_conn_ack_at_once(conn);
	}
}

/*
 * The ACK decision for one DATA datagram, once its sections were taken
 * (|taken|: every byte and FIN it carried is held) and packet number |pn|
 * was checked against those received (|seen|).
 */
void rdt_conn_ack_on_datagram(struct rdt_conn *conn,
			      const struct rdt_pkt *pkt, rdt_pktnum pn,
			      int seen, int taken, rdt_tstamp now)
{
	int eliciting = !!(pkt->flags & (RDT_PKT_F_STREAM | RDT_PKT_F_PING));

	/* A packet is acknowledged only if everything it carried is held;
	 * one that was not tells the sender at once what we do hold. */
	if (!taken)
		rdt_conn_ack_at_once(conn);
	else if (!seen)
		rdt_conn_record_pn(conn, pn, now);
	/* A PING exists to be answered: it measures the path or probes a
	 * closed window. */
	if (pkt->flags & RDT_PKT_F_PING)
		rdt_conn_ack_at_once(conn);
	/* A duplicate FIN or data may mean our ACK was lost. */
	if (seen && eliciting)
		rdt_conn_ack_at_once(conn);
	if (eliciting && !seen)
		schedule_ack(conn, now);
}

void rdt_conn_ack_on_timer(struct rdt_conn *conn, rdt_tstamp now)
{
	if (now >= conn->ack_deadline) {
		conn->ack_now = 1;
		conn->ack_deadline = RDT_TSTAMP_NEVER;
	}
}

/*
 * Should the next datagram carry an ACK section?  Whenever one is due,
 * and also when anything ack-eliciting is unacknowledged: a datagram that
 * leaves anyway carries it for free.
 */
int rdt_conn_ack_wanted(const struct rdt_conn *conn, rdt_tstamp now)
{
	return conn->rcv_pns.n > 0 &&
	       (conn->ack_now || conn->ack_deadline <= now ||
		conn->ack_eliciting_unacked > 0);
}

/* Is an ACK due now, worth a datagram of its own? */
int rdt_conn_ack_due(const struct rdt_conn *conn, rdt_tstamp now)
{
	return conn->ack_now || conn->ack_deadline <= now;
}

/* When the delayed ACK falls due; NEVER when none waits or one is due
 * already (then the datagram is sent without waiting for a deadline). */
rdt_tstamp rdt_conn_ack_deadline(const struct rdt_conn *conn)
{
	return conn->ack_now ? RDT_TSTAMP_NEVER : conn->ack_deadline;
}

void rdt_conn_ack_sent(struct rdt_conn *conn)
{
	conn->ack_now = 0;
	conn->ack_deadline = RDT_TSTAMP_NEVER;
	conn->ack_eliciting_unacked = 0;
}
