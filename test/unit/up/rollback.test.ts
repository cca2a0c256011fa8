// Rollback on failed readiness: the pure judgement (src/up/rollback.ts), the window's death count
// (src/up/rollback-watch.ts) and the state files behind it (last-healthy, bad manifests, the
// rollback in force).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/engine/engine.js';
import type { Manifest } from '../../../src/manifest/types.js';
import {
  CRASH_LOOP_DEATHS,
  describeState,
  isReady,
  judgeReadiness,
  type Observation,
  parseRollbackAfter,
  stableAfterMs,
  watchedServices,
} from '../../../src/up/rollback.js';
import { ReadinessWatch } from '../../../src/up/rollback-watch.js';
import { Journal } from '../../../src/up/journal.js';
import { renderMetrics } from '../../../src/up/metrics.js';
import { sha256, StateDir, StateFileError } from '../../../src/up/state-dir.js';

const run: Observation = { state: 'running' };
const healthy: Observation = { state: 'running', health: 'healthy' };
const unhealthy: Observation = { state: 'running', health: 'unhealthy' };
const starting: Observation = { state: 'running', health: 'starting' };
const exited1: Observation = { state: 'exited', exitCode: 1 };
const missing: Observation = { state: 'missing' };
const obs = (o: Record<string, Observation>) => new Map(Object.entries(o));

describe('isReady / describeState', () => {
  it.each([
    [run, true, 'running'],
    [healthy, true, 'running'],
    [unhealthy, false, 'running (unhealthy)'],
    [starting, false, 'running (starting)'],
    [exited1, false, 'exited (1)'],
    [{ state: 'restarting' }, false, 'restarting'],
    [missing, false, 'missing'],
    [undefined, false, 'missing'],
  ] as const)('%j → ready %s, "%s"', (o, ready, text) => {
    expect(isReady(o)).toBe(ready);
    expect(describeState(o)).toBe(text);
  });
});

describe('watchedServices', () => {
  it.each([
    ['ready before: watched', { a: run }, ['a'], ['a']],
    ['healthy before: watched', { a: healthy }, ['a'], ['a']],
    ['new (no container before): watched', {}, ['a'], ['a']],
    ['missing before: watched as new', { a: missing }, ['a'], ['a']],
    ['already down before: not watched', { a: exited1 }, ['a'], []],
    ['already unhealthy before: not watched', { a: unhealthy }, ['a'], []],
    ['still starting before: not watched', { a: starting }, ['a'], []],
    ['removed by the change: not watched', { a: run, gone: run }, ['a'], ['a']],
  ] as const)('%s', (_what, before, services, watched) => {
    expect(watchedServices(obs(before), services)).toEqual(watched);
  });
});

