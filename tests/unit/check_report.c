/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for reporter/: the JSON report and the byte sinks. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "../../reporter/report.h"
#include "../../util/hash.h"

#define OUT_MAX (1 << 22)

static int b125(const char *label)
{
	int b = vt_125_parse(label, strlen(label));

	ck_assert_int_ge(b, 0);
	return b;
}

/* The summary of the example report in docs/report.md. */
static void sample(struct vt_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->start = 1787307301; /* 2026-08-21T10:15:01Z */
	s->end = 1787307571;
	s->granularity = "all";
	s->instances = 1;
	s->processes = 1;
	s->backends_per_instance[vt_log2_bucket(3)] = 1;
	s->conflict[VT_CONFLICT_PREFIX] = 1;
	s->incoming_auth[VT_INAUTH_UNKNOWN] = 1;
	s->outgoing_auth[VT_OUTAUTH_UNKNOWN] = 1;
	s->composite_unknown = 1;
	s->features[VT_FEATURE_AUDIT] = 1;
	s->tool_calls = 3;
	s->tool_calls_by_outcome[VT_OUT_SUCCESS] = 2;
	s->tool_calls_by_outcome[VT_OUT_APPLICATION_ERROR] = 1;
	s->tool_calls_per_instance[vt_log2_bucket(3)] = 1;
	s->tool_call_duration_ms[b125("10-20")] = 1;
	s->tool_call_duration_ms[b125("500-1000")] = 1;
	s->tool_call_duration_ms[b125("5000-10000")] = 1;
	s->workflows[VT_WF_STARTED] = 1;
	s->workflows[VT_WF_COMPLETED] = 1;
	s->workflow_steps[VT_STEP_TOOL] = 1;
	s->workflow_step_results[VT_SR_COMPLETED] = 1;
	s->nbackends = 3;
	snprintf(s->backends[0].name, sizeof(s->backends[0].name), "github");
	s->backends[0].count = 1;
	snprintf(s->backends[1].name, sizeof(s->backends[1].name), "jira");
	s->backends[1].count = 1;
	snprintf(s->backends[2].name, sizeof(s->backends[2].name), "composite");
	s->backends[2].count = 1;
	s->sessions = 1;
	s->nclients = 1;
	snprintf(s->clients[0].name, sizeof(s->clients[0].name), "claude-code");
	s->clients[0].count = 1;
	s->requests_by_type[VT_EV_MCP_INITIALIZE] = 1;
	s->requests_by_type[VT_EV_MCP_TOOL_CALL] = 3;
	s->requests_by_type[VT_EV_MCP_TOOLS_LIST] = 1;
	s->uptime_seconds[b125("200-500")] = 1;
	s->quality.lines_read = 17;
	s->quality.events = 12;
	s->quality.app_lines = 5;
	s->quality.files = 1;
	s->quality.bytes_read = 7001;
	s->quality.bytes_read_by_input[vt_log2_bucket(7001)] = 1;
	s->quality.lines_by_wrapper[VT_WRAP_NONE] = 17;
}

static struct vt_scrubber *scrub;

static void setup(void)
{
	scrub = vt_scrubber_new();
}

static void teardown(void)
{
	vt_scrubber_free(scrub);
}

/* Renders s into out (initialized here); returns what the writer did. */
static enum vt_err render(const struct vt_summary *s, const char *inst_id,
			  struct vt_buf *out, unsigned *redacted)
{
	struct vt_report_meta meta = { inst_id };
	struct vt_sink sink;

	vt_buf_init(out, OUT_MAX);
	vt_sink_buffer(out, &sink);
	return vt_report_write_json(s, &meta, scrub, &sink, redacted);
}

static yajl_val parse_json(struct vt_buf *b)
{
	char err[256] = "";
	yajl_val v = yajl_tree_parse(vt_buf_cstr(b), err, sizeof(err));

	ck_assert_msg(v != NULL, "report does not parse: %s", err);
	ck_assert(YAJL_IS_OBJECT(v));
	return v;
}

