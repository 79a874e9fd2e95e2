/* SPDX-License-Identifier: Apache-2.0 */
/* What the commands share: tables, diagnostics, writing a report. */
#include "common.h"
#include "../aggregator/config.h"
#include "cli.h"
#include "../parser/source.h"
#include "../reporter/report.h"
#include "../util/buf.h"
#include "../util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void vt_print_diag(void *ctx, const char *path, uint64_t line,
		       uint64_t offset, const char *what)
{
	struct vt_diag_state *d = ctx;

	if (d->path != path) {
		d->path = path;
		d->in_file = 0;
	}
	if (d->quiet)
		return;
	if (++d->in_file > DIAG_PER_FILE) {
		d->suppressed++;
		return;
	}
	vt_progress_hold(d->progress);
	if (line)
		vt_cli_error("%s:%llu (byte %llu): %s", path,
			     (unsigned long long)line,
			     (unsigned long long)offset, what);
	else
		vt_cli_error("%s: %s", path, what);
	vt_progress_resume(d->progress);
}

static char *read_all(const char *path, int flags, size_t max, size_t *len,
		      int *missing)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	struct vt_buf b;
	char chunk[65536];
	ssize_t n;

	*missing = 0;
	if (fd < 0) {
		*missing = errno == ENOENT;
		return NULL;
	}
	vt_buf_init(&b, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || vt_buf_append(&b, chunk, (size_t)n)) {
			int e = n < 0 ? errno : EFBIG;

			close(fd);
			vt_buf_release(&b);
			errno = e;
			return NULL;
		}
	}
	close(fd);
	*len = b.len;
	vt_buf_cstr(&b);
	return b.ptr;
}

char *vt_read_file(const char *path, size_t max, size_t *len, int *missing)
{
	return read_all(path, O_NOFOLLOW, max, len, missing);
}

/*
 * A mounted ConfigMap is a chain of symlinks (config.yaml -> ..data/...),
 * so configurations are read through links; they are only read.
 */
int vt_load_configs(struct vt_agg *agg, char *const *paths, size_t n,
		    int quiet, int no_own, int *changed)
{
	struct vt_config_facts *cf = NULL;
	size_t ncf = 0;
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len, line;
		int missing;
		const char *what;
		struct vt_ydocs docs;
		char *text = read_all(paths[i], 0, VT_MAX_CONFIG_BYTES, &len,
				      &missing);

		if (!text) {
			if (!quiet)
				vt_cli_error("cannot read vMCP configuration '%s': %s",
					     paths[i],
					     errno == EFBIG ? "larger than 8 MiB"
							    : strerror(errno));
			failed++;
			continue;
		}
		enum vt_err e = vt_yaml_load(text, len, &docs, &line, &what);
		free(text);
		if (e != VT_OK) {
			if (!quiet && e == VT_ERR_LIMIT)
				vt_cli_error("vMCP configuration '%s': %s at line %zu; skipped",
					     paths[i], what, line);
			else if (!quiet)
				vt_cli_error("vMCP configuration '%s': not valid YAML at line %zu (%s); skipped",
					     paths[i], line, what);
			failed++;
			continue;
		}
		if (!vt_config_collect(&docs, &cf, &ncf)) {
			if (!quiet)
				vt_cli_error("'%s' holds no vMCP configuration (neither a vmcp serve --config file, nor a ConfigMap holding one, nor a VirtualMCPServer); skipped",
					     paths[i]);
			failed++;
		}
		vt_yaml_free(&docs);
	}
	*changed = 0;
	for (size_t i = 0; i < ncf; i++)
		*changed |= vt_agg_add_config(
			agg, &cf[i],
			(ncf == 1 ? VT_CONFIG_ONLY : 0u) |
				(no_own ? VT_CONFIG_NO_OWN : 0u));
	free(cf);
	return failed;
}

typedef enum vt_err (*loader_fn)(void *, const char *, size_t, const char *,
				 char *, size_t);

