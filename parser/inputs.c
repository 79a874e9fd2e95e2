/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input discovery. An instance is a vMCP server: for a Kubernetes pod log
 * path it is the namespace and workload (the pod name less its ReplicaSet
 * and pod suffixes), so replicas are one instance; otherwise it is the
 * file's rotation group (an audit file beside one application log is that
 * log's instance: link_audit_files). Keys are hashed at once; the paths themselves
 * never reach a report or the state directory.
 */
#include "inputs.h"
#include "../util/hash.h"
#include "../util/map.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directory walks stop here: a log volume is never this deep. */
#define MAX_WALK_DEPTH 8

void vt_inputs_init(struct vt_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->max_files = VT_DEFAULT_MAX_FILES;
}

void vt_inputs_release(struct vt_inputs *in)
{
	for (size_t i = 0; i < in->count; i++) {
		free(in->files[i].path);
		free(in->files[i].order);
	}
	for (size_t i = 0; i < in->nproblems; i++)
		free(in->problems[i].path);
	free(in->files);
	free(in->problems);
	memset(in, 0, sizeof(*in));
}

/* The instance's shard: its keyed hash, never the bare one. */
static unsigned shard_of(const unsigned char key[32], uint64_t instance,
			 unsigned nshards)
{
	unsigned char msg[8], mac[VT_SHA256_LEN];
	uint64_t h = 0;

	for (int i = 0; i < 8; i++)
		msg[i] = (unsigned char)(instance >> (8 * i));
	vt_hmac_sha256(key, 32, msg, sizeof(msg), mac);
	for (int i = 0; i < 8; i++)
		h = h << 8 | mac[i];
	return (unsigned)(h % nshards);
}

void vt_inputs_shard(struct vt_inputs *in, const unsigned char key[32],
		     unsigned shard, unsigned nshards)
{
	size_t kept = 0;

	for (size_t i = 0; i < in->count; i++) {
		struct vt_input *f = &in->files[i];

		if (shard_of(key, f->instance, nshards) == shard) {
			in->files[kept++] = *f;
		} else {
			free(f->path);
			free(f->order);
		}
	}
	in->count = kept;
	if (shard != 0) {
		/* paths that could not be read are reported by shard 0 */
		for (size_t i = 0; i < in->nproblems; i++)
			free(in->problems[i].path);
		in->nproblems = 0;
	}
}

static void problem(struct vt_inputs *in, const char *path, int err,
		    const char *what)
{
	in->problems = vt_xrealloc(in->problems, (in->nproblems + 1) *
							 sizeof(*in->problems));
	in->problems[in->nproblems].path = vt_xstrdup(path);
	in->problems[in->nproblems].err = err;
	in->problems[in->nproblems].what = what;
	in->nproblems++;
}

/*
 * 1 when one more may be kept, have being how many are; else counts the
 * file as skipped and says so once.
 */
static int room(struct vt_inputs *in, const char *path, size_t have)
{
	if (have < in->max_files)
		return 1;
	if (in->files_skipped++ == 0)
		problem(in, path, 0,
			"too many files (over --max-files): the rest are not read");
	return 0;
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Kubernetes builds pod-template hashes and generated-name suffixes from
 * an alphabet without vowels and look-alike digits, so a word such as
 * "server" can never be one.
 */
static int lower_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("bcdfghjklmnpqrstvwxz2456789", s[i]) || !s[i])
			return 0;
	return n > 0;
}

/*
 * The workload of a pod name: Deployment pods are
 * <name>-<replicaset hash>-<5 chars>, DaemonSet and Job pods
 * <name>-<5 chars>, StatefulSet pods <name>-<ordinal>.
 */
static void workload_of(const char *pod, char *out, size_t n)
{
	const char *last = strrchr(pod, '-');
	size_t keep = strlen(pod);

	if (last && last > pod && strlen(last + 1) == 5 &&
	    lower_alnum(last + 1, 5)) {
		const char *prev = last - 1;

		while (prev > pod && *prev != '-')
			prev--;
		size_t hl = (size_t)(last - prev - 1);
		if (*prev == '-' && prev > pod && hl >= 6 && hl <= 10 &&
		    lower_alnum(prev + 1, hl))
			keep = (size_t)(prev - pod);
		else
			keep = (size_t)(last - pod);
	} else if (last && last > pod && all_digits(last + 1, strlen(last + 1))) {
		keep = (size_t)(last - pod);
	}
	snprintf(out, n, "%.*s", (int)keep, pod);
}

