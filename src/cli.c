/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the commands: messages and the clock. */
#include "cli.h"
#include "../util/timeutil.h"
#include "../util/vt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void vt_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs(VT_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vt_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs(VT_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry '" VT_NAME " %s --help'\n", cmd);
	return VT_EXIT_USAGE;
}

int vt_cli_clock(const char *now_arg, long long *out)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int64_t t;

	if (now_arg) {
		if (vt_time_parse(now_arg, strlen(now_arg), &t))
			return -1;
		*out = t;
		return 0;
	}
	if (sde && *sde) {
		char *end;

		errno = 0;
		long long v = strtoll(sde, &end, 10);
		if (errno || *end || v < 0)
			return -1;
		*out = v;
		return 0;
	}
	*out = (long long)time(NULL);
	return 0;
}

