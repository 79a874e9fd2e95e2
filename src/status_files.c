/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status: which files 'run' takes as each live file's rotation group and
 * why. A file is in a group by its name (the rule of parser/rotation.c
 * that matched); it is a tracked file by its content (its first bytes,
 * decompressed, match a checkpoint's fingerprint), whatever its name.
 */
#include "status_files.h"
#include "cli.h"
#include "../parser/source.h"
#include "../util/esc.h"
#include "../util/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The checkpoint whose fingerprint f's first bytes match, or NULL. */
static const struct vt_checkpoint *by_content(const struct vt_state *st,
					      const struct vt_input *f)
{
	unsigned char head[VT_FP_LEN];
	size_t len = 0, got = 0;
	struct vt_source *src;
	const struct vt_checkpoint *best = NULL;

	if (vt_source_open_regular(f->path, &src))
		return NULL;
	while (len < sizeof(head) &&
	       vt_source_read(src, (char *)head + len, sizeof(head) - len,
			      &got) == VT_OK && got)
		len += got;
	vt_source_free(src);
	for (size_t i = 0; i < st->ncps; i++) {
		const struct vt_checkpoint *cp = &st->cps[i];

		if (!vt_checkpoint_head_matches(cp, head, len))
			continue;
		if (!best || (cp->dev == (uint64_t)f->dev &&
			      cp->ino == (uint64_t)f->ino))
			best = cp;
	}
	return best;
}

static const char *why(const struct vt_input *f, char *out, size_t n)
{
	if (f->rule == VT_ROT_LIVE)
		snprintf(out, n, "the live file, named");
	else
		snprintf(out, n, "name rule '%s'%s",
			 vt_rotation_rule_name((enum vt_rotation_rule)f->rule),
			 f->in_olddir ? ", in the olddir" : "");
	return out;
}

static int member(const struct vt_input *f, const struct vt_input *l)
{
	return f->group == l->group && l->group != 0;
}

void vt_status_files_text(const struct vt_inputs *in, const struct vt_state *st,
			  int keyed)
{
	char shown[4096], w[64], t[32];

	for (size_t i = 0; i < in->count; i++) {
		const struct vt_input *l = &in->files[i];

		if (l->rule != VT_ROT_LIVE || !l->group)
			continue;
		printf("rotation group of '%s':\n",
		       vt_esc(l->path, shown, sizeof(shown)));
		for (size_t k = 0; k < in->count; k++) {
			const struct vt_input *f = &in->files[k];
			const struct vt_checkpoint *cp;

			if (!member(f, l))
				continue;
			cp = keyed ? by_content(st, f) : NULL;
			printf("  %s\n    %s; ",
			       vt_esc(f->path, shown, sizeof(shown)),
			       why(f, w, sizeof(w)));
			if (!keyed)
				printf("content not compared (no secret: the checkpoints are hidden)\n");
			else if (cp)
				printf("content matches a checkpoint: read %llu of %llu bytes\n",
				       (unsigned long long)cp->offset,
				       (unsigned long long)cp->size_seen);
			else
				printf("content matches no checkpoint: the next run reads it from its start\n");
		}
	}
	if (!st->nlosses)
		return;
	if (!keyed) {
		printf("lost files: %zu kept, names hidden (no secret)\n",
		       st->nlosses);
		return;
	}
	printf("lost files (newest %d kept):\n", VT_MAX_LOSSES);
	for (size_t i = 0; i < st->nlosses; i++) {
		const struct vt_loss *x = &st->losses[i];
		char name[4096];

		vt_inputs_name_of(in, x->group, (x->flags & VT_CP_EXTENSION) != 0,
				  (x->flags & VT_CP_IN_OLDDIR) != 0, x->rot, name,
				  sizeof(name));
		vt_time_format(x->at, t);
		printf("  %s  %s  %llu bytes unread known%s\n", t,
		       vt_esc(name, shown, sizeof(shown)),
		       (unsigned long long)x->bytes,
		       x->rot[0] ? "" : ", and what was written after the run before");
	}
}

void vt_status_files_json(struct vt_json *j, const struct vt_inputs *in,
			  const struct vt_state *st, int keyed)
{
	char w[64], t[32], name[4096];

	vt_json_key(j, "rotation_groups");
	vt_json_open(j, 1);
	for (size_t i = 0; i < in->count; i++) {
		const struct vt_input *l = &in->files[i];

		if (l->rule != VT_ROT_LIVE || !l->group)
			continue;
		vt_json_open(j, 0);
		vt_json_key(j, "live");
		vt_json_str(j, l->path);
		vt_json_key(j, "files");
		vt_json_open(j, 1);
		for (size_t k = 0; k < in->count; k++) {
			const struct vt_input *f = &in->files[k];

			if (!member(f, l))
				continue;
			const struct vt_checkpoint *cp =
				keyed ? by_content(st, f) : NULL;
			vt_json_open(j, 0);
			vt_json_key(j, "path");
			vt_json_str(j, f->path);
			vt_json_key(j, "rule");
			vt_json_str(j, vt_rotation_rule_name((enum vt_rotation_rule)f->rule));
			vt_json_key(j, "why");
			vt_json_str(j, why(f, w, sizeof(w)));
			vt_json_key(j, "in_olddir");
			vt_json_bool(j, f->in_olddir);
			vt_json_key(j, "content_match");
			vt_json_bool(j, cp != NULL);
			vt_json_key(j, "offset");
			vt_json_int(j, cp ? (int64_t)cp->offset : 0);
			vt_json_close(j, 0);
		}
		vt_json_close(j, 1);
		vt_json_close(j, 0);
	}
	vt_json_close(j, 1);
	vt_json_key(j, "losses");
	vt_json_open(j, 1);
	for (size_t i = 0; keyed && i < st->nlosses; i++) {
		const struct vt_loss *x = &st->losses[i];

		vt_inputs_name_of(in, x->group, (x->flags & VT_CP_EXTENSION) != 0,
				  (x->flags & VT_CP_IN_OLDDIR) != 0, x->rot, name,
				  sizeof(name));
		vt_time_format(x->at, t);
		vt_json_open(j, 0);
		vt_json_key(j, "at");
		vt_json_str(j, t);
		vt_json_key(j, "name");
		vt_json_str(j, name);
		vt_json_key(j, "bytes_unread_known");
		vt_json_int(j, (int64_t)x->bytes);
		vt_json_close(j, 0);
	}
	vt_json_close(j, 1);
}
