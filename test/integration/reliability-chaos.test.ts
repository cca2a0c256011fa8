// Reliability under chaos: dom0 is SIGKILLed at a random moment of an apply that creates, recreates
// and removes entries; every RESTART_EVERY-th round the Docker engine is also stopped and started
// in the middle of it. After each round ONE apply must converge. Across all rounds: exactly one
// container per entry, no `*.dom0-next` left anywhere, the volume containers never replaced, every
// kept service still mounting the anonymous volume it started with, and the sentinel files written
// into every volume before the first round byte-for-byte intact.
//
// Runs on its OWN engine (scripts/engine.sh with DOM0_ENGINE_DIR=/tmp/dom0-chaos-engine), started
// here and stopped in afterAll (test/support/private-engine.ts), because restarting the shared test
// engine would break other suites; the few engine helpers needed here take the private engine's client.
//
// Knobs (env): DOM0_CHAOS_ROUNDS (default 5; `bash scripts/chaos.sh` runs 20), DOM0_CHAOS_SEED
// (replay a run: the seed is printed), DOM0_CHAOS_RESTART_EVERY (default 3; 0 = never).

import { writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  collectOutput,
  describeEngine,
  runDom0,
  spawnDom0,
  tmpDir,
  waitForExit,
  waitForOutput,
  writeManifest,
  type RunResult,
} from '../support/engine.js';
import { firstEngineEvent } from '../support/events.js';
import { privateEngine } from '../support/private-engine.js';
import { sleep } from '../../src/backoff.js';

// ------------------------------------------------------------------ knobs

const ROUNDS = intEnv('DOM0_CHAOS_ROUNDS', 5);
const RESTART_EVERY = intEnv('DOM0_CHAOS_RESTART_EVERY', 3);
const SEED = intEnv('DOM0_CHAOS_SEED', Math.floor(Math.random() * 2 ** 31));
const SENTINEL_BYTES = 128 * 1024;

const ENGINE_DIR = process.env.DOM0_CHAOS_ENGINE_DIR || '/tmp/dom0-chaos-engine';
const ENGINE_POOL = process.env.DOM0_CHAOS_ENGINE_ADDRESS_POOL || 'base=10.217.0.0/16,size=24';
const engine = privateEngine(ENGINE_DIR, ENGINE_POOL, { clientTimeoutMs: 30_000, shTimeoutMs: 5 * 60_000 });
const ENGINE_HOST = engine.host;
const engineSh = engine.sh;
const engineShOk = engine.shOk;
/** dockerode on the private engine. */
const pd = engine.client;
const BUSYBOX = 'busybox:latest';

const FLEET = 'dom0-rel-chaos';
const VOLUME_CONTAINERS = ['chx-data', 'chx-conf'];
const JOB = 'chx-seed';
/** In every variant; their env changes every round, so every round recreates them. */
const CORE = ['chx-web', 'chx-api', 'chx-worker', 'chx-cache'];
/** Come and go: variant v has EXTRAS[v]. */
const EXTRAS: string[][] = [
  ['chx-extra1', 'chx-extra3'],
  ['chx-extra1', 'chx-extra2'],
  ['chx-extra2', 'chx-extra3'],
];

function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0, not "${v}"`);
  return n;
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with DOM0_CHAOS_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

// ------------------------------------------------------------------ the manifest

/** Variant round % 3; GEN changes every round (recreates the core), V with the variant. */
function manifestYaml(round: number): string {
  const v = round % 3;
  const svc = (name: string, env: Record<string, string>, extra = '') => `
  ${name}:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo ${name} up; exec sleep 2147483647"]
    init: true
    volumes: ["/state"]
    environment: {${Object.entries(env).map(([k, val]) => `${k}: "${val}"`).join(', ')}}${extra}`;
  return `# reliability-chaos.test.ts, round ${round} (variant ${v})
version: 1
name: ${FLEET}

volume_containers:
  chx-data: {image: ${BUSYBOX}, paths: [/data]}
  chx-conf: {image: ${BUSYBOX}, paths: [/conf, /keys]}

jobs:
  ${JOB}:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo seed-$$SEED_GEN >> /data/seed-runs; sleep 1"]
    volumes_from: [chx-data]
    environment: {SEED_GEN: "${v === 2 ? 'two' : 'one'}"}

