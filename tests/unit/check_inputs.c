/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for parser/inputs.h: rotation groups, pod paths, listing. */
#include "../../parser/inputs.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Suite *inputs_suite(void);

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vt-inputs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

struct rot {
	char base[256];
	char age[64];
	int rotated;
};

static struct rot rotation(const char *name)
{
	struct rot r;

	memset(&r, 0, sizeof(r));
	r.rotated = -1;
	vt_rotation_base(name, r.base, sizeof(r.base), &r.rotated, r.age,
			 sizeof(r.age));
	return r;
}

static void expect_base(const char *name, const char *base, int rotated)
{
	struct rot r = rotation(name);

	ck_assert_msg(strcmp(r.base, base) == 0, "%s: base '%s', want '%s'",
		      name, r.base, base);
	ck_assert_msg(r.rotated == rotated, "%s: rotated %d, want %d", name,
		      r.rotated, rotated);
	ck_assert_msg(r.age[0] != '\0', "%s: no age", name);
}

/* Names must sort oldest first by their age keys. */
static void expect_older(const char *older, const char *newer)
{
	struct rot a = rotation(older), b = rotation(newer);

	ck_assert_msg(strcmp(a.age, b.age) < 0,
		      "%s (age %s) should sort before %s (age %s)", older,
		      a.age, newer, b.age);
}

START_TEST(rotation_bases)
{
	expect_base("x.log", "x.log", 0);
	expect_base("x.log.1", "x.log", 1);
	expect_base("x.log.2.gz", "x.log", 1);
	expect_base("x.log.3", "x.log", 1);
	expect_base("x.log.gz", "x.log", 1);
	expect_base("x.log-20261124", "x.log", 1);
	expect_base("x.log-20261124.gz", "x.log", 1);
	expect_base("0.log.20261124-101500", "0.log", 1);
	expect_base("0.log.20261124-101500.gz", "0.log", 1);
	expect_base("/var/log/vmcp/server.log.12", "/var/log/vmcp/server.log",
		    1);
	expect_base("/var/log/vmcp-2/server.log", "/var/log/vmcp-2/server.log",
		    0);
	expect_base("vmcp-server.log", "vmcp-server.log", 0);
	expect_base("audit.jsonl", "audit.jsonl", 0);
}
END_TEST

START_TEST(rotation_age_order)
{
	expect_older("x.log.3", "x.log.2");
	expect_older("x.log.2", "x.log.1");
	expect_older("x.log.1", "x.log");
	expect_older("x.log.3.gz", "x.log.2.gz");
	expect_older("x.log.2.gz", "x.log.1");
	expect_older("x.log.10", "x.log.9");
	expect_older("x.log-20261123", "x.log-20261124");
	expect_older("x.log-20261124", "x.log-20261125.gz");
	expect_older("x.log-20261124.gz", "x.log");
	expect_older("0.log.20261124-101500", "0.log.20261124-111500");
	expect_older("0.log.20261124-111500.gz", "0.log.20261125-000000");
	expect_older("0.log.20261125-000000", "0.log");
	/* the same name gives the same key; siblings differ */
	ck_assert_str_eq(rotation("x.log.1").age, rotation("x.log.1").age);
	ck_assert_str_ne(rotation("x.log.1").age, rotation("x.log.2").age);
}
END_TEST

START_TEST(rotation_small_buffer)
{
	char base[4], age[3];
	int rotated = -1;

	vt_rotation_base("abcdef.log.1", base, sizeof(base), &rotated, age,
			 sizeof(age));
	ck_assert_str_eq(base, "abc");
	ck_assert_uint_lt(strlen(age), sizeof(age));
	ck_assert_int_eq(rotated, 1);
}
END_TEST

/* Classifies a path; the caller frees the result with drop(). */
static struct vt_input classify(const char *path)
{
	struct vt_input f;

	memset(&f, 0, sizeof(f));
	f.path = strdup(path);
	ck_assert_ptr_nonnull(f.path);
	vt_input_classify(&f);
	ck_assert_ptr_nonnull(f.order);
	return f;
}

static void drop(struct vt_input *f)
{
	free(f->path);
	free(f->order);
}

