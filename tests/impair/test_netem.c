/*
 * test_netem.c: unit tests for tools/rdt-impair/netem.c (tc-netem's
 * parameter grammar) and command.c (profile and control lines).
 *
 * Expected values are tc's: probabilities scaled so that 100% is
 * UINT32_MAX, times in nanoseconds, rates in bit/s.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/rdt-impair/command.h"
#include "../../tools/rdt-impair/netem.h"

#define MS 1000000ull
#define US 1000ull

/* tc's scaling of a percentage. */
static netem_prob pct(double p)
{
	return (netem_prob)llround(p / 100.0 * (double)UINT32_MAX);
}

static struct netem_cfg parse_ok(const char *params)
{
	struct netem_cfg cfg;
	char err[256] = "";

	if (netem_parse(&cfg, params, err, sizeof(err)) != 0)
		fail_msg("\"%s\" was refused: %s", params, err);
	return cfg;
}

/* Parses |params|, which must fail with a message containing |needle|. */
static void parse_bad(const char *params, const char *needle)
{
	struct netem_cfg cfg;
	char err[256] = "";

	if (netem_parse(&cfg, params, err, sizeof(err)) == 0)
		fail_msg("\"%s\" was accepted", params);
	if (!strstr(err, needle))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", params, err,
			 needle);
	assert_null(strchr(err, '\n'));
}

static void test_netem_empty_is_no_impairment(void **state)
{
	struct netem_cfg cfg = parse_ok("");

	(void)state;
	assert_int_equal(cfg.latency, 0);
	assert_int_equal(cfg.jitter, 0);
	assert_int_equal(cfg.loss_model, NETEM_LOSS_NONE);
	assert_int_equal(cfg.duplicate, 0);
	assert_int_equal(cfg.corrupt, 0);
	assert_int_equal(cfg.reorder, 0);
	assert_int_equal(cfg.rate, 0);
	assert_int_equal(cfg.limit, NETEM_DEFAULT_LIMIT);
	cfg = parse_ok("  \t ");
	assert_int_equal(cfg.limit, NETEM_DEFAULT_LIMIT);
}

static void test_netem_time_units(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} ok[] = {
		{ "10ms", 10 * MS }, { "1.5s", 1500 * MS },
		{ "200us", 200 * US }, { "7ns", 7 }, { "250", 250 * US },
		{ "2sec", 2000 * MS }, { "3secs", 3000 * MS },
		{ "4msec", 4 * MS }, { "5msecs", 5 * MS },
		{ "6usec", 6 * US }, { "8usecs", 8 * US }, { "9nsec", 9 },
		{ "10nsecs", 10 }, { "10MS", 10 * MS }, { ".5ms", MS / 2 },
		{ "0", 0 }, { "3600s", 3600000 * MS },
	};
	static const char *const bad[] = {
		"", "ms", "10xs", "-1ms", "10 ms", "inf", "nan", "1e999s",
		"3601s", "10m", "0x10ms", "+5ms",
	};
	uint64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (netem_parse_time(ok[i].s, &ns) != 0)
			fail_msg("time \"%s\" refused", ok[i].s);
		assert_int_equal(ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (netem_parse_time(bad[i], &ns) == 0)
			fail_msg("time \"%s\" accepted", bad[i]);
}

static void test_netem_rate_units(void **state)
{
	static const struct {
		const char *s;
		uint64_t bps;
	} ok[] = {
		{ "10mbit", 10000000 }, { "100kbit", 100000 },
		{ "1gbit", 1000000000 }, { "2tbit", 2000000000000ull },
		{ "500kbps", 4000000 }, { "1mbps", 8000000 },
		{ "3bps", 24 }, { "1kibit", 1024 }, { "1mibit", 1048576 },
		{ "1gibit", 1073741824 }, { "1kibps", 8192 },
		{ "10Mbit", 10000000 }, { "1.5mbit", 1500000 },
		{ "1000", 1000 }, { "8bit", 8 },
	};
	static const char *const bad[] = {
		"", "mbit", "10mbits", "0mbit", "0", "-1mbit", "10 mbit",
		"1e999bit", "200tbit", "inf",
	};
	uint64_t bps;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (netem_parse_rate(ok[i].s, &bps) != 0)
			fail_msg("rate \"%s\" refused", ok[i].s);
		assert_int_equal(bps, ok[i].bps);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (netem_parse_rate(bad[i], &bps) == 0)
			fail_msg("rate \"%s\" accepted", bad[i]);
}