services:${svc('chx-cache', { V: String(v) }, `
    healthcheck: {test: ["CMD", "true"], interval: 1s, timeout: 2s, retries: 3}`)}${svc('chx-web', { GEN: String(round) }, `
    volumes_from: ["chx-data:ro"]
    depends_on:
      ${JOB}: {condition: service_completed_successfully}`)}${svc('chx-api', { GEN: String(round), V: String(v) }, `
    volumes_from: [chx-conf]
    depends_on:
      chx-web: {condition: service_started}
      chx-cache: {condition: service_healthy}`)}${svc('chx-worker', { GEN: String(round) })}${EXTRAS[v]!
    .map((n) => svc(n, { V: String(v) }))
    .join('')}
`;
}

const expectedEntries = (round: number) =>
  [...VOLUME_CONTAINERS, JOB, ...CORE, ...EXTRAS[round % 3]!].sort();

// ------------------------------------------------------------------ the private engine



/** The CLI on the private engine. */
const dom0Env = { DOCKER_HOST: ENGINE_HOST };
const dom0 = (args: string[], timeoutMs = 120_000) => runDom0(args, { env: dom0Env, timeoutMs });

interface Box {
  name: string;
  id: string;
  entry?: string;
  kind?: string;
  state: string;
  running: boolean;
  exitCode: number;
  env: string[];
  mounts: Array<{ name?: string; destination: string; type?: string }>;
}

/** Every container on the private engine, inspected. */
async function allContainers(): Promise<Box[]> {
  const out: Box[] = [];
  for (const c of await pd().listContainers({ all: true })) {
    let i: Docker.ContainerInspectInfo;
    try {
      i = await pd().getContainer(c.Id).inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) continue;
      throw e;
    }
    out.push({
      name: i.Name.replace(/^\//, ''),
      id: i.Id,
      entry: i.Config.Labels?.['io.dom0.name'],
      kind: i.Config.Labels?.['io.dom0.kind'],
      state: i.State.Status,
      running: i.State.Running,
      exitCode: i.State.ExitCode,
      env: i.Config.Env ?? [],
      mounts: i.Mounts.map((m) => ({ name: m.Name, destination: m.Destination, type: m.Type })),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Runs a throwaway busybox container (no network) with the given binds; returns its stdout. */
async function helper(cmd: string, binds: string[]): Promise<string> {
  const d = pd();
  const c = await d.createContainer({
    Image: BUSYBOX,
    Cmd: ['sh', '-c', cmd],
    Labels: { 'dom0-test.role': 'chaos-helper' },
    HostConfig: { NetworkMode: 'none', Binds: binds },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const buf = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    let stdout = '';
    let stderr = '';
    for (let off = 0; off + 8 <= buf.length; ) {
      const size = buf.readUInt32BE(off + 4);
      const payload = buf.subarray(off + 8, off + 8 + size).toString('utf8');
      if (buf[off] === 2) stderr += payload;
      else stdout += payload;
      off += 8 + size;
    }
    if (StatusCode !== 0) throw new Error(`helper \`${cmd}\` exited ${StatusCode}: ${stderr}${stdout}`);
    return stdout;
  } finally {
    await c.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/** Empties the private engine of everything this suite (or an earlier run of it) left. */
async function wipeEngine(): Promise<void> {
  const d = pd();
  for (const c of await d.listContainers({ all: true })) {
    await d.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  }
  await d.pruneVolumes().catch(() => undefined);
  for (const n of await d.listNetworks({ filters: { label: [`io.dom0.fleet=${FLEET}`] } })) {
    await d.getNetwork(n.Id).remove().catch(() => undefined);
  }
}

/**
 * Resolves on the first container event `action` of the fleet on a replacement (`*.dom0-next`) or,
 * with replacement=false, on one of the core services' old containers (so a destroy is that of a
 * recreate — the old one gone, the replacement not yet renamed — not an orphan's removal).
 */
function engineEvent(action: 'create' | 'destroy', replacement: boolean): Promise<{ promise: Promise<string>; stop: () => void }> {
  // the engine restart breaks the stream; the race in the round times out
  return firstEngineEvent(pd(), FLEET, [action], (e, name) => {
    const hit = replacement ? name.endsWith('.dom0-next') : CORE.includes(name);
    return e.Action === action && hit ? `${action} ${name}` : undefined;
  });
}

// ------------------------------------------------------------------ rounds

type Moment =
  | { after: 'delay'; ms: number }
  | { after: 'action'; nth: number }
  | { after: 'event'; action: 'create' | 'destroy'; replacement: boolean };

const describeMoment = (m: Moment) =>
  m.after === 'delay'
    ? `${m.ms} ms after apply-started`
    : m.after === 'action'
      ? `after action line #${m.nth}`
      : `on the first ${m.action} of ${m.replacement ? 'a *.dom0-next replacement' : "a recreated service's old container"}`;

interface PlanJson {
  actions: Array<{ name: string; kind: string; action: string; reasons: string[] }>;
}
interface ApplyJson {
  converged: boolean;
  actions: Array<{ name: string; action: string; status: string; error?: string }>;
}

function explain(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

interface Totals {
  rounds: number;
  interruptedRounds: number;
  finishedBeforeKill: number;
  actionsPlanned: number;
  actionsLoggedBeforeKill: number;
  replacementsLeftMidway: number;
  engineRestarts: number;
  startedByRecoveryApply: number;
  sentinelBytesVerified: number;
  failures: string[];
}

describeEngine('reliability: chaos (SIGKILL and engine restarts mid-apply)', () => {
  let dir: string;
  let file: string;
  /** Sentinels: a bind spec per volume (by name) and its sha256. */
  const sentinels: Array<{ what: string; volume: string; sha: string }> = [];
  /** Volume containers' ids and volume names: never change. */
  const volumeContainers: Record<string, { id: string; volumes: string[] }> = {};
  /** The anonymous /state volume of each service that is in every variant. */
  const coreVolume: Record<string, string> = {};
  let engineStarted = false;
  let fullApplyMs = 0;

  beforeAll(async () => {
    const ms = await engineShOk('start');
    engineStarted = true;
    console.info(`[chaos] private engine ${ENGINE_HOST} ready in ${ms} ms; seed ${SEED}, ${ROUNDS} rounds`);
    await wipeEngine();
    dir = tmpDir('dom0-rel-chaos-');
    file = writeManifest(dir, manifestYaml(0));
    const t0 = Date.now();
    const r = await dom0(['apply', '--json', '--timeout', '60', '-f', file]);
    fullApplyMs = Date.now() - t0;
    if (r.code !== 0) throw new Error(`initial apply failed: ${explain(r)}`);

    // sentinels in every volume container's volumes and every service's anonymous volume
    const boxes = await allContainers();
    const targets: Array<{ what: string; volume: string }> = [];
    for (const b of boxes) {
      if (!b.entry) continue;
      if (b.kind === 'volume') {
        volumeContainers[b.entry] = { id: b.id, volumes: b.mounts.map((m) => m.name!).sort() };
        for (const m of b.mounts) targets.push({ what: `${b.entry}:${m.destination}`, volume: m.name! });
      } else if (b.kind === 'service') {
        const m = b.mounts.find((x) => x.destination === '/state');
        if (!m?.name) throw new Error(`${b.name} has no /state volume: ${JSON.stringify(b.mounts)}`);
        if (CORE.includes(b.entry)) coreVolume[b.entry] = m.name;
        targets.push({ what: `${b.entry}:/state`, volume: m.name });
      }
    }
    expect(Object.keys(volumeContainers).sort()).toEqual([...VOLUME_CONTAINERS].sort());
    expect(Object.keys(coreVolume).sort()).toEqual([...CORE].sort());
    const write = targets
      .map((_, i) => `head -c ${SENTINEL_BYTES} /dev/urandom > /v/${i}/.dom0-sentinel && sync`)
      .concat(targets.map((_, i) => `sha256sum /v/${i}/.dom0-sentinel`))
      .join(' && ');
    const out = await helper(write, targets.map((t, i) => `${t.volume}:/v/${i}`));
    const shas = out.trim().split('\n').map((l) => l.split(/\s+/)[0]!);
    targets.forEach((t, i) => sentinels.push({ ...t, sha: shas[i]! }));
    expect(sentinels.every((s) => /^[0-9a-f]{64}$/.test(s.sha))).toBe(true);
    console.info(
      `[chaos] initial apply ${fullApplyMs} ms; ${sentinels.length} sentinels of ${SENTINEL_BYTES} B: ` +
        sentinels.map((s) => s.what).join(', '),
    );
  }, 10 * 60_000);

  afterAll(async () => {
    if (!engineStarted) return;
    try {
      await wipeEngine();
    } finally {
      const r = await engineSh('stop');
      console.info(`[chaos] private engine stopped (exit ${r.code}, ${r.ms} ms)`);
    }
  }, 5 * 60_000);

  /** Every invariant after a converged apply of `round`; returns violations (empty = fine). */
  async function check(round: number, totals: Totals): Promise<string[]> {
    const bad: string[] = [];
    const boxes = await allContainers();
    const perEntry: Record<string, string[]> = {};
    for (const b of boxes) if (b.entry) (perEntry[b.entry] ??= []).push(b.name);
    for (const [entry, names] of Object.entries(perEntry)) {
      if (names.length !== 1 || names[0] !== entry) bad.push(`entry ${entry} has containers ${names.join(', ')}`);
    }
    const want = expectedEntries(round);
    const have = Object.keys(perEntry).sort();
    if (JSON.stringify(have) !== JSON.stringify(want)) bad.push(`entries ${have.join(',')} ≠ expected ${want.join(',')}`);
    const next = boxes.filter((b) => b.name.endsWith('.dom0-next')).map((b) => b.name);
    if (next.length) bad.push(`left behind: ${next.join(', ')}`);
    const strays = boxes.filter((b) => !b.entry).map((b) => b.name);
    if (strays.length) bad.push(`unlabelled containers: ${strays.join(', ')}`);

    for (const b of boxes) {
      if (!b.entry) continue;
      if (b.kind === 'volume') {
        const vc = volumeContainers[b.entry]!;
        if (b.id !== vc.id) bad.push(`volume container ${b.entry} was replaced (${vc.id.slice(0, 12)} → ${b.id.slice(0, 12)})`);
        const vols = b.mounts.map((m) => m.name!).sort();
        if (JSON.stringify(vols) !== JSON.stringify(vc.volumes)) bad.push(`volume container ${b.entry} mounts ${vols} ≠ ${vc.volumes}`);
        if (b.state !== 'created') bad.push(`volume container ${b.entry} is ${b.state}`);
      } else if (b.kind === 'job') {
        if (b.state !== 'exited' || b.exitCode !== 0) bad.push(`job ${b.entry} is ${b.state} (exit ${b.exitCode})`);
      } else {
        if (!b.running) bad.push(`service ${b.entry} is ${b.state} (exit ${b.exitCode})`);
        if (CORE.includes(b.entry) && b.entry !== 'chx-cache' && !b.env.includes(`GEN=${round}`)) {
          bad.push(`service ${b.entry} does not run round ${round}'s config: ${b.env.join(' ')}`);
        }
        if (!b.env.includes(`V=${round % 3}`) && b.entry !== 'chx-web' && b.entry !== 'chx-worker') {
          bad.push(`service ${b.entry} does not run variant ${round % 3}'s config: ${b.env.join(' ')}`);
        }
        const m = b.mounts.find((x) => x.destination === '/state');
        if (coreVolume[b.entry] && m?.name !== coreVolume[b.entry]) {
          bad.push(`service ${b.entry} mounts ${m?.name} at /state, not its original volume ${coreVolume[b.entry]}`);
        }
      }
    }

    // sentinels, read back through one helper container mounting every volume by name
    try {
      const out = await helper(
        sentinels.map((_, i) => `sha256sum /v/${i}/.dom0-sentinel && wc -c < /v/${i}/.dom0-sentinel`).join(' && '),
        sentinels.map((s, i) => `${s.volume}:/v/${i}:ro`),
      );
      const lines = out.trim().split('\n');
      sentinels.forEach((s, i) => {
        const sha = lines[2 * i]?.split(/\s+/)[0];
        const size = Number(lines[2 * i + 1]?.trim());
        if (sha !== s.sha || size !== SENTINEL_BYTES) bad.push(`sentinel ${s.what} (${s.volume}): sha ${sha} size ${size}`);
        else totals.sentinelBytesVerified += size;
      });
    } catch (e) {
      bad.push(`sentinels unreadable: ${(e as Error).message}`);
    }

    // settled: a second plan changes nothing
    const p = await dom0(['plan', '--json', '-f', file]);
    if (p.code !== 0) bad.push(`plan after convergence: ${explain(p)}`);
    else {
      const moving = (JSON.parse(p.stdout) as PlanJson).actions.filter((a) => a.action !== 'keep' && a.action !== 'done');
      if (moving.length) bad.push(`not settled: ${moving.map((a) => `${a.name} ${a.action} (${a.reasons.join('; ')})`).join(', ')}`);
    }
    return bad;
  }

  it(
    `${ROUNDS} rounds of SIGKILL mid-apply (${RESTART_EVERY ? `engine restarted every ${RESTART_EVERY} rounds` : 'no engine restarts'}), each followed by one converging apply`,
    { timeout: 5 * 60_000 + ROUNDS * 90_000 },
    async () => {
      const totals: Totals = {
        rounds: 0,
        interruptedRounds: 0,
        finishedBeforeKill: 0,
        actionsPlanned: 0,
        actionsLoggedBeforeKill: 0,
        replacementsLeftMidway: 0,
        engineRestarts: 0,
        startedByRecoveryApply: 0,
        sentinelBytesVerified: 0,
        failures: [],
      };
      // the sentinels are intact before anything happens (and the check itself works)
      const before = await check(0, totals);
      expect(before, 'state before the first round').toEqual([]);

      for (let round = 1; round <= ROUNDS; round++) {
        const restartEngine = RESTART_EVERY > 0 && round % RESTART_EVERY === 0;
        writeFileSync(file, manifestYaml(round));
        const p = await dom0(['plan', '--json', '-f', file]);
        if (p.code !== 0) throw new Error(`plan of round ${round}: ${explain(p)}`);
        const planned = (JSON.parse(p.stdout) as PlanJson).actions.filter((a) => a.action !== 'keep' && a.action !== 'done');
        const kinds = new Set(planned.map((a) => a.action));
        for (const k of ['create', 'recreate', 'remove']) {
          if (!kinds.has(k)) throw new Error(`round ${round}: the plan has no ${k}: ${JSON.stringify(planned)}`);
        }

        const moment: Moment = pick([
          // a round's apply takes 2-5 s (longer on a loaded machine): a delay up to 2.5 s lands inside it
          { after: 'delay', ms: between(0, Math.min(2500, Math.max(300, Math.round(fullApplyMs * 0.6)))) },
          { after: 'action', nth: between(1, planned.length - 1) },
          { after: 'event', action: 'create', replacement: true },
          { after: 'event', action: 'destroy', replacement: false },
        ] satisfies Moment[]);
        const killFirst = random() < 0.5;
        const killLagMs = between(0, 1500);

        // ---- the interrupted apply
        const watch = moment.after === 'event' ? await engineEvent(moment.action, moment.replacement) : undefined;
        const child = spawnDom0(['apply', '--concurrency', '3', '--timeout', '60', '-f', file], { env: dom0Env });
        const out = collectOutput(child);
        let seen = '';
        try {
          if (moment.after === 'action') {
            const re = new RegExp(`("event":"action"[^\\n]*\\n[^]*){${moment.nth}}`);
            await waitForOutput(child, out, re, 60_000).catch(() => undefined);
          } else if (moment.after === 'event') {
            seen = await Promise.race([
              watch!.promise,
              waitForExit(child).then(() => '(apply exited first)'),
              sleep(60_000).then(() => '(no such event within 60 s)'),
            ]);
          } else {
            await waitForOutput(child, out, '"event":"apply-started"', 60_000).catch(() => undefined);
            await sleep(moment.ms);
          }
        } finally {
          watch?.stop();
        }
        const runningAtMoment = child.exitCode === null && child.signalCode === null;
        const plannedNames = new Set(planned.map((a) => a.name));
        /** "action" log lines so far of the entries this apply had to change (not keep/done). */
        const countActions = () =>
          out.stderr
            .split('\n')
            .filter((l) => l.includes('"event":"action"'))
            .filter((l) => plannedNames.has(/"entry":"([^"]+)"/.exec(l)?.[1] ?? '')).length;
        let actionsSeen = 0;
        let stopMs = 0;
        let startMs = 0;
        let order = 'SIGKILL';
        if (!restartEngine) {
          actionsSeen = countActions();
          child.kill('SIGKILL');
        } else if (killFirst) {
          actionsSeen = countActions();
          child.kill('SIGKILL');
          stopMs = await engineShOk('stop');
          order = 'SIGKILL, then engine stop';
        } else {
          // the engine goes away under a live dom0, which is killed a moment later
          const stopping = engineShOk('stop');
          await Promise.race([sleep(killLagMs), stopping]);
          actionsSeen = countActions();
          order = child.exitCode === null && child.signalCode === null ? `engine stop, SIGKILL ${killLagMs} ms later` : `engine stop (dom0 exited ${child.exitCode} by itself)`;
          child.kill('SIGKILL');
          stopMs = await stopping;
        }
        const exit = await waitForExit(child);
        if (!runningAtMoment && exit.code !== 0) {
          // the apply ended by itself, unsuccessfully, before it was killed: say why
          const why = out.stderr.split('\n').filter((l) => l && !l.startsWith('{"level":30')).join('\n');
          console.warn(`[chaos] round ${round}: the apply exited ${exit.code} by itself before the kill moment:\n${why.slice(-3000)}`);
        }
        if (restartEngine) {
          startMs = await engineShOk('start');
          totals.engineRestarts++;
        }

        const midway = await allContainers();
        const leftovers = midway.filter((b) => b.name.endsWith('.dom0-next')).map((b) => b.name);
        // what the engine restart stopped (a kill alone can also leave a replacement created, not started)
        const stoppedServices = restartEngine
          ? midway.filter((b) => b.kind === 'service' && !b.running && !b.name.endsWith('.dom0-next'))
          : [];
        totals.rounds++;
        totals.actionsPlanned += planned.length;
        totals.actionsLoggedBeforeKill += actionsSeen;
        totals.replacementsLeftMidway += leftovers.length;
        if (runningAtMoment) totals.interruptedRounds++;
        else totals.finishedBeforeKill++;

        // ---- recovery: ONE apply converges
        const r = await dom0(['apply', '--json', '--timeout', '60', '-f', file]);
        const bad: string[] = [];
        if (r.code !== 0) bad.push(`recovery apply: ${explain(r)}`);
        else {
          const res = JSON.parse(r.stdout) as ApplyJson;
          if (!res.converged) bad.push(`recovery apply did not converge: ${r.stdout}`);
          const restarted = res.actions.filter((a) => stoppedServices.some((s) => s.entry === a.name) && a.status === 'ok');
          totals.startedByRecoveryApply += restarted.length;
        }
        bad.push(...(await check(round, totals)));
        for (const b of bad) totals.failures.push(`round ${round}: ${b}`);

        console.info(
          `[chaos] round ${round}/${ROUNDS} (variant ${round % 3}): ${order} ${describeMoment(moment)}${seen ? ` (${seen})` : ''} ` +
            `→ ${exit.signal ?? `exit ${exit.code}`}, ${runningAtMoment ? 'mid-apply' : 'AFTER the apply finished'}; ` +
            `${actionsSeen}/${planned.length} actions logged; midway: ${leftovers.length ? leftovers.join(', ') : 'no replacements'}` +
            `${restartEngine ? `, ${stoppedServices.length} services stopped by the engine restart (stop ${stopMs} ms, start ${startMs} ms)` : ''}; ` +
            `recovery ${bad.length ? `FAILED: ${bad.join(' | ')}` : 'ok'}`,
        );
      }

      console.info(
        `[chaos] SUMMARY seed=${SEED} rounds=${totals.rounds} interrupted=${totals.interruptedRounds} ` +
          `(finished-before-kill=${totals.finishedBeforeKill}) actions-logged-before-kill=${totals.actionsLoggedBeforeKill}/${totals.actionsPlanned} ` +
          `replacements-left-midway=${totals.replacementsLeftMidway} engine-restarts=${totals.engineRestarts} ` +
          `services-started-after-restart=${totals.startedByRecoveryApply} sentinel-bytes-verified=${totals.sentinelBytesVerified} ` +
          `failures=${totals.failures.length}`,
      );
      expect(totals.failures).toEqual([]);
      expect(totals.rounds).toBe(ROUNDS);
      // the rounds prove something only when most kills land mid-apply
      expect(totals.interruptedRounds, 'kills that landed while the apply ran').toBeGreaterThanOrEqual(Math.ceil(ROUNDS / 2));
    },
  );
});
