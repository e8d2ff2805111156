/*
 * observe.c: telling a connection's observer (conn.h) what happened.
 *
 *   rdt_conn_set_observer     the runtime, when RDT_QLOG is set
 *   rdt_conn_observe_pkt      conn_out.c (each datagram built),
 *                             conn_in.c (each datagram that passed its
 *                             checks)
 *   rdt_conn_observe_lost     recovery.c (rdt_conn_declare_lost)
 *   rdt_conn_observe_updated  conn.c (rdt_conn_after_event)
 *
 * Every caller tests conn->observer before the call, so none of the work
 * here (expanding the wire's 32-bit numbers) is done for a connection
 * nobody observes.  Packet numbers and stream offsets are expanded the
 * way the receive and ACK paths expand them, from the same references,
 * so the observer sees the numbers the connection itself works with.
 */
#include <string.h>

#include "conn_int.h"
#include "seq.h"
#include "../wire/pkt.h"

void rdt_conn_set_observer(struct rdt_conn *conn, rdt_conn_observer fn,
			   void *ctx)
{
	conn->observer = fn;
	conn->observer_ctx = fn ? ctx : NULL;
}

void rdt_conn_observe_pkt(struct rdt_conn *conn,
			  enum rdt_conn_event_type type,
			  const struct rdt_pkt *pkt, size_t len,
			  rdt_tstamp now)
{
	struct rdt_conn_event ev;
	int sent = type == RDT_CONN_EV_SENT;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.pkt = pkt;
	ev.len = len;
	/* Called after the send path took the number. */
	if (sent)
		ev.pn = conn->next_pn - 1;
	else if (conn->have_rcv_pn)
		ev.pn = rdt_seq32_expand(conn->largest_rcv_pn, pkt->pn);
	else
		ev.pn = pkt->pn;
	if (pkt->type == RDT_PKT_DATA && (pkt->flags & RDT_PKT_F_STREAM))
		ev.stream_off = sent ?
			rdt_seq32_expand(conn->snd_una,
					 pkt->offset - conn->local_isn) :
			rdt_seq32_expand(conn->rcv_nxt,
					 pkt->offset - conn->peer_isn);
	/* Our ACKs name the peer's numbers, the peer's ACKs ours. */
	if (pkt->type == RDT_PKT_DATA && (pkt->flags & RDT_PKT_F_ACK))
		ev.ack_largest = sent ?
			rdt_seq32_expand(conn->largest_rcv_pn,
					 pkt->ack.largest) :
			rdt_seq32_expand(conn->next_pn - 1, pkt->ack.largest);
	conn->observer(conn->observer_ctx, conn, &ev, now);
}

void rdt_conn_observe_lost(struct rdt_conn *conn,
			   const struct rdt_sent_pkt *rec,
			   enum rdt_conn_loss_trigger trigger, rdt_tstamp now)
{
	struct rdt_conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = RDT_CONN_EV_LOST;
	ev.pn = rec->pn;
	ev.len = rec->size;
	ev.trigger = trigger;
	conn->observer(conn->observer_ctx, conn, &ev, now);
}

void rdt_conn_observe_updated(struct rdt_conn *conn, rdt_tstamp now)
{
	struct rdt_conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = RDT_CONN_EV_UPDATED;
	conn->observer(conn->observer_ctx, conn, &ev, now);
}