static void test_netem_percent(void **state)
{
	netem_prob p;

	(void)state;
	assert_int_equal(netem_parse_percent("1%", &p), 0);
	assert_int_equal(p, pct(1));
	assert_int_equal(netem_parse_percent("0.5%", &p), 0);
	assert_int_equal(p, pct(0.5));
	/* tc reads a bare number as a percentage too. */
	assert_int_equal(netem_parse_percent("25", &p), 0);
	assert_int_equal(p, pct(25));
	assert_int_equal(netem_parse_percent("100%", &p), 0);
	assert_int_equal(p, UINT32_MAX);
	assert_int_equal(netem_parse_percent("0%", &p), 0);
	assert_int_equal(p, 0);
	assert_true(netem_parse_percent("101%", &p) < 0);
	assert_true(netem_parse_percent("-1%", &p) < 0);
	assert_true(netem_parse_percent("1%%", &p) < 0);
	assert_true(netem_parse_percent("%", &p) < 0);
	assert_true(netem_parse_percent("abc", &p) < 0);
	assert_true(netem_parse_percent("1 %", &p) < 0);
	assert_true(netem_parse_percent("nan", &p) < 0);
	assert_float_equal(netem_prob_value(pct(30)), 0.30, 1e-9);
}

static void test_netem_delay(void **state)
{
	struct netem_cfg cfg = parse_ok("delay 10ms");

	(void)state;
	assert_int_equal(cfg.latency, 10 * MS);
	assert_int_equal(cfg.jitter, 0);
	cfg = parse_ok("delay 100ms 10ms 25%");
	assert_int_equal(cfg.latency, 100 * MS);
	assert_int_equal(cfg.jitter, 10 * MS);
	assert_int_equal(cfg.delay_corr, pct(25));
	assert_int_equal(cfg.dist, NETEM_DIST_UNIFORM);
	cfg = parse_ok("latency 1s 2ms");
	assert_int_equal(cfg.latency, 1000 * MS);
	assert_int_equal(cfg.jitter, 2 * MS);
	parse_bad("delay", "delay: missing time");
	parse_bad("delay fast", "delay: bad time \"fast\"");
	parse_bad("delay 10ms 1xs", "delay: bad jitter \"1xs\"");
	parse_bad("delay 10ms 1ms 200%", "delay: bad correlation \"200%\"");
}

static void test_netem_distribution(void **state)
{
	static const struct {
		const char *name;
		enum netem_dist d;
	} dists[] = {
		{ "uniform", NETEM_DIST_UNIFORM },
		{ "normal", NETEM_DIST_NORMAL },
		{ "pareto", NETEM_DIST_PARETO },
		{ "paretonormal", NETEM_DIST_PARETONORMAL },
	};
	struct netem_cfg cfg;
	char params[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dists) / sizeof(dists[0]); i++) {
		snprintf(params, sizeof(params),
			 "delay 10ms 2ms distribution %s", dists[i].name);
		cfg = parse_ok(params);
		assert_int_equal(cfg.dist, dists[i].d);
	}
	/* tc accepts the distribution before the delay too. */
	cfg = parse_ok("distribution normal delay 10ms 2ms");
	assert_int_equal(cfg.dist, NETEM_DIST_NORMAL);
	parse_bad("delay 10ms 2ms distribution gauss",
		  "unknown distribution \"gauss\"");
	parse_bad("delay 10ms distribution normal",
		  "distribution: needs a delay with a jitter");
	parse_bad("distribution", "distribution: missing name");
}

static void test_netem_loss_random(void **state)
{
	struct netem_cfg cfg = parse_ok("loss 1%");

	(void)state;
	assert_int_equal(cfg.loss_model, NETEM_LOSS_RANDOM);
	assert_int_equal(cfg.loss, pct(1));
	assert_int_equal(cfg.loss_corr, 0);
	cfg = parse_ok("loss random 0.5% 25%");
	assert_int_equal(cfg.loss_model, NETEM_LOSS_RANDOM);
	assert_int_equal(cfg.loss, pct(0.5));
	assert_int_equal(cfg.loss_corr, pct(25));
	cfg = parse_ok("drop 3%");
	assert_int_equal(cfg.loss, pct(3));
	parse_bad("loss", "loss: missing percentage");
	parse_bad("loss lots", "loss: bad percentage or model \"lots\"");
	parse_bad("loss random x", "loss: bad percentage \"x\"");
	parse_bad("loss 1% loss 2%", "loss: given twice");
	parse_bad("loss state 1%", "4-state loss model is not supported");
}

