#!/usr/bin/env node
// Soak and idle CPU of `dom0 up` (issue #12).
//
// Soak: `dom0 up` (a process on the host: dist/bundle/dom0, the shipped bin) owns a bench fleet (every service `restart: always`) on a
// private engine for --minutes under churn: a one-line manifest edit every 10 s, a managed
// container killed (SIGKILL) every 7 s, the engine stopped and started every 10 min. At each
// sample (every minute; finer for short runs) the churn pauses until dom0's log is quiet for a
// moment, then the harness reads dom0's RSS (VmRSS) and open fds from /proc and its leak probe
// (DOM0_DIAG_FILE + SIGUSR2: live timers and handles by kind, event-stream listeners, the
// supervisor's restart timers; src/up/diagnostics.ts). Criterion per figure: the last sample
// within 10 % of the first (taken after the first apply; counts get +2 of slack for a request in
// flight), and no upward trend: the least-squares slope times the run's length within the same
// bound. At the end the churn stops and the fleet must converge: every service running, the
// last edit applied.
//
// Idle CPU: an N = 50 fleet, no churn: dom0's utime+stime (/proc/PID/stat) over --idle-seconds
// (≥ 60) after the fleet is up; target ≤ 0.5 % of one core.
//
//   npm run build && node bench/soak.mjs [--minutes 60] [--n 10] [--sample-seconds S]
//        [--edit-seconds 10] [--kill-seconds 7] [--engine-restart-minutes 10 (0: never)]
//        [--idle-seconds 60] [--idle-n 50] [--phases soak,idle] [--out bench/work/soak]
//        [--engine-dir /tmp/dom0-soak-engine] [--address-pool base=10.227.0.0/16,size=24] [--name FLEET]
//   The engine is always a private one (scripts/engine.sh in --engine-dir), which this script
//   stops and starts; it is started if needed and left running. DOCKER_HOST is not used.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineApi, socketPathFromEnv } from './engine-api.mjs';
import { makeFleet } from './fleet.mjs';
import {
  BENCH,
  dom0Cli,
  dom0Down,
  ENGINE_SH,
  engineSh,
  fleetContainers,
  probe,
  procStats,
  say,
  sleep,
  slope,
  SOAK_ADDRESS_POOL,
  SOAK_ENGINE_DIR,
  spawnUp,
  ticksToSeconds,
  upManifest,
  waitConverged,
} from './up-harness.mjs';

export const SOAK_BOUND = 0.1;
export const IDLE_TARGET_PCT = 0.5;
const COUNT_SLACK = 2;
/** The figures judged, from a sample. */
export const SOAK_FIGURES = {
  rssKb: 'RSS (kB)',
  fds: 'open fds',
  timers: 'live timers',
  handles: 'live handles (all kinds)',
  eventListeners: 'event-stream listeners',
  processListeners: 'process listeners',
  statusStreamClients: 'status-page stream clients',
};

/** A free TCP port on 127.0.0.1 for the status server. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Status-page churn: event-stream clients that come and go (a third of them hang up at once, while dom0 is still reading the state). */
function statusChurn(port) {
  const open = new Set();
  const connect = () => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', agent: false }, (res) => res.resume());
    req.on('error', () => undefined);
    open.add(req);
    const ms = Math.random() < 1 / 3 ? Math.random() * 50 : Math.random() * 4000;
    setTimeout(() => {
      req.destroy();
      open.delete(req);
    }, ms);
  };
  return {
    connect,
    closeAll() {
      for (const r of open) r.destroy();
      open.clear();
    },
    metrics: () =>
      new Promise((resolve) => {
        http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => res.resume().on('end', resolve)).on('error', resolve);
      }),
  };
}

/** The private soak engine, restarted without blocking the harness's event loop. */
export function soakEngine(dir = SOAK_ENGINE_DIR, pool = SOAK_ADDRESS_POOL) {
  const sh = (cmd) =>
    new Promise((resolve, reject) => {
      const p = spawn('bash', [ENGINE_SH, cmd], { env: { ...process.env, DOM0_ENGINE_DIR: dir, DOM0_ENGINE_ADDRESS_POOL: pool }, stdio: 'ignore' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`engine.sh ${cmd} exited ${code}`))));
    });
  return {
    host: `unix://${dir}/docker.sock`,
    async restart() {
      await sh('stop');
      await sh('start');
    },
  };
}

function sampleOf(t0, pid, p) {
  const s = procStats(pid);
  const res = p.resources;
  return {
    tMin: +((Date.now() - t0) / 60_000).toFixed(2),
    rssKb: s.rssKb,
    fds: s.fds,
    timers: res.Timeout ?? 0,
    handles: Object.values(res).reduce((a, b) => a + b, 0),
    eventListeners: p.loop.eventListeners,
    processListeners: p.processListeners,
    ...(p.loop.statusStreamClients !== undefined ? { statusStreamClients: p.loop.statusStreamClients } : {}),
    heapUsedKb: Math.round(p.heapUsedBytes / 1024),
    resources: res,
    loop: p.loop,
  };
}

