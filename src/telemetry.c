/* SPDX-License-Identifier: Apache-2.0 */
/* Consent and delivery settings: config file, mode, token, upload setup. */
#include "telemetry.h"
#include "cli.h"
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

void vt_config_release(struct vt_config_file *c)
{
	free(c->path);
	free(c->telemetry);
	free(c->endpoint);
	free(c->token_file);
	free(c->cacert);
	free(c->cert);
	free(c->key);
	memset(c, 0, sizeof(*c));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int vt_config_load(const char *path, struct vt_config_file *out, char *err,
		   size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	out->path = vt_xstrdup(path);
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, **slot = NULL;

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'",
				 path, lineno);
			goto fail;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		if (strcmp(key, "telemetry") == 0)
			slot = &out->telemetry;
		else if (strcmp(key, "endpoint") == 0)
			slot = &out->endpoint;
		else if (strcmp(key, "token_file") == 0)
			slot = &out->token_file;
		else if (strcmp(key, "cacert") == 0)
			slot = &out->cacert;
		else if (strcmp(key, "cert") == 0)
			slot = &out->cert;
		else if (strcmp(key, "key") == 0)
			slot = &out->key;
		if (!slot) {
			/* The line is not shown: it may be a pasted secret. */
			snprintf(err, errlen,
				 "%s:%u: unknown key (telemetry, endpoint, token_file, cacert, cert or key wanted)",
				 path, lineno);
			goto fail;
		}
		free(*slot);
		*slot = vt_xstrdup(val);
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	vt_config_release(out);
	return -1;
}

static const char *real_getenv(const char *name)
{
	return getenv(name);
}

/* Reads a token file: the first line, without surrounding space. */
static char *read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	char *t = NULL;

	if (!f)
		return NULL;
	if (fgets(buf, sizeof(buf), f)) {
		char *s = trim(buf);

		t = vt_xstrdup(s);
	} else {
		t = vt_xstrdup("");
	}
	memset(buf, 0, sizeof(buf));
	fclose(f);
	return t;
}

extern char **environ;

/*
 * Takes the token out of the environment: a copy is returned (NULL when
 * the variable is not set), and every copy of the value in the process's
 * environment block is overwritten, then the variable removed. So the
 * token is no longer in /proc/PID/environ while the job runs, and no
 * process it might start inherits it.
 */
static char *take_env_token(void)
{
	static const char name[] = "VMCP_TELEMETRY_TOKEN=";
	char *t = NULL;

	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, name, sizeof(name) - 1) != 0)
			continue;
		char *v = *e + sizeof(name) - 1;
		if (!t)
			t = vt_xstrdup(v);
		memset(v, 0, strlen(v));
	}
	unsetenv("VMCP_TELEMETRY_TOKEN");
	return t;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* The token from the file named, else from env (taken over or wiped). */
static int load_token(struct vt_telemetry *t, const struct vt_telemetry_opts *o,
		      char *env)
{
	const char *file = o->token_file ? o->token_file : t->file.token_file;

	if (file) {
		wipe_free(env);
		t->token = read_token(file);
		if (!t->token) {
			vt_cli_error("cannot read the token file '%s': %s", file,
				     strerror(errno));
			return -1;
		}
		t->token_source = o->token_file ? "--token-file"
						: "config file token_file";
	} else if (env && *env) {
		t->token = env;
		t->token_source = "VMCP_TELEMETRY_TOKEN";
	} else {
		free(env);
	}
	if (t->token && (!*t->token || strpbrk(t->token, "\r\n"))) {
		vt_cli_error("the bearer token (from %s) is empty or holds a line break",
			     t->token_source);
		return -1;
	}
	return 0;
}

void vt_user_agent(char *out, size_t n)
{
	struct utsname u;
	const char *os = "unknown", *arch = "unknown";

	if (uname(&u) == 0) {
		os = strcmp(u.sysname, "Linux") == 0 ? "linux" : u.sysname;
		arch = strcmp(u.machine, "x86_64") == 0	   ? "amd64"
		       : strcmp(u.machine, "aarch64") == 0 ? "arm64"
							   : u.machine;
	}
	snprintf(out, n, VT_NAME "/" VT_VERSION " (%s/%s)", os, arch);
}

int vt_telemetry_setup(struct vt_telemetry *t,
		       const struct vt_telemetry_opts *o)
{
	const char *cfg = o->config ? o->config : getenv("VMCP_TELEMETRY_CONFIG");
	struct vt_mode_input in;
	const char *bad = NULL;
	char err[512];

	memset(t, 0, sizeof(*t));
	if (cfg && *cfg && vt_config_load(cfg, &t->file, err, sizeof(err))) {
		vt_cli_error("%s", err);
		return -1;
	}
	in.flag = o->telemetry;
	in.flag_endpoint = o->endpoint;
	in.config_mode = t->file.telemetry;
	in.config_endpoint = t->file.endpoint;
	in.getenv = real_getenv;
	/* ToolHive's own config file: disable_usage_metrics (no file: none). */
	char thpath[4096];
	char *thtext = NULL;
	int missing = 0;
	in.toolhive_config = NULL;
	in.toolhive_config_len = 0;
	if (vt_toolhive_config_path(real_getenv, NULL, thpath,
				    sizeof(thpath)) == 0)
		thtext = vt_read_file(thpath, 1 << 20, &in.toolhive_config_len,
				      &missing);
	in.toolhive_config = thtext;
	int resolved = vt_mode_resolve(&in, &t->decision, &bad);
	free(thtext);
	if (resolved) {
		vt_cli_error("%s must be off, local or on", bad);
		return -1;
	}
	const char *ep = t->decision.endpoint;
	if (ep && strncmp(ep, "https://", 8) != 0 &&
	    strncmp(ep, "http://", 7) != 0) {
		vt_cli_error("the endpoint (from %s) must be an http:// or https:// URL",
			     t->decision.endpoint_source);
		return -1;
	}
	char *env_token = take_env_token();
	if (t->decision.mode != VT_MODE_ON)
		wipe_free(env_token);
	else if (load_token(t, o, env_token))
		return -1;
	struct vt_upload_config *u = &t->upload;
	u->endpoint = ep;
	u->token = t->token;
	u->cacert = o->cacert ? o->cacert : t->file.cacert;
	u->cert = o->cert ? o->cert : t->file.cert;
	u->key = o->key ? o->key : t->file.key;
	u->connect_timeout_s = 10;
	u->low_speed_time_s = 20;
	u->attempt_timeout_s = o->timeout_s > 0 ? o->timeout_s : 30;
	t->deadline_s = o->deadline_s > 0 ? o->deadline_s : 300;
	vt_telemetry_start(t);
	u->max_attempts = 8;
	u->backoff_base_ms = 500;
	u->backoff_cap_ms = 30000;
	vt_user_agent(t->user_agent, sizeof(t->user_agent));
	u->user_agent = t->user_agent;
	return 0;
}

void vt_telemetry_start(struct vt_telemetry *t)
{
	t->upload.deadline_ms = vt_monotonic_ms() + 1000 * t->deadline_s;
}

void vt_telemetry_release(struct vt_telemetry *t)
{
	if (t->token) {
		memset(t->token, 0, strlen(t->token));
		free(t->token);
	}
	vt_config_release(&t->file);
	memset(t, 0, sizeof(*t));
}
