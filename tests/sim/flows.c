/*
 * flows.c: several bulk flows through one simulated bottleneck (see
 * flows.h).
 *
 * Map: sim_gen_bytes (the stream's content) -> sim_flows_run (set-up,
 * then the event loop: deliver, start flows, timers, applications,
 * drain, sample the RTT, jump to the next event) -> sim_jain_index.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "helpers/prng.h"
#include "sim/flows.h"
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

void sim_flows_run(const struct sim_flows_cfg *cfg, uint64_t seed,
		   struct sim_flows_result *r)
{
	static uint8_t dg[RDT_PKT_MAX_DGRAM + 1];
	struct flow f[SIM_FLOWS_MAX];
	rdt_tstamp start[SIM_FLOWS_MAX];
	struct sim_link *fwd = NULL, *rev = NULL;
	struct prng rng;
	rdt_tstamp t = FLOWS_T0, end = FLOWS_T0 + cfg->duration;
	rdt_tstamp next_sample = FLOWS_T0 + cfg->measure_from, *rtts = NULL;
	size_t nrtts = 0, max_rtts;
	unsigned i, steps_here = 0;

	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(f));
	r->ok = 1;
	if (cfg->n == 0 || cfg->n > SIM_FLOWS_MAX) {
		fail(r, "bad number of flows");
		return;
	}
	prng_seed(&rng, seed);
	max_rtts = cfg->duration / SIM_FLOWS_RTT_EVERY + 1;
	rtts = calloc(max_rtts, sizeof(*rtts));
	if (rtts == NULL || sim_link_new(&fwd, &cfg->fwd, prng_next(&rng)) ||
	    sim_link_new(&rev, &cfg->rev, prng_next(&rng))) {
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

	while (t < end && r->ok) {
		rdt_tstamp next = end, d;
		size_t len;
		rdt_ssize n;

		/* 1. Datagrams that arrived by now, to their flow. */
		while ((len = sim_link_recv(fwd, dg, sizeof(dg), t)) > 0) {
			struct flow *fl = &f[dg[0] % cfg->n];
			struct rdt_pkt init;

			if (fl->server) {
				rdt_conn_recv_pkt(fl->server, dg + 1, len - 1,
						  t);
				continue;
			}
			if (rdt_pkt_decode(&init, dg + 1, len - 1) != 0 ||
			    init.type != RDT_PKT_INIT)
				continue;
			if (rdt_conn_server_new(&fl->server, &fl->scfg,
						rdt_mem_default(), &init, t))
				fail(r, "server_new failed");
		}
		while ((len = sim_link_recv(rev, dg, sizeof(dg), t)) > 0) {
			struct flow *fl = &f[dg[0] % cfg->n];

			if (fl->client)
				rdt_conn_recv_pkt(fl->client, dg + 1, len - 1,
						  t);
		}
		/* 2. Flows whose time has come. */
		for (i = 0; i < cfg->n; i++)
			if (!f[i].started && t >= start[i]) {
				f[i].started = 1;
				if (rdt_conn_client_new(&f[i].client,
							&f[i].ccfg,
							rdt_mem_default(), t))
					fail(r, "client_new failed");
			}
		/* 3. Timers, 4. applications, 5. everything to send. */
		for (i = 0; i < cfg->n; i++) {
			if (f[i].client && rdt_conn_deadline(f[i].client) <= t)
				rdt_conn_on_deadline(f[i].client, t);
			if (f[i].server && rdt_conn_deadline(f[i].server) <= t)
				rdt_conn_on_deadline(f[i].server, t);
		}
		run_apps(cfg, f, r, t);
		for (i = 0; i < cfg->n; i++) {
			while (f[i].client &&
			       (n = rdt_conn_write_pkt(f[i].client, dg,
						       sizeof(dg) - 1, t)) > 0)
				send_tagged(fwd, i, dg, (size_t)n, t);
			while (f[i].server &&
			       (n = rdt_conn_write_pkt(f[i].server, dg,
						       sizeof(dg) - 1, t)) > 0)
				send_tagged(rev, i, dg, (size_t)n, t);
			if ((f[i].client &&
			     rdt_conn_error(f[i].client) != 0) ||
			    (f[i].server && rdt_conn_error(f[i].server) != 0))
				fail(r, "a connection failed");
		}
		/* 6. Flow 0's RTT, at a steady beat. */
		while (t >= next_sample && next_sample < end) {
			struct rdt_conn_info ci;

			next_sample += SIM_FLOWS_RTT_EVERY;
			if (f[0].client == NULL)
				continue;
			rdt_conn_get_info(f[0].client, &ci);
			if (ci.latest_rtt > 0 && nrtts < max_rtts)
				rtts[nrtts++] = ci.latest_rtt;
		}
		/* 7. Jump to the next event. */
		d = sim_link_next_arrival(fwd);
		next = d < next ? d : next;
		d = sim_link_next_arrival(rev);
		next = d < next ? d : next;
		for (i = 0; i < cfg->n; i++) {
			if (!f[i].started && start[i] < next)
				next = start[i];
			if (f[i].client &&
			    (d = rdt_conn_deadline(f[i].client)) < next)
				next = d;
			if (f[i].server &&
			    (d = rdt_conn_deadline(f[i].server)) < next)
				next = d;
		}
		if (next <= t) {
			if (++steps_here > FLOWS_MAX_STEPS_PER_INSTANT)
				fail(r, "busy loop at one instant");
		} else {
			steps_here = 0;
			t = next;
		}
	}
	if (nrtts > 0) {
		qsort(rtts, nrtts, sizeof(*rtts), cmp_tstamp);
		r->median_rtt = rtts[nrtts / 2];
	}
	for (i = 0; i < cfg->n; i++)
		if (f[i].client)
			rdt_conn_get_info(f[i].client, &r->snd[i]);
	r->min_rtt = r->snd[0].min_rtt;
	r->fwd_sent = sim_link_stats(fwd)->sent;
	r->fwd_queue_drops = sim_link_stats(fwd)->dropped_queue;
out:
	for (i = 0; i < cfg->n; i++) {
		rdt_conn_del(f[i].client);
		rdt_conn_del(f[i].server);
	}
	sim_link_del(fwd);
	sim_link_del(rev);
	free(rtts);
}
