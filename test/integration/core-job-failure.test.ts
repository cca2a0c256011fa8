// A job that exits 1: apply exits 1, everything that depends on it (transitively) is skipped and
// never created, and unrelated services still run.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine } from '../support/engine.js';
import {
  actionsByName,
  applyJson,
  cleanupFleetAndVolumes,
  fleetByName,
  inspectOrUndefined,
  logLines,
  manifestFile,
  planJson,
  renderFixture,
  statusJson,
  type ApplyJson,
  type Ran,
} from './fixtures/core-helpers.js';

const FLEET = 'dom0-core-jobfail';
const SKIPPED = ['cjf-next', 'cjf-after', 'cjf-after2'];
const FREE = ['cjf-free', 'cjf-free-job-user'];

describeEngine('core: a failing job', () => {
  let file: string;
  let r: Ran<ApplyJson>;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-job-failure.yaml'));
    r = await applyJson(file, [], 1);
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('apply exits 1 and says it did not converge', () => {
    expect(r.code).toBe(1);
    expect(r.json.converged).toBe(false);
    expect(r.stderr).toMatch(/did not converge/);
    const finished = logLines(r.stderr).find((l) => l.event === 'apply-finished');
    expect(finished).toMatchObject({ converged: false });
  });

  it('reports the job failed, with its exit code and last log lines', () => {
    const a = actionsByName(r.json.actions);
    expect(a['cjf-fail']).toMatchObject({ kind: 'job', action: 'run', status: 'failed' });
    expect(a['cjf-fail']!.error).toMatch(/exited with code 1/);
    expect(a['cjf-fail']!.error).toMatch(/migration-went-wrong/);
  });

  it('skips its dependents, direct and indirect, and never creates them', async () => {
    const a = actionsByName(r.json.actions);
    for (const name of SKIPPED) {
      expect(a[name]!.status, name).toBe('skipped');
      expect(await inspectOrUndefined(name), name).toBeUndefined();
    }
    expect(a['cjf-after']!.error).toMatch(/cjf-fail/);
    expect(a['cjf-after2']!.error).toMatch(/cjf-after/);
  });

  it('runs the unrelated services', async () => {
    const a = actionsByName(r.json.actions);
    const fleet = await fleetByName(FLEET);
    for (const name of FREE) {
      expect(a[name]!.status, name).toBe('ok');
      expect(fleet[name]?.running, name).toBe(true);
    }
    expect(fleet['cjf-fail']).toMatchObject({ state: 'exited', exitCode: 1 });
    expect(Object.keys(fleet).sort()).toEqual(['cjf-fail', ...FREE].sort());
  });

  it('status shows the failed job and the missing dependents', async () => {
    const s = await statusJson(file);
    const rows = Object.fromEntries(s.json.entries.map((e) => [e.name, e]));
    expect(rows['cjf-fail']).toMatchObject({ kind: 'job', state: 'exited', exitCode: 1 });
    for (const name of SKIPPED) expect(rows[name]!.sync, name).toBe('missing');
  });

  it('the next plan runs the failed job again; apply fails the same way, leaving the free services alone', async () => {
    const before = await fleetByName(FLEET);
    const p = await planJson(file);
    const a = actionsByName(p.json.actions);
    expect(a['cjf-fail']!.action).toBe('run');
    expect(a['cjf-fail']!.reasons.join('; ')).toMatch(/exited 1/);
    for (const name of FREE) expect(a[name]!.action, name).toBe('keep');

    const again = await applyJson(file, [], 1);
    const b = actionsByName(again.json.actions);
    expect(b['cjf-fail']!.status).toBe('failed');
    for (const name of SKIPPED) expect(b[name]!.status, name).toBe('skipped');
    const after = await fleetByName(FLEET);
    for (const name of FREE) expect(after[name]!.id, name).toBe(before[name]!.id);
  });
});
