# Sourced by the integration scripts (sh and bash): nothing in the caller's
# environment that changes what the binary does may change a case. A
# developer's shell may set DO_NOT_TRACK or VMCP_TELEMETRY=off, and
# ToolHive's own settings are opt-outs too; CI sets CI=true, which only
# keeps uploads off (the upload tests name their variables, env -i).
for vt_var in $(env | sed -n 's/^\(VMCP_TELEMETRY[A-Za-z0-9_]*\|TOOLHIVE_[A-Za-z0-9_]*\|DO_NOT_TRACK\)=.*/\1/p'); do
	unset "$vt_var"
done
unset vt_var
