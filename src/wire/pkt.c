/*
 * pkt.c: encode and decode rdt datagrams, version 1 (docs/PROTOCOL.md).
 *
 * Map of this file:
 *
 *   put16/put32/put64, get16/get32/get64
 *                          big-endian field access, one byte at a time so
 *                          alignment never matters (the compiler turns each
 *                          into a load and a byte swap).
 *   clear_fields           zeroes the fields of a struct rdt_pkt that a
 *                          decode may leave unset.
 *   decode_init, decode_accept, decode_data, decode_reset
 *                          parse one body; called by rdt_pkt_decode once
 *                          the length, CRC, version, reserved byte and
 *                          type have passed.
 *   datagram_size          validates a struct rdt_pkt for encoding and
 *                          sizes its datagram; rdt_pkt_encode then writes
 *                          the header, the body (encode_data for DATA)
 *                          and the CRC last.
 *   rdt_pkt_data_overhead  the DATA size arithmetic the sender uses to fill
 *                          a datagram.
 *
 * Every check a decoder makes the encoder makes too, so whatever
 * rdt_pkt_encode builds, rdt_pkt_decode accepts, and (INIT padding aside)
 * decoding and re-encoding a valid datagram gives back the same bytes.
 *
 * DATA is encoded and decoded once per packet, so neither path touches
 * the 256-byte ACK range array beyond the ranges actually present.
 */
#include <string.h>

#include "../core/err.h"
#include "crc32c.h"
#include "pkt.h"

/* Sizes of the fixed parts of each body, in bytes. */
#define TOKEN RDT_PKT_RESET_TOKEN_SIZE
/* scid 8, isn 4, window 4, max_dgram 2, reset token 16, token_len 1 */
#define INIT_FIXED (19 + TOKEN)
/* scid 8, isn 4, window 4, max_dgram 2, echo 4, reset token 16 */
#define ACCEPT_SIZE (22 + TOKEN)
#define RESET_SIZE 4	/* reason; a reset token may follow */
#define EDGE_SIZE 4	/* window_edge */
#define ACK_FIXED 17	/* cum, largest, delay, first_len 4 each, n 1 */
#define RANGE_SIZE 8	/* gap 4, len 4 */
#define STREAM_FIXED 6	/* offset 4, data_len 2 */

#define DATA_FLAGS                                                       \
	(RDT_PKT_F_ACK | RDT_PKT_F_STREAM | RDT_PKT_F_FIN | RDT_PKT_F_PING)

/*
 * The encoder pads every INIT to exactly RDT_PKT_INIT_MIN_SIZE; that needs
 * the largest INIT content to fit below it.
 */
_Static_assert(RDT_PKT_HEADER_SIZE + INIT_FIXED + RDT_PKT_MAX_TOKEN +
		       RDT_PKT_CRC_SIZE <= RDT_PKT_INIT_MIN_SIZE,
	       "INIT content must fit in the padded INIT");

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/*
 * The header promises that fields a type does not use read as zero.  A
 * memset of the whole struct would also clear the range array, which is
 * most of its size, so clear the scalars one by one instead; ranges past
 * ack.nranges mean nothing and are left alone.
 */
static inline void clear_fields(struct rdt_pkt *pkt)
{
	pkt->scid = 0;
	pkt->isn = 0;
	pkt->window = 0;
	pkt->max_dgram = 0;
	pkt->token_len = 0;
	pkt->token = NULL;
	pkt->echo_pn = 0;
	pkt->has_reset_token = 0;
	memset(pkt->reset_token, 0, TOKEN);
	pkt->window_edge = 0;
	pkt->ack.cum = 0;
	pkt->ack.largest = 0;
	pkt->ack.ack_delay_us = 0;
	pkt->ack.first_len = 0;
	pkt->ack.nranges = 0;
	pkt->offset = 0;
	pkt->data_len = 0;
	pkt->data = NULL;
	pkt->reason = 0;
}

/*
 * Each decode_* parses the body [p, end) of a datagram whose total length
 * is |len|, and returns 0 or RDT_ERR_MALFORMED.
 */
static int decode_init(struct rdt_pkt *pkt, const uint8_t *p,
		       const uint8_t *end, size_t len)
{
	size_t rem = (size_t)(end - p);

	/* The padding rule: an INIT too short to prevent amplification is
	 * malformed however well-formed its fields are. */
	if (pkt->flags != 0 || len < RDT_PKT_INIT_MIN_SIZE ||
	    rem < INIT_FIXED)
		return RDT_ERR_MALFORMED;
	pkt->scid = get64(p);
	pkt->isn = get32(p + 8);
	pkt->window = get32(p + 12);
	pkt->max_dgram = get16(p + 16);
	pkt->has_reset_token = 1;
	memcpy(pkt->reset_token, p + 18, TOKEN);
	pkt->token_len = p[18 + TOKEN];
	p += INIT_FIXED;
	rem -= INIT_FIXED;
	if (pkt->max_dgram < RDT_PKT_MIN_DGRAM ||
	    pkt->token_len > RDT_PKT_MAX_TOKEN || rem < pkt->token_len)
		return RDT_ERR_MALFORMED;
	pkt->token = p;
	p += pkt->token_len;
	/* Padding must be zero so that it can never smuggle data past a
	 * receiver that ignores it. */
	for (; p < end; p++)
		if (*p != 0)
			return RDT_ERR_MALFORMED;
	return 0;
}

