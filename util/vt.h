/* SPDX-License-Identifier: Apache-2.0 */
/* Shared basics: error codes, string views, checked allocation. */
#ifndef VT_H
#define VT_H

#include <stddef.h>
#include <stdint.h>

#define VT_NAME "vmcp-telemetry"
#ifndef VT_VERSION
#define VT_VERSION "0.1.0"
#endif

/*
 * Every fallible function returns one of these; VT_OK is 0 so that
 * "if (err)" reads naturally.
 */
enum vt_err {
	VT_OK = 0,
	VT_ERR_NOMEM,    /* allocation failed */
	VT_ERR_IO,       /* a system call failed; errno-derived text in diag */
	VT_ERR_LIMIT,    /* an input-driven size or count cap was reached */
	VT_ERR_FORMAT,   /* input bytes are not what they claim to be */
	VT_ERR_USAGE,    /* the caller asked for something impossible */
	VT_ERR_CORRUPT,  /* stored state failed its checksum or structure check */
	VT_ERR_VERSION,  /* stored state from an incompatible version */
	VT_ERR_EOF,      /* no more data */
};

const char *vt_strerror(enum vt_err err);

/* A borrowed byte range; never NUL-terminated unless said so. */
struct vt_sv {
	const char *ptr;
	size_t len;
};

#define VT_SV_LIT(s) ((struct vt_sv){ (s), sizeof(s) - 1 })

int vt_sv_eq(struct vt_sv a, const char *lit);
/* The same for a string literal, without measuring it at run time. */
#define VT_SV_EQ_LIT(sv, lit)                                                  \
	((sv).len == sizeof(lit) - 1 &&                                        \
	 memcmp((sv).ptr, (lit), sizeof(lit) - 1) == 0)

/*
 * Checked allocation. These abort the program when memory is exhausted:
 * a telemetry batch job that cannot allocate a few kilobytes has no useful
 * way to continue, and every caller checking NULL would hide real logic.
 * Input-driven growth is capped separately (VT_ERR_LIMIT), so these only
 * fail on a machine that is truly out of memory.
 */
void *vt_xmalloc(size_t n);
void *vt_xcalloc(size_t count, size_t n);
void *vt_xrealloc(void *p, size_t n);
char *vt_xstrndup(const char *s, size_t n);
char *vt_xstrdup(const char *s);

/* Overflow-checked size arithmetic: returns 0 and sets *out, or -1. */
int vt_size_mul(size_t a, size_t b, size_t *out);

#define VT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
