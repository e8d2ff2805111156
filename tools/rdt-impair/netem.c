/*
 * netem.c: tc-netem's parameter grammar (see netem.h).
 *
 * Map of this file:
 *   netem_parse_time/rate/percent   one value with its unit
 *   struct words, next_is_number    the parameter string as words, and
 *                                   tc's rule for optional numbers
 *   parse_delay, parse_loss, ...    one keyword and its arguments each
 *   check_combination               tc's checks across keywords
 *   netem_parse                     the keyword dispatch
 *
 * Every error is one line naming the keyword and the word that failed,
 * so a mistyped profile line can be fixed from the message alone.
 */
#include "netem.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* More words than any valid parameter string can have. */
#define MAX_WORDS 64
/* Longest parameter string accepted; words are copied into this much. */
#define MAX_PARAMS 1024

struct unit {
	const char *name;
	double scale;
};

/* tc's time units, scaled to nanoseconds; a bare number is microseconds. */
static const struct unit time_units[] = {
	{ "", 1e3 },
	{ "s", 1e9 }, { "sec", 1e9 }, { "secs", 1e9 },
	{ "ms", 1e6 }, { "msec", 1e6 }, { "msecs", 1e6 },
	{ "us", 1e3 }, { "usec", 1e3 }, { "usecs", 1e3 },
	{ "ns", 1 }, { "nsec", 1 }, { "nsecs", 1 },
	{ NULL, 0 }
};

/* tc's rate units, scaled to bit/s; a bare number is bit/s. */
static const struct unit rate_units[] = {
	{ "", 1 },
	{ "bit", 1 },
	{ "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 }, { "tbit", 1e12 },
	{ "kibit", 1024.0 }, { "mibit", 1048576.0 },
	{ "gibit", 1073741824.0 }, { "tibit", 1099511627776.0 },
	{ "bps", 8 },
	{ "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 }, { "tbps", 8e12 },
	{ "kibps", 8 * 1024.0 }, { "mibps", 8 * 1048576.0 },
	{ "gibps", 8 * 1073741824.0 }, { "tibps", 8 * 1099511627776.0 },
	{ NULL, 0 }
};

/*
 * parse_scaled reads a finite, non-negative number followed by one of
 * |units| (case ignored) and returns it scaled, or -1.
 */
static double parse_scaled(const char *s, const struct unit *units)
{
	const struct unit *u;
	char *end;
	double v;

	/* strtod would also take "inf", "nan", hex and leading blanks;
	 * no unit has an x in it. */
	if ((!isdigit((unsigned char)s[0]) && s[0] != '.') ||
	    strpbrk(s, "xX"))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	for (u = units; u->name; u++)
		if (strcasecmp(end, u->name) == 0)
			return v * u->scale;
	return -1;
}

int netem_parse_time(const char *s, uint64_t *pns)
{
	double ns = parse_scaled(s, time_units);

	if (ns < 0 || ns > (double)NETEM_MAX_TIME_NS)
		return -1;
	*pns = (uint64_t)llround(ns);
	return 0;
}

int netem_parse_rate(const char *s, uint64_t *pbps)
{
	double bps = parse_scaled(s, rate_units);

	if (bps < 1 || bps > (double)NETEM_MAX_RATE_BPS)
		return -1;
	*pbps = (uint64_t)llround(bps);
	return 0;
}

int netem_parse_percent(const char *s, netem_prob *pp)
{
	static const struct unit pct_units[] = {
		{ "", 1 }, { "%", 1 }, { NULL, 0 }
	};
	double pct = parse_scaled(s, pct_units);

	if (pct < 0 || pct > 100)
		return -1;
	/* tc's scaling: the nearest of 2^32 - 1 steps. */
	*pp = (netem_prob)llround(pct / 100.0 * (double)UINT32_MAX);
	return 0;
}

double netem_prob_value(netem_prob p)
{
	return (double)p / (double)UINT32_MAX;
}

void netem_cfg_init(struct netem_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dist = NETEM_DIST_UNIFORM;
	cfg->loss_model = NETEM_LOSS_NONE;
	cfg->limit = NETEM_DEFAULT_LIMIT;
}

/* The parameter string cut into words, and where parsing has got to. */
struct words {
	char buf[MAX_PARAMS];
	char *w[MAX_WORDS];
	int n;
	int i;			/* the next word to read */
	char *err;
	size_t errlen;
};

static int fail(struct words *ws, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct words *ws, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ws->err, ws->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The next word, or NULL with an error naming what |keyword| lacks. */
static const char *need(struct words *ws, const char *keyword,
			const char *what)
{
	if (ws->i >= ws->n) {
		fail(ws, "%s: missing %s", keyword, what);
		return NULL;
	}
	return ws->w[ws->i++];
}

/* tc's rule: an optional argument is present if it starts with a digit. */
static int next_is_number(const struct words *ws, int allow_sign)
{
	const char *s;

	if (ws->i >= ws->n)
		return 0;
	s = ws->w[ws->i];
	return isdigit((unsigned char)s[0]) || s[0] == '.' ||
	       (allow_sign && s[0] == '-');
}

static int want_percent(struct words *ws, const char *keyword,
			const char *what, netem_prob *pp)
{
	const char *s = need(ws, keyword, what);

	if (!s)
		return -1;
	if (netem_parse_percent(s, pp) < 0)
		return fail(ws, "%s: bad %s \"%s\" (expected a percentage "
			    "from 0 to 100, like 1%% or 0.5%%)",
			    keyword, what, s);
	return 0;
}

static int want_time(struct words *ws, const char *keyword,
		     const char *what, uint64_t *pns)
{
	const char *s = need(ws, keyword, what);

	if (!s)
		return -1;
	if (netem_parse_time(s, pns) < 0)
		return fail(ws, "%s: bad %s \"%s\" (expected a time up to "
			    "3600s, like 10ms, 1.5s or 200us)",
			    keyword, what, s);
	return 0;
}

/* An integer in [lo, hi]. */
static int want_int(struct words *ws, const char *keyword, const char *what,
		    long long lo, long long hi, long long *pv)
{
	const char *s = need(ws, keyword, what);
	char *end;
	long long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi)
		return fail(ws, "%s: bad %s \"%s\" (expected a whole number "
			    "from %lld to %lld)", keyword, what, s, lo, hi);
	*pv = v;
	return 0;
}

/* A percentage that is there only if the next word is a number. */
static int maybe_percent(struct words *ws, const char *keyword,
			 const char *what, netem_prob *pp)
{
	if (!next_is_number(ws, 0))
		return 0;
	return want_percent(ws, keyword, what, pp);
}

static int parse_delay(struct words *ws, const char *kw,
		       struct netem_cfg *cfg)
{
	if (want_time(ws, kw, "time", &cfg->latency) < 0)
		return -1;
	if (!next_is_number(ws, 0))
		return 0;
	if (want_time(ws, kw, "jitter", &cfg->jitter) < 0)
		return -1;
	return maybe_percent(ws, kw, "correlation", &cfg->delay_corr);
}

static int parse_distribution(struct words *ws, const char *kw,
			      struct netem_cfg *cfg)
{
	static const char *const names[] = {
		[NETEM_DIST_UNIFORM] = "uniform",
		[NETEM_DIST_NORMAL] = "normal",
		[NETEM_DIST_PARETO] = "pareto",
		[NETEM_DIST_PARETONORMAL] = "paretonormal",
	};
	const char *s = need(ws, kw, "name");
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			cfg->dist = (enum netem_dist)i;
			return 0;
		}
	}
	return fail(ws, "%s: unknown distribution \"%s\" (expected uniform, "
		    "normal, pareto or paretonormal)", kw, s);
}

