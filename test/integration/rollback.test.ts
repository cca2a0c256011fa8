// Rollback on failed readiness (#14) under `dom0 up` on the shared test engine, single host, no
// --source: a healthy fleet; an edit makes one service crash-loop; within the window (3 s here)
// dom0 re-applies the last-healthy manifest (the old container config runs again and is healthy),
// says so (rollback event, dom0 status, the page, /metrics), keeps the named volume, and does not
// retry the bad manifest on SIGHUP; a fixed edit then applies normally. Prints the rollback time
// (edit → old config healthy again).
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupFleet, collectOutput, describeEngine, docker, type OutputCollector, runDom0, spawnDom0, tmpDir } from '../support/engine.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait.js';

const FLEET = 'rollback-test';
const WEB = `${FLEET}-web`;
const VOLUME = `${FLEET}-data`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function manifest(webCommand: string, motd: string): string {
  return `name: ${FLEET}
services:
  web:
    image: busybox:latest
    container_name: ${WEB}
    command: ${webCommand}
    restart: always
    stop_signal: SIGKILL
    environment:
      MOTD: ${motd}
    healthcheck:
      test: ["CMD", "true"]
      interval: 500ms
      start_period: 0s
    volumes: ["data:/data"]
  db:
    image: busybox:latest
    container_name: ${FLEET}-db
    command: ["sleep", "3600"]
    restart: always
    stop_signal: SIGKILL
volumes:
  data:
    name: ${VOLUME}
`;
}

const GOOD = manifest('["sleep", "3600"]', 'one');
const BAD = manifest('["sh", "-c", "sleep 0.2; exit 3"]', 'two');
const FIXED = manifest('["sleep", "3601"]', 'three');

interface LogLine {
  event?: string;
  level?: number;
  msg?: string;
  [k: string]: unknown;
}

function events(out: OutputCollector): LogLine[] {
  return out.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return {};
      }
    });
}

/** The tail of dom0's log, for a timeout's message. */
const upLog = (out: OutputCollector) => () => `--- dom0 up log\n${out.stderr.slice(-6000)}`;

async function web(): Promise<{ id: string; cmd: string[]; running: boolean; health?: string; env: string[] } | undefined> {
  try {
    const i = await docker().getContainer(WEB).inspect();
    return { id: i.Id, cmd: i.Config.Cmd ?? [], running: i.State.Running, health: i.State.Health?.Status, env: i.Config.Env ?? [] };
  } catch {
    return undefined;
  }
}

