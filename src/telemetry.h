/* SPDX-License-Identifier: Apache-2.0 */
/* Consent and delivery settings shared by run, status and preview. */
#ifndef VT_TELEMETRY_H
#define VT_TELEMETRY_H

#include "mode.h"
#include "../reporter/upload.h"

/* Options as given on the command line (NULL when not given). */
struct vt_telemetry_opts {
	const char *telemetry;   /* --telemetry */
	const char *endpoint;    /* --endpoint */
	const char *config;      /* --config */
	const char *token_file;  /* --token-file */
	const char *cacert, *cert, *key;
	int64_t deadline_s;      /* --deadline */
	long timeout_s;          /* --timeout (one attempt) */
};

/* The optional config file: "key = value" lines, '#' comments. */
struct vt_config_file {
	char *path;
	char *telemetry, *endpoint, *token_file, *cacert, *cert, *key;
};

/* Everything resolved. */
struct vt_telemetry {
	struct vt_config_file file;
	struct vt_mode_decision decision;
	char *token;             /* the bearer token, or NULL; never printed */
	const char *token_source;
	struct vt_upload_config upload; /* deadline_ms: see vt_telemetry_start */
	int64_t deadline_s;
	char user_agent[160];
};

/*
 * Resolves the mode from the options, the environment and the config file
 * (--config, else $VMCP_TELEMETRY_CONFIG), and, in mode on, reads the
 * token (--token-file, the config's token_file, else
 * $VMCP_TELEMETRY_TOKEN). Prints what is wrong and returns -1 on error.
 */
int vt_telemetry_setup(struct vt_telemetry *t,
		       const struct vt_telemetry_opts *o);
void vt_telemetry_release(struct vt_telemetry *t);

/* Starts the upload deadline's clock: call when uploading begins. */
void vt_telemetry_start(struct vt_telemetry *t);

/* Parses a config file; on error, "path:line: reason" in err. */
int vt_config_load(const char *path, struct vt_config_file *out, char *err,
		   size_t errlen);
void vt_config_release(struct vt_config_file *c);

/* Writes "vmcp-telemetry/0.1.0 (linux/amd64)" into out. */
void vt_user_agent(char *out, size_t n);

#endif
