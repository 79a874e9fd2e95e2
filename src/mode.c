/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telemetry mode resolution. The rules are in docs/telemetry.md; the one
 * that matters most: no signal that asks for less telemetry can be
 * outvoted by one that asks for more.
 */
#include "mode.h"
#include "../parser/yaml.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

const char *const vt_mode_names[3] = { "off", "local", "on" };

/* CI environments: never upload from them (ToolHive's own list). */
static const char *const ci_vars[] = {
	"CI",	     "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI",
	"TRAVIS",    "BUILDKITE",      "DRONE",	    "CONTINUOUS_INTEGRATION",
};

static int parse_mode(const char *v, enum vt_wish *out)
{
	if (strcasecmp(v, "off") == 0)
		*out = VT_WISH_OFF;
	else if (strcasecmp(v, "local") == 0)
		*out = VT_WISH_LOCAL;
	else if (strcasecmp(v, "on") == 0)
		*out = VT_WISH_ON;
	else
		return -1;
	return 0;
}

static void add(struct vt_mode_decision *d, const char *source,
		const char *value, enum vt_wish wish)
{
	if (d->nsignals >= VT_MAX_SIGNALS)
		return;
	struct vt_signal *s = &d->signals[d->nsignals++];
	s->source = source;
	snprintf(s->value, sizeof(s->value), "%s", value);
	s->wish = wish;
}

