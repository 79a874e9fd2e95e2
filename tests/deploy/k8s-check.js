// SPDX-License-Identifier: Apache-2.0
// Offline checks of rendered Kubernetes manifests (kubectl kustomize output).
//
//   node k8s-check.js validate FILE...   every object against Kubernetes'
//                                        OpenAPI schema, unknown fields too
//   node k8s-check.js mutants FILE       broken copies of the CronJob in FILE
//                                        must each be rejected
//   node k8s-check.js policy FILE...     the security properties of every
//                                        workload (see checkPod)
//   node k8s-check.js same A B           two renders hold the same objects
//   node k8s-check.js vmcp VMCP RENDER   the VirtualMCPServer example and the
//                                        shared-volume CronJob agree
//   node k8s-check.js backfill JOB MERGE the backfill Job and its merge Job agree
//
// The schemas are those the kubernetes-models package compiles from the
// Kubernetes OpenAPI document into ajv validators. Those validators accept
// unknown fields (the schemas do not say additionalProperties: false), so
// a misspelt field would pass: strictFields() closes that gap by recording
// which keys the validator reads while it walks the object. A key the
// schema knows is always read (ajv tests every declared property), so a
// key never read is unknown to the schema.
"use strict";

const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");

let failures = 0;
function fail(msg) {
  failures++;
  console.log("FAIL: " + msg);
}

function loadObjects(file) {
  return yaml.loadAll(fs.readFileSync(file, "utf8")).filter((o) => o);
}

function idOf(o) {
  return `${o.kind}/${(o.metadata || {}).name}`;
}

// The kubernetes-models class for an apiVersion and kind, or null.
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  // "v1" -> kubernetes-models/v1/Pod, "batch/v1" -> kubernetes-models/batch/v1/Job
  try {
    const m = require(`kubernetes-models/${apiVersion}/${kind}`);
    return m[kind] || null;
  } catch (e) {
    return null;
  }
}