/*
 * loss gemodel P [R [1-H [1-K]]], with tc's defaults R = 100%,
 * 1-H = 100% (BAD loses everything) and 1-K = 0 (GOOD loses nothing).
 */
static int parse_gemodel(struct words *ws, struct netem_cfg *cfg)
{
	const char *kw = "loss gemodel";

	cfg->loss_model = NETEM_LOSS_GEMODEL;
	cfg->ge_r = UINT32_MAX;
	cfg->ge_bad_loss = UINT32_MAX;
	cfg->ge_good_loss = 0;
	if (want_percent(ws, kw, "P", &cfg->ge_p) < 0)
		return -1;
	if (!next_is_number(ws, 0))
		return 0;
	if (want_percent(ws, kw, "R", &cfg->ge_r) < 0)
		return -1;
	if (!next_is_number(ws, 0))
		return 0;
	if (want_percent(ws, kw, "1-H", &cfg->ge_bad_loss) < 0)
		return -1;
	return maybe_percent(ws, kw, "1-K", &cfg->ge_good_loss);
}

static int parse_loss(struct words *ws, const char *kw,
		      struct netem_cfg *cfg)
{
	const char *s;

	if (cfg->loss_model != NETEM_LOSS_NONE)
		return fail(ws, "%s: given twice", kw);
	if (ws->i < ws->n && strcmp(ws->w[ws->i], "gemodel") == 0) {
		ws->i++;
		return parse_gemodel(ws, cfg);
	}
	if (ws->i < ws->n && strcmp(ws->w[ws->i], "state") == 0)
		return fail(ws, "%s state: the 4-state loss model is not "
			    "supported (use loss gemodel)", kw);
	if (ws->i < ws->n && strcmp(ws->w[ws->i], "random") == 0)
		ws->i++;
	else if (ws->i < ws->n && !next_is_number(ws, 0)) {
		s = ws->w[ws->i];
		return fail(ws, "%s: bad percentage or model \"%s\" "
			    "(expected PERCENT, random or gemodel)", kw, s);
	}
	cfg->loss_model = NETEM_LOSS_RANDOM;
	if (want_percent(ws, kw, "percentage", &cfg->loss) < 0)
		return -1;
	return maybe_percent(ws, kw, "correlation", &cfg->loss_corr);
}

