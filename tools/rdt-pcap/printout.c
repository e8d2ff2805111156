/*
 * printout.c: the one-line form of a datagram (printout.h).
 */
#include <inttypes.h>

#include "core/err.h"
#include "printout.h"

/* The sender's reset token, in hex (INIT, ACCEPT, a RESET with one). */
static void print_reset_token(FILE *f, const struct rdt_pkt *p)
{
	size_t i;

	fprintf(f, " reset_token ");
	for (i = 0; i < RDT_PKT_RESET_TOKEN_SIZE; i++)
		fprintf(f, "%02x", p->reset_token[i]);
}

static void print_fields(FILE *f, const struct rdt_pkt *p)
{
	switch (p->type) {
	case RDT_PKT_INIT:
	case RDT_PKT_ACCEPT:
		fprintf(f, " scid 0x%016" PRIx64 " isn %" PRIu32 " window %"
			PRIu32, p->scid, p->isn, p->window);
		print_reset_token(f, p);
		break;
	case RDT_PKT_DATA:
		fprintf(f, " edge %" PRIu32, p->window_edge);
		if (p->flags & RDT_PKT_F_ACK)
			fprintf(f, " ack cum %" PRIu32 " largest %" PRIu32
				" ranges %u", p->ack.cum, p->ack.largest,
				p->ack.nranges + 1u);
		if (p->flags & RDT_PKT_F_STREAM)
			fprintf(f, " stream %" PRIu32 " len %u%s", p->offset,
				p->data_len,
				p->flags & RDT_PKT_F_FIN ? " FIN" : "");
		if (p->flags & RDT_PKT_F_PING)
			fprintf(f, " PING");
		break;
	case RDT_PKT_RESET:
		fprintf(f, " reason %" PRIu32, p->reason);
		if (p->has_reset_token)
			print_reset_token(f, p);
		break;
	case RDT_PKT_RETRY:
		fprintf(f, " token %u bytes", p->token_len);
		break;
	}
}

void print_dgram_line(FILE *f, const struct rdt_dgram *d)
{
	static const char *const types[] = { "?", "INIT", "ACCEPT", "DATA",
					     "RESET", "RETRY" };
	char a[FRAME_ENDPOINT_STRLEN], b[FRAME_ENDPOINT_STRLEN];
	const struct rdt_pkt *p = &d->pkt;

	fprintf(f, "%lld.%09lld %s > %s ",
		(long long)(d->t_ns / 1000000000),
		(long long)(d->t_ns % 1000000000),
		frame_endpoint_str(&d->src, a), frame_endpoint_str(&d->dst, b));
	if (d->status != 0 && d->status != RDT_ERR_AUTH) {
		/* Nothing of a datagram that fails its CRC is believed. */
		if (d->seal == UNSEAL_CLEAR)
			fprintf(f, "not rdt or corrupt (%zu bytes)\n", d->len);
		else if (d->seal == UNSEAL_OPENED)
			fprintf(f, "sealed %zu bytes, opened: malformed (%s)\n",
				d->wire_len, rdt_strerror(d->status));
		else if (d->seal == UNSEAL_MALFORMED)
			fprintf(f, "sealed %zu bytes: malformed (%s)\n",
				d->wire_len,
				unseal_malformed_why(d->bytes, d->len));
		else
			fprintf(f, "sealed %zu bytes: %s\n", d->wire_len,
				unseal_result_text(d->seal));
		return;
	}
	fprintf(f, "%s dcid 0x%016" PRIx64 " pn %" PRIu32,
		p->type < sizeof(types) / sizeof(types[0]) ? types[p->type] :
							     "?",
		p->dcid, p->pn);
	if (d->seal == UNSEAL_CLEAR) {
		print_fields(f, p);
	} else if (d->seal == UNSEAL_OPENED) {
		fprintf(f, " sealed %zu bytes", d->wire_len);
		print_fields(f, p);
	} else {
		/* The clear prefix: an INIT's or ACCEPT's scid too. */
		if (p->type == RDT_PKT_INIT || p->type == RDT_PKT_ACCEPT)
			fprintf(f, " scid 0x%016" PRIx64, p->scid);
		fprintf(f, " sealed %zu bytes: %s", d->wire_len,
			unseal_result_text(d->seal));
	}
	fputc('\n', f);
}