static int load_file(const char *path, void *target, loader_fn load)
{
	size_t len;
	char err[300];
	int missing;
	char *text = vt_read_file(path, 16 * 1024 * 1024, &len, &missing);

	if (!text) {
		vt_cli_error("cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	enum vt_err e = load(target, text, len, path, err, sizeof(err));
	free(text);
	if (e) {
		vt_cli_error("%s", err);
		return -1;
	}
	return 0;
}

static enum vt_err load_rules(void *t, const char *s, size_t n, const char *o,
			      char *e, size_t el)
{
	return vt_rules_load(t, s, n, o, e, el);
}

static enum vt_err load_names(void *t, const char *s, size_t n, const char *o,
			      char *e, size_t el)
{
	return vt_allowlist_load(t, s, n, o, e, el);
}

void vt_tables_free(struct vt_tables *t)
{
	vt_rules_free(t->rules);
	vt_allowlist_free(t->servers);
	vt_allowlist_free(t->clients);
}

int vt_tables_load(struct vt_tables *t, const char *rules_path,
		   const char *servers_path, const char *clients_path)
{
	char err[300];

	t->rules = vt_rules_new();
	t->servers = vt_allowlist_new();
	t->clients = vt_allowlist_new();
	if (rules_path && load_file(rules_path, t->rules, load_rules))
		return -1;
	if (vt_rules_load_default(t->rules, err, sizeof(err)) ||
	    vt_allowlist_load(t->servers, vt_default_servers,
			      strlen(vt_default_servers), "built-in servers",
			      err, sizeof(err)) ||
	    vt_allowlist_load(t->clients, vt_default_clients,
			      strlen(vt_default_clients), "built-in clients",
			      err, sizeof(err))) {
		vt_cli_error("%s", err);
		return -1;
	}
	if (servers_path && load_file(servers_path, t->servers, load_names))
		return -1;
	if (clients_path && load_file(clients_path, t->clients, load_names))
		return -1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The no-color.org convention, and a terminal that can show colour. */
static int want_color(const char *path)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return strcmp(path, "-") == 0 && isatty(STDOUT_FILENO) &&
	       !(no && *no) && term && *term && strcmp(term, "dumb") != 0;
}

static enum vt_err render(const struct vt_summary *s,
			  const struct vt_output *out, const char *path,
			  struct vt_scrubber *scrub, struct vt_sink *sink)
{
	struct vt_report_meta meta = { out->installation_id };
	struct vt_table_style style = { 0, VT_TABLE_TOP_DEFAULT };

	switch (out->format) {
	case VT_FORMAT_TABLE:
		style.color = want_color(path);
		if (out->top)
			style.top = out->top;
		return vt_report_write_table(s, &style, scrub, sink);
	case VT_FORMAT_PROM:
		return vt_report_write_prom(s, scrub, sink);
	case VT_FORMAT_HTML:
		return vt_report_write_html(s, scrub, sink);
	case VT_FORMAT_COUNT:
		sink->abort(sink->ctx);
		return VT_ERR_USAGE;
	case VT_FORMAT_JSON:
		break;
	}
	return vt_report_write_json(s, &meta, scrub, sink, NULL);
}

int vt_write_report(const struct vt_summary *s, const struct vt_output *out)
{
	struct vt_sink file, gz, *sink = &file;
	struct vt_scrubber *scrub = vt_scrubber_new();
	const char *path = out->path ? out->path : "-";
	enum vt_err err;

	err = vt_sink_file(path, out->mode, &file);
	if (!err && ends_with(path, ".gz")) {
		err = vt_sink_gzip(&file, &gz);
		if (err)
			file.abort(file.ctx);
		sink = &gz;
	}
	if (!err)
		err = render(s, out, path, scrub, sink);
	vt_scrubber_free(scrub);
	if (err && err == VT_ERR_IO && errno == EPIPE)
		return -1; /* the reader went away (| head): nothing to say */
	if (err) {
		vt_cli_error("cannot write '%s': %s", path,
			     err == VT_ERR_IO ? strerror(errno)
					      : vt_strerror(err));
		return -1;
	}
	return 0;
}

int vt_cli_format(const char *cmd, const char *arg, enum vt_format *out)
{
	if (vt_format_parse(arg, out))
		return vt_cli_usage_error(
			cmd, "unknown format '%s' (json, table, html or prom)",
			arg);
	return 0;
}

int vt_cli_top(const char *cmd, const char *arg, unsigned *out)
{
	char *end;

	errno = 0;
	long n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > VT_TABLE_TOP_MAX)
		return vt_cli_usage_error(cmd, "--top wants a number from 1 to %d",
					  VT_TABLE_TOP_MAX);
	*out = (unsigned)n;
	return 0;
}

/* HMAC(fleet key, domain) into key: 0, or -1 after printing why not. */
static int fleet_derive(const char *fleet_key_file, const char *domain,
			unsigned char key[VT_SHA256_LEN])
{
	size_t len;
	int missing;
	char *text = read_all(fleet_key_file, 0, 4096, &len, &missing);

	if (!text) {
		vt_cli_error("cannot read fleet key '%s': %s", fleet_key_file,
			     strerror(errno));
		return -1;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len < 16) {
		vt_cli_error("fleet key '%s': at least 16 bytes wanted",
			     fleet_key_file);
		free(text);
		return -1;
	}
	vt_hmac_sha256(text, len, domain, strlen(domain), key);
	memset(text, 0, len);
	free(text);
	return 0;
}

int vt_shard_key(const char *fleet_key_file, unsigned char key[VT_SHA256_LEN])
{
	return fleet_derive(fleet_key_file, "vmcp-telemetry shard", key);
}

int vt_sketch_key(const char *fleet_key_file, const unsigned char *secret,
		  size_t secret_len, unsigned char key[VT_SHA256_LEN])
{
	static const char domain[] = "vmcp-telemetry instances sketch";

	if (fleet_key_file)
		return fleet_derive(fleet_key_file, domain, key) ? -1 : 1;
	if (!secret)
		return 0;
	vt_hmac_sha256(secret, secret_len, domain, sizeof(domain) - 1, key);
	return 1;
}

int vt_random_key(unsigned char key[32])
{
	if (getrandom(key, 32, 0) == 32)
		return 0;
	vt_cli_error("cannot get random bytes for the report's key: %s",
		     strerror(errno));
	return -1;
}

/* The first 64 bits of a keyed hash of what names this host. */
static uint64_t scope_of(const void *id, size_t len)
{
	static const char domain[] = "vmcp-telemetry host scope";
	unsigned char mac[VT_SHA256_LEN];
	uint64_t scope = 0;

	vt_hmac_sha256(id, len, domain, sizeof(domain) - 1, mac);
	for (int i = 0; i < 8; i++)
		scope = scope << 8 | mac[i];
	return scope;
}

uint64_t vt_sketch_scope(const unsigned char *secret, size_t secret_len)
{
	static const char *const ids[] = { "/etc/machine-id",
					   "/var/lib/dbus/machine-id" };
	char host[256];

	if (secret)
		return scope_of(secret, secret_len);
	for (size_t i = 0; i < VT_ARRAY_LEN(ids); i++) {
		size_t len;
		int missing;
		char *text = read_all(ids[i], 0, 4096, &len, &missing);
		uint64_t scope = text && len >= 16 ? scope_of(text, len) : 0;

		free(text);
		if (scope)
			return scope;
	}
	if (gethostname(host, sizeof(host)) != 0)
		return 0;
	host[sizeof(host) - 1] = '\0';
	return scope_of(host, strlen(host));
}

char *vt_read_report_file(const char *path, size_t *len, const char **why)
{
	struct vt_source *src = NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	enum vt_err err = vt_source_open(path, &src);

	*why = NULL;
	while (err == VT_OK) {
		size_t got;

		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 16;
			if (cap > VT_MAX_REPORT_BYTES + 65536) {
				*why = "larger than 64 MiB";
				break;
			}
			buf = vt_xrealloc(buf, cap + 1);
		}
		err = vt_source_read(src, buf + n, cap - n, &got);
		if (err == VT_OK && got == 0)
			break;
		n += got;
	}
	if (err != VT_OK && !*why)
		*why = err == VT_ERR_FORMAT ? vt_source_error(src)
					    : strerror(errno);
	vt_source_free(src);
	if (*why) {
		free(buf);
		return NULL;
	}
	if (!buf)
		buf = vt_xmalloc(1);
	buf[n] = '\0';
	*len = n;
	return buf;
}
