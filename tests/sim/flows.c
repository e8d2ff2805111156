/*
 * flows.c: several bulk flows through one simulated bottleneck (see
 * flows.h).
 *
 * Map: sim_gen_bytes (the stream's content) -> sim_flows_run (set-up,
 * then the harness's steps, harness.h: deliver, start flows, timers,
 * applications, drain; then sample the RTT and jump to the next event)
 * -> sim_jain_index.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "util/prng.h"
#include "sim/flows.h"
#include "sim/harness.h"
#include "wire/pkt.h"

/* Virtual start time: later than 0 so no timestamp is ever 0. */
#define FLOWS_T0 RDT_S
/* Steps at one virtual instant before we call it a busy loop. */
#define FLOWS_MAX_STEPS_PER_INSTANT 100000

void sim_gen_bytes(uint64_t seed, uint64_t pos, uint8_t *dst, size_t len)
{
	while (len > 0) {
		uint64_t x = seed ^ (pos >> 3) * 0xD6E8FEB86659FD93ull;
		uint64_t word = prng_splitmix64(&x);
		size_t k = pos & 7;

		for (; k < 8 && len > 0; k++, len--, pos++)
			*dst++ = (uint8_t)(word >> (8 * k));
	}
}

double sim_jain_index(const double *x, unsigned n)
{
	double sum = 0, sq = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		sum += x[i];
		sq += x[i] * x[i];
	}
	return sq > 0 ? sum * sum / (n * sq) : 0;
}

static uint64_t flows_rand(void *ctx)
{
	return prng_next(ctx);
}

static int cmp_tstamp(const void *a, const void *b)
{
	rdt_tstamp x = *(const rdt_tstamp *)a, y = *(const rdt_tstamp *)b;

	return (x > y) - (x < y);
}

struct flow {
	struct rdt_conn *client, *server;
	struct prng crng, srng;
	struct rdt_conn_config ccfg, scfg;
	uint64_t data_seed, written, received;
	int started;
};

static void fail(struct sim_flows_result *r, const char *why)
{
	if (!r->ok)
		return;
	r->ok = 0;
	strncpy(r->why, why, sizeof(r->why) - 1);
}

/* Sends |len| bytes of |dg| through |link| behind the flow tag |i|. */
static void send_tagged(struct sim_link *link, unsigned i, const uint8_t *dg,
			size_t len, rdt_tstamp t)
{
	static uint8_t tagged[RDT_PKT_MAX_DGRAM + 1];

	tagged[0] = (uint8_t)i;
	memcpy(tagged + 1, dg, len);
	sim_link_send(link, tagged, len + 1, t);
}

/* One pass of the applications: each client writes what fits, each
 * server reads everything and checks it. */
static void run_apps(const struct sim_flows_cfg *cfg, struct flow *f,
		     struct sim_flows_result *r, rdt_tstamp t)
{
	static uint8_t buf[64 * 1024], want[64 * 1024];
	unsigned i;
	rdt_ssize n;

	for (i = 0; i < cfg->n; i++) {
		size_t chunk;

		while (f[i].client &&
		       (chunk = rdt_conn_writable(f[i].client)) > 0) {
			if (chunk > sizeof(buf))
				chunk = sizeof(buf);
			sim_gen_bytes(f[i].data_seed, f[i].written, buf, chunk);
			n = rdt_conn_send(f[i].client, buf, chunk, t);
			if (n <= 0)
				break;
			f[i].written += (uint64_t)n;
		}
		while (f[i].server &&
		       (n = rdt_conn_recv(f[i].server, buf, sizeof(buf), 0,
					  t)) > 0) {
			rdt_tstamp sec = (t - FLOWS_T0) / RDT_S;

			sim_gen_bytes(f[i].data_seed, f[i].received, want,
				      (size_t)n);
			if (memcmp(buf, want, (size_t)n) != 0)
				fail(r, "corrupted byte delivered");
			f[i].received += (uint64_t)n;
			if (t >= FLOWS_T0 + cfg->measure_from)
				r->measured[i] += (uint64_t)n;
			if (sec < SIM_FLOWS_MAX_SECONDS)
				r->per_second[i][sec] += (uint64_t)n;
		}
	}
}

/* One run's state, shared by the harness hooks below. */
struct flows_run {
	const struct sim_flows_cfg *cfg;
	struct flow *f;
	const rdt_tstamp *start;
	struct sim_flows_result *r;
	struct sim_link *fwd, *rev;
};

/* Harness nodes are flow i's client at 2i and its server at 2i + 1;
 * links are the forward one (clients to servers), then the reverse. */
enum { LINK_FWD, LINK_REV };

static void flows_deliver(struct sim_harness *h, unsigned link,
			  const uint8_t *dg, size_t len)
{
	struct flows_run *x = h->ctx;
	struct flow *fl = &x->f[dg[0] % x->cfg->n];
	struct rdt_pkt init;

	if (link == LINK_REV) {
		if (fl->client)
			rdt_conn_recv_pkt(fl->client, dg + 1, len - 1, h->t);
		return;
	}
	if (fl->server) {
		rdt_conn_recv_pkt(fl->server, dg + 1, len - 1, h->t);
		return;
	}
	if (rdt_pkt_decode(&init, dg + 1, len - 1) != 0 ||
	    init.type != RDT_PKT_INIT)
		return;
	if (rdt_conn_server_new(&fl->server, &fl->scfg, rdt_mem_default(),
				&init, h->t))
		fail(x->r, "server_new failed");
}