static uint64_t key_hash(const char *kind, const char *a, const char *b,
			 const char *c)
{
	uint64_t h = vt_hash64(kind, strlen(kind) + 1);

	h = vt_hash64_more(h, a, strlen(a) + 1);
	h = vt_hash64_more(h, b, strlen(b) + 1);
	return vt_hash64_more(h, c, strlen(c) + 1);
}

/* <namespace>_<pod>_<uid>/<container>/<N>.log[.<ts>][.gz] */
static int classify_k8s(struct vt_input *f, const char *path)
{
	char buf[4096], base[256], age[64], workload[256];
	int rotated;
	char *slash1, *slash2, *podDir, *container, *file, *ns, *pod, *uid;

	if (strlen(path) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", path);
	slash2 = strrchr(buf, '/');
	if (!slash2)
		return 0;
	*slash2 = '\0';
	file = slash2 + 1;
	slash1 = strrchr(buf, '/');
	container = slash1 ? slash1 + 1 : buf;
	if (!slash1)
		return 0;
	*slash1 = '\0';
	podDir = strrchr(buf, '/');
	podDir = podDir ? podDir + 1 : buf;
	vt_rotation_base(file, base, sizeof(base), &rotated, age, sizeof(age));
	size_t bl = strlen(base);
	if (bl < 5 || strcmp(base + bl - 4, ".log") != 0 ||
	    !all_digits(base, bl - 4))
		return 0;
	ns = podDir;
	pod = strchr(ns, '_');
	if (!pod)
		return 0;
	*pod++ = '\0';
	uid = strrchr(pod, '_');
	if (!uid || uid == pod)
		return 0;
	*uid++ = '\0';
	if (!*ns || !*pod || strlen(uid) < 8 || !*container)
		return 0;
	workload_of(pod, workload, sizeof(workload));
	f->k8s = 1;
	f->rotated = rotated;
	f->restart = (int)strtol(base, NULL, 10);
	f->instance = VT_INSTANCE_KEY(key_hash("k8s", ns, workload, ""), 1);
	f->stream = key_hash("k8s-stream", ns, pod, container);
	size_t n = strlen(ns) + strlen(pod) + strlen(container) +
		   strlen(age) + 16;
	f->order = vt_xmalloc(n);
	snprintf(f->order, n, "%s/%s/%s/%08d/%s", ns, pod, container,
		 f->restart % 100000000, age);
	return 1;
}

void vt_input_classify(struct vt_input *f)
{
	char base[4096], age[64];
	int rotated;

	free(f->order);
	f->order = NULL;
	if (strcmp(f->path, "-") == 0) {
		f->instance = f->stream =
			VT_INSTANCE_KEY(key_hash("stdin", "", "", ""), 0);
		f->order = vt_xstrdup("~stdin");
		return;
	}
	if (classify_k8s(f, f->path))
		return;
	/*
	 * Group by the canonical directory, so "logs/x.log" and
	 * "./logs/x.log.1" are one group however they were spelled.
	 */
	char *slash = strrchr(f->path, '/');
	char *dir = slash ? vt_xstrndup(f->path, (size_t)(slash - f->path) + (slash == f->path))
			  : vt_xstrdup(".");
	char *canon = realpath(dir, NULL);
	char full[4096];
	snprintf(full, sizeof(full), "%s/%s", canon ? canon : dir,
		 slash ? slash + 1 : f->path);
	free(canon);
	free(dir);
	vt_rotation_base(full, base, sizeof(base), &rotated, age,
			 sizeof(age));
	f->rotated = rotated;
	f->instance = f->stream =
		VT_INSTANCE_KEY(key_hash("file", base, "", ""), 0);
	size_t n = strlen(base) + strlen(age) + 2;
	f->order = vt_xmalloc(n);
	snprintf(f->order, n, "%s%c%s", base, 1, age);
}

static int seen(const struct vt_inputs *in, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < in->count; i++)
		if (in->files[i].dev == dev && in->files[i].ino == ino)
			return 1;
	return 0;
}