static yajl_val get(yajl_val root, const char *a, const char *b,
		    const char *c)
{
	const char *path[] = { a, b, c, NULL };
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);

	ck_assert_msg(v != NULL, "no %s/%s/%s", a, b ? b : "", c ? c : "");
	return v;
}

static long long get_int(yajl_val root, const char *a, const char *b,
			 const char *c)
{
	yajl_val v = get(root, a, b, c);

	ck_assert(YAJL_IS_INTEGER(v));
	return YAJL_GET_INTEGER(v);
}

static const char *get_str(yajl_val root, const char *a, const char *b,
			   const char *c)
{
	yajl_val v = get(root, a, b, c);

	ck_assert_msg(YAJL_IS_STRING(v), "%s is not a string", a);
	return v->u.string;
}

static void assert_keys(yajl_val obj, const char *const *want, size_t n)
{
	ck_assert(YAJL_IS_OBJECT(obj));
	ck_assert_uint_eq(obj->u.object.len, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(obj->u.object.keys[i], want[i]);
}

START_TEST(report_key_order)
{
	static const char *const top[] = {
		"schema_version", "report_id", "installation_id", "generator",
		"period", "deployment", "usage", "operational", "quality",
	};
	static const char *const period[] = { "start", "end", "granularity" };
	static const char *const deployment[] = {
		"instances", "processes", "backends_per_instance",
		"conflict_resolution", "incoming_auth", "outgoing_auth",
		"composite_tools_defined", "features", "instances_configured",
		"session_storage", "composite_steps_defined",
		"instances_sketch",
	};
	static const char *const usage[] = {
		"tool_calls", "tool_calls_per_instance", "tool_call_duration_ms",
		"composite_tool_executions", "workflow_steps",
		"workflow_step_results", "backend_distribution", "sessions",
		"server_discover_probes", "server_discover_clients", "clients",
		"requests_by_type",
		"tool_calls_by_hour",
	};
	static const char *const operational[] = {
		"uptime_seconds_per_instance", "restarts", "config_changes",
		"backend_health",
	};
	static const char *const conflict[] = {
		"prefix", "priority", "manual", "other", "unknown",
	};
	static const char *const backends[] = { "github", "jira", "composite" };
	static const char *const durations[] = { "10-20", "500-1000",
						 "5000-10000" };
	struct vt_summary s;
	struct vt_buf out;

	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &out, NULL), VT_OK);
	yajl_val root = parse_json(&out);
	assert_keys(root, top, VT_ARRAY_LEN(top));
	assert_keys(get(root, "period", NULL, NULL), period,
		    VT_ARRAY_LEN(period));
	assert_keys(get(root, "deployment", NULL, NULL), deployment,
		    VT_ARRAY_LEN(deployment));
	assert_keys(get(root, "usage", NULL, NULL), usage, VT_ARRAY_LEN(usage));
	assert_keys(get(root, "operational", NULL, NULL), operational,
		    VT_ARRAY_LEN(operational));
	assert_keys(get(root, "deployment", "conflict_resolution", NULL),
		    conflict, VT_ARRAY_LEN(conflict));
	assert_keys(get(root, "usage", "backend_distribution", NULL), backends,
		    VT_ARRAY_LEN(backends));
	assert_keys(get(root, "usage", "tool_call_duration_ms", NULL),
		    durations, VT_ARRAY_LEN(durations));
	ck_assert_str_eq(get(root, "quality", NULL, NULL)->u.object.keys[0],
			 "lines_read");
	yajl_tree_free(root);
	vt_buf_release(&out);
}
END_TEST