/* Flows whose time has come connect, before any timer runs. */
static void flows_open(struct sim_harness *h)
{
	struct flows_run *x = h->ctx;
	unsigned i;

	for (i = 0; i < x->cfg->n; i++)
		if (!x->f[i].started && h->t >= x->start[i]) {
			x->f[i].started = 1;
			if (rdt_conn_client_new(&x->f[i].client,
						&x->f[i].ccfg,
						rdt_mem_default(), h->t))
				fail(x->r, "client_new failed");
		}
}

static void flows_app(struct sim_harness *h)
{
	struct flows_run *x = h->ctx;

	run_apps(x->cfg, x->f, x->r, h->t);
}

static void flows_send(struct sim_harness *h, unsigned node,
		       const uint8_t *dg, size_t len)
{
	struct flows_run *x = h->ctx;

	send_tagged(node % 2 ? x->rev : x->fwd, node / 2, dg, len, h->t);
}

/* The earliest of |end| and the start of every flow not yet started. */
static rdt_tstamp next_start(const struct flows_run *x, rdt_tstamp end)
{
	rdt_tstamp next = end;
	unsigned i;

	for (i = 0; i < x->cfg->n; i++)
		if (!x->f[i].started && x->start[i] < next)
			next = x->start[i];
	return next;
}

void sim_flows_run(const struct sim_flows_cfg *cfg, uint64_t seed,
		   struct sim_flows_result *r)
{
	struct flow f[SIM_FLOWS_MAX];
	rdt_tstamp start[SIM_FLOWS_MAX];
	struct flows_run x;
	struct sim_harness h;
	struct prng rng;
	rdt_tstamp end = FLOWS_T0 + cfg->duration;
	rdt_tstamp next_sample = FLOWS_T0 + cfg->measure_from, *rtts = NULL;
	size_t nrtts = 0, max_rtts;
	unsigned i;

	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(f));
	memset(&x, 0, sizeof(x));
	r->ok = 1;
	if (cfg->n == 0 || cfg->n > SIM_FLOWS_MAX) {
		fail(r, "bad number of flows");
		return;
	}
	x.cfg = cfg;
	x.f = f;
	x.start = start;
	x.r = r;
	prng_seed(&rng, seed);
	max_rtts = cfg->duration / SIM_FLOWS_RTT_EVERY + 1;
	rtts = calloc(max_rtts, sizeof(*rtts));
	if (rtts == NULL || sim_link_new(&x.fwd, &cfg->fwd, prng_next(&rng)) ||
	    sim_link_new(&x.rev, &cfg->rev, prng_next(&rng))) {
		fail(r, "set-up failed");
		goto out;
	}
	for (i = 0; i < cfg->n; i++) {
		f[i].data_seed = prng_next(&rng);
		prng_seed(&f[i].crng, prng_next(&rng));
		prng_seed(&f[i].srng, prng_next(&rng));
		rdt_conn_config_default(&f[i].ccfg);
		f[i].ccfg.rand64 = flows_rand;
		f[i].ccfg.rand_ctx = &f[i].crng;
		f[i].ccfg.cc = cfg->flow[i].cc;
		f[i].scfg = f[i].ccfg;
		f[i].scfg.rand_ctx = &f[i].srng;
		start[i] = FLOWS_T0 + cfg->flow[i].start;
		if (cfg->start_jitter > 0)
			start[i] += prng_below(&rng, cfg->start_jitter);
	}

	sim_harness_init(&h, FLOWS_T0);
	for (i = 0; i < cfg->n; i++) {
		sim_harness_add_node(&h, &f[i].client);
		sim_harness_add_node(&h, &f[i].server);
	}
	sim_harness_add_link(&h, x.fwd);
	sim_harness_add_link(&h, x.rev);
	h.max_steps_per_instant = FLOWS_MAX_STEPS_PER_INSTANT;
	h.deliver = flows_deliver;
	h.open = flows_open;
	h.app = flows_app;
	h.send = flows_send;
	h.ctx = &x;
	while (h.t < end && r->ok) {
		sim_step(&h);
		for (i = 0; i < cfg->n; i++)
			if ((f[i].client &&
			     rdt_conn_error(f[i].client) != 0) ||
			    (f[i].server && rdt_conn_error(f[i].server) != 0))
				fail(r, "a connection failed");
		/* Flow 0's RTT, at a steady beat. */
		while (h.t >= next_sample && next_sample < end) {
			struct rdt_conn_info ci;

			next_sample += SIM_FLOWS_RTT_EVERY;
			if (f[0].client == NULL)
				continue;
			rdt_conn_get_info(f[0].client, &ci);
			if (ci.latest_rtt > 0 && nrtts < max_rtts)
				rtts[nrtts++] = ci.latest_rtt;
		}
		if (!sim_jump(&h, sim_next_event(&h, next_start(&x, end))))
			fail(r, "busy loop at one instant");
	}
	if (nrtts > 0) {
		qsort(rtts, nrtts, sizeof(*rtts), cmp_tstamp);
		r->median_rtt = rtts[nrtts / 2];
	}
	for (i = 0; i < cfg->n; i++)
		if (f[i].client)
			rdt_conn_get_info(f[i].client, &r->snd[i]);
	r->min_rtt = r->snd[0].min_rtt;
	r->fwd_sent = sim_link_stats(x.fwd)->sent;
	r->fwd_queue_drops = sim_link_stats(x.fwd)->dropped_queue;
out:
	for (i = 0; i < cfg->n; i++) {
		rdt_conn_del(f[i].client);
		rdt_conn_del(f[i].server);
	}
	sim_link_del(x.fwd);
	sim_link_del(x.rev);
	free(rtts);
}
