/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: telemetry mode resolution and upload backoff arithmetic. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../reporter/upload.h"
#include "../../src/mode.h"

/* A fake environment, so every test controls every variable. */
static const char *env_names[16];
static const char *env_values[16];
static size_t env_count;

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < env_count; i++)
		if (strcmp(env_names[i], name) == 0)
			return env_values[i];
	return NULL;
}

/* Directories that exist for the config-path tests ("" ends it). */
static const char *const *fake_dirs;

static int fake_is_dir(const char *path)
{
	for (size_t i = 0; fake_dirs && *fake_dirs[i]; i++)
		if (strcmp(path, fake_dirs[i]) == 0)
			return 1;
	return 0;
}

static const char *th_path(void)
{
	static char path[512];

	ck_assert_int_eq(vt_toolhive_config_path(fake_getenv, fake_is_dir,
						 path, sizeof(path)), 0);
	return path;
}

static void env_set(const char *name, const char *value)
{
	env_names[env_count] = name;
	env_values[env_count] = value;
	env_count++;
}

static struct vt_mode_input input(const char *flag, const char *endpoint,
				  const char *config)
{
	struct vt_mode_input in = { flag, endpoint, config, NULL,
				    fake_getenv, NULL, 0 };
	return in;
}

static enum vt_mode resolve(const struct vt_mode_input *in)
{
	struct vt_mode_decision d;
	const char *bad = NULL;

	ck_assert_int_eq(vt_mode_resolve(in, &d, &bad), 0);
	return d.mode;
}

/*
 * Every combination of: the flag (none/off/local/on), VMCP_TELEMETRY
 * (none/off/local/on), the config file (none/off/local/on), DO_NOT_TRACK
 * (unset/"1"/"0"), TOOLHIVE_USAGE_METRICS_ENABLED (unset/false/true),
 * CI (unset/true) and an endpoint (none/set): 4*4*4*3*3*2*2 = 2304 cases
 * checked against the rule written out plainly.
 */
START_TEST(every_combination)
{
	static const char *const modes[] = { NULL, "off", "local", "on" };
	static const char *const dnt[] = { NULL, "1", "0" };
	static const char *const tum[] = { NULL, "false", "true" };
	static const char *const ci[] = { NULL, "true" };
	static const char *const ep[] = { NULL, "https://collector.example/" };
	unsigned cases = 0;

	for (int f = 0; f < 4; f++)
	for (int e = 0; e < 4; e++)
	for (int c = 0; c < 4; c++)
	for (int d = 0; d < 3; d++)
	for (int t = 0; t < 3; t++)
	for (int i = 0; i < 2; i++)
	for (int p = 0; p < 2; p++) {
		struct vt_mode_input in = input(modes[f], ep[p], modes[c]);
		const char *all[] = { modes[f], modes[e], modes[c] };
		int any_off = 0, any_local = 0, any_on = 0;
		enum vt_mode want;

		env_count = 0;
		if (modes[e])
			env_set("VMCP_TELEMETRY", modes[e]);
		if (dnt[d])
			env_set("DO_NOT_TRACK", dnt[d]);
		if (tum[t])
			env_set("TOOLHIVE_USAGE_METRICS_ENABLED", tum[t]);
		if (ci[i])
			env_set("CI", ci[i]);
		for (int k = 0; k < 3; k++) {
			any_off |= all[k] && strcmp(all[k], "off") == 0;
			any_local |= all[k] && strcmp(all[k], "local") == 0;
			any_on |= all[k] && strcmp(all[k], "on") == 0;
		}
		any_off |= d == 1 || t == 1;
		any_local |= i == 1;
		if (any_off)
			want = VT_MODE_OFF;
		else if (any_local || !any_on || !ep[p])
			want = VT_MODE_LOCAL;
		else
			want = VT_MODE_ON;
		ck_assert_msg(resolve(&in) == want,
			      "flag=%s env=%s config=%s dnt=%s tum=%s ci=%s ep=%d",
			      modes[f] ? modes[f] : "-",
			      modes[e] ? modes[e] : "-",
			      modes[c] ? modes[c] : "-",
			      dnt[d] ? dnt[d] : "-", tum[t] ? tum[t] : "-",
			      ci[i] ? ci[i] : "-", p);
		cases++;
	}
	ck_assert_uint_eq(cases, 2304);
}
END_TEST

