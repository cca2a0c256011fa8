// dom0 never takes an instruction from a container: labels a container carries are not proof that
// dom0 created it. Hand-made containers that copy dom0's labels are left alone:
// - one holding an entry's name with a copy of dom0's labels for ANOTHER fleet (hash consistent),
// - one holding an entry's name with this fleet's labels but a config hash that does not match,
// - orphan-looking containers (an entry not in the manifest) of another fleet, or with forged
//   labels of this fleet.
// plan says `blocked` for the first two (not keep, not recreate), apply exits 1 and touches none of
// them (same ID, same state, not restarted), and neither apply nor down removes the orphan-looking ones.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BUSYBOX,
  cleanupFleet,
  collectOutput,
  containersOf,
  describeEngine,
  docker,
  runDom0,
  spawnDom0,
  tmpDir,
  waitForExit,
  waitForOutput,
  writeManifest,
} from '../support/engine.js';
import { waitFor } from '../support/wait.js';

const FLEET = 'dom0-sec-labels';
const OTHER = 'dom0-sec-other';
const L = {
  fleet: 'io.dom0.fleet',
  kind: 'io.dom0.kind',
  name: 'io.dom0.name',
  hash: 'io.dom0.config-hash',
  spec: 'io.dom0.spec',
} as const;

const MANIFEST = `version: 1
name: ${FLEET}
services:
  secl-web:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
  secl-api:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
  secl-ok:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    restart: always
`;

const IMPOSTORS = ['secl-web', 'secl-api'];
const ORPHANS = ['secl-orphan-other', 'secl-orphan-forged'];
const DYING = 'secl-dying-forged';

interface PlanJson {
  fleet: string;
  actions: Array<{ name: string; kind: string; action: string; reasons: string[] }>;
}

/** A container made by hand (not by dom0) with the given labels, started, on no network. */
async function handMade(name: string, labels: Record<string, string>, cmd = ['sleep', '2147483647']): Promise<string> {
  const c = await docker().createContainer({
    name,
    Image: BUSYBOX,
    Cmd: cmd,
    Labels: labels,
    HostConfig: { Init: true, NetworkMode: 'none' },
  });
  await c.start();
  return c.id;
}

async function inspect(name: string) {
  const i = await docker().getContainer(name).inspect();
  return { id: i.Id, state: i.State.Status, startedAt: i.State.StartedAt, restartCount: i.RestartCount, labels: i.Config.Labels ?? {} };
}

async function handMadeState() {
  const out: Record<string, Awaited<ReturnType<typeof inspect>>> = {};
  for (const n of [...IMPOSTORS, ...ORPHANS]) out[n] = await inspect(n);
  return out;
}

