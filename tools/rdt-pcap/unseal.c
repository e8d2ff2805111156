/*
 * unseal.c: opening the sealed datagrams of a capture (unseal.h).
 *
 * Map: unseal_open checks what needs no key (the clear header and the
 * outer CRC), then opens INIT and ACCEPT with the handshake keys and
 * learns the connection from them (learn_handshake), and DATA and RESET
 * with the session keys of the connection their dcid names (open_session),
 * or, for a connection whose handshake the capture missed, by pairing
 * the dcids of its UDP flow (open_midstream).  Keys and packet-number
 * references change only after a datagram has opened: nothing
 * unauthenticated is believed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/seq.h"
#include "unseal.h"
#include "util.h"

/* Attempts to pair the two dcids of one flow before giving up on it:
 * each costs two key derivations and two decryptions, and with the
 * wrong key every attempt fails. */
#define PAIR_TRIES 16

struct unseal_conn {
	uint64_t cid[2];	/* [0] the client's ID, [1] the server's */
	int keys;		/* key[] derived: both IDs known */
	/* key[dir]: the key of what the client (0) or server (1) sends. */
	uint8_t key[2][RDT_SEAL_KEY_SIZE];
	/* The largest packet number authenticated from each sender. */
	int pn_known[2];
	uint64_t pn_max[2];
	/* A public-key handshake's connection: its keys come from
	 * ephemeral secrets wiped at both ends, so nothing opens it. */
	int public_key;
};

/* A UDP flow's latest dcid in each orientation (from the lower endpoint
 * of its flow_key, and to it), for a capture without the handshake. */
struct unseal_flow {
	uint64_t dcid[2];
	unsigned tries;
	/* An INIT or ACCEPT of this flow failed authentication: its DATA
	 * would not open either, whatever the pairing. */
	int hs_failed;
};

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}


void unseal_init(struct unseal *u, const uint8_t *psk)
{
	memset(u, 0, sizeof(*u));
	map_init(&u->cids, sizeof(uint64_t), 2 * UNSEAL_MAX_CONNS);
	map_init(&u->flows, sizeof(struct flow_key), UNSEAL_MAX_CONNS);
	if (!psk)
		return;
	u->have_psk = 1;
	memcpy(u->psk, psk, RDT_SEAL_KEY_SIZE);
	rdt_seal_handshake_key(psk, RDT_PKT_INIT, u->init_key);
	rdt_seal_handshake_key(psk, RDT_PKT_ACCEPT, u->accept_key);
}

void unseal_free(struct unseal *u)
{
	if (u->conns)
		explicit_bzero(u->conns, u->cap * sizeof(*u->conns));
	free(u->conns);
	free(u->flows_v);
	map_free(&u->cids);
	map_free(&u->flows);
	explicit_bzero(u, sizeof(*u));
}

const char *unseal_result_text(enum unseal_result r)
{
	switch (r) {
	case UNSEAL_CLEAR:
		return "in clear";
	case UNSEAL_OPENED:
		return "opened";
	case UNSEAL_NO_KEY:
		return "not opened: no key (--psk-file), or the public-key "
		       "mode, which no key opens";
	case UNSEAL_NO_KEYS:
		return "not opened: keys unknown, the capture missed the "
		       "handshake";
	case UNSEAL_AUTH:
		return "failed authentication";
	case UNSEAL_CHECKSUM:
		return "failed CRC32C";
	case UNSEAL_MALFORMED:
		return "malformed";
	}
	return "?";
}

/* The clear header's own rules: a type that is ever sealed (RETRY never
 * is), the reserved byte 0, room for the clear prefix, tag and CRC. */
static int header_sane(const uint8_t *dg, size_t len)
{
	uint8_t type = dg[1];

	return type >= RDT_PKT_INIT && type <= RDT_PKT_RESET && dg[3] == 0 &&
	       len >= rdt_seal_clear_len(type, dg[2]) + RDT_SEAL_TAG_SIZE +
			      RDT_PKT_CRC_SIZE;
}

const char *unseal_malformed_why(const uint8_t *dg, size_t len)
{
	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE ||
	    len > RDT_PKT_MAX_DGRAM)
		return "no room for a header and a CRC";
	if (dg[1] == RDT_PKT_RETRY)
		return "a RETRY, which is never sealed";
	if (dg[1] < RDT_PKT_INIT || dg[1] > RDT_PKT_RESET)
		return "unknown type";
	if (dg[3] != 0)
		return "reserved byte not 0";
	return "too short for its clear prefix and tag";
}

int unseal_plausible(const uint8_t *dg, size_t len)
{
	return len >= RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE &&
	       len <= RDT_PKT_MAX_DGRAM &&
	       dg[0] == RDT_PROTO_VERSION_SEALED && header_sane(dg, len) &&
	       rdt_pkt_crc_holds(dg, len);
}

/* --- connections ---------------------------------------------------- */

static struct unseal_conn *conn_by_cid(struct unseal *u, uint64_t cid)
{
	size_t i;

