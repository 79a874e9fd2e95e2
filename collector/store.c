/* SPDX-License-Identifier: Apache-2.0 */
/* The collector's SQLite database (see store.h). */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct vt_store {
	sqlite3 *db;
	char *path;
	pthread_mutex_t lock;
	sqlite3_stmt *insert;
	time_t probed; /* when the health check last wrote */
	int healthy;
	time_t put_failed; /* the last report the database refused; 0 none
			      since one was stored */
};

struct vt_store_reader {
	sqlite3 *db;
};

/*
 * A report is the same report again when its installation sends the same
 * Idempotency-Key, or a second report for the same period: the key alone
 * is not enough (the client's is the report_id, a hash of the content,
 * which two installations can share). A request without a key is keyed
 * by its report_id.
 */
#define REPORTS_TABLE(name)                                    \
	"CREATE TABLE IF NOT EXISTS " name " ("                \
	" id INTEGER PRIMARY KEY,"                             \
	" idempotency_key TEXT NOT NULL,"                      \
	" installation_id TEXT NOT NULL,"                      \
	" period_start INTEGER NOT NULL,"                      \
	" period_end INTEGER NOT NULL,"                        \
	" granularity TEXT NOT NULL,"                          \
	" day INTEGER NOT NULL,"                               \
	" received INTEGER NOT NULL,"                          \
	" body TEXT," /* NULL once rolled up */                \
	" UNIQUE (idempotency_key, installation_id),"          \
	" UNIQUE (installation_id, period_start, granularity));"

static const char schema[] =
	REPORTS_TABLE("reports")
	"CREATE INDEX IF NOT EXISTS reports_by_day ON reports (day, period_start);"
	"CREATE TABLE IF NOT EXISTS rollups ("
	" day INTEGER PRIMARY KEY,"
	" reports INTEGER NOT NULL,"
	" body TEXT NOT NULL,"
	" cells TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY, at INTEGER);";

/* A database made before the key was per installation: its table again. */
static const char migrate[] =
	"BEGIN IMMEDIATE;"
	REPORTS_TABLE("reports_v2")
	"INSERT INTO reports_v2 SELECT id, idempotency_key, installation_id,"
	" period_start, period_end, granularity, day, received, body FROM reports;"
	"DROP TABLE reports;"
	"ALTER TABLE reports_v2 RENAME TO reports;"
	"CREATE INDEX IF NOT EXISTS reports_by_day ON reports (day, period_start);"
	"COMMIT;";

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int64_t scalar(sqlite3 *db, const char *sql, int64_t fallback)
{
	sqlite3_stmt *q;
	int64_t v = fallback;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return fallback;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static sqlite3 *open_db(const char *path, int flags, char *why, size_t n)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(why, n, "%s", db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	/* No temporary files: the root filesystem may be read-only. */
	exec(db, "PRAGMA temp_store=MEMORY");
	return db;
}

struct vt_store *vt_store_open(const char *path, char *why, size_t n)
{
	sqlite3 *db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			      why, n);
	struct vt_store *st;

	if (!db)
		return NULL;
	/* WAL, and every commit on disk before the 201 goes out. */
	if (exec(db, "PRAGMA journal_mode=WAL") ||
	    exec(db, "PRAGMA synchronous=FULL") || exec(db, schema) ||
	    (scalar(db, "SELECT instr(sql, 'idempotency_key TEXT NOT NULL UNIQUE')"
		    " FROM sqlite_master WHERE name = 'reports'", 0) > 0 &&
	     exec(db, migrate))) {
		exec(db, "ROLLBACK");
		snprintf(why, n, "%s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	st = vt_xcalloc(1, sizeof(*st));
	st->db = db;
	st->path = vt_xstrdup(path);
	pthread_mutex_init(&st->lock, NULL);
	if (sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO reports (idempotency_key,"
			       " installation_id, period_start, period_end,"
			       " granularity, day, received, body)"
			       " VALUES (?,?,?,?,?,?,?,?)",
			       -1, &st->insert, NULL) != SQLITE_OK) {
		snprintf(why, n, "%s", sqlite3_errmsg(db));
		vt_store_close(st);
		return NULL;
	}
	return st;
}

void vt_store_close(struct vt_store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->insert);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st->path);
	free(st);
}

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