describeEngine('security: containers that copy dom0 labels are not taken over', () => {
  const file = writeManifest(tmpDir('dom0-sec-labels-'), MANIFEST);
  let before: Awaited<ReturnType<typeof handMadeState>>;
  const cleanup = async () => {
    await cleanupFleet(FLEET, [...IMPOSTORS, ...ORPHANS, DYING]);
    await cleanupFleet(OTHER);
  };

  beforeAll(async () => {
    await cleanup();
    const r = await runDom0(['apply', '-f', file, '--json'], { timeoutMs: 180_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

    // Copy the labels dom0 put on its own containers, then replace those containers by hand-made ones.
    const real = Object.fromEntries((await containersOf(FLEET)).map((c) => [c.name, c.labels]));
    const web = real['secl-web']!;
    const api = real['secl-api']!;
    const ok = real['secl-ok']!;
    expect(web[L.hash]).toMatch(/^[0-9a-f]{64}$/);
    for (const n of IMPOSTORS) await docker().getContainer(n).remove({ force: true });

    // dom0's labels, verbatim, but another fleet's: the hash still matches the spec label.
    await handMade('secl-web', { ...web, [L.fleet]: OTHER });
    // this fleet's labels, but the hash is not the one of the spec label (it is secl-web's).
    expect(api[L.hash]).not.toBe(web[L.hash]);
    await handMade('secl-api', { ...api, [L.hash]: web[L.hash]! });
    // orphan-looking: an entry no manifest of this fleet has, with another fleet's consistent labels …
    await handMade('secl-orphan-other', { ...ok, [L.fleet]: OTHER, [L.name]: 'secl-gone' });
    // … and with this fleet's labels whose hash does not match.
    await handMade('secl-orphan-forged', { ...ok, [L.name]: 'secl-gone-too', [L.hash]: web[L.hash]! });
    before = await handMadeState();
    for (const n of [...IMPOSTORS, ...ORPHANS]) expect(before[n]!.state, n).toBe('running');
  }, 240_000);

  afterAll(cleanup);

  it('plan: blocked for both impostors, keep for the real container, nothing for the orphan-looking ones', async () => {
    const r = await runDom0(['plan', '-f', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as PlanJson;
    const by = Object.fromEntries(p.actions.map((a) => [a.name, a]));
    expect(p.actions.map((a) => [a.name, a.action]).sort()).toEqual([
      ['secl-api', 'blocked'],
      ['secl-ok', 'keep'],
      ['secl-web', 'blocked'],
    ]);
    expect(by['secl-web']!.reasons.join('; ')).toContain(`belongs to fleet "${OTHER}"`);
    expect(by['secl-api']!.reasons.join('; ')).toContain('is not managed by dom0');
    const text = await runDom0(['plan', '-f', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/secl-orphan|secl-gone/);
  });

  it('status: both impostors are unmanaged, not in sync', async () => {
    const r = await runDom0(['status', '-f', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { entries: Array<{ name: string; sync: string }> }).entries;
    expect(Object.fromEntries(rows.map((x) => [x.name, x.sync]))).toEqual({ 'secl-web': 'unmanaged', 'secl-api': 'unmanaged', 'secl-ok': 'in sync' });
  });

  it('apply exits 1 and leaves every hand-made container as it was', async () => {
    const r = await runDom0(['apply', '-f', file, '--json'], { timeoutMs: 180_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const out = JSON.parse(r.stdout) as { converged: boolean; actions: Array<{ name: string; action: string; status: string }> };
    expect(out.converged).toBe(false);
    expect(out.actions.map((a) => [a.name, a.action, a.status]).sort()).toEqual([
      ['secl-api', 'blocked', 'blocked'],
      ['secl-ok', 'keep', 'ok'],
      ['secl-web', 'blocked', 'blocked'],
    ]);
    expect(await handMadeState()).toEqual(before);
    // and nothing was created beside them (no NAME.dom0-next replacement)
    const names = (await docker().listContainers({ all: true })).flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')));
    expect(names.filter((n) => n.startsWith('secl-') && n.includes('dom0-next'))).toEqual([]);
  });

  // The supervisor of `dom0 up` restarts services per the restart policy in their labels: only
  // for containers it owns. A hand-made container with this fleet's labels (hash not matching),
  // `io.dom0.restart: always`, that dies, is not restarted; a real one that is killed is.
  it('up: restarts its own service when it dies, not a hand-made one with copied labels', async () => {
    const state = tmpDir('dom0-sec-labels-state-');
    const diag = path.join(state, 'diag.ndjson');
    const up = spawnDom0(['up', '-f', file, '--state-dir', state], { env: { DOM0_DIAG_FILE: diag } });
    const out = collectOutput(up);
    try {
      await waitForOutput(up, out, '"apply-finished"', 180_000);
      // dom0 follows the engine's events only after the boot apply: a death before that goes
      // unheard. Its leak probe (SIGUSR2, installed before the boot apply) counts the listeners.
      await waitFor(
        "dom0 up's engine event stream",
        () => {
          up.kill('SIGUSR2');
          const last = existsSync(diag) ? readFileSync(diag, 'utf8').trim().split('\n').at(-1) : undefined;
          return last ? ((JSON.parse(last) as { loop: { eventListeners?: number } }).loop.eventListeners ?? 0) >= 1 : false;
        },
        60_000,
        () => out.all.slice(-3000),
        250,
      );
      const ok = (await containersOf(FLEET)).find((c) => c.name === 'secl-ok')!;
      const okLabels = ok.labels;
      expect(okLabels['io.dom0.restart']).toBe('always');
      const dyingId = await handMade(
        DYING,
        { ...okLabels, [L.name]: 'secl-dying', [L.hash]: 'f'.repeat(64) },
        ['sh', '-c', 'sleep 2; exit 1'],
      );
      expect((await docker().getContainer(dyingId).wait()).StatusCode).toBe(1);
      const dead = await docker().getContainer(dyingId).inspect();
      // control: dom0 does supervise, it restarts its own secl-ok when it dies
      await docker().getContainer(ok.id).kill();
      const deadline = Date.now() + 30_000;
      let okAgain = await docker().getContainer(ok.id).inspect();
      while (Date.now() < deadline && okAgain.State.StartedAt === ok.startedAt) {
        await new Promise((r) => setTimeout(r, 250));
        okAgain = await docker().getContainer(ok.id).inspect();
      }
      expect(okAgain.State.StartedAt, `dom0 up did not restart its own service:\n${out.all}`).not.toBe(ok.startedAt);
      // by now a restart of the hand-made one would have happened too (same grace, first backoff step)
      await new Promise((r) => setTimeout(r, 3000));
      const after = await docker().getContainer(dyingId).inspect();
      expect(
        { startedAt: after.State.StartedAt, restarts: out.all.includes('secl-dying') ? out.all.split('\n').filter((l) => l.includes('secl-dying')) : [] },
        'dom0 up restarted a container it does not own',
      ).toEqual({ startedAt: dead.State.StartedAt, restarts: [] });
    } finally {
      up.kill('SIGTERM');
      await waitForExit(up);
      await docker().getContainer(DYING).remove({ force: true }).catch(() => undefined);
    }
    expect(await handMadeState()).toEqual(before);
  });

  it('down removes the fleet and none of the hand-made containers', async () => {
    const r = await runDom0(['down', '-f', file], { timeoutMs: 180_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('removed 1 containers');
    expect((await containersOf(FLEET)).map((c) => c.name).sort()).toEqual(['secl-api', 'secl-orphan-forged']); // labels say so, dom0 disagrees
    expect(await handMadeState()).toEqual(before);
    // a second apply still refuses, and still touches nothing
    const again = await runDom0(['apply', '-f', file, '--json'], { timeoutMs: 180_000 });
    expect(again.code).toBe(1);
    expect(await handMadeState()).toEqual(before);
  });
});