	if (cid == 0)
		return NULL;
	i = map_get(&u->cids, &cid);
	return i == SIZE_MAX ? NULL : &u->conns[i];
}

static struct unseal_conn *conn_new(struct unseal *u)
{
	if (u->nconns == UNSEAL_MAX_CONNS)
		return NULL;
	if (u->nconns == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		u->conns = xrealloc(u->conns, u->cap * sizeof(*u->conns));
	}
	memset(&u->conns[u->nconns], 0, sizeof(u->conns[0]));
	return &u->conns[u->nconns++];
}

static void set_cid(struct unseal *u, struct unseal_conn *c, int side,
		    uint64_t cid)
{
	c->cid[side] = cid;
	/* Full: later connections stay unopened (UNSEAL_NO_KEYS). */
	(void)map_put(&u->cids, &cid, (size_t)(c - u->conns));
}

/* Both IDs known: the session keys of both directions. */
static void set_pair(struct unseal *u, struct unseal_conn *c,
		     uint64_t client, uint64_t server)
{
	if (c->keys && c->cid[0] == client && c->cid[1] == server)
		return;
	if (c->cid[0] != client)
		set_cid(u, c, 0, client);
	set_cid(u, c, 1, server);
	rdt_seal_session_key(u->psk, client, server, 0, c->key[0]);
	rdt_seal_session_key(u->psk, client, server, 1, c->key[1]);
	c->keys = 1;
}

/* The full packet number of wire value |wire| from sender |dir| of |c|:
 * nearest the largest authenticated, as the receiver expands it, or the
 * wire value itself for the first (spaces start below 2^31). */
static uint64_t full_pn(const struct unseal_conn *c, int dir, uint32_t wire)
{
	return c && c->pn_known[dir] ? rdt_seq32_expand(c->pn_max[dir], wire)
				     : wire;
}

static void note_pn(struct unseal_conn *c, int dir, uint64_t pn)
{
	if (!c->pn_known[dir] || pn > c->pn_max[dir]) {
		c->pn_known[dir] = 1;
		c->pn_max[dir] = pn;
	}
}

/* An INIT or ACCEPT that opened: its IDs, now authenticated, name the
 * connection (an ACCEPT both of them), and its packet number starts its
 * sender's space. */
static void learn_handshake(struct unseal *u, uint8_t type, uint64_t dcid,
			    uint64_t scid, uint32_t wire)
{
	uint64_t client = type == RDT_PKT_INIT ? scid : dcid;
	struct unseal_conn *c = conn_by_cid(u, client);
	int dir = type == RDT_PKT_INIT ? 0 : 1;

	if (!c || c->cid[0] != client) {
		c = conn_new(u);
		if (!c)
			return;
		set_cid(u, c, 0, client);
	}
	if (type == RDT_PKT_ACCEPT)
		set_pair(u, c, client, scid);
	note_pn(c, dir, full_pn(c, dir, wire));
}

static int try_open(struct unseal *u, const uint8_t *dg, size_t len,
		    const uint8_t *key, uint64_t pn)
{
	struct rdt_seal_nonce nonce = { .cid = 0, .pn = pn, .handshake = 0 };

	return rdt_open(u->buf, dg, len, key, &nonce) == 0;
}

/* A DATA or RESET to |dcid| of a connection whose keys are known. */
static enum unseal_result open_session(struct unseal *u,
				       struct unseal_conn *c, uint64_t dcid,
				       const uint8_t *dg, size_t len)
{
	/* The dcid names the receiver: the client's ID, so the server
	 * sent it. */
	int dir = dcid == c->cid[0] ? 1 : 0;
	uint64_t pn = full_pn(c, dir, rdt_seal_wire_pn(dg));

	if (!try_open(u, dg, len, c->key[dir], pn))
		return UNSEAL_AUTH;
	note_pn(c, dir, pn);
	return UNSEAL_OPENED;
}

static struct unseal_flow *flow_of(struct unseal *u,
				   const struct pcap_endpoint *src,
				   const struct pcap_endpoint *dst, int *o)
{
	struct flow_key k;
	size_t i;

	flow_key_make(&k, src, dst);
	*o = endpoint_eq(src, &k.a) ? 0 : 1;
	i = map_get(&u->flows, &k);
	if (i != SIZE_MAX)
		return &u->flows_v[i];
	if (u->nflows == u->flows_cap) {
		u->flows_cap = u->flows_cap ? u->flows_cap * 2 : 16;
		u->flows_v = xrealloc(u->flows_v,
				      u->flows_cap * sizeof(*u->flows_v));
	}
	if (map_put(&u->flows, &k, u->nflows) < 0)
		return NULL;
	memset(&u->flows_v[u->nflows], 0, sizeof(u->flows_v[0]));
	return &u->flows_v[u->nflows++];
}

