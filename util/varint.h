/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The binary encodings' building blocks (the aggregate, the state):
 * unsigned LEB128 varints, zigzag for signed values, and a CRC-32 seal
 * over everything before it.
 */
#ifndef VT_VARINT_H
#define VT_VARINT_H

#include "buf.h"

/* Appends v to b (1 to 10 bytes); a full buffer keeps b unchanged. */
void vt_put_u(struct vt_buf *b, uint64_t v);
void vt_put_s(struct vt_buf *b, int64_t v);

/*
 * A cursor over an encoding. A read past end, or a varint of more than
 * 64 bits, sets bad and returns 0; every later read then returns 0 too,
 * so a decoder checks bad once at the end of a section.
 */
struct vt_reader {
	const unsigned char *p, *end;
	int bad;
};

uint64_t vt_get_u(struct vt_reader *r);
int64_t vt_get_s(struct vt_reader *r);
/* A time, refused (bad) outside VT_TIME_MIN..VT_TIME_MAX. */
int64_t vt_get_time(struct vt_reader *r);

/* Appends the CRC-32 (little endian) of out's bytes from start on. */
enum vt_err vt_crc_seal(struct vt_buf *out, size_t start);
/* 1 when p's last 4 bytes are the CRC-32 of the n - 4 before (n >= 4). */
int vt_crc_check(const void *p, size_t n);

#endif
