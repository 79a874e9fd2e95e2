/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for parser/rotation.c (which names are a live log's rotated
 * files) and for identity by content across every compression.
 */
#include "../../parser/inputs.h"
#include "../../parser/source.h"
#include "../../src/run.h"
#include "../../state/state.h"
#include "../../util/hash.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Suite *rotation_suite(void);

struct name_case {
	const char *live, *name;
	int match;
	enum vt_rotation_rule rule;
};

/*
 * Names logrotate 3.21 and the kubelet really write (each made with the
 * directive in the comment), and names that share a directory with a live
 * log but are another file.
 */
static const struct name_case NAMES[] = {
	{ "vmcp.log", "vmcp.log", 1, VT_ROT_LIVE },
	/* create / copytruncate / copy, numbered; start 0 */
	{ "vmcp.log", "vmcp.log.1", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log.0", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log.12", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log.999", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log-2026-11-24", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp-2026-11-24.log", 1, VT_ROT_EXTENSION },
	/* compress, compresscmd + compressext */
	{ "vmcp.log", "vmcp.log.2.gz", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log.2.zst", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log.2.xz", 1, VT_ROT_NUMBERED },
	{ "vmcp.log", "vmcp.log.2.bz2", 1, VT_ROT_NUMBERED },
	/* dateext, default dateformat -%Y%m%d */
	{ "vmcp.log", "vmcp.log-20261124", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-20261124.gz", 1, VT_ROT_DATED },
	/* dateformat -%Y%m%d-%s, -%Y-%m-%d-%s, .%Y%m%dT%H%M%S, -%Y%m%d%H,
	 * _%Y-%m-%d_%H-%M-%S, -%s, -%Y%V (week) */
	{ "vmcp.log", "vmcp.log-20261124-1764000000", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-20261124-1764000000.gz", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-2026-11-24-1764000000.zst", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log.20261124T101500", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-2026112410.xz", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log_2026-11-24_10-15-00.bz2", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-1764000000", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-202648", 1, VT_ROT_DATED },
	/* found by trying real logrotate: dateformat -%Y-W%V, %Y%m%d%H%M%S
	 * (no separator), +%Y..., .%Y-%m-%dT%H:%M:%S, a Z, and addextension
	 * .gz with compress (".gz.gz") */
	{ "vmcp.log", "vmcp.log-2026-W49", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log20261203123941", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log+20261203123943", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log.2026-12-03T12:39:42", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-20261203T123942Z.gz", 1, VT_ROT_DATED },
	{ "vmcp.log", "vmcp.log-20261203.gz.gz", 1, VT_ROT_DATED },
	/* extension .log (+ dateext, + compress) */
	{ "vmcp.log", "vmcp-20261124-1764000000.log.gz", 1, VT_ROT_EXTENSION },
	{ "vmcp.log", "vmcp-20261124.log", 1, VT_ROT_EXTENSION },
	{ "vmcp.log", "vmcp.1.log", 1, VT_ROT_EXTENSION },
	{ "vmcp.log", "vmcp.2.log.gz", 1, VT_ROT_EXTENSION },
	/* the kubelet */
	{ "0.log", "0.log.20261124-101500", 1, VT_ROT_KUBELET },
	{ "0.log", "0.log.20261124-101500.gz", 1, VT_ROT_KUBELET },
	{ "3.log", "3.log.20261124-101500", 1, VT_ROT_KUBELET },
	{ "vmcp.log", "vmcp.log.gz", 1, VT_ROT_COMPRESSED },
	/* other files of the same directory: never taken */
	{ "vmcp.log", "syslog.1", 0, VT_ROT_LIVE },
	{ "vmcp.log", "syslog.2.gz", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp-other.log", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp-2.log", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.bak", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.old", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.1.tmp", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.swp", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.logger", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log~", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.2.lz4", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-20261124.gz.tmp", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.20261124-101500.tmp", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-x20261124", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-2026TT1124", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-2026-WEEK", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-TZ", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.1.gz.tmp", 0, VT_ROT_LIVE },
	{ "vmcp.log", "other-vmcp.log.1", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.1/x", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.", 0, VT_ROT_LIVE },
	{ "0.log", "1.log", 0, VT_ROT_LIVE },
	{ "0.log", "10.log.20261124-101500", 0, VT_ROT_LIVE },
	{ "kube-apiserver.log", "kube-apiserver-audit.log", 0, VT_ROT_LIVE },
	/* digits that are not a date: a port, a pid, a year alone, an address */
	{ "vmcp.log", "vmcp-8080.log", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.8443", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.12345.log", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp_2025.log", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp-10.0.0.12.log", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.2.0.1", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-2025", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-20261324", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log.1234", 0, VT_ROT_LIVE },
	{ "vmcp.log", "vmcp.log-12345678", 0, VT_ROT_LIVE },
};

START_TEST(name_rules)
{
	const struct name_case *c = &NAMES[_i];
	enum vt_rotation_rule rule = VT_ROT_LIVE;
	char age[64];
	int got = vt_rotation_match(c->live, c->name, &rule, age, sizeof(age));

	ck_assert_msg(got == c->match, "%s for live %s: match %d, want %d",
		      c->name, c->live, got, c->match);
	if (c->match) {
		ck_assert_msg(rule == c->rule, "%s: rule %s, want %s", c->name,
			      vt_rotation_rule_name(rule),
			      vt_rotation_rule_name(c->rule));
		ck_assert_msg(age[0] != '\0', "%s: no age", c->name);
	}
}
END_TEST

static void expect_older(const char *live, const char *older, const char *newer)
{
	enum vt_rotation_rule r;
	char a[64], b[64];

	ck_assert(vt_rotation_match(live, older, &r, a, sizeof(a)));
	ck_assert(vt_rotation_match(live, newer, &r, b, sizeof(b)));
	ck_assert_msg(strcmp(a, b) < 0, "%s (%s) should sort before %s (%s)",
		      older, a, newer, b);
}

START_TEST(ages_sort_oldest_first)
{
	expect_older("x.log", "x.log.2.gz", "x.log.1");
	expect_older("x.log", "x.log.1", "x.log");
	expect_older("x.log", "x.log-20261124-1764000000.gz",
		     "x.log-20261124-1764003600");
	expect_older("x.log", "x.log-2026-11-24-1764000000.zst",
		     "x.log-2026-11-25-1764086400.zst");
	expect_older("x.log", "x.log.20261124T235959", "x.log.20261125T000000");
	expect_older("x.log", "x.log_2026-11-24_10-15-00", "x.log");
	expect_older("x.log", "x-20261124-1764000000.log.gz",
		     "x-20261125-1764086400.log");
	expect_older("x.log", "x.2.log.gz", "x.1.log");
	expect_older("0.log", "0.log.20261124-101500.gz", "0.log.20261124-111500");
}
END_TEST

START_TEST(bases_of_names_alone)
{
	char base[256], age[64];
	int rot;
	static const char *const rotated[] = {
		"x.log-20261124-1764000000.gz", "x.log-2026-11-24-1764000000",
		"x.log.20261124T101500.xz", "x.log_2026-11-24_10-15-00.bz2",
		"x.log.3.zst", "x.log-2026112410",
	};

	for (size_t i = 0; i < sizeof(rotated) / sizeof(*rotated); i++) {
		vt_rotation_base(rotated[i], base, sizeof(base), &rot, age,
				 sizeof(age));
		ck_assert_msg(strcmp(base, "x.log") == 0 && rot == 1,
			      "%s: base %s rotated %d", rotated[i], base, rot);
	}
	static const char *const live[] = { "vmcp-2.log", "server-8080", "x.log-2026",
					    "vmcp.log.8443", "vmcp-10.0.0.12.log" };

	for (size_t i = 0; i < sizeof(live) / sizeof(*live); i++) {
		vt_rotation_base(live[i], base, sizeof(base), &rot, age, sizeof(age));
		ck_assert_str_eq(base, live[i]);
		ck_assert_int_eq(rot, 0);
	}
}
END_TEST

static char tmpdir[64];

static void setup(void)
{
	vt_test_tmpdir(tmpdir, sizeof(tmpdir), "rotation");
}

static void teardown(void)
{
	vt_test_rmtree(tmpdir);
}

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static long find(const struct vt_inputs *in, const char *suffix)
{
	for (size_t i = 0; i < in->count; i++) {
		size_t n = strlen(in->files[i].path), m = strlen(suffix);

		if (n >= m && strcmp(in->files[i].path + n - m, suffix) == 0)
			return (long)i;
	}
	return -1;
}

/* Siblings beside the live file and in an olddir join its group; others are not listed. */
START_TEST(siblings_and_olddir)
{
	struct vt_inputs in;
	char live[128], old[128];
	static const char *const olddirs[] = { "old" };

	snprintf(old, sizeof(old), "%s/old", tmpdir);
	ck_assert_int_eq(mkdir(old, 0700), 0);
	put("x.log", "{\"a\":1}\n");
	put("x.log-20261124-1764000000.gz", "not read here\n");
	put("x-20261123-1763913600.log.zst", "not read here\n");
	put("x.log.bak", "a backup\n");
	put("x-other.log", "another log\n");
	put("syslog.1", "another program\n");
	put("old/x.log-20261122-1763827200.xz", "in the olddir\n");
	put("old/y.log.1", "another log's\n");
	snprintf(live, sizeof(live), "%s/x.log", tmpdir);
	vt_inputs_init(&in);
	in.olddirs = olddirs;
	in.nolddirs = 1;
	vt_inputs_add(&in, live);
	vt_inputs_add_siblings(&in);
	vt_inputs_sort(&in);
	ck_assert_uint_eq(in.count, 4);
	long l = find(&in, "/x.log"), d = find(&in, "/x.log-20261124-1764000000.gz");
	long e = find(&in, "/x-20261123-1763913600.log.zst");
	long o = find(&in, "/old/x.log-20261122-1763827200.xz");
	ck_assert(l >= 0 && d >= 0 && e >= 0 && o >= 0);
	ck_assert_int_eq(in.files[d].rule, VT_ROT_DATED);
	ck_assert_int_eq(in.files[e].rule, VT_ROT_EXTENSION);
	ck_assert_int_eq(in.files[o].in_olddir, 1);
	for (size_t i = 0; i < in.count; i++) {
		ck_assert(in.files[i].instance == in.files[l].instance);
		ck_assert(in.files[i].group == in.files[l].group);
	}
	ck_assert_int_lt(o, e); /* oldest first, the live file last */
	ck_assert_int_lt(e, d);
	ck_assert_int_lt(d, l);
	/* the path a lost file had, from its group and rotation part */
	char name[512], want[512];
	vt_inputs_name_of(&in, in.files[l].group, 1, 0, "-20261123-1763913600.log.zst",
			  name, sizeof(name));
	snprintf(want, sizeof(want), "%s/x-20261123-1763913600.log.zst", tmpdir);
	ck_assert_str_eq(name, want);
	vt_inputs_name_of(&in, in.files[l].group, 0, 1, "-20261122-1763827200.xz",
			  name, sizeof(name));
	snprintf(want, sizeof(want), "%s/old/x.log-20261122-1763827200.xz", tmpdir);
	ck_assert_str_eq(name, want);
	ck_assert_int_eq(vt_inputs_name_of(&in, 12345, 0, 0, ".1", name, sizeof(name)), 0);
	vt_inputs_release(&in);
}
END_TEST

/* The first bytes of path, decompressed. */
static size_t head_of(const char *path, unsigned char *head)
{
	struct vt_source *s;
	size_t len = 0, got;

	ck_assert_int_eq(vt_source_open_regular(path, &s), VT_OK);
	while (len < VT_FP_LEN &&
	       vt_source_read(s, (char *)head + len, VT_FP_LEN - len, &got) == VT_OK &&
	       got)
		len += got;
	vt_source_free(s);
	return len;
}

/*
 * A checkpoint taken on the plain file is the same file compressed by
 * gzip, zstd, xz or bzip2 (made by the real tools), whatever its name;
 * a file with other content is not.
 */
START_TEST(content_identity_across_compression)
{
	static const char *const tools[] = { "gzip", "zstd -q", "xz", "bzip2" };
	char plain[128], cmd[512], path[160];
	unsigned char head[VT_FP_LEN];
	struct vt_checkpoint cp;
	FILE *f;

	snprintf(plain, sizeof(plain), "%s/x.log", tmpdir);
	f = fopen(plain, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "{\"time\":\"2026-11-24T10:00:%02dZ\",\"n\":%d}\n", i % 60, i);
	fclose(f);
	memset(&cp, 0, sizeof(cp));
	size_t n = head_of(plain, head);
	ck_assert_uint_eq(n, VT_FP_LEN);
	cp.fp_len = (uint32_t)n;
	cp.fp = vt_content_hash(head, n);
	for (size_t t = 0; t < sizeof(tools) / sizeof(*tools); t++) {
		snprintf(path, sizeof(path), "%s/renamed.%zu", tmpdir, t);
		snprintf(cmd, sizeof(cmd), "%s -c < '%s' > '%s'", tools[t], plain, path);
		ck_assert_int_eq(system(cmd), 0);
		n = head_of(path, head);
		ck_assert_msg(vt_checkpoint_head_matches(&cp, head, n),
			      "%s: the compressed copy is not recognized", tools[t]);
	}
	/* one byte changed in the first KiB: another file */
	snprintf(cmd, sizeof(cmd), "sed -i '3s/\"n\":2/\"n\":7/' '%s' && xz -c < '%s' > '%s/other.xz'",
		 plain, plain, tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/other.xz", tmpdir);
	n = head_of(path, head);
	ck_assert(!vt_checkpoint_head_matches(&cp, head, n));
}
END_TEST


/* ---- identity: which file a checkpoint belongs to (src/run_files.c) ---- */

static const char HEADER_CHAR = 'h';

/* Writes name: a header of hlen bytes (a line), then lines tagged tag. */
static void put_log(const char *name, size_t hlen, const char *tag, int lines)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	if (hlen) {
		fputs("{\"msg\":\"", f);
		for (size_t i = 0; i < hlen; i++)
			fputc(HEADER_CHAR, f);
		fputs("\"}\n", f);
	}
	for (int i = 0; i < lines; i++)
		fprintf(f, "{\"time\":\"2026-11-24T10:00:%02dZ\",\"tag\":\"%s\",\"n\":%d}\n",
			i % 60, tag, i);
	fclose(f);
}

/* name in the test's directory, in buf (256 bytes). */
static const char *in_tmp(const char *name, char *buf)
{
	snprintf(buf, 256, "%s/%s", tmpdir, name);
	return buf;
}

static uint64_t file_size(const char *name)
{
	char p[256];
	struct stat st;

	ck_assert_int_eq(stat(in_tmp(name, p), &st), 0);
	return (uint64_t)st.st_size;
}

/* A checkpoint as a run takes it on name, read to offset. */
static struct vt_checkpoint cp_on(const char *name, uint64_t offset,
				  const char *live, const char *rot)
{
	struct vt_checkpoint cp;
	unsigned char head[VT_FP_LEN], tail[VT_MARKER_LEN];
	struct vt_source *s;
	struct stat st;
	char p[256], l[256];
	size_t m = vt_marker_len(offset);

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	snprintf(l, sizeof(l), "%s/%s", tmpdir, live);
	memset(&cp, 0, sizeof(cp));
	size_t n = head_of(p, head);
	if (n > offset)
		n = (size_t)offset;
	cp.fp = vt_content_hash(head, n);
	cp.fp_len = (uint32_t)n;
	ck_assert_int_eq(vt_source_open_regular(p, &s), VT_OK);
	ck_assert_int_eq(vt_source_skip(s, offset, tail, m), VT_OK);
	vt_source_free(s);
	cp.marker = vt_content_hash(tail, m);
	cp.offset = cp.counted_until = cp.size_seen = offset;
	ck_assert_int_eq(stat(p, &st), 0);
	cp.dev = (uint64_t)st.st_dev;
	cp.ino = (uint64_t)st.st_ino;
	cp.group = vt_hash64(l, strlen(l));
	snprintf(cp.rot, sizeof(cp.rot), "%s", rot);
	return cp;
}

/* Lists live (and its rotated files) as 'run' does, and matches cps. */
static void match(struct run *r, const char *const *lives, size_t nlives,
		  const struct vt_checkpoint *cps, size_t ncps)
{
	char *argv[4];
	char paths[4][256];

	memset(r, 0, sizeof(*r));
	r->o.rd.quiet = 1;
	r->o.rd.max_files = VT_DEFAULT_MAX_FILES;
	for (size_t i = 0; i < nlives && i < 4; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", tmpdir, lives[i]);
		argv[i] = paths[i];
	}
	r->st.cps = vt_xcalloc(ncps + 1, sizeof(*cps));
	memcpy(r->st.cps, cps, ncps * sizeof(*cps));
	r->st.ncps = ncps;
	optind = 0;
	vt_run_discover(r, (int)nlives, argv);
	vt_run_match(r);
}

static void unmatch(struct run *r)
{
	free(r->cands);
	free(r->cp_seen);
	free(r->st.cps);
	vt_inputs_release(&r->in);
}

static const struct candidate *cand(const struct run *r, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	for (size_t i = 0; i < r->ncands; i++)
		if (strcmp(r->cands[i].in->path, p) == 0)
			return &r->cands[i];
	ck_abort_msg("%s not listed", name);
	return NULL;
}

/*
 * Two files with the same first KiB (a long startup line) are two files:
 * neither is dropped as a copy, and a checkpoint goes to its own file.
 */
START_TEST(same_head_is_not_same_file)
{
	static const char *const live[] = { "x.log" };
	struct run r;

	put_log("x.log.1", 1100, "old", 5);
	put_log("x.log", 1100, "new", 9);
	struct vt_checkpoint cp = cp_on("x.log.1", file_size("x.log.1"), "x.log", ".1");

	match(&r, live, 1, &cp, 1);
	ck_assert_uint_eq(cand(&r, "x.log.1")->cp, 0);
	ck_assert_uint_eq(cand(&r, "x.log")->cp, NO_CP);
	ck_assert(!cand(&r, "x.log")->duplicate && !cand(&r, "x.log.1")->duplicate);
	unmatch(&r);
}
END_TEST

/* The same head in another rotation group: never that group's file. */
START_TEST(other_group_is_not_same_file)
{
	static const char *const lives[] = { "a/x.log", "b/x.log" };
	char p[256];
	struct run r;

	snprintf(p, sizeof(p), "%s/a", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/b", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	put_log("a/x.log", 1100, "same", 4);
	put_log("b/x.log.1", 1100, "same", 4); /* a byte copy of a/x.log */
	put_log("b/x.log", 1100, "b", 2);
	/* a's checkpoint, taken on a file since gone (another inode) */
	struct vt_checkpoint cp = cp_on("a/x.log", file_size("a/x.log"), "a/x.log", "");
	cp.ino ^= 1;
	match(&r, lives, 2, &cp, 1);
	ck_assert_uint_eq(cand(&r, "b/x.log.1")->cp, NO_CP);
	ck_assert(!cand(&r, "b/x.log.1")->duplicate);
	ck_assert_uint_eq(cand(&r, "a/x.log")->cp, NO_CP); /* live, other inode */
	unmatch(&r);
}
END_TEST

/*
 * A checkpoint that saw only the header: the new live file (another
 * inode) begins with it too and is not the checkpoint's file; the rotated
 * compressed file holding it is.
 */
START_TEST(header_only_checkpoint_goes_to_rotated_file)
{
	static const char *const live[] = { "x.log" };
	char cmd[1024], keep[256], p[256];
	struct run r;

	put_log("x.log", 40, "", 0);
	struct vt_checkpoint cp = cp_on("x.log", file_size("x.log"), "x.log", "");
	/* rotated and compressed; the old file's inode stays taken */
	ck_assert_int_eq(rename(in_tmp("x.log", p), in_tmp("kept-away", keep)), 0);
	snprintf(cmd, sizeof(cmd), "gzip -c < '%s' > '%s'", keep, in_tmp("x.log.1.gz", p));
	ck_assert_int_eq(system(cmd), 0);
	put_log("x.log", 40, "new", 6);
	match(&r, live, 1, &cp, 1);
	ck_assert_uint_eq(cand(&r, "x.log.1.gz")->cp, 0);
	ck_assert_uint_eq(cand(&r, "x.log")->cp, NO_CP);
	ck_assert(!cand(&r, "x.log")->duplicate);
	unmatch(&r);
}
END_TEST

/*
 * A rotated file shorter than the checkpoint's fingerprint or offset is
 * not its file on its head alone; beside the truncated original
 * (copytruncate), it is the copy, read up to its end before the truncation.
 */
START_TEST(short_file_needs_the_truncated_original)
{
	static const char *const live[] = { "x.log" };
	char p[256], q[256], cmd[1024];
	struct run r;

	put_log("x.log", 0, "a", 80);
	snprintf(cmd, sizeof(cmd), "head -c 2000 '%s' > '%s'", in_tmp("x.log", p),
		 in_tmp("x.log.1", q));
	ck_assert_int_eq(system(cmd), 0); /* the copy, before more lines */
	struct vt_checkpoint cp = cp_on("x.log", file_size("x.log"), "x.log", "");
	cp.ino ^= 1; /* the original is gone: no proof */
	match(&r, live, 1, &cp, 1);
	ck_assert_uint_eq(cand(&r, "x.log.1")->cp, NO_CP);
	unmatch(&r);

	cp.ino ^= 1;
	ck_assert_int_eq(truncate(p, 0), 0); /* copytruncate's truncation */
	put_log("x.log", 0, "b", 2);
	match(&r, live, 1, &cp, 1);
	ck_assert_uint_eq(cand(&r, "x.log.1")->cp, 0);
	ck_assert_int_eq(cand(&r, "x.log.1")->short_copy, 1);
	ck_assert_uint_eq(cand(&r, "x.log")->cp, NO_CP); /* a new file */
	unmatch(&r);
}
END_TEST

/*
 * Copies proven by bytes are not read twice: a byte copy of the start of
 * the live file (a copytruncate copy before the truncation), and a
 * compressed file whose plain original is still there. A file with the
 * same first KiB but other bytes before its end is no copy.
 */
START_TEST(proven_copies_only)
{
	static const char *const live[] = { "x.log" };
	char p[256], cmd[2048];
	struct run r;

	put_log("x.log", 1100, "a", 12);
	snprintf(p, sizeof(p), "%s/x.log", tmpdir);
	snprintf(cmd, sizeof(cmd), "head -c 1900 '%s' > '%s.1' && gzip -c < '%s' | head -c 100 > '%s.2.gz' && cp '%s' '%s.2'",
		 p, p, p, p, p, p);
	ck_assert_int_eq(system(cmd), 0);
	put_log("x.log.3", 1100, "other", 3);
	struct vt_checkpoint cp = cp_on("x.log", file_size("x.log"), "x.log", "");

	match(&r, live, 1, &cp, 1);
	ck_assert_uint_eq(cand(&r, "x.log")->cp, 0);
	ck_assert(cand(&r, "x.log.1")->duplicate);
	ck_assert(cand(&r, "x.log.2.gz")->duplicate);
	ck_assert(!cand(&r, "x.log.3")->duplicate);
	unmatch(&r);
}
END_TEST

Suite *rotation_suite(void)
{
	Suite *s = suite_create("rotation");
	TCase *tc = tcase_create("names");

	tcase_add_loop_test(tc, name_rules, 0, (int)(sizeof(NAMES) / sizeof(*NAMES)));
	tcase_add_test(tc, ages_sort_oldest_first);
	tcase_add_test(tc, bases_of_names_alone);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, siblings_and_olddir);
	tcase_add_test(tc, content_identity_across_compression);
	suite_add_tcase(s, tc);
	tc = tcase_create("identity");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, same_head_is_not_same_file);
	tcase_add_test(tc, other_group_is_not_same_file);
	tcase_add_test(tc, header_only_checkpoint_goes_to_rotated_file);
	tcase_add_test(tc, short_file_needs_the_truncated_original);
	tcase_add_test(tc, proven_copies_only);
	suite_add_tcase(s, tc);
	return s;
}
