// SPDX-License-Identifier: Apache-2.0
// Runs the command lines of the rendered Kubernetes workloads with the real
// binary, on this host: each volume mount becomes a directory here, the
// environment is what the pod would get (the values ConfigMap, the literal
// env), $(VAR) references are expanded as the kubelet does, and the image's
// entrypoint is the binary under test. So a misspelt flag, a wrong path
// between a mount and an argument, or a broken shell loop fails here, not
// in a cluster.
//
//   node dryrun.js BIN RENDER_DIR TMP_DIR
//
// RENDER_DIR holds base.yaml, overlays_*.yaml as tests/integration/deploy.sh
// writes them. Run from the source tree root (fixtures/ is read).
"use strict";

const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { spawnSync } = require("child_process");
const yaml = require("js-yaml");

const [BUILT, RENDER, TMP] = process.argv.slice(2);
const ROOT = process.cwd();
// The workloads' shell scripts name the binary unquoted, as they may in the
// image, so it runs from a copy at a path of ours: the checkout's own path
// may hold spaces.
const BIN = path.join(TMP, "bin", "vmcp-telemetry");
fs.mkdirSync(path.dirname(BIN), { recursive: true });
fs.copyFileSync(BUILT, BIN);
fs.chmodSync(BIN, 0o755);
// the collector beside it, as make builds it beside the client
const BUILT_COLLECTOR = path.join(path.dirname(BUILT), "vmcp-telemetry-collector");
fs.copyFileSync(BUILT_COLLECTOR, path.join(path.dirname(BIN), "vmcp-telemetry-collector"));
fs.chmodSync(path.join(path.dirname(BIN), "vmcp-telemetry-collector"), 0o755);
// ...and every host directory a script names is under TMP: the samples too.
const SAMPLES = path.join(TMP, "samples");
if (spawnSync("cp", ["-a", path.join(ROOT, "fixtures/samples"), SAMPLES]).status !== 0)
  throw new Error(`cannot copy the samples to ${SAMPLES}`);
const ENTRYPOINT = "/usr/local/bin/vmcp-telemetry"; // the Dockerfile's
const COLLECTOR = "/usr/local/bin/vmcp-telemetry-collector"; // its collector stage's
const EPOCH = "1795651200"; // 2026-11-25T00:00:00Z
let pass = 0;
let failures = 0;
const ok = () => pass++;
function bad(msg) {
  failures++;
  console.log("FAIL: " + msg);
}

function objects(name) {
  return yaml.loadAll(fs.readFileSync(path.join(RENDER, name), "utf8")).filter((o) => o);
}

function podSpec(o) {
  return o.kind === "CronJob" ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
}

// The kubelet's $(VAR) expansion: defined names are replaced, $$ is a $.
function expand(s, env) {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => {
    if (m === "$$") return "$";
    return name in env ? env[name] : m;
  });
}

// The container's environment: envFrom ConfigMaps of the same render, then
// literal env entries (valueFrom entries are left to the caller).
function podEnv(render, c, overrides) {
  const env = {};
  for (const ef of c.envFrom || []) {
    const cm = render.find((o) => o.kind === "ConfigMap" && o.metadata.name === ef.configMapRef.name);
    if (cm) Object.assign(env, cm.data);
    else if (!ef.configMapRef.optional) bad(`ConfigMap ${ef.configMapRef.name} is not in the render`);
  }
  for (const e of c.env || []) if ("value" in e) env[e.name] = expand(e.value, env);
  return Object.assign(env, overrides);
}

// Maps container paths to host paths: each mount to dirs[volume name], the
// entrypoint to BIN.
function mapper(c, dirs) {
  const pairs = [[ENTRYPOINT, BIN], [COLLECTOR, path.join(path.dirname(BIN), "vmcp-telemetry-collector")]];
  for (const m of c.volumeMounts || []) {
    if (!(m.name in dirs)) throw new Error(`no host directory for volume ${m.name}`);
    pairs.push([m.mountPath, dirs[m.name]]);
  }
  pairs.sort((a, b) => b[0].length - a[0].length);
  return (s) => pairs.reduce((acc, [from, to]) => acc.split(from).join(to), s);
}

// Runs container c: returns spawnSync's result.
function runContainer(render, c, dirs, overrides, wrap) {
  const env = podEnv(render, c, overrides);
  const map = mapper(c, dirs);
  const argv = (c.command || [ENTRYPOINT]).concat(c.args || []).map((a) => map(expand(a, env)));
  for (const k of Object.keys(env)) env[k] = map(env[k]);
  env.PATH = process.env.PATH;
  env.SOURCE_DATE_EPOCH = EPOCH;
  const full = (wrap || []).concat(argv);
  return spawnSync(full[0], full.slice(1), { env, encoding: "utf8", timeout: 120000 });
}

function mkdirs(base, names) {
  const dirs = {};
  for (const n of names) {
    dirs[n] = path.join(base, n);
    fs.mkdirSync(dirs[n], { recursive: true });
  }
  return dirs;
}

function reportsIn(state) {
  const d = path.join(state, "reports");
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith(".json.gz")) : [];
}

