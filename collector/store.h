/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's database: SQLite in WAL mode. One row per accepted
 * report (UNIQUE on its idempotency key and on installation_id + period),
 * written in one transaction each; daily rollups for days whose raw
 * reports retention removed. One writer connection behind a mutex;
 * every reader opens its own connection.
 */
#ifndef VT_COLLECTOR_STORE_H
#define VT_COLLECTOR_STORE_H

#include "ingest.h"

#include <stdint.h>

struct vt_store;

/* Opens (creating) path; on error says why in why (no secrets). */
struct vt_store *vt_store_open(const char *path, char *why, size_t n);
void vt_store_close(struct vt_store *st);

enum vt_store_put {
	VT_STORE_STORED,    /* a new report: 201 */
	VT_STORE_DUPLICATE, /* already held (key or installation + period) */
	VT_STORE_FAILED,    /* the database failed: 503, the client retries */
};
enum vt_store_put vt_store_put(struct vt_store *st,
			       const struct vt_ingest_report *r,
			       int64_t received);

/*
 * 1 when the database takes a write now and has not refused a report in
 * the last VT_STORE_FAIL_HOLD seconds (the health check).
 */
#define VT_STORE_FAIL_HOLD 30
int vt_store_ok(struct vt_store *st);
/* Rows held, raw reports among them, and the file's size with its WAL. */
void vt_store_stats(struct vt_store *st, uint64_t *reports, uint64_t *raw,
		    uint64_t *rollups, uint64_t *bytes);

/* A read of the database: its own connection. */
struct vt_store_reader;
struct vt_store_reader *vt_store_reader_open(struct vt_store *st);
void vt_store_reader_close(struct vt_store_reader *rd);

/* One raw report, in order of day, period start and granularity. */
typedef void (*vt_store_report_cb)(void *ctx, int64_t start,
				   const char *granularity, const char *json,
				   size_t len);
/* One day's rollup: its merged report and its cells' installations. */
typedef void (*vt_store_rollup_cb)(void *ctx, int64_t day, uint64_t reports,
				   const char *json, size_t len,
				   const char *cells, size_t cells_len);
/* Raw reports and rollups whose day (UTC, days since 1970) is in
 * [from, to]. Returns -1 when the database failed. */
int vt_store_each(struct vt_store_reader *rd, int64_t from, int64_t to,
		  vt_store_report_cb report, vt_store_rollup_cb rollup,
		  void *ctx);
/* The first and last day holding anything; 0 when the store is empty. */
int vt_store_days(struct vt_store_reader *rd, int64_t *first, int64_t *last);

/*
 * Retention: for each day before cutoff that still holds raw reports,
 * make (build) its rollup from the old rollup and the raw reports, store
 * it and drop the reports' bodies (their keys stay, so a retry is still
 * answered 200), all in one transaction. build fills json and cells
 * (malloc'd) and returns the report count; -1 on failure.
 */
typedef int (*vt_store_build_fn)(void *ctx, struct vt_store_reader *rd,
				 int64_t day, char **json, char **cells,
				 uint64_t *reports);
int vt_store_retain(struct vt_store *st, int64_t cutoff_day,
		    vt_store_build_fn build, void *ctx);

#endif
