/*
 * conn_in.c: what a connection does with a datagram it receives.
 *
 *   rdt_conn_recv_pkt      decode (CRC first), check the connection ID,
 *                          dispatch by type; every drop is counted
 *   on_accept / on_reset   handshake completion and abort
 *   on_data                believability checks and packet-number
 *                          bookkeeping (acks.c), then
 *     rdt_conn_on_ack      the ACK frame (recovery.c)
 *     on_stream            reassembly into the receive ring, FIN
 *
 * Order of calls for one DATA datagram: on_data -> rdt_conn_on_ack ->
 * on_stream -> rdt_conn_ack_on_datagram (acks.c decides when the ACK is
 * due; events here that cannot wait call rdt_conn_ack_at_once).  Nothing
 * here sends; conn_out.c picks up what is pending.
 */
#include <string.h>

#include <sodium.h>

#include "conn_int.h"
#include "err.h"
#include "seq.h"
#include "../wire/pkt.h"

static void update_peer_edge(struct rdt_conn *conn, uint32_t wire_edge)
{
	uint64_t edge = rdt_seq32_expand(conn->snd_una,
					 wire_edge - conn->local_isn);

	/* The window only grows; an older, smaller edge is ignored, and one
	 * absurdly far ahead is not trusted. */
	if (edge > conn->peer_edge && edge <= conn->snd_una + CONN_MAX_BUF)
		conn->peer_edge = edge;
}

/*
 * A FIN that closes the in-order stream at |end| while bytes are held
 * beyond it: the FIN and those bytes cannot both be the sender's.  A
 * forger who saw the traffic makes this case by sending a FIN right after
 * a genuine datagram, at the point a hole will reach once filled; taking
 * it would end the stream cleanly, short of the truth, with the proof of
 * the lie (the bytes beyond) already in hand.  So the first time the
 * bytes win: the FIN is refused and its packet not acknowledged.  Were
 * the FIN genuine (the bytes forged past the true end), the sender,
 * unanswered, sends it again in a packet with a new number, and a FIN at
 * the same end seen twice wins: the held bytes are dropped.  A copy the
 * network duplicated carries the same number and counts once.
 */
static int fin_outranks_held_bytes(struct rdt_conn *conn, uint64_t end,
				   rdt_pktnum pn)
{
	if (rdt_ranges_empty(&conn->ooo))
		return 1;
	if (conn->fin_conflict_known && conn->fin_conflict_end == end &&
	    conn->fin_conflict_pn != pn)
		return 1;
	conn->fin_conflict_known = 1;
	conn->fin_conflict_end = end;
	conn->fin_conflict_pn = pn;
	return 0;
}

/*
 * Place a STREAM section's bytes.  Returns 1 if every byte was taken or
 * was already held, 0 if any was refused (beyond the window, no room to
 * track it, or a FIN not taken): then the packet must not be
 * acknowledged.  Sets *pfresh if the section brought anything new (bytes
 * or the FIN): that is what makes its packet number believable.
 *
 * A FIN is believed only where it closes the in-order stream: at rcv_nxt
 * once the section's own bytes are placed.  A FIN below the in-order
 * point, beyond the window, or unlike an earlier one is a forgery and
 * dropped whole.  A FIN ahead of a hole may be genuine (reordering) but
 * may as well be forged, and once believed it would refuse every genuine
 * byte past it: its bytes are kept, the FIN is not, and the packet is
 * not acknowledged, so the sender sends the FIN again, in order this
 * time.  That costs a round trip only when the FIN itself was reordered.
 * An in-order FIN with bytes held beyond it: fin_outranks_held_bytes.
 */