function copy(src, dst) {
  fs.copyFileSync(path.join(ROOT, src), dst);
}

// A CronJob layout: local mode writes reports, a second run adds nothing,
// VMCP_TELEMETRY=off writes nothing at all, and mode on reads the token from
// the Secret's file only.
function cronJob(name, fillLogs) {
  const render = objects(name);
  const cj = render.find((o) => o.kind === "CronJob");
  const c = podSpec(cj).containers[0];
  const vols = (c.volumeMounts || []).map((m) => m.name);
  const dirs = mkdirs(path.join(TMP, name, "a"), vols);
  fillLogs(dirs);
  let r = runContainer(render, c, dirs, {});
  const first = reportsIn(dirs.state);
  if (r.status === 0 && first.length > 0) ok();
  else bad(`${name}: run exit ${r.status}, ${first.length} reports: ${r.stderr}`);
  r = runContainer(render, c, dirs, {});
  if (r.status === 0 && reportsIn(dirs.state).length === first.length) ok();
  else bad(`${name}: a second run: exit ${r.status}, reports ${first.length} -> ${reportsIn(dirs.state).length}`);

  const off = mkdirs(path.join(TMP, name, "off"), vols);
  fillLogs(off);
  r = runContainer(render, c, off, { VMCP_TELEMETRY: "off" });
  if (r.status === 0 && fs.readdirSync(off.state).length === 0 && /off/.test(r.stderr)) ok();
  else bad(`${name}: VMCP_TELEMETRY=off: exit ${r.status}, state holds ${fs.readdirSync(off.state)}`);

  const on = mkdirs(path.join(TMP, name, "on"), vols);
  fillLogs(on);
  r = runContainer(render, c, on, { VMCP_TELEMETRY: "on", VMCP_TELEMETRY_ENDPOINT: "http://127.0.0.1:9/v1" });
  if (r.status !== 0 && r.stderr.includes(path.join(on.token, "token"))) ok();
  else bad(`${name}: mode on without the Secret: exit ${r.status}, stderr ${r.stderr}`);
  console.log(`${name}: ${cj.kind}/${cj.metadata.name}: ${first.length} reports; off writes nothing; on wants the token file`);
}

// The node-pods DaemonSet: its loop runs, survives SIGTERM with exit 0, and
// reads the pod logs through the glob.
function daemonSet() {
  const name = "overlays_node-pods.yaml";
  const render = objects(name);
  const ds = render.find((o) => o.kind === "DaemonSet");
  const c = podSpec(ds).containers[0];
  const dirs = mkdirs(path.join(TMP, "node"), ["state", "token", "fleet-key"]);
  dirs["pod-logs"] = path.join(SAMPLES, "kubernetes/var/log/pods");
  fs.writeFileSync(path.join(dirs["fleet-key"], "key"), "dryrun-fleet-key-0123456789\n");
  const r = runContainer(render, c, dirs, { VMCP_TELEMETRY_INTERVAL: "1" },
    ["timeout", "--preserve-status", "-s", "TERM", "3"]);
  const reports = reportsIn(dirs.state);
  if (r.status === 0 && reports.length > 0 && fs.existsSync(path.join(dirs.state, "state"))) ok();
  else bad(`${name}: loop exit ${r.status} (want 0 on SIGTERM), ${reports.length} reports: ${r.stderr}`);
  const st = spawnSync(BIN, ["status", "--json", "--state", dirs.state], { encoding: "utf8" });
  let files = -1;
  try {
    files = JSON.parse(st.stdout).tracked_files.length;
  } catch (e) {
    files = -1;
  }
  if (files === 3) ok();
  else bad(`${name}: the glob should track 3 pod log files, status says ${files}: ${st.stdout.slice(0, 200)}`);
  console.log(`${name}: the loop ran until SIGTERM and tracked ${files} pod log files`);
}

// The backfill: N shard pods then the merge pod give the whole report.
function backfill() {
  const render = objects("overlays_backfill.yaml");
  const merge = objects("overlays_backfill_merge.yaml");
  const job = render.find((o) => o.kind === "Job");
  const c = podSpec(job).containers[0];
  const dirs = mkdirs(path.join(TMP, "backfill"), ["out", "fleet-key"]);
  dirs.logs = SAMPLES;
  const key = path.join(dirs["fleet-key"], "key");
  fs.writeFileSync(key, "dryrun-fleet-key-0123456789\n");
  const n = job.spec.completions;
  for (let i = 0; i < n; i++) {
    const r = runContainer(render, c, dirs, { JOB_COMPLETION_INDEX: String(i) });
    if (r.status === 0 && fs.existsSync(path.join(dirs.out, `part-${i}.json.gz`))) ok();
    else bad(`backfill shard ${i}: exit ${r.status}: ${r.stderr}`);
  }
  const mc = podSpec(merge.find((o) => o.kind === "Job")).containers[0];
  let r = runContainer(merge, mc, { out: dirs.out }, {});
  const merged = path.join(dirs.out, "backfill.json.gz");
  if (r.status !== 0 || !fs.existsSync(merged)) return bad(`backfill merge: exit ${r.status}: ${r.stderr}`);
  const whole = spawnSync(BIN, ["report", "-q", "--fleet-key-file", key, dirs.logs],
    { encoding: "utf8", env: { PATH: process.env.PATH, SOURCE_DATE_EPOCH: EPOCH } });
  if (zlib.gunzipSync(fs.readFileSync(merged)).toString() === whole.stdout) ok();
  else bad("backfill: the merged parts differ from the report of the whole input");
  fs.unlinkSync(path.join(dirs.out, "part-0.json.gz"));
  r = runContainer(merge, mc, { out: dirs.out }, {});
  if (r.status !== 0 && /want \d+ parts/.test(r.stderr)) ok();
  else bad(`backfill merge with a part missing: exit ${r.status}`);
  console.log(`backfill: ${n} shards merged equal the whole report; a missing part is refused`);
}