static int parse_prob_corr(struct words *ws, const char *kw,
			   netem_prob *pp, netem_prob *pcorr)
{
	if (want_percent(ws, kw, "percentage", pp) < 0)
		return -1;
	return maybe_percent(ws, kw, "correlation", pcorr);
}

static int parse_rate(struct words *ws, const char *kw,
		      struct netem_cfg *cfg)
{
	const char *s = need(ws, kw, "rate");
	long long v;

	if (!s)
		return -1;
	if (netem_parse_rate(s, &cfg->rate) < 0)
		return fail(ws, "%s: bad rate \"%s\" (expected a positive "
			    "rate like 10mbit, 100kbit, 1gbit or 500kbps)",
			    kw, s);
	if (!next_is_number(ws, 1))
		return 0;
	if (want_int(ws, kw, "packet overhead", -65535, 65535, &v) < 0)
		return -1;
	cfg->packet_overhead = (int32_t)v;
	if (!next_is_number(ws, 0))
		return 0;
	if (want_int(ws, kw, "cell size", 0, 65535, &v) < 0)
		return -1;
	cfg->cell_size = (uint32_t)v;
	if (!next_is_number(ws, 1))
		return 0;
	if (want_int(ws, kw, "cell overhead", -65535, 65535, &v) < 0)
		return -1;
	cfg->cell_overhead = (int32_t)v;
	return 0;
}

/* tc's checks that need the whole parameter string. */
static int check_combination(struct words *ws, struct netem_cfg *cfg,
			     int has_gap, int has_dist)
{
	if (cfg->reorder) {
		if (!cfg->latency)
			return fail(ws, "reorder: reordering needs a delay "
				    "(packets not reordered are delayed)");
		if (!has_gap || cfg->gap == 0)
			cfg->gap = 1;
	} else if (has_gap && cfg->gap) {
		return fail(ws, "gap: given without a reorder percentage");
	}
	if (has_dist && (!cfg->latency || !cfg->jitter))
		return fail(ws, "distribution: needs a delay with a jitter");
	return 0;
}

int netem_parse(struct netem_cfg *cfg, const char *params, char *err,
		size_t errlen)
{
	struct words ws;
	const char *kw;
	long long v;
	int has_gap = 0, has_dist = 0, rc;
	char *save, *tok;

	netem_cfg_init(cfg);
	memset(&ws, 0, sizeof(ws));
	ws.err = err;
	ws.errlen = errlen;
	if (strlen(params) >= sizeof(ws.buf))
		return fail(&ws, "parameters longer than %d characters",
			    MAX_PARAMS - 1);
	strcpy(ws.buf, params);
	for (tok = strtok_r(ws.buf, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (ws.n == MAX_WORDS)
			return fail(&ws, "more than %d words", MAX_WORDS);
		ws.w[ws.n++] = tok;
	}

	while (ws.i < ws.n) {
		kw = ws.w[ws.i++];
		if (!strcmp(kw, "delay") || !strcmp(kw, "latency")) {
			rc = parse_delay(&ws, kw, cfg);
		} else if (!strcmp(kw, "distribution")) {
			rc = parse_distribution(&ws, kw, cfg);
			has_dist = 1;
		} else if (!strcmp(kw, "loss") || !strcmp(kw, "drop")) {
			rc = parse_loss(&ws, kw, cfg);
		} else if (!strcmp(kw, "duplicate")) {
			rc = parse_prob_corr(&ws, kw, &cfg->duplicate,
					     &cfg->dup_corr);
		} else if (!strcmp(kw, "corrupt")) {
			rc = parse_prob_corr(&ws, kw, &cfg->corrupt,
					     &cfg->corrupt_corr);
		} else if (!strcmp(kw, "reorder")) {
			rc = parse_prob_corr(&ws, kw, &cfg->reorder,
					     &cfg->reorder_corr);
		} else if (!strcmp(kw, "gap")) {
			rc = want_int(&ws, kw, "distance", 0, UINT32_MAX, &v);
			cfg->gap = (uint32_t)v;
			has_gap = 1;
		} else if (!strcmp(kw, "rate")) {
			rc = parse_rate(&ws, kw, cfg);
		} else if (!strcmp(kw, "limit")) {
			rc = want_int(&ws, kw, "packets", 1, NETEM_MAX_LIMIT,
				      &v);
			cfg->limit = (uint32_t)v;
		} else if (!strcmp(kw, "slot") || !strcmp(kw, "ecn") ||
			   !strcmp(kw, "seed")) {
			rc = fail(&ws, "%s: not supported by rdt-impair "
				  "(see --seed for the random seed)", kw);
		} else {
			rc = fail(&ws, "unknown keyword \"%s\" (expected "
				  "delay, distribution, loss, duplicate, "
				  "corrupt, reorder, gap, rate or limit)", kw);
		}
		if (rc < 0)
			return -1;
	}
	return check_combination(&ws, cfg, has_gap, has_dist);
}
