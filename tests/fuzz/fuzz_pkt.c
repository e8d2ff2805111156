/*
 * fuzz_pkt.c: libFuzzer target for the datagram decoder, src/wire/pkt.c.
 *
 * Map of this file:
 *
 *   same_fields             field-by-field equality of two decoded
 *                           datagrams (token, reset token and data by
 *                           content).
 *   check                   decode bytes; if they are accepted, encode
 *                           them again, decode that, and check that
 *                           nothing changed on the way.
 *   LLVMFuzzerTestOneInput  checks the input as it is, then a copy whose
 *                           CRC has been recomputed.  Almost every
 *                           mutation breaks the CRC, so without the copy
 *                           the fuzzer would explore little but the
 *                           checksum comparison; with it, every field
 *                           check behind the CRC sees arbitrary bytes.
 *
 * The round trip is byte-exact for every type but INIT: each field has
 * one encoding, nothing is optional that is not flagged (or, for a
 * RESET's reset token, told by the length), and the lengths leave no
 * slack.  INIT is the exception.  A sender may pad it past
 * RDT_PKT_INIT_MIN_SIZE (more zeros are still valid padding), while the
 * encoder always pads to exactly the minimum.  So for INIT the re-encoding
 * must be RDT_PKT_INIT_MIN_SIZE bytes long and equal the input up to the
 * CRC, which is the weaker property we can have.  Mismatches abort(),
 * which libFuzzer and tests/fuzz/fuzz_main.c both report as crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/wire/pkt.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Static: the largest datagram does not belong on a fuzzer's stack. */
static uint8_t out[RDT_PKT_MAX_DGRAM];

static int same_fields(const struct rdt_pkt *a, const struct rdt_pkt *b)
{
	unsigned i;

	if (a->type != b->type || a->flags != b->flags ||
	    a->dcid != b->dcid || a->pn != b->pn || a->scid != b->scid ||
	    a->isn != b->isn || a->window != b->window ||
	    a->max_dgram != b->max_dgram || a->token_len != b->token_len ||
	    a->echo_pn != b->echo_pn || a->window_edge != b->window_edge ||
	    a->ack.cum != b->ack.cum || a->ack.largest != b->ack.largest ||
	    a->ack.ack_delay_us != b->ack.ack_delay_us ||
	    a->ack.first_len != b->ack.first_len ||
	    a->ack.nranges != b->ack.nranges || a->offset != b->offset ||
	    a->data_len != b->data_len || a->reason != b->reason ||
	    a->has_reset_token != b->has_reset_token ||
	    memcmp(a->reset_token, b->reset_token, sizeof(a->reset_token)))
		return 0;
	for (i = 0; i < a->ack.nranges; i++)
		if (a->ack.ranges[i].gap != b->ack.ranges[i].gap ||
		    a->ack.ranges[i].len != b->ack.ranges[i].len)
			return 0;
	if (a->token_len > 0 && memcmp(a->token, b->token, a->token_len))
		return 0;
	if (a->data_len > 0 && memcmp(a->data, b->data, a->data_len))
		return 0;
	return 1;
}

static void check(const uint8_t *data, size_t size)
{
	struct rdt_pkt pkt, again;
	rdt_ssize n;

	if (rdt_pkt_decode(&pkt, data, size) != 0)
		return;

	/* Whatever decode accepts, encode must be able to build. */
	n = rdt_pkt_encode(out, sizeof(out), &pkt);
	if (n <= 0)
		abort();
	if (rdt_pkt_decode(&again, out, (size_t)n) != 0)
		abort();
	if (!same_fields(&pkt, &again))
		abort();

	if (pkt.type == RDT_PKT_INIT) {
		if (n != RDT_PKT_INIT_MIN_SIZE ||
		    memcmp(out, data, (size_t)n - RDT_PKT_CRC_SIZE) != 0)
			abort();
		/* A minimal INIT has nothing to lose: exact again. */
		if (size == RDT_PKT_INIT_MIN_SIZE && memcmp(out, data, size))
			abort();
	} else if ((size_t)n != size || memcmp(out, data, size) != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	check(data, size);
	if (size < RDT_PKT_CRC_SIZE)
		return 0;
	/* A copy of exactly |size| bytes, so ASan still sees over-reads. */
	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	fuzz_fix_crc(copy, size);
	check(copy, size);
	free(copy);
	return 0;
}