// Wraps obj in proxies that record the keys read; returns the proxy and the
// list of visited nodes.
function track(value, where, nodes) {
  if (Array.isArray(value)) return value.map((v, i) => track(v, `${where}/${i}`, nodes));
  if (value === null || typeof value !== "object") return value;
  const node = { where, value, read: new Set() };
  nodes.push(node);
  const copy = {};
  for (const k of Object.keys(value)) copy[k] = track(value[k], `${where}/${k}`, nodes);
  return new Proxy(copy, {
    get(t, k, r) {
      if (typeof k === "string") node.read.add(k);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      node.read.add(k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      for (const k of Reflect.ownKeys(t)) node.read.add(k);
      return Reflect.ownKeys(t);
    },
  });
}

// Schema errors and unknown fields of one object, as strings; [] if valid.
function validateObject(o, model) {
  const Model = model || modelFor(o.apiVersion, o.kind);
  if (!Model) return [`no Kubernetes schema for apiVersion ${o.apiVersion} kind ${o.kind}`];
  const errors = [];
  const nodes = [];
  const proxied = track(o, "", nodes);
  try {
    Model.prototype.validate.call(proxied);
  } catch (e) {
    errors.push(e.message);
  }
  for (const n of nodes) {
    for (const k of Object.keys(n.value)) {
      if (!n.read.has(k)) errors.push(`${n.where}/${k}: unknown field`);
    }
  }
  return errors;
}

function cmdValidate(files) {
  let n = 0;
  for (const f of files) {
    for (const o of loadObjects(f)) {
      n++;
      const errs = validateObject(o);
      if (errs.length) fail(`${path.basename(f)}: ${idOf(o)}: ${errs.join("; ")}`);
    }
  }
  if (n === 0) fail("no object to validate");
  console.log(`validated ${n} objects against the Kubernetes schemas`);
}

// ---------------------------------------------------------------- policy

// The pod template of a workload, or null for objects that run nothing.
function podTemplate(o) {
  switch (o.kind) {
    case "CronJob":
      return o.spec.jobTemplate.spec.template;
    case "Job":
    case "DaemonSet":
    case "Deployment":
    case "StatefulSet":
      return o.spec.template;
    case "Pod":
      return { spec: o.spec };
    default:
      return null;
  }
}

// Mounts that are written to: the state directory and the backfill's parts.
const WRITABLE_MOUNTS = new Set(["state", "out"]);

function checkContainer(id, pod, c, init) {
  const psc = pod.securityContext || {};
  const sc = c.securityContext || {};
  const where = `${id} container ${c.name}`;
  const caps = sc.capabilities || {};
  const nonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : psc.runAsNonRoot;
  const uid = sc.runAsUser !== undefined ? sc.runAsUser : psc.runAsUser;
  if (init && uid === 0) {
    // The one exception: an init container that only hands a hostPath
    // directory to the unprivileged user.
    const cmd = (c.command || []).concat(c.args || []);
    const added = caps.add || [];
    if (cmd[0] !== "chown" || added.some((a) => a !== "CHOWN"))
      fail(`${where}: an init container running as root may only chown, with CAP_CHOWN alone`);
  } else {
    if (nonRoot !== true) fail(`${where}: runAsNonRoot is not true`);
    if (typeof uid !== "number" || uid === 0) fail(`${where}: runAsUser is not a non-zero number`);
    if ((caps.add || []).length) fail(`${where}: adds capabilities ${caps.add}`);
  }
  if (sc.readOnlyRootFilesystem !== true) fail(`${where}: readOnlyRootFilesystem is not true`);
  if (sc.allowPrivilegeEscalation !== false) fail(`${where}: allowPrivilegeEscalation is not false`);
  if (!(caps.drop || []).includes("ALL")) fail(`${where}: capabilities do not drop ALL`);
  if (sc.privileged) fail(`${where}: privileged`);
  const res = c.resources || {};
  for (const k of ["cpu", "memory"]) {
    if (!(res.requests || {})[k]) fail(`${where}: no ${k} request`);
    if (!(res.limits || {})[k]) fail(`${where}: no ${k} limit`);
  }
  for (const m of c.volumeMounts || []) {
    if (!WRITABLE_MOUNTS.has(m.name) && m.readOnly !== true)
      fail(`${where}: volume ${m.name} is mounted writable`);
  }
  checkNoToken(where, c);
}

// The upload token reaches the program as a file only.
function checkNoToken(where, c) {
  for (const e of c.env || []) {
    if (e.valueFrom && e.valueFrom.secretKeyRef) fail(`${where}: env ${e.name} comes from a Secret`);
    if (/TOKEN/i.test(e.name)) fail(`${where}: env ${e.name} looks like a token`);
  }
  for (const e of c.envFrom || []) {
    if (e.secretRef) fail(`${where}: envFrom a Secret (${e.secretRef.name})`);
  }
  for (const a of (c.command || []).concat(c.args || [])) {
    const s = String(a);
    if (/--token(?!-file)\b|VMCP_TELEMETRY_TOKEN|Bearer /i.test(s))
      fail(`${where}: a token on the command line: ${s.slice(0, 60)}`);
  }
}

function checkPod(id, pod) {
  const spec = pod.spec;
  const psc = spec.securityContext || {};
  if (psc.runAsNonRoot !== true) fail(`${id}: pod runAsNonRoot is not true`);
  if (!psc.seccompProfile || psc.seccompProfile.type !== "RuntimeDefault")
    fail(`${id}: seccompProfile is not RuntimeDefault`);
  if (spec.automountServiceAccountToken !== false) fail(`${id}: mounts a service account token`);
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) fail(`${id}: shares a host namespace`);
  for (const c of spec.initContainers || []) checkContainer(id, spec, c, true);
  for (const c of spec.containers || []) checkContainer(id, spec, c, false);
  const mounts = {};
  for (const c of spec.containers.concat(spec.initContainers || []))
    for (const m of c.volumeMounts || []) mounts[m.name] = m;
  for (const v of spec.volumes || []) {
    if (v.persistentVolumeClaim && !WRITABLE_MOUNTS.has(v.name) && v.persistentVolumeClaim.readOnly !== true)
      fail(`${id}: volume ${v.name} (claim ${v.persistentVolumeClaim.claimName}) is not readOnly`);
    if (v.hostPath && !WRITABLE_MOUNTS.has(v.name) && !(mounts[v.name] || {}).readOnly)
      fail(`${id}: hostPath ${v.hostPath.path} is mounted writable`);
  }
}