static int on_stream(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		     rdt_pktnum pn, int *pfresh)
{
	uint64_t off = rdt_seq32_expand(conn->rcv_nxt,
					pkt->offset - conn->peer_isn);
	uint64_t end = off + pkt->data_len;
	uint64_t limit = rdt_conn_rcv_edge(conn);
	uint64_t start;
	int64_t added;
	int fin = !!(pkt->flags & RDT_PKT_F_FIN), whole = 1;

	if (fin) {
		if (conn->peer_fin_known) {
			if (end != conn->peer_fin_off) {
				conn->stats.drop_forged_fin++;
				return 0;
			}
			/* A repeat of the FIN we hold: handled below. */
			fin = 0;
		} else if (end > limit || end < conn->rcv_nxt) {
			conn->stats.drop_forged_fin++;
			return 0;
		}
	} else if (conn->peer_fin_known && end > conn->peer_fin_off) {
		conn->stats.drop_past_fin++;
		return 0;
	}
	if (pkt->data_len > 0) {
		if (off >= limit) {
			conn->stats.drop_beyond_window++;
			return 0;
		}
		if (end > limit) {
			conn->stats.drop_beyond_window++;
			end = limit;
			whole = 0;
		}
		start = off > conn->rcv_nxt ? off : conn->rcv_nxt;
		if (end <= start) {
			conn->stats.bytes_duplicate += pkt->data_len;
			/* The sender resent what we have: our ACK was lost. */
			rdt_conn_ack_at_once(conn);
		} else {
			/* Bytes we cannot keep are not acknowledged either:
			 * the sender resends them. */
			if (rdt_conn_rcvbuf_reserve(conn, end) != 0) {
				conn->stats.drop_nomem++;
				return 0;
			}
			added = rdt_ranges_add(&conn->ooo, start, end);
			if (added < 0) {
				conn->stats.drop_reassembly_full++;
				return 0;
			}
			if (added > 0)
				*pfresh = 1;
			rdt_conn_rcvbuf_put(conn, start, pkt->data + (start - off),
					(size_t)(end - start));
			conn->stats.bytes_received += (uint64_t)added;
			/* Bytes before rcv_nxt or already held. */
			conn->stats.bytes_duplicate +=
				(end - off) - (uint64_t)added;
			/* Bytes beyond a hole: an immediate ACK shows the
			 * sender the hole (RFC 5681 4.2). */
			if (start > conn->rcv_nxt)
				rdt_conn_ack_at_once(conn);
			if (conn->ooo.v[0].start == conn->rcv_nxt) {
				/* A filled hole (more than these bytes moved
				 * rcv_nxt): the sender wants to know at once. */
				if (conn->ooo.v[0].end > end || conn->ooo.n > 1)
					rdt_conn_ack_at_once(conn);
				conn->rcv_nxt = conn->ooo.v[0].end;
				rdt_ranges_drop_lowest(&conn->ooo);
			}
		}
	}
	if (fin) {
		if (whole && conn->rcv_nxt == end &&
		    fin_outranks_held_bytes(conn, end, pn)) {
			if (!rdt_ranges_empty(&conn->ooo)) {
				conn->stats.drop_past_fin++;
				(void)rdt_ranges_remove(&conn->ooo, end,
							UINT64_MAX);
			}
			conn->peer_fin_known = 1;
			conn->peer_fin_off = end;
			*pfresh = 1;
		} else {
			conn->stats.fin_deferred++;
			whole = 0;
		}
		/* Taken or deferred, the sender must hear of it: its
		 * close, or its resend, waits for this answer. */
		rdt_conn_ack_at_once(conn);
	}
	if (conn->peer_fin_known && !conn->peer_fin_rcvd &&
	    conn->rcv_nxt == conn->peer_fin_off) {
		conn->rcv_nxt++;
		conn->peer_fin_rcvd = 1;
		rdt_conn_ack_at_once(conn);
	}
	return whole;
}

/* Farther from the largest received than this a packet number is not
 * believed at all: an honest peer cannot lose a million datagrams in a
 * row and still be talking, nor deliver one that late.  Also what keeps
 * a blind forger's chance of a usable number near 2^21 / 2^32. */
#define CONN_MAX_PN_JUMP ((uint64_t)1 << 20)

/*
 * Could the peer have sent this DATA datagram?  Every one carries the
 * window edge it advertises, its read position plus the buffer size it
 * announced in the handshake: that position is somewhere in [0, what we
 * sent], and an ACK's cumulative point no further back than our send
 * buffer reaches.  An off-path forger who knows the connection ID but not
 * the initial numbers fails these as RFC 5961 5.2 makes a blind TCP
 * forger fail its ACK check, and the packet is dropped whole: its bytes
 * are no more believable than the numbers that came with them.
 */