// The first-report Pod prints a report of the log volume on stdout.
function firstReport() {
  const render = objects("examples_first-report.yaml");
  const pod = render.find((o) => o.kind === "Pod");
  const c = pod.spec.containers[0];
  const dirs = mkdirs(path.join(TMP, "first"), ["vmcp-logs"]);
  for (const [f, to] of [["vmcp.log", "audit.log"], ["vmcp.log.1", "audit.log.1"], ["vmcp.log.2.gz", "audit.log.2.gz"]])
    copy(`fixtures/samples/cli-host/${f}`, path.join(dirs["vmcp-logs"], to));
  const r = runContainer(render, c, dirs, {});
  let report = null;
  try {
    report = JSON.parse(r.stdout);
  } catch (e) {
    report = null;
  }
  if (r.status === 0 && report && report.quality.files === 3) ok();
  else bad(`first-report: exit ${r.status}, ${report ? report.quality.files + " files" : "no JSON"}: ${r.stderr}`);
  console.log(`first-report: ${report ? report.usage.tool_calls.total : "?"} tool calls in ${report ? report.quality.files : "?"} files`);
}

// The read-state Pod prints status and every report of a state the base
// CronJob's dry run made.
function readState() {
  const render = objects("examples_read-state.yaml");
  const c = render.find((o) => o.kind === "Pod").spec.containers[0];
  const state = path.join(TMP, "base.yaml", "a", "state");
  const r = runContainer(render, c, { state }, {});
  const reports = reportsIn(state);
  const shown = (r.stdout.match(/^== reports\/.*\.json\.gz$/gm) || []).length;
  const parsed = r.stdout.split(/^== .*$/m).slice(1).filter((t) => JSON.parse(t).schema_version === 1).length;
  if (r.status === 0 && /^telemetry: local/m.test(r.stdout) && shown === reports.length && parsed === shown && shown > 0) ok();
  else bad(`read-state: exit ${r.status}, ${shown} of ${reports.length} reports shown: ${r.stderr}`);
  console.log(`read-state: status and ${shown} reports printed`);
}

// The collector's Deployment: its command line, with the listen address
// moved to a free loopback port, starts a collector that reads the token
// Secret's file, creates its database on the claim's volume and listens;
// SIGTERM after two seconds stops it with exit status 0.
function collector() {
  const render = objects("collector.yaml");
  const dep = render.find((o) => o.kind === "Deployment");
  const c = dep.spec.template.spec.containers[0];
  const dirs = mkdirs(path.join(TMP, "collector"), ["state", "tokens"]);
  fs.writeFileSync(path.join(dirs.tokens, "tokens"), "dry-run-token\n", { mode: 0o600 });
  const args = (c.args || []).map((a) => a.replace(/^--listen=.*/, "--listen=127.0.0.1:0"));
  const r = runContainer(render, Object.assign({}, c, { args }), dirs, {},
    ["timeout", "-s", "TERM", "-k", "5", "2"]);
  const db = fs.readdirSync(dirs.state).filter((f) => f.endsWith(".db"));
  const probes = [c.readinessProbe, c.livenessProbe].every((p) => p && p.httpGet && p.httpGet.path === "/healthz");
  if (r.status === 124 && /listening on port \d+/.test(r.stderr) && db.length === 1 && probes) ok();
  else bad(`collector: exit ${r.status}, databases ${db}, probes on /healthz ${probes}: ${r.stderr}`);
  console.log(`collector: listened, created ${db.join(" ")}`);
}

fs.mkdirSync(TMP, { recursive: true });
collector();
cronJob("base.yaml", (d) => {
  for (const f of ["vmcp.log", "vmcp.log.1", "vmcp.log.2.gz"])
    copy(`fixtures/samples/cli-host/${f}`, path.join(d["vmcp-logs"], f));
});
cronJob("overlays_shared-volume.yaml", (d) => {
  for (const [f, to] of [["vmcp.log", "audit.log"], ["vmcp.log.1", "audit.log.1"], ["vmcp.log.2.gz", "audit.log.2.gz"]])
    copy(`fixtures/samples/cli-host/${f}`, path.join(d["vmcp-logs"], to));
  copy("fixtures/configs/cli-full.yaml", path.join(d["vmcp-config"], "config.yaml"));
});
daemonSet();
backfill();
firstReport();
readState();
console.log(`dry run: ${pass} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