#define POD(ns, pod, uid, c, file) \
	"/var/log/pods/" ns "_" pod "_" uid "/" c "/" file
#define UID1 "0f3c8a5e-1111-4222-8333-444455556666"
#define UID2 "7a1b2c3d-aaaa-4bbb-8ccc-dddddddddddd"

START_TEST(k8s_deployment_replicas)
{
	struct vt_input a = classify(POD("tools", "vmcp-server-7d9f8b6c5d-x7k2q",
					 UID1, "vmcp", "0.log"));
	struct vt_input b = classify(POD("tools", "vmcp-server-7d9f8b6c5d-b9fzt",
					 UID2, "vmcp", "0.log"));
	/* after a rollout: another ReplicaSet hash, the same Deployment */
	struct vt_input c = classify(POD("tools", "vmcp-server-59fd8c6b4-wq2lp",
					 UID2, "vmcp", "0.log"));
	/* another Deployment in the namespace */
	struct vt_input d = classify(POD("tools", "other-vmcp-7d9f8b6c5d-x7k2q",
					 UID1, "vmcp", "0.log"));

	ck_assert_int_eq(a.k8s, 1);
	ck_assert_int_eq(b.k8s, 1);
	ck_assert_int_eq(a.rotated, 0);
	ck_assert_int_eq(a.restart, 0);
	ck_assert(a.instance == b.instance);
	ck_assert(a.stream != b.stream);
	ck_assert(a.instance == c.instance);
	ck_assert(a.instance != d.instance);
	ck_assert(a.stream != d.stream);
	drop(&a);
	drop(&b);
	drop(&c);
	drop(&d);
}
END_TEST

START_TEST(k8s_restarts_and_rotation)
{
	struct vt_input l0 = classify(POD("tools", "vmcp-server-7d9f8b6c5d-x7k2q",
					  UID1, "vmcp", "0.log"));
	struct vt_input l1 = classify(POD("tools", "vmcp-server-7d9f8b6c5d-x7k2q",
					  UID1, "vmcp", "1.log"));
	struct vt_input r0 = classify(POD("tools", "vmcp-server-7d9f8b6c5d-x7k2q",
					  UID1, "vmcp",
					  "0.log.20261124-101500.gz"));
	struct vt_input r1 = classify(POD("tools", "vmcp-server-7d9f8b6c5d-x7k2q",
					  UID1, "vmcp",
					  "0.log.20261124-101500"));
	struct vt_input side = classify(POD("tools",
					    "vmcp-server-7d9f8b6c5d-x7k2q",
					    UID1, "sidecar", "0.log"));

	ck_assert(l0.stream == l1.stream);
	ck_assert(l0.instance == l1.instance);
	ck_assert_int_eq(l0.restart, 0);
	ck_assert_int_eq(l1.restart, 1);
	ck_assert(r0.stream == l0.stream);
	ck_assert(r1.stream == l0.stream);
	ck_assert_int_eq(r0.rotated, 1);
	ck_assert_int_eq(r1.rotated, 1);
	ck_assert_int_eq(r0.k8s, 1);
	/* oldest first: rotated 0.log, 0.log, then 1.log */
	ck_assert_int_lt(strcmp(r0.order, l0.order), 0);
	ck_assert_int_lt(strcmp(r1.order, l0.order), 0);
	ck_assert_int_lt(strcmp(l0.order, l1.order), 0);
	/* another container of the pod is another stream */
	ck_assert(side.stream != l0.stream);
	drop(&l0);
	drop(&l1);
	drop(&r0);
	drop(&r1);
	drop(&side);
}
END_TEST

