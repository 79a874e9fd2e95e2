/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spool. A report is pending while it is in DIR/reports/; a 2xx moves
 * it to DIR/reports/sent/ with one rename, so it is either pending or sent,
 * never both and never neither. A refusal is noted beside it in
 * NAME.refused, which status reads.
 */
#include "spool.h"
#include "../parser/decode.h"
#include "../parser/source.h"
#include "../util/timeutil.h"
#include "../reporter/report.h"
#include "../reporter/sink.h"
#include "../aggregator/privacy.h"
#include "../state/secret.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char *p = vt_xmalloc(n);

	if (c)
		snprintf(p, n, "%s/%s/%s", a, b, c);
	else
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

int vt_spool_name_start(const char *name, int64_t *start)
{
	char iso[32];

	/* YYYYmmddTHHMMSSZ-... */
	if (strlen(name) < 17 || name[8] != 'T' || name[15] != 'Z')
		return -1;
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", name,
		 name + 4, name + 6, name + 9, name + 11, name + 13);
	return vt_time_parse(iso, strlen(iso), start);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vt_spool_entry *)a)->name,
		      ((const struct vt_spool_entry *)b)->name);
}

static long read_refused(const char *dir, const char *name)
{
	size_t n = strlen(name) + 16;
	char *marker = vt_xmalloc(n);
	long status = 0;
	FILE *f;

	snprintf(marker, n, "%s.refused", name);
	char *p = path3(dir, marker, NULL);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (f) {
		if (fscanf(f, "%ld", &status) != 1)
			status = 0;
		fclose(f);
	} else if (fd >= 0) {
		close(fd);
	}
	free(p);
	free(marker);
	return status;
}

int vt_spool_list(const char *state_dir, int sent,
		  struct vt_spool_entry **out, size_t *n)
{
	char *dir = sent ? path3(state_dir, "reports", "sent")
			 : path3(state_dir, "reports", NULL);
	DIR *d = opendir(dir);
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (!d) {
		free(dir);
		return errno == ENOENT ? 0 : -1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		int64_t start;

		if (len < 8 || strcmp(e->d_name + len - 8, ".json.gz") != 0 ||
		    vt_spool_name_start(e->d_name, &start))
			continue;
		*out = vt_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].name = vt_xstrdup(e->d_name);
		(*out)[*n].start = start;
		(*out)[*n].refused = sent ? 0 : read_refused(dir, e->d_name);
		(*n)++;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_name);
	return 0;
}

void vt_spool_free(struct vt_spool_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

/* The stored bytes of DIR/reports/NAME, decompressed, into json. */
static int read_json(const char *state_dir, const char *name,
		     struct vt_buf *json)
{
	char *p = path3(state_dir, "reports", name);
	int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct vt_source *src = NULL;
	char chunk[65536];
	int rc = -1;

	free(p);
	if (fd < 0)
		return -1;
	if (vt_source_from_fd(fd, &src)) {
		close(fd);
		return -1;
	}
	for (;;) {
		size_t got = 0;

		if (vt_source_read(src, chunk, sizeof(chunk), &got) ||
		    (got && vt_buf_append(json, chunk, got))) {
			errno = EINVAL;
			break;
		}
		if (got == 0) {
			rc = 0;
			break;
		}
	}
	vt_source_free(src); /* closes fd */
	return rc;
}

/* 32 lowercase hex digits, as run writes it; anything else is dropped. */
static int good_installation_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == VT_INSTALLATION_ID_LEN && s[n] == '\0';
}

/* s as JSON (with iid) into json, and gzip'd into gz. */
static int render(const struct vt_summary *s, const char *iid,
		  struct vt_buf *json, struct vt_buf *gz)
{
	struct vt_report_meta meta = { iid };
	struct vt_sink plain, inner, zip;
	struct vt_scrubber *scrub = vt_scrubber_new();
	int rc = 0;

	vt_sink_buffer(json, &plain);
	if (vt_report_write_json(s, &meta, scrub, &plain, NULL))
		rc = -1;
	vt_sink_buffer(gz, &inner);
	if (!rc && (vt_sink_gzip(&inner, &zip) ||
		    vt_sink_write(&zip, json->ptr, json->len) ||
		    zip.close(zip.ctx)))
		rc = -1;
	vt_scrubber_free(scrub);
	return rc;
}