START_TEST(report_values)
{
	struct vt_summary s;
	struct vt_buf out;
	char id[VT_REPORT_ID_LEN + 1];

	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &out, NULL), VT_OK);
	yajl_val root = parse_json(&out);
	ck_assert_int_eq(get_int(root, "schema_version", NULL, NULL), 1);
	const char *rid = get_str(root, "report_id", NULL, NULL);
	ck_assert_uint_eq(strlen(rid), VT_REPORT_ID_LEN);
	ck_assert_uint_eq(strspn(rid, "0123456789abcdef"), VT_REPORT_ID_LEN);
	vt_report_id(&s, scrub, id);
	ck_assert_str_eq(rid, id);
	ck_assert(YAJL_IS_NULL(get(root, "installation_id", NULL, NULL)));
	ck_assert_str_eq(get_str(root, "generator", "name", NULL),
			 "vmcp-telemetry");
	ck_assert_str_eq(get_str(root, "generator", "version", NULL),
			 VT_VERSION);
	ck_assert_str_eq(get_str(root, "period", "start", NULL),
			 "2026-08-21T10:15:01Z");
	ck_assert_str_eq(get_str(root, "period", "end", NULL),
			 "2026-08-21T10:19:31Z");
	ck_assert_str_eq(get_str(root, "period", "granularity", NULL),
			 "all");
	ck_assert_int_eq(get_int(root, "deployment", "backends_per_instance", "2-3"), 1);
	ck_assert_int_eq(get_int(root, "deployment", "composite_tools_defined",
				 "unknown"), 1);
	ck_assert_int_eq(get_int(root, "deployment", "conflict_resolution",
				 "prefix"), 1);
	ck_assert_int_eq(get_int(root, "deployment", "conflict_resolution",
				 "manual"), 0);
	ck_assert_int_eq(get_int(root, "usage", "tool_calls", "total"), 3);
	ck_assert_int_eq(get_int(root, "usage", "backend_distribution", "jira"), 1);
	ck_assert_int_eq(get_int(root, "usage", "clients", "claude-code"), 1);
	ck_assert_int_eq(get_int(root, "usage", "requests_by_type",
				 "mcp_tool_call"), 3);
	ck_assert_int_eq(get_int(root, "usage", "workflow_steps", "forEach"), 0);
	ck_assert_int_eq(get_int(root, "operational", "uptime_seconds_per_instance",
				 "200-500"), 1);
	/* Bytes leave as log2 buckets only: 7001 is in 4096-8191. */
	ck_assert_int_eq(get_int(root, "quality", "bytes_read", "4096-8191"), 1);
	ck_assert_uint_eq(get(root, "quality", "bytes_read", NULL)->u.object.len,
			  1);
	ck_assert_ptr_null(strstr(out.ptr, "7001"));
	ck_assert_int_eq(get_int(root, "quality", "lines_by_wrapper", "none"), 17);
	ck_assert_uint_eq(get(root, "usage", "tool_call_duration_ms",
			      NULL)->u.object.len, 3);
	yajl_tree_free(root);
	/* Two-space indentation, one trailing newline. */
	ck_assert_mem_eq(out.ptr, "{\n  \"schema_version\": 1,\n", 25);
	ck_assert_mem_eq(out.ptr + out.len - 3, "\n}\n", 3);
	vt_buf_release(&out);

	/* Empty histograms are empty objects, not absent; enumerations
	 * print every key even at 0. */
	memset(s.uptime_seconds, 0, sizeof(s.uptime_seconds));
	memset(s.tool_call_duration_ms, 0, sizeof(s.tool_call_duration_ms));
	ck_assert_int_eq(render(&s, NULL, &out, NULL), VT_OK);
	root = parse_json(&out);
	yajl_val h = get(root, "operational", "uptime_seconds_per_instance",
			 NULL);
	ck_assert(YAJL_IS_OBJECT(h));
	ck_assert_uint_eq(h->u.object.len, 0);
	h = get(root, "usage", "tool_call_duration_ms", NULL);
	ck_assert(YAJL_IS_OBJECT(h));
	ck_assert_uint_eq(h->u.object.len, 0);
	ck_assert_uint_eq(get(root, "deployment", "outgoing_auth",
			      NULL)->u.object.len, VT_OUTAUTH_COUNT);
	yajl_tree_free(root);
	vt_buf_release(&out);
}
END_TEST

