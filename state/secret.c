/* SPDX-License-Identifier: Apache-2.0 */
/* The installation secret: random, local, deleted when telemetry is off. */
#include "secret.h"
#include "../util/hash.h"
#include "../util/tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static char *secret_path(const char *dir)
{
	size_t n = strlen(dir) + 16;
	char *p = vt_xmalloc(n);

	snprintf(p, n, "%s/secret", dir);
	return p;
}

static enum vt_err create(const char *dir, const char *path,
			  unsigned char out[VT_SECRET_LEN])
{
	char *tmp = NULL;
	int fd, e, ok;

	if (getrandom(out, VT_SECRET_LEN, 0) != VT_SECRET_LEN)
		return VT_ERR_IO;
	fd = vt_create_temp(path, 0600, &tmp);
	if (fd < 0)
		return VT_ERR_IO;
	ok = write(fd, out, VT_SECRET_LEN) == VT_SECRET_LEN && fsync(fd) == 0;
	e = errno;
	if (close(fd) != 0 && ok)
		ok = 0, e = errno;
	if (ok && rename(tmp, path) != 0)
		ok = 0, e = errno;
	if (!ok) {
		unlink(tmp);
		free(tmp);
		errno = e;
		return VT_ERR_IO;
	}
	free(tmp);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d >= 0) {
		fsync(d);
		close(d);
	}
	return VT_OK;
}

enum vt_err vt_secret_load(const char *dir, unsigned char out[VT_SECRET_LEN],
			   int *created)
{
	char *path = secret_path(dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	enum vt_err err = VT_OK;

	*created = 0;
	if (fd < 0 && errno == ENOENT) {
		err = create(dir, path, out);
		*created = err == VT_OK;
	} else if (fd < 0) {
		err = VT_ERR_IO;
	} else {
		unsigned char extra;
		ssize_t n = read(fd, out, VT_SECRET_LEN);

		if (n != VT_SECRET_LEN || read(fd, &extra, 1) != 0)
			err = VT_ERR_CORRUPT;
		close(fd);
	}
	free(path);
	return err;
}

enum vt_err vt_secret_read(const char *dir, unsigned char out[VT_SECRET_LEN])
{
	char *path = secret_path(dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	enum vt_err err = VT_OK;
	unsigned char extra;

	free(path);
	if (fd < 0)
		return VT_ERR_IO;
	if (read(fd, out, VT_SECRET_LEN) != VT_SECRET_LEN ||
	    read(fd, &extra, 1) != 0)
		err = VT_ERR_CORRUPT;
	close(fd);
	return err;
}

int vt_secret_tighten(const char *dir, unsigned *was)
{
	char *path = secret_path(dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int rc = 0;

	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) != 0)
		rc = -1;
	else if (st.st_mode & 0177) {
		*was = (unsigned)(st.st_mode & 07777);
		rc = fchmod(fd, 0600) == 0 ? 1 : -1;
	}
	close(fd);
	return rc;
}

int vt_secret_exists(const char *dir)
{
	char *path = secret_path(dir);
	struct stat st;
	int rc = lstat(path, &st) == 0;

	free(path);
	return rc;
}

int vt_secret_delete(const char *dir)
{
	char *path = secret_path(dir);
	int rc = unlink(path) == 0 ? 1 : errno == ENOENT ? 0 : -1;

	free(path);
	return rc;
}

void vt_installation_id(const unsigned char secret[VT_SECRET_LEN],
			int64_t period_start, const char *granularity,
			char out[VT_INSTALLATION_ID_LEN + 1])
{
	char msg[64];
	unsigned char mac[VT_SHA256_LEN];
	int n = snprintf(msg, sizeof(msg), "%lld/%s", (long long)period_start,
			 granularity);

	vt_hmac_sha256(secret, VT_SECRET_LEN, msg, (size_t)n, mac);
	vt_hex(mac, VT_INSTALLATION_ID_LEN / 2, out);
}

void vt_state_key(const unsigned char secret[VT_SECRET_LEN],
		  struct vt_prp *key)
{
	static const char domain[] = "vmcp-telemetry state key";
	unsigned char mac[VT_SHA256_LEN];

	vt_hmac_sha256(secret, VT_SECRET_LEN, domain, sizeof(domain) - 1, mac);
	vt_prp_init(key, mac);
	memset(mac, 0, sizeof(mac));
}
