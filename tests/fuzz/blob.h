/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by fuzz_state and fuzz_agg: checksums, allowlists, exercising. */
#ifndef VT_FUZZ_BLOB_H
#define VT_FUZZ_BLOB_H

#include "fuzz.h"
#include "../../aggregator/agg.h"
#include "../../util/buf.h"
#include "../../util/hash.h"

static struct vt_allowlist *fuzz_servers, *fuzz_clients;
static struct vt_summary *fuzz_sum;

/* The shipped allowlists, as every command loads them. */
static void fuzz_blob_init(void)
{
	char err[256];

	if (fuzz_servers)
		return;
	fuzz_servers = vt_allowlist_new();
	fuzz_clients = vt_allowlist_new();
	FUZZ_CHECK(vt_allowlist_load(fuzz_servers, vt_default_servers,
				     strlen(vt_default_servers), "servers",
				     err, sizeof(err)) == VT_OK);
	FUZZ_CHECK(vt_allowlist_load(fuzz_clients, vt_default_clients,
				     strlen(vt_default_clients), "clients",
				     err, sizeof(err)) == VT_OK);
	fuzz_sum = vt_xcalloc(1, sizeof(*fuzz_sum));
}

static struct vt_agg_config fuzz_config(int64_t period)
{
	struct vt_agg_config cfg = { period, 0, 0, fuzz_servers,
				     fuzz_clients, NULL };

	return cfg;
}

/*
 * Writes the CRC-32 trailer that both formats end with over p[from, at)
 * into p[at, at + 4): without it nearly every mutation would stop at the
 * checksum and the structure behind it would never be fuzzed.
 */
static void fuzz_fix_crc(unsigned char *p, size_t from, size_t at)
{
	uint32_t crc = vt_crc32(0, p + from, at - from);

	p[at] = (unsigned char)crc;
	p[at + 1] = (unsigned char)(crc >> 8);
	p[at + 2] = (unsigned char)(crc >> 16);
	p[at + 3] = (unsigned char)(crc >> 24);
}

/* Builds every summary, as a report would, and checks its bounds. */
static void fuzz_summarize_all(const struct vt_agg *a)
{
	size_t n = vt_agg_period_count(a);

	for (size_t i = 0; i <= n; i++) {
		vt_agg_summarize(a, i, fuzz_sum);
		FUZZ_CHECK(fuzz_sum->nbackends <= VT_MAX_NAMES + 2);
		FUZZ_CHECK(fuzz_sum->nclients <= VT_MAX_NAMES + 1);
		FUZZ_CHECK(fuzz_sum->granularity != NULL);
		if (i < n)
			FUZZ_CHECK(fuzz_sum->start == vt_agg_period_start(a, i) ||
				   !strcmp(fuzz_sum->granularity, "all"));
	}
}

/* What a decoded aggregate goes through in a run: reports and merging. */
static void fuzz_exercise(const struct vt_agg_config *cfg,
			  const struct vt_agg *a)
{
	struct vt_agg *m = vt_agg_new(cfg);

	fuzz_summarize_all(a);
	vt_agg_merge(m, a);
	fuzz_summarize_all(m);
	vt_agg_merge(m, a);
	vt_agg_free(m);
}

static int fuzz_same_buf(const struct vt_buf *a, const struct vt_buf *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

#endif