START_TEST(report_id_is_hash_of_content)
{
	struct vt_summary s;
	struct vt_buf out;
	unsigned char d[VT_SHA256_LEN];
	char want[2 * VT_SHA256_LEN + 1], line[128];
	const char *p, *q;

	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &out, NULL), VT_OK);
	/* Cut the two id lines out; the rest is what the id hashes. */
	vt_buf_cstr(&out);
	p = strstr(out.ptr, "  \"report_id\": \"");
	ck_assert_ptr_nonnull(p);
	q = strstr(p, "  \"generator\"");
	ck_assert_ptr_nonnull(q);
	snprintf(line, sizeof(line), "%.*s", (int)(q - p), p);
	ck_assert_str_eq(line + 16 + VT_REPORT_ID_LEN,
			 "\",\n  \"installation_id\": null,\n");
	struct vt_sha256 sha;
	vt_sha256_init(&sha);
	vt_sha256_update(&sha, out.ptr, (size_t)(p - out.ptr));
	vt_sha256_update(&sha, q, out.len - (size_t)(q - out.ptr));
	vt_sha256_final(&sha, d);
	vt_hex(d, VT_REPORT_ID_LEN / 2, want);
	ck_assert_mem_eq(p + 16, want, VT_REPORT_ID_LEN);
	vt_buf_release(&out);
}
END_TEST

START_TEST(report_deterministic)
{
	struct vt_summary s;
	struct vt_buf a, b, c;
	char id1[VT_REPORT_ID_LEN + 1], id2[VT_REPORT_ID_LEN + 1];

	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &a, NULL), VT_OK);
	ck_assert_int_eq(render(&s, NULL, &b, NULL), VT_OK);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.ptr, b.ptr, a.len);
	vt_report_id(&s, scrub, id1);
	vt_report_id(&s, scrub, id2);
	ck_assert_str_eq(id1, id2);
	/* One changed count changes the bytes and the id. */
	s.tool_calls_by_outcome[VT_OUT_DENIED]++;
	vt_report_id(&s, scrub, id2);
	ck_assert_str_ne(id1, id2);
	ck_assert_int_eq(render(&s, NULL, &c, NULL), VT_OK);
	ck_assert(c.len != a.len || memcmp(c.ptr, a.ptr, a.len) != 0);
	ck_assert_ptr_nonnull(strstr(vt_buf_cstr(&c), id2));
	vt_buf_release(&c);
	/* So does another period. */
	s.tool_calls_by_outcome[VT_OUT_DENIED]--;
	vt_report_id(&s, scrub, id2);
	ck_assert_str_eq(id1, id2);
	s.start++;
	vt_report_id(&s, scrub, id2);
	ck_assert_str_ne(id1, id2);
	vt_buf_release(&a);
	vt_buf_release(&b);
}
END_TEST

START_TEST(report_installation_id)
{
	struct vt_summary s;
	struct vt_buf plain, with;

	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &plain, NULL), VT_OK);
	ck_assert_int_eq(render(&s, "c0ffee00c0ffee00", &with, NULL), VT_OK);
	yajl_val a = parse_json(&plain), b = parse_json(&with);
	ck_assert(YAJL_IS_NULL(get(a, "installation_id", NULL, NULL)));
	ck_assert_str_eq(get_str(b, "installation_id", NULL, NULL),
			 "c0ffee00c0ffee00");
	/* The installation id is not part of the report id. */
	ck_assert_str_eq(get_str(a, "report_id", NULL, NULL),
			 get_str(b, "report_id", NULL, NULL));
	yajl_tree_free(a);
	yajl_tree_free(b);
	vt_buf_release(&plain);
	vt_buf_release(&with);
}
END_TEST

START_TEST(report_scrubber_backstop)
{
	struct vt_summary s;
	struct vt_buf out;
	unsigned redacted = 99;

	sample(&s);
	snprintf(s.backends[1].name, sizeof(s.backends[1].name),
		 "alice@example.com");
	s.backends[1].count = 4;
	ck_assert_int_eq(render(&s, NULL, &out, &redacted), VT_OK);
	ck_assert_uint_eq(redacted, 1);
	ck_assert_ptr_null(strstr(vt_buf_cstr(&out), "alice"));
	ck_assert_ptr_null(strstr(out.ptr, "example.com"));
	yajl_val root = parse_json(&out);
	ck_assert_int_eq(get_int(root, "usage", "backend_distribution",
				 "redacted"), 4);
	ck_assert_int_eq(get_int(root, "usage", "backend_distribution",
				 "github"), 1);
	yajl_tree_free(root);
	vt_buf_release(&out);

	/* A clean report redacts nothing; an installation id is checked too. */
	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &out, &redacted), VT_OK);
	ck_assert_uint_eq(redacted, 0);
	vt_buf_release(&out);
	ck_assert_int_eq(render(&s, "10.1.2.3", &out, &redacted), VT_OK);
	ck_assert_uint_eq(redacted, 1);
	ck_assert_ptr_null(strstr(vt_buf_cstr(&out), "10.1.2.3"));
	vt_buf_release(&out);
}
END_TEST

