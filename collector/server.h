/* SPDX-License-Identifier: Apache-2.0 */
/* The collector's HTTP server (libmicrohttpd) and its dashboard. */
#ifndef VT_COLLECTOR_SERVER_H
#define VT_COLLECTOR_SERVER_H

#include "store.h"
#include "../util/buf.h"

#include <stdint.h>

#define VT_COLLECTOR_NAME "vmcp-telemetry-collector"
#define VT_COLLECTOR_MAX_BODY_DEFAULT (1u << 20)
#define VT_COLLECTOR_MAX_TOKENS 16

struct vt_server_config {
	const char *addr;            /* numeric IPv4 or IPv6 address */
	uint16_t port;               /* 0: any free port */
	struct vt_store *store;      /* borrowed */
	const char *db_path;
	unsigned char tokens[VT_COLLECTOR_MAX_TOKENS][32]; /* SHA-256 of each */
	size_t ntokens;              /* 0: no token required */
	unsigned min_installations;
	size_t max_body;
	unsigned max_inflight;       /* POSTs validated at once; more: 429 */
	unsigned max_connections;
	unsigned threads;
	unsigned timeout_s;          /* idle connection */
	unsigned request_timeout_s;  /* one request, all in */
	const char *tls_cert;        /* PEM text, or NULL */
	const char *tls_key;
	const struct vt_ingest_lists *lists;
};

struct vt_server;

/* Starts serving; on error says why. *port gets the port listened on. */
struct vt_server *vt_server_start(const struct vt_server_config *cfg,
				  uint16_t *port, char *why, size_t n);
void vt_server_stop(struct vt_server *srv);

/*
 * The dashboard page for now: trends per day (by == 1, the last 30
 * days) or per week (by == 7, the last 12 weeks) and the latest
 * distribution of every deployment field, cells under K installations
 * withheld. Returns -1 when the database failed.
 */
int vt_dashboard_write(struct vt_store_reader *rd, int64_t now, int by,
		       unsigned min_installations, struct vt_buf *out);

#endif
