import { describe, expect, it, vi } from 'vitest';
import { loadManifestText } from '../../../src/manifest/load.js';
import { missedRun, nextRun, previousRun, scheduleProblem } from '../../../src/manifest/schedule.js';
import type { JobSchedule } from '../../../src/manifest/types.js';
import { plan } from '../../../src/reconcile/plan.js';
import { JobScheduler } from '../../../src/up/scheduler.js';
import { silentLogger } from '../../../src/log.js';

const daily: JobSchedule = { cron: '0 3 * * *', timezone: 'UTC', catchUp: true };

describe('schedule patterns', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['0 3 * * *', undefined, undefined],
    ['*/5 * * * * *', undefined, undefined], // seconds first
    ['0 3 * * MON-FRI', 'Europe/Berlin', undefined],
    ['@daily', undefined, undefined],
    ['61 3 * * *', undefined, 'invalid cron pattern "61 3 * * *"'],
    ['0 3 * *', undefined, 'invalid cron pattern'],
    ['0 3 * * *', 'Mars/Base', 'unknown time zone "Mars/Base"'],
  ])('%s (%s)', (cron, tz, problem) => {
    const p = scheduleProblem(cron, tz);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  it('next and previous runs, in the time zone', () => {
    expect(nextRun(daily, new Date('2026-11-30T10:00:00Z'))?.toISOString()).toBe('2026-12-01T03:00:00.000Z');
    expect(previousRun(daily, new Date('2026-11-30T10:00:00Z'))?.toISOString()).toBe('2026-11-30T03:00:00.000Z');
    expect(nextRun({ ...daily, timezone: 'Europe/Berlin' }, new Date('2026-11-30T10:00:00Z'))?.toISOString()).toBe('2026-12-01T02:00:00.000Z');
  });

  it.each<[string, boolean, string | undefined, string | undefined]>([
    ['missed while down', true, '2026-11-29T03:00:05Z', '2026-11-30T03:00:00.000Z'],
    ['ran since the last time', true, '2026-11-30T03:00:02Z', undefined],
    ['never ran', true, undefined, '2026-11-30T03:00:00.000Z'],
    ['without catch_up', false, '2026-11-29T03:00:05Z', undefined],
  ])('catch-up: %s', (_w, catchUp, last, want) => {
    const got = missedRun({ ...daily, catchUp }, last ? new Date(last) : undefined, new Date('2026-11-30T10:00:00Z'));
    expect(got?.toISOString()).toBe(want);
  });
});

describe('schedule in the manifest', () => {
  const load = (t: string) => loadManifestText(t, '/srv/x/dom0.yaml', { env: {}, readFile: () => undefined });

  it('short and long forms on a job; never hashed', () => {
    const r = load(`name: s
jobs:
  ja: {image: busybox, schedule: "0 3 * * *"}
  jb: {image: busybox, schedule: {cron: "0 4 * * *", timezone: UTC, catch_up: true}}
`);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.manifest.jobs.map((j) => j.schedule)).toEqual([
      { cron: '0 3 * * *', catchUp: false },
      { cron: '0 4 * * *', timezone: 'UTC', catchUp: true },
    ]);
  });

  it('a service with a schedule, a bad pattern and a bad key are errors at their place', () => {
    const r = load(`name: s
services:
  svc: {image: busybox, schedule: "0 3 * * *"}
jobs:
  jj: {image: busybox, schedule: {cron: "0 3 * * *", every: 1}}
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      expect.stringMatching(/^3: `schedule` is for jobs/),
      expect.stringMatching(/^5: unknown key `every`/),
    ]);
  });
});

describe('plan re-runs a scheduled job when its time came', () => {
  const r = loadManifestText('name: s\njobs:\n  backup: {image: busybox, command: ["true"], schedule: "0 3 * * *"}\n', '/srv/x/dom0.yaml', { env: {}, readFile: () => undefined });
  if (!r.ok) throw new Error('invalid');
  const m = r.manifest;
  const p0 = plan(m, { containers: [], images: {}, imageIds: {}, volumes: [], namedVolumes: [], networks: [] } as never);
  it('a first apply runs it as any job', () => expect(p0.actions.find((a) => a.name === 'backup')?.action).toBe('run'));
});

describe('JobScheduler', () => {
  it('fires each scheduled job at its times and re-arms; a changed schedule re-arms, a removed job stops', () => {
    vi.useFakeTimers({ now: new Date('2026-11-30T10:00:00Z') });
    try {
      const fired: string[] = [];
      const s = new JobScheduler((job, at) => fired.push(`${job}@${at.toISOString().slice(11, 19)}`), silentLogger());
      const m = (cron: string) => ({ jobs: [{ name: 'j', schedule: { cron, catchUp: false } }] }) as never;
      s.update(m('*/10 * * * * *'));
      vi.advanceTimersByTime(25_000);
      expect(fired).toEqual(['j@10:00:10', 'j@10:00:20']);
      s.update(m('*/10 * * * * *')); // unchanged: the timer stays
      s.update(m('0 * * * * *'));
      vi.advanceTimersByTime(40_000);
      expect(fired).toEqual(['j@10:00:10', 'j@10:00:20', 'j@10:01:00']);
      s.update({ jobs: [] } as never);
      vi.advanceTimersByTime(120_000);
      expect(fired).toHaveLength(3);
      s.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
