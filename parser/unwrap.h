/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes CRI and Docker json-file wrappers, detected per line. */
#ifndef VT_UNWRAP_H
#define VT_UNWRAP_H

#include "../util/buf.h"
#include "decode.h"

enum vt_wrapper {
	VT_WRAP_NONE = 0, /* a bare vMCP line */
	VT_WRAP_CRI,      /* "<RFC3339Nano> stdout|stderr F|P <line>" */
	VT_WRAP_DOCKER,   /* {"log":"<line>\n","stream":..,"time":..} */
	VT_WRAP_COUNT
};

extern const char *const vt_wrapper_names[VT_WRAP_COUNT];

enum vt_unwrap_result {
	VT_UNWRAP_LINE = 0, /* *inner holds a whole logical line */
	VT_UNWRAP_PENDING,  /* a partial part was kept; nothing to decode yet */
	VT_UNWRAP_TOO_LONG, /* joined parts passed the line limit: dropped */
	VT_UNWRAP_BAD,      /* looked like a wrapper but is broken */
};

/*
 * Joins CRI "P" parts (per stream) and docker parts without a trailing
 * newline until the part that ends the line. Joined lines are capped at
 * max_line bytes; past that the parts are dropped (counted once, as one
 * too-long line, when the final part arrives).
 */
struct vt_unwrap {
	size_t max_line;
	struct vt_decoder *dec; /* borrowed, for docker lines */
	struct vt_buf join[VT_WRAP_COUNT][2]; /* [wrapper][stream] */
	int overflow[VT_WRAP_COUNT][2];
	unsigned held; /* bit w * 2 + s: join[w][s] or overflow[w][s] set */
	unsigned last_slot; /* w * 2 + s of the last part joined */
};

void vt_unwrap_init(struct vt_unwrap *u, size_t max_line,
		    struct vt_decoder *dec);
void vt_unwrap_release(struct vt_unwrap *u);

/*
 * Unwraps one framed line. *inner is valid until the next call; *kind
 * says which wrapper was found.
 */
enum vt_unwrap_result vt_unwrap_line(struct vt_unwrap *u, const char *p,
				     size_t n, struct vt_sv *inner,
				     enum vt_wrapper *kind);

/*
 * At the end of a closed input: hands out one pending partial line (as if
 * its final part had arrived) and returns 1; returns 2 for pending parts
 * that had passed the line limit (one too-long line, *inner empty); 0
 * when none is left. Call until it returns 0.
 */
int vt_unwrap_flush(struct vt_unwrap *u, struct vt_sv *inner,
		    enum vt_wrapper *kind);

/* Drops pending parts (a new file begins). */
void vt_unwrap_reset(struct vt_unwrap *u);

/* Nonzero while partial parts are held. */
int vt_unwrap_pending(const struct vt_unwrap *u);

#endif
