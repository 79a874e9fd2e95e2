/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stream decompression of the formats logrotate's compresscmd and the
 * kubelet leave besides gzip: zstd, xz and bzip2, through their standard
 * libraries. Gzip stays in source.c (its own tuned reader). Formats are
 * told by their magic bytes, never by a file name.
 */
#ifndef VT_DECOMPRESS_H
#define VT_DECOMPRESS_H

#include "../util/vt.h"

#include <stddef.h>

enum vt_codec_kind {
	VT_CODEC_NONE = 0,
	VT_CODEC_ZSTD,
	VT_CODEC_XZ,
	VT_CODEC_BZIP2,
};

/* Bytes vt_codec_detect wants to see to be sure (fewer: only if the file is shorter). */
#define VT_CODEC_MAGIC_LEN 10

/* The format whose magic bytes p (n bytes) begins with, or VT_CODEC_NONE. */
enum vt_codec_kind vt_codec_detect(const unsigned char *p, size_t n);
/* "zstd", "xz", "bzip2" ("plain" for VT_CODEC_NONE): for messages. */
const char *vt_codec_name(enum vt_codec_kind kind);

struct vt_codec;

/* A decoder for kind; NULL when the library cannot allocate one. Free with vt_codec_free. */
struct vt_codec *vt_codec_new(enum vt_codec_kind kind);
void vt_codec_free(struct vt_codec *c);

/*
 * Decodes from in (in_len bytes; *used: how many were consumed) into out
 * (cap bytes; *made: how many were produced). Concatenated streams are
 * read one after another. *clean is set to 1 when everything consumed so
 * far ends exactly at the end of a stream (so the end of the file there
 * is not a truncation), else 0. Returns VT_OK, or VT_ERR_FORMAT for
 * corrupt data (*why says what; bytes already produced are good).
 */
enum vt_err vt_codec_step(struct vt_codec *c, const unsigned char *in,
			  size_t in_len, size_t *used, unsigned char *out,
			  size_t cap, size_t *made, int *clean,
			  const char **why);

#endif