static int decode_accept(struct rdt_pkt *pkt, const uint8_t *p,
			 const uint8_t *end)
{
	if (pkt->flags != 0 || end - p != ACCEPT_SIZE)
		return RDT_ERR_MALFORMED;
	pkt->scid = get64(p);
	pkt->isn = get32(p + 8);
	pkt->window = get32(p + 12);
	pkt->max_dgram = get16(p + 16);
	pkt->echo_pn = get32(p + 18);
	pkt->has_reset_token = 1;
	memcpy(pkt->reset_token, p + 22, TOKEN);
	if (pkt->max_dgram < RDT_PKT_MIN_DGRAM)
		return RDT_ERR_MALFORMED;
	return 0;
}

static int decode_data(struct rdt_pkt *pkt, const uint8_t *p,
		       const uint8_t *end)
{
	size_t rem = (size_t)(end - p);
	unsigned i;

	if ((pkt->flags & ~DATA_FLAGS) != 0 ||
	    ((pkt->flags & RDT_PKT_F_FIN) && !(pkt->flags & RDT_PKT_F_STREAM)))
		return RDT_ERR_MALFORMED;
	if (rem < EDGE_SIZE)
		return RDT_ERR_MALFORMED;
	pkt->window_edge = get32(p);
	p += EDGE_SIZE;
	rem -= EDGE_SIZE;

	if (pkt->flags & RDT_PKT_F_ACK) {
		struct rdt_pkt_ack *ack = &pkt->ack;

		if (rem < ACK_FIXED)
			return RDT_ERR_MALFORMED;
		ack->cum = get32(p);
		ack->largest = get32(p + 4);
		ack->ack_delay_us = get32(p + 8);
		ack->first_len = get32(p + 12);
		ack->nranges = p[16];
		p += ACK_FIXED;
		rem -= ACK_FIXED;
		if (ack->nranges > RDT_PKT_MAX_ACK_RANGES ||
		    rem < (size_t)ack->nranges * RANGE_SIZE)
			return RDT_ERR_MALFORMED;
		for (i = 0; i < ack->nranges; i++) {
			ack->ranges[i].gap = get32(p);
			ack->ranges[i].len = get32(p + 4);
			p += RANGE_SIZE;
		}
		rem -= (size_t)ack->nranges * RANGE_SIZE;
	}

	if (pkt->flags & RDT_PKT_F_STREAM) {
		if (rem < STREAM_FIXED)
			return RDT_ERR_MALFORMED;
		pkt->offset = get32(p);
		pkt->data_len = get16(p + 4);
		p += STREAM_FIXED;
		rem -= STREAM_FIXED;
		/* The payload runs exactly to the CRC: shorter is a field
		 * past the end, longer is trailing bytes.  An empty STREAM
		 * section says nothing unless it carries the FIN. */
		if (rem != pkt->data_len ||
		    (pkt->data_len == 0 && !(pkt->flags & RDT_PKT_F_FIN)))
			return RDT_ERR_MALFORMED;
		pkt->data = p;
		return 0;
	}
	return rem == 0 ? 0 : RDT_ERR_MALFORMED;
}

static int decode_reset(struct rdt_pkt *pkt, const uint8_t *p,
			const uint8_t *end)
{
	/* With the sender's reset token or without (a stateless answer,
	 * which has none to give). */
	if (pkt->flags != 0 ||
	    (end - p != RESET_SIZE && end - p != RESET_SIZE + TOKEN))
		return RDT_ERR_MALFORMED;
	/* Unknown reasons are kept, not rejected: a later version may add
	 * reasons, and any RESET aborts the connection the same way. */
	pkt->reason = get32(p);
	if (end - p == RESET_SIZE + TOKEN) {
		pkt->has_reset_token = 1;
		memcpy(pkt->reset_token, p + RESET_SIZE, TOKEN);
	}
	return 0;
}

static int decode_retry(struct rdt_pkt *pkt, const uint8_t *p,
			const uint8_t *end)
{
	if (pkt->flags != 0 || end - p < 1)
		return RDT_ERR_MALFORMED;
	pkt->token_len = p[0];
	if (pkt->token_len == 0 || pkt->token_len > RDT_PKT_MAX_TOKEN ||
	    end - p != 1 + pkt->token_len)
		return RDT_ERR_MALFORMED;
	pkt->token = p + 1;
	return 0;
}