static void add_file(struct vt_inputs *in, const char *path,
		     const struct stat *st)
{
	if (seen(in, st->st_dev, st->st_ino))
		return; /* the same file named twice is read once */
	if (!room(in, path, in->count))
		return;
	in->files = vt_xrealloc(in->files, (in->count + 1) * sizeof(*in->files));
	struct vt_input *f = &in->files[in->count++];
	memset(f, 0, sizeof(*f));
	f->path = vt_xstrdup(path);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	vt_input_classify(f);
}

static int ends_in(const char *name, size_t n, const char *ext)
{
	size_t e = strlen(ext);

	return n > e && strcmp(name + n - e, ext) == 0;
}

/*
 * Log-like names inside a directory; hidden files are skipped. A
 * compressed file is taken whatever its compressor: a rotated
 * "audit.jsonl.1.zst" is as much a log as "audit.jsonl.1.gz".
 */
static int log_name(const char *name)
{
	static const char *const ext[] = { ".jsonl", ".json", ".gz", ".zst",
					   ".zstd", ".xz", ".bz2" };
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	if (strstr(name, ".log") != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(ext) / sizeof(*ext); i++)
		if (ends_in(name, n, ext[i]))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct vt_inputs *in, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		problem(in, dir, errno, NULL);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			/* a directory of millions of names is not held whole */
			if (!room(in, dir, n))
				break;
			names = vt_xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = vt_xstrdup(e->d_name);
		}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *p = vt_xmalloc(len);
		struct stat st;

		snprintf(p, len, "%s/%s", dir, names[i]);
		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth < MAX_WALK_DEPTH &&
			    names[i][0] != '.')
				walk(in, p, depth + 1);
			else if (S_ISREG(st.st_mode) && log_name(names[i]))
				add_file(in, p, &st);
		}
		free(p);
		free(names[i]);
	}
	free(names);
}

static void add_path(struct vt_inputs *in, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0) {
		if (fstat(STDIN_FILENO, &st) != 0) {
			problem(in, "-", errno, NULL);
			return;
		}
		if (seen(in, st.st_dev, st.st_ino) && S_ISREG(st.st_mode))
			return;
		in->files = vt_xrealloc(in->files,
					(in->count + 1) * sizeof(*in->files));
		struct vt_input *f = &in->files[in->count++];
		memset(f, 0, sizeof(*f));
		f->path = vt_xstrdup("-");
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		vt_input_classify(f);
		return;
	}
	if (stat(path, &st) != 0) {
		problem(in, path, errno, NULL);
		return;
	}
	if (S_ISDIR(st.st_mode))
		walk(in, path, 0);
	else
		add_file(in, path, &st); /* FIFOs and devices are read as given */
}

void vt_inputs_add(struct vt_inputs *in, const char *arg)
{
	glob_t g;

	if (strcmp(arg, "-") == 0 || !strpbrk(arg, "*?[")) {
		add_path(in, arg);
		return;
	}
	int rc = glob(arg, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		problem(in, arg, 0, "no file matches");
	} else if (rc != 0) {
		problem(in, arg, errno, "cannot expand");
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++)
			add_path(in, g.gl_pathv[i]);
	}
	if (rc != GLOB_NOMATCH)
		globfree(&g);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? vt_xstrndup(path, (size_t)(slash - path) + (slash == path))
		     : vt_xstrdup(".");
}

static size_t find_file(const struct vt_inputs *in, const struct stat *st)
{
	for (size_t i = 0; i < in->count; i++)
		if (in->files[i].dev == st->st_dev &&
		    in->files[i].ino == st->st_ino)
			return i;
	return SIZE_MAX;
}

/*
 * Makes file f a member of live file l's rotation group: the same
 * instance and stream, and a sort key that puts it before l, by age.
 */