/** Judges a series: last vs first, and slope × length, each within the bound (counts: + slack). */
export function judge(samples, figures = Object.keys(SOAK_FIGURES), bound = SOAK_BOUND) {
  const out = {};
  if (samples.length < 2) return out;
  const first = samples[0];
  const last = samples.at(-1);
  const span = last.tMin - first.tMin;
  for (const k of figures) {
    if (first[k] === undefined) continue;
    const allow = first[k] * bound + (k === 'rssKb' ? 0 : COUNT_SLACK);
    const perMin = slope(samples.map((s) => s.tMin), samples.map((s) => s[k]));
    const trend = perMin * span;
    out[k] = {
      first: first[k],
      last: last[k],
      max: Math.max(...samples.map((s) => s[k])),
      trendOverRun: +trend.toFixed(2),
      allowed: +allow.toFixed(2),
      met: last[k] - first[k] <= allow && trend <= allow,
    };
  }
  return out;
}

/** Waits until dom0's log has been quiet for quietMs (at most maxMs): samples land between applies. */
async function quiet(up, quietMs = 1500, maxMs = 10_000) {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const last = up.events.at(-1)?.receivedAt ?? 0;
    if (Date.now() - last >= quietMs) return;
    await sleep(100);
  }
}

/**
 * What an interrupted soak left on its private engine: the fleet's containers and networks. A new
 * soak's manifest lives elsewhere, so dom0 would rightly refuse them as another manifest's.
 */
async function removeLeftovers(api, fleet) {
  for (const c of await fleetContainers(api, fleet)) await api.call('DELETE', `/containers/${c.Id}?force=true`, { ok: [404] });
  const q = encodeURIComponent(JSON.stringify({ label: [`io.dom0.fleet=${fleet.name}`] }));
  for (const n of await api.call('GET', `/networks?filters=${q}`)) await api.call('DELETE', `/networks/${n.Id}`, { ok: [404] });
}