describeEngine('rollback on failed readiness', () => {
  let up: ChildProcess | undefined;

  afterAll(async () => {
    up?.kill('SIGTERM');
    await sleep(300);
    await cleanupFleet(FLEET);
  });

  it('a crash-looping edit rolls back to the healthy config, is reported, is not retried; a fixed edit applies', async () => {
    await cleanupFleet(FLEET);
    const dir = tmpDir('dom0-rollback-');
    const file = path.join(dir, 'dom0.yaml');
    const state = path.join(dir, 'state');
    const port = await freePort();
    writeFileSync(file, GOOD);
    up = spawnDom0(['up', '-f', file, '--state-dir', state, '--rollback-after', '3s', '--listen', `127.0.0.1:${port}`], {
      env: { DOM0_LOG_FORMAT: 'json' },
    });
    let out = collectOutput(up);
    up.stdout?.resume();
    const has = (event: string, n = 1) => events(out).filter((e) => e.event === event).length >= n || undefined;

    // the first manifest passes its window and becomes last-healthy
    await waitFor('readiness-ok of the first manifest', () => has('readiness-ok'), 40_000, upLog(out));
    const healthy = await web();
    expect(healthy).toMatchObject({ running: true, health: 'healthy', cmd: ['sleep', '3600'] });

    // the bad edit
    const t0 = Date.now();
    writeFileSync(file, BAD);
    await waitFor('the rollback event', () => has('rollback'), 30_000, upLog(out));
    const back = await waitFor(
      'the old config running and healthy again',
      async () => {
        const w = await web();
        return w && w.running && w.health === 'healthy' && w.cmd.join(' ') === 'sleep 3600' ? w : undefined;
      },
      30_000,
      upLog(out),
    );
    const rollbackMs = Date.now() - t0;
    console.log(`[rollback] edit → old config healthy again: ${rollbackMs} ms (window 3 s)`);
    if (process.env.RB_DEBUG) console.log(events(out).map((e) => `${String(e.time)} ${e.event} ${e.entry ?? ""} ${e.msg}`.slice(0, 200)).join("\n"));
    expect(back.env).toContain('MOTD=one');

    const rb = events(out).find((e) => e.event === 'rollback')!;
    expect(rb.level).toBe(50);
    expect(rb.services).toEqual([expect.objectContaining({ service: 'web' })]);
    expect(JSON.stringify(rb)).not.toContain('MOTD');
    const badHash = rb.manifest as string;
    expect(badHash).toMatch(/^[0-9a-f]{64}$/);

    // reported: dom0 status, the page's data, /metrics
    const st = await runDom0(['status', '-f', file, '--state-dir', state]);
    expect(st.stdout).toContain(`rolled back: manifest ${badHash.slice(0, 12)} bad since `);
    const stJson = JSON.parse((await runDom0(['status', '--json', '-f', file, '--state-dir', state])).stdout) as { rollback?: { sha256: string } };
    expect(stJson.rollback?.sha256).toBe(badHash);
    const page = (await (await fetch(`http://127.0.0.1:${port}/api/state`)).json()) as { rollback?: { manifest: string } };
    expect(page.rollback?.manifest).toBe(badHash);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^dom0_rollbacks_total 1$/m);
    expect(metrics).toMatch(/^dom0_manifest_bad\{manifest="[0-9a-f]{12}"\} 1$/m);

    // the named volume survived the rollback
    await expect(docker().getVolume(VOLUME).inspect()).resolves.toBeTruthy();

    // SIGHUP does not retry the bad manifest
    up.kill('SIGHUP');
    await waitFor('manifest-bad on SIGHUP', () => has('manifest-bad'), 10_000, upLog(out));
    await sleep(1500);
    expect((await web())?.id).toBe(back.id);

    // a restart of dom0 does not retry it either: at boot it applies last-healthy instead, and says so
    up.kill('SIGTERM');
    await new Promise((r) => up!.once('exit', r));
    up = spawnDom0(['up', '-f', file, '--state-dir', state, '--rollback-after', '3s', '--listen', `127.0.0.1:${port}`], {
      env: { DOM0_LOG_FORMAT: 'json' },
    });
    out = collectOutput(up);
    up.stdout?.resume();
    await waitFor('using-last-healthy at boot', () => has('using-last-healthy'), 20_000, upLog(out));
    await waitFor('the boot apply', () => has('apply-finished'), 20_000, upLog(out));
    expect((await web())?.id).toBe(back.id);
    expect((await runDom0(['status', '-f', file, '--state-dir', state])).stdout).toContain('rolled back:');

    // a fixed edit applies normally, ends the rollback, and passes its own window
    const okBefore = events(out).filter((e) => e.event === 'readiness-ok').length;
    writeFileSync(file, FIXED);
    await waitFor(
      'the fixed config running',
      async () => {
        const w = await web();
        return w?.running && w.cmd.join(' ') === 'sleep 3601' ? w : undefined;
      },
      30_000,
      upLog(out),
    );
    await waitFor('rollback-cleared', () => has('rollback-cleared'), 10_000, upLog(out));
    await waitFor('readiness-ok of the fixed manifest', () => has('readiness-ok', okBefore + 1), 20_000, upLog(out));
    expect((await runDom0(['status', '-f', file, '--state-dir', state])).stdout).not.toContain('rolled back');
    expect(events(out).filter((e) => e.event === 'rollback')).toHaveLength(0); // this process never rolled back
  }, 120_000);
});
