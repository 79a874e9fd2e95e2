/* SPDX-License-Identifier: Apache-2.0 */
/* The local secret behind installation_id, and the id itself. */
#ifndef VT_SECRET_H
#define VT_SECRET_H

#include "../util/hash.h"
#include "../util/vt.h"

#include <stdint.h>

#define VT_SECRET_LEN 32
#define VT_INSTALLATION_ID_LEN 32 /* hex characters */

/*
 * Reads DIR/secret, or creates it (32 random bytes, mode 0600, written
 * atomically) when missing. *created tells which. The secret never leaves
 * the host. On error returns VT_ERR_IO (errno set) or VT_ERR_CORRUPT (a
 * file of the wrong size).
 */
enum vt_err vt_secret_load(const char *dir, unsigned char out[VT_SECRET_LEN],
			   int *created);

/*
 * Sets DIR/secret's mode to 0600 when it is wider (a copied volume, a
 * umask): 1 if it was changed (*was: the old mode), 0 if it was 0600 or
 * narrower or there is none, -1 on error (errno set).
 */
int vt_secret_tighten(const char *dir, unsigned *was);

/* Deletes DIR/secret; 1 if there was one, 0 if not, -1 on error. */
int vt_secret_delete(const char *dir);
/* Reads DIR/secret without creating it: VT_ERR_IO when missing. */
enum vt_err vt_secret_read(const char *dir, unsigned char out[VT_SECRET_LEN]);
/*
 * The key that hides the state's hashes (vt_prp_fwd), derived from the
 * secret: it goes when the secret goes.
 */
void vt_state_key(const unsigned char secret[VT_SECRET_LEN],
		  struct vt_prp *key);

/* 1 when DIR/secret exists. */
int vt_secret_exists(const char *dir);

/*
 * installation_id for one period: HMAC-SHA-256 keyed with the secret over
 * "<start>/<granularity>", first 128 bits in hex. Different periods give
 * unlinkable ids; the same period always the same one.
 */
void vt_installation_id(const unsigned char secret[VT_SECRET_LEN],
			int64_t period_start, const char *granularity,
			char out[VT_INSTALLATION_ID_LEN + 1]);

#endif
