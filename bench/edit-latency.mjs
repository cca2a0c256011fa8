#!/usr/bin/env node
// Edit latency under `dom0 up` (issue #12): `dom0 up` (a process on the host: dist/bundle/dom0, the shipped bin)
// owns a small bench fleet; the harness rewrites the manifest in place with one line changed
// (BENCH_REV of the middle-layer service) and times the write → the engine's `start` event of
// the recreated container (a new ID under that name). Each edit waits for the previous apply to
// finish. Also split from dom0's log: write → `manifest-reload` (detection) and the apply's own
// duration. Target: p95 ≤ 1 s.
//
//   npm run build && node bench/edit-latency.mjs [--edits 20] [--n 10] [--out bench/work/edit-latency]
//   DOCKER_HOST unset: the private engine in /tmp/dom0-soak-engine (started if needed, left running)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineApi, socketPathFromEnv } from './engine-api.mjs';
import { LABEL_FLEET, makeFleet } from './fleet.mjs';
import { BENCH, dom0Cli, dom0Down, engineSh, percentile, say, sleep, SOAK_ENGINE_DIR, spawnUp, upManifest, waitConverged } from './up-harness.mjs';

export const EDIT_TARGET_MS = 1000;

export async function runEditLatency({ api, host, cli, n = 10, edits = 20, gapMs = 300 }) {
  const fleet = makeFleet({ name: `dbench-edit-n${n}`, n, variant: 'plain', tool: 'dom0' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dom0-bench-edit-'));
  const file = path.join(work, 'dom0.yaml');
  fs.writeFileSync(file, upManifest(fleet, 1));
  const up = spawnUp({ cli, host, file, stateDir: path.join(work, 'state') });
  const target = `${fleet.name}-${fleet.changed}`;
  const starts = [];
  let engineEvents = [];
  const stream = await api.events({ type: ['container'], event: ['create', 'rename', 'start'], label: [`${LABEL_FLEET}=${fleet.name}`] }, (e) => {
    const name = e.Actor?.Attributes?.name ?? '';
    if (!name.startsWith(target)) return;
    engineEvents.push({ action: e.Action, atMs: e.timeNano / 1e6 });
    if (e.Action === 'start' && name === target) starts.push({ id: e.Actor.ID ?? e.id, atMs: e.timeNano / 1e6 });
  });
  const samples = [];
  try {
    await up.waitFor((e) => e.event === 'apply-finished', 120_000, 'first apply');
    const first = await waitConverged(api, fleet);
    if (first.timedOut) throw new Error(`fleet not up: ${first.running}/${fleet.n}`);
    for (let i = 0; i < edits; i++) {
      const rev = i + 2;
      const seen = starts.length;
      const finished = up.waitFor((e) => e.event === 'apply-finished', 60_000, `apply of edit ${i + 1}`);
      const reloaded = up.waitFor((e) => e.event === 'manifest-reload', 60_000, `reload of edit ${i + 1}`);
      engineEvents = [];
      const t0 = Date.now();
      fs.writeFileSync(file, upManifest(fleet, rev));
      const r = await reloaded;
      const fin = await finished;
      const until = Date.now() + 30_000;
      while (starts.length === seen && Date.now() < until) await sleep(10);
      const start = starts[seen];
      if (!start) throw new Error(`edit ${i + 1}: no new start of ${target}`);
      const at = (action) => engineEvents.find((e) => e.action === action)?.atMs;
      const reloadAt = Date.parse(r.time);
      samples.push({
        ms: Math.round(start.atMs - t0),
        detectMs: Math.round(reloadAt - t0),
        applyMs: fin.durationMs,
        // where the time goes: dom0 up to the replacement's create, the engine stopping and removing
        // the old one (create → rename into place), the engine starting the new one (rename → start)
        toCreateMs: Math.round(at('create') - reloadAt),
        replaceMs: Math.round(at('rename') - at('create')),
        engineStartMs: Math.round(start.atMs - at('rename')),
      });
      say(`edit ${i + 1}/${edits}: ${samples.at(-1).ms} ms (detected after ${samples.at(-1).detectMs} ms, apply ${fin.durationMs} ms)`);
      await sleep(gapMs);
    }
  } finally {
    stream.close();
    await up.stop();
    const d = dom0Down(cli, host, file);
    if (d.status !== 0) say(`dom0 down: ${d.stderr.trim().split('\n').pop()}`);
    fs.rmSync(work, { recursive: true, force: true });
  }
  const ms = samples.map((s) => s.ms);
  const p95 = percentile(ms, 95);
  return {
    n,
    edits,
    how: 'dom0 up as a process on the host (dist/bundle/dom0 up: node --max-semi-space-size=1 --optimize-for-size on the bundle, as the bin runs it), write → engine start event of the recreated container',
    samples,
    p50: percentile(ms, 50),
    p95,
    max: Math.max(...ms),
    detectP50: percentile(samples.map((s) => s.detectMs), 50),
    applyP50: percentile(samples.map((s) => s.applyMs), 50),
    toCreateP50: percentile(samples.map((s) => s.toCreateMs), 50),
    replaceP50: percentile(samples.map((s) => s.replaceMs), 50),
    engineStartP50: percentile(samples.map((s) => s.engineStartMs), 50),
    targetMs: EDIT_TARGET_MS,
    met: p95 <= EDIT_TARGET_MS,
  };
}

export function editLatencyMarkdown(r) {
  if (!r) return '';
  return [
    '## Edit latency under `dom0 up`',
    '',
    `${r.edits} one-line edits (an env value of one service of a ${r.n}-service fleet); ${r.how}.`,
    '',
    '| p50 | p95 | max | write → reload seen (p50) | apply (p50) | target | |',
    '|---|---|---|---|---|---|---|',
    `| ${r.p50} ms | ${r.p95} ms | ${r.max} ms | ${r.detectP50} ms | ${r.applyP50} ms | p95 ≤ ${r.targetMs} ms | ${r.met ? 'met' : 'missed'} |`,
    '',
    'Where the time goes (p50 of each step; a one-service recreate is create the replacement, stop and remove the old, rename, start):',
    '',
    '| write → dom0 re-applies (watch + load) | → replacement created (observe, plan, image check, create) | → old stopped, removed, new renamed (engine) | → new started (engine) |',
    '|---|---|---|---|',
    `| ${r.detectP50} ms | ${r.toCreateP50} ms | ${r.replaceP50} ms | ${r.engineStartP50} ms |`,
    '',
  ].join('\n');
}

// ------------------------------------------------------------------------------------ CLI
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: a } = parseArgs({
    options: { edits: { type: 'string', default: '20' }, n: { type: 'string', default: '10' }, out: { type: 'string' }, cli: { type: 'string' } },
  });
  let host = process.env.DOCKER_HOST;
  if (!host) {
    engineSh('start');
    host = `unix://${SOAK_ENGINE_DIR}/docker.sock`;
  }
  const api = new EngineApi(socketPathFromEnv({ DOCKER_HOST: host }));
  try {
    const r = await runEditLatency({ api, host, cli: dom0Cli(a.cli), n: Number(a.n), edits: Number(a.edits) });
    const out = a.out ?? path.join(BENCH, 'work', 'edit-latency');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(`${out}.json`, `${JSON.stringify(r, null, 2)}\n`);
    const md = editLatencyMarkdown(r);
    fs.writeFileSync(`${out}.md`, md);
    process.stdout.write(`${md}\n`);
  } finally {
    api.close();
  }
}
