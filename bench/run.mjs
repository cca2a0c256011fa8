#!/usr/bin/env node
// Boot-to-ready benchmark: dom0 vs docker-compose 1.29 vs a boot script vs the floor (raw Engine
// API, full parallelism per layer), side by side, in one run, on one engine. See bench/README.md.
//
//   node bench/run.mjs [--sizes 10,50,200] [--reps 3] [--variants plain,healthy]
//                      [--tools dom0,compose,boot,floor] [--quick] [--out PREFIX]
//                      [--engine-dir DIR] [--keep-engine] [--timeout SECONDS]
//                      [--health-interval MS] [--settle MS] [--dom0-args="ARGS"] [--keep-work]
//                      [--report-from RESULTS.json]  (rewrite the report from saved figures, no run)
//                      [--skip VARIANT:N,...|none]   (default, when neither --sizes nor --variants is
//                      given: healthy:200, which saturates a 2-core engine with health probes)
//                      [--up-phases edit,idle,soak|none] [--soak-minutes 60]  (dom0 up phases, bench/up-phases.mjs;
//                      default: all in a full run, edit alone with --quick)
//                      [--reboot-phases reboot,offline|none] [--reboot-sizes 50,200] [--reboot-healthy-sizes 50]
//                      [--reboot-reps 3] [--reboot-engine-dir DIR]  (engine restart → ready, bench/reboot.mjs;
//                      --quick: reboot alone at N=10, 1 rep)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EngineApi, mapLimit, socketPathFromEnv } from './engine-api.mjs';
import { DEFAULT_HEALTH_INTERVAL_MS, LABEL_FLEET, LABEL_SERVICE, LAYERS, IMAGE, makeFleet, writeFleetFiles } from './fleet.mjs';
import { runUpPhases, UP_PHASES, upPhasesMarkdown } from './up-phases.mjs';
import { REBOOT_ENGINE_DIR, rebootMarkdown, rebootSummary, rebootTargets, runReboot } from './reboot.mjs';
import { measureStartup, startupMarkdown } from './startup.mjs';
import { engineCpuSample, engineCpuSeconds } from './engine-cpu.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const ENGINE_SH = path.join(ROOT, 'scripts', 'engine.sh');
const DIST = path.join(ROOT, 'dist');
// dom0 is measured from a copy of dist/ taken at the start of the run: others rebuilding dist/
// mid-run must not change the code under test between repetitions. The copy lives under the repo,
// so its imports still resolve from the repo's node_modules.
const DIST_SNAPSHOT = path.join(BENCH, 'work', 'dom0-dist');
let DOM0_CLI = path.join(DIST, 'cli', 'main.js');
// The dom0 command as installed (package.json "bin": the bundle's script, which sets node's flags).
let DOM0_BIN = path.join(DIST, 'bundle', 'dom0');
const FLOOR = path.join(BENCH, 'floor.mjs');
const TIME_BIN = '/usr/bin/time';
const COMPOSE_BIN = '/usr/bin/docker-compose';
const ALL_TOOLS = ['dom0', 'compose', 'boot', 'floor'];
const TOOL_TITLE = { dom0: 'dom0', compose: 'compose 1.29', boot: 'boot script', floor: 'floor' };
const PHASES = {
  dom0: ['cold', 'noop', 'change', 'down'],
  compose: ['cold', 'noop', 'change', 'down'],
  boot: ['cold', 'down'],
  floor: ['cold', 'single', 'down'],
};
const PHASE_TITLE = {
  cold: 'cold (empty → all up)',
  noop: 'no-op re-apply',
  change: 'one service changed',
  down: 'down',
  single: 'one container create+start',
};
const DEFAULT_ENGINE_DIR = '/tmp/dom0-bench-engine';
const DEFAULT_ADDRESS_POOL = 'base=10.215.0.0/16,size=24';