START_TEST(every_ci_variable_blocks_upload)
{
	static const char *const vars[] = {
		"CI",	  "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI",
		"TRAVIS", "BUILDKITE",	    "DRONE",	 "CONTINUOUS_INTEGRATION",
	};
	struct vt_mode_input in = input("on", "https://c.example/", NULL);

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		env_count = 0;
		env_set(vars[i], "true");
		ck_assert_int_eq(resolve(&in), VT_MODE_LOCAL);
		/* ToolHive counts any non-empty value as CI, even "false" */
		env_count = 0;
		env_set(vars[i], "false");
		ck_assert_int_eq(resolve(&in), VT_MODE_LOCAL);
		env_count = 0;
		env_set(vars[i], "");
		ck_assert_int_eq(resolve(&in), VT_MODE_ON);
	}
	/* TOOLHIVE_SKIP_UPDATE_CHECK: a caseless "true", nothing else */
	static const struct {
		const char *v;
		enum vt_mode want;
	} skip[] = {
		{ "true", VT_MODE_LOCAL }, { "TRUE", VT_MODE_LOCAL },
		{ "True", VT_MODE_LOCAL }, { "1", VT_MODE_ON },
		{ "yes", VT_MODE_ON },	   { "", VT_MODE_ON },
	};
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		env_count = 0;
		env_set("TOOLHIVE_SKIP_UPDATE_CHECK", skip[i].v);
		ck_assert_int_eq(resolve(&in), skip[i].want);
	}
}
END_TEST

/* disable_usage_metrics in ToolHive's config file, and where it is. */
START_TEST(toolhive_config_file)
{
	static const struct {
		const char *text;
		enum vt_mode want;
	} cases[] = {
		{ "disable_usage_metrics: true\n", VT_MODE_OFF },
		{ "secrets: {}\ndisable_usage_metrics: true\n", VT_MODE_OFF },
		{ "disable_usage_metrics: false\n", VT_MODE_ON },
		{ "disable_usage_metrics: \"maybe\"\n", VT_MODE_ON },
		{ "other: 1\n", VT_MODE_ON },
		{ "[not: yaml", VT_MODE_ON },
	};
	struct vt_mode_input in = input("on", "https://c.example/", NULL);
	env_count = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in.toolhive_config = cases[i].text;
		in.toolhive_config_len = strlen(cases[i].text);
		ck_assert_int_eq(resolve(&in), cases[i].want);
	}
	static const char *const homes[] = {
		"/hm/u/.config/toolhive", "/cfg/toolhive",
		"/hm/u/cfg/toolhive", "/.config/toolhive", "/x/toolhive", "",
	};
	static const char *const systems[] = {
		"/srv/xdg/toolhive", "/etc/xdg/toolhive", "/hm/u/toolhive", "",
	};
	fake_dirs = homes;
	env_count = 0;
	env_set("HOME", "/hm/u");
	ck_assert_str_eq(th_path(), "/hm/u/.config/toolhive/config.yaml");
	env_set("XDG_CONFIG_HOME", "/cfg");
	ck_assert_str_eq(th_path(), "/cfg/toolhive/config.yaml");
	/* adrg/xdg expands a leading ~ or $HOME (ExpandHome) */
	env_count = 0;
	env_set("HOME", "/hm/u");
	env_set("XDG_CONFIG_HOME", "~/cfg");
	ck_assert_str_eq(th_path(), "/hm/u/cfg/toolhive/config.yaml");
	env_values[1] = "$HOME/cfg";
	ck_assert_str_eq(th_path(), "/hm/u/cfg/toolhive/config.yaml");
	/* a relative one is ignored: the default */
	env_values[1] = "cfg";
	ck_assert_str_eq(th_path(), "/hm/u/.config/toolhive/config.yaml");
	/* no HOME: "/" */
	env_count = 0;
	ck_assert_str_eq(th_path(), "/.config/toolhive/config.yaml");
	env_set("HOME", "");
	env_set("XDG_CONFIG_HOME", "~/x");
	ck_assert_str_eq(th_path(), "/x/toolhive/config.yaml");
	/* XDG_CONFIG_DIRS when the config home has no toolhive directory */
	fake_dirs = systems;
	env_count = 0;
	env_set("HOME", "/hm/u");
	env_set("XDG_CONFIG_DIRS", "relative:/opt/none:/srv/xdg");
	ck_assert_str_eq(th_path(), "/srv/xdg/toolhive/config.yaml");
	env_values[1] = "";
	ck_assert_str_eq(th_path(), "/etc/xdg/toolhive/config.yaml");
	env_set("XDG_CONFIG_HOME", "/srv/xdg");
	ck_assert_str_eq(th_path(), "/srv/xdg/toolhive/config.yaml");
	/* the config home wins when its directory exists */
	env_values[1] = "/srv/xdg";
	env_values[2] = "~";
	ck_assert_str_eq(th_path(), "/hm/u/toolhive/config.yaml");
	/* no toolhive directory anywhere: the config home's */
	env_values[2] = "/nowhere";
	env_values[1] = "/opt/none";
	ck_assert_str_eq(th_path(), "/nowhere/toolhive/config.yaml");
}
END_TEST