START_TEST(report_sink_error)
{
	struct vt_summary s;
	struct vt_buf out;
	struct vt_sink sink;

	sample(&s);
	vt_buf_init(&out, 200);
	vt_sink_buffer(&out, &sink);
	ck_assert_int_eq(vt_report_write_json(&s, NULL, scrub, &sink, NULL),
			 VT_ERR_LIMIT);
	ck_assert_uint_le(out.len, 200);
	vt_buf_release(&out);
}
END_TEST

/* Gunzips p[0..n) into out; returns zlib's last status. */
static int gunzip(const void *p, size_t n, struct vt_buf *out)
{
	z_stream z;
	unsigned char chunk[4096];
	int rc;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END)
			break;
		ck_assert_int_eq(vt_buf_append(out, chunk,
					       sizeof(chunk) - z.avail_out),
				 VT_OK);
	} while (rc != Z_STREAM_END);
	ck_assert_uint_eq(z.avail_in, 0);
	inflateEnd(&z);
	return rc;
}

static void render_gzip(const struct vt_summary *s, struct vt_buf *gz)
{
	struct vt_sink inner, outer;

	vt_buf_init(gz, OUT_MAX);
	vt_sink_buffer(gz, &inner);
	ck_assert_int_eq(vt_sink_gzip(&inner, &outer), VT_OK);
	ck_assert_int_eq(vt_report_write_json(s, NULL, scrub, &outer, NULL),
			 VT_OK);
}

START_TEST(gzip_sink_round_trip)
{
	struct vt_summary s;
	struct vt_buf plain, gz, gz2, back;

	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &plain, NULL), VT_OK);
	render_gzip(&s, &gz);
	ck_assert_uint_gt(gz.len, 18);
	/* A gzip member, deflate, no name, mtime 0. */
	ck_assert_int_eq((unsigned char)gz.ptr[0], 0x1f);
	ck_assert_int_eq((unsigned char)gz.ptr[1], 0x8b);
	ck_assert_int_eq(gz.ptr[2], 8);
	ck_assert_int_eq(gz.ptr[3], 0);
	ck_assert_mem_eq(gz.ptr + 4, "\0\0\0\0", 4);
	vt_buf_init(&back, OUT_MAX);
	ck_assert_int_eq(gunzip(gz.ptr, gz.len, &back), Z_STREAM_END);
	ck_assert_uint_eq(back.len, plain.len);
	ck_assert_mem_eq(back.ptr, plain.ptr, plain.len);
	/* The same report gzips to the same bytes. */
	render_gzip(&s, &gz2);
	ck_assert_uint_eq(gz2.len, gz.len);
	ck_assert_mem_eq(gz2.ptr, gz.ptr, gz.len);
	vt_buf_release(&plain);
	vt_buf_release(&gz);
	vt_buf_release(&gz2);
	vt_buf_release(&back);
}
END_TEST

START_TEST(gzip_sink_large_input)
{
	/* Incompressible data larger than the sink's 64 KiB output block. */
	const size_t n = 1 << 20;
	unsigned char *data = malloc(n);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct vt_buf gz, back;
	struct vt_sink inner, outer;

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		data[i] = (unsigned char)x;
	}
	vt_buf_init(&gz, OUT_MAX);
	vt_sink_buffer(&gz, &inner);
	ck_assert_int_eq(vt_sink_gzip(&inner, &outer), VT_OK);
	for (size_t off = 0; off < n; off += 100000) {
		size_t len = n - off < 100000 ? n - off : 100000;

		ck_assert_int_eq(vt_sink_write(&outer, data + off, len), VT_OK);
	}
	ck_assert_int_eq(outer.close(outer.ctx), VT_OK);
	ck_assert_uint_gt(gz.len, n);
	vt_buf_init(&back, OUT_MAX);
	ck_assert_int_eq(gunzip(gz.ptr, gz.len, &back), Z_STREAM_END);
	ck_assert_uint_eq(back.len, n);
	ck_assert_mem_eq(back.ptr, data, n);
	vt_buf_release(&gz);
	vt_buf_release(&back);
	free(data);
}
END_TEST

