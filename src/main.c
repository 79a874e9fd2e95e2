/* SPDX-License-Identifier: Apache-2.0 */
/* vmcp-telemetry: the entry point; dispatches to a command. */
#include "cli.h"
#include "../util/vt.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: " VT_NAME " <command> [options] [PATH|GLOB|-]...\n"
	"\n"
	"Product telemetry for ToolHive's Virtual MCP Server, from its logs.\n"
	"\n"
	"commands:\n"
	"  report   read log files and print one usage report (offline, sends nothing)\n"
	"  run      the periodic job: read what is new, write reports of closed periods\n"
	"           (and send them, only where telemetry is on)\n"
	"  status   what run would do with a state directory, and why\n"
	"  preview  the exact requests the next upload would send, sending nothing\n"
	"  merge    merge reports (of many hosts, shards or periods) into one\n"
	"\n"
	"Run '" VT_NAME " <command> --help' for a command's options.\n"
	"Exit codes: 0 ok, 1 failure, 2 usage error, 3 some input skipped,\n"
	"4 (run) the endpoint refused a report.\n";

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return VT_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return VT_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("%s %s\n", VT_NAME, VT_VERSION);
		return VT_EXIT_OK;
	}
	if (strcmp(cmd, "report") == 0)
		return vt_cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return vt_cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "preview") == 0)
		return vt_cmd_preview(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return vt_cmd_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return vt_cmd_run(argc - 1, argv + 1);
	vt_cli_error("'%s' is not a command", cmd);
	fputs(usage_text, stderr);
	return VT_EXIT_USAGE;
}