static int acceptable(struct rdt_conn *conn, const struct rdt_pkt *pkt)
{
	uint64_t sent_end = conn->snd_nxt + (conn->fin_sent ? 1 : 0);
	uint64_t edge = rdt_seq32_expand(conn->snd_una,
					 pkt->window_edge - conn->local_isn);

	if (edge < conn->peer_window0 ||
	    edge - conn->peer_window0 > sent_end) {
		conn->stats.drop_invalid_edge++;
		return 0;
	}
	if (pkt->flags & RDT_PKT_F_ACK) {
		uint64_t cum = rdt_seq32_expand(conn->snd_una,
						pkt->ack.cum - conn->local_isn);

		if (cum > sent_end ||
		    (cum < conn->snd_una && conn->snd_una - cum > conn->sndcap)) {
			conn->stats.drop_invalid_ack++;
			return 0;
		}
		if (conn->next_pn > conn->first_pn &&
		    rdt_seq32_expand(conn->next_pn - 1, pkt->ack.largest) >=
			    conn->next_pn + CONN_PN_UNPROVEN_JUMP) {
			conn->stats.drop_invalid_ack++;
			return 0;
		}
	}
	return 1;
}

/*
 * Packet numbers never outrank stream offsets.  A packet number only
 * says which packet an ACK is about; whether bytes are new is decided by
 * their offsets alone, so a packet whose number was seen before still
 * has its bytes placed (a true duplicate changes nothing; a genuine
 * packet whose number a forgery took first is not thrown away).  A packet
 * is acknowledged only if everything it carried is held.  A packet that
 * brings nothing new cannot move the largest number far (see
 * CONN_PN_UNPROVEN_JUMP), so a forged jump is not acknowledged and does
 * not make the ACKs name packets the sender has not sent.
 */
static void on_data(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		    rdt_tstamp now)
{
	rdt_pktnum pn = conn->have_rcv_pn ?
				rdt_seq32_expand(conn->largest_rcv_pn, pkt->pn) :
				pkt->pn;
	int eliciting = !!(pkt->flags & (RDT_PKT_F_STREAM | RDT_PKT_F_PING));
	int taken = 1, fresh = 0, progress = 0, seen;

	if (conn->have_rcv_pn &&
	    (pn > conn->largest_rcv_pn + CONN_MAX_PN_JUMP ||
	     pn + CONN_MAX_PN_JUMP < conn->largest_rcv_pn)) {
		conn->stats.drop_forged_pn++;
		return;
	}
	if (!acceptable(conn, pkt))
		return;
	seen = rdt_conn_pn_seen(conn, pn);
	if (seen)
		conn->stats.pkts_duplicate++;
	if (conn->state == RDT_CONN_SYN_RCVD) {
		conn->state = RDT_CONN_ESTABLISHED;
		conn->hs_next = RDT_TSTAMP_NEVER;
		conn->hs_due = 0;
		conn->last_progress = now;
	}
	update_peer_edge(conn, pkt->window_edge);
	if (pkt->flags & RDT_PKT_F_ACK)
		progress = rdt_conn_on_ack(conn, &pkt->ack, now);
	/* The ACCEPT did its work whether or not it was acknowledged (its
	 * ACK, just processed, gave the server's first RTT sample); its
	 * record must not pin the tracker's front. */
	while (conn->sent.n > 0 &&
	       (rdt_sent_at(&conn->sent, 0)->flags & RDT_SENT_HANDSHAKE))
		rdt_conn_sent_pop_front(conn);
	if (pkt->flags & RDT_PKT_F_STREAM)
		taken = on_stream(conn, pkt, pn, &fresh);
	if (seen) {
		/* The number was taken before, yet the bytes are new: the
		 * earlier packet with it was not this one (a forgery). */
		if (fresh)
			conn->stats.pn_collisions++;
	} else if (!fresh && !progress &&
		   pn > conn->largest_rcv_pn + CONN_PN_UNPROVEN_JUMP) {
		conn->stats.drop_forged_pn++;
		return;
	} else {
		rdt_conn_track_largest(conn, pn, eliciting);
	}
	/* The peer is sending: should it fall silent without a FIN, the
	 * silence probe asks whether it is still there. */
	if (pkt->flags & RDT_PKT_F_STREAM)
		conn->silence_probe_at = conn->peer_fin_rcvd ?
			RDT_TSTAMP_NEVER :
			now + rdt_conn_silence_interval(conn);
	rdt_conn_ack_on_datagram(conn, pkt, pn, seen, taken, now);
	/* The peer still resends: it has not heard our last ACK. */
	if (eliciting)
		rdt_conn_restart_time_wait(conn, now);
}

