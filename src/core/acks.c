/*
 * acks.c: the receiver's side of acknowledgement.  Which packet numbers
 * arrived (for ACK frames and duplicate detection), and when the next ACK
 * is due: at once on reordering, a gap or a filled hole, otherwise every
 * CONN_ACK_EVERY ack-eliciting datagrams or after max_ack_delay.
 */
#include "conn_int.h"
#include "err.h"

void rdt_conn_schedule_ack(struct rdt_conn *conn, rdt_tstamp now)
{
	conn->ack_eliciting_unacked++;
	if (conn->ack_eliciting_unacked >= CONN_ACK_EVERY)
		conn->ack_now = 1;
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
			conn->ack_now = 1;
		conn->have_rcv_pn = 1;
		conn->largest_rcv_pn = pn;
	} else {
		conn->stats.pkts_reordered++;
		if (eliciting)
			conn->ack_now = 1;
	}
}