static void join_group(struct vt_input *f, const struct vt_input *l,
		       enum vt_rotation_rule rule, const char *age,
		       size_t rot_at, int in_olddir)
{
	const char *lname = strrchr(l->path, '/');
	char lbase[4096], lage[64];
	int lrot;

	lname = lname ? lname + 1 : l->path;
	vt_rotation_base(lname, lbase, sizeof(lbase), &lrot, lage, sizeof(lage));
	size_t keep = strlen(l->order), al = strlen(lage);
	keep = keep >= al ? keep - al : keep;
	size_t n = keep + strlen(age) + 1;
	free(f->order);
	f->order = vt_xmalloc(n);
	snprintf(f->order, n, "%.*s%s", (int)keep, l->order, age);
	f->instance = l->instance;
	f->stream = l->stream;
	f->k8s = l->k8s;
	f->restart = l->restart;
	f->rotated = 1;
	f->rule = rule;
	f->group = l->group;
	f->rot_at = rot_at;
	f->in_olddir = in_olddir;
}

/* The rotated forms of live file li in directory dir (its own, or an olddir). */
static void scan_dir(struct vt_inputs *in, size_t li, const char *dir,
		     int in_olddir)
{
	const char *lname = strrchr(in->files[li].path, '/');
	DIR *d = opendir(dir);
	struct dirent *e;
	char age[64];
	enum vt_rotation_rule rule;

	lname = lname ? lname + 1 : in->files[li].path;
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    !vt_rotation_match(lname, e->d_name, &rule, age, sizeof(age)) ||
		    rule == VT_ROT_LIVE)
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *p = vt_xmalloc(n);
		struct stat st;

		snprintf(p, n, "%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			size_t at = find_file(in, &st);
			/* the extension form keeps only the stem of the live name */
			size_t rot_at = rule == VT_ROT_EXTENSION
						? (size_t)(strrchr(lname, '.') - lname)
						: strlen(lname);

			int named = at != SIZE_MAX && !in->files[at].rotated;

			if (at == SIZE_MAX) {
				add_file(in, p, &st);
				at = find_file(in, &st);
			}
			/* a live file named on its own is never another's sibling */
			if (at != SIZE_MAX && at != li && !named)
				join_group(&in->files[at], &in->files[li], rule,
					   age, rot_at, in_olddir);
		}
		free(p);
	}
	closedir(d);
}

void vt_inputs_add_siblings(struct vt_inputs *in)
{
	size_t n = in->count;

	for (size_t i = 0; i < n; i++) {
		struct vt_input *l = &in->files[i];

		if (l->rotated || strcmp(l->path, "-") == 0)
			continue;
		l->group = vt_hash64(l->path, strlen(l->path));
		l->rule = VT_ROT_LIVE;
		l->rot_at = strlen(strrchr(l->path, '/') ? strrchr(l->path, '/') + 1
							 : l->path);
		char *dir = dir_of(l->path);

		scan_dir(in, i, dir, 0);
		for (size_t k = 0; k < in->nolddirs; k++) {
			const char *od = in->olddirs[k];
			size_t m = strlen(dir) + strlen(od) + 2;
			char *p = vt_xmalloc(m);

			/* a relative olddir is relative to the log's directory, as in logrotate */
			snprintf(p, m, "%s/%s", od[0] == '/' ? "" : dir, od);
			scan_dir(in, i, od[0] == '/' ? od : p, 1);
			free(p);
		}
		free(dir);
	}
}

static int cmp_input(const void *a, const void *b)
{
	const struct vt_input *x = a, *y = b;
	int c = strcmp(x->order, y->order);

	return c ? c : strcmp(x->path, y->path);
}

/*
 * A plain file's rotation base (the order key up to its \1): its
 * directory's length into *dirlen; whether its name holds "audit".
 */