static void on_accept(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		      rdt_tstamp now)
{
	rdt_pktnum echo;
	size_t k;

	if (conn->state != RDT_CONN_SYN_SENT) {
		/* Our answer to an earlier ACCEPT was lost: answer again. */
		if (rdt_conn_established(conn) && pkt->scid == conn->peer_cid) {
			rdt_pktnum pn = rdt_seq32_expand(conn->largest_rcv_pn,
							 pkt->pn);

			if (!rdt_conn_pn_seen(conn, pn)) {
				rdt_conn_track_largest(conn, pn, 1);
				rdt_conn_record_pn(conn, pn, now);
			}
			rdt_conn_ack_at_once(conn);
		} else {
			conn->stats.drop_state++;
		}
		return;
	}
	echo = rdt_seq32_expand(conn->next_pn - 1, pkt->echo_pn);
	k = rdt_sent_lower_bound(&conn->sent, echo);
	if (k == conn->sent.n || rdt_sent_at(&conn->sent, k)->pn != echo ||
	    pkt->scid == 0) {
		conn->stats.drop_invalid_ack++;
		return;
	}
	/* The echo names the very INIT answered: an unambiguous sample. */
	if (now > rdt_sent_at(&conn->sent, k)->sent_time)
		rdt_rtt_update(&conn->rtt,
			       now - rdt_sent_at(&conn->sent, k)->sent_time, 0,
			       0);
	while (conn->sent.n > 0)
		rdt_conn_sent_pop_front(conn);
	conn->peer_cid = pkt->scid;
	rdt_conn_derive_keys(conn);
	memcpy(conn->peer_reset_token, pkt->reset_token,
	       sizeof(conn->peer_reset_token));
	conn->peer_token_known = 1;
	conn->peer_isn = pkt->isn;
	conn->peer_edge = pkt->window;
	conn->peer_window0 = pkt->window;
	if (pkt->max_dgram < conn->max_dgram)
		conn->max_dgram = pkt->max_dgram;
	conn->state = RDT_CONN_ESTABLISHED;
	conn->hs_due = 0;
	conn->hs_next = RDT_TSTAMP_NEVER;
	conn->last_progress = now;
	conn->have_rcv_pn = 1;
	conn->largest_rcv_pn = pkt->pn;
	conn->largest_rcv_time = now;
	rdt_conn_record_pn(conn, pkt->pn, now);
	/* This ACK completes the server's handshake. */
	rdt_conn_ack_at_once(conn);
}

static void on_init(struct rdt_conn *conn, const struct rdt_pkt *pkt)
{
	/* A retransmitted INIT: our ACCEPT was lost, send it again now. */
	if (conn->is_server && conn->state == RDT_CONN_SYN_RCVD &&
	    pkt->scid == conn->peer_cid) {
		conn->peer_init_pn = pkt->pn;
		conn->hs_due = 1;
	} else {
		conn->stats.drop_state++;
	}
}

/*
 * The listener asks the client to prove its address: the INIT goes again
 * at once, with the token.  A few RETRYs are obeyed per attempt, not
 * one as QUIC's: a listener that rotated its secret between the RETRY
 * and the INIT's arrival asks again.  More would let a broken or hostile
 * peer keep the client bouncing INITs at round-trip speed; the attempt
 * then goes on by its timer, and fails at its timeout.
 */
#define MAX_RETRIES 3

static void on_retry(struct rdt_conn *conn, const struct rdt_pkt *pkt)
{
	if (conn->is_server || conn->state != RDT_CONN_SYN_SENT ||
	    conn->retries >= MAX_RETRIES) {
		conn->stats.drop_state++;
		return;
	}
	memcpy(conn->token, pkt->token, pkt->token_len);
	conn->token_len = pkt->token_len;
	conn->retries++;
	conn->stats.retry_received++;
	conn->hs_due = 1;
}

/*
 * Is this RESET the peer's own?  Only the peer knows the token it sent
 * in its INIT or ACCEPT, so an off-path forger who guessed or saw the
 * connection ID (but not the handshake) cannot end the connection, as
 * RFC 9000 10.3's stateless reset tokens.  The compare takes the same
 * time whatever the bytes, so that timing cannot reveal the token a
 * byte at a time.  A client waiting for its ACCEPT knows no token yet
 * and believes any RESET naming its own fresh, random ID: a listener's
 * REFUSED (or UNKNOWN) has no state and hence no token.  A RESET not
 * believed is dropped and counted; so is the RESET UNKNOWN of a peer
 * that restarted and lost our token with its state: that connection
 * ends at its user timeout, or by ICMP (PROTOCOL.md 7.8).
 */
