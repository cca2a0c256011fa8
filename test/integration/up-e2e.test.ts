// `dom0 up` end to end: the REAL image (dom0:latest, built from the Dockerfile on the local Node
// base by scripts/build-image.sh) run as documented — `docker run -d --restart always` with the
// engine's socket, the manifest's DIRECTORY and a state volume, without --privileged — on a
// PRIVATE engine this suite starts and stops itself (the reboot case stops and starts it).
//
//   1. the fleet converges (volume container, job, health-gated dependency, links pair, every
//      restart policy); `dom0 status --json` inside dom0's container says so
//   2. a manifest edit on the host (one env changed, one service added, one removed) is applied
//      within 10 s, touching only those containers
//   3. an invalid manifest changes nothing for 10 s and is logged with FILE:LINE:COL; the fix applies
//   4. three engine restarts ("reboots"): Docker restarts dom0, dom0 starts the fleet in
//      dependency order (health gate, job not re-run); engine start → fleet ready is printed
//   5. supervision: always / unless-stopped restart (links dependent too), "no" stays down,
//      on-failure:2 gives up after two restarts
//   6. `docker stop` of dom0 (SIGTERM as PID 1, < 10 s) leaves the fleet running; `docker start`
//      recreates nothing
//   7. a missing manifest at boot falls back to the last-good one in the state volume
//   extra: a service that dies just before a repair is still restarted; `docker stop` in the
//      middle of an apply that waits on a dependency still exits on SIGTERM within 10 s
//
// The cases run in order and share one fleet; each starts by waiting for the fleet's steady state.
// Run: npm run build && npx vitest run test/integration/up-

import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, tmpDir } from '../support/engine.js';
import {
  ENGINE_DIR,
  ENGINE_HOST,
  ENGINE_SOCK,
  FLEET,
  IMAGE,
  SELF_LABEL,
  STATE_VOLUME,
  at,
  buildImageOnSharedEngine,
  dk,
  dkOk,
  dom0Log,
  engineSh,
  explain,
  fingerprint,
  fleet,
  fleetEvents,
  fleetYaml,
  idsOf,
  inspect,
  iso,
  loadImageIntoPrivateEngine,
  positionOf,
  recordEvents,
  secs,
  showLog,
  sleep,
  waitFor,
  writeByRename,
  type Box,
  type FleetVariant,
  type LogLine,
} from './up-fixtures/helpers.js';

const DOM0 = `dom0-up-e2e-${process.pid}`;
const MANIFEST_IN_CONTAINER = '/etc/dom0/dom0.yaml';
/** Clock granularity allowance when comparing engine timestamps. */
const TOL_MS = 50;
/** The issue's budget for an edit to be applied. */
const EDIT_BUDGET_MS = 10_000;
const STEADY_TIMEOUT_MS = 240_000;

const ALWAYS_RUNNING = ['upe-db', 'upe-api', 'upe-proxy', 'upe-shell'];

let dir = '';
let file = '';
let variant: FleetVariant = { motd: 'hello', gone: true };
const suiteStarted = Date.now();
const reboots: Array<{ round: number; engineStartToReadyMs: number; engineUpToReadyMs: number; dom0StartToReadyMs: number; dbHealthyAfterMs: number }> = [];

function dom0RunArgs(): string[] {
  return [
    'run', '-d', '--name', DOM0, '--restart', 'always', '--label', SELF_LABEL,
    '-v', `${ENGINE_SOCK}:/var/run/docker.sock`,
    '-v', `${dir}:/etc/dom0:ro`,
    '-v', `${STATE_VOLUME}:/var/lib/dom0`,
    IMAGE, 'up', '--reconcile-interval', '30',
  ];
}

/** Everything this suite leaves on the private engine: dom0's container first (it would re-create the fleet). */
async function cleanupPrivateEngine(): Promise<void> {
  const ids = async (filter: string) =>
    (await dk(['ps', '-aq', '--filter', filter])).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  const selves = await ids(`label=${SELF_LABEL}`);
  if (selves.length) await dk(['rm', '-f', ...selves]);
  const managed = await ids(`label=io.dom0.fleet=${FLEET}`);
  if (managed.length) await dk(['rm', '-f', '-v', ...managed]);
  await dk(['network', 'rm', FLEET]);
  await dk(['volume', 'rm', '-f', STATE_VOLUME]);
}

// ------------------------------------------------------------------ the expected steady state

interface Want {
  v: FleetVariant;
  /** upe-once (restart "no") was killed and is expected down. */
  onceDown?: boolean;
}

const expectedNames = (v: FleetVariant) =>
  ['upe-data', 'upe-init', 'upe-flaky', 'upe-once', ...ALWAYS_RUNNING, ...(v.gone ? ['upe-gone'] : []), ...(v.extra !== undefined ? ['upe-extra'] : [])].sort();

const runningNames = (w: Want) =>
  [...ALWAYS_RUNNING, ...(w.onceDown ? [] : ['upe-once']), ...(w.v.gone ? ['upe-gone'] : []), ...(w.v.extra !== undefined ? ['upe-extra'] : [])];

const envOf = (b: Box, key: string) => b.env.find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1);

