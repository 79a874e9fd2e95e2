/* SPDX-License-Identifier: Apache-2.0 */
/* The telemetry mode: off, local or on, and the signal that decided it. */
#ifndef VT_MODE_H
#define VT_MODE_H

#include <stddef.h>

enum vt_mode { VT_MODE_OFF = 0, VT_MODE_LOCAL, VT_MODE_ON };

extern const char *const vt_mode_names[3];

/* What a signal asks for. */
enum vt_wish {
	VT_WISH_NONE = 0, /* seen, but asks nothing (e.g. DO_NOT_TRACK=0) */
	VT_WISH_OFF,      /* read nothing, write nothing */
	VT_WISH_LOCAL,    /* never upload */
	VT_WISH_ON,       /* upload, given an endpoint */
};

#define VT_MAX_SIGNALS 24

struct vt_signal {
	const char *source; /* "--telemetry", "DO_NOT_TRACK", "config file" */
	char value[64];     /* as given, cut to 63 bytes */
	enum vt_wish wish;
};

/*
 * Everything that can decide the mode. getenv is a parameter so tests
 * control the environment completely; config_mode and config_endpoint
 * come from the optional config file (NULL when absent).
 */
struct vt_mode_input {
	const char *flag;            /* --telemetry, or NULL */
	const char *flag_endpoint;   /* --endpoint, or NULL */
	const char *config_mode;
	const char *config_endpoint;
	const char *(*getenv)(const char *name);
	/* ToolHive's config file (vt_toolhive_config_path), its text, or NULL */
	const char *toolhive_config;
	size_t toolhive_config_len;
};

/*
 * Where ToolHive keeps its config file, as adrg/xdg v0.5.3's
 * xdg.ConfigFile("toolhive/config.yaml") finds it on Linux: under the
 * config home ($XDG_CONFIG_HOME when it is absolute after a leading "~"
 * or "$HOME" is expanded, else $HOME/.config; an empty HOME is "/"), or,
 * when its toolhive directory does not exist, under the first directory
 * of $XDG_CONFIG_DIRS (default /etc/xdg) that has one; when none has, the
 * config home's (ToolHive would create it there). is_dir tells whether a
 * path is a directory (NULL: stat). Returns 0, or -1 when it does not fit.
 */
int vt_toolhive_config_path(const char *(*getenv_fn)(const char *name),
			    int (*is_dir)(const char *path), char *out,
			    size_t n);

struct vt_mode_decision {
	enum vt_mode mode;
	const char *endpoint;         /* NULL when none; borrowed from input */
	const char *endpoint_source;  /* "--endpoint", "VMCP_TELEMETRY_ENDPOINT"... */
	size_t nsignals;
	struct vt_signal signals[VT_MAX_SIGNALS];
	int decided_by;               /* index into signals, or -1 (default) */
	const char *reason;           /* one line: why this mode */
};

/*
 * Resolves the mode. Every opt-out beats every opt-in, whatever its
 * source: any "off" signal gives off; otherwise any "local" signal (a CI
 * environment among them) gives local; otherwise an "on" signal with an
 * endpoint gives on; otherwise local, the default. A bad value for a
 * signal is an error: returns -1 with *bad naming the signal.
 */
int vt_mode_resolve(const struct vt_mode_input *in,
		    struct vt_mode_decision *out, const char **bad);

#endif
