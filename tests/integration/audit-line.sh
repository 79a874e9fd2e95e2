# SPDX-License-Identifier: Apache-2.0
# Sourced by rotation.sh and rotation_attacks.sh: line N sets L to the
# vMCP audit line of sequence number N (a tool call; its time, logged_at
# and duration follow from N, so every line is distinct).
line() {
	local n=$1
	local mm=$(((n / 60) % 60)) ss=$((n % 60)) us=$(((n * 7919) % 1000000))
	printf -v L '{"time":"2026-11-24T10:%02d:%02dZ","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","logged_at":"2026-11-24T10:%02d:%02d.%06dZ","outcome":"success","component":"vmcp-server","metadata":{"extra":{"backend_name":"github","duration_ms":%d}}}\n' \
		"$mm" "$ss" "$mm" "$ss" "$us" "$((n % 3000 + 1))"
}