START_TEST(sha256_sink_digest)
{
	unsigned char d[VT_SHA256_LEN];
	char hex[2 * VT_SHA256_LEN + 1];
	struct vt_sink sink;

	vt_sink_sha256(d, &sink);
	ck_assert_int_eq(vt_sink_write(&sink, "a", 1), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "bc", 2), VT_OK);
	ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
	vt_hex(d, sizeof(d), hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* A fresh empty directory for one test. */
static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vt-report-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static size_t dir_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

START_TEST(file_sink_atomic_close)
{
	char path[128], buf[64];
	struct vt_sink sink;
	struct stat st;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/report.json", tmpdir);
	ck_assert_int_eq(vt_sink_file(path, 0, &sink), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "hello ", 6), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "world\n", 6), VT_OK);
	/* Nothing at the path yet; only a temporary beside it. */
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(dir_entries(), 1);
	ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(read_file(path, buf, sizeof(buf)), 12);
	ck_assert_mem_eq(buf, "hello world\n", 12);
	ck_assert_uint_eq(dir_entries(), 1);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(file_sink_abort_leaves_nothing)
{
	char path[128];
	struct vt_sink sink;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/report.json", tmpdir);
	ck_assert_int_eq(vt_sink_file(path, 0, &sink), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "partial", 7), VT_OK);
	ck_assert_uint_eq(dir_entries(), 1);
	sink.abort(sink.ctx);
	ck_assert_uint_eq(dir_entries(), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	rmdir(tmpdir);
}
END_TEST

START_TEST(file_sink_replaces_on_close_only)
{
	char path[128], buf[64];
	struct vt_sink sink;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/report.json", tmpdir);
	write_file(path, "old\n");
	ck_assert_int_eq(vt_sink_file(path, 0, &sink), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "new report\n", 11), VT_OK);
	ck_assert_uint_eq(read_file(path, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "old\n", 4);
	ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
	ck_assert_uint_eq(read_file(path, buf, sizeof(buf)), 11);
	ck_assert_mem_eq(buf, "new report\n", 11);
	ck_assert_uint_eq(dir_entries(), 1);

	/* An abort keeps the old file as it was. */
	ck_assert_int_eq(vt_sink_file(path, 0, &sink), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "x", 1), VT_OK);
	sink.abort(sink.ctx);
	ck_assert_uint_eq(read_file(path, buf, sizeof(buf)), 11);
	ck_assert_mem_eq(buf, "new report\n", 11);
	ck_assert_uint_eq(dir_entries(), 1);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(file_sink_mode)
{
	char path[128];
	struct vt_sink sink;
	struct stat st;

	umask(022);
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/shared.json", tmpdir);
	ck_assert_int_eq(vt_sink_file(path, 0640, &sink), VT_OK);
	ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_size, 0);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(file_sink_missing_directory)
{
	struct vt_sink sink;

	errno = 0;
	ck_assert_int_eq(vt_sink_file("/nonexistent-vt-dir/x/report.json", 0,
				      &sink),
			 VT_ERR_IO);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(report_gzip_to_file)
{
	char path[128];
	struct vt_summary s;
	struct vt_buf plain, back;
	struct vt_sink file, gz;
	char *bytes = malloc(OUT_MAX);
	size_t n;

	ck_assert_ptr_nonnull(bytes);
	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &plain, NULL), VT_OK);
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/report.json.gz", tmpdir);
	ck_assert_int_eq(vt_sink_file(path, 0, &file), VT_OK);
	ck_assert_int_eq(vt_sink_gzip(&file, &gz), VT_OK);
	ck_assert_int_eq(vt_report_write_json(&s, NULL, scrub, &gz, NULL),
			 VT_OK);
	n = read_file(path, bytes, OUT_MAX);
	vt_buf_init(&back, OUT_MAX);
	ck_assert_int_eq(gunzip(bytes, n, &back), Z_STREAM_END);
	ck_assert_uint_eq(back.len, plain.len);
	ck_assert_mem_eq(back.ptr, plain.ptr, plain.len);
	ck_assert_uint_eq(dir_entries(), 1);
	unlink(path);
	rmdir(tmpdir);
	vt_buf_release(&plain);
	vt_buf_release(&back);
	free(bytes);
}
END_TEST


