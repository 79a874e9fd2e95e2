/* SPDX-License-Identifier: Apache-2.0 */
/* Hashes: a fast 64-bit hash for tables, SHA-256 and HMAC-SHA-256. */
#ifndef VT_HASH_H
#define VT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bit, for hash-table keys only (not collision resistant). */
uint64_t vt_hash64(const void *p, size_t n);
uint64_t vt_hash64_more(uint64_t h, const void *p, size_t n);
/* Mixes a 64-bit value into well-spread bits (splitmix64 finalizer). */
uint64_t vt_mix64(uint64_t x);

#define VT_SHA256_LEN 32

struct vt_sha256 {
	uint32_t state[8];
	uint64_t bytes;
	unsigned char block[64];
	size_t fill;
};

void vt_sha256_init(struct vt_sha256 *s);
void vt_sha256_update(struct vt_sha256 *s, const void *p, size_t n);
void vt_sha256_final(struct vt_sha256 *s, unsigned char out[VT_SHA256_LEN]);
void vt_sha256(const void *p, size_t n, unsigned char out[VT_SHA256_LEN]);

/* RFC 2104 HMAC over SHA-256. */
void vt_hmac_sha256(const void *key, size_t key_len, const void *msg,
		    size_t msg_len, unsigned char out[VT_SHA256_LEN]);

/*
 * A keyed permutation of 64-bit values: a Feistel network over two 32-bit
 * halves whose round function is SipHash-2-4. What the state stores in
 * place of a hash (an instance key, a fingerprint) is its image under the
 * state's key, so the state confirms nothing without the key, and the
 * inverse gives the in-memory value back when the state is read. A NULL
 * key is the identity (unit tests and fuzzers).
 */
struct vt_prp {
	uint64_t k0, k1;
};
void vt_prp_init(struct vt_prp *p, const unsigned char key[VT_SHA256_LEN]);
uint64_t vt_prp_fwd(const struct vt_prp *p, uint64_t v);
uint64_t vt_prp_inv(const struct vt_prp *p, uint64_t v);
/* SipHash-2-4 of n bytes under a 128-bit key. */
uint64_t vt_siphash(uint64_t k0, uint64_t k1, const void *p, size_t n);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void vt_hex(const unsigned char *p, size_t n, char *out);

/*
 * Instance keys (64-bit hashes) carry their scope in bit 63: set, the key
 * names the same vMCP wherever it is seen (a Kubernetes namespace and
 * workload); clear, it is unique on its host only (a file's path, stdin,
 * an audit component name), so two hosts' equal keys are two instances.
 */
#define VT_INSTANCE_SHARED (UINT64_C(1) << 63)
#define VT_INSTANCE_KEY(h, shared) \
	((shared) ? (h) | VT_INSTANCE_SHARED : (h) & ~VT_INSTANCE_SHARED)

/* CRC-32 (IEEE, as used by gzip) for state checksums. */
uint32_t vt_crc32(uint32_t crc, const void *p, size_t n);

#endif
