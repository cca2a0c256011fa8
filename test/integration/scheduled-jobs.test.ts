// Scheduled jobs under `dom0 up` on the test engine: a job with `schedule:` runs again at its
// times; `status --json` shows its next run; with catch_up a run missed while dom0 was down runs
// once at boot, without it it does not.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cleanupFleet, collectOutput, describeEngine, type OutputCollector, runDom0, spawnDom0, tmpDir, waitForExit, waitForOutput } from '../support/engine.js';
import { waitFor } from '../support/wait.js';

const FLEET = 'dom0-sched';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(dir: string, schedule: string): string {
  return `name: ${FLEET}
jobs:
  sched-tick:
    image: busybox:latest
    command: ["sh", "-c", "date +%s >> /out/ticks"]
    volumes: ["${dir}/out:/out"]
    schedule: ${schedule}
services:
  sched-svc:
    image: busybox:latest
    command: ["sleep", "3600"]
`;
}

const ticks = (dir: string) => readFileSync(path.join(dir, 'out', 'ticks'), 'utf8').trim().split('\n').filter(Boolean).length;

describeEngine('scheduled jobs', () => {
  let up: ChildProcess | undefined;

  afterEach(async () => {
    const child = up;
    up = undefined;
    if (child) {
      // dom0 up lets an apply in flight finish (up to 8 s) after SIGTERM: one still creating or
      // starting this fleet's containers after the cleanup would block the next test's apply
      child.kill('SIGTERM');
      const exited = await Promise.race([waitForExit(child), sleep(20_000).then(() => undefined)]);
      if (!exited) {
        child.kill('SIGKILL');
        await waitForExit(child);
      }
    }
    await cleanupFleet(FLEET);
  }, 60_000);

  function start(file: string, dir: string): OutputCollector {
    up = spawnDom0(['up', '-f', file, '--state-dir', path.join(dir, 'state')], { env: { DOM0_LOG_FORMAT: 'json' } });
    return collectOutput(up);
  }

  it('runs at its times under dom0 up; status shows the next run', async () => {
    await cleanupFleet(FLEET);
    const dir = tmpDir('dom0-sched-');
    mkdirSync(path.join(dir, 'out'));
    const file = path.join(dir, 'dom0.yaml');
    writeFileSync(file, manifest(dir, '"*/2 * * * * *"'));
    const out = start(file, dir);
    // the first apply runs it once, then every 2 s (waited for: under load a boot and each run take longer)
    await waitFor('three runs of sched-tick', () => ticks(dir) >= 3, 90_000, () => out.all.slice(-3000));
    // status computes the next run when it runs: between these two instants, plus at most 2 s
    const before = Date.now();
    const st = await runDom0(['status', '--json', '-f', file]);
    const after = Date.now();
    const row = (JSON.parse(st.stdout) as { entries: Array<{ name: string; nextRun?: string }> }).entries.find((e) => e.name === 'sched-tick');
    expect(Date.parse(row!.nextRun!)).toBeGreaterThan(before - 1000);
    expect(Date.parse(row!.nextRun!)).toBeLessThanOrEqual(after + 2500);
  }, 150_000);

  it.each([
    [true, 2],
    [false, 1],
  ])('catch_up %s: a time missed while dom0 was down, then boot: %i run(s) in all', async (catchUp, runs) => {
    await cleanupFleet(FLEET);
    const dir = tmpDir('dom0-sched-catch-');
    mkdirSync(path.join(dir, 'out'));
    const file = path.join(dir, 'dom0.yaml');
    writeFileSync(file, manifest(dir, '"0 3 1 1 *"'));
    expect((await runDom0(['apply', '-f', file])).code).toBe(0);
    expect(ticks(dir)).toBe(1);
    // a schedule whose last time falls after that run and whose next is a minute away
    const at = new Date(Date.now() + 1500);
    await sleep(2500);
    writeFileSync(file, manifest(dir, `{cron: "${at.getUTCSeconds()} ${at.getUTCMinutes()} * * * *", timezone: UTC, catch_up: ${catchUp}}`));
    const out = start(file, dir);
    // the catch-up is decided right after the boot apply and runs in the apply it requests
    await waitForOutput(up!, out, '"event":"apply-finished"', 90_000);
    if (catchUp) await waitFor('the catch-up run', () => ticks(dir) >= 2, 60_000, () => out.all.slice(-3000));
    else await sleep(3000); // room for a wrong catch-up run to show
    expect(ticks(dir), out.all.slice(-3000)).toBe(runs);
    expect(out.all.includes('"event":"schedule-fired"'), out.all.slice(-3000)).toBe(catchUp);
  }, 150_000);
});
