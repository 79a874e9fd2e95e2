/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text from outside (paths, URLs, option values) made safe to print on a
 * terminal: one function for every place such text reaches stdout or
 * stderr, so a name cannot carry an escape sequence or forge a line.
 */
#ifndef VT_ESC_H
#define VT_ESC_H

#include <stddef.h>

/*
 * Copies s into out (n bytes, NUL-terminated), writing control characters
 * (C0, DEL, C1) and bytes that are not UTF-8 as \xNN, a backslash as \\,
 * and the characters that reorder or split a line (bidi embeddings,
 * overrides, isolates and marks, U+2028, U+2029) as \u{XXXX}. What does
 * not fit is cut, marked by "...". Returns out.
 */
char *vt_esc(const char *s, char *out, size_t n);

/*
 * An endpoint URL as it may be shown: scheme, host, port and path only,
 * then escaped as vt_esc. Everything up to the last '@' after the scheme
 * is dropped (a user part, even one holding an unencoded '/', '?' or '#'),
 * and the path ends before its first ';', '?', '#' or encoded '?', '#' or
 * ';' (%3F, %23, %3B). Returns out.
 */
char *vt_url_safe(const char *url, char *out, size_t n);

#endif
