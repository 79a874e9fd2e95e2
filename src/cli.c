/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the commands: messages and the clock. */
#include "cli.h"
#include "../util/timeutil.h"
#include "../util/esc.h"
#include "../util/vt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Every message goes through vt_esc whole: the paths, names and values
 * it quotes cannot carry a control character to the terminal.
 */
__attribute__((format(printf, 1, 0)))
static void say(const char *fmt, va_list ap)
{
	char msg[4096], safe[4 * sizeof(msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, VT_NAME ": %s", vt_esc(msg, safe, sizeof(safe)));
}

void vt_cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vt_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
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
		/* after 9999 no timestamp could be written or stored */
		if (errno || *end || v < 0 || v > VT_TIME_MAX - 7 * 86400)
			return -1;
		*out = v;
		return 0;
	}
	*out = (long long)time(NULL);
	return 0;
}


int vt_cli_count(const char *arg, size_t max, size_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* 1 when arg, up to any '=', is one of names (NULL-terminated). */
static int option_is(const char *arg, size_t n, const char *const *names)
{
	for (; *names; names++)
		if (strlen(*names) == n && strncmp(arg, *names, n) == 0)
			return 1;
	return 0;
}

int vt_cli_unknown_option(const char *cmd, const char *arg)
{
	static const char *const token[] = { "--token", "--bearer-token", NULL };
	static const char *const insecure[] = { "--insecure", "-k",
						"--no-verify", NULL };
	/* Only the name: "--token=VALUE" must not print its value. */
	size_t n = strcspn(arg, "=");

	if (option_is(arg, n, token))
		return vt_cli_usage_error(
			cmd, "there is no '%.*s': a token is never taken from the command line; use --token-file FILE",
			(int)n, arg);
	if (option_is(arg, n, insecure))
		return vt_cli_usage_error(
			cmd, "there is no '%.*s': TLS certificates are always verified; --cacert FILE trusts a private CA",
			(int)n, arg);
	return vt_cli_usage_error(cmd, "unknown option '%.*s'", (int)n, arg);
}

int vt_cli_spelled_out(char **argv, int optind_now, const char *optarg_now,
		       const char *name)
{
	/* "--name VALUE" took two words; "--name=VALUE" one. */
	const char *word = optarg_now == argv[optind_now - 1]
				   ? argv[optind_now - 2]
				   : argv[optind_now - 1];

	return strcspn(word, "=") == strlen(name) &&
	       strncmp(word, name, strlen(name)) == 0;
}