int vt_spool_read(const char *state_dir, const char *name,
		  const struct vt_allowlist *servers,
		  const struct vt_allowlist *clients, struct vt_spool_report *out,
		  char *err, size_t errlen)
{
	struct vt_buf stored;
	struct vt_summary *s = vt_xcalloc(1, sizeof(*s));
	char iid[VT_INSTALLATION_ID_LEN + 8];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	vt_buf_init(&out->gz, (size_t)1 << 30);
	vt_buf_init(&out->json, 64 * 1024 * 1024);
	vt_buf_init(&stored, 64 * 1024 * 1024);
	snprintf(err, errlen, "%s", "it cannot be read or decompressed");
	if (read_json(state_dir, name, &stored))
		goto out;
	rc = -2;
	if (vt_report_parse(stored.ptr ? stored.ptr : "", stored.len, s, err,
			    errlen) != VT_OK)
		goto out;
	if (vt_json_top_string(stored.ptr, stored.len, "installation_id", iid,
			       sizeof(iid)) ||
	    !good_installation_id(iid)) {
		snprintf(err, errlen, "%s", "no installation_id as run writes it");
		goto out;
	}
	out->folded = vt_summary_allow(s, servers, clients);
	vt_summary_clip_hours(s); /* written before late calls were kept out */
	snprintf(err, errlen, "%s", "it cannot be written again");
	if (render(s, iid, &out->json, &out->gz) ||
	    vt_json_top_string(out->json.ptr, out->json.len, "report_id",
			       out->id, sizeof(out->id)))
		goto out;
	out->differs = stored.len != out->json.len ||
		       memcmp(stored.ptr, out->json.ptr, stored.len) != 0;
	rc = 0;
out:
	if (rc)
		vt_spool_report_release(out);
	vt_buf_release(&stored);
	free(s);
	return rc;
}

void vt_spool_report_release(struct vt_spool_report *r)
{
	vt_buf_release(&r->gz);
	vt_buf_release(&r->json);
}

int vt_spool_rewrite(const char *state_dir, const char *name,
		     const struct vt_buf *gz)
{
	char *p = path3(state_dir, "reports", name);
	struct vt_sink f;
	int rc = -1;

	if (vt_sink_file(p, 0600, &f) == VT_OK) {
		if (vt_sink_write(&f, gz->ptr, gz->len) == VT_OK)
			rc = f.close(f.ctx) == VT_OK ? 0 : -1;
		else
			f.abort(f.ctx);
	}
	free(p);
	return rc;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void prune_sent(const char *state_dir)
{
	struct vt_spool_entry *e;
	size_t n;

	if (vt_spool_list(state_dir, 1, &e, &n))
		return;
	for (size_t i = 0; i + VT_SENT_KEEP < n; i++) {
		char *p = path3(state_dir, "reports/sent", e[i].name);

		unlink(p);
		free(p);
	}
	vt_spool_free(e, n);
}

int vt_spool_mark_sent(const char *state_dir, const char *name)
{
	char *reports = path3(state_dir, "reports", NULL);
	char *sent = path3(state_dir, "reports", "sent");
	char *from = path3(reports, name, NULL);
	char *to = path3(sent, name, NULL);
	int rc = -1;
	struct stat st;

	/* sent/ must be our directory, not a link planted in its place. */
	if (mkdir(sent, 0700) == 0)
		chmod(sent, 0700);
	if (lstat(sent, &st) != 0) {
		/* errno says why */
	} else if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
	} else if (rename(from, to) == 0) {
		sync_dir(sent);
		sync_dir(reports);
		vt_spool_mark_refused(state_dir, name, 0);
		prune_sent(state_dir);
		rc = 0;
	}
	free(reports);
	free(sent);
	free(from);
	free(to);
	return rc;
}

int vt_spool_mark_refused(const char *state_dir, const char *name,
			  long status)
{
	size_t n = strlen(name) + 16;
	char *marker = vt_xmalloc(n);
	int rc = 0;

	snprintf(marker, n, "%s.refused", name);
	char *p = path3(state_dir, "reports", marker);
	if (status == 0) {
		if (unlink(p) != 0 && errno != ENOENT)
			rc = -1;
	} else {
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
					 O_CLOEXEC,
			      0600);
		char line[32];
		int len = snprintf(line, sizeof(line), "%ld\n", status);

		if (fd < 0 || fchmod(fd, 0600) != 0 ||
		    write(fd, line, (size_t)len) != len)
			rc = -1;
		if (fd >= 0)
			close(fd);
	}
	free(p);
	free(marker);
	return rc;
}
