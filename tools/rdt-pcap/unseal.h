/*
 * unseal.h: rdt's encrypted mode (PROTOCOL.md 11) in a capture.
 *
 * A sealed datagram (version 2) shows only its header in clear (and an
 * INIT's or ACCEPT's scid); the rest is encrypted and authenticated with
 * keys derived from a pre-shared key and both connection IDs.  Without
 * that key rdt-pcap can show the clear header and check the outer CRC,
 * nothing more.  With it (--psk-file), the opener follows the handshakes
 * as an endpoint would: an INIT or ACCEPT opens with the handshake key of
 * its type, and once an ACCEPT has named both connection IDs (client =
 * the INIT's scid, server = the ACCEPT's scid, both in clear) the
 * session keys of that connection open its DATA and RESET.  Their nonce
 * is the full 64-bit packet number, so the opener keeps per sender the
 * largest number it has authenticated and expands the wire's 32 bits
 * against it (PROTOCOL.md 7.2), as the receiver does; a datagram that
 * fails to open moves nothing, so a forgery cannot disturb what follows.
 *
 * For a capture that begins after the handshake, the opener pairs the
 * two dcids seen on one UDP flow (one is the client's ID, the other the
 * server's) and tries both roles, numbers expanded from zero (every
 * packet-number space starts below 2^31); the first datagram that opens
 * fixes the pair.
 *
 * An opened datagram is the version 1 datagram its sender sealed, CRC
 * and all (rdt_open's output), so everything downstream treats it as a
 * datagram sent in clear.
 */
#ifndef RDT_PCAP_UNSEAL_H
#define RDT_PCAP_UNSEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/seal.h"
#include "frame.h"
#include "map.h"
#include "wire/pkt.h"

/* What became of one datagram. */
enum unseal_result {
	UNSEAL_CLEAR = 0,	/* not sealed: version 1, or unknown */
	UNSEAL_OPENED,		/* opened: the version 1 image is ready */
	UNSEAL_NO_KEY,		/* sealed, and no --psk-file was given */
	UNSEAL_NO_KEYS,		/* sealed DATA or RESET of a connection
				 * whose handshake the capture did not
				 * show: its keys are unknown */
	UNSEAL_AUTH,		/* intact (CRC good), but does not open with
				 * the key: altered, forged or another key */
	UNSEAL_CHECKSUM,	/* sealed, failing the outer CRC32C */
	UNSEAL_MALFORMED,	/* CRC good, but no sealed datagram looks so:
				 * too short, a type never sealed, reserved
				 * byte set */
};

/* The connections the opener knows keys for; later ones are not opened
 * (counted as UNSEAL_NO_KEYS). */
#define UNSEAL_MAX_CONNS 65536

struct unseal_conn;

struct unseal {
	int have_psk;
	uint8_t psk[RDT_SEAL_KEY_SIZE];
	uint8_t init_key[RDT_SEAL_KEY_SIZE];
	uint8_t accept_key[RDT_SEAL_KEY_SIZE];
	struct unseal_conn *conns;
	size_t nconns, cap;
	struct map cids;	/* uint64 cid -> index into conns */
	struct map flows;	/* flow_key -> index into flows_v */
	struct unseal_flow *flows_v;
	size_t nflows, flows_cap;
	/* The version 1 image of the last datagram opened. */
	uint8_t buf[RDT_PKT_MAX_DGRAM];
};

/* unseal_init prepares |u|, with the pre-shared key |psk| (32 bytes) or
 * without (NULL). */
void unseal_init(struct unseal *u, const uint8_t *psk);
/* unseal_free releases |u| and wipes the keys. */
void unseal_free(struct unseal *u);

/*
 * unseal_plausible: could the |len| bytes at |dg| be a sealed datagram,
 * by its clear header and a good CRC32C?  The recognition test of
 * PROTOCOL.md 9 for version 2 (false positives 2^-32, as for version 1).
 */
int unseal_plausible(const uint8_t *dg, size_t len);

/*
 * unseal_open takes the datagram of |len| bytes at |dg| sent from |src|
 * to |dst| and says what it is.  On UNSEAL_OPENED the version 1 image,
 * |len| - RDT_SEAL_TAG_SIZE bytes, is in u->buf until the next call.
 * |*scid| receives the clear scid of a sealed INIT or ACCEPT (else 0).
 */
enum unseal_result unseal_open(struct unseal *u,
			       const struct pcap_endpoint *src,
			       const struct pcap_endpoint *dst,
			       const uint8_t *dg, size_t len, uint64_t *scid);

/* A short name of |r| for reports ("failed authentication", ...). */
const char *unseal_result_text(enum unseal_result r);

/* Why the |len| bytes at |dg|, UNSEAL_MALFORMED, are no sealed datagram. */
const char *unseal_malformed_why(const uint8_t *dg, size_t len);

#endif