START_TEST(k8s_statefulset_and_namespaces)
{
	struct vt_input s0 = classify(POD("tools", "vmcp-0", UID1, "vmcp",
					  "0.log"));
	struct vt_input s1 = classify(POD("tools", "vmcp-1", UID2, "vmcp",
					  "0.log"));
	struct vt_input other = classify(POD("prod", "vmcp-0", UID1, "vmcp",
					     "0.log"));
	struct vt_input dep_a = classify(POD("team-a",
					     "vmcp-server-7d9f8b6c5d-x7k2q",
					     UID1, "vmcp", "0.log"));
	struct vt_input dep_b = classify(POD("team-b",
					     "vmcp-server-7d9f8b6c5d-x7k2q",
					     UID1, "vmcp", "0.log"));

	ck_assert_int_eq(s0.k8s, 1);
	ck_assert(s0.instance == s1.instance);
	ck_assert(s0.stream != s1.stream);
	ck_assert(s0.instance != other.instance);
	ck_assert(dep_a.instance != dep_b.instance);
	ck_assert(dep_a.stream != dep_b.stream);

	/* DaemonSet pods: <name>-<5 chars>; "server" is no hash */
	struct vt_input ds1 = classify(POD("tools", "vmcp-server-x7k2q", UID1,
					   "vmcp", "0.log"));
	struct vt_input ds2 = classify(POD("tools", "vmcp-server-b9fzt", UID2,
					   "vmcp", "0.log"));
	struct vt_input bare = classify(POD("tools", "vmcp-server", UID2,
					    "vmcp", "0.log"));
	ck_assert(ds1.instance == ds2.instance);
	ck_assert(ds1.stream != ds2.stream);
	ck_assert(ds1.instance == bare.instance);
	drop(&ds1);
	drop(&ds2);
	drop(&bare);
	drop(&s0);
	drop(&s1);
	drop(&other);
	drop(&dep_a);
	drop(&dep_b);
}
END_TEST

START_TEST(plain_files_and_siblings)
{
	struct vt_input live = classify("/var/log/vmcp/server.log");
	struct vt_input r1 = classify("/var/log/vmcp/server.log.1");
	struct vt_input r2 = classify("/var/log/vmcp/server.log.2.gz");
	struct vt_input rd = classify("/var/log/vmcp/server.log-20261124");
	struct vt_input elsewhere = classify("/srv/vmcp/server.log");
	struct vt_input notpod = classify("/var/log/pods/x/0.log");
	struct vt_input in = classify("-");

	ck_assert_int_eq(live.k8s, 0);
	ck_assert_int_eq(live.rotated, 0);
	ck_assert_int_eq(r1.rotated, 1);
	ck_assert_int_eq(r2.rotated, 1);
	ck_assert(live.instance == r1.instance);
	ck_assert(live.instance == r2.instance);
	ck_assert(live.instance == rd.instance);
	ck_assert(live.stream == r2.stream);
	ck_assert(live.instance != elsewhere.instance);
	ck_assert_int_lt(strcmp(r2.order, r1.order), 0);
	ck_assert_int_lt(strcmp(r1.order, live.order), 0);
	/* a pod-like path that is not one is a plain file */
	ck_assert_int_eq(notpod.k8s, 0);
	ck_assert_str_eq(in.order, "~stdin");
	ck_assert(in.instance != live.instance);
	drop(&live);
	drop(&r1);
	drop(&r2);
	drop(&rd);
	drop(&elsewhere);
	drop(&notpod);
	drop(&in);
}
END_TEST

static void mk(const char *rel)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	fp = fopen(path, "w");
	ck_assert_msg(fp != NULL, "cannot create %s", path);
	fputs("{}\n", fp);
	fclose(fp);
}