/**
 * upe-flaky (on-failure:2, exits 1 after ~1 s) is done cycling: exited, and dom0's last word on it
 * since it died is "no-restart" — or nothing for 20 s (a restart dom0 dropped; see the report).
 */
function flakySettled(f: Record<string, Box>, log: LogLine[]): string | undefined {
  const fl = f['upe-flaky'];
  if (!fl) return 'upe-flaky missing';
  if (fl.state !== 'exited') return `upe-flaky is ${fl.state}`;
  const words = log.filter((l) => l.entry === 'upe-flaky' && (l.event === 'restart' || l.event === 'no-restart') && at(l) >= fl.finishedAt - TOL_MS);
  const last = words[words.length - 1];
  if (last?.event === 'no-restart') return undefined;
  if (!last && Date.now() - fl.finishedAt > 20_000) return undefined;
  if (last?.event === 'restart' && Date.now() - at(last) > 30_000) return undefined;
  return `upe-flaky exited ${secs(Date.now() - fl.finishedAt)} ago; dom0 said: ${last ? last.event : 'nothing yet'}`;
}

async function steadyProblem(w: Want): Promise<{ problem?: string; f: Record<string, Box> }> {
  const f = await fleet();
  const names = Object.keys(f).sort();
  const want = expectedNames(w.v);
  if (JSON.stringify(names) !== JSON.stringify(want)) return { f, problem: `containers ${names.join(',')} ≠ ${want.join(',')}` };
  if (f['upe-data']!.state !== 'created') return { f, problem: `upe-data is ${f['upe-data']!.state}` };
  const init = f['upe-init']!;
  if (init.state !== 'exited' || init.exitCode !== 0) return { f, problem: `upe-init is ${init.state} (${init.exitCode})` };
  for (const n of runningNames(w)) if (!f[n]!.running) return { f, problem: `${n} is ${f[n]!.state}` };
  if (w.onceDown && f['upe-once']!.running) return { f, problem: 'upe-once is running' };
  if (f['upe-db']!.health !== 'healthy') return { f, problem: `upe-db is ${f['upe-db']!.health}` };
  if (envOf(f['upe-shell']!, 'MOTD') !== w.v.motd) return { f, problem: `upe-shell MOTD=${envOf(f['upe-shell']!, 'MOTD')}` };
  if (w.v.extra !== undefined && envOf(f['upe-extra']!, 'ADDED') !== w.v.extra) return { f, problem: `upe-extra ADDED=${envOf(f['upe-extra']!, 'ADDED')}` };
  const flaky = flakySettled(f, await dom0Log(DOM0));
  if (flaky) return { f, problem: flaky };
  return { f };
}

async function describeFleet(): Promise<string> {
  const d = await inspect(DOM0);
  const f = await fleet();
  const log = await dom0Log(DOM0).catch(() => []);
  return [
    `dom0 container: ${d ? `${d.state} (exit ${d.exitCode}), started ${d.startedAtRaw}` : 'missing'}`,
    'fleet:',
    ...Object.values(fingerprint(f)).map((s) => `  ${s}`),
    ...Object.entries(fingerprint(f)).map(([n]) => (f[n]!.health ? `  ${n} health ${f[n]!.health}` : '')).filter(Boolean),
    'dom0 log (last 40):',
    showLog(log, 40),
  ].join('\n');
}

/** Waits until the fleet matches `w` and nothing is cycling; returns the fleet. */
async function steady(w: Want, timeoutMs = STEADY_TIMEOUT_MS): Promise<Record<string, Box>> {
  let last = '';
  return waitFor(
    `the fleet's steady state (${JSON.stringify(w)})`,
    async () => {
      const r = await steadyProblem(w);
      last = r.problem ?? '';
      return r.problem ? undefined : r.f;
    },
    timeoutMs,
    async () => `last problem: ${last}\n${await describeFleet()}`,
    500,
  );
}

/** dom0's container is running (re-created from scratch if a failed case left it gone or stopped). */
async function ensureDom0(): Promise<void> {
  const d = await inspect(DOM0);
  if (!d) await dkOk(dom0RunArgs());
  else if (!d.running) await dkOk(['start', DOM0]);
}

/** Every case starts here: dom0 running with the manifest of `variant`, the fleet steady. */
async function baseline(w: Want): Promise<Record<string, Box>> {
  await ensureDom0();
  const text = fleetYaml(w.v);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeByRename(file, text);
  return steady(w);
}

async function waitLog(what: string, pred: (l: LogLine) => boolean, sinceMs: number, timeoutMs: number, container = DOM0): Promise<LogLine> {
  return waitFor(
    what,
    async () => (await dom0Log(container, sinceMs)).find(pred),
    timeoutMs,
    async () => showLog(await dom0Log(container, sinceMs - 5000), 60),
    500,
  );
}

/** The first apply-finished at/after sinceMs. */
const applyFinished = (sinceMs: number, timeoutMs = 180_000) =>
  waitLog('dom0 to finish an apply', (l) => l.event === 'apply-finished', sinceMs, timeoutMs);

