/* SPDX-License-Identifier: Apache-2.0 */
/* Byte sources: a plain file, a gzip, zstd, xz or bzip2 file (by content), or stdin. */
#ifndef VT_SOURCE_H
#define VT_SOURCE_H

#include "../util/vt.h"

#include <stdint.h>
#include <sys/types.h>

struct vt_source;

/*
 * Opens path ("-" is stdin). Gzip is recognized by its magic bytes, not
 * its name. On error returns VT_ERR_IO with errno set (a directory gives
 * EISDIR) and *out untouched.
 */
enum vt_err vt_source_open(const char *path, struct vt_source **out);
/*
 * The same for a regular file only: a FIFO, a device or a socket gives
 * VT_ERR_IO with errno EINVAL before anything is read from it (a job that
 * runs unattended must not block on a pipe a log writer planted).
 */
enum vt_err vt_source_open_regular(const char *path, struct vt_source **out);

/*
 * Opens an already-open descriptor; the source takes ownership of fd.
 */
enum vt_err vt_source_from_fd(int fd, struct vt_source **out);

/*
 * Reads up to cap decompressed bytes. *got == 0 with VT_OK means the end.
 * VT_ERR_FORMAT means the gzip data is corrupt, truncated, or followed by
 * bytes that are not gzip: every byte before the damage has been
 * delivered, and the source is at its end. VT_ERR_IO: a read failed
 * (errno set).
 */
enum vt_err vt_source_read(struct vt_source *s, char *buf, size_t cap,
			   size_t *got);

/* A short reason for the last VT_ERR_FORMAT ("truncated gzip data"...). */
const char *vt_source_error(const struct vt_source *s);

/*
 * The first bytes (at most 1024) delivered since the source was opened,
 * when it was read from its start (none after vt_source_skip past 0).
 */
size_t vt_source_head(const struct vt_source *s, const unsigned char **out);

/* Copies up to n (at most 256) of the last bytes delivered; their count. */
size_t vt_source_tail(const struct vt_source *s, unsigned char *out,
		      size_t n);

/*
 * Moves a fresh source forward by n decompressed bytes (a seek for plain
 * files, decompress-and-discard for gzip), keeping the last tail_len
 * (at most 256) bytes before the new position in tail. Returns VT_OK,
 * VT_ERR_EOF when the data ends before n bytes, or a read error.
 */
enum vt_err vt_source_skip(struct vt_source *s, uint64_t n,
			   unsigned char *tail, size_t tail_len);
int vt_source_is_gzip(const struct vt_source *s);
/*
 * The compression the source is read through ("gzip", "zstd", "xz",
 * "bzip2"), or NULL for a plain file. Compressed sources never change
 * once written; their offsets are decompressed bytes.
 */
const char *vt_source_compression(const struct vt_source *s);
/*
 * Starts a thread that decompresses ahead of the reader (gzip sources
 * that have delivered nothing yet; others keep reading in the caller's
 * thread). Returns 1 when started. After it, vt_source_skip and
 * vt_source_raw_bytes must not be used.
 */
int vt_source_prefetch(struct vt_source *s);
/* Compressed bytes consumed from the file so far. */
uint64_t vt_source_raw_bytes(const struct vt_source *s);
/* The descriptor (for fstat); owned by the source. */
int vt_source_fd(const struct vt_source *s);
void vt_source_free(struct vt_source *s);

#endif
