// Fleet identity and bind paths as the engine sees them, with the REAL image (dom0:latest, built by
// scripts/build-image.sh) run in a container on the test engine with only the engine's socket and
// the manifest directory mounted (at /etc/dom0, as documented):
//
//   1. `dom0 apply` in the container: a job binding `./site` reads the HOST's site/index.html (the
//      bind source is translated through dom0's own mounts), and apply says so in a note
//   2. the CLI on the host, for the same directory, computes the same fleet name (the directory's
//      name: the manifest has no `name:`) and the same origin, and finds nothing to change
//   3. a relative bind outside dom0's mounts fails at the bind's FILE:LINE:COL and changes nothing
//
// Run: npx vitest run test/integration/fleet-identity.test.ts

import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, FLEET_LABEL, TEST_DOCKER_HOST, describeEngine, docker, runDom0, tmpDir } from '../support/engine.js';
import { DOCKER_CLI, IMAGE, buildImageOnSharedEngine, explain, positionOf, run } from './up-fixtures/helpers.js';

const FLEET = `fleetid-${process.pid}`; // the manifest directory's name, hence the fleet's
const JOB = `fleetid-cat-${process.pid}`;
const CONTENT = `hello from the host ${process.pid}\n`;

const dk = (args: string[], timeoutMs?: number) => run(DOCKER_CLI, args, { env: { DOCKER_HOST: TEST_DOCKER_HOST }, timeoutMs });

/** `docker run --rm` of dom0's image with the socket and `dir` at /etc/dom0 (read-only). */
function dom0InContainer(dir: string, args: string[]) {
  if (!TEST_DOCKER_HOST.startsWith('unix://')) throw new Error(`this suite mounts the engine's unix socket; DOCKER_HOST is ${TEST_DOCKER_HOST}`);
  const sock = TEST_DOCKER_HOST.slice('unix://'.length);
  return dk(['run', '--rm', '--network', 'none', '-v', `${sock}:/var/run/docker.sock`, '-v', `${dir}:/etc/dom0:ro`, IMAGE, ...args], 180_000);
}

async function removeFleet(fleet: string): Promise<void> {
  const list = await docker().listContainers({ all: true, filters: { label: [`${FLEET_LABEL}=${fleet}`] } });
  for (const c of list) await docker().getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  await docker().getNetwork(fleet).remove().catch(() => undefined);
}

describeEngine('fleet identity: dom0 in its container sees host paths', () => {
  const root = realpathSync(tmpDir('dom0-fleet-identity-'));
  const dir = path.join(root, FLEET);
  const file = path.join(dir, 'dom0.yaml');
  const manifest = [
    'jobs:',
    `  ${JOB}:`,
    `    image: ${BUSYBOX}`,
    '    command: ["cat", "/www/index.html"]',
    '    volumes:',
    '      - ./site:/www:ro',
    '',
  ].join('\n');

  beforeAll(async () => {
    mkdirSync(path.join(dir, 'site'), { recursive: true });
    writeFileSync(path.join(dir, 'site', 'index.html'), CONTENT);
    writeFileSync(file, manifest);
    const r = await buildImageOnSharedEngine();
    if (r.code !== 0) throw new Error(`scripts/build-image.sh failed: ${explain(r)}`);
  }, 20 * 60_000);

  afterAll(async () => {
    await removeFleet(FLEET);
    await removeFleet(`fleetid-bad-${process.pid}`);
  });

  let inside: { fleet: string; origin: string; notes: string[] } | undefined;

  it("apply in dom0's container: the job reads the host's file through ./site", async () => {
    const r = await dom0InContainer(dir, ['apply', '--json']);
    expect(r.code, explain(r)).toBe(0);
    inside = JSON.parse(r.stdout) as { fleet: string; origin: string; notes: string[] };
    expect(inside.fleet).toBe(FLEET);
    expect(inside.origin).toBe(file);
    expect(inside.notes).toEqual([`bind ./site → ${path.join(dir, 'site')} (dom0 runs in a container; host path)`]);

    const job = await docker().getContainer(JOB).inspect();
    expect(job.Config.Labels?.[FLEET_LABEL]).toBe(FLEET);
    const origin = job.Config.Labels?.['io.dom0.origin'];
    if (origin !== undefined) expect(origin).toBe(file); // the label comes with ownership by origin
    expect(job.Mounts.find((m) => m.Destination === '/www')?.Source).toBe(path.join(dir, 'site'));
    expect(job.State.ExitCode).toBe(0);
    const logs = await dk(['logs', JOB]);
    expect(logs.stdout).toBe(CONTENT);
  }, 240_000);

  it('the CLI on the host: same fleet, same origin, nothing to change', async () => {
    expect(inside, 'the previous case ran').toBeDefined();
    const r = await runDom0(['plan', '--json', '-f', file]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const p = JSON.parse(r.stdout) as { fleet: string; origin: string; notes: string[]; actions: Array<{ name: string; action: string; reasons: string[] }> };
    expect({ fleet: p.fleet, origin: p.origin }).toEqual({ fleet: inside!.fleet, origin: inside!.origin });
    expect(p.notes).toEqual([]);
    // the job applied from the container matches the host's view of it (same bind source, same hash)
    expect(p.actions.map((a) => [a.name, a.action])).toEqual([[JOB, 'done']]);
  }, 120_000);

  it('a relative bind outside the mounts fails at the bind and changes nothing', async () => {
    const badFleet = `fleetid-bad-${process.pid}`;
    const bad = path.join(root, badFleet);
    mkdirSync(bad, { recursive: true });
    const text = [
      'jobs:',
      `  ${JOB}-bad:`,
      `    image: ${BUSYBOX}`,
      '    command: ["true"]',
      '    volumes:',
      '      - ../outside:/x:ro',
      '',
    ].join('\n');
    writeFileSync(path.join(bad, 'dom0.yaml'), text);
    const r = await dom0InContainer(bad, ['apply']);
    expect(r.code, explain(r)).toBe(2);
    const at = positionOf(text, '../outside');
    expect(r.stderr).toContain(
      `/etc/dom0/dom0.yaml:${at.line}:${at.col}: bind source ../outside resolves to /etc/outside inside dom0's container, which is not mounted from the host`,
    );
    const after = await docker().listContainers({ all: true });
    expect(after.filter((c) => c.Labels?.[FLEET_LABEL] === badFleet || c.Names.includes(`/${JOB}-bad`))).toEqual([]);
    expect((await docker().listNetworks({ filters: { name: [badFleet] } })).filter((n) => n.Name === badFleet)).toEqual([]);
  }, 240_000);
});