int rdt_pkt_crc_holds(const uint8_t *dg, size_t len)
{
	return get32(dg + len - RDT_PKT_CRC_SIZE) ==
	       rdt_crc32c(0, dg, len - RDT_PKT_CRC_SIZE);
}

int rdt_pkt_decode(struct rdt_pkt *pkt, const uint8_t *src, size_t len)
{
	const uint8_t *body, *end;

	if (len < RDT_PKT_HEADER_SIZE + RDT_PKT_CRC_SIZE ||
	    len > RDT_PKT_MAX_DGRAM)
		return RDT_ERR_MALFORMED;
	end = src + len - RDT_PKT_CRC_SIZE;
	/* Nothing, not even the version, is trusted before the CRC: a
	 * corrupted datagram must count as corrupted, not as foreign. */
	if (!rdt_pkt_crc_holds(src, len))
		return RDT_ERR_CHECKSUM;
	if (src[0] != RDT_PROTO_VERSION)
		return RDT_ERR_VERSION;
	if (src[3] != 0)
		return RDT_ERR_MALFORMED;

	pkt->type = src[1];
	pkt->flags = src[2];
	pkt->dcid = get64(src + 4);
	pkt->pn = get32(src + 12);
	clear_fields(pkt);
	body = src + RDT_PKT_HEADER_SIZE;

	switch (pkt->type) {
	case RDT_PKT_INIT:
		return decode_init(pkt, body, end, len);
	case RDT_PKT_ACCEPT:
		return decode_accept(pkt, body, end);
	case RDT_PKT_DATA:
		return decode_data(pkt, body, end);
	case RDT_PKT_RESET:
		return decode_reset(pkt, body, end);
	case RDT_PKT_RETRY:
		return decode_retry(pkt, body, end);
	default:
		return RDT_ERR_MALFORMED;
	}
}

/*
 * datagram_size checks that |pkt| obeys every rule rdt_pkt_decode enforces and
 * returns the size of its whole datagram, or RDT_ERR_INVALID.
 */
static rdt_ssize datagram_size(const struct rdt_pkt *pkt)
{
	unsigned nranges;
	size_t n;

	switch (pkt->type) {
	case RDT_PKT_INIT:
		if (pkt->flags != 0 || pkt->max_dgram < RDT_PKT_MIN_DGRAM ||
		    pkt->token_len > RDT_PKT_MAX_TOKEN ||
		    (pkt->token_len > 0 && pkt->token == NULL))
			return RDT_ERR_INVALID;
		/* Always exactly the minimum: the static assertion above
		 * guarantees the content fits. */
		return RDT_PKT_INIT_MIN_SIZE;
	case RDT_PKT_ACCEPT:
		if (pkt->flags != 0 || pkt->max_dgram < RDT_PKT_MIN_DGRAM)
			return RDT_ERR_INVALID;
		return RDT_PKT_HEADER_SIZE + ACCEPT_SIZE + RDT_PKT_CRC_SIZE;
	case RDT_PKT_RESET:
		if (pkt->flags != 0)
			return RDT_ERR_INVALID;
		return pkt->has_reset_token ? RDT_PKT_RESET_WITH_TOKEN_SIZE :
					      RDT_PKT_RESET_SIZE;
	case RDT_PKT_RETRY:
		if (pkt->flags != 0 || pkt->token_len == 0 ||
		    pkt->token_len > RDT_PKT_MAX_TOKEN || pkt->token == NULL)
			return RDT_ERR_INVALID;
		return RDT_PKT_HEADER_SIZE + 1 + pkt->token_len +
		       RDT_PKT_CRC_SIZE;
	case RDT_PKT_DATA:
		break;
	default:
		return RDT_ERR_INVALID;
	}

	if ((pkt->flags & ~DATA_FLAGS) != 0)
		return RDT_ERR_INVALID;
	if (pkt->flags & RDT_PKT_F_STREAM) {
		if ((pkt->data_len == 0 && !(pkt->flags & RDT_PKT_F_FIN)) ||
		    (pkt->data_len > 0 && pkt->data == NULL))
			return RDT_ERR_INVALID;
	} else if (pkt->flags & RDT_PKT_F_FIN) {
		return RDT_ERR_INVALID;
	}
	/* The ACK fields of a datagram without F_ACK are not even read: the
	 * caller need not have set them. */
	nranges = (pkt->flags & RDT_PKT_F_ACK) ? pkt->ack.nranges : 0;
	if (nranges > RDT_PKT_MAX_ACK_RANGES)
		return RDT_ERR_INVALID;
	n = rdt_pkt_data_overhead(pkt->flags & RDT_PKT_F_ACK, nranges,
				  pkt->flags & RDT_PKT_F_STREAM);
	if (pkt->flags & RDT_PKT_F_STREAM)
		n += pkt->data_len;
	/* A decoder refuses anything longer, so never build it. */
	if (n > RDT_PKT_MAX_DGRAM)
		return RDT_ERR_INVALID;
	return (rdt_ssize)n;
}