describe('judgeReadiness', () => {
  const deadlineMs = 3000;
  it.each([
    ['before the deadline, no deaths: wait', ['a'], undefined, {}, 1000, 'wait', []],
    ['before the deadline, one death: wait', ['a'], undefined, { a: 1 }, 1000, 'wait', []],
    ['before the deadline, crash-looping: rollback at once', ['a'], undefined, { a: CRASH_LOOP_DEATHS }, 1000, 'rollback', ['a']],
    ['crash loop of an unwatched service: wait', ['a'], undefined, { b: 9 }, 1000, 'wait', []],
    ['at the deadline, all ready: ok', ['a', 'b'], { a: run, b: healthy }, {}, 3000, 'ok', []],
    ['at the deadline, exited: rollback', ['a', 'b'], { a: run, b: exited1 }, {}, 3000, 'rollback', ['b']],
    ['at the deadline, unhealthy: rollback', ['a'], { a: unhealthy }, {}, 3000, 'rollback', ['a']],
    ['at the deadline, health still starting: rollback', ['a'], { a: starting }, {}, 3500, 'rollback', ['a']],
    ['at the deadline, a new service missing: rollback', ['a'], { a: missing }, {}, 3000, 'rollback', ['a']],
    ['at the deadline, died twice but running now: ok', ['a'], { a: run }, { a: 2 }, 3000, 'ok', []],
    ['an unwatched service down: ok', ['a'], { a: run, b: exited1 }, {}, 3000, 'ok', []],
    ['nothing watched: ok', [], {}, {}, 3000, 'ok', []],
  ] as const)('%s', (_what, watched, now, deaths, elapsedMs, verdict, failing) => {
    const v = judgeReadiness({ watched, now: now ? obs(now) : undefined, deaths: new Map(Object.entries(deaths)), elapsedMs, deadlineMs });
    expect(v.verdict).toBe(verdict);
    expect(v.verdict === 'rollback' ? v.failures.map((f) => f.service) : []).toEqual(failing);
  });

  it.each([
    ['died twice, the last 0.5 s ago: not settled', { a: 2 }, { a: 500 }, 'rollback'],
    ['died once, up 2 s since: settled', { a: 1 }, { a: 2000 }, 'ok'],
    ['died once, up exactly half the window: settled', { a: 1 }, { a: 1500 }, 'ok'],
  ] as const)('running at the deadline but %s', (_what, deaths, since, verdict) => {
    const v = judgeReadiness({
      watched: ['a'],
      now: obs({ a: run }),
      deaths: new Map(Object.entries(deaths)),
      sinceLastDeathMs: new Map(Object.entries(since)),
      elapsedMs: 3000,
      deadlineMs,
    });
    expect(v.verdict).toBe(verdict);
    if (v.verdict === 'rollback') expect(v.failures[0]!.why).toBe('not settled: died 2 times, the last 0.5 s ago (needs 1.5 s up)');
  });

  it.each([
    [3000, 1500],
    [120_000, 10_000],
  ])('a %i ms window needs %i ms up after a death', (window, stable) => expect(stableAfterMs(window)).toBe(stable));

  it('says why, with the state and the deaths', () => {
    const v = judgeReadiness({ watched: ['web'], now: obs({ web: exited1 }), deaths: new Map([['web', 2]]), elapsedMs: 3000, deadlineMs });
    expect(v).toEqual({ verdict: 'rollback', failures: [{ service: 'web', state: 'exited (1)', why: 'not ready 3 s after the apply (died 2 times)' }] });
    const loop = judgeReadiness({ watched: ['web'], deaths: new Map([['web', 3]]), elapsedMs: 10, deadlineMs });
    expect(loop).toEqual({ verdict: 'rollback', failures: [{ service: 'web', state: 'missing', why: 'crash-looping: died 3 times since the apply' }] });
  });

  it('needs observations once the deadline passed', () => {
    expect(() => judgeReadiness({ watched: ['a'], deaths: new Map(), elapsedMs: 5000, deadlineMs })).toThrow(/observations/);
  });
});

describe('parseRollbackAfter', () => {
  const ms = (v: string) => (v === '3s' ? 3000 : v === '2m' ? 120_000 : Number.NaN);
  it.each([
    ['off', 0],
    ['OFF', 0],
    ['0', 0],
    ['3s', 3000],
    ['2m', 120_000],
  ])('%s → %i ms', (v, want) => expect(parseRollbackAfter(v, ms)).toBe(want));
});

describe('ReadinessWatch', () => {
  const manifest = { services: [{ name: 'web', containerName: 'rb-web' }, { name: 'db', containerName: 'rb-db' }] } as unknown as Manifest;
  const die = (name: string, atMs: number): EngineEvent => ({ type: 'container', action: 'die', id: 'x', attributes: { name, exitCode: '1' }, timeNano: atMs * 1e6 });

  it('counts deaths of watched services after begin(), and is due on a crash loop or the deadline', () => {
    const w = new ReadinessWatch('h', Buffer.from(''), new Map(), ['web'], 3000, manifest);
    w.onEvent(die('rb-web', Date.now())); // the apply's own stop, before begin()
    w.begin(true, 1000);
    w.onEvent(die('rb-web', 999)); // still before
    w.onEvent(die('rb-db', 1100)); // not watched
    w.onEvent({ ...die('rb-web', 1200), action: 'start' });
    expect(w.deaths.size).toBe(0);
    for (let i = 0; i < CRASH_LOOP_DEATHS - 1; i++) w.onEvent(die('rb-web', 1200 + i));
    expect(w.deaths.get('web')).toBe(CRASH_LOOP_DEATHS - 1);
    expect(w.due(2000)).toBe(false);
    expect(w.due(4000)).toBe(true);
    w.onEvent(die('rb-web', 1300));
    expect(w.due(2000)).toBe(true);
    expect(w.sinceLastDeath(2000)).toEqual(new Map([['web', 700]]));
  });
});

