/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fleet answers: the stored reports of a range of days merged by the
 * report merge (sums, histograms, sketches), with every breakdown cell
 * backed by fewer than K installations withheld.
 *
 * Installations: an installation_id is unlinkable across periods, so the
 * installations behind a cell are counted per period (one report per
 * installation and period) and the most of any one period is taken: a
 * lower bound, never more than are provably distinct.
 */
#ifndef VT_COLLECTOR_FLEET_H
#define VT_COLLECTOR_FLEET_H

#include "store.h"
#include "../util/buf.h"

struct vt_fleet_bucket {
	int64_t from_day, to_day;    /* days since 1970, inclusive */
	uint64_t reports;            /* = installation-periods */
	uint64_t installations;      /* most in any one period */
	int withheld_all;            /* fewer than K installations */
	size_t nwithheld;            /* cells zeroed, by path */
	char **withheld;
	char *report_json;           /* the merged report; NULL when none */
};

/* The bucket of days [from, to]. Returns -1 when the database failed. */
int vt_fleet_bucket(struct vt_store_reader *rd, int64_t from, int64_t to,
		    unsigned min_installations, struct vt_fleet_bucket *out);
void vt_fleet_bucket_release(struct vt_fleet_bucket *b);

/*
 * GET /v1/summary's document for days [from, to]: one bucket, or one per
 * day (by == 1) or ISO week (by == 7). Returns -1 when the database
 * failed.
 */
int vt_fleet_summary(struct vt_store_reader *rd, int64_t from, int64_t to,
		     int by, unsigned min_installations, struct vt_buf *out);

/* The rollup of one day, for vt_store_retain. */
int vt_fleet_rollup(void *ctx, struct vt_store_reader *rd, int64_t day,
		    char **json, char **cells, uint64_t *reports);

/* "YYYY-MM-DD" of a day number into out (at least 16 bytes). */
void vt_fleet_day_name(int64_t day, char *out, size_t n);
/* The Monday of day's ISO week. */
int64_t vt_fleet_week_start(int64_t day);

#endif