/* DO_NOT_TRACK: anything but empty, "0" or "false" means no. */
static enum vt_wish dnt_wish(const char *v)
{
	if (!*v || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
		return VT_WISH_NONE;
	return VT_WISH_OFF;
}

/*
 * adrg/xdg's ExpandHome, then its test for a usable directory: a leading
 * "~" or "$HOME" of p[0..len) stands for home; the result must be an
 * absolute path. Writes it to out; returns 0, or -1 when p is not usable.
 */
static int xdg_dir(const char *p, size_t len, const char *home, char *out,
		   size_t n)
{
	size_t skip = 0;
	int w;

	if (len && p[0] == '~')
		skip = 1;
	else if (len >= 5 && strncmp(p, "$HOME", 5) == 0)
		skip = 5;
	if (skip) {
		while (skip < len && p[skip] == '/')
			skip++;
		w = snprintf(out, n, "%s%s%.*s", home,
			     home[strlen(home) - 1] == '/' ? "" : "/",
			     (int)(len - skip), p + skip);
	} else {
		w = snprintf(out, n, "%.*s", (int)len, p);
	}
	if (w <= 0 || (size_t)w >= n || out[0] != '/')
		return -1;
	while (w > 1 && out[w - 1] == '/') /* filepath.Join cleans */
		out[--w] = '\0';
	return 0;
}

static int real_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* base/toolhive/config.yaml into out, when base/toolhive is a directory. */
static int toolhive_in(const char *base, int (*is_dir)(const char *path),
		       char *out, size_t n)
{
	int w = snprintf(out, n, "%s/toolhive", base);

	if (w < 0 || (size_t)w >= n || !is_dir(out))
		return -1;
	w = snprintf(out, n, "%s/toolhive/config.yaml", base);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int vt_toolhive_config_path(const char *(*getenv_fn)(const char *name),
			    int (*is_dir)(const char *path), char *out,
			    size_t n)
{
	const char *x = getenv_fn("XDG_CONFIG_HOME"), *h = getenv_fn("HOME");
	const char *dirs = getenv_fn("XDG_CONFIG_DIRS");
	char cfg_home[4096], base[4096];

	if (!is_dir)
		is_dir = real_is_dir;
	if (!h || !*h)
		h = "/"; /* adrg/xdg's home when HOME is empty */
	if (!x || xdg_dir(x, strlen(x), h, cfg_home, sizeof(cfg_home)))
		snprintf(cfg_home, sizeof(cfg_home), "%s%s.config", h,
			 h[strlen(h) - 1] == '/' ? "" : "/");
	/* xdg.ConfigFile: the first base whose toolhive directory exists */
	if (toolhive_in(cfg_home, is_dir, out, n) == 0)
		return 0;
	if (!dirs || !*dirs)
		dirs = "/etc/xdg";
	for (const char *p = dirs; *p;) {
		size_t len = strcspn(p, ":");

		if (xdg_dir(p, len, h, base, sizeof(base)) == 0 &&
		    toolhive_in(base, is_dir, out, n) == 0)
			return 0;
		p += len + (p[len] == ':');
	}
	/* none exists: ToolHive would create it under the config home */
	int w = snprintf(out, n, "%s/toolhive/config.yaml", cfg_home);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/*
 * disable_usage_metrics in ToolHive's config file: a YAML bool that "thv
 * config usage-metrics disable" sets to true (pkg/config/config.go). An
 * unreadable or malformed file is no signal: ToolHive would not start.
 */
static void toolhive_config(const struct vt_mode_input *in,
			    struct vt_mode_decision *d)
{
	struct vt_ydocs docs;
	size_t line;
	const char *what;

	if (!in->toolhive_config ||
	    vt_yaml_load(in->toolhive_config, in->toolhive_config_len, &docs,
			 &line, &what) != VT_OK)
		return;
	if (docs.n && vt_yaml_bool(vt_yaml_get(&docs.docs[0],
					       "disable_usage_metrics")) == 1)
		add(d, "ToolHive config (disable_usage_metrics)", "true",
		    VT_WISH_OFF);
	vt_yaml_free(&docs);
}

static int collect(const struct vt_mode_input *in, struct vt_mode_decision *d,
		   const char **bad)
{
	enum vt_wish w;
	const char *v;

	if (in->flag) {
		if (parse_mode(in->flag, &w))
			return *bad = "--telemetry", -1;
		add(d, "--telemetry", in->flag, w);
	}
	if ((v = in->getenv("VMCP_TELEMETRY"))) {
		if (parse_mode(v, &w))
			return *bad = "VMCP_TELEMETRY", -1;
		add(d, "VMCP_TELEMETRY", v, w);
	}
	/* Its value is never shown: only that it is set. */
	if ((v = in->getenv("DO_NOT_TRACK")))
		add(d, "DO_NOT_TRACK", "set", dnt_wish(v));
	if ((v = in->getenv("TOOLHIVE_USAGE_METRICS_ENABLED")))
		add(d, "TOOLHIVE_USAGE_METRICS_ENABLED", v,
		    strcmp(v, "false") == 0 ? VT_WISH_OFF : VT_WISH_NONE);
	toolhive_config(in, d);
	/* ToolHive: strings.EqualFold(v, "true") (pkg/updates/client.go) */
	if ((v = in->getenv("TOOLHIVE_SKIP_UPDATE_CHECK")))
		add(d, "TOOLHIVE_SKIP_UPDATE_CHECK", v,
		    strcasecmp(v, "true") == 0 ? VT_WISH_LOCAL : VT_WISH_NONE);
	/* ToolHive: any non-empty value is CI, "false" and "0" included */
	for (size_t i = 0; i < sizeof(ci_vars) / sizeof(ci_vars[0]); i++)
		if ((v = in->getenv(ci_vars[i])) && *v)
			add(d, ci_vars[i], v, VT_WISH_LOCAL);
	if (in->config_mode) {
		if (parse_mode(in->config_mode, &w))
			return *bad = "config file", -1;
		add(d, "config file", in->config_mode, w);
	}
	return 0;
}

static void pick_endpoint(const struct vt_mode_input *in,
			  struct vt_mode_decision *d)
{
	const char *v;

	if (in->flag_endpoint && *in->flag_endpoint) {
		d->endpoint = in->flag_endpoint;
		d->endpoint_source = "--endpoint";
	} else if ((v = in->getenv("VMCP_TELEMETRY_ENDPOINT")) && *v) {
		d->endpoint = v;
		d->endpoint_source = "VMCP_TELEMETRY_ENDPOINT";
	} else if (in->config_endpoint && *in->config_endpoint) {
		d->endpoint = in->config_endpoint;
		d->endpoint_source = "config file";
	}
}

static int first_with(const struct vt_mode_decision *d, enum vt_wish w)
{
	for (size_t i = 0; i < d->nsignals; i++)
		if (d->signals[i].wish == w)
			return (int)i;
	return -1;
}

int vt_mode_resolve(const struct vt_mode_input *in,
		    struct vt_mode_decision *out, const char **bad)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->decided_by = -1;
	if (collect(in, out, bad))
		return -1;
	pick_endpoint(in, out);
	if ((i = first_with(out, VT_WISH_OFF)) >= 0) {
		out->mode = VT_MODE_OFF;
		out->decided_by = i;
		out->reason = "an opt-out signal turns telemetry off";
	} else if ((i = first_with(out, VT_WISH_LOCAL)) >= 0) {
		out->mode = VT_MODE_LOCAL;
		out->decided_by = i;
		out->reason = "a signal keeps telemetry local: reports are written, never sent";
	} else if ((i = first_with(out, VT_WISH_ON)) >= 0) {
		out->decided_by = i;
		if (out->endpoint) {
			out->mode = VT_MODE_ON;
			out->reason = "upload was asked for and an endpoint is set";
		} else {
			out->mode = VT_MODE_LOCAL;
			out->reason = "upload was asked for, but no endpoint is set (there is no built-in one)";
		}
	} else {
		out->mode = VT_MODE_LOCAL;
		out->reason = "the default: reports are written locally, never sent";
	}
	return 0;
}
