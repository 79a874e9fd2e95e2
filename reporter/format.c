/* SPDX-License-Identifier: Apache-2.0 */
/* The names of the report's output formats. */
#include "report.h"

#include <string.h>

const char *const vt_format_names[VT_FORMAT_COUNT] = {
	[VT_FORMAT_JSON] = "json",
	[VT_FORMAT_TABLE] = "table",
	[VT_FORMAT_HTML] = "html",
	[VT_FORMAT_PROM] = "prom",
};

int vt_format_parse(const char *name, enum vt_format *out)
{
	for (int i = 0; i < VT_FORMAT_COUNT; i++)
		if (strcmp(name, vt_format_names[i]) == 0) {
			*out = (enum vt_format)i;
			return 0;
		}
	return -1;
}