static void test_netem_loss_gemodel(void **state)
{
	struct netem_cfg cfg = parse_ok("loss gemodel 1%");

	(void)state;
	/* tc's defaults: R 100%, 1-H 100%, 1-K 0. */
	assert_int_equal(cfg.loss_model, NETEM_LOSS_GEMODEL);
	assert_int_equal(cfg.ge_p, pct(1));
	assert_int_equal(cfg.ge_r, UINT32_MAX);
	assert_int_equal(cfg.ge_bad_loss, UINT32_MAX);
	assert_int_equal(cfg.ge_good_loss, 0);
	cfg = parse_ok("loss gemodel 2% 30% 80% 0.1% delay 1ms");
	assert_int_equal(cfg.ge_p, pct(2));
	assert_int_equal(cfg.ge_r, pct(30));
	assert_int_equal(cfg.ge_bad_loss, pct(80));
	assert_int_equal(cfg.ge_good_loss, pct(0.1));
	assert_int_equal(cfg.latency, MS);
	cfg = parse_ok("loss gemodel 2% 30%");
	assert_int_equal(cfg.ge_r, pct(30));
	assert_int_equal(cfg.ge_bad_loss, UINT32_MAX);
	parse_bad("loss gemodel", "loss gemodel: missing P");
	parse_bad("loss gemodel 1% 300%", "loss gemodel: bad R \"300%\"");
	parse_bad("loss gemodel 1% 3% 1-h", "loss gemodel: bad 1-H \"1-h\"");
}

static void test_netem_duplicate_corrupt(void **state)
{
	struct netem_cfg cfg = parse_ok("duplicate 1% corrupt 0.1% 5%");

	(void)state;
	assert_int_equal(cfg.duplicate, pct(1));
	assert_int_equal(cfg.dup_corr, 0);
	assert_int_equal(cfg.corrupt, pct(0.1));
	assert_int_equal(cfg.corrupt_corr, pct(5));
	cfg = parse_ok("duplicate 2% 50%");
	assert_int_equal(cfg.dup_corr, pct(50));
	parse_bad("duplicate", "duplicate: missing percentage");
	parse_bad("corrupt -1%", "corrupt: bad percentage \"-1%\"");
}

static void test_netem_reorder_and_gap(void **state)
{
	struct netem_cfg cfg = parse_ok("delay 10ms reorder 25% 50%");

	(void)state;
	assert_int_equal(cfg.reorder, pct(25));
	assert_int_equal(cfg.reorder_corr, pct(50));
	/* tc: reorder without gap means gap 1. */
	assert_int_equal(cfg.gap, 1);
	cfg = parse_ok("delay 10ms reorder 25% gap 5");
	assert_int_equal(cfg.gap, 5);
	cfg = parse_ok("gap 3 reorder 10% delay 1ms");
	assert_int_equal(cfg.gap, 3);
	parse_bad("reorder 25%", "reordering needs a delay");
	parse_bad("delay 10ms gap 5", "gap: given without a reorder");
	parse_bad("delay 10ms reorder 1% gap -1", "gap: bad distance");
	parse_bad("delay 10ms reorder 1% gap", "gap: missing distance");
}

static void test_netem_rate_and_limit(void **state)
{
	struct netem_cfg cfg = parse_ok("rate 10mbit limit 50");

	(void)state;
	assert_int_equal(cfg.rate, 10000000);
	assert_int_equal(cfg.limit, 50);
	cfg = parse_ok("rate 1gbit 20 48 -4");
	assert_int_equal(cfg.rate, 1000000000);
	assert_int_equal(cfg.packet_overhead, 20);
	assert_int_equal(cfg.cell_size, 48);
	assert_int_equal(cfg.cell_overhead, -4);
	cfg = parse_ok("rate 500kbps -14");
	assert_int_equal(cfg.rate, 4000000);
	assert_int_equal(cfg.packet_overhead, -14);
	parse_bad("rate fast", "rate: bad rate \"fast\"");
	parse_bad("rate 0mbit", "rate: bad rate \"0mbit\"");
	parse_bad("rate 10mbit 1.5", "rate: bad packet overhead \"1.5\"");
	parse_bad("limit 0", "limit: bad packets \"0\"");
	parse_bad("limit lots", "limit: bad packets \"lots\"");
	parse_bad("limit 1000001", "limit: bad packets");
	parse_bad("limit", "limit: missing packets");
}

static void test_netem_unknown_and_unsupported(void **state)
{
	char long_params[2000];

	(void)state;
	parse_bad("delay 10ms jitter 5ms", "unknown keyword \"jitter\"");
	parse_bad("slot 10ms", "slot: not supported");
	parse_bad("loss 1% ecn", "ecn: not supported");
	memset(long_params, 'x', sizeof(long_params) - 1);
	long_params[sizeof(long_params) - 1] = '\0';
	parse_bad(long_params, "longer than");
}