START_TEST(do_not_track_values)
{
	static const struct { const char *v; int off; } cases[] = {
		{ "1", 1 }, { "true", 1 }, { "yes", 1 }, { "anything", 1 },
		{ "", 0 },  { "0", 0 },	   { "false", 0 }, { "FALSE", 0 },
	};
	struct vt_mode_input in = input("on", "https://c.example/", NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_count = 0;
		env_set("DO_NOT_TRACK", cases[i].v);
		ck_assert_int_eq(resolve(&in),
				 cases[i].off ? VT_MODE_OFF : VT_MODE_ON);
	}
}
END_TEST

START_TEST(decision_names_the_deciding_signal)
{
	struct vt_mode_decision d;
	const char *bad = NULL;
	struct vt_mode_input in = input("on", "https://c.example/", NULL);

	env_count = 0;
	env_set("DO_NOT_TRACK", "1");
	env_set("CI", "true");
	ck_assert_int_eq(vt_mode_resolve(&in, &d, &bad), 0);
	ck_assert_int_eq(d.mode, VT_MODE_OFF);
	ck_assert_str_eq(d.signals[d.decided_by].source, "DO_NOT_TRACK");
	ck_assert_str_eq(d.signals[d.decided_by].value, "set"); /* never its value */
	ck_assert_uint_eq(d.nsignals, 3); /* the flag, DNT and CI, all listed */
	ck_assert_str_eq(d.endpoint_source, "--endpoint");
	/* a bad value is an error naming its source */
	in = input("maybe", NULL, NULL);
	env_count = 0;
	ck_assert_int_eq(vt_mode_resolve(&in, &d, &bad), -1);
	ck_assert_str_eq(bad, "--telemetry");
	/* the endpoint's precedence: flag, then env, then config */
	in = input(NULL, NULL, NULL);
	in.config_endpoint = "https://from-config/";
	env_set("VMCP_TELEMETRY_ENDPOINT", "https://from-env/");
	ck_assert_int_eq(vt_mode_resolve(&in, &d, &bad), 0);
	ck_assert_str_eq(d.endpoint, "https://from-env/");
	ck_assert_int_eq(d.mode, VT_MODE_LOCAL); /* an endpoint alone is no opt-in */
}
END_TEST

START_TEST(backoff_grows_and_is_capped)
{
	/* The ceiling doubles from the base and stops at the cap. */
	for (unsigned attempt = 1; attempt < 40; attempt++) {
		int64_t ceiling = 500;

		for (unsigned i = 1; i < attempt && ceiling < 30000; i++)
			ceiling *= 2;
		if (ceiling > 30000)
			ceiling = 30000;
		/* rnd = ceiling gives the top of the range, 0 the bottom */
		ck_assert_int_eq(vt_backoff_ms(attempt, 500, 30000,
					       (uint64_t)ceiling, 0),
				 ceiling);
		ck_assert_int_eq(vt_backoff_ms(attempt, 500, 30000, 0, 0), 0);
		for (uint64_t r = 1; r < 2000; r += 97)
			ck_assert_int_le(vt_backoff_ms(attempt, 500, 30000,
						       r * 7919, 0),
					 ceiling);
	}
	ck_assert_int_eq(vt_backoff_ms(1, 500, 30000, 501, 0), 0); /* 501 % 501 */
	ck_assert_int_eq(vt_backoff_ms(1000000, 500, 30000, 30000, 0), 30000);
}
END_TEST

START_TEST(retry_after_wins_when_longer)
{
	ck_assert_int_eq(vt_backoff_ms(1, 500, 30000, 100, 7), 7000);
	/* a shorter Retry-After does not shorten the jittered wait */
	ck_assert_int_eq(vt_backoff_ms(3, 500, 30000, 1999, 1), 1999);
	ck_assert_int_eq(vt_backoff_ms(3, 500, 30000, 1999, 0), 1999);
}
END_TEST

START_TEST(jitter_is_spread)
{
	uint64_t s = 42;
	int64_t lo = INT64_MAX, hi = 0;

	for (int i = 0; i < 1000; i++) {
		int64_t w = vt_backoff_ms(5, 500, 30000, vt_rand_next(&s), 0);

		lo = w < lo ? w : lo;
		hi = w > hi ? w : hi;
	}
	ck_assert_int_lt(lo, 800);   /* full jitter reaches near 0 */
	ck_assert_int_gt(hi, 7200);  /* and near the 8000 ms ceiling */
}
END_TEST

Suite *mode_suite(void);

Suite *mode_suite(void)
{
	Suite *s = suite_create("mode");
	TCase *tc = tcase_create("mode");

	tcase_add_test(tc, every_combination);
	tcase_add_test(tc, every_ci_variable_blocks_upload);
	tcase_add_test(tc, toolhive_config_file);
	tcase_add_test(tc, do_not_track_values);
	tcase_add_test(tc, decision_names_the_deciding_signal);
	tcase_add_test(tc, backoff_grows_and_is_capped);
	tcase_add_test(tc, retry_after_wins_when_longer);
	tcase_add_test(tc, jitter_is_spread);
	suite_add_tcase(s, tc);
	return s;
}