static void mkd(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void add(struct vt_inputs *in, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	vt_inputs_add(in, path);
}

/* Index of the file whose path ends in suffix, or -1. */
static long find(const struct vt_inputs *in, const char *suffix)
{
	size_t sl = strlen(suffix);

	for (size_t i = 0; i < in->count; i++) {
		size_t pl = strlen(in->files[i].path);

		if (pl >= sl && strcmp(in->files[i].path + pl - sl, suffix) == 0)
			return (long)i;
	}
	return -1;
}

static void make_tree(void)
{
	mk("a.log");
	mk("a.log.1");
	mk("a.log.2.gz");
	mk("notes.txt");
	mk(".hidden.log");
	mkd("sub");
	mk("sub/b.jsonl");
	mkd("sub/deeper");
	mk("sub/deeper/c.json");
	mk("sub/deeper/README");
}

START_TEST(add_glob_and_dedup)
{
	struct vt_inputs in;
	char path[512];

	make_tree();
	vt_inputs_init(&in);
	add(&in, "a.log*");
	ck_assert_uint_eq(in.count, 3);
	ck_assert_uint_eq(in.nproblems, 0);
	/* the same file again, by another spelling and a hard link */
	add(&in, "a.log");
	add(&in, "./a.log.1");
	add(&in, "sub/../a.log.2.gz");
	snprintf(path, sizeof(path), "%s/a.log", tmpdir);
	{
		char link_path[512];

		snprintf(link_path, sizeof(link_path), "%s/hard.log", tmpdir);
		ck_assert_int_eq(link(path, link_path), 0);
	}
	add(&in, "hard.log");
	ck_assert_uint_eq(in.count, 3);
	ck_assert_uint_eq(in.nproblems, 0);
	/* a file named directly is read whatever its name */
	add(&in, "notes.txt");
	ck_assert_uint_eq(in.count, 4);
	ck_assert_int_ge(find(&in, "/notes.txt"), 0);

	vt_inputs_sort(&in);
	long i2 = find(&in, "/a.log.2.gz"), i1 = find(&in, "/a.log.1"),
	     i0 = find(&in, "/a.log");
	ck_assert_int_ge(i2, 0);
	ck_assert_int_lt(i2, i1);
	ck_assert_int_lt(i1, i0);
	ck_assert(in.files[i0].instance == in.files[i2].instance);
	ck_assert(in.files[i0].instance !=
		  in.files[find(&in, "/notes.txt")].instance);
	vt_inputs_release(&in);
	ck_assert_uint_eq(in.count, 0);
	ck_assert_ptr_null(in.files);
}
END_TEST

START_TEST(add_directory)
{
	struct vt_inputs in;

	make_tree();
	vt_inputs_init(&in);
	vt_inputs_add(&in, tmpdir);
	ck_assert_uint_eq(in.nproblems, 0);
	/* log-like names, recursively; hidden and other files skipped */
	ck_assert_uint_eq(in.count, 5);
	ck_assert_int_ge(find(&in, "/a.log"), 0);
	ck_assert_int_ge(find(&in, "/a.log.1"), 0);
	ck_assert_int_ge(find(&in, "/a.log.2.gz"), 0);
	ck_assert_int_ge(find(&in, "/sub/b.jsonl"), 0);
	ck_assert_int_ge(find(&in, "/sub/deeper/c.json"), 0);
	ck_assert_int_lt(find(&in, "/notes.txt"), 0);
	ck_assert_int_lt(find(&in, "/.hidden.log"), 0);
	ck_assert_int_lt(find(&in, "/README"), 0);
	for (size_t i = 0; i < in.count; i++) {
		struct stat st;

		ck_assert_int_eq(stat(in.files[i].path, &st), 0);
		ck_assert(in.files[i].ino == st.st_ino);
		ck_assert(in.files[i].dev == st.st_dev);
		ck_assert_ptr_nonnull(in.files[i].order);
	}
	/* adding the directory again adds nothing */
	vt_inputs_add(&in, tmpdir);
	ck_assert_uint_eq(in.count, 5);
	vt_inputs_release(&in);
}
END_TEST

/* A rotated file is taken from a directory whatever compressed it. */
START_TEST(add_directory_compressed)
{
	static const char *const taken[] = {
		"audit.jsonl.1.gz", "audit.jsonl.2.zst", "audit.jsonl.3.zstd",
		"audit.jsonl.4.xz", "audit.jsonl.5.bz2",
	};
	static const char *const skipped[] = {
		"audit.jsonl.6.zip", "notes.xzz", "bz2", "zst.txt", ".x.zst",
	};
	struct vt_inputs in;
	char rel[64];

	for (size_t i = 0; i < 5; i++) {
		mk(taken[i]);
		mk(skipped[i]);
	}
	vt_inputs_init(&in);
	vt_inputs_add(&in, tmpdir);
	ck_assert_uint_eq(in.nproblems, 0);
	ck_assert_uint_eq(in.count, 5);
	for (size_t i = 0; i < 5; i++) {
		snprintf(rel, sizeof(rel), "/%s", taken[i]);
		ck_assert_int_ge(find(&in, rel), 0);
		snprintf(rel, sizeof(rel), "/%s", skipped[i]);
		ck_assert_int_lt(find(&in, rel), 0);
	}
	vt_inputs_release(&in);
}
END_TEST

START_TEST(add_problems)
{
	struct vt_inputs in;
	char path[512];

	make_tree();
	vt_inputs_init(&in);
	add(&in, "missing.log");
	ck_assert_uint_eq(in.count, 0);
	ck_assert_uint_eq(in.nproblems, 1);
	snprintf(path, sizeof(path), "%s/missing.log", tmpdir);
	ck_assert_str_eq(in.problems[0].path, path);
	ck_assert_int_eq(in.problems[0].err, ENOENT);

	add(&in, "*.nomatch");
	ck_assert_uint_eq(in.nproblems, 2);
	ck_assert_int_eq(in.problems[1].err, 0);
	ck_assert_ptr_nonnull(in.problems[1].what);
	ck_assert_str_eq(in.problems[1].what, "no file matches");
	snprintf(path, sizeof(path), "%s/*.nomatch", tmpdir);
	ck_assert_str_eq(in.problems[1].path, path);

	/* problems never stop the listing */
	add(&in, "a.log");
	ck_assert_uint_eq(in.count, 1);
	ck_assert_uint_eq(in.nproblems, 2);
	vt_inputs_release(&in);
	ck_assert_uint_eq(in.nproblems, 0);
}
END_TEST

START_TEST(add_pod_tree)
{
	struct vt_inputs in;

	mkd("pods");
	mkd("pods/tools_vmcp-server-7d9f8b6c5d-x7k2q_" UID1);
	mkd("pods/tools_vmcp-server-7d9f8b6c5d-x7k2q_" UID1 "/vmcp");
	mk("pods/tools_vmcp-server-7d9f8b6c5d-x7k2q_" UID1 "/vmcp/0.log");
	mk("pods/tools_vmcp-server-7d9f8b6c5d-x7k2q_" UID1
	   "/vmcp/0.log.20261124-101500.gz");
	mkd("pods/tools_vmcp-server-7d9f8b6c5d-b9fzt_" UID2);
	mkd("pods/tools_vmcp-server-7d9f8b6c5d-b9fzt_" UID2 "/vmcp");
	mk("pods/tools_vmcp-server-7d9f8b6c5d-b9fzt_" UID2 "/vmcp/1.log");
	vt_inputs_init(&in);
	add(&in, "pods");
	ck_assert_uint_eq(in.count, 3);
	vt_inputs_sort(&in);
	for (size_t i = 0; i < in.count; i++) {
		ck_assert_int_eq(in.files[i].k8s, 1);
		ck_assert(in.files[i].instance == in.files[0].instance);
	}
	long rot = find(&in, "/0.log.20261124-101500.gz");
	long live = find(&in, "/0.log");
	long other = find(&in, "/1.log");
	ck_assert_int_lt(rot, live);
	ck_assert(in.files[rot].stream == in.files[live].stream);
	ck_assert(in.files[other].stream != in.files[live].stream);
	ck_assert_int_eq(in.files[other].restart, 1);
	vt_inputs_release(&in);
}
END_TEST

Suite *inputs_suite(void)
{
	Suite *s = suite_create("inputs");
	TCase *tc = tcase_create("identity");

	tcase_add_test(tc, rotation_bases);
	tcase_add_test(tc, rotation_age_order);
	tcase_add_test(tc, rotation_small_buffer);
	tcase_add_test(tc, k8s_deployment_replicas);
	tcase_add_test(tc, k8s_restarts_and_rotation);
	tcase_add_test(tc, k8s_statefulset_and_namespaces);
	tcase_add_test(tc, plain_files_and_siblings);
	suite_add_tcase(s, tc);

	tc = tcase_create("listing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_glob_and_dedup);
	tcase_add_test(tc, add_directory);
	tcase_add_test(tc, add_directory_compressed);
	tcase_add_test(tc, add_problems);
	tcase_add_test(tc, add_pod_tree);
	suite_add_tcase(s, tc);
	return s;
}
