/*
 * conn_seal.c: a connection's keys in the encrypted modes (PROTOCOL.md
 * 11): the handshake keys at creation, the session keys once both
 * connection IDs are known, and the public-key handshake's ephemeral
 * secrets, wiped as soon as they are used.  Sealing and opening
 * datagrams is seal.c's; conn_out.c and conn_in.c call it with these
 * keys.
 */
#include <string.h>

#include <sodium.h>

#include "conn_int.h"
#include "err.h"
#include "seal.h"
#include "../wire/pkt.h"

/* The public-key handshake's secrets, gone once used. */
void rdt_conn_forget_pk_secrets(struct rdt_conn *conn)
{
	sodium_memzero(conn->eph_secret, sizeof(conn->eph_secret));
	sodium_memzero(conn->dh1, sizeof(conn->dh1));
	sodium_memzero(conn->dh2, sizeof(conn->dh2));
	sodium_memzero(conn->cfg.pk_secret, sizeof(conn->cfg.pk_secret));
}

void rdt_conn_derive_keys(struct rdt_conn *conn)
{
	uint64_t client = conn->is_server ? conn->peer_cid : conn->local_cid;
	uint64_t server = conn->is_server ? conn->local_cid : conn->peer_cid;
	/* The client's ephemeral key, then the server's. */
	const uint8_t *e = conn->is_server ? conn->peer_eph : conn->eph_public;
	const uint8_t *f = conn->is_server ? conn->eph_public : conn->peer_eph;

	if (conn->cfg.use_pk) {
		rdt_seal_pk_session_key(conn->dh1, conn->dh2, e, f, client,
					server, conn->is_server, conn->tx_key);
		rdt_seal_pk_session_key(conn->dh1, conn->dh2, e, f, client,
					server, !conn->is_server,
					conn->rx_key);
		rdt_conn_forget_pk_secrets(conn);
	} else if (conn->cfg.use_psk) {
		rdt_seal_session_key(conn->cfg.psk, client, server,
				     conn->is_server, conn->tx_key);
		rdt_seal_session_key(conn->cfg.psk, client, server,
				     !conn->is_server, conn->rx_key);
	} else {
		return;
	}
	conn->session_keys = 1;
}

/* Our ephemeral key pair, from the connection's randomness. */
static void make_ephemeral(struct rdt_conn *conn)
{
	for (size_t i = 0; i < sizeof(conn->eph_secret); i += 8) {
		uint64_t r = conn->cfg.rand64(conn->cfg.rand_ctx);

		memcpy(conn->eph_secret + i, &r, 8);
	}
	crypto_scalarmult_base(conn->eph_public, conn->eph_secret);
}

/*
 * The encrypted mode's keys at creation: the handshake keys, and for a
 * server, which knows both connection IDs, the session keys.  Returns 0,
 * or RDT_ERR_INVALID for a public key that yields no secret.
 */
int rdt_conn_seal_setup(struct rdt_conn *conn)
{
	uint8_t *in = conn->is_server ? conn->hs_rx_key : conn->hs_tx_key;
	uint8_t *out = conn->is_server ? conn->hs_tx_key : conn->hs_rx_key;

	if (conn->cfg.use_psk) {
		rdt_seal_handshake_key(conn->cfg.psk, RDT_PKT_INIT, in);
		rdt_seal_handshake_key(conn->cfg.psk, RDT_PKT_ACCEPT, out);
	}
	if (!conn->cfg.use_pk)
		return 0;
	make_ephemeral(conn);
	if (!conn->is_server) {
		/* The ACCEPT's key waits for the server's ephemeral key. */
		if (rdt_seal_dh(conn->dh1, conn->eph_secret,
				conn->cfg.pk_peer) != 0)
			return RDT_ERR_INVALID;
		rdt_seal_pk_init_key(conn->dh1, conn->eph_public,
				     conn->cfg.pk_peer, conn->hs_tx_key);
		return 0;
	}
	memcpy(conn->peer_eph, conn->cfg.pk_peer, sizeof(conn->peer_eph));
	if (rdt_seal_dh(conn->dh1, conn->cfg.pk_secret, conn->peer_eph) != 0 ||
	    rdt_seal_dh(conn->dh2, conn->eph_secret, conn->peer_eph) != 0)
		return RDT_ERR_INVALID;
	rdt_seal_pk_init_key(conn->dh1, conn->peer_eph, conn->cfg.pk_public,
			     conn->hs_rx_key);
	rdt_seal_pk_accept_key(conn->dh1, conn->dh2, conn->peer_eph,
			       conn->eph_public, conn->hs_tx_key);
	return 0;
}