/* Parses text from a heap buffer of exactly its length (no terminator). */
static enum vt_err parse_exact(const char *text, size_t len,
			       struct vt_summary *s, char *err, size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	enum vt_err e;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	e = vt_report_parse(copy, len, s, err, errlen);
	free(copy);
	return e;
}

/* text with the first "from" replaced by "to". */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);

	ck_assert_ptr_nonnull(at);
	ck_assert_ptr_nonnull(out);
	snprintf(out, n + 1, "%.*s%s%s", (int)(at - text), text, to,
		 at + strlen(from));
	return out;
}

/*
 * What merge reads may be anything: the reader takes a buffer without a
 * terminator, refuses nesting deep enough to exhaust yajl_tree_free's
 * recursion (it crashed on "[[[...", 1 MB deep), a key given twice, a
 * NUL; its message never quotes input. A name no allowlist could hold
 * (an address, a lookalike, over 64 bytes) is read as "other".
 */
START_TEST(report_parse_hostile)
{
	static const char *const cases[][2] = {
		{ "\"sessions\": 1", "\"sessions\": 1, \"sessions\": 7" },
		{ "\"sessions\": 1",
		  "\"sessions\": {\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}" },
		{ "\"github\"", "\"git\\u0000hub\"" },
		{ "\"sessions\": 1", "\"sessions\": 1e400" },
		{ "\"sessions\": 1", "\"sessions\": 99999999999999999999999" },
		{ "\"sessions\": 1", "\"sessions\": -1" },
		{ "\"sessions\": 1", "\"sessions\": \"1\"" },
	};
	struct vt_summary s, *back = malloc(sizeof(*back));
	struct vt_buf out;
	char err[160];
	char *text, *bad;
	size_t deep = 200000;

	ck_assert_ptr_nonnull(back);
	sample(&s);
	ck_assert_int_eq(render(&s, NULL, &out, NULL), VT_OK);
	text = vt_xstrndup(out.ptr, out.len);
	ck_assert_int_eq(parse_exact(text, out.len, back, err, sizeof(err)),
			 VT_OK);
	ck_assert_uint_eq(back->tool_calls, 3);

	bad = malloc(2 * deep);
	ck_assert_ptr_nonnull(bad);
	memset(bad, '[', deep);
	memset(bad + deep, ']', deep);
	ck_assert_int_eq(parse_exact(bad, 2 * deep, back, err, sizeof(err)),
			 VT_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "nests deeper"));
	free(bad);

	for (size_t i = 0; i < VT_ARRAY_LEN(cases); i++) {
		bad = replaced(text, cases[i][0], cases[i][1]);
		err[0] = '\0';
		ck_assert_msg(parse_exact(bad, strlen(bad), back, err,
					  sizeof(err)) == VT_ERR_FORMAT,
			      "case %zu was accepted", i);
		ck_assert_msg(err[0] && !strstr(err, "bob") && !strstr(err, "7"),
			      "case %zu: message '%s'", i, err);
		free(bad);
	}
	/* names of no public name's shape: their count joins "other" */
	static const char *const odd[] = {
		"\"bob@example.com\"", "\"-github\"", "\"gith\\u0443b\"",
		"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
	};
	for (size_t i = 0; i < VT_ARRAY_LEN(odd); i++) {
		bad = replaced(text, "\"github\"", odd[i]);
		ck_assert_int_eq(parse_exact(bad, strlen(bad), back, err,
					     sizeof(err)), VT_OK);
		ck_assert_uint_eq(back->nbackends, 3);
		ck_assert_str_eq(back->backends[0].name, "other");
		ck_assert_uint_eq(back->backends[0].count, 1);
		free(bad);
	}
	/* a raw NUL byte inside the document */
	bad = vt_xstrndup(text, out.len);
	bad[out.len / 2] = '\0';
	ck_assert_int_eq(parse_exact(bad, out.len, back, err, sizeof(err)),
			 VT_ERR_FORMAT);
	free(bad);
	free(text);
	free(back);
	vt_buf_release(&out);
}
END_TEST

