/*
 * conn_pair.h: a client and a server core joined by the test's own hands,
 * for unit tests that drive one side with datagrams they build.
 *
 * The pair owns a seeded PRNG and a time |t| that moves only when the test
 * moves it.  After conn_pair_handshake() both sides are ESTABLISHED; from
 * then on the test usually plays the client itself: it forges DATA
 * datagrams "from the client" (conn_pair_forge) that continue the
 * client's packet numbers, and reads what the server writes
 * (conn_pair_next).  The real client object stays idle.
 *
 * Stream positions here are relative (0 is the first byte); the helpers
 * add the initial numbers of each direction.
 */
#ifndef RDT_TEST_CONN_PAIR_H
#define RDT_TEST_CONN_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "util/prng.h"
#include "wire/pkt.h"

#define PAIR_CLI 0
#define PAIR_SRV 1
#define PAIR_DG_MAX 2048

struct conn_pair {
	struct prng rng;
	/* Each side's configuration: change it before the handshake. */
	struct rdt_conn_config cfg[2];
	rdt_tstamp t;
	struct rdt_conn *c[2];
	/* The handshake datagrams, decoded (their fields are what forged
	 * datagrams need: connection IDs and initial numbers). */
	uint8_t init_buf[PAIR_DG_MAX], accept_buf[PAIR_DG_MAX];
	struct rdt_pkt init, accept;
	/* The packet number the next forged datagram carries. */
	uint32_t fpn;
	/* The largest packet number read from the server so far. */
	uint32_t srv_largest_pn;
};

/* Default configurations (NewReno, small buffers), t = 1 s. */
void conn_pair_init(struct conn_pair *p, uint64_t seed);
void conn_pair_free(struct conn_pair *p);

/* INIT -> server, ACCEPT -> client, the client's answer -> server. */
void conn_pair_handshake(struct conn_pair *p);

/*
 * Forge a DATA datagram from the client with packet number |pn| and
 * |flags|: stream bytes [pos, pos + len) of the test pattern if
 * RDT_PKT_F_STREAM is set, and the ACK section |ack| (wire values, as the
 * client would write them) if RDT_PKT_F_ACK is.  Hands it to the server.
 */
void conn_pair_forge_pn(struct conn_pair *p, uint32_t pn, uint8_t flags,
			uint64_t pos, uint16_t len,
			const struct rdt_pkt_ack *ack);
/* The same with the next packet number in the client's sequence. */
void conn_pair_forge(struct conn_pair *p, uint8_t flags, uint64_t pos,
		     uint16_t len, const struct rdt_pkt_ack *ack);

/* An ACK section acknowledging server packets [lo, hi] only, and stream
 * bytes below relative position |cum|. */
struct rdt_pkt_ack conn_pair_ack(const struct conn_pair *p, uint32_t lo,
				 uint32_t hi, uint64_t cum);

/* The next datagram |side| writes at |t|, decoded into |pkt| (which
 * borrows |dg|, PAIR_DG_MAX bytes); returns its length, 0 if none. */
size_t conn_pair_next(struct conn_pair *p, int side, struct rdt_pkt *pkt,
		      uint8_t *dg);

/* Throw away everything |side| wants to send at |t|. */
void conn_pair_discard(struct conn_pair *p, int side);

/* Move |t| to |side|'s deadline and fire it. */
void conn_pair_fire(struct conn_pair *p, int side);

/* The byte at relative stream position |pos| of every test stream. */
uint8_t conn_pair_pattern(uint64_t pos);

struct rdt_conn_info conn_pair_info(const struct conn_pair *p, int side);

#endif