/** The re-apply of a manifest change seen at/after sinceMs: its manifest-reload and apply-finished lines. */
async function reapplied(sinceMs: number, timeoutMs = 180_000): Promise<{ reload: LogLine; finished: LogLine }> {
  const reload = await waitLog('dom0 to re-apply the manifest', (l) => l.event === 'manifest-reload', sinceMs, timeoutMs);
  const finished = await applyFinished(at(reload), timeoutMs);
  return { reload, finished };
}

/**
 * Boot order since sinceMs, from StartedAt (inspect) and the engine's events: upe-api started only
 * after upe-db was healthy (its healthcheck passes only ~2 s after it starts) and after the job
 * upe-init exited 0; upe-proxy (links upe-api) after upe-api. Returns when upe-db became healthy.
 */
async function checkOrder(f: Record<string, Box>, sinceMs: number, label: string): Promise<{ healthyAt: number }> {
  const db = f['upe-db']!;
  const api = f['upe-api']!;
  const proxy = f['upe-proxy']!;
  const init = f['upe-init']!;
  const events = await fleetEvents(sinceMs);
  const healthy = events.find((e) => e.name === 'upe-db' && /^health_status: healthy/.test(e.action) && e.at >= db.startedAt - TOL_MS);
  const show = `${label}: upe-db started ${iso(db.startedAt)}, healthy ${healthy ? iso(healthy.at) : '?'}; upe-init finished ${iso(init.finishedAt)}; upe-api started ${iso(api.startedAt)}; upe-proxy started ${iso(proxy.startedAt)}`;
  console.info(`[up-e2e] ${show}`);
  expect(healthy, `${show}\nno health_status: healthy event for upe-db since its start`).toBeDefined();
  const healthyAt = healthy!.at;
  // the healthcheck passes only after ~2 s: the gate is real
  expect(healthyAt - db.startedAt, show).toBeGreaterThanOrEqual(1500);
  expect(api.startedAt, `${show}\nupe-api started before upe-db was healthy`).toBeGreaterThanOrEqual(healthyAt - TOL_MS);
  // the health log, when it still holds the first success after a failure since the start
  const sinceStart = db.healthLog.filter((h) => Date.parse(h.Start) >= db.startedAt - TOL_MS);
  const firstOk = sinceStart.findIndex((h) => h.ExitCode === 0);
  if (firstOk > 0) {
    const end = Date.parse(sinceStart[firstOk]!.End);
    expect(api.startedAt, `${show}\nupe-api started before the first successful health probe ended (${sinceStart[firstOk]!.End})`).toBeGreaterThanOrEqual(end - TOL_MS);
  } else {
    console.info(`[up-e2e] ${label}: upe-db's health log no longer holds its first success (${db.healthLog.length} entries); the event time is used`);
  }
  expect(init.state === 'exited' && init.exitCode === 0, show).toBe(true);
  expect(api.startedAt, `${show}\nupe-api started before the job upe-init finished`).toBeGreaterThanOrEqual(init.finishedAt - TOL_MS);
  expect(proxy.startedAt, `${show}\nupe-proxy (links upe-api) started before upe-api`).toBeGreaterThanOrEqual(api.startedAt - TOL_MS);
  return { healthyAt };
}

// ------------------------------------------------------------------ the suite

/**
 * `docker exec NAME kill 1`: PID 1 dies and takes the exec with it, so the exec may end with 137
 * (killed) as well as 0, depending on which the engine sees first.
 */
async function killPid1(name: string): Promise<void> {
  const r = await dk(['exec', name, 'kill', '1']);
  if (r.code !== 0 && r.code !== 137) throw new Error(`docker exec ${name} kill 1: exit ${r.code}\n${r.stdout}${r.stderr}`);
}

