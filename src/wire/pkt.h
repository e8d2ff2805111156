/*
 * pkt.h: the rdt datagram codec, version 1.  docs/PROTOCOL.md is the
 * normative byte layout; this header is its C mirror.
 *
 * Every datagram is
 *
 *   offset size  field
 *   0      1     version            RDT_PROTO_VERSION
 *   1      1     type               enum rdt_pkt_type
 *   2      1     flags              RDT_PKT_F_* (DATA only; 0 otherwise)
 *   3      1     reserved           0
 *   4      8     dcid               destination connection ID
 *   12     4     pn                 packet number, low 32 bits
 *   16     ...   body               by type, below
 *   len-4  4     crc                CRC32C over bytes [0, len-4)
 *
 * All integers are big-endian.  Bodies:
 *
 *   INIT    scid u64, isn u32, window u32, max_dgram u16,
 *           reset_token[16], token_len u8, token[token_len], then zero
 *           padding so the whole datagram is at least
 *           RDT_PKT_INIT_MIN_SIZE bytes (no amplification).
 *   ACCEPT  scid u64, isn u32, window u32, max_dgram u16, echo_pn u32,
 *           reset_token[16].
 *   DATA    window_edge u32,
 *           if F_ACK:    cum u32, largest u32, ack_delay_us u32,
 *                        first_len u32, nranges u8,
 *                        nranges x { gap u32, len u32 },
 *           if F_STREAM: offset u32, data_len u16, data[data_len].
 *           F_FIN may only appear with F_STREAM; F_PING only asks for an ACK.
 *   RESET   reason u32 (an RDT_RESET_* code), then optionally
 *           reset_token[16]: the sender's own token, which its peer
 *           learnt from its INIT or ACCEPT.  A RESET without one (24
 *           bytes) is what a stateless endpoint sends (REFUSED, UNKNOWN).
 *   RETRY   token_len u8, token[token_len] (1 to RDT_PKT_MAX_TOKEN bytes).
 *
 * Nothing may follow the last field but the CRC: a datagram with trailing
 * bytes, an unknown type, a flag not allowed for its type, a non-zero
 * reserved byte or padding, or a field that runs past the end is malformed.
 *
 * ACK ranges, as in QUIC (RFC 9000, 19.3.1), in 32-bit serial arithmetic:
 * the first range is [largest - first_len, largest]; each further range i
 * has its largest at (previous smallest - gap - 2) and its smallest at
 * (its largest - len).  The codec copies these fields as they are; the core
 * expands them to 64 bits and rejects any that underflow.
 */
#ifndef RDT_WIRE_PKT_H
#define RDT_WIRE_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/types.h"

/* The only version this codec speaks. */
#define RDT_PROTO_VERSION 1

enum rdt_pkt_type {
	/* Client to server: open a connection. */
	RDT_PKT_INIT = 1,
	/* Server to client: the connection is accepted. */
	RDT_PKT_ACCEPT = 2,
	/* Either way, after the handshake: ACK, stream data, FIN, PING. */
	RDT_PKT_DATA = 3,
	/* Either way: abort the connection, or refuse an INIT. */
	RDT_PKT_RESET = 4,
	/* Server to client: prove your address; send the INIT again with
	 * this token (address validation, PROTOCOL.md 7.4). */
	RDT_PKT_RETRY = 5,
};

/* DATA carries an ACK section. */
#define RDT_PKT_F_ACK 0x01
/* DATA carries a STREAM section. */
#define RDT_PKT_F_STREAM 0x02
/* The STREAM section ends the sender's byte stream (half-close). */
#define RDT_PKT_F_FIN 0x04
/* Ask the peer for an immediate ACK (keepalive, probes). */
#define RDT_PKT_F_PING 0x08

/* Bytes of the fixed header, and of the trailing CRC. */
#define RDT_PKT_HEADER_SIZE 16
#define RDT_PKT_CRC_SIZE 4
/* An INIT is padded to at least this many bytes, as QUIC's Initial is. */
#define RDT_PKT_INIT_MIN_SIZE 1200
/* Longest address-validation token an INIT may carry. */
#define RDT_PKT_MAX_TOKEN 64
/* Most additional ACK ranges one DATA datagram may carry. */
#define RDT_PKT_MAX_ACK_RANGES 32
/* The largest datagram rdt ever builds or accepts. */
#define RDT_PKT_MAX_DGRAM 65507
/* The smallest datagram size a peer may announce as its max_dgram. */
#define RDT_PKT_MIN_DGRAM 256
/* Bytes of a reset token: the per-connection secret each side sends in
 * its handshake datagram and puts in its RESETs, so that only its peer
 * can end the connection (RFC 9000 10.3's stateless reset token). */
#define RDT_PKT_RESET_TOKEN_SIZE 16

/* Reasons carried by RESET. */
enum rdt_reset_reason {
	/* The application aborted the connection. */
	RDT_RESET_ABORT = 1,
	/* No listener accepts connections here (ECONNREFUSED). */
	RDT_RESET_REFUSED = 2,
	/* The datagram named a connection this endpoint does not have. */
	RDT_RESET_UNKNOWN = 3,
	/* The peer broke the protocol. */
	RDT_RESET_PROTOCOL = 4,
	/* The sender gave up on the connection (its user timeout). */
	RDT_RESET_TIMEOUT = 5,
	/* The INIT was sealed with another key than the listener's, or
	 * was sealed where the listener has none, or in clear where it has
	 * one (PROTOCOL.md 11). */
	RDT_RESET_AUTH = 6,
};

struct rdt_pkt_ack_range {
	uint32_t gap;
	uint32_t len;
};