enum vt_store_put vt_store_put(struct vt_store *st,
			       const struct vt_ingest_report *r,
			       int64_t received)
{
	sqlite3_stmt *q = st->insert;
	enum vt_store_put rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->installation_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, r->start);
	sqlite3_bind_int64(q, 4, r->end);
	sqlite3_bind_text(q, 5, r->granularity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, day_of(r->start));
	sqlite3_bind_int64(q, 7, received);
	sqlite3_bind_text(q, 8, r->json, (int)r->json_len, SQLITE_STATIC);
	/* One statement in autocommit: one transaction per report. */
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = VT_STORE_FAILED;
	else
		rc = sqlite3_changes(st->db) == 1 ? VT_STORE_STORED
						  : VT_STORE_DUPLICATE;
	st->put_failed = rc == VT_STORE_FAILED ? time(NULL) : 0;
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/*
 * A real write, committed, at most once a second (a cached answer in
 * between): a database locked by another process, a full disk or a
 * read-only file all fail it. A disk with room for the probe's one page
 * but not for a report is caught by the reports themselves: one the
 * database refused in the last VT_STORE_FAIL_HOLD seconds, with none
 * stored since, fails the check too. Waits at most about 0.8 s in all.
 */
int vt_store_ok(struct vt_store *st)
{
	struct timespec until;
	sqlite3_stmt *q = NULL;
	time_t now = time(NULL);
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 400 * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	if (pthread_mutex_timedlock(&st->lock, &until) != 0)
		return 0; /* a write has held the database that long */
	if (st->put_failed && now - st->put_failed < VT_STORE_FAIL_HOLD) {
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	if (st->probed == now) {
		ok = st->healthy;
		pthread_mutex_unlock(&st->lock);
		return ok;
	}
	sqlite3_busy_timeout(st->db, 400);
	ok = exec(st->db, "BEGIN IMMEDIATE") == 0 &&
	     sqlite3_prepare_v2(st->db,
				"INSERT OR REPLACE INTO health (id, at) VALUES (1, ?)",
				-1, &q, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(q, 1, (int64_t)now);
		ok = sqlite3_step(q) == SQLITE_DONE;
	}
	sqlite3_finalize(q);
	ok = ok && exec(st->db, "COMMIT") == 0;
	if (!ok && !sqlite3_get_autocommit(st->db))
		exec(st->db, "ROLLBACK");
	sqlite3_busy_timeout(st->db, 10000);
	st->probed = now;
	st->healthy = ok;
	pthread_mutex_unlock(&st->lock);
	return ok;
}

static uint64_t file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;

	if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix) >= sizeof(p) ||
	    stat(p, &sb) != 0)
		return 0;
	return (uint64_t)sb.st_size;
}

void vt_store_stats(struct vt_store *st, uint64_t *reports, uint64_t *raw,
		    uint64_t *rollups, uint64_t *bytes)
{
	struct vt_store_reader *rd = vt_store_reader_open(st);

	*reports = *raw = *rollups = 0;
	if (rd) {
		*reports = (uint64_t)scalar(rd->db, "SELECT count(*) FROM reports", 0);
		*raw = (uint64_t)scalar(rd->db,
					"SELECT count(*) FROM reports WHERE body IS NOT NULL", 0);
		*rollups = (uint64_t)scalar(rd->db, "SELECT count(*) FROM rollups", 0);
		vt_store_reader_close(rd);
	}
	*bytes = file_size(st->path, "") + file_size(st->path, "-wal");
}

struct vt_store_reader *vt_store_reader_open(struct vt_store *st)
{
	char why[128];
	sqlite3 *db = open_db(st->path, SQLITE_OPEN_READONLY, why, sizeof(why));
	struct vt_store_reader *rd;

	if (!db)
		return NULL;
	rd = vt_xcalloc(1, sizeof(*rd));
	rd->db = db;
	return rd;
}

void vt_store_reader_close(struct vt_store_reader *rd)
{
	if (!rd)
		return;
	sqlite3_close(rd->db);
	free(rd);
}

/* Runs sql over days [from, to], handing each row to row. */
static int each_row(struct vt_store_reader *rd, const char *sql, int64_t from,
		    int64_t to, void (*row)(sqlite3_stmt *q, void *arg),
		    void *arg)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(rd->db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, to);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		row(q, arg);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct each {
	vt_store_report_cb report;
	vt_store_rollup_cb rollup;
	void *ctx;
};

static void report_row(sqlite3_stmt *q, void *arg)
{
	const struct each *e = arg;

	e->report(e->ctx, sqlite3_column_int64(q, 0),
		  (const char *)sqlite3_column_text(q, 1),
		  (const char *)sqlite3_column_text(q, 2),
		  (size_t)sqlite3_column_bytes(q, 2));
}