describe('StateDir: last-healthy, bad manifests, the rollback in force', () => {
  const root = mkdtempSync(join(tmpdir(), 'dom0-rollback-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => new StateDir(join(root, `s${n++}`));
  const bad = (hash: string) => ({ sha256: hash, since: '2026-01-01T00:00:00.000Z', rolledBackTo: 'good', failures: [{ service: 'web', state: 'exited (1)', why: 'x' }] });

  it('last-healthy keeps the exact bytes, apart from last-good, and a corrupt file is an error', () => {
    const s = fresh();
    expect(s.loadLastHealthy()).toBeUndefined();
    s.saveLastGood('/m.yaml', Buffer.from('two\n'));
    s.saveLastHealthy('/m.yaml', Buffer.from('one\n'));
    expect(s.loadLastHealthy()).toMatchObject({ text: 'one\n', sha256: sha256('one\n'), source: '/m.yaml' });
    expect(s.loadLastGood()!.text).toBe('two\n');
    writeFileSync(join(s.dir, 'last-healthy.json'), '{"text":"one');
    expect(() => s.loadLastHealthy()).toThrow(StateFileError);
  });

  it('marks hashes bad, keeps them across instances, forgets the oldest past 50', () => {
    const s = fresh();
    expect(s.badManifest('a')).toBeUndefined();
    s.markBad(bad('a'));
    expect(new StateDir(s.dir).badManifest('a')).toMatchObject({ rolledBackTo: 'good' });
    expect(s.badManifest('b')).toBeUndefined();
    for (let i = 0; i < 55; i++) s.markBad(bad(`h${i}`));
    expect(s.badManifest('a')).toBeUndefined();
    expect(s.badManifest('h54')).toBeDefined();
    expect(Object.keys(s.badManifests())).toHaveLength(50);
  });

  it('an unreadable bad-manifests file counts as none', () => {
    const s = fresh();
    s.markBad(bad('a'));
    writeFileSync(join(s.dir, 'bad-manifests.json'), 'garbage');
    expect(s.badManifest('a')).toBeUndefined();
  });

  it('the rollback in force is saved and cleared', () => {
    const s = fresh();
    expect(s.loadRollback()).toBeUndefined();
    s.saveRollback(bad('a'));
    expect(s.loadRollback()).toEqual(bad('a'));
    s.saveRollback(undefined);
    expect(s.loadRollback()).toBeUndefined();
    s.saveRollback(undefined); // none in force: no error
  });
});

describe('journal and /metrics', () => {
  const hash = 'ab'.repeat(32);
  it.each([
    ['nothing yet', [], 0, undefined],
    ['a rollback', [{ event: 'rollback', level: 50, manifest: hash, since: 'T', rolledBackTo: 'cd'.repeat(32), services: [{ service: 'web', state: 'exited (1)', why: 'x' }] }], 1, hash],
    ['a boot on last-healthy (no new rollback)', [{ event: 'using-last-healthy', level: 40, manifest: hash, since: 'T', services: [] }], 0, hash],
    ['a rollback, then another manifest applied', [{ event: 'rollback', level: 50, manifest: hash, since: 'T', services: [] }, { event: 'rollback-cleared', manifest: 'ef' }], 1, undefined],
  ] as const)('%s', (_what, logged, total, bad) => {
    const j = new Journal();
    for (const o of logged) j.record({ ...o });
    expect(j.rollback?.manifest).toBe(bad);
    const m = renderMetrics(j, [], 'f');
    expect(m).toContain(`\ndom0_rollbacks_total ${total}\n`);
    expect(m).toContain(bad ? `\ndom0_manifest_bad{manifest="${bad.slice(0, 12)}"} 1\n` : '\ndom0_manifest_bad 0\n');
  });
});
