/* SPDX-License-Identifier: Apache-2.0 */
/* A bound on JSON nesting (see jsondepth.h). */
#include "jsondepth.h"

int vt_json_depth_ok(const char *p, size_t n, unsigned max)
{
	unsigned depth = 0;
	int in_string = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_string) {
			if (c == '\\')
				i++; /* the escaped byte cannot end the string */
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return -1;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}