static void encode_data(uint8_t *p, const struct rdt_pkt *pkt)
{
	unsigned i;

	put32(p, pkt->window_edge);
	p += EDGE_SIZE;
	if (pkt->flags & RDT_PKT_F_ACK) {
		const struct rdt_pkt_ack *ack = &pkt->ack;

		put32(p, ack->cum);
		put32(p + 4, ack->largest);
		put32(p + 8, ack->ack_delay_us);
		put32(p + 12, ack->first_len);
		p[16] = ack->nranges;
		p += ACK_FIXED;
		for (i = 0; i < ack->nranges; i++) {
			put32(p, ack->ranges[i].gap);
			put32(p + 4, ack->ranges[i].len);
			p += RANGE_SIZE;
		}
	}
	if (pkt->flags & RDT_PKT_F_STREAM) {
		put32(p, pkt->offset);
		put16(p + 4, pkt->data_len);
		p += STREAM_FIXED;
		if (pkt->data_len > 0)
			memcpy(p, pkt->data, pkt->data_len);
	}
}

rdt_ssize rdt_pkt_encode(uint8_t *dst, size_t dstlen,
			 const struct rdt_pkt *pkt)
{
	rdt_ssize size = datagram_size(pkt);
	uint8_t *p, *end;

	if (size < 0)
		return size;
	if ((size_t)size > dstlen)
		return RDT_ERR_NOBUF;
	end = dst + size - RDT_PKT_CRC_SIZE;

	dst[0] = RDT_PROTO_VERSION;
	dst[1] = pkt->type;
	dst[2] = pkt->flags;
	dst[3] = 0;
	put64(dst + 4, pkt->dcid);
	put32(dst + 12, pkt->pn);
	p = dst + RDT_PKT_HEADER_SIZE;

	switch (pkt->type) {
	case RDT_PKT_INIT:
		put64(p, pkt->scid);
		put32(p + 8, pkt->isn);
		put32(p + 12, pkt->window);
		put16(p + 16, pkt->max_dgram);
		memcpy(p + 18, pkt->reset_token, TOKEN);
		p[18 + TOKEN] = pkt->token_len;
		p += INIT_FIXED;
		if (pkt->token_len > 0)
			memcpy(p, pkt->token, pkt->token_len);
		p += pkt->token_len;
		memset(p, 0, (size_t)(end - p));
		break;
	case RDT_PKT_ACCEPT:
		put64(p, pkt->scid);
		put32(p + 8, pkt->isn);
		put32(p + 12, pkt->window);
		put16(p + 16, pkt->max_dgram);
		put32(p + 18, pkt->echo_pn);
		memcpy(p + 22, pkt->reset_token, TOKEN);
		break;
	case RDT_PKT_DATA:
		encode_data(p, pkt);
		break;
	case RDT_PKT_RESET:
		put32(p, pkt->reason);
		if (pkt->has_reset_token)
			memcpy(p + RESET_SIZE, pkt->reset_token, TOKEN);
		break;
	case RDT_PKT_RETRY:
		p[0] = pkt->token_len;
		memcpy(p + 1, pkt->token, pkt->token_len);
		break;
	}

	/* Last, over everything before it. */
	put32(end, rdt_crc32c(0, dst, (size_t)size - RDT_PKT_CRC_SIZE));
	return size;
}

size_t rdt_pkt_data_overhead(int has_ack, unsigned nranges, int has_stream)
{
	size_t n = RDT_PKT_HEADER_SIZE + EDGE_SIZE + RDT_PKT_CRC_SIZE;

	if (has_ack)
		n += ACK_FIXED + (size_t)nranges * RANGE_SIZE;
	if (has_stream)
		n += STREAM_FIXED;
	return n;
}

rdt_ssize rdt_pkt_encode_reset(uint8_t *dst, size_t dstlen, uint64_t dcid,
			       uint32_t reason)
{
	struct rdt_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.type = RDT_PKT_RESET;
	pkt.dcid = dcid;
	pkt.reason = reason;
	return rdt_pkt_encode(dst, dstlen, &pkt);
}

int rdt_pkt_peek_dcid(const uint8_t *dg, size_t len, uint64_t *dcid)
{
	uint64_t v = 0;
	int i;

	if (len < 12)
		return RDT_ERR_MALFORMED;
	for (i = 4; i < 12; i++)
		v = v << 8 | dg[i];
	*dcid = v;
	return 0;
}
