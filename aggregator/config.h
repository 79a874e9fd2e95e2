/* SPDX-License-Identifier: Apache-2.0 */
/* vMCP configuration files (--vmcp-config) as a source of facts. */
#ifndef VT_CONFIG_H
#define VT_CONFIG_H

#include "agg.h"
#include "../parser/yaml.h"

/*
 * Finds the vMCP configurations in a parsed YAML stream and appends the
 * facts of each to *out (growing it; *n counts them). Understood:
 *  - the file `vmcp serve --config` reads (top-level incomingAuth,
 *    outgoingAuth, aggregation, compositeTools, ...);
 *  - a ConfigMap whose data values hold that file (what the operator
 *    renders and mounts);
 *  - VirtualMCPServer objects, with the MCPServer, MCPExternalAuthConfig
 *    and VirtualMCPCompositeToolDefinition objects of the same stream
 *    that they refer to.
 * Other documents are skipped. Returns the number of configurations
 * found in d.
 */
size_t vt_config_collect(const struct vt_ydocs *d, struct vt_config_facts **out,
			 size_t *n);

#endif