/*
 * A DATA or RESET whose dcid names no connection with keys: the capture
 * began after the handshake (or missed the ACCEPT), or the handshake did
 * not open.  The other dcid of its flow is the peer's ID; which of the
 * two is the client's only a successful open tells, so both roles are
 * tried.  When that fails, or the flow's handshake failed, the datagram
 * is one the key does not open (UNSEAL_AUTH); only when there was
 * nothing to try are its keys unknown (UNSEAL_NO_KEYS).
 */
static enum unseal_result open_midstream(struct unseal *u,
					 const struct pcap_endpoint *src,
					 const struct pcap_endpoint *dst,
					 uint64_t dcid, const uint8_t *dg,
					 size_t len)
{
	uint8_t key[RDT_SEAL_KEY_SIZE];
	struct unseal_flow *f;
	struct unseal_conn *c;
	uint32_t wire = rdt_seal_wire_pn(dg);
	uint64_t peer, client, server;
	int o, dir, opened = 0;

	f = flow_of(u, src, dst, &o);
	if (!f)
		return UNSEAL_NO_KEYS;
	if (f->dcid[o] != dcid) {
		f->dcid[o] = dcid;
		f->tries = 0;
	}
	peer = f->dcid[!o];
	if (peer == 0 || peer == dcid)
		return f->hs_failed ? UNSEAL_AUTH : UNSEAL_NO_KEYS;
	if (f->tries >= PAIR_TRIES)
		return UNSEAL_AUTH;
	f->tries++;
	/* dir 0: |dcid| is the server's and the client sent this. */
	for (dir = 0; dir < 2 && !opened; dir++) {
		client = dir ? dcid : peer;
		server = dir ? peer : dcid;
		c = conn_by_cid(u, client);
		rdt_seal_session_key(u->psk, client, server, dir, key);
		opened = try_open(u, dg, len, key, full_pn(c, dir, wire));
	}
	explicit_bzero(key, sizeof(key));
	if (!opened)
		return UNSEAL_AUTH;
	dir--;
	c = conn_by_cid(u, client);
	if (!c || c->cid[0] != client) {
		c = conn_new(u);
		if (!c)
			return UNSEAL_OPENED;
	}
	set_pair(u, c, client, server);
	note_pn(c, dir, full_pn(c, dir, wire));
	f->tries = 0;
	return UNSEAL_OPENED;
}

enum unseal_result unseal_open(struct unseal *u,
			       const struct pcap_endpoint *src,
			       const struct pcap_endpoint *dst,
			       const uint8_t *dg, size_t len, uint64_t *scid)
{
	struct rdt_seal_nonce nonce;
	struct unseal_conn *c;
	struct unseal_flow *f;
	uint8_t type;
	uint64_t dcid;
	int o;

	*scid = 0;
	if (len == 0 || dg[0] != RDT_PROTO_VERSION_SEALED)
		return UNSEAL_CLEAR;
	/* As for version 1: the CRC before anything else, so that damage
	 * is told from forgery and from a sender's mistake. */
	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE ||
	    len > RDT_PKT_MAX_DGRAM)
		return UNSEAL_MALFORMED;
	if (!rdt_pkt_crc_holds(dg, len))
		return UNSEAL_CHECKSUM;
	if (!header_sane(dg, len))
		return UNSEAL_MALFORMED;
	type = dg[1];
	dcid = get_be64(dg + 4);
	if (type == RDT_PKT_INIT || type == RDT_PKT_ACCEPT)
		*scid = rdt_seal_prefix_cid(dg, len);
	if (!u->have_psk)
		return UNSEAL_NO_KEY;
	if ((type == RDT_PKT_INIT || type == RDT_PKT_ACCEPT) &&
	    (dg[2] & RDT_SEAL_F_PUBLIC)) {
		/* Its IDs are in clear: remember the connection, so that its
		 * DATA is not taken for datagrams the key fails to open. */
		uint64_t client = type == RDT_PKT_INIT ? *scid : dcid;

		c = conn_by_cid(u, client);
		if (!c && (c = conn_new(u)) != NULL)
			set_cid(u, c, 0, client);
		if (c) {
			c->public_key = 1;
			if (type == RDT_PKT_ACCEPT)
				set_cid(u, c, 1, *scid);
		}
		return UNSEAL_NO_KEY;
	}
	switch (type) {
	case RDT_PKT_INIT:
	case RDT_PKT_ACCEPT:
		nonce.cid = *scid;
		nonce.pn = rdt_seal_wire_pn(dg);
		nonce.handshake = 1;
		if (rdt_open(u->buf, dg, len,
			     type == RDT_PKT_INIT ? u->init_key : u->accept_key,
			     &nonce) != 0) {
			f = flow_of(u, src, dst, &o);
			if (f)
				f->hs_failed = 1;
			return UNSEAL_AUTH;
		}
		learn_handshake(u, type, dcid, *scid, rdt_seal_wire_pn(dg));
		return UNSEAL_OPENED;
	default:
		c = conn_by_cid(u, dcid);
		if (c && c->public_key)
			return UNSEAL_NO_KEY;
		if (c && c->keys)
			return open_session(u, c, dcid, dg, len);
		return open_midstream(u, src, dst, dcid, dg, len);
	}
}
