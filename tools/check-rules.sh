#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fails when a rule of a rules table has no "# src:" comment right above it
# naming the ToolHive source location (path.go:line or path.go:function)
# that writes the message, or when no conformance test covers the table.
# check-rules.sh RULES CONFORMANCE_LINES
set -eu
rules=$1
lines=$2
[ -s "$lines" ] || { echo "check-rules: $lines is missing" >&2; exit 1; }
awk -v f="$rules" '
	/^[[:space:]]*$/ { prev = ""; next }
	/^#/ { prev = $0; next }
	{
		if (prev !~ /^# src: [^ ]+\.go:[0-9A-Za-z]/) {
			printf "%s:%d: rule without a \"# src: file.go:line\" comment\n", f, NR > "/dev/stderr"
			bad = 1
		}
		prev = ""
	}
	END { exit bad }
' "$rules"
# Every fact the table uses has a verbatim line in the conformance file
# (the unit suite "conformance" checks each rule against them).
for fact in $(awk '!/^#/ && NF { print $1 }' "$rules" | sort -u); do
	grep -q "^+ $fact " "$lines" ||
		{ echo "check-rules: no conformance line for fact '$fact' in $lines" >&2; exit 1; }
done
