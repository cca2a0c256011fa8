// Real Compose stacks from test/fixtures/compose-wild, converted by scripts/compose-wild-convert.mjs
// (images swapped for busybox, names made unique, host ports ephemeral, bind sources under a temp
// dir; every other key kept), applied with the built CLI on the test engine: every service runs
// (a one-shot service others wait on with service_completed_successfully exits 0), a second apply
// keeps every container (the exited one-shot is started again, as `docker compose up` does), `down`
// removes the containers.
//
// Stacks run three at a time in beforeAll (each is a separate fleet), then each is checked on its own.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT, containersOf, describeEngine, runDom0, tmpDir, type ContainerInfo, type RunResult } from '../support/engine.js';
import { cleanupFleetAndVolumes, type ApplyJson } from './fixtures/core-helpers.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'compose-wild');
const CONVERT = path.join(REPO_ROOT, 'scripts', 'compose-wild-convert.mjs');

// Single-host stacks that need no external service. Left out: awesome-prometheus-grafana (the file
// mounts two volumes at /prometheus; the engine refuses it, as it would under Compose),
// plausible-ce (nofile 262144 is above the test engine's limit), netbox-docker (rejected: `:z`),
// the stacks that need host privileges (pihole, wireguard, netdata) or the Docker socket, and more of
// the same shape (gitea, wordpress, n8n, ...: they convert and apply too; ten keep the file fast).
const STACKS = [
  'airflow',
  'genai-stack',
  'superset',
  'authentik',
  'awesome-nginx-flask-mysql',
  'awesome-react-java-mysql',
  'mastodon',
  'immich',
  'awesome-elasticsearch-logstash-kibana',
  'awesome-postgresql-pgadmin',
];

interface ComposeDoc {
  services: Record<string, { profiles?: string[]; depends_on?: string[] | Record<string, { condition?: string }> }>;
}

interface Outcome {
  fleet: string;
  services: string[]; // expected to run (no profile)
  oneShot: Set<string>; // waited on with service_completed_successfully: exits 0
  first: RunResult;
  afterFirst: ContainerInfo[];
  second: RunResult;
  down: RunResult;
  afterDown: ContainerInfo[];
}

const outcomes = new Map<string, Outcome>();

type ConvertFixture = (fixtureDir: string, outDir: string, fleet: string) => string;

async function convert(name: string): Promise<{ file: string; fleet: string; doc: ComposeDoc }> {
  const { convertFixture } = (await import(CONVERT)) as { convertFixture: ConvertFixture };
  const fleet = `cw-${name}`;
  const file = convertFixture(path.join(FIXTURES, name), path.join(tmpDir('dom0-compose-wild-'), name), fleet);
  return { file, fleet, doc: YAML.parse(readFileSync(file, 'utf8')) as ComposeDoc };
}

async function run(name: string): Promise<void> {
  const started = Date.now();
  const { file, fleet, doc } = await convert(name);
  const services = Object.entries(doc.services)
    .filter(([, s]) => !s.profiles?.length)
    .map(([k]) => k);
  const oneShot = new Set<string>();
  for (const s of Object.values(doc.services)) {
    if (s.depends_on && !Array.isArray(s.depends_on)) {
      for (const [dep, d] of Object.entries(s.depends_on)) if (d?.condition === 'service_completed_successfully') oneShot.add(dep);
    }
  }
  await cleanupFleetAndVolumes(fleet);
  const apply = () => runDom0(['apply', '--json', '--timeout', '60', '-f', file], { timeoutMs: 100_000 });
  const first = await apply();
  const afterFirst = await containersOf(fleet);
  const second = await apply();
  const down = await runDom0(['down', '-f', file], { timeoutMs: 60_000 });
  const afterDown = await containersOf(fleet);
  outcomes.set(name, { fleet, services, oneShot, first, afterFirst, second, down, afterDown });
  console.log(`compose-wild ${name}: ${Date.now() - started} ms`);
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

describeEngine('compose-wild: converted real stacks apply on the test engine', () => {
  beforeAll(async () => {
    const queue = [...STACKS];
    const worker = async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) await run(n);
    };
    await Promise.all([worker(), worker(), worker()]);
  }, 150_000);

  afterAll(async () => {
    for (const n of STACKS) await cleanupFleetAndVolumes(`cw-${n}`);
  }, 60_000);

  it('applies at least 10 stacks', () => {
    expect(STACKS.length).toBeGreaterThanOrEqual(10);
    expect([...outcomes.keys()].sort()).toEqual([...STACKS].sort());
  });

  it.each(STACKS)('%s: runs, re-applies as a no-op, goes down', (name) => {
    const o = outcomes.get(name)!;
    expect(o.first.code, show(o.first)).toBe(0);
    expect((JSON.parse(o.first.stdout) as ApplyJson).converged).toBe(true);

    const byName = new Map(o.afterFirst.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(o.services.map((s) => `${o.fleet}-${s}`).sort());
    for (const s of o.services) {
      const c = byName.get(`${o.fleet}-${s}`)!;
      if (o.oneShot.has(s)) expect([c.state, c.exitCode], s).toEqual(['exited', 0]);
      else expect(c.state, s).toBe('running');
    }

    expect(o.second.code, show(o.second)).toBe(0);
    const again = (JSON.parse(o.second.stdout) as ApplyJson).actions;
    // An exited one-shot service is started again, as `docker compose up` does; nothing else changes.
    for (const a of again) expect([a.name, a.action]).toEqual([a.name, o.oneShot.has(a.name) ? expect.stringMatching(/^(keep|start)$/) : 'keep']);

    expect(o.down.code, show(o.down)).toBe(0);
    expect(o.afterDown.map((c) => c.name)).toEqual([]);
  });
});