START_TEST(file_sink_private_mode_any_umask)
{
	static const mode_t masks[] = { 0, 022, 077, 0277, 0777 };
	char path[128];
	struct vt_sink sink;
	struct stat st;
	mode_t old = umask(0);

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	for (size_t i = 0; i < VT_ARRAY_LEN(masks); i++) {
		umask(masks[i]);
		ck_assert_int_eq(vt_sink_file(path, 0600, &sink), VT_OK);
		ck_assert_int_eq(vt_sink_write(&sink, "x", 1), VT_OK);
		ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_msg((st.st_mode & 07777) == 0600,
			      "umask %03o gave %03o", (unsigned)masks[i],
			      (unsigned)(st.st_mode & 07777));
	}
	/* A file meant to be shared keeps honouring the umask. */
	umask(077);
	ck_assert_int_eq(vt_sink_file(path, 0644, &sink), VT_OK);
	ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	umask(old);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

/*
 * A link planted where the file goes is replaced, never written through;
 * a temporary name a crashed run left behind is never in the way.
 */
START_TEST(file_sink_never_follows_planted_link)
{
	char path[128], target[128], stale[160], buf[16];
	struct vt_sink sink;
	struct stat st;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	snprintf(target, sizeof(target), "%s/target", tmpdir);
	snprintf(stale, sizeof(stale), "%s/state.tmp.%ld", tmpdir,
		 (long)getpid());
	write_file(target, "precious");
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(symlink(target, stale), 0);
	ck_assert_int_eq(vt_sink_file(path, 0600, &sink), VT_OK);
	ck_assert_int_eq(vt_sink_write(&sink, "new", 3), VT_OK);
	ck_assert_int_eq(sink.close(sink.ctx), VT_OK);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(read_file(target, buf, sizeof(buf)), 8);
	ck_assert_mem_eq(buf, "precious", 8);
	ck_assert_uint_eq(read_file(path, buf, sizeof(buf)), 3);
	unlink(path);
	unlink(stale);
	unlink(target);
	rmdir(tmpdir);
}
END_TEST

Suite *report_suite(void);

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *json = tcase_create("json");
	TCase *sinks = tcase_create("sinks");

	tcase_add_checked_fixture(json, setup, teardown);
	tcase_add_checked_fixture(sinks, setup, teardown);
	tcase_add_test(json, report_key_order);
	tcase_add_test(json, report_values);
	tcase_add_test(json, report_id_is_hash_of_content);
	tcase_add_test(json, report_deterministic);
	tcase_add_test(json, report_installation_id);
	tcase_add_test(json, report_scrubber_backstop);
	tcase_add_test(json, report_sink_error);
	tcase_add_test(json, report_parse_hostile);
	tcase_add_test(sinks, gzip_sink_round_trip);
	tcase_add_test(sinks, gzip_sink_large_input);
	tcase_add_test(sinks, sha256_sink_digest);
	tcase_add_test(sinks, file_sink_atomic_close);
	tcase_add_test(sinks, file_sink_abort_leaves_nothing);
	tcase_add_test(sinks, file_sink_replaces_on_close_only);
	tcase_add_test(sinks, file_sink_mode);
	tcase_add_test(sinks, file_sink_missing_directory);
	tcase_add_test(sinks, file_sink_private_mode_any_umask);
	tcase_add_test(sinks, file_sink_never_follows_planted_link);
	tcase_add_test(sinks, report_gzip_to_file);
	suite_add_tcase(s, json);
	suite_add_tcase(s, sinks);
	return s;
}