static int reset_believed(const struct rdt_conn *conn,
			  const struct rdt_pkt *pkt)
{
	if (!conn->peer_token_known)
		return 1;
	return pkt->has_reset_token &&
	       sodium_memcmp(pkt->reset_token, conn->peer_reset_token,
			     RDT_PKT_RESET_TOKEN_SIZE) == 0;
}

static void on_reset(struct rdt_conn *conn, const struct rdt_pkt *pkt,
		     rdt_tstamp now)
{
	if (!reset_believed(conn, pkt)) {
		conn->stats.drop_forged_reset++;
		return;
	}
	if (conn->state == RDT_CONN_TIME_WAIT) {
		conn->state = RDT_CONN_CLOSED;
		return;
	}
	if (conn->state == RDT_CONN_SYN_SENT &&
	    pkt->reason == RDT_RESET_REFUSED)
		rdt_conn_fail(conn, RDT_ERR_REFUSED, now);
	else if (conn->state == RDT_CONN_SYN_SENT &&
		 pkt->reason == RDT_RESET_AUTH)
		rdt_conn_fail(conn, RDT_ERR_AUTH, now);
	else
		rdt_conn_fail(conn, RDT_ERR_RESET, now);
	/* Never answer a RESET with a RESET. */
	conn->reset_pending = 0;
}

/*
 * A public-key client's first ACCEPT: its key comes from the server's
 * ephemeral key in it, and is kept (with that key and the second
 * Diffie-Hellman result) only if the ACCEPT opens with it, so that a
 * forged ACCEPT changes nothing.
 */
static int open_first_pk_accept(struct rdt_conn *conn, const uint8_t *dg,
				size_t len, const struct rdt_seal_nonce *nonce)
{
	const uint8_t *f = rdt_seal_ephemeral(dg, len);
	uint8_t dh2[RDT_SEAL_PUBLIC_SIZE], key[RDT_SEAL_KEY_SIZE];
	int rv;

	if (f == NULL)
		return RDT_OPEN_AUTH;
	if (rdt_seal_dh(dh2, conn->eph_secret, f) != 0) {
		rv = RDT_OPEN_AUTH;
		goto out;
	}
	rdt_seal_pk_accept_key(conn->dh1, dh2, conn->eph_public, f, key);
	rv = rdt_open(conn->open_buf, dg, len, key, nonce);
	if (rv == 0) {
		memcpy(conn->dh2, dh2, sizeof(dh2));
		memcpy(conn->peer_eph, f, sizeof(conn->peer_eph));
		memcpy(conn->hs_rx_key, key, sizeof(key));
	}
out:
	sodium_memzero(dh2, sizeof(dh2));
	sodium_memzero(key, sizeof(key));
	return rv;
}

/* Not authentic, unless damaged: the CRC decides which, whatever the
 * damage hit (the type, the flags), as rdt_open does for what it opens. */
static int not_authentic(const uint8_t *dg, size_t len)
{
	return rdt_pkt_crc_holds(dg, len) ? RDT_OPEN_AUTH : RDT_OPEN_CHECKSUM;
}

/*
 * Encrypted mode: open the sealed datagram |dg| into conn->open_buf;
 * returns as rdt_open.  The packet number of a DATA or RESET is
 * expanded before anything is believed, against the largest one
 * authenticated so far, so a forged number can neither open nor move
 * that reference.  A DATA or RESET before the keys (at a client still
 * waiting for its ACCEPT) cannot be authenticated.
 */
