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

/*
 * Reads a pending report's bytes (gzip, as stored and as sent) into gz
 * and its report_id into id. Returns 0, or -1 with errno (EINVAL for a
 * file that is not a report).
 */
int vt_spool_read(const char *state_dir, const char *name, struct vt_buf *gz,
		  char *id, size_t idlen);

/* Moves a report to sent/ (and prunes sent/ to VT_SENT_KEEP). */
int vt_spool_mark_sent(const char *state_dir, const char *name);
/* Records that the endpoint refused it with status (or clears, status 0). */
int vt_spool_mark_refused(const char *state_dir, const char *name,
			  long status);

/* Parses the start time from a report's name; 0 on success. */
int vt_spool_name_start(const char *name, int64_t *start);

#endif