static void rollup_row(sqlite3_stmt *q, void *arg)
{
	const struct each *e = arg;

	e->rollup(e->ctx, sqlite3_column_int64(q, 0),
		  (uint64_t)sqlite3_column_int64(q, 1),
		  (const char *)sqlite3_column_text(q, 2),
		  (size_t)sqlite3_column_bytes(q, 2),
		  (const char *)sqlite3_column_text(q, 3),
		  (size_t)sqlite3_column_bytes(q, 3));
}

int vt_store_each(struct vt_store_reader *rd, int64_t from, int64_t to,
		  vt_store_report_cb report, vt_store_rollup_cb rollup,
		  void *ctx)
{
	struct each e = { report, rollup, ctx };

	/* One snapshot for both tables. */
	if (exec(rd->db, "BEGIN"))
		return -1;
	int rc = each_row(rd, "SELECT day, reports, body, cells FROM rollups"
			  " WHERE day BETWEEN ? AND ? ORDER BY day",
			  from, to, rollup_row, &e);
	if (!rc)
		rc = each_row(rd, "SELECT period_start, granularity, body FROM reports"
			      " WHERE day BETWEEN ? AND ? AND body IS NOT NULL"
			      " ORDER BY day, period_start, granularity, id",
			      from, to, report_row, &e);
	exec(rd->db, "COMMIT");
	return rc;
}

int vt_store_days(struct vt_store_reader *rd, int64_t *first, int64_t *last)
{
	int64_t n = scalar(rd->db,
			   "SELECT (SELECT count(*) FROM reports WHERE body IS NOT NULL)"
			   " + (SELECT count(*) FROM rollups)", -1);

	if (n <= 0)
		return 0;
	*first = scalar(rd->db,
			"SELECT min(d) FROM (SELECT min(day) AS d FROM reports"
			" WHERE body IS NOT NULL UNION ALL SELECT min(day) FROM rollups)", 0);
	*last = scalar(rd->db,
		       "SELECT max(d) FROM (SELECT max(day) AS d FROM reports"
		       " WHERE body IS NOT NULL UNION ALL SELECT max(day) FROM rollups)", 0);
	return 1;
}

static int roll_day(struct vt_store *st, struct vt_store_reader *rd,
		    int64_t day, vt_store_build_fn build, void *ctx)
{
	char *json = NULL, *cells = NULL;
	uint64_t n = 0;
	sqlite3_stmt *put = NULL, *drop = NULL;
	int ok;

	if (build(ctx, rd, day, &json, &cells, &n) != 0)
		return -1;
	ok = exec(st->db, "BEGIN IMMEDIATE") == 0 &&
	     sqlite3_prepare_v2(st->db,
				"INSERT OR REPLACE INTO rollups (day, reports, body, cells)"
				" VALUES (?,?,?,?)", -1, &put, NULL) == SQLITE_OK &&
	     sqlite3_prepare_v2(st->db,
				"UPDATE reports SET body = NULL WHERE day = ?"
				" AND body IS NOT NULL", -1, &drop, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_int64(put, 1, day);
		sqlite3_bind_int64(put, 2, (int64_t)n);
		sqlite3_bind_text(put, 3, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 4, cells, -1, SQLITE_STATIC);
		sqlite3_bind_int64(drop, 1, day);
		ok = sqlite3_step(put) == SQLITE_DONE &&
		     sqlite3_step(drop) == SQLITE_DONE;
	}
	sqlite3_finalize(put);
	sqlite3_finalize(drop);
	ok = ok && exec(st->db, "COMMIT") == 0;
	if (!ok)
		exec(st->db, "ROLLBACK");
	free(json);
	free(cells);
	return ok ? 0 : -1;
}

int vt_store_retain(struct vt_store *st, int64_t cutoff_day,
		    vt_store_build_fn build, void *ctx)
{
	sqlite3_stmt *q;
	int64_t days[64];
	size_t n = 0;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	struct vt_store_reader *rd = vt_store_reader_open(st);
	if (!rd ||
	    sqlite3_prepare_v2(st->db,
			       "SELECT DISTINCT day FROM reports WHERE day < ?"
			       " AND body IS NOT NULL ORDER BY day LIMIT 64",
			       -1, &q, NULL) != SQLITE_OK) {
		vt_store_reader_close(rd);
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	sqlite3_bind_int64(q, 1, cutoff_day);
	while (n < VT_ARRAY_LEN(days) && sqlite3_step(q) == SQLITE_ROW)
		days[n++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = roll_day(st, rd, days[i], build, ctx);
	vt_store_reader_close(rd);
	pthread_mutex_unlock(&st->lock);
	return rc;
}