// A container that runs 'vmcp-telemetry run' takes the mode from the values
// ConfigMap (the one-value opt-out) and its token from a Secret volume.
function checkRunContainer(id, spec, c, configMaps) {
  const text = (c.command || []).concat(c.args || []).join(" ");
  if (!/\brun\b/.test(text)) return;
  const refs = (c.envFrom || []).filter((e) => e.configMapRef).map((e) => e.configMapRef.name);
  const values = refs.map((r) => configMaps[r]).filter((d) => d);
  if (!values.some((d) => "VMCP_TELEMETRY" in d))
    fail(`${id}: ${c.name} does not take VMCP_TELEMETRY from a values ConfigMap in the render`);
  const m = /--token-file[= ](\S+)/.exec(text);
  if (!m) {
    fail(`${id}: ${c.name} runs without --token-file`);
    return;
  }
  const secretVolumes = new Set((spec.volumes || []).filter((v) => v.secret).map((v) => v.name));
  const mount = (c.volumeMounts || []).find(
    (vm) => secretVolumes.has(vm.name) && m[1].startsWith(vm.mountPath + "/"));
  if (!mount) fail(`${id}: --token-file ${m[1]} is not on a Secret volume`);
}

function checkCronJob(o) {
  const s = o.spec;
  const id = idOf(o);
  if (s.concurrencyPolicy !== "Forbid") fail(`${id}: concurrencyPolicy is not Forbid`);
  for (const k of ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) {
    if (typeof s[k] !== "number") fail(`${id}: no ${k}`);
  }
}

function policyOf(objects) {
  const configMaps = {};
  for (const o of objects) if (o.kind === "ConfigMap") configMaps[o.metadata.name] = o.data || {};
  let workloads = 0;
  for (const o of objects) {
    const pod = podTemplate(o);
    if (!pod) continue;
    workloads++;
    if (o.kind === "CronJob") checkCronJob(o);
    checkPod(idOf(o), pod);
    for (const c of pod.spec.containers) checkRunContainer(idOf(o), pod.spec, c, configMaps);
  }
  return workloads;
}

function cmdPolicy(files) {
  let total = 0;
  for (const f of files) {
    const before = failures;
    const n = policyOf(loadObjects(f));
    total += n;
    if (n && failures === before) console.log(`policy ok: ${path.basename(f)} (${n} workloads)`);
  }
  if (total === 0) fail("no workload to check");
}

// ---------------------------------------------------------------- mutants

function cronJobIn(file) {
  const cj = loadObjects(file).find((o) => o.kind === "CronJob");
  if (!cj) throw new Error(`${file}: no CronJob`);
  return cj;
}

const podOf = (cj) => cj.spec.jobTemplate.spec.template.spec;
const SCHEMA_MUTANTS = {
  "a number as a string": (cj) => { cj.spec.startingDeadlineSeconds = "300"; },
  "an unknown concurrencyPolicy": (cj) => { cj.spec.concurrencyPolicy = "Sometimes"; },
  "a misspelt field (runAsNonroot)": (cj) => {
    const sc = podOf(cj).containers[0].securityContext;
    delete sc.runAsNonRoot;
    sc.runAsNonroot = true;
  },
  "an unknown top-level spec field": (cj) => { cj.spec.concurrency = "Forbid"; },
  "no schedule": (cj) => { delete cj.spec.schedule; },
  "a bad quantity": (cj) => { podOf(cj).containers[0].resources.limits.memory = "lots"; },
  "args as a string": (cj) => { podOf(cj).containers[0].args = "run --state=/x"; },
  "a wrong apiVersion": (cj) => { cj.apiVersion = "batch/v9"; },
};
const POLICY_MUTANTS = {
  "concurrencyPolicy Allow": (cj) => { cj.spec.concurrencyPolicy = "Allow"; },
  "no startingDeadlineSeconds": (cj) => { delete cj.spec.startingDeadlineSeconds; },
  "the log volume writable": (cj) => {
    podOf(cj).containers[0].volumeMounts.find((m) => m.name === "vmcp-logs").readOnly = false;
  },
  "runAsNonRoot false": (cj) => { podOf(cj).containers[0].securityContext.runAsNonRoot = false; },
  "runAsUser 0": (cj) => { podOf(cj).securityContext.runAsUser = 0; },
  "a writable root filesystem": (cj) => {
    podOf(cj).containers[0].securityContext.readOnlyRootFilesystem = false;
  },
  "privilege escalation": (cj) => {
    podOf(cj).containers[0].securityContext.allowPrivilegeEscalation = true;
  },
  "capabilities kept": (cj) => { podOf(cj).containers[0].securityContext.capabilities.drop = []; },
  "no seccomp profile": (cj) => { delete podOf(cj).securityContext.seccompProfile; },
  "no memory limit": (cj) => { delete podOf(cj).containers[0].resources.limits.memory; },
  "the token from a Secret env var": (cj) => {
    podOf(cj).containers[0].env = [{ name: "VMCP_TELEMETRY_TOKEN",
      valueFrom: { secretKeyRef: { name: "vmcp-telemetry-token", key: "token" } } }];
  },
  "the token on the command line": (cj) => { podOf(cj).containers[0].args.push("--token=abc"); },
  "the token file off the Secret volume": (cj) => {
    const a = podOf(cj).containers[0].args;
    a[a.findIndex((x) => x.startsWith("--token-file"))] = "--token-file=/var/lib/vmcp-telemetry/token";
  },
  "no values ConfigMap": (cj) => { delete podOf(cj).containers[0].envFrom; },
};