struct rdt_pkt_ack {
	/* Wire offset of the next in-order byte the receiver expects. */
	uint32_t cum;
	uint32_t largest;
	uint32_t ack_delay_us;
	uint32_t first_len;
	uint8_t nranges;
	struct rdt_pkt_ack_range ranges[RDT_PKT_MAX_ACK_RANGES];
};

/*
 * A decoded datagram.  Which fields mean something depends on |type| (and
 * for DATA on |flags|); the rest are zero after decoding, except that
 * ack.ranges past ack.nranges are left as they were (clearing them would
 * cost a 256-byte write per datagram).  |token| and |data| point into the
 * buffer that was decoded: they are borrowed and valid only as long as
 * that buffer is.
 */
struct rdt_pkt {
	uint8_t type;
	uint8_t flags;
	uint64_t dcid;
	uint32_t pn;

	/* INIT and ACCEPT. */
	uint64_t scid;
	uint32_t isn;
	uint32_t window;
	uint16_t max_dgram;
	/* INIT and RETRY. */
	uint8_t token_len;
	const uint8_t *token;
	/* ACCEPT only: the pn of the INIT being answered. */
	uint32_t echo_pn;
	/* INIT, ACCEPT and RESET: the sender's reset token.  Always carried
	 * by INIT and ACCEPT (has_reset_token is 1 after decoding them and
	 * ignored when encoding them); carried by a RESET iff
	 * has_reset_token.  Zero when absent. */
	uint8_t has_reset_token;
	uint8_t reset_token[RDT_PKT_RESET_TOKEN_SIZE];

	/* DATA: the wire offset just past the last byte the sender of this
	 * datagram will accept. */
	uint32_t window_edge;
	/* DATA with RDT_PKT_F_ACK. */
	struct rdt_pkt_ack ack;
	/* DATA with RDT_PKT_F_STREAM. */
	uint32_t offset;
	uint16_t data_len;
	const uint8_t *data;

	/* RESET. */
	uint32_t reason;
};

/*
 * rdt_pkt_encode writes |pkt| into |dst| (|dstlen| bytes), CRC included,
 * and returns the number of bytes written.  Returns RDT_ERR_NOBUF if the
 * datagram does not fit, RDT_ERR_INVALID if |pkt| is not encodable (unknown
 * type, a flag not allowed for the type, nranges or token_len too large,
 * F_FIN without F_STREAM, F_STREAM with data_len 0 but no F_FIN, data_len
 * > 0 with a NULL |data|, token_len > 0 with a NULL |token|, max_dgram
 * below RDT_PKT_MIN_DGRAM, or a datagram longer than RDT_PKT_MAX_DGRAM):
 * it never builds what rdt_pkt_decode would reject.  Fields of sections
 * |pkt| does not carry are ignored.  An INIT is padded to exactly
 * RDT_PKT_INIT_MIN_SIZE.  |dst| is untouched beyond the returned length,
 * and entirely on error.
 */
rdt_ssize rdt_pkt_encode(uint8_t *dst, size_t dstlen,
			 const struct rdt_pkt *pkt);

/*
 * rdt_pkt_decode checks and parses the |len| bytes at |src| into |pkt|.
 * Returns 0, or RDT_ERR_MALFORMED (too short or longer than
 * RDT_PKT_MAX_DGRAM, bad lengths, bad type, flags, reserved byte or
 * padding, trailing bytes, max_dgram below RDT_PKT_MIN_DGRAM, an empty
 * STREAM section without F_FIN), RDT_ERR_CHECKSUM (CRC mismatch) or
 * RDT_ERR_VERSION.  The CRC is checked before any field is trusted, the
 * version right after it.  On error |pkt| is unspecified.
 */
int rdt_pkt_decode(struct rdt_pkt *pkt, const uint8_t *src, size_t len);

/* Does the CRC32C that ends every rdt datagram, version 1 or sealed,
 * hold over the rest?  (|len| >= RDT_PKT_CRC_SIZE.) */
int rdt_pkt_crc_holds(const uint8_t *dg, size_t len);

/*
 * rdt_pkt_data_overhead returns how many bytes a DATA datagram with the
 * given sections takes beyond its stream payload: header, window edge,
 * the ACK section with |nranges| ranges if |has_ack|, the STREAM section
 * header if |has_stream|, and the CRC.
 */
size_t rdt_pkt_data_overhead(int has_ack, unsigned nranges, int has_stream);

/* Bytes a RESET without a reset token takes on the wire, and one with. */
#define RDT_PKT_RESET_SIZE (RDT_PKT_HEADER_SIZE + 4 + RDT_PKT_CRC_SIZE)
#define RDT_PKT_RESET_WITH_TOKEN_SIZE                                    \
	(RDT_PKT_RESET_SIZE + RDT_PKT_RESET_TOKEN_SIZE)

/*
 * rdt_pkt_encode_reset writes a RESET without a reset token naming
 * connection |dcid| with |reason| (enum rdt_reset_reason) into |dst|,
 * |dstlen| bytes of which at least RDT_PKT_RESET_SIZE; returns its length
 * or RDT_ERR_NOBUF.  What an endpoint answers for a connection it does
 * not hold: having no state, it has no token, and the peer's connection
 * believes it only while it knows no token of ours (a client's INIT
 * refused).
 */
rdt_ssize rdt_pkt_encode_reset(uint8_t *dst, size_t dstlen, uint64_t dcid,
			       uint32_t reason);

/*
 * rdt_pkt_peek_dcid reads the destination connection ID of the datagram
 * (or of the first |len| bytes of one, as an ICMP error quotes it)
 * without decoding or checking the rest (the version included).
 * Returns 0, or RDT_ERR_MALFORMED if |len| is too short.
 */
int rdt_pkt_peek_dcid(const uint8_t *dg, size_t len, uint64_t *dcid);

#endif
