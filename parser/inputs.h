/* SPDX-License-Identifier: Apache-2.0 */
/* Input discovery: paths, globs, directories, rotation groups, pod paths. */
#ifndef VT_INPUTS_H
#define VT_INPUTS_H

#include "../util/vt.h"

#include <stdint.h>
#include <sys/types.h>

struct vt_input {
	char *path;        /* as found ("-" for stdin) */
	dev_t dev;
	ino_t ino;
	uint64_t instance; /* 64-bit hash of the instance's key */
	uint64_t stream;   /* 64-bit hash of the process slot */
	int k8s;           /* found by its Kubernetes pod log path */
	int restart;       /* Kubernetes container restart number (N.log) */
	int rotated;       /* a rotated sibling, not the live file */
	char *order;       /* sort key: oldest first within a group */
	/* Set by vt_inputs_add_siblings for live files and their siblings: */
	int rule;          /* enum vt_rotation_rule: why it is in its group */
	uint64_t group;    /* hash of the live file's path; 0: in no group */
	size_t rot_at;     /* where the rotation part of the base name starts */
	int in_olddir;     /* found in an olddir, not beside the live file */
};

/* Problems found while listing, for the caller to report. */
struct vt_input_problem {
	char *path;
	int err;    /* errno, or 0 */
	const char *what; /* "no file matches" ... */
};

/*
 * Files listed at most (--max-files): a volume anyone can write to could
 * hold millions, and each costs memory (a run keeps 1 KiB of each).
 */
#define VT_DEFAULT_MAX_FILES 100000
#define VT_MAX_MAX_FILES 10000000

struct vt_inputs {
	struct vt_input *files;
	size_t count;
	struct vt_input_problem *problems;
	size_t nproblems;
	size_t max_files;       /* set by init to the default; callers may lower it */
	uint64_t files_skipped; /* found past max_files, not listed */
	/* logrotate olddirs to search for siblings (relative: to each live
	 * file's directory); the caller's strings, not freed here. */
	const char *const *olddirs;
	size_t nolddirs;
};

/* Empty, with max_files VT_DEFAULT_MAX_FILES. */
void vt_inputs_init(struct vt_inputs *in);
/*
 * Keeps the files of shard (0 .. nshards - 1): those whose instance
 * hashes to it under key (HMAC-SHA256, from the fleet key), so an
 * instance is read whole by one shard and a shard's I/N says nothing of
 * the names in it to whoever lacks the key. Problems stay with shard 0
 * only. Call after listing and before sorting or reading.
 */
void vt_inputs_shard(struct vt_inputs *in, const unsigned char key[32],
		     unsigned shard, unsigned nshards);
void vt_inputs_release(struct vt_inputs *in);

/*
 * Adds what arg names: "-" (stdin), a file, a glob, or a directory (its
 * log files, recursively). The same file (device and inode) is kept once.
 * Problems (a missing file, an empty glob, an unreadable directory, more
 * than max_files files) are recorded in in->problems; they never stop the
 * listing.
 */
void vt_inputs_add(struct vt_inputs *in, const char *arg);

/*
 * Adds the rotated siblings of every live file already listed: files in
 * its directory and in each of in->olddirs whose names are rotated forms
 * of its name by vt_rotation_match ("x.log.1", "x.log.2.gz",
 * "x.log-20261124-1764000000.zst", "x-20261124.log.gz",
 * "0.log.20261124-101500.gz"). They join the live file's group (its
 * instance, stream and sort order), and so do rotated files already
 * listed by name. No other file of the directory is opened.
 */
void vt_inputs_add_siblings(struct vt_inputs *in);

/*
 * The path a file of live file group `group` had, from the rotation part
 * of its name (rot; extension: it replaced the live name's extension;
 * in_olddir: it was in the first olddir): "dir/x.log-20261124.gz".
 * Returns 1, or 0 when no live file of that group was listed (out then
 * says so). At most n bytes, NUL-terminated.
 */
int vt_inputs_name_of(const struct vt_inputs *in, uint64_t group,
		      int extension, int in_olddir, const char *rot,
		      char *out, size_t n);

/*
 * Sorts the files so that each rotation group is read oldest first and
 * groups appear in path order (a stable, input-independent order).
 */
void vt_inputs_sort(struct vt_inputs *in);

/*
 * The identity of a path: fills instance, stream, k8s, restart, rotated
 * and order. Exposed for tests.
 */
void vt_input_classify(struct vt_input *f);

/*
 * The rotation group of a file name: the live name with any rotation
 * suffix (".1", ".2.gz", "-20261124", ".20261124-101500.gz", ".gz")
 * removed. Writes at most n bytes (NUL-terminated) into out and returns
 * the rank of the suffix: 0 for the live file, larger for older ones.
 */
void vt_rotation_base(const char *name, char *out, size_t n, int *rotated,
		      char *age, size_t agen);

/* Why a file was taken into a live file's rotation group (parser/rotation.c). */
enum vt_rotation_rule {
	VT_ROT_LIVE = 0,    /* the live file itself */
	VT_ROT_NUMBERED,    /* x.log.1, x.log.2.gz */
	VT_ROT_DATED,       /* x.log-20261124, x.log-20261124-1764000000.zst */
	VT_ROT_EXTENSION,   /* x-20261124.log.gz, x.1.log (logrotate 'extension') */
	VT_ROT_KUBELET,     /* 0.log.20261124-101500[.gz] */
	VT_ROT_COMPRESSED,  /* x.log.gz */
};

/* "live", "numbered", "dateext", "extension", "kubelet", "compressed". */
const char *vt_rotation_rule_name(enum vt_rotation_rule rule);

/*
 * 1 when the file name `name` is `live` (both base names, no directory)
 * or one of its rotated forms under logrotate's naming rules (numbered,
 * any dateformat, extension, a compression extension .gz .zst .zstd .xz
 * .bz2) or the kubelet's; fills *rule and the sort key age (older sorts
 * first; at most agen bytes, NUL-terminated). 0 for any other name:
 * "x.log.bak", "x-other.log", "x.log.1.tmp" are never taken.
 */
int vt_rotation_match(const char *live, const char *name,
		      enum vt_rotation_rule *rule, char *age, size_t agen);

#endif
