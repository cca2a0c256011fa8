// Several -f files merged, and profiles, on the test engine: an entry of an inactive profile is
// neither created nor removed (apply and down leave its container alone).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, runDom0, tmpDir, writeManifest } from '../support/engine.js';
import { actionMap, cleanupFleetAndVolumes, fleetByName, inspectOrUndefined } from './fixtures/core-helpers.js';

const FLEET = 'dom0-compose-files';
const WEB = 'compose-files-web';
const DBG = 'compose-files-dbg';

const BASE = `name: ${FLEET}
services:
  ${WEB}:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    environment: [LEVEL=base, KEEP=yes]
  ${DBG}:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    profiles: [debug]
`;
const OVERRIDE = `services:
  ${WEB}:
    environment: {LEVEL: override}
    labels: [from=override]
`;

/** `dom0 <args> --json`, expecting exit 0: the JSON it prints. */
async function dom0Json<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await runDom0([...args, '--json'], { env, timeoutMs: 110_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}
type Actions = { actions: Array<{ name: string; action: string }>; converged?: boolean };

describeEngine('compose files: -f merged in order, profiles', () => {
  let base: string;
  let override: string;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    const dir = tmpDir('dom0-compose-files-');
    base = writeManifest(dir, BASE, 'compose.yaml');
    override = writeManifest(dir, OVERRIDE, 'compose.override.yaml');
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('apply with two -f files and --profile creates both entries, with the values merged', async () => {
    const r = await dom0Json<Actions>(['-f', base, '-f', override, '--profile', 'debug', 'apply', '--timeout', '60']);
    expect(r.converged).toBe(true);
    const c = await fleetByName(FLEET);
    expect(Object.keys(c).sort()).toEqual([DBG, WEB]);
    const web = await inspectOrUndefined(WEB);
    expect(web!.Config.Env).toEqual(expect.arrayContaining(['LEVEL=override', 'KEEP=yes']));
    expect(web!.Config.Labels).toMatchObject({ from: 'override' });
  });

  it('without the profile, the inactive entry is neither planned nor removed', async () => {
    const plan = await dom0Json<Actions>(['-f', base, '-f', override, 'plan']);
    expect(actionMap(plan.actions)).toEqual({ [WEB]: 'keep' });
    const r = await dom0Json<Actions>(['-f', base, '-f', override, 'apply', '--timeout', '60']);
    expect(r.converged).toBe(true);
    expect((await inspectOrUndefined(DBG))?.State.Running).toBe(true);
    // Not an orphan in status either: not listed at all.
    const status = await dom0Json<{ entries: Array<{ name: string; sync: string }> }>(['-f', base, '-f', override, 'status']);
    expect(status.entries.map((row) => [row.name, row.sync])).toEqual([[WEB, 'in sync']]);
  });

  it('$DOM0_MANIFEST holds the list and $DOM0_PROFILES the profiles', async () => {
    const plan = await dom0Json<Actions>(['plan'], { DOM0_MANIFEST: `${base}:${override}`, DOM0_PROFILES: 'debug' });
    expect(actionMap(plan.actions)).toEqual({ [WEB]: 'keep', [DBG]: 'keep' });
  });

  it('down without the profile removes the active entry and leaves the inactive one', async () => {
    const r = await runDom0(['down', '-f', base, '-f', override]);
    expect(r.code, r.stderr).toBe(0);
    expect(await inspectOrUndefined(WEB)).toBeUndefined();
    expect((await inspectOrUndefined(DBG))?.State.Running).toBe(true);
  });
});