function cmdMutants(file) {
  const objects = loadObjects(file);
  const clean = cronJobIn(file);
  if (validateObject(clean).length) fail("the unmutated CronJob does not validate");
  const f0 = failures;
  policyOf(objects);
  if (failures !== f0) fail("the unmutated render does not pass the policy");
  for (const [name, mutate] of Object.entries(SCHEMA_MUTANTS)) {
    const cj = JSON.parse(JSON.stringify(clean));
    mutate(cj);
    const errs = validateObject(cj);
    if (errs.length) console.log(`schema rejects ${name}: ${errs[0].slice(0, 110)}`);
    else fail(`the schema check accepted a CronJob with ${name}`);
  }
  for (const [name, mutate] of Object.entries(POLICY_MUTANTS)) {
    const copy = JSON.parse(JSON.stringify(objects));
    mutate(copy.find((o) => o.kind === "CronJob"));
    const saved = failures;
    const log = console.log;
    console.log = () => {};
    policyOf(copy);
    console.log = log;
    const caught = failures > saved;
    failures = saved;
    if (caught) console.log(`policy rejects ${name}`);
    else fail(`the policy accepted a CronJob with ${name}`);
  }
}

// ---------------------------------------------------------------- layouts

function only(objects, kind, file) {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`${file}: want one ${kind}, found ${found.length}`);
  return found[0];
}

function mountOf(container, volumeName) {
  return (container.volumeMounts || []).find((m) => m.name === volumeName);
}

function claimVolume(spec, claim) {
  return (spec.volumes || []).find((v) => v.persistentVolumeClaim && v.persistentVolumeClaim.claimName === claim);
}