static int plain_base(const struct vt_input *f, size_t *len, size_t *dirlen,
		      int *audit)
{
	const char *sep = f->k8s || !f->order ? NULL : strchr(f->order, 1);
	const char *slash;

	if (!sep || strcmp(f->path, "-") == 0)
		return 0;
	*len = (size_t)(sep - f->order);
	slash = NULL;
	for (const char *p = f->order; p < sep; p++)
		if (*p == '/')
			slash = p;
	*dirlen = slash ? (size_t)(slash - f->order) : 0;
	*audit = 0;
	for (size_t i = *dirlen; i + 5 <= *len && !*audit; i++)
		*audit = memcmp(f->order + i, "audit", 5) == 0;
	return 1;
}

/*
 * vMCP with audit.logFile writes its audit events to that file and its
 * application log to standard error, redirected beside it (the layout of
 * docs/cli-hosts.md): a plain file whose name holds "audit" is the
 * instance of the one other rotation group of its directory, when there
 * is exactly one (docs/inputs.md, "Instances"). Its stream stays its own.
 */
static void link_audit_files(struct vt_inputs *in)
{
	struct vt_map dirs; /* directory -> a file of its one other group */
	size_t len, dirlen;
	int audit;

	vt_map_init(&dirs);
	for (size_t i = 0; i < in->count; i++) {
		const struct vt_input *f = &in->files[i];

		if (!plain_base(f, &len, &dirlen, &audit) || audit)
			continue;
		uint64_t d = vt_hash64(f->order, dirlen);
		uint32_t k = vt_map_get(&dirs, d);

		if (k == VT_MAP_NONE)
			vt_map_put(&dirs, d, (uint32_t)i);
		else if (k != VT_MAP_NONE - 1 &&
			 in->files[k].instance != f->instance)
			vt_map_put(&dirs, d, VT_MAP_NONE - 1); /* two: none */
	}
	for (size_t i = 0; i < in->count; i++) {
		struct vt_input *f = &in->files[i];

		if (!plain_base(f, &len, &dirlen, &audit) || !audit)
			continue;
		uint32_t k = vt_map_get(&dirs, vt_hash64(f->order, dirlen));

		if (k != VT_MAP_NONE && k != VT_MAP_NONE - 1)
			f->instance = in->files[k].instance;
	}
	vt_map_release(&dirs);
}

void vt_inputs_sort(struct vt_inputs *in)
{
	if (in->count > 1)
		qsort(in->files, in->count, sizeof(*in->files), cmp_input);
	link_audit_files(in);
}

/* The path of group's live file: listed, or named but missing; NULL if neither. */
static const char *live_path(const struct vt_inputs *in, uint64_t group)
{
	for (size_t i = 0; i < in->count; i++)
		if (in->files[i].rule == VT_ROT_LIVE && in->files[i].group &&
		    in->files[i].group == group)
			return in->files[i].path;
	for (size_t i = 0; i < in->nproblems; i++)
		if (group && vt_hash64(in->problems[i].path,
				       strlen(in->problems[i].path)) == group)
			return in->problems[i].path;
	return NULL;
}

int vt_inputs_name_of(const struct vt_inputs *in, uint64_t group,
		      int extension, int in_olddir, const char *rot,
		      char *out, size_t n)
{
	const char *path = live_path(in, group);

	if (!path) {
		snprintf(out, n, "(a file of a log not named this run)%s%s",
			 *rot ? ", rotated as ..." : "", rot);
		return 0;
	}
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t stem = extension && dot && dot != base ? (size_t)(dot - base)
						      : strlen(base);
	int dl = slash ? (int)(slash - path) : 1;
	const char *dir = slash ? path : ".";

	if (in_olddir && in->nolddirs && in->olddirs[0][0] == '/')
		snprintf(out, n, "%s/%.*s%s", in->olddirs[0], (int)stem, base,
			 rot);
	else if (in_olddir)
		snprintf(out, n, "%.*s/%s/%.*s%s", dl, dir,
			 in->nolddirs ? in->olddirs[0] : "(olddir)", (int)stem,
			 base, rot);
	else if (slash)
		snprintf(out, n, "%.*s/%.*s%s", dl, dir, (int)stem, base, rot);
	else
		snprintf(out, n, "%.*s%s", (int)stem, base, rot);
	return 1;
}
