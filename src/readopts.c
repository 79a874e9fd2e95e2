/* SPDX-License-Identifier: Apache-2.0 */
/* The reading options report and run share. */
#include "readopts.h"
#include "cli.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

void vt_read_opts_init(struct vt_read_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_line = VT_DEFAULT_MAX_LINE;
	o->max_files = VT_DEFAULT_MAX_FILES;
	o->instance_by = VT_INSTANCE_BY_SOURCE;
}

void vt_read_opts_release(struct vt_read_opts *o)
{
	free(o->configs);
	o->configs = NULL;
	o->nconfigs = 0;
}

/* A count from lo to hi for option name: 1, or the usage error. */
static int count(const char *cmd, const char *name, const char *arg,
		 size_t lo, size_t hi, size_t *out)
{
	size_t v;

	if (vt_cli_count(arg, hi, &v) || v < lo)
		return vt_cli_usage_error(cmd, "%s wants a number from %zu to %zu",
					  name, lo, hi);
	*out = v;
	return 1;
}

int vt_read_opt(const char *cmd, int c, const char *arg,
		struct vt_read_opts *o)
{
	switch (c) {
	case VT_OPT_MAXLINE:
		return count(cmd, "--max-line-bytes", arg, 16, VT_MAX_MAX_LINE,
			     &o->max_line);
	case VT_OPT_MAXINST:
		return count(cmd, "--max-instances", arg, 1,
			     VT_MAX_MAX_INSTANCES, &o->max_instances);
	case VT_OPT_MAXFILES:
		return count(cmd, "--max-files", arg, 1, VT_MAX_MAX_FILES,
			     &o->max_files);
	case VT_OPT_INSTBY:
		if (strcmp(arg, "source") == 0)
			o->instance_by = VT_INSTANCE_BY_SOURCE;
		else if (strcmp(arg, "component") == 0)
			o->instance_by = VT_INSTANCE_BY_COMPONENT;
		else
			return vt_cli_usage_error(
				cmd, "--instance-by wants 'source' or 'component'");
		return 1;
	case VT_OPT_RULES:
		o->rules = arg;
		return 1;
	case VT_OPT_SERVERS:
		o->servers = arg;
		return 1;
	case VT_OPT_CLIENTS:
		o->clients = arg;
		return 1;
	case VT_OPT_NOW:
		o->now = arg;
		return 1;
	case VT_OPT_VMCP_CONFIG:
		o->configs = vt_xrealloc(o->configs, (o->nconfigs + 1) *
							     sizeof(*o->configs));
		o->configs[o->nconfigs++] = (char *)arg;
		return 1;
	case VT_OPT_FLEET_KEY:
		o->fleet_key = arg;
		return 1;
	case 'q':
		o->quiet = 1;
		return 1;
	default:
		return 0;
	}
}