static void test_netem_everything_at_once(void **state)
{
	struct netem_cfg cfg = parse_ok(
		"delay 20ms 5ms 10% distribution paretonormal loss 1% "
		"duplicate 2% corrupt 3% reorder 4% gap 2 rate 10mbit "
		"limit 100");

	(void)state;
	assert_int_equal(cfg.latency, 20 * MS);
	assert_int_equal(cfg.jitter, 5 * MS);
	assert_int_equal(cfg.delay_corr, pct(10));
	assert_int_equal(cfg.dist, NETEM_DIST_PARETONORMAL);
	assert_int_equal(cfg.loss, pct(1));
	assert_int_equal(cfg.duplicate, pct(2));
	assert_int_equal(cfg.corrupt, pct(3));
	assert_int_equal(cfg.reorder, pct(4));
	assert_int_equal(cfg.gap, 2);
	assert_int_equal(cfg.rate, 10000000);
	assert_int_equal(cfg.limit, 100);
}

static void test_command_lines(void **state)
{
	struct command cmd;
	char line[256], err[256];

	(void)state;
	strcpy(line, "a2b delay 10ms # the uplink\n");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, COMMAND_SET);
	assert_int_equal(cmd.dirs, DIR_BIT(DIR_A2B));
	assert_int_equal(cmd.cfg.latency, 10 * MS);
	strcpy(line, "b2a loss 5%");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.dirs, DIR_BIT(DIR_B2A));
	strcpy(line, "  both  ");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, COMMAND_SET);
	assert_int_equal(cmd.dirs, DIR_BIT(DIR_A2B) | DIR_BIT(DIR_B2A));
	assert_int_equal(cmd.cfg.loss_model, NETEM_LOSS_NONE);
	strcpy(line, "down");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, COMMAND_DOWN);
	strcpy(line, "up\r\n");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, COMMAND_UP);
	strcpy(line, "   # nothing here");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, COMMAND_NONE);
	strcpy(line, "");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, COMMAND_NONE);

	strcpy(line, "down now");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "down: takes no parameters"));
	strcpy(line, "sideways delay 1ms");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown command \"sideways\""));
	strcpy(line, "a2b delay");
	assert_int_equal(command_parse(line, &cmd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a2b: delay: missing time"));
}

/* Writes |text| to a fresh temporary file; returns its name. */
static char *temp_profile(const char *text)
{
	char *path = strdup("/tmp/test_netem_profile.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_profile_load(void **state)
{
	struct netem_cfg cfg[DIR_COUNT];
	char err[512];
	char *path;

	(void)state;
	netem_cfg_init(&cfg[DIR_A2B]);
	netem_cfg_init(&cfg[DIR_B2A]);
	path = temp_profile("# a lossy uplink\n\nboth delay 5ms\n"
			    "a2b delay 20ms loss 1%   # later lines win\n"
			    "b2a rate 1mbit");
	assert_int_equal(profile_load(path, cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg[DIR_A2B].latency, 20 * MS);
	assert_int_equal(cfg[DIR_A2B].loss, pct(1));
	assert_int_equal(cfg[DIR_B2A].latency, 0);
	assert_int_equal(cfg[DIR_B2A].rate, 1000000);
	unlink(path);
	free(path);

	path = temp_profile("a2b delay 1ms\nb2a loss 1% loss 2%\n");
	assert_int_equal(profile_load(path, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: b2a: loss: given twice"));
	unlink(path);
	free(path);

	path = temp_profile("down\n");
	assert_int_equal(profile_load(path, cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: up and down are control commands"));
	unlink(path);
	free(path);

	assert_int_equal(profile_load("/nonexistent/profile", cfg, err,
				      sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netem_empty_is_no_impairment),
		cmocka_unit_test(test_netem_time_units),
		cmocka_unit_test(test_netem_rate_units),
		cmocka_unit_test(test_netem_percent),
		cmocka_unit_test(test_netem_delay),
		cmocka_unit_test(test_netem_distribution),
		cmocka_unit_test(test_netem_loss_random),
		cmocka_unit_test(test_netem_loss_gemodel),
		cmocka_unit_test(test_netem_duplicate_corrupt),
		cmocka_unit_test(test_netem_reorder_and_gap),
		cmocka_unit_test(test_netem_rate_and_limit),
		cmocka_unit_test(test_netem_unknown_and_unsupported),
		cmocka_unit_test(test_netem_everything_at_once),
		cmocka_unit_test(test_command_lines),
		cmocka_unit_test(test_profile_load),
	};

	return cmocka_run_group_tests_name("netem", tests, NULL, NULL);
}