export async function runSoak({
  api,
  engine,
  cli,
  n = 10,
  minutes = 60,
  sampleSeconds,
  editSeconds = 10,
  killSeconds = 7,
  engineRestartMinutes = 10,
  statusSeconds = 3,
  name = `dbench-soak-n${n}`,
}) {
  sampleSeconds ??= Math.min(60, Math.max(5, (minutes * 60) / 30));
  const fleet = makeFleet({ name, n, variant: 'plain', tool: 'dom0' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dom0-bench-soak-'));
  const file = path.join(work, 'dom0.yaml');
  const diagFile = path.join(work, 'diag.jsonl');
  let rev = 1;
  fs.writeFileSync(file, upManifest(fleet, rev));
  await removeLeftovers(api, fleet);
  const port = statusSeconds > 0 ? await freePort() : undefined;
  const up = spawnUp({ cli, host: engine.host, file, stateDir: path.join(work, 'state'), diagFile, args: port ? ['--listen', `127.0.0.1:${port}`] : [] });
  const status = port ? statusChurn(port) : undefined;
  const counts = { edits: 0, kills: 0, killErrors: 0, engineRestarts: 0 };
  const samples = [];
  let paused = false;
  let stopping = false;
  const timers = [];
  let result;
  try {
    await up.waitFor((e) => e.event === 'apply-finished', 120_000, 'first apply');
    const firstUp = await waitConverged(api, fleet);
    if (firstUp.timedOut) throw new Error(`fleet not up after the first apply: ${firstUp.running}/${fleet.n}`);
    if (status) {
      // the status page's first use opens what it keeps for good (the first sample must not count it as growth)
      const warm = http.get({ host: '127.0.0.1', port, path: '/api/stream', agent: false }, (res) => res.resume());
      warm.on('error', () => undefined);
      await sleep(1500);
      warm.destroy();
      await status.metrics();
    }
    const t0 = Date.now();
    await quiet(up);
    samples.push(sampleOf(t0, up.pid, await probe(up.pid, diagFile)));
    say(`soak ${name}: ${minutes} min, sample every ${sampleSeconds} s; first sample ${JSON.stringify(samples[0].loop)} rss ${samples[0].rssKb} kB fds ${samples[0].fds}`);
    let engineDown = false;
    timers.push(
      setInterval(() => {
        if (paused || stopping) return;
        fs.writeFileSync(file, upManifest(fleet, ++rev));
        counts.edits++;
      }, editSeconds * 1000),
      setInterval(async () => {
        if (paused || stopping || engineDown) return;
        try {
          const running = (await fleetContainers(api, fleet)).filter((c) => c.State === 'running');
          if (!running.length) return;
          await api.call('POST', `/containers/${running[Math.floor(Math.random() * running.length)].Id}/kill`);
          counts.kills++;
        } catch {
          counts.killErrors++;
        }
      }, killSeconds * 1000),
    );
    if (status) {
      timers.push(
        setInterval(() => {
          if (!paused && !stopping) status.connect();
        }, statusSeconds * 1000),
      );
    }
    if (engineRestartMinutes > 0) {
      timers.push(
        setInterval(async () => {
          if (stopping || engineDown) return;
          engineDown = true;
          say('soak: restarting the engine');
          try {
            await engine.restart();
            counts.engineRestarts++;
          } catch (e) {
            say(`soak: engine restart failed: ${e.message}`);
          } finally {
            engineDown = false;
          }
        }, engineRestartMinutes * 60_000),
      );
    }
    const end = t0 + minutes * 60_000;
    while (Date.now() < end) {
      await sleep(Math.min(sampleSeconds * 1000, end - Date.now()));
      if (up.child.exitCode !== null) throw new Error(`dom0 up exited ${up.child.exitCode}`);
      paused = true;
      status?.closeAll();
      await status?.metrics();
      while (engineDown) await sleep(200);
      await quiet(up);
      const s = sampleOf(t0, up.pid, await probe(up.pid, diagFile));
      samples.push(s);
      paused = false;
      say(`soak t=${s.tMin} min: rss ${s.rssKb} kB, fds ${s.fds}, timers ${s.timers}, handles ${s.handles}, listeners ${s.eventListeners} (${JSON.stringify(counts)})`);
    }
    stopping = true;
    for (const t of timers) clearInterval(t);
    while (engineDown) await sleep(200);
    const conv = await waitConverged(api, fleet, { rev, timeoutMs: 60_000 });
    const restarted = up.events.filter((e) => e.event === 'restarted').length;
    if (conv.timedOut) {
      // what dom0 last said about the services that are down
      const names = new Set((conv.down ?? []).map((d) => d.split(' ')[0].slice(name.length + 1)));
      conv.log = up.events.filter((e) => names.has(e.entry)).slice(-15).map((e) => `${e.time} ${e.event} ${e.msg}`);
    }
    result = {
      n,
      minutes,
      sampleSeconds,
      churn: { editSeconds, killSeconds, engineRestartMinutes, statusSeconds },
      counts: { ...counts, restartsSeenInLastLogWindow: restarted },
      converged: !conv.timedOut,
      convergence: conv,
      samples,
      verdict: judge(samples),
    };
    result.met = result.converged && Object.values(result.verdict).every((v) => v.met);
    return result;
  } catch (e) {
    const tail = up.events.slice(-20).map((x) => `  ${x.time ?? ''} ${x.event ?? ''} ${x.msg ?? ''}`).join('\n');
    e.message = `${e.message} (after ${samples.length} samples; dom0's last log lines:\n${tail})`;
    throw e;
  } finally {
    stopping = true;
    for (const t of timers) clearInterval(t);
    status?.closeAll();
    await up.stop();
    const d = dom0Down(cli, engine.host, file);
    if (d.status !== 0) say(`dom0 down: ${d.stderr.trim().split('\n').pop()}`);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export async function runIdleCpu({ api, host, cli, n = 50, seconds = 60 }) {
  const fleet = makeFleet({ name: `dbench-idle-n${n}`, n, variant: 'plain', tool: 'dom0' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dom0-bench-idle-'));
  const file = path.join(work, 'dom0.yaml');
  fs.writeFileSync(file, upManifest(fleet, 1));
  const up = spawnUp({ cli, host, file, stateDir: path.join(work, 'state') });
  try {
    await up.waitFor((e) => e.event === 'apply-finished', 300_000, 'first apply');
    const c = await waitConverged(api, fleet, { timeoutMs: 300_000 });
    if (c.timedOut) throw new Error(`fleet not up: ${c.running}/${n}`);
    await sleep(5000); // the sweep after the apply
    const a = procStats(up.pid);
    const t = Date.now();
    await sleep(seconds * 1000);
    const b = procStats(up.pid);
    const wallS = (Date.now() - t) / 1000;
    const cpuS = ticksToSeconds(b.cpuTicks - a.cpuTicks);
    const pct = +((100 * cpuS) / wallS).toFixed(3);
    return { n, seconds: +wallS.toFixed(1), cpuS: +cpuS.toFixed(2), pct, rssKb: b.rssKb, targetPct: IDLE_TARGET_PCT, met: pct <= IDLE_TARGET_PCT };
  } finally {
    await up.stop();
    const d = dom0Down(cli, host, file);
    if (d.status !== 0) say(`dom0 down: ${d.stderr.trim().split('\n').pop()}`);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function soakMarkdown(soak, idle) {
  const L = [];
  if (soak) {
    L.push('## Soak of `dom0 up`', '');
    L.push(
      `${soak.minutes} min, N = ${soak.n}, churn: an edit every ${soak.churn.editSeconds} s, a kill every ${soak.churn.killSeconds} s, ` +
        `${soak.churn.engineRestartMinutes ? `an engine restart every ${soak.churn.engineRestartMinutes} min` : 'no engine restart'}` +
        `${soak.churn.statusSeconds ? `, a status-page event-stream client every ${soak.churn.statusSeconds} s (a third hang up within 50 ms)` : ''}; ` +
        `${soak.counts.edits} edits, ${soak.counts.kills} kills, ${soak.counts.engineRestarts} engine restarts; ${soak.samples.length} samples every ${soak.sampleSeconds} s ` +
        `(first after the first apply). Fleet converged at the end (every service running, last edit applied): **${soak.converged ? 'yes' : 'NO'}**.`,
      '',
      '| figure | first | last | max | trend over the run (slope × length) | allowed (10 %, counts +2) | |',
      '|---|---|---|---|---|---|---|',
    );
    for (const [k, v] of Object.entries(soak.verdict)) {
      L.push(`| ${SOAK_FIGURES[k]} | ${v.first} | ${v.last} | ${v.max} | ${v.trendOverRun} | ${v.allowed} | ${v.met ? 'met' : 'missed'} |`);
    }
    L.push('');
  }
  if (idle) {
    L.push('## Idle CPU of `dom0 up`', '');
    L.push('| N | window | dom0 CPU (utime+stime) | % of one core | target | |', '|---|---|---|---|---|---|');
    L.push(`| ${idle.n} | ${idle.seconds} s | ${idle.cpuS} s | ${idle.pct} % | ≤ ${idle.targetPct} % | ${idle.met ? 'met' : 'missed'} |`, '');
  }
  return L.join('\n');
}

// ------------------------------------------------------------------------------------ CLI
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: a } = parseArgs({
    options: {
      minutes: { type: 'string', default: '60' },
      n: { type: 'string', default: '10' },
      'sample-seconds': { type: 'string' },
      'edit-seconds': { type: 'string', default: '10' },
      'kill-seconds': { type: 'string', default: '7' },
      'engine-restart-minutes': { type: 'string', default: '10' },
      'idle-seconds': { type: 'string', default: '60' },
      'idle-n': { type: 'string', default: '50' },
      phases: { type: 'string', default: 'soak,idle' },
      out: { type: 'string' },
      cli: { type: 'string' },
      'engine-dir': { type: 'string', default: SOAK_ENGINE_DIR },
      'address-pool': { type: 'string', default: SOAK_ADDRESS_POOL },
      name: { type: 'string' },
    },
  });
  const phases = a.phases.split(',');
  engineSh('start', a['engine-dir'], a['address-pool']);
  const engine = soakEngine(a['engine-dir'], a['address-pool']);
  const api = new EngineApi(socketPathFromEnv({ DOCKER_HOST: engine.host }));
  const cli = dom0Cli(a.cli);
  const out = a.out ?? path.join(BENCH, 'work', 'soak');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  try {
    const idle = phases.includes('idle') ? await runIdleCpu({ api, host: engine.host, cli, n: Number(a['idle-n']), seconds: Math.max(60, Number(a['idle-seconds'])) }) : undefined;
    if (idle) say(`idle CPU: ${idle.pct} % of one core over ${idle.seconds} s`);
    const soak = phases.includes('soak')
      ? await runSoak({
          api,
          engine,
          cli,
          n: Number(a.n),
          minutes: Number(a.minutes),
          sampleSeconds: a['sample-seconds'] ? Number(a['sample-seconds']) : undefined,
          editSeconds: Number(a['edit-seconds']),
          killSeconds: Number(a['kill-seconds']),
          engineRestartMinutes: Number(a['engine-restart-minutes']),
          ...(a.name ? { name: a.name } : {}),
        })
      : undefined;
    fs.writeFileSync(`${out}.json`, `${JSON.stringify({ soak, idle }, null, 2)}\n`);
    const md = soakMarkdown(soak, idle);
    fs.writeFileSync(`${out}.md`, md);
    process.stdout.write(`${md}\n`);
    process.exitCode = (soak?.met ?? true) && (idle?.met ?? true) ? 0 : 1;
  } catch (e) {
    say(`failed: ${e.message}`);
    process.exitCode = 2;
  } finally {
    api.close();
  }
}