// The vMCP side of the shared-volume layout: its pod template is valid, and
// the file it writes is the file the CronJob reads, on the same claim, by
// the same user (vMCP creates the file 0600).
function cmdVmcp(vmcpFile, renderFile) {
  const vm = only(loadObjects(vmcpFile), "VirtualMCPServer", vmcpFile);
  const render = loadObjects(renderFile);
  const cj = only(render, "CronJob", renderFile);
  const { PodTemplateSpec } = require("kubernetes-models/v1/PodTemplateSpec");
  const pts = vm.spec.podTemplateSpec;
  const errs = validateObject(pts, PodTemplateSpec);
  if (errs.length) fail(`${vmcpFile}: podTemplateSpec: ${errs.join("; ")}`);
  const audit = vm.spec.config.audit;
  if (audit.enabled !== true) fail(`${vmcpFile}: audit.enabled is not true (the operator drops the section)`);
  const vmcp = pts.spec.containers.find((c) => c.name === "vmcp");
  const vmount = (vmcp.volumeMounts || []).find((m) => audit.logFile.startsWith(m.mountPath + "/"));
  if (!vmount) return fail(`${vmcpFile}: audit.logFile ${audit.logFile} is on no volume of the vmcp container`);
  const vvol = pts.spec.volumes.find((v) => v.name === vmount.name);
  const claim = vvol && vvol.persistentVolumeClaim && vvol.persistentVolumeClaim.claimName;
  if (!claim) return fail(`${vmcpFile}: the audit log volume is not a PersistentVolumeClaim`);
  const pvc = render.find((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === claim);
  if (!pvc) fail(`${renderFile}: no PersistentVolumeClaim ${claim}`);
  else if (!pvc.spec.accessModes.includes("ReadWriteMany")) fail(`${claim} is not ReadWriteMany`);
  const spec = podOf(cj);
  const c = spec.containers[0];
  const cvol = claimVolume(spec, claim);
  const cmount = cvol && mountOf(c, cvol.name);
  if (!cmount) return fail(`${renderFile}: the CronJob does not mount claim ${claim}`);
  const want = cmount.mountPath + audit.logFile.slice(vmount.mountPath.length);
  if (!c.args.includes(want)) fail(`the CronJob does not read ${want} (args: ${c.args.join(" ")})`);
  const vuid = pts.spec.securityContext.runAsUser;
  const cuid = (c.securityContext || {}).runAsUser || spec.securityContext.runAsUser;
  if (vuid !== cuid) fail(`vMCP runs as ${vuid}, the CronJob as ${cuid}: the 0600 audit file is unreadable`);
  const cfg = (spec.volumes || []).find((v) => v.configMap && v.configMap.name === `${vm.metadata.name}-vmcp-config`);
  if (!cfg || !mountOf(c, cfg.name)) fail(`the CronJob does not mount ConfigMap ${vm.metadata.name}-vmcp-config`);
  if (!failures) console.log(`vMCP writes ${audit.logFile} on claim ${claim} as ${vuid}; the CronJob reads ${want} as ${cuid}`);
}

// The backfill: an Indexed Job whose SHARDS equals its completions, writing
// parts to the claim the merge Job reads, which expects as many parts.
function cmdBackfill(jobFile, mergeFile) {
  const job = only(loadObjects(jobFile), "Job", jobFile);
  const merge = only(loadObjects(mergeFile), "Job", mergeFile);
  const envOf = (j, n) => ((j.spec.template.spec.containers[0].env || []).find((e) => e.name === n) || {}).value;
  if (job.spec.completionMode !== "Indexed") fail(`${idOf(job)}: completionMode is not Indexed`);
  const n = job.spec.completions;
  if (String(n) !== envOf(job, "SHARDS")) fail(`${idOf(job)}: SHARDS ${envOf(job, "SHARDS")} != completions ${n}`);
  if (String(n) !== envOf(merge, "SHARDS")) fail(`${idOf(merge)}: SHARDS ${envOf(merge, "SHARDS")} != completions ${n}`);
  const outOf = (j) => {
    const spec = j.spec.template.spec;
    const m = mountOf(spec.containers[0], "out");
    const v = spec.volumes.find((x) => x.name === "out");
    return m && v && v.persistentVolumeClaim ? `${v.persistentVolumeClaim.claimName}:${m.mountPath}` : null;
  };
  if (!outOf(job) || outOf(job) !== outOf(merge)) fail(`the parts are written to ${outOf(job)} and read from ${outOf(merge)}`);
  if (!failures) console.log(`backfill: ${n} shards, parts on ${outOf(job)}`);
}

// ---------------------------------------------------------------- misc

function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}

function cmdSame(a, b) {
  const key = (o) => `${o.apiVersion} ${idOf(o)}`;
  const map = (f) => new Map(loadObjects(f).map((o) => [key(o), JSON.stringify(canonical(o))]));
  const ma = map(a);
  const mb = map(b);
  for (const [k, v] of ma) {
    if (!mb.has(k)) fail(`${k} is only in ${a}`);
    else if (mb.get(k) !== v) fail(`${k} differs between ${a} and ${b}`);
  }
  for (const k of mb.keys()) if (!ma.has(k)) fail(`${k} is only in ${b}`);
}

function cmdGet(file, kind, name) {
  const o = loadObjects(file).find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) fail(`${file}: no ${kind}/${name}`);
  else process.stdout.write(JSON.stringify(o) + "\n");
}

function main(argv) {
  const [cmd, ...rest] = argv;
  const commands = {
    validate: () => cmdValidate(rest),
    mutants: () => cmdMutants(rest[0]),
    policy: () => cmdPolicy(rest),
    same: () => cmdSame(rest[0], rest[1]),
    get: () => cmdGet(rest[0], rest[1], rest[2]),
    vmcp: () => cmdVmcp(rest[0], rest[1]),
    backfill: () => cmdBackfill(rest[0], rest[1]),
  };
  if (!commands[cmd] || rest.length === 0) {
    console.error("usage: node k8s-check.js validate|mutants|policy|same|get|vmcp|backfill FILE...");
    process.exit(2);
  }
  commands[cmd]();
  process.exit(failures ? 1 : 0);
}

main(process.argv.slice(2));
