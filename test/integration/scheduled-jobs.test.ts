// Scheduled jobs under `dom0 up` on the test engine: a job with `schedule:` runs again at its
// times; `status --json` shows its next run; with catch_up a run missed while dom0 was down runs
// once at boot, without it it does not.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, runDom0, spawnDom0, tmpDir } from '../support/engine.js';

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
    up?.kill('SIGTERM');
    up = undefined;
    await sleep(300);
    await cleanupFleet(FLEET);
  });

  function start(file: string, dir: string): void {
    up = spawnDom0(['up', '-f', file, '--state-dir', path.join(dir, 'state')]);
    up.stdout?.resume();
    up.stderr?.resume();
  }

  it('runs at its times under dom0 up; status shows the next run', async () => {
    await cleanupFleet(FLEET);
    const dir = tmpDir('dom0-sched-');
    mkdirSync(path.join(dir, 'out'));
    const file = path.join(dir, 'dom0.yaml');
    writeFileSync(file, manifest(dir, '"*/2 * * * * *"'));
    start(file, dir);
    await sleep(7500);
    // the first apply runs it once, then every 2 s
    expect(ticks(dir)).toBeGreaterThanOrEqual(3);
    const st = await runDom0(['status', '--json', '-f', file]);
    const row = (JSON.parse(st.stdout) as { entries: Array<{ name: string; nextRun?: string }> }).entries.find((e) => e.name === 'sched-tick');
    expect(Date.parse(row!.nextRun!)).toBeGreaterThan(Date.now() - 1000);
    expect(Date.parse(row!.nextRun!)).toBeLessThanOrEqual(Date.now() + 2500);
  }, 60_000);

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
    start(file, dir);
    await sleep(5000);
    expect(ticks(dir)).toBe(runs);
  }, 60_000);
});