// ------------------------------------------------------------------------------------ options
const { values: argv } = parseArgs({
  options: {
    sizes: { type: 'string' },
    reps: { type: 'string' },
    variants: { type: 'string' },
    tools: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'engine-dir': { type: 'string' },
    'keep-engine': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '900' },
    'health-interval': { type: 'string', default: String(DEFAULT_HEALTH_INTERVAL_MS) },
    settle: { type: 'string', default: '500' },
    'quiesce-max': { type: 'string', default: '3000' },
    'dom0-args': { type: 'string', default: '' },
    'keep-work': { type: 'boolean', default: false },
    skip: { type: 'string' },
    'report-from': { type: 'string' },
    'up-phases': { type: 'string' },
    'soak-minutes': { type: 'string', default: '60' },
    'reboot-phases': { type: 'string' },
    'reboot-sizes': { type: 'string' },
    'reboot-healthy-sizes': { type: 'string' },
    'reboot-reps': { type: 'string' },
    'reboot-engine-dir': { type: 'string', default: REBOOT_ENGINE_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (argv.help) {
  const head = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 16);
  process.stdout.write(`${head.map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}

const list = (s, parse = (x) => x) => s.split(',').map((x) => x.trim()).filter(Boolean).map(parse);
const positiveInt = (name) => (x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) die(`--${name}: expected whole numbers ≥ 1, got "${x}"`);
  return n;
};
let sizes = argv.sizes ? list(argv.sizes, positiveInt('sizes')) : argv.quick ? [10] : [10, 50, 200];
let reps = argv.reps ? positiveInt('reps')(argv.reps) : argv.quick ? 1 : 3;
let variants = argv.variants ? list(argv.variants) : ['plain', 'healthy'];
let tools = argv.tools ? list(argv.tools) : ALL_TOOLS;
for (const v of variants) if (!['plain', 'healthy'].includes(v)) die(`--variants: plain or healthy, not "${v}"`);
for (const t of tools) if (!ALL_TOOLS.includes(t)) die(`--tools: one of ${ALL_TOOLS.join(', ')}, not "${t}"`);
const skipDefault = !argv.sizes && !argv.variants ? 'healthy:200' : '';
const skip = new Set(argv.skip === 'none' ? [] : list(argv.skip ?? skipDefault));
for (const x of skip) if (!/^(plain|healthy):\d+$/.test(x)) die(`--skip: VARIANT:N items (e.g. healthy:200) or none, not "${x}"`);
let skipped = [...skip].filter((x) => sizes.includes(Number(x.split(':')[1])) && variants.includes(x.split(':')[0]));
const blocks = sizes.flatMap((n) => variants.filter((v) => !skip.has(`${v}:${n}`)).map((variant) => ({ n, variant })));
const timeoutMs = positiveInt('timeout')(argv.timeout) * 1000;
let healthIntervalMs = positiveInt('health-interval')(argv['health-interval']);
const settleMs = Number(argv.settle) >= 0 ? Number(argv.settle) : die('--settle: milliseconds ≥ 0');
let quiesceMaxMs = Number(argv['quiesce-max']) >= 0 ? Number(argv['quiesce-max']) : die('--quiesce-max: milliseconds ≥ 0');
const QUIET_PCT = 35;
let dom0Args = argv['dom0-args'].split(/\s+/).filter(Boolean);
const WORK = path.join(BENCH, 'work');
const outPrefix = argv.out ?? (argv.quick ? path.join(WORK, 'results-quick') : path.join(BENCH, 'results'));
const upPhases = argv['up-phases'] === 'none' ? [] : argv['up-phases'] ? list(argv['up-phases']) : argv.quick ? ['edit'] : UP_PHASES;
for (const p of upPhases) if (!UP_PHASES.includes(p)) die(`--up-phases: some of ${UP_PHASES.join(', ')} or none, not "${p}"`);
const soakMinutes = Number(argv['soak-minutes']) > 0 ? Number(argv['soak-minutes']) : die('--soak-minutes: minutes > 0');
/** Figures of the dom0 up phases (bench/up-phases.mjs), written with the rest. */
let upResults = {};
const REBOOT_PHASES = ['reboot', 'offline'];
const rebootPhases = argv['reboot-phases'] === 'none' ? [] : argv['reboot-phases'] ? list(argv['reboot-phases']) : argv.quick ? ['reboot'] : REBOOT_PHASES;
for (const p of rebootPhases) if (!REBOOT_PHASES.includes(p)) die(`--reboot-phases: some of ${REBOOT_PHASES.join(', ')} or none, not "${p}"`);
const rebootSizes = argv['reboot-sizes'] ? list(argv['reboot-sizes'], positiveInt('reboot-sizes')) : argv.quick ? [10] : [50, 200];
const rebootHealthy = argv['reboot-healthy-sizes'] !== undefined ? list(argv['reboot-healthy-sizes'], positiveInt('reboot-healthy-sizes')) : argv.quick ? [] : [50];
const rebootReps = argv['reboot-reps'] ? positiveInt('reboot-reps')(argv['reboot-reps']) : argv.quick ? 1 : 3;
/** Figures of the reboot phases (bench/reboot.mjs), written with the rest. */
let rebootResults = { runs: [], meta: {} };
// Start-up of the commands that never reach the engine (bench/startup.mjs), measured once per run (#12).
let startupResults;

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
const say = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Machine-wide CPU counters (all processes: this machine is shared with other work). */
function cpuSample() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
const busyPct = (a, b) => (b.total > a.total ? +((100 * (b.busy - a.busy)) / (b.total - a.total)).toFixed(0) : 0);
const loadavg1 = () => +fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

/** Waits (up to --quiesce-max) for the machine to go quiet; resolves to the last busy %. */
async function quiesce() {
  const until = performance.now() + quiesceMaxMs;
  let pct;
  do {
    const a = cpuSample();
    await sleep(250);
    pct = busyPct(a, cpuSample());
  } while (pct > QUIET_PCT && performance.now() < until);
  return pct;
}

// ------------------------------------------------------------------------------------ setup
function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function aptInstall(pkgs) {
  if (pkgs.length === 0) return;
  if (process.getuid?.() !== 0) die(`missing ${pkgs.join(', ')}: install them (apt-get install ${pkgs.join(' ')})`);
  say(`installing ${pkgs.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] }).status === 0;
  if (!run(['update', '-qq'])) die('apt-get update failed');
  if (!run(['install', '-y', '-qq', '--no-install-recommends', ...pkgs])) die(`apt-get install ${pkgs.join(' ')} failed`);
}

function ensurePackages() {
  const missing = [];
  if (!isExecutable(TIME_BIN)) missing.push('time');
  if (tools.includes('compose') && !isExecutable(COMPOSE_BIN)) missing.push('docker-compose');
  aptInstall(missing);
}

function dockerCli() {
  if (isExecutable('/usr/bin/docker')) return '/usr/bin/docker';
  const r = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  return die('no docker client (install docker.io, or run scripts/engine.sh start once)');
}

/** The engine to measure on: $DOCKER_HOST if given, else a private one (started, and stopped at the end). */
function ensureEngine() {
  if (process.env.DOCKER_HOST) {
    socketPathFromEnv(); // unix sockets only
    return { host: process.env.DOCKER_HOST, started: false };
  }
  const dir = path.resolve(argv['engine-dir'] ?? DEFAULT_ENGINE_DIR);
  const env = {
    ...process.env,
    DOM0_ENGINE_DIR: dir,
    DOM0_ENGINE_ADDRESS_POOL: process.env.DOM0_ENGINE_ADDRESS_POOL ?? DEFAULT_ADDRESS_POOL,
  };
  const wasRunning = spawnSync('bash', [ENGINE_SH, 'status'], { env, stdio: 'ignore' }).status === 0;
  say(wasRunning ? `using the running private engine in ${dir}` : `starting a private engine in ${dir}`);
  const r = spawnSync('bash', [ENGINE_SH, 'start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) die(`scripts/engine.sh start failed (exit ${r.status})`);
  return { host: `unix://${dir}/docker.sock`, started: !wasRunning, env, dir };
}

function stopEngine(engine) {
  if (!engine?.started || argv['keep-engine']) return;
  say('stopping the private engine');
  spawnSync('bash', [ENGINE_SH, 'stop'], { env: engine.env, stdio: ['ignore', 'ignore', 'inherit'] });
  engine.started = false;
}

async function machineInfo(api) {
  const v = await api.call('GET', '/version');
  const info = await api.call('GET', '/info');
  const compose = tools.includes('compose')
    ? spawnSync(COMPOSE_BIN, ['version', '--short'], { encoding: 'utf8' }).stdout.trim()
    : undefined;
  const dom0Version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    os: readOsRelease(),
    node: process.version,
    engine: { version: v.Version, apiVersion: v.ApiVersion, storageDriver: info.Driver, cgroup: `${info.CgroupDriver} v${info.CgroupVersion}` },
    dockerCompose: compose,
    dom0: dom0Version,
  };
}

function readOsRelease() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// ------------------------------------------------------------------------------------ measuring
let current; // the child being measured, for SIGINT
let seq = 0;

/** Runs argv under /usr/bin/time -v; wall time from spawn to exit, CPU and peak RSS from time. */
function measure(cmd, { env, cwd = ROOT }) {
  const timeFile = path.join(WORK, `.time-${process.pid}-${seq++}`);
  return new Promise((resolve) => {
    const out = [];
    const err = [];
    const t0 = performance.now();
    let wallMs;
    const child = spawn(TIME_BIN, ['-v', '-o', timeFile, ...cmd], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    const timer = setTimeout(() => {
      say(`timeout after ${timeoutMs / 1000}s: ${cmd.join(' ')}; killing it`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('exit', () => {
      wallMs = performance.now() - t0;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const time = parseTime(timeFile);
      fs.rmSync(timeFile, { force: true });
      resolve({
        wallMs,
        exitCode: code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...time,
      });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ wallMs: performance.now() - t0, exitCode: -1, stdout: '', stderr: String(e), userS: NaN, sysS: NaN, cpuS: NaN, maxRssKb: NaN });
    });
  });
}

function parseTime(file) {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* killed before it wrote */
  }
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  const userS = num(/User time \(seconds\): ([\d.]+)/);
  const sysS = num(/System time \(seconds\): ([\d.]+)/);
  return { userS, sysS, cpuS: +(userS + sysS).toFixed(2), maxRssKb: num(/Maximum resident set size \(kbytes\): (\d+)/) };
}

/** The NDJSON line dom0 writes with DOM0_ENGINE_STATS=1. */
function engineCalls(stderr) {
  for (const line of stderr.split('\n').reverse()) {
    if (!line.includes('engine-calls')) continue;
    try {
      const o = JSON.parse(line);
      if (o.event === 'engine-calls' && o.calls) return o.calls;
    } catch {
      /* not it */
    }
  }
  return undefined;
}

function tail(s, n = 8) {
  return s.trimEnd().split('\n').slice(-n).join('\n');
}

// ------------------------------------------------------------------------------------ engine state
const enc = (o) => encodeURIComponent(JSON.stringify(o));

async function fleetContainers(api, fleet) {
  return api.call('GET', `/containers/json?all=1&filters=${enc({ label: [`${LABEL_FLEET}=${fleet.name}`] })}`);
}

/** service key → container id, and a readiness verdict. */
async function snapshot(api, fleet) {
  const rows = await fleetContainers(api, fleet);
  const byService = new Map();
  for (const c of rows) byService.set(c.Labels?.[LABEL_SERVICE] ?? c.Names?.[0], c.Id);
  const running = rows.filter((c) => c.State === 'running').length;
  return { byService, count: rows.length, running, allUp: rows.length === fleet.n && running === fleet.n };
}

function changedServices(before, after) {
  const keys = new Set([...before.byService.keys(), ...after.byService.keys()]);
  return [...keys].filter((k) => before.byService.get(k) !== after.byService.get(k)).sort();
}

/**
 * Removes what the bench created for this fleet: containers carrying its label, and its network
 * when the network is labelled as belonging to this fleet (by the bench, dom0 or compose).
 * Anything else in the way (a container or network of the same name the bench did not create)
 * is an error: the bench never touches it.
 */
async function cleanup(api, fleet) {
  const mine = await fleetContainers(api, fleet);
  await mapLimit(mine, 16, (c) => api.call('DELETE', `/containers/${c.Id}?force=true&v=true`, { ok: [404, 409] }));
  const all = await api.call('GET', '/containers/json?all=1');
  const names = new Set(fleet.layers.flat().map((s) => `/${s.container}`));
  const foreign = all.filter(
    (c) =>
      c.Labels?.[LABEL_FLEET] !== fleet.name &&
      (c.Names ?? []).some((n) => names.has(n) || n.startsWith(`/${fleet.name}_`) || n === `/${fleet.name}-single`),
  );
  if (foreign.length) {
    throw new Error(`containers not created by the bench hold fleet ${fleet.name}'s names: ${foreign.map((c) => c.Names[0]).join(', ')}`);
  }
  for (const n of await api.call('GET', '/networks')) {
    if (n.Name !== fleet.network) continue;
    const l = n.Labels ?? {};
    const ours = l[LABEL_FLEET] === fleet.name || l['io.dom0.fleet'] === fleet.name || l['com.docker.compose.project'] === fleet.name;
    if (!ours) throw new Error(`network ${n.Name} exists and was not created by the bench; not touching it`);
    try {
      await removeNetwork(api, n.Id, fleet);
    } catch (e) {
      // an engine-side stale endpoint: nothing the bench can do short of restarting the engine.
      // Names are per rep, so it blocks nothing in this run; say so and go on.
      say(`warning: ${e.message}`);
    }
  }
}

/**
 * A loaded engine can take a while to release the endpoints of containers it has just removed
 * ("has active endpoints"): retry, and after a while disconnect endpoints that belong to no
 * container any more or to this fleet's (labelled) containers.
 */
async function removeNetwork(api, id, fleet) {
  let last;
  for (let attempt = 0; attempt < 40; attempt++) {
    const r = await api.request('DELETE', `/networks/${id}`);
    if (r.status < 300 || r.status === 404) return;
    last = `${r.status} ${typeof r.body === 'object' ? r.body?.message : r.body}`;
    if (attempt === 10) {
      const net = await api.call('GET', `/networks/${id}`, { ok: [404] });
      const mine = new Set((await fleetContainers(api, fleet)).map((c) => c.Id));
      const all = new Set((await api.call('GET', '/containers/json?all=1')).map((c) => c.Id));
      for (const cid of Object.keys(net?.Containers ?? {})) {
        if (mine.has(cid) || !all.has(cid)) {
          await api.request('POST', `/networks/${id}/disconnect`, { body: { Container: cid, Force: true } });
        }
      }
    }
    await sleep(500);
  }
  throw new Error(`cannot remove network ${id} of ${fleet.name}: ${last}`);
}

async function networkExists(api, name) {
  const r = await api.request('GET', `/networks/${encodeURIComponent(name)}`);
  return r.status === 200;
}

// ------------------------------------------------------------------------------------ one tool, one rep
function toolCommands(tool, files, fleet) {
  const node = process.execPath;
  const compose = (file, ...args) => [COMPOSE_BIN, '-p', fleet.name, '-f', file, ...args];
  switch (tool) {
    case 'dom0':
      return {
        cold: [DOM0_BIN, 'apply', '-f', files.dom0, '--json', ...dom0Args],
        noop: [DOM0_BIN, 'apply', '-f', files.dom0, '--json', ...dom0Args],
        // the edit is made in place (see runTool): the manifest's path is its identity (origin)
        change: [DOM0_BIN, 'apply', '-f', files.dom0, '--json', ...dom0Args],
        down: [DOM0_BIN, 'down', '-f', files.dom0],
      };
    case 'compose':
      return {
        cold: compose(files.compose, 'up', '-d'),
        noop: compose(files.compose, 'up', '-d'),
        change: compose(files.composeChanged, 'up', '-d'),
        down: compose(files.composeChanged, 'down'),
      };
    case 'boot':
      return { cold: ['bash', files.boot], down: ['bash', files.bootDown] };
    case 'floor':
      return { cold: [node, FLOOR, 'up', files.floor], single: [node, FLOOR, 'single', files.floor], down: [node, FLOOR, 'down', files.floor] };
  }
  throw new Error(tool);
}

function toolEnv(tool, host) {
  const env = { ...process.env, DOCKER_HOST: host };
  for (const k of Object.keys(env)) {
    if (/^(DOM0_|COMPOSE_|DOCKER_(TLS|CERT|CONTEXT|CONFIG))/.test(k)) delete env[k];
  }
  if (tool === 'dom0') env.DOM0_ENGINE_STATS = '1';
  if (tool === 'compose') env.COMPOSE_HTTP_TIMEOUT = String(Math.ceil(timeoutMs / 1000));
  return env;
}

// one name per repetition too: a loaded engine sometimes keeps a removed container's endpoint
// ("network … has active endpoints"), and a network stuck that way must not block the next rep
const fleetName = (n, variant, tool, rep) => `dbench-n${n}-${variant}-${tool}-r${rep + 1}`;

async function runTool(api, ctx, tool, n, variant, rep) {
  const fleet = makeFleet({ name: fleetName(n, variant, tool, rep), n, variant, tool, healthIntervalMs });
  const files = writeFleetFiles(fleet, path.join(WORK, fleet.name), { dockerBin: ctx.docker });
  const cmds = toolCommands(tool, files, fleet);
  const env = toolEnv(tool, ctx.host);
  const phases = {};
  const record = { n, variant, tool, rep, fleet: fleet.name, changedService: fleet.changed, phases };
  await cleanup(api, fleet);
  await sleep(settleMs);

  let before;
  let failed = false;
  for (const phase of PHASES[tool]) {
    if (failed && phase !== 'down') continue;
    const busyBeforePct = await quiesce();
    const load1 = loadavg1();
    // dom0 applies only the manifest at the path its containers record: the user edits dom0.yaml (untimed)
    if (tool === 'dom0' && phase === 'change') fs.copyFileSync(files.dom0Changed, files.dom0);
    const e0 = engineCpuSample(ctx.socket);
    const c0 = cpuSample();
    const r = await measure(cmds[phase], { env });
    const machineBusyPct = busyPct(c0, cpuSample());
    const engineCpuS = engineCpuSeconds(e0, engineCpuSample(ctx.socket));
    const p = {
      wallMs: +r.wallMs.toFixed(1),
      busyBeforePct,
      machineBusyPct,
      loadavg1: load1,
      exitCode: r.exitCode,
      ok: r.exitCode === 0,
      userS: r.userS,
      sysS: r.sysS,
      cpuS: r.cpuS,
      maxRssKb: r.maxRssKb,
      engineCpuS,
    };
    if (tool === 'dom0') {
      p.calls = engineCalls(r.stderr);
      p.totalCalls = p.calls ? Object.values(p.calls).reduce((a, b) => a + b, 0) : undefined;
      if (phase !== 'down') {
        try {
          const j = JSON.parse(r.stdout);
          p.dom0DurationMs = j.durationMs;
          p.actions = {};
          for (const a of j.actions ?? []) p.actions[a.action] = (p.actions[a.action] ?? 0) + 1;
        } catch {
          /* non-JSON output on failure */
        }
      }
    }
    if (tool === 'floor') {
      try {
        const j = JSON.parse(r.stdout);
        p.inProcessMs = +j.ms.toFixed(1);
        p.calls = j.calls;
        if (phase === 'single') Object.assign(p, { createMs: +j.createMs.toFixed(1), startMs: +j.startMs.toFixed(1), createStartMs: +j.createStartMs.toFixed(1) });
      } catch {
        /* failed */
      }
    }
    if (!p.ok) p.error = tail(`${r.stderr}\n${r.stdout}`);
    if (phase === 'single') {
      // the floor leaves its extra container running; remove it, untimed
      await api.call('DELETE', `/containers/${encodeURIComponent(`${fleet.name}-single`)}?force=true&v=true`, { ok: [404] });
    }
    // checks (not timed)
    if (phase === 'cold' || phase === 'noop' || phase === 'change') {
      const s = await snapshot(api, fleet);
      p.allUp = s.allUp;
      p.containers = s.count;
      p.running = s.running;
      if (!s.allUp) p.ok = false;
      if (phase !== 'cold' && before) {
        const changed = changedServices(before, s);
        p.recreated = changed.length;
        p.recreatedServices = changed.slice(0, 10);
      }
      before = s;
    }
    if (phase === 'down') {
      const left = (await fleetContainers(api, fleet)).length;
      const net = await networkExists(api, fleet.network);
      p.leftContainers = left;
      p.leftNetwork = net;
      if (left || net) p.ok = false;
    }
    phases[phase] = p;
    const extra = [
      p.recreated !== undefined ? `recreated ${p.recreated}` : '',
      p.totalCalls !== undefined ? `${p.totalCalls} API calls` : '',
      tool === 'dom0' ? `rss ${(p.maxRssKb / 1024).toFixed(0)} MB` : '',
      p.createStartMs !== undefined ? `in-process ${p.createStartMs} ms` : '',
      `machine ${p.machineBusyPct}% busy, load ${p.loadavg1}`,
      p.ok ? '' : 'FAILED',
    ].filter(Boolean);
    say(`n=${n} ${variant} rep ${rep + 1}/${reps} ${tool.padEnd(7)} ${phase.padEnd(6)} ${(p.wallMs / 1000).toFixed(2)}s${extra.length ? ` (${extra.join(', ')})` : ''}`);
    if (!p.ok) {
      if (p.error) say(`  ${p.error.replace(/\n/g, '\n  ')}`);
      if (phase === 'cold') failed = true;
    }
    await sleep(settleMs);
  }
  try {
    await cleanup(api, fleet);
  } catch (e) {
    record.cleanupError = e.message;
    say(`cleanup of ${fleet.name}: ${e.message}`);
  }
  if (!argv['keep-work']) fs.rmSync(path.join(WORK, fleet.name), { recursive: true, force: true });
  return record;
}

// ------------------------------------------------------------------------------------ summary
function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function summarize(runs) {
  const groups = new Map();
  const lost = new Map(); // runs that broke before measuring (e.g. cleanup failed), per n|variant|tool
  for (const r of runs) if (r.error) lost.set(`${r.n}|${r.variant}|${r.tool}`, (lost.get(`${r.n}|${r.variant}|${r.tool}`) ?? 0) + 1);
  for (const r of runs) {
    for (const [phase, p] of Object.entries(r.phases)) {
      const k = `${r.n}|${r.variant}|${r.tool}|${phase}`;
      if (!groups.has(k)) groups.set(k, { n: r.n, variant: r.variant, tool: r.tool, phase, samples: [] });
      groups.get(k).samples.push(p);
    }
  }
  const out = [];
  for (const g of groups.values()) {
    const s = g.samples;
    const okS = s.filter((p) => p.ok);
    const ops = new Set(s.flatMap((p) => Object.keys(p.calls ?? {})));
    out.push({
      n: g.n,
      variant: g.variant,
      tool: g.tool,
      phase: g.phase,
      reps: s.length,
      failures: s.length - okS.length + (lost.get(`${g.n}|${g.variant}|${g.tool}`) ?? 0),
      wallMs: median(okS.map((p) => p.wallMs)),
      wallMsAll: s.map((p) => p.wallMs),
      cpuS: median(okS.map((p) => p.cpuS)),
      engineCpuS: median(okS.map((p) => p.engineCpuS)),
      maxRssKb: median(s.map((p) => p.maxRssKb)),
      peakRssKb: Math.max(...s.map((p) => p.maxRssKb).filter(Number.isFinite)),
      totalCalls: median(s.map((p) => p.totalCalls)),
      calls: ops.size ? Object.fromEntries([...ops].sort().map((op) => [op, median(s.map((p) => p.calls?.[op] ?? 0))])) : undefined,
      recreated: s.some((p) => p.recreated !== undefined) ? s.map((p) => p.recreated) : undefined,
      createStartMs: median(s.map((p) => p.createStartMs)),
      dom0DurationMs: median(s.map((p) => p.dom0DurationMs)),
      machineBusyPct: median(s.map((p) => p.machineBusyPct)),
      loadavg1: median(s.map((p) => p.loadavg1)),
    });
  }
  return out;
}

function lookup(summary, n, variant, tool, phase) {
  return summary.find((x) => x.n === n && x.variant === variant && x.tool === tool && x.phase === phase);
}

const sec = (ms) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

/** dom0's wall time over another run's (same size and variant), with the text a target row shows. */
function wallRatio(summary, n, variant, phase, [otherTool, otherPhase]) {
  const d = lookup(summary, n, variant, 'dom0', phase);
  const o = lookup(summary, n, variant, otherTool, otherPhase);
  if (!d?.wallMs || !o?.wallMs) return undefined;
  const ratio = d.wallMs / o.wallMs;
  return { ratio, d, o, text: (extra = '') => `${ratio.toFixed(2)} × (${sec(d.wallMs)} vs ${sec(o.wallMs)}${extra})` };
}

function targets(summary) {
  const t = [];
  const add = (what, n, variant, value, limit, met, note = '') => t.push({ what, n, variant, value, limit, met, note });
  for (const variant of variants) {
    for (const n of [50, 200]) {
      if (!sizes.includes(n)) continue;
      const f = wallRatio(summary, n, variant, 'cold', ['floor', 'cold']);
      if (f) add('cold apply ≤ 1.3 × floor', n, variant, f.text(), '≤ 1.30 ×', f.ratio <= 1.3);
      const c = wallRatio(summary, n, variant, 'cold', ['compose', 'cold']);
      if (c) {
        const speedup = 1 / c.ratio;
        add('cold apply ≥ 2 × faster than compose', n, variant, `${speedup.toFixed(2)} × (${sec(c.d.wallMs)} vs ${sec(c.o.wallMs)})`, '≥ 2.00 ×', speedup >= 2);
      }
    }
    if (sizes.includes(200)) {
      const d = lookup(summary, 200, variant, 'dom0', 'noop');
      if (d?.wallMs) add('no-op apply ≤ 0.5 s', 200, variant, sec(d.wallMs), '≤ 0.50 s', d.wallMs <= 500);
      const c = wallRatio(summary, 200, variant, 'noop', ['compose', 'noop']);
      if (c) add("no-op apply ≤ ⅓ of compose's no-op up -d", 200, variant, c.text(), '≤ 0.33 ×', c.ratio <= 1 / 3);
      const peak = Math.max(...summary.filter((x) => x.n === 200 && x.variant === variant && x.tool === 'dom0').map((x) => x.peakRssKb));
      if (Number.isFinite(peak)) add('dom0 peak RSS ≤ 100 MB', 200, variant, `${(peak / 1024).toFixed(1)} MB`, '≤ 100 MB', peak <= 100 * 1024);
    }
    for (const n of sizes) {
      const d = lookup(summary, n, variant, 'dom0', 'change');
      if (d?.recreated) {
        const all1 = d.recreated.every((x) => x === 1);
        add('one-change apply recreates exactly 1 container', n, variant, `recreated ${d.recreated.join(', ')} (per rep)`, '1', all1);
      }
      const s1 = wallRatio(summary, n, variant, 'change', ['floor', 'single']);
      if (s1) {
        const inProc = s1.o.createStartMs ? `; vs in-process create+start ${s1.o.createStartMs.toFixed(0)} ms: ${(s1.d.wallMs / s1.o.createStartMs).toFixed(1)} ×` : '';
        add("one-change apply ≤ 2 × floor's single create+start", n, variant, s1.text(inProc), '≤ 2.00 ×', s1.ratio <= 2);
      }
    }
  }
  return t;
}

/** Issue #12's targets: dom0's fixed per-process cost and per-apply overhead. */
function overheadTargets(summary) {
  const t = [];
  const add = (what, n, variant, value, limit, met) => t.push({ what, n, variant, value, limit, met });
  for (const x of startupResults?.targets ?? []) add(`start-up: ${x.what}`, '–', '–', `${x.ratio} ×`, `≤ ${x.limit.toFixed(2)} ×`, x.met);
  const nodeRssKb = (startupResults?.rows.find((r) => r.command === 'node -e 0')?.rssMb ?? NaN) * 1024;
  for (const variant of variants) {
    for (const [n, limit, label] of [[50, 1 / 3, '⅓'], [200, 1 / 5, '⅕']]) {
      const c = wallRatio(summary, n, variant, 'noop', ['compose', 'noop']);
      if (c) add(`no-op apply ≤ ${label} of compose's no-op up -d`, n, variant, c.text(), `≤ ${limit.toFixed(2)} ×`, c.ratio <= limit);
    }
    for (const n of sizes.filter((x) => x === 50 || x === 200)) {
      const s1 = wallRatio(summary, n, variant, 'change', ['floor', 'single']);
      if (s1) add("one-change apply ≤ 1.5 × floor's single create+start", n, variant, s1.text(), '≤ 1.50 ×', s1.ratio <= 1.5);
    }
    for (const n of sizes.filter((x) => x === 50 || x === 200)) {
      const d = lookup(summary, n, variant, 'dom0', 'cold');
      const f = wallRatio(summary, n, variant, 'cold', ['floor', 'cold']);
      if (f) add('cold apply ≤ 1.0 × floor', n, variant, f.text(), '≤ 1.00 ×', f.ratio <= 1);
      if (d?.calls) {
        const inspects = d.calls.inspectContainer ?? 0;
        add('cold apply: readiness from events, no inspects', n, variant, `${inspects} inspects (${d.calls.events ?? 0} events stream)`, '0', inspects === 0);
      }
      if (d?.cpuS && d?.engineCpuS) {
        const pct = (100 * d.cpuS) / d.engineCpuS;
        add("cold apply: dom0's CPU ≤ 10 % of the engine's", n, variant, `${pct.toFixed(1)} % (${d.cpuS.toFixed(2)} s vs ${d.engineCpuS.toFixed(2)} s)`, '≤ 10 %', pct <= 10);
      }
    }
    const cold = lookup(summary, 200, variant, 'dom0', 'cold');
    if (cold?.peakRssKb && Number.isFinite(nodeRssKb)) {
      const ratio = cold.peakRssKb / nodeRssKb;
      add('cold apply peak RSS ≤ 2 × bare node', 200, variant, `${ratio.toFixed(2)} × (${(cold.peakRssKb / 1024).toFixed(1)} MB vs ${(nodeRssKb / 1024).toFixed(1)} MB)`, '≤ 2.00 ×', ratio <= 2);
    }
  }
  return t;
}

function markdown(machine, summary, tgt, meta) {
  const s = (ms) => (ms === undefined ? '–' : (ms / 1000).toFixed(2));
  const fail = (x) => (x?.failures ? ` (${x.failures} failed)` : '');
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}` : '–');
  const L = [];
  L.push('# dom0 boot-to-ready benchmark', '');
  L.push(
    `Generated by \`node bench/run.mjs\` on ${machine.date.slice(0, 16).replace('T', ' ')} UTC — ` +
      `sizes ${sizes.join(', ')}; variants ${variants.join(', ')}${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}; ` +
        `${reps} rep(s) each, tools interleaved (order rotated every rep); medians of wall time in seconds.`,
    '',
  );
  L.push('## Machine', '');
  L.push('| | |', '|---|---|');
  L.push(`| CPU | ${machine.nproc} × ${machine.cpu} |`);
  L.push(`| memory | ${machine.memoryGiB} GiB |`);
  L.push(`| kernel | ${machine.kernel} (${machine.os}) |`);
  L.push(`| engine | Docker ${machine.engine.version} (API ${machine.engine.apiVersion}, ${machine.engine.storageDriver}, cgroup ${machine.engine.cgroup}) |`);
  L.push(`| docker-compose | ${machine.dockerCompose ?? '–'} |`);
  L.push(`| node | ${machine.node} |`);
  L.push(`| dom0 | ${machine.dom0} — ${machine.dom0Build ?? ''} ${dom0Args.length ? `(apply args: \`${dom0Args.join(' ')}\`)` : '(defaults)'} |`);
  L.push(`| run took | ${(meta.elapsedMs / 60000).toFixed(1)} min |`);
  L.push(`| machine load | ${meta.load} |`);
  L.push('');
  L.push(
    `Fleet: N busybox services (\`init: true\`, \`sleep 2147483647\`) in ${LAYERS} dependency layers; each service of layer k>0 ` +
      `depends on 2 of layer k-1. **healthy**: every service has \`healthcheck: {test: ["CMD","true"], interval: ${healthIntervalMs}ms}\` ` +
      'and every dependency is `condition: service_healthy`. "one service changed" edits the environment of one service in the ' +
      'middle layer (it has dependents). Times are wall times of the whole client process (node/python start-up included), ' +
      'from spawn to exit; a tool is done when its command returns.',
    '',
  );
  L.push('## Wall time (s, median)', '');
  L.push('| N | variant | phase | dom0 | compose 1.29 | boot script | floor | dom0/floor | dom0/compose |');
  L.push('|---:|---|---|---:|---:|---:|---:|---:|---:|');
  for (const n of sizes) {
    for (const variant of variants) {
      for (const phase of ['cold', 'noop', 'change', 'down', 'single']) {
        const row = Object.fromEntries(ALL_TOOLS.map((t) => [t, lookup(summary, n, variant, t, phase)]));
        if (!Object.values(row).some(Boolean)) continue;
        const floorRef = phase === 'change' ? lookup(summary, n, variant, 'floor', 'single') : row.floor;
        L.push(
          `| ${n} | ${variant} | ${PHASE_TITLE[phase]} | ${ALL_TOOLS.map((t) => `${s(row[t]?.wallMs)}${fail(row[t])}`).join(' | ')} | ` +
            `${ratio(row.dom0?.wallMs, floorRef?.wallMs)}${phase === 'change' && floorRef ? '¹' : ''} | ${ratio(row.dom0?.wallMs, row.compose?.wallMs)} |`,
        );
      }
    }
  }
  L.push('', "¹ against the floor's single create+start of one container (wall time of its process).", '');
  const load = [];
  for (const n of sizes) {
    const p = lookup(summary, n, 'plain', 'floor', 'single')?.createStartMs;
    const h = lookup(summary, n, 'healthy', 'floor', 'single')?.createStartMs;
    if (p && h) load.push(`N = ${n}: ${p.toFixed(0)} ms plain, ${h.toFixed(0)} ms healthy`);
  }
  if (load.length) {
    L.push(
      `Engine load: one container's create+start measured inside the floor process while the fleet runs — ${load.join('; ')}. ` +
        `In the healthy variant the engine also runs N health probes every ${healthIntervalMs} ms (each one an exec in a ` +
        'container); the gap between the two figures is what that costs everything else on the engine.',
      '',
    );
  }
  L.push('## dom0: resources and Engine API calls (median per run)', '');
  L.push('| N | variant | phase | peak RSS (MB) | CPU user+sys (s) | engine CPU (s) | dom0/engine CPU | API calls | calls by operation | recreated |');
  L.push('|---:|---|---|---:|---:|---:|---:|---:|---|---|');
  for (const n of sizes) {
    for (const variant of variants) {
      for (const phase of PHASES.dom0) {
        const x = lookup(summary, n, variant, 'dom0', phase);
        if (!x) continue;
        const calls = x.calls ? Object.entries(x.calls).map(([k, v]) => `${k} ${v}`).join(', ') : 'not reported';
        L.push(
          `| ${n} | ${variant} | ${phase} | ${(x.peakRssKb / 1024).toFixed(1)} | ${x.cpuS?.toFixed(2) ?? '–'} | ${x.engineCpuS?.toFixed(2) ?? '–'} | ${phase === 'cold' && x.cpuS && x.engineCpuS ? `${((100 * x.cpuS) / x.engineCpuS).toFixed(1)} %` : '–'} | ${x.totalCalls ?? '–'} | ${calls} | ${x.recreated ? x.recreated.join(', ') : ''} |`,
        );
      }
    }
  }
  L.push('');
  L.push('## Client CPU time (user+sys of the client process tree, s, median)', '');
  L.push('The engine\'s own CPU (dockerd, containerd, shims) is not included; for dom0 it is in the table above (bench/engine-cpu.mjs).', '');
  L.push('| N | variant | phase | dom0 | compose 1.29 | boot script | floor |');
  L.push('|---:|---|---|---:|---:|---:|---:|');
  for (const n of sizes) {
    for (const variant of variants) {
      for (const phase of ['cold', 'noop', 'change', 'down']) {
        const row = ALL_TOOLS.map((t) => lookup(summary, n, variant, t, phase)?.cpuS);
        if (row.every((x) => x === undefined)) continue;
        L.push(`| ${n} | ${variant} | ${phase} | ${row.map((x) => (x === undefined ? '–' : x.toFixed(2))).join(' | ')} |`);
      }
    }
  }
  L.push('');
  const broken = meta.runs.filter((r) => r.error || r.cleanupError || Object.values(r.phases).some((p) => !p.ok));
  if (broken.length) {
    L.push('## Failures', '', '"(k failed)" in the tables: those samples are left out of the medians.', '');
    for (const r of broken) {
      const bad = Object.entries(r.phases).filter(([, p]) => !p.ok).map(([ph, p]) => `${ph}: ${(p.error ?? (p.allUp === false ? `${p.running}/${r.n} running` : p.leftNetwork ? 'network left behind' : p.leftContainers ? `${p.leftContainers} containers left` : 'failed')).split('\n').pop()}`);
      if (r.error) bad.push(`not run: ${r.error}`);
      if (r.cleanupError) bad.push(`cleanup: ${r.cleanupError}`);
      L.push(`- N = ${r.n} ${r.variant}, ${TOOL_TITLE[r.tool]}, rep ${r.rep + 1}: ${bad.join('; ')}`);
    }
    L.push('');
  }
  L.push('## Targets', '');
  if (tgt.length === 0) L.push('No target applies to the sizes run (targets are set at N = 50 and 200).');
  else {
    L.push('| target | N | variant | measured | limit | met |');
    L.push('|---|---:|---|---|---|---|');
    for (const x of tgt) L.push(`| ${x.what} | ${x.n} | ${x.variant} | ${x.value} | ${x.limit} | ${x.met ? 'yes' : '**no**'} |`);
  }
  L.push('');
  return L.join('\n');
}

// ------------------------------------------------------------------------------------ main
async function main() {
  if (argv['report-from']) return reportFrom(argv['report-from']);
  const started = performance.now();
  if (tools.includes('dom0') && !fs.existsSync(DOM0_CLI)) die(`${path.relative(ROOT, DOM0_CLI)} is missing: run npm run build first (npm run bench does)`);
  ensurePackages();
  fs.mkdirSync(WORK, { recursive: true });
  const dom0Build = snapshotDom0();
  if (tools.includes('dom0')) {
    say('start-up: validate, graph, health and --help vs bare node (bench/startup.mjs)');
    startupResults = measureStartup({ reps: argv.quick ? 5 : 15, cli: DOM0_BIN });
  }
  const engine = ensureEngine();
  const stopAll = (sig) => {
    say(`${sig}: stopping`);
    if (current) {
      try {
        process.kill(-current.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    stopEngine(engine);
    process.exit(130);
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));

  const api = new EngineApi(socketPathFromEnv({ DOCKER_HOST: engine.host }));
  const runs = [];
  let machine;
  try {
    await api.call('GET', '/_ping');
    const img = await api.request('GET', `/images/${encodeURIComponent(IMAGE)}/json`);
    if (img.status !== 200) throw new Error(`${IMAGE} is not on the engine at ${engine.host}: build it with scripts/engine.sh images`);
    machine = await machineInfo(api);
    machine.dom0Build = dom0Build;
    say(
      `engine ${machine.engine.version} at ${engine.host}; ${machine.nproc} cores, ${machine.memoryGiB} GiB; ` +
        `sizes ${sizes.join(',')}, variants ${variants.join(',')}${skipped.length ? ` (skip ${skipped.join(',')})` : ''}, tools ${tools.join(',')}, ${reps} rep(s)`,
    );
    const ctx = { host: engine.host, socket: socketPathFromEnv({ DOCKER_HOST: engine.host }), docker: dockerCli() };
    // leftovers of an interrupted run (their health probes would load the engine): clear every fleet of this run first
    for (const { n, variant } of blocks) {
      for (let rep = 0; rep < reps; rep++) {
        for (const tool of tools) {
          await cleanup(api, makeFleet({ name: fleetName(n, variant, tool, rep), n, variant, tool, healthIntervalMs })).catch((e) =>
            say(`cleanup: ${e.message}`),
          );
        }
      }
    }
    for (const { n, variant } of blocks) {
      for (let rep = 0; rep < reps; rep++) {
        const order = tools.map((_, i) => tools[(i + rep) % tools.length]);
        for (const tool of order) {
          try {
            runs.push(await runTool(api, ctx, tool, n, variant, rep));
          } catch (e) {
            // keep going: one broken run must not cost the others
            say(`n=${n} ${variant} rep ${rep + 1} ${tool}: ${e.message}`);
            runs.push({ n, variant, tool, rep, error: e.message, phases: {} });
          }
          writeResults(machine, runs, started, engine.host);
        }
      }
    }
    if (upPhases.length && tools.includes('dom0')) {
      await runUpPhases({
        phases: upPhases,
        host: engine.host,
        cli: DOM0_CLI,
        quick: argv.quick,
        soakMinutes,
        say,
        onResult: (r) => {
          upResults = r;
          writeResults(machine, runs, started, engine.host);
        },
      });
    }
    if (rebootPhases.length) {
      // its own private engine (stopped and started by the phase), never the one measured above
      const blocks = [...rebootSizes.map((n) => ({ n, variant: 'plain' })), ...rebootHealthy.map((n) => ({ n, variant: 'healthy' }))];
      await runReboot({
        blocks,
        reps: rebootReps,
        reboot: rebootPhases.includes('reboot'),
        offline: rebootPhases.includes('offline'),
        offlineBlocks: blocks.filter((b) => b.variant === 'plain'),
        engineDir: argv['reboot-engine-dir'],
        keepEngine: argv['keep-engine'],
        timeoutMs,
        dom0Args,
        say,
        onRun: (rs, meta) => {
          rebootResults = { runs: rs, meta };
          writeResults(machine, runs, started, engine.host);
        },
      });
    }
  } finally {
    api.close();
    stopEngine(engine);
  }

  const md = writeResults(machine, runs, started, engine.host);
  process.stdout.write(`${md}\n`);
  say(`wrote ${path.relative(process.cwd(), `${outPrefix}.md`)} and ${path.relative(process.cwd(), `${outPrefix}.json`)}`);
  const anyFailure = runs.some((r) => r.error || Object.values(r.phases).some((p) => !p.ok));
  return anyFailure ? 1 : 0;
}

/** Rewrites the report from one or more saved results.json files (their runs merged). */
function reportFrom(files) {
  const docs = list(files).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const c = docs[0].config;
  const runs = docs.flatMap((d) => d.runs);
  upResults = Object.assign({}, ...docs.map((d) => d.upPhases ?? {}));
  rebootResults = { runs: docs.flatMap((d) => d.reboot?.runs ?? []), meta: Object.assign({}, ...docs.map((d) => d.reboot?.meta ?? {})) };
  startupResults = docs.find((d) => d.startup)?.startup;
  ({ reps, healthIntervalMs, dom0Args = [], quiesceMaxMs = 0 } = c);
  sizes = [...new Set(runs.map((r) => r.n))].sort((a, b) => a - b);
  variants = c.variants.filter((v) => runs.some((r) => r.variant === v));
  tools = c.tools;
  skipped = (c.skip ?? []).filter((x) => sizes.includes(Number(x.split(':')[1])) && variants.includes(x.split(':')[0]));
  const md = writeResults(docs[0].machine, runs, { elapsedMs: docs.reduce((a, d) => a + d.elapsedMs, 0), from: list(files) }, c.engineHost);
  process.stdout.write(`${md}\n`);
  say(`wrote ${outPrefix}.md and ${outPrefix}.json from ${files}`);
  return 0;
}

/** Copies dist/ aside (see DIST_SNAPSHOT); returns what identifies the build measured. */
function snapshotDom0() {
  if (!tools.includes('dom0')) return undefined;
  fs.rmSync(DIST_SNAPSHOT, { recursive: true, force: true });
  fs.cpSync(DIST, DIST_SNAPSHOT, { recursive: true });
  DOM0_CLI = path.join(DIST_SNAPSHOT, 'cli', 'main.js');
  DOM0_BIN = path.join(DIST_SNAPSHOT, 'bundle', 'dom0');
  const git = (...a) => spawnSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  const built = fs.statSync(path.join(DIST, 'cli', 'main.js')).mtime.toISOString();
  return `${head || 'no commit'}${dirty ? ` + ${dirty} uncommitted file(s) in src/` : ''}, dist built ${built.slice(0, 19).replace('T', ' ')} UTC`;
}

/** Writes results.md and results.json (after every tool run too, so an interrupted run keeps its figures). */
function writeResults(machine, runs, started, engineHost) {
  const summary = summarize(runs);
  const tgt = targets(summary);
  // the reboot phases' targets join the table (the health-gated ratio is only reported, in its section)
  tgt.push(...rebootTargets(rebootSummary(rebootResults.runs)).filter((x) => x.met !== undefined));
  tgt.push(...overheadTargets(summary));
  const phasesAll = runs.flatMap((r) => Object.values(r.phases));
  const noisy = phasesAll.filter((p) => p.busyBeforePct > QUIET_PCT).length;
  const meta = {
    runs,
    elapsedMs: typeof started === 'number' ? performance.now() - started : started.elapsedMs,
    load:
      `1-min load average at phase starts: median ${median(phasesAll.map((p) => p.loadavg1))?.toFixed(1)}, ` +
      `max ${Math.max(...phasesAll.map((p) => p.loadavg1)).toFixed(1)}; ${noisy} of ${phasesAll.length} phases started ` +
      `while the machine was > ${QUIET_PCT}% busy after waiting ${quiesceMaxMs / 1000} s for quiet (per-phase figures in results.json)`,
  };
  const startupMd = startupResults
    ? `## Start-up (commands that never reach the engine, vs bare \`node -e 0\`; bench/startup.mjs, ${startupResults.reps} reps)\n\n${startupMarkdown(startupResults)}\n`
    : '';
  const md = `${markdown(machine, summary, tgt, meta)}${startupMd}${upPhasesMarkdown(upResults)}${rebootMarkdown(rebootResults.runs, rebootResults.meta).join('\n')}`;
  fs.mkdirSync(path.dirname(outPrefix), { recursive: true });
  fs.writeFileSync(`${outPrefix}.md`, md);
  fs.writeFileSync(
    `${outPrefix}.json`,
    `${JSON.stringify(
      {
        machine,
        config: { sizes, reps, variants, skip: [...skip], tools, quiesceMaxMs, layers: LAYERS, healthIntervalMs, settleMs, timeoutMs, dom0Args, engineHost },
        elapsedMs: Math.round(meta.elapsedMs),
        ...(typeof started === 'number' ? {} : { reportFrom: started.from }),
        targets: tgt,
        summary,
        runs,
        upPhases: upResults,
        reboot: rebootResults,
        startup: startupResults,
      },
      null,
      2,
    )}\n`,
  );
  return md;
}

process.exitCode = await main();
