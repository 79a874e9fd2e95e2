/* SPDX-License-Identifier: Apache-2.0 */
/* The report spool: DIR/reports/ (pending) and DIR/reports/sent/. */
#ifndef VT_SPOOL_H
#define VT_SPOOL_H

#include "../util/buf.h"

#include <stdint.h>

/* Reports kept in DIR/reports/sent/ (the newest ones). */
#define VT_SENT_KEEP 100

struct vt_spool_entry {
	char *name;        /* "20261124T000000Z-day.json.gz" */
	int64_t start;     /* the period's start, from the name */
	long refused;      /* HTTP status of the last refusal, or 0 */
};

/* Lists the reports in DIR/reports (or sent/ when sent != 0), oldest first. */
int vt_spool_list(const char *state_dir, int sent,
		  struct vt_spool_entry **out, size_t *n);
void vt_spool_free(struct vt_spool_entry *e, size_t n);

struct vt_allowlist;

/* A pending report as it may be sent or shown. */
struct vt_spool_report {
	struct vt_buf json;  /* re-written: what is shown */
	struct vt_buf gz;    /* json gzip'd: what is sent */
	char id[80];         /* its report_id */
	size_t folded;       /* names on no allowlist, now "other" */
	int differs;         /* json is not the file's content */
};

/*
 * Reads a pending report through the report reader (vt_report_parse: its
 * fields, enums and bounds), folds names on no allowlist into "other"
 * (vt_summary_allow) and writes it again: nothing is sent or shown byte
 * for byte from the file. Returns 0 (release out), -1 when the file cannot
 * be read (errno), -2 when it is not a report this version writes; err
 * says why (never the content). out is released on error.
 */
int vt_spool_read(const char *state_dir, const char *name,
		  const struct vt_allowlist *servers,
		  const struct vt_allowlist *clients, struct vt_spool_report *out,
		  char *err, size_t errlen);
void vt_spool_report_release(struct vt_spool_report *r);
/* Replaces DIR/reports/NAME by gz (atomically, mode 0600). */
int vt_spool_rewrite(const char *state_dir, const char *name,
		     const struct vt_buf *gz);

/* Moves a report to sent/ (and prunes sent/ to VT_SENT_KEEP). */
int vt_spool_mark_sent(const char *state_dir, const char *name);
/* Records that the endpoint refused it with status (or clears, status 0). */
int vt_spool_mark_refused(const char *state_dir, const char *name,
			  long status);

/* Parses the start time from a report's name; 0 on success. */
int vt_spool_name_start(const char *name, int64_t *start);

#endif