describeEngine('dom0 up: the real image on a private engine', () => {
  beforeAll(async () => {
    const b = await buildImageOnSharedEngine();
    if (b.code !== 0) throw new Error(`scripts/build-image.sh --if-changed failed on the shared engine: ${explain(b)}`);
    console.info(`[up-e2e] image: ${b.stdout.trim()} (${secs(b.ms)})`);

    const s = await engineSh('start');
    if (s.code !== 0) {
      await engineSh('stop').catch(() => undefined);
      throw new Error(`the private engine (DOM0_ENGINE_DIR=${ENGINE_DIR}) did not start: ${explain(s)}`);
    }
    console.info(`[up-e2e] private engine at ${ENGINE_HOST} (${secs(s.ms)})`);
    console.info(`[up-e2e] ${await loadImageIntoPrivateEngine()}`);
    await cleanupPrivateEngine();

    dir = tmpDir('dom0-up-e2e-');
    file = path.join(dir, 'dom0.yaml');
    writeFileSync(file, fleetYaml(variant));
    await dkOk(dom0RunArgs());
  }, 30 * 60_000);

  afterAll(async () => {
    try {
      if (dir) console.info(`[up-e2e] dom0 log at the end:\n${showLog(await dom0Log(DOM0).catch(() => []), 30)}`);
      await cleanupPrivateEngine();
    } finally {
      const s = await engineSh('stop');
      if (s.code !== 0) console.error(`[up-e2e] engine.sh stop failed: ${explain(s)}`);
      for (const r of reboots) {
        console.info(
          `[up-e2e] reboot ${r.round}: engine start → fleet ready ${secs(r.engineStartToReadyMs)} ` +
            `(engine answering → ready ${secs(r.engineUpToReadyMs)}, dom0 start → ready ${secs(r.dom0StartToReadyMs)}, ` +
            `upe-db healthy ${secs(r.dbHealthyAfterMs)} after its start)`,
        );
      }
      console.info(`[up-e2e] suite runtime ${secs(Date.now() - suiteStarted)}`);
    }
  }, 5 * 60_000);

  it('1. converges: every entry in sync, running or exited as expected, in dependency order', { timeout: 6 * 60_000 }, async () => {
    const d = (await inspect(DOM0))!;
    const f = await steady({ v: variant });

    // dom0 itself carries the engine policy "always"; what it manages carries "no" (dom0 restarts them)
    expect(d.restartPolicy).toBe('always');
    for (const b of Object.values(f)) expect(b.restartPolicy, `${b.name}: engine restart policy`).toBe('no');
    await checkOrder(f, d.startedAt - 1000, 'first apply');
    expect(f['upe-api']!.startedAt).toBeGreaterThanOrEqual(f['upe-db']!.startedAt);

    const r = await dk(['exec', DOM0, 'dom0', 'status', '--json']);
    expect(r.code, explain(r)).toBe(0);
    const st = JSON.parse(r.stdout) as { fleet: string; entries: Array<{ name: string; kind: string; state: string; exitCode?: number; health?: string; sync: string; restart?: string }> };
    expect(st.fleet).toBe(FLEET);
    const rows = Object.fromEntries(st.entries.map((e) => [e.name, e]));
    expect(Object.keys(rows).sort()).toEqual(expectedNames(variant));
    for (const e of st.entries) expect(e.sync, `${e.name}: ${JSON.stringify(e)}`).toBe('in sync');
    expect(rows['upe-data']).toMatchObject({ kind: 'volume', state: 'created' });
    expect(rows['upe-init']).toMatchObject({ kind: 'job', state: 'exited', exitCode: 0 });
    expect(rows['upe-flaky']).toMatchObject({ kind: 'service', state: 'exited', exitCode: 1, restart: 'on-failure:2' });
    expect(rows['upe-db']).toMatchObject({ state: 'running', health: 'healthy', restart: 'always' });
    expect(rows['upe-api']).toMatchObject({ state: 'running', restart: 'unless-stopped' });
    expect(rows['upe-once']).toMatchObject({ state: 'running', restart: 'no' });
    for (const n of ['upe-proxy', 'upe-shell', 'upe-gone']) expect(rows[n], n).toMatchObject({ state: 'running', restart: 'always' });
  });

  it('2. a manifest edit on the host (env changed, service added, service removed) applies within 10 s and touches only those', { timeout: 6 * 60_000 }, async () => {
    const before = await baseline({ v: variant });
    const next: FleetVariant = { motd: 'edited', gone: false, extra: 'yes' };

    const t0 = Date.now();
    writeByRename(file, fleetYaml(next));
    const after = await waitFor(
      'the edit to be applied',
      async () => {
        const f = await fleet();
        const shell = f['upe-shell'];
        const extra = f['upe-extra'];
        const ok =
          !f['upe-gone'] &&
          extra?.running && envOf(extra, 'ADDED') === 'yes' &&
          shell?.running && shell.id !== before['upe-shell']!.id && envOf(shell, 'MOTD') === 'edited';
        return ok ? f : undefined;
      },
      120_000,
      describeFleet,
    );
    const elapsed = Date.now() - t0;
    console.info(`[up-e2e] edit applied ${secs(elapsed)} after the file was replaced`);

    // only the edited entries changed
    for (const n of Object.keys(before)) {
      if (n === 'upe-shell' || n === 'upe-gone') continue;
      expect(after[n]?.id, `${n} was recreated or removed by an edit that did not touch it`).toBe(before[n]!.id);
    }
    for (const n of ['upe-db', 'upe-api', 'upe-proxy', 'upe-once']) {
      expect(after[n]!.startedAtRaw, `${n} was restarted by an edit that did not touch it`).toBe(before[n]!.startedAtRaw);
    }
    const { reload, finished } = await reapplied(t0);
    console.info(`[up-e2e] dom0 saw the edit ${secs(at(reload) - t0)} after the write`);
    const actions = (await dom0Log(DOM0, at(reload)))
      .filter((l) => l.event === 'action' && at(l) <= at(finished) && !['keep', 'done'].includes(String(l.action)))
      .map((l) => `${l.entry}:${l.action}`)
      .sort();
    // upe-flaky (exited, gave up) is started by every full apply, as documented
    expect(actions.filter((a) => a !== 'upe-flaky:start')).toEqual(['upe-extra:create', 'upe-gone:remove', 'upe-shell:recreate']);
    variant = next;
    await steady({ v: variant });
    expect.soft(elapsed, `the edit took ${secs(elapsed)} (budget ${secs(EDIT_BUDGET_MS)})`).toBeLessThanOrEqual(EDIT_BUDGET_MS);
  });

  it('3. an invalid manifest changes nothing for 10 s and is logged with FILE:LINE:COL; the fix converges', { timeout: 6 * 60_000 }, async () => {
    const before = await baseline({ v: variant });
    const fixed: FleetVariant = { ...variant, extra: 'fixed' };
    const invalid = fleetYaml({ ...fixed, extraEnvKey: 'enviroment' });
    const pos = positionOf(invalid, 'enviroment:');
    const where = `${MANIFEST_IN_CONTAINER}:${pos.line}:${pos.col}`;

    const t0 = Date.now();
    writeFileSync(file, invalid); // in place this time
    const want = fingerprint(before);
    const changes: string[] = [];
    while (Date.now() - t0 < 10_000) {
      await sleep(500);
      const now = fingerprint(await fleet());
      if (JSON.stringify(now) !== JSON.stringify(want)) changes.push(`${secs(Date.now() - t0)}: ${JSON.stringify(now)}`);
    }
    const log = await dom0Log(DOM0, t0);
    const invalidLine = log.find((l) => l.event === 'manifest-invalid');
    expect(invalidLine, `no manifest-invalid event within 10 s:\n${showLog(log)}`).toBeDefined();
    expect(at(invalidLine!) - t0).toBeLessThanOrEqual(10_000);
    const diags = (invalidLine!.diagnostics ?? []) as string[];
    expect(diags.some((d) => d.startsWith(`${where}:`)), `expected a diagnostic at ${where}, got ${JSON.stringify(diags)}`).toBe(true);
    expect(String(invalidLine!.msg)).toContain(where);
    expect(changes, `containers changed while the manifest was invalid (before: ${JSON.stringify(want)})`).toEqual([]);
    expect(log.filter((l) => l.event === 'manifest-reload' || (l.event === 'action' && !['keep', 'done'].includes(String(l.action))))).toEqual([]);

    const t1 = Date.now();
    writeByRename(file, fleetYaml(fixed));
    const after = await waitFor(
      'the fixed manifest to be applied',
      async () => {
        const f = await fleet();
        const extra = f['upe-extra'];
        return extra?.running && extra.id !== before['upe-extra']!.id && envOf(extra, 'ADDED') === 'fixed' ? f : undefined;
      },
      120_000,
      describeFleet,
    );
    console.info(`[up-e2e] invalid manifest logged ${secs(at(invalidLine!) - t0)} after the write; the fix applied ${secs(Date.now() - t1)} after it`);
    for (const n of Object.keys(before)) {
      if (n !== 'upe-extra') expect(after[n]?.id, `${n} changed by a fix that did not touch it`).toBe(before[n]!.id);
    }
    variant = fixed;
    await steady({ v: variant });

    // the image's HEALTHCHECK (`dom0 health`: the up loop's heartbeat is fresh) passes by now
    const h = await waitFor('dom0 to be healthy', async () => (await inspect(DOM0))?.health === 'healthy', 120_000, describeFleet, 1000);
    expect(h).toBe(true);
  });

  it('4. reboot ×3: Docker restarts dom0, dom0 starts the fleet in dependency order; the job is not re-run', { timeout: 25 * 60_000 }, async () => {
    await baseline({ v: variant });
    for (let round = 1; round <= 3; round++) {
      const before = await steady({ v: variant });

      const tStop = Date.now();
      const stop = await engineSh('stop');
      expect(stop.code, explain(stop)).toBe(0);
      expect((await engineSh('status')).code, 'the engine still answers after engine.sh stop').not.toBe(0);
      // stop is not purge: the engine's data stays
      expect(existsSync(path.join(ENGINE_DIR, 'data')), `${ENGINE_DIR}/data is gone after engine.sh stop`).toBe(true);

      const t0 = Date.now();
      const start = await engineSh('start');
      expect(start.code, explain(start)).toBe(0);
      const tUp = Date.now();

      const running = runningNames({ v: variant });
      let last = '';
      const f = await waitFor(
        `the fleet to be ready after reboot ${round}`,
        async () => {
          const d = await inspect(DOM0);
          if (!d?.running || d.startedAt < t0) return void (last = `dom0 is ${d?.state ?? 'missing'}, started ${d?.startedAtRaw}`);
          const now = await fleet();
          for (const n of running) {
            const b = now[n];
            if (!b?.running || b.startedAt < t0) return void (last = `${n} is ${b?.state}, started ${b?.startedAtRaw}`);
          }
          if (now['upe-db']!.health !== 'healthy') return void (last = `upe-db is ${now['upe-db']!.health}`);
          return now;
        },
        STEADY_TIMEOUT_MS,
        async () => `last: ${last}\n${await describeFleet()}`,
        100,
      );
      const d = (await inspect(DOM0))!;

      // nothing recreated, nothing purged; every service went down with the engine and came back
      expect(idsOf(f), `round ${round}: container IDs changed across the reboot`).toEqual(idsOf(before));
      for (const n of running) {
        expect(f[n]!.finishedAt, `round ${round}: ${n} did not stop with the engine`).toBeGreaterThanOrEqual(tStop - TOL_MS);
        expect(f[n]!.restartCount, `${n}: the engine restarted it (RestartCount)`).toBe(0);
      }
      // the job is not re-run for the same config
      expect(f['upe-init']!.startedAtRaw, `round ${round}: the job upe-init was re-run`).toBe(before['upe-init']!.startedAtRaw);
      expect(f['upe-init']!.state).toBe('exited');
      expect(f['upe-init']!.exitCode).toBe(0);
      expect(f['upe-data']!.state).toBe('created');

      const { healthyAt } = await checkOrder(f, t0, `reboot ${round}`);
      const readyAt = Math.max(healthyAt, ...running.map((n) => f[n]!.startedAt));
      const figure = {
        round,
        engineStartToReadyMs: readyAt - t0,
        engineUpToReadyMs: readyAt - tUp,
        dom0StartToReadyMs: readyAt - d.startedAt,
        dbHealthyAfterMs: healthyAt - f['upe-db']!.startedAt,
      };
      reboots.push(figure);
      console.info(
        `[up-e2e] reboot ${round}: engine start → fleet ready ${secs(figure.engineStartToReadyMs)} ` +
          `(engine.sh start took ${secs(tUp - t0)}; dom0 started ${secs(d.startedAt - t0)} after engine start; ` +
          `dom0 start → ready ${secs(figure.dom0StartToReadyMs)}; upe-db healthy ${secs(figure.dbHealthyAfterMs)} after its start)`,
      );
      const boot = await applyFinished(t0);
      expect(boot.converged, `round ${round}: the boot apply did not converge:\n${showLog(await dom0Log(DOM0, t0))}`).toBe(true);
      expect((await dom0Log(DOM0, t0)).some((l) => l.event === 'up-started')).toBe(true);
    }
  });

  it('5. supervision: always and unless-stopped come back (links dependent too), "no" stays down, on-failure:2 gives up after 2', { timeout: 10 * 60_000 }, async () => {
    const before = await baseline({ v: variant });

    // --- restart: always — SIGKILL the container's init from the host
    const shell = before['upe-shell']!;
    const tKill = Date.now();
    process.kill(shell.pid, 'SIGKILL');
    const shellAgain = await waitFor(
      'upe-shell (restart: always) to be restarted',
      async () => {
        const b = await inspect('upe-shell');
        return b?.running && b.startedAt > shell.startedAt ? b : undefined;
      },
      60_000,
      describeFleet,
    );
    expect(shellAgain.id).toBe(shell.id);
    expect(shellAgain.restartCount, 'RestartCount: the engine, not dom0, restarted it').toBe(0);
    expect(await dom0Log(DOM0, tKill)).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'restart', entry: 'upe-shell' })]));
    console.info(`[up-e2e] upe-shell (always) back ${secs(shellAgain.startedAt - tKill)} after SIGKILL`);

    // --- restart: unless-stopped — `kill 1` inside (init: true, so PID 1 is docker-init); upe-proxy is linked to it
    const api = before['upe-api']!;
    const proxy = before['upe-proxy']!;
    const tApi = Date.now();
    await killPid1('upe-api');
    const [apiAgain, proxyAgain] = await waitFor(
      'upe-api (unless-stopped) and its links dependent upe-proxy to be restarted',
      async () => {
        const a = await inspect('upe-api');
        const p = await inspect('upe-proxy');
        return a?.running && a.startedAt > api.startedAt && p?.running && p.startedAt > proxy.startedAt ? ([a, p] as const) : undefined;
      },
      60_000,
      describeFleet,
    );
    expect(apiAgain.id).toBe(api.id);
    expect(apiAgain.restartCount).toBe(0);
    expect(proxyAgain.id).toBe(proxy.id);
    expect(proxyAgain.startedAt, 'upe-proxy restarted before upe-api').toBeGreaterThanOrEqual(apiAgain.startedAt - TOL_MS);
    console.info(`[up-e2e] upe-api (unless-stopped) back ${secs(apiAgain.startedAt - tApi)} after kill 1; upe-proxy ${secs(proxyAgain.startedAt - apiAgain.startedAt)} after it`);

    // --- restart: "no" — stays down
    const once = before['upe-once']!;
    const tOnce = Date.now();
    await killPid1('upe-once');
    await waitFor('upe-once to exit', async () => (await inspect('upe-once'))?.state === 'exited', 30_000, describeFleet);
    await sleep(10_000);
    const onceAfter = (await inspect('upe-once'))!;
    expect(onceAfter.state, 'upe-once (restart: "no") was restarted').toBe('exited');
    expect(onceAfter.startedAtRaw).toBe(once.startedAtRaw);
    const onceWords = (await dom0Log(DOM0, tOnce)).filter((l) => l.entry === 'upe-once');
    expect(onceWords.length, showLog(onceWords)).toBeGreaterThan(0);
    expect(onceWords.filter((l) => l.event !== 'no-restart'), showLog(onceWords)).toEqual([]);

    // --- restart: on-failure:2 — SIGHUP makes a full apply, which starts upe-flaky and resets its count
    await steady({ v: variant, onceDown: true });
    const rec = await recordEvents();
    const tHup = Date.now();
    await dkOk(['kill', '-s', 'HUP', DOM0]);
    await waitLog('a SIGHUP re-apply', (l) => l.event === 'manifest-reload' && l.why === 'SIGHUP', tHup, 30_000);
    // 1 start by the apply + 2 restarts, each run ~1 s: 60 s is plenty
    await waitFor(
      'upe-flaky to be started three times and to give up',
      async () =>
        (await dom0Log(DOM0, tHup)).some((l) => l.entry === 'upe-flaky' && l.event === 'no-restart') ||
        (rec.events.filter((e) => e.name === 'upe-flaky' && e.action === 'start').length >= 3 &&
          (await inspect('upe-flaky'))?.state === 'exited'),
      60_000,
      async () => showLog(await dom0Log(DOM0, tHup - 2000)),
      500,
    ).catch(() => undefined); // asserted below, with the counts
    await sleep(10_000); // and it stays down
    rec.stop();
    const starts = rec.events.filter((e) => e.name === 'upe-flaky' && e.action === 'start');
    const log = await dom0Log(DOM0, tHup);
    const words = log.filter((l) => l.entry === 'upe-flaky' && (l.event === 'restart' || l.event === 'no-restart'));
    const story = `starts since SIGHUP: ${starts.map((e) => iso(e.at)).join(', ')}\ndom0 log since SIGHUP:\n${showLog(log.filter((l) => l.action !== 'keep' && l.action !== 'done'))}`;
    expect(starts.length, `1 start by the apply + 2 restarts expected\n${story}`).toBe(3);
    // count the restarts done ("restarted"), not the decisions ("restart"): an apply that falls
    // inside a restart delay (a repair, at any time) drops the pending restart and the sweep after
    // it decides again, which logs "restart" a second time for the same death
    expect(log.filter((l) => l.entry === 'upe-flaky' && l.event === 'restarted').length, story).toBe(2);
    const gaveUp = words.filter((l) => l.event === 'no-restart');
    if (gaveUp.length === 0) {
      // the third death went unheard (see the "extra" case: a death during a repair is dropped)
      console.warn(`[up-e2e] upe-flaky: dom0 never logged giving up after its third death\n${story}`);
    } else {
      expect(String(gaveUp[0]!.reason), story).toMatch(/gave up after 2 restarts/);
    }
    const flaky = (await inspect('upe-flaky'))!;
    expect(flaky.state).toBe('exited');
    expect(flaky.exitCode).toBe(1);
    expect(flaky.restartCount).toBe(0);
    expect(Date.now() - flaky.finishedAt, 'upe-flaky ran again after giving up').toBeGreaterThanOrEqual(9_000);
  });

  it('6. docker stop of dom0 returns within 10 s and leaves the fleet running; docker start recreates nothing', { timeout: 6 * 60_000 }, async () => {
    await ensureDom0();
    // upe-once may be down after case 5 (restart: "no"): the next full apply starts it again
    const before = await waitFor(
      'the fleet to be steady',
      async () => {
        for (const onceDown of [false, true]) {
          const r = await steadyProblem({ v: variant, onceDown });
          if (!r.problem) return r.f;
        }
        return undefined;
      },
      STEADY_TIMEOUT_MS,
      describeFleet,
      500,
    );

    const tStop = Date.now();
    const r = await dk(['stop', DOM0], 60_000);
    const stopMs = Date.now() - tStop;
    expect(r.code, explain(r)).toBe(0);
    const d = (await inspect(DOM0))!;
    console.info(`[up-e2e] docker stop ${DOM0}: ${secs(stopMs)}, exit code ${d.exitCode}`);
    expect(d.state).toBe('exited');
    expect(d.exitCode, 'dom0 did not exit on SIGTERM (137 = killed after the stop timeout)').toBe(0);
    expect(stopMs).toBeLessThan(10_000);
    expect(await dom0Log(DOM0, tStop - 1000)).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'up-stopping' })]));

    await sleep(5_000);
    expect(fingerprint(await fleet()), 'the fleet changed while dom0 was stopped').toEqual(fingerprint(before));

    const tStart = Date.now();
    await dkOk(['start', DOM0]);
    await waitLog('dom0 to start', (l) => l.event === 'up-started', tStart, 60_000);
    await applyFinished(tStart);
    const after = await steady({ v: variant });
    expect(idsOf(after), 'docker start of dom0 recreated containers').toEqual(idsOf(before));
    const actions = (await dom0Log(DOM0, tStart)).filter((l) => l.event === 'action').map((l) => `${l.entry}:${l.action}`);
    expect(actions.filter((a) => /:(create|recreate|run|remove)$/.test(a))).toEqual([]);
  });

  it('7. a missing manifest at boot: the fleet comes up from the last-good one in the state volume', { timeout: 8 * 60_000 }, async () => {
    const before = await baseline({ v: variant });
    const stop = await dk(['stop', DOM0], 60_000);
    expect(stop.code, explain(stop)).toBe(0);
    const services = Object.values(before).filter((b) => b.running).map((b) => b.name);
    await dkOk(['stop', '-t', '2', ...services], 120_000);
    const down = await fleet();
    for (const n of services) expect(down[n]!.running, `${n} still running`).toBe(false);

    unlinkSync(file);
    await dkOk(['rm', DOM0]);
    const tRun = Date.now();
    await dkOk(dom0RunArgs()); // a new container, the same state volume

    const lastGood = await waitLog('using-last-good', (l) => l.event === 'using-last-good', tRun, 60_000);
    const log = await dom0Log(DOM0, tRun);
    const invalid = log.find((l) => l.event === 'manifest-invalid');
    expect(invalid, showLog(log)).toBeDefined();
    expect(JSON.stringify(invalid!.diagnostics)).toContain(`${MANIFEST_IN_CONTAINER}:1:1: cannot read manifest: no such file`);
    expect(lastGood.source).toBe(MANIFEST_IN_CONTAINER);
    const up = await steady({ v: variant });
    expect(idsOf(up), 'the last-good manifest recreated containers').toEqual(idsOf(before));
    for (const n of services) expect(up[n]!.startedAt, `${n} was not started from the last-good manifest`).toBeGreaterThan(tRun - TOL_MS);
    console.info(`[up-e2e] last-good manifest applied; fleet up ${secs(Math.max(...services.map((n) => up[n]!.startedAt)) - tRun)} after docker run`);

    // the manifest comes back: dom0 applies it (same content: nothing changes)
    const tBack = Date.now();
    writeByRename(file, fleetYaml(variant));
    await reapplied(tBack, 60_000);
    const back = await steady({ v: variant });
    expect(idsOf(back)).toEqual(idsOf(before));
  });

  it('extra: a service that dies just before a repair (a container removed by hand) is still restarted', { timeout: 6 * 60_000 }, async () => {
    const before = await baseline({ v: variant });
    const victim = variant.extra !== undefined ? 'upe-extra' : 'upe-gone';
    const shell = before['upe-shell']!;
    // removing a managed container by hand schedules a repair 2 s after its destroy event; upe-shell
    // (restart: always) dies 1.2 s after the removal, so the repair starts during its restart delay
    const tRm = Date.now();
    await dkOk(['rm', '-f', victim]);
    await sleep(1200);
    const tKill = Date.now();
    process.kill(shell.pid, 'SIGKILL');

    const recreated = await waitFor(
      `${victim} (removed by hand) to be recreated`,
      async () => {
        const b = await inspect(victim);
        return b?.running && b.id !== before[victim]!.id ? b : undefined;
      },
      60_000,
      describeFleet,
    );
    console.info(`[up-e2e] ${victim} recreated ${secs(recreated.startedAt - tRm)} after docker rm -f`);
    let back: Box | undefined;
    try {
      back = await waitFor(
        'upe-shell (restart: always) to be restarted',
        async () => {
          const b = await inspect('upe-shell');
          return b?.running && b.startedAt > shell.startedAt ? b : undefined;
        },
        60_000,
      );
    } catch {
      back = undefined;
    }
    const log = await dom0Log(DOM0, tRm - 1000);
    if (!back) await dkOk(['kill', '-s', 'HUP', DOM0]); // a full apply starts it, for the next run's sake
    expect(back, `upe-shell was killed at ${iso(tKill)} and not restarted within 60 s; dom0's log:\n${showLog(log)}`).toBeDefined();
    expect(back!.id).toBe(shell.id);
  });

  it('extra: docker stop while an apply waits on a dependency exits on SIGTERM within 10 s', { timeout: 6 * 60_000 }, async () => {
    await baseline({ v: variant });
    // add upe-slow (healthy after ~25 s) and upe-gated behind it: the apply waits ~25 s on the gate
    const t0 = Date.now();
    writeByRename(file, fleetYaml({ ...variant, slow: true }));
    await waitFor('upe-slow to be started by the apply', async () => (await inspect('upe-slow'))?.running, 60_000, describeFleet);
    await sleep(1000);
    const waiting = await dom0Log(DOM0, t0);
    const inFlight = !waiting.some((l) => l.event === 'apply-finished') && !(await inspect('upe-gated'));

    // dom0 gives the apply in flight 8 s of docker's default 10 s: the engine's SIGKILL deadline
    // is moved out of the way (-t 30) so that the CLI's and the engine's own latency under load
    // cannot push dom0 past it; the 10 s are measured on dom0 itself, SIGTERM (up-stopping) to exit
    const tStop = Date.now();
    const r = await dk(['stop', '-t', '30', DOM0], 60_000);
    const stopMs = Date.now() - tStop;
    const d = (await inspect(DOM0))!;
    const log = await dom0Log(DOM0, t0);
    const stopping = log.find((l) => l.event === 'up-stopping');
    const exitMs = stopping ? d.finishedAt - at(stopping) : Number.NaN;
    console.info(`[up-e2e] docker stop during an apply: ${secs(stopMs)} (SIGTERM to exit ${secs(exitMs)}), exit code ${d.exitCode}`);

    // back to the baseline whatever happened: the next boot apply removes upe-slow and upe-gated
    writeByRename(file, fleetYaml(variant));
    await dkOk(['start', DOM0]);
    await steady({ v: variant });

    expect(inFlight, `the apply was not waiting on upe-slow when dom0 was stopped:\n${showLog(log)}`).toBe(true);
    expect(r.code, explain(r)).toBe(0);
    expect(stopping, showLog(log)).toBeDefined();
    expect(d.exitCode, `dom0 did not exit on SIGTERM (137 = SIGKILLed by docker stop after 30 s); stop took ${secs(stopMs)}\n${showLog(log)}`).toBe(0);
    expect(exitMs, `SIGTERM to exit; docker stop took ${secs(stopMs)}\n${showLog(log)}`).toBeLessThan(10_000);
  });
});