static int open_sealed(struct rdt_conn *conn, const uint8_t *dg, size_t len)
{
	struct rdt_seal_nonce nonce;
	uint32_t wire_pn;

	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE ||
	    len > conn->cfg.max_dgram)
		return RDT_OPEN_MALFORMED;
	wire_pn = rdt_seal_wire_pn(dg);
	switch (dg[1]) {
	case RDT_PKT_INIT:
	case RDT_PKT_ACCEPT:
		/* The handshake's kind must be the connection's. */
		if (!(dg[2] & RDT_SEAL_F_PUBLIC) != !conn->cfg.use_pk)
			return not_authentic(dg, len);
		nonce.cid = rdt_seal_prefix_cid(dg, len);
		nonce.pn = wire_pn;
		nonce.handshake = 1;
		if (conn->cfg.use_pk && !conn->is_server &&
		    conn->state == RDT_CONN_SYN_SENT) {
			/* The CRC before the X25519 it would cost. */
			if (!rdt_pkt_crc_holds(dg, len))
				return RDT_OPEN_CHECKSUM;
			return open_first_pk_accept(conn, dg, len, &nonce);
		}
		return rdt_open(conn->open_buf, dg, len, conn->hs_rx_key,
				&nonce);
	case RDT_PKT_DATA:
	case RDT_PKT_RESET:
		if (!conn->session_keys || !conn->have_rcv_pn)
			return not_authentic(dg, len);
		nonce.cid = 0;
		nonce.pn = rdt_seq32_expand(conn->largest_rcv_pn, wire_pn);
		nonce.handshake = 0;
		/* rdt_open checks the CRC first: once per datagram. */
		return rdt_open(conn->open_buf, dg, len, conn->rx_key, &nonce);
	default:
		return not_authentic(dg, len);
	}
}

/* What an encrypted connection believes in clear: only a listener's
 * stateless answers to our INIT, which it sends before it knows any key
 * of ours (a RESET REFUSED or AUTH, a RETRY), as a TCP client believes
 * the RST to its SYN. */
static int clear_believed(const struct rdt_conn *conn, const uint8_t *dg,
			  size_t len)
{
	return conn->state == RDT_CONN_SYN_SENT && len >= 2 &&
	       dg[0] == RDT_PROTO_VERSION &&
	       (dg[1] == RDT_PKT_RESET || dg[1] == RDT_PKT_RETRY);
}

int rdt_conn_recv_pkt(struct rdt_conn *conn, const uint8_t *dg, size_t len,
		      rdt_tstamp now)
{
	struct rdt_pkt pkt;
	int rv;

	if (conn == NULL || dg == NULL)
		return RDT_ERR_INVALID;
	if (conn_sealed(conn) && !clear_believed(conn, dg, len)) {
		/* rdt_open checks the CRC first: damage, even to the
		 * version, is counted as damage. */
		rv = open_sealed(conn, dg, len);
		if (rv == RDT_OPEN_CHECKSUM)
			conn->stats.drop_checksum++;
		else if (rv == RDT_OPEN_MALFORMED && len > 0 &&
			 dg[0] == RDT_PROTO_VERSION_SEALED)
			conn->stats.drop_malformed++;
		else if (rv != 0)
			conn->stats.drop_auth++;	/* or in clear */
		if (rv != 0)
			return 0;
		len = rdt_open_len(dg, len);
		dg = conn->open_buf;
	}
	rv = rdt_pkt_decode(&pkt, dg, len);
	if (rv == RDT_ERR_CHECKSUM) {
		conn->stats.drop_checksum++;
		return 0;
	}
	if (rv == RDT_ERR_VERSION) {
		conn->stats.drop_version++;
		return 0;
	}
	if (rv != 0) {
		conn->stats.drop_malformed++;
		return 0;
	}
	if (conn->state == RDT_CONN_CLOSED) {
		conn->stats.drop_state++;
		return 0;
	}
	if (pkt.type == RDT_PKT_INIT ? pkt.dcid != 0 :
				       pkt.dcid != conn->local_cid) {
		conn->stats.drop_unknown_cid++;
		return 0;
	}
	conn->stats.pkts_received++;
	conn->last_recv = now;
	if (conn->observer)
		rdt_conn_observe_pkt(conn, RDT_CONN_EV_RECEIVED, &pkt, len,
				     now);
	switch (pkt.type) {
	case RDT_PKT_INIT:
		on_init(conn, &pkt);
		break;
	case RDT_PKT_ACCEPT:
		on_accept(conn, &pkt, now);
		break;
	case RDT_PKT_DATA:
		if (conn->state == RDT_CONN_SYN_SENT)
			conn->stats.drop_state++;
		else
			on_data(conn, &pkt, now);
		break;
	case RDT_PKT_RESET:
		on_reset(conn, &pkt, now);
		break;
	case RDT_PKT_RETRY:
		on_retry(conn, &pkt);
		break;
	}
	rdt_conn_after_event(conn, now);
	return 0;
}
