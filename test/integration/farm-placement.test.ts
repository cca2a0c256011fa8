// Per-host selection (#14) on a real engine: a private dockerd started with `--label role=edge
// --label zone=a` stands in for one host of a farm. deploy.placement.constraints select entries by
// hostname glob (DOM0_HOSTNAME stands for the host's name), by engine label and by the host labels
// file; only the selected entries run. Changing the labels file and the hostname moves entries off
// the host: their containers are removed with the unmet constraint as the reason, their named
// volume is kept. `plan --json` says why each entry is not on this host.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, runDom0, tmpDir, writeManifest, type RunResult } from '../support/engine.js';
import { privateEngine } from '../support/private-engine.js';

const FLEET = 'farm-placement';
const engine = privateEngine('/tmp/dom0-placement-engine', 'base=10.224.0.0/16,size=24', {
  extraArgs: '--label role=edge --label zone=a',
  clientTimeoutMs: 30_000,
  shTimeoutMs: 5 * 60_000,
});

const MANIFEST = `
name: ${FLEET}
services:
  fp-web:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy:
      placement:
        constraints: ["node.hostname == web-*"]
  fp-edge:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy:
      placement:
        constraints: ["engine.labels.role == edge", "engine.labels.zone != b"]
  fp-db:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    deploy:
      placement:
        constraints: ["engine.labels.role == db"]
  fp-cache:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    volumes: ["cache-data:/data"]
    deploy:
      placement:
        constraints: ["node.labels.tier == cache"]
  fp-all:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    depends_on: [fp-db]
volumes:
  cache-data: {}
`;

function explain(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

async function running(): Promise<string[]> {
  const list = await engine.client().listContainers({ all: true, filters: { label: [`io.dom0.fleet=${FLEET}`] } });
  return list.filter((c) => c.State === 'running').map((c) => c.Names[0]!.slice(1)).sort();
}

async function wipe(): Promise<void> {
  const d = engine.client();
  for (const c of await d.listContainers({ all: true })) await d.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const v of (await d.listVolumes()).Volumes ?? []) await d.getVolume(v.Name).remove().catch(() => undefined);
  await d.pruneNetworks().catch(() => undefined);
}

describeEngine('farm placement: a host runs only the entries that select it', () => {
  let dir: string;
  let file: string;
  let labels: string;
  let started = false;

  beforeAll(async () => {
    await engine.shOk('start');
    started = true;
    await wipe();
    dir = tmpDir('dom0-farm-placement-');
    file = writeManifest(dir, MANIFEST);
    labels = path.join(dir, 'host-labels');
  }, 5 * 60_000);

  afterAll(async () => {
    if (!started) return;
    await wipe().catch(() => undefined);
    await engine.sh('stop');
  }, 2 * 60_000);

  const dom0 = (args: string[], hostname: string) =>
    runDom0([...args, '-f', file, '--host-labels', labels], { env: { DOCKER_HOST: engine.host, DOM0_HOSTNAME: hostname }, timeoutMs: 60_000 });

  it('selects by hostname glob, engine label and labels file; moving entries off removes them and keeps their volume', async () => {
    writeFileSync(labels, '# this host\ntier=cache\n');
    const first = await dom0(['apply'], 'web-1');
    expect(first.code, explain(first)).toBe(0);
    expect(await running()).toEqual(['fp-all', 'fp-cache', 'fp-edge', 'fp-web']);

    // plan --json: the host as docker info and the file describe it, and why fp-db is not here
    const p1 = await dom0(['plan', '--json'], 'web-1');
    expect(p1.code, explain(p1)).toBe(0);
    const plan1 = JSON.parse(p1.stdout) as {
      placement: { host: { hostname: string; engineLabels: Record<string, string>; nodeLabels: Record<string, string> }; notPlaced: Array<{ entry: string; reason: string }>; notes: string[] };
      actions: Array<{ name: string; action: string; reasons: string[] }>;
    };
    expect(plan1.placement.host.hostname).toBe('web-1');
    expect(plan1.placement.host.engineLabels).toMatchObject({ role: 'edge', zone: 'a' });
    expect(plan1.placement.host.nodeLabels).toMatchObject({ role: 'edge', zone: 'a', tier: 'cache' });
    expect(plan1.placement.notPlaced).toEqual([{ entry: 'fp-db', kind: 'service', reason: 'not placed on this host: engine.labels.role == db (host value "edge")' }]);
    expect(plan1.placement.notes).toEqual(['fp-all: depends_on fp-db, which is not placed on this host: treated as met']);
    expect(plan1.actions.every((a) => a.action === 'keep'), JSON.stringify(plan1.actions)).toBe(true);

    // The host is renamed and its labels file changed: fp-web and fp-cache are no longer placed here.
    writeFileSync(labels, 'tier=none\n');
    const p2 = await dom0(['plan', '--json'], 'db-1');
    expect(p2.code, explain(p2)).toBe(0);
    const plan2 = JSON.parse(p2.stdout) as typeof plan1;
    const removal = (name: string) => plan2.actions.find((a) => a.name === name);
    expect(removal('fp-web')).toMatchObject({ action: 'remove', reasons: ['not placed on this host: node.hostname == web-* (host value "db-1")', 'removed; its volumes are kept'] });
    expect(removal('fp-cache')).toMatchObject({ action: 'remove', reasons: ['not placed on this host: node.labels.tier == cache (host value "none")', 'removed; its volumes are kept'] });

    const second = await dom0(['apply'], 'db-1');
    expect(second.code, explain(second)).toBe(0);
    expect(await running()).toEqual(['fp-all', 'fp-edge']);
    const all = await engine.client().listContainers({ all: true, filters: { label: [`io.dom0.fleet=${FLEET}`] } });
    expect(all.map((c) => c.Names[0]).sort()).toEqual(['/fp-all', '/fp-edge']);
    const volumes = (await engine.client().listVolumes()).Volumes ?? [];
    expect(volumes.map((v) => v.Name), 'the moved entry\'s named volume is kept').toContain(`${FLEET}_cache-data`);

    // Labelled back: the entry returns, on its kept volume.
    writeFileSync(labels, 'tier=cache\n');
    const third = await dom0(['apply'], 'db-1');
    expect(third.code, explain(third)).toBe(0);
    expect(await running()).toEqual(['fp-all', 'fp-cache', 'fp-edge']);
  }, 3 * 60_000);
});
