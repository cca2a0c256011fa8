#!/usr/bin/env node
// Deploy time and dependency-order violations of one fleet on a single-node swarm: `dom0 apply`
// vs `docker stack deploy -c FILE` of the same file (bench/swarm.mjs [FILE] [RUNS]).
//
// The time runs from the command's start until every service has all its wanted tasks running
// and every job is complete. A violation is a dependency edge (depends_on) where the dependent's
// first task was created before the dependency was ready as its condition says: running
// (service_started), running and so healthy (service_healthy: Swarm reports a task running only
// once its healthcheck passed), complete (service_completed_successfully).
//
// Uses its own engine (scripts/engine.sh, /tmp/dom0-swarm-engine, pool 10.225.0.0/16) in swarm
// mode (overlay pool 10.226.0.0/16, as test/integration/swarm.test.ts); stops it at the end unless it was already running.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FILE = resolve(process.argv[2] ?? join(ROOT, 'bench/swarm-fleet.yaml'));
const RUNS = Number(process.argv[3] ?? 3);
const DIR = '/tmp/dom0-swarm-engine';
const HOST = `unix://${DIR}/docker.sock`;
const env = { ...process.env, DOCKER_HOST: HOST, DOM0_ENGINE_DIR: DIR, DOM0_ENGINE_ADDRESS_POOL: 'base=10.225.0.0/16,size=24', DOM0_LOG_LEVEL: 'warn' };
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { env, encoding: 'utf8', ...opts });
const docker = (...args) => sh('docker', args);
const json = (...args) => JSON.parse(execFileSync('docker', args, { env, encoding: 'utf8' }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const wasRunning = sh('bash', [join(ROOT, 'scripts/engine.sh'), 'status']).status === 0;
if (!wasRunning && sh('bash', [join(ROOT, 'scripts/engine.sh'), 'start']).status !== 0) throw new Error('engine start failed');
if (docker('info', '--format', '{{.Swarm.LocalNodeState}}').stdout.trim() !== 'active') docker('swarm', 'init', '--advertise-addr', '127.0.0.1', '--default-addr-pool', '10.226.0.0/16');

// The same fleet as a stack file: dom0's extensions (target, jobs, volume containers) in Compose's
// words. A volume container becomes a named volume per path, mounted where volumes_from put it, as
// dom0 itself maps it on a swarm (the top-level dom0.yaml, with its links and loopback addresses
// dropped, runs this way).
const doc = YAML.parse(readFileSync(FILE, 'utf8'));
const fleet = doc.name;
const entries = { ...(doc.jobs ?? {}), ...doc.services };
const jobs = new Set(Object.keys(doc.jobs ?? {}));
const stack = { version: '3.9', services: {}, volumes: { ...(doc.volumes ?? {}) } };
const vcPaths = Object.fromEntries(Object.entries(doc.volume_containers ?? {}).map(([k, v]) => [k, v.paths ?? []]));
for (const [k, paths] of Object.entries(vcPaths)) paths.forEach((_, i) => (stack.volumes[`${k}-${i}`] = {}));
for (const [k, s] of Object.entries(entries)) {
  const { init: _i, depends_on: dependsOn, volumes_from: volumesFrom, restart: _r, ...rest } = s;
  // The stack format takes depends_on as a list only (and ignores it: that is what is measured).
  if (dependsOn) rest.depends_on = Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
  for (const ref of volumesFrom ?? []) {
    const [vc, mode] = ref.split(':');
    rest.volumes = [...(rest.volumes ?? []), ...(vcPaths[vc] ?? []).map((p, i) => `${vc}-${i}:${p}${mode === 'ro' ? ':ro' : ''}`)];
  }
  stack.services[k] = jobs.has(k) ? { ...rest, deploy: { mode: 'replicated-job', restart_policy: { condition: 'none' } } } : rest;
}
const stackDir = mkdtempSync(join(tmpdir(), 'dom0-bench-stack-'));
const stackFile = join(stackDir, 'stack.yaml');
writeFileSync(stackFile, YAML.stringify(stack));

const deps = Object.entries(entries).flatMap(([k, s]) => {
  const d = s.depends_on ?? [];
  return Array.isArray(d) ? d.map((n) => ({ from: k, to: n, condition: 'service_started' })) : Object.entries(d).map(([n, c]) => ({ from: k, to: n, condition: c?.condition ?? 'service_started' }));
});

function tasksOf(service) {
  const ids = docker('service', 'ps', '-q', '--no-trunc', service).stdout.trim().split('\n').filter(Boolean);
  return ids.length ? json('inspect', ...ids) : [];
}

function ready(service, isJob) {
  const ts = tasksOf(service);
  const want = isJob ? 1 : (entries[service.slice(fleet.length + 1)]?.deploy?.replicas ?? 1);
  return ts.filter((t) => (isJob ? t.Status.State === 'complete' : t.DesiredState === 'running' && t.Status.State === 'running')).length >= want;
}

async function waitAll(t0) {
  while (Date.now() - t0 < 180_000) {
    if (Object.keys(entries).every((k) => ready(`${fleet}_${k}`, jobs.has(k)))) return Date.now() - t0;
    await sleep(200);
  }
  return NaN;
}

function violations() {
  const out = [];
  for (const d of deps) {
    const first = Math.min(...tasksOf(`${fleet}_${d.from}`).map((t) => Date.parse(t.CreatedAt)));
    const dt = tasksOf(`${fleet}_${d.to}`);
    const okStates = d.condition === 'service_completed_successfully' ? ['complete'] : ['running', 'complete'];
    // when the dependency got there: the earliest task in that state (Timestamp: when it entered it)
    const readyAt = Math.min(...dt.filter((t) => okStates.includes(t.Status.State)).map((t) => Date.parse(t.Status.Timestamp)));
    if (!(first >= readyAt)) out.push(`${d.from} before ${d.to} (${d.condition})`);
  }
  const failed = Object.keys(entries).reduce((n, k) => n + tasksOf(`${fleet}_${k}`).filter((t) => t.Status.State === 'failed').length, 0);
  return { violations: out, failedTasks: failed };
}

async function clean() {
  sh('node', [join(ROOT, 'dist/cli/main.js'), 'down', '--volumes', '-f', FILE]);
  docker('stack', 'rm', fleet);
  for (let i = 0; i < 100 && docker('service', 'ls', '-q', '--filter', `name=${fleet}_`).stdout.trim(); i++) await sleep(200);
  for (let i = 0; i < 100; i++) {
    const left = docker('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${fleet}`).stdout.trim().split('\n').filter(Boolean);
    if (left.length) docker('rm', '-f', ...left);
    const vols = Object.keys(stack.volumes).map((v) => `${fleet}_${v}`).filter((v) => docker('volume', 'ls', '-q').stdout.split('\n').includes(v));
    if (vols.length === 0 || docker('volume', 'rm', ...vols).status === 0) break;
    await sleep(200);
  }
  for (let i = 0; i < 50 && docker('network', 'ls', '-q', '--filter', `name=${fleet}`).stdout.trim(); i++) {
    docker('network', 'rm', fleet, `${fleet}_default`);
    await sleep(200);
  }
}

const results = { dom0: [], stack: [] };
for (let run = 0; run < RUNS; run++) {
  for (const tool of ['dom0', 'stack']) {
    await clean();
    const t0 = Date.now();
    const r = tool === 'dom0'
      ? sh('node', [join(ROOT, 'dist/cli/main.js'), 'apply', '-f', FILE])
      : docker('stack', 'deploy', '--resolve-image', 'never', '-c', stackFile, fleet);
    const commandMs = Date.now() - t0;
    if (r.status !== 0) console.error(`${tool} exited ${r.status}: ${r.stderr}`);
    const readyMs = await waitAll(t0);
    const v = violations();
    results[tool].push({ commandMs, readyMs, ...v });
    console.log(JSON.stringify({ run, tool, commandMs, readyMs, violations: v.violations.length, failedTasks: v.failedTasks, which: v.violations }));
  }
}
await clean();
if (!wasRunning) {
  docker('swarm', 'leave', '--force');
  sh('bash', [join(ROOT, 'scripts/engine.sh'), 'stop']);
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [tool, rs] of Object.entries(results)) {
  console.log(`${tool}: ready in ${(median(rs.map((r) => r.readyMs)) / 1000).toFixed(1)} s (median of ${rs.length}; command returned in ${(median(rs.map((r) => r.commandMs)) / 1000).toFixed(1)} s), dependency-order violations ${median(rs.map((r) => r.violations.length))} of ${deps.length} edges, failed tasks ${median(rs.map((r) => r.failedTasks))}`);
}
