/* SPDX-License-Identifier: Apache-2.0 */
/* Temporary files for atomic writes (see tempfile.h). */
#include "tempfile.h"
#include "vt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The process's umask, for files that are not private. */
static mode_t current_umask(void)
{
	mode_t m = umask(077);

	umask(m);
	return m;
}

int vt_create_temp(const char *path, unsigned mode, char **tmp)
{
	size_t n = strlen(path) + 16;
	int fd, e;

	*tmp = vt_xmalloc(n);
	snprintf(*tmp, n, "%s.tmp.XXXXXX", path);
	/*
	 * mkstemp opens with O_CREAT|O_EXCL under a fresh random name: it
	 * never writes through a planted link, and a temporary file a
	 * crashed run left behind (in a container the PID is the same every
	 * run) is never in the way.
	 */
	fd = mkstemp(*tmp);
	if (fd < 0)
		goto fail;
	/* Exactly mode for private files, whatever the umask. */
	if (fchmod(fd, mode == 0600 ? 0600 : (mode & ~current_umask())) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		e = errno;
		close(fd);
		unlink(*tmp);
		errno = e;
		goto fail;
	}
	return fd;
fail:
	e = errno;
	free(*tmp);
	*tmp = NULL;
	errno = e;
	return -1;
}
