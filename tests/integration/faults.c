/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An LD_PRELOAD shim for the hostile-conditions tests: it makes the
 * system calls the program writes and reads files with fail the way a
 * full disk or a failing disk makes them fail, without needing a mount.
 * Built by tests/integration/hostile.py; configured by the environment:
 *
 *   VT_FAULT_ENOSPC_AFTER=N   writes to regular files succeed for N bytes
 *                             in all, then fail with ENOSPC (the write that
 *                             crosses N writes what fits: a short write)
 *   VT_FAULT_FSYNC=1          fsync and fdatasync of regular files fail
 *                             with ENOSPC (delayed allocation, NFS)
 *   VT_FAULT_READ_EIO=TEXT:N  reads of a file whose path contains TEXT
 *                             fail with EIO once N bytes were read from it
 *
 * Standard output and error, pipes and sockets are never touched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FD 4096

static long long written;
static long long budget = -1;
static int fail_fsync = -1;
static char eio_text[256];
static long long eio_after = -1;
static long long eio_read[MAX_FD]; /* -1: not a watched file */

static void setup(void)
{
	static int done;
	const char *s;

	if (done)
		return;
	done = 1;
	for (int i = 0; i < MAX_FD; i++)
		eio_read[i] = -1;
	s = getenv("VT_FAULT_ENOSPC_AFTER");
	budget = s && *s ? atoll(s) : -1;
	s = getenv("VT_FAULT_FSYNC");
	fail_fsync = s && *s == '1';
	s = getenv("VT_FAULT_READ_EIO");
	if (s && strchr(s, ':')) {
		size_t n = (size_t)(strrchr(s, ':') - s);

		if (n >= sizeof(eio_text))
			n = sizeof(eio_text) - 1;
		memcpy(eio_text, s, n);
		eio_text[n] = '\0';
		eio_after = atoll(strrchr(s, ':') + 1);
	}
}

static int regular(int fd)
{
	struct stat st;

	return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static void watch(int fd, const char *path)
{
	setup();
	if (fd >= 0 && fd < MAX_FD)
		eio_read[fd] = eio_after >= 0 && path && *eio_text &&
					       strstr(path, eio_text)
				       ? 0
				       : -1;
}

/* The next definition of fn (libc's), looked up once. */
#define REAL(fn) \
	static __typeof__(fn) *real; \
	if (!real) \
	real = (__typeof__(fn) *)dlsym(RTLD_NEXT, #fn)

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	REAL(open);
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	int fd = real(path, flags, m);
	watch(fd, path);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	REAL(open64);
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	int fd = real(path, flags, m);
	watch(fd, path);
	return fd;
}

int openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	REAL(openat);
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	int fd = real(dir, path, flags, m);
	watch(fd, path);
	return fd;
}

int mkstemp(char *tmpl)
{
	REAL(mkstemp);
	int fd = real(tmpl);
	watch(fd, tmpl);
	return fd;
}

ssize_t write(int fd, const void *p, size_t n)
{
	REAL(write);
	setup();
	if (budget >= 0 && regular(fd)) {
		long long left = budget - written;

		if (left <= 0) {
			errno = ENOSPC;
			return -1;
		}
		if ((long long)n > left)
			n = (size_t)left;
		ssize_t w = real(fd, p, n);
		if (w > 0)
			written += w;
		return w;
	}
	return real(fd, p, n);
}

static int sync_fault(int fd)
{
	setup();
	if (fail_fsync && regular(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int fsync(int fd)
{
	REAL(fsync);
	return sync_fault(fd) ? -1 : real(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	return sync_fault(fd) ? -1 : real(fd);
}

ssize_t read(int fd, void *p, size_t n)
{
	REAL(read);
	setup();
	if (fd >= 0 && fd < MAX_FD && eio_read[fd] >= 0) {
		long long left = eio_after - eio_read[fd];

		if (left <= 0) {
			errno = EIO;
			return -1;
		}
		if ((long long)n > left)
			n = (size_t)left;
		ssize_t r = real(fd, p, n);
		if (r > 0)
			eio_read[fd] += r;
		return r;
	}
	return real(fd, p, n);
}

int close(int fd)
{
	REAL(close);
	if (fd >= 0 && fd < MAX_FD)
		eio_read[fd] = -1;
	return real(fd);
}
