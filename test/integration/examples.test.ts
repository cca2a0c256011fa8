// examples/*/dom0.yaml applied on the test engine. Nothing can be pulled here, so each example is
// copied to a temp directory through standIn(): every image becomes busybox:latest and every
// command one busybox can run with the same shape (a service stays up and listens on its published
// ports, a job exits 0, a healthcheck passes), container names get this file's prefix, published
// ports a random 127.0.0.1 port. Everything else (volume containers, secrets, configs, links,
// depends_on, environment) is the example's own.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BUSYBOX, REPO_ROOT, cleanupFleet, containersOf, describeEngine, runDom0, type ContainerInfo, type RunResult } from '../support/engine.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples');
const NAMES = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

type Doc = Record<string, unknown>;
type Entries = Record<string, Doc>;

/** The container port of a short-syntax port ("8080:80", "127.0.0.1:80:80/tcp", 80). */
function containerPort(p: unknown): string {
  if (typeof p === 'object' && p !== null) return String((p as Doc).target);
  return String(p).split(':').pop()!.split('/')[0]!;
}

/** The example as a fleet busybox can run: same entries, keys and wiring; stand-in images and commands. */
function standIn(text: string, prefix: string): string {
  const doc = parse(text) as Doc;
  const section = (k: string): Entries => (doc[k] ?? {}) as Entries;
  for (const [key, vc] of Object.entries(section('volume_containers'))) {
    vc.image = BUSYBOX;
    vc.container_name = `${prefix}-${key}`;
  }
  for (const [kind, entries] of [['service', section('services')], ['job', section('jobs')]] as const) {
    for (const [key, e] of Object.entries(entries)) {
      e.image = BUSYBOX;
      e.container_name = `${prefix}-${key}`;
      delete e.entrypoint;
      delete e.user;
      delete e.working_dir;
      e.init = true;
      if (kind === 'job') {
        e.command = ['sh', '-c', `echo ${key} stand-in done`];
        continue;
      }
      const ports = ((e.ports ?? []) as unknown[]).map(containerPort);
      // a service that publishes a port listens on it; any other one just stays up
      e.command = ports.length > 0 ? ['httpd', '-f', '-p', ports[0]!, '-h', '/'] : ['sleep', '2147483647'];
      if (e.ports) e.ports = ports.map((p) => `127.0.0.1::${p}`);
      if (e.healthcheck) e.healthcheck = { test: ['CMD', 'true'], interval: '1s', retries: 10 };
    }
  }
  return stringify(doc);
}

/** What an entry waits for, from the file itself: depends_on (both forms), links, volumes_from. */
function dependencies(e: Doc): string[] {
  const dep = e.depends_on;
  const explicit = Array.isArray(dep) ? (dep as string[]) : Object.keys((dep ?? {}) as Doc);
  const links = ((e.links ?? []) as string[]).map((l) => l.split(':')[0]!);
  const from = ((e.volumes_from ?? []) as string[]).map((v) => v.split(':')[0]!);
  return [...new Set([...explicit, ...links, ...from])];
}

const explain = (r: RunResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describeEngine('examples/: each applied with busybox stand-ins', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dom0-examples-'));
  const fleets = NAMES.map((n) => `ex-${n}`);

  beforeAll(async () => {
    for (const f of fleets) await cleanupFleet(f);
  });
  afterAll(async () => {
    for (const f of fleets) await cleanupFleet(f);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('there are the three examples, each with a README', () => {
    expect(NAMES).toEqual(['ambassador', 'boot2docker-host', 'home-server']);
    for (const n of NAMES) expect(readFileSync(path.join(EXAMPLES, n, 'README.md'), 'utf8')).toContain(`dom0 apply -f examples/${n}/dom0.yaml`);
  });

  it.each(NAMES.map((n) => [n]))('%s: apply converges in dependency order; a second plan changes nothing; down', async (name) => {
    const fleet = `ex-${name}`;
    const original = readFileSync(path.join(EXAMPLES, name, 'dom0.yaml'), 'utf8');
    const doc = parse(original) as Doc;
    const dir = path.join(tmp, name);
    const file = path.join(dir, 'dom0.yaml');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, standIn(original, fleet));
    const args = ['-f', file, '--fleet', fleet];

    const applied = await runDom0(['apply', ...args], { timeoutMs: 120_000 });
    expect(applied.code, explain(applied)).toBe(0);

    const services = Object.keys((doc.services ?? {}) as Doc);
    const jobs = Object.keys((doc.jobs ?? {}) as Doc);
    const volumes = Object.keys((doc.volume_containers ?? {}) as Doc);
    const byKey = new Map<string, ContainerInfo>();
    for (const c of await containersOf(fleet)) byKey.set(c.name.slice(fleet.length + 1), c);
    expect([...byKey.keys()].sort()).toEqual([...services, ...jobs, ...volumes].sort());
    for (const s of services) expect(byKey.get(s)?.running, `${s} running`).toBe(true);
    for (const j of jobs) expect(byKey.get(j), `${j} exited 0`).toMatchObject({ running: false, exitCode: 0 });
    for (const v of volumes) expect(byKey.get(v)?.startedAt, `${v} never started`).toBeUndefined();

    // published ports are bound on 127.0.0.1 and answer (the stand-in listens where the real image would)
    for (const [key, e] of Object.entries((doc.services ?? {}) as Entries)) {
      if (!e.ports) continue;
      const bound = Object.values(byKey.get(key)!.inspect.NetworkSettings.Ports ?? {}).flat();
      expect(bound.length, `${key} publishes`).toBeGreaterThan(0);
      for (const b of bound) {
        expect(b!.HostIp).toBe('127.0.0.1');
        const res = await fetch(`http://127.0.0.1:${b!.HostPort}/`);
        expect(res.status, `${key} answers on ${b!.HostPort}`).toBeLessThan(500);
      }
    }

    // every dependency started (a job: finished) before its dependent started
    const all = { ...((doc.services ?? {}) as Entries), ...((doc.jobs ?? {}) as Entries) };
    let checked = 0;
    for (const [key, e] of Object.entries(all)) {
      const started = Date.parse(byKey.get(key)!.startedAt!);
      for (const dep of dependencies(e)) {
        if (volumes.includes(dep)) continue;
        const d = byKey.get(dep)!;
        const ready = Date.parse((jobs.includes(dep) ? d.finishedAt : d.startedAt)!);
        expect(ready, `${dep} ${jobs.includes(dep) ? 'finished' : 'started'} before ${key} started`).toBeLessThanOrEqual(started);
        checked++;
      }
    }
    expect(checked, 'each example has dependencies to check').toBeGreaterThan(0);

    const plan = await runDom0(['plan', '--json', ...args]);
    expect(plan.code, explain(plan)).toBe(0);
    const actions = (JSON.parse(plan.stdout) as { actions: { name: string; action: string }[] }).actions;
    expect(actions.length).toBe(services.length + jobs.length + volumes.length);
    for (const a of actions) expect([a.name, a.action]).toEqual([a.name, jobs.includes(a.name) ? 'done' : 'keep']);

    const down = await runDom0(['down', '--volumes', ...args], { timeoutMs: 60_000 });
    expect(down.code, explain(down)).toBe(0);
    expect(await containersOf(fleet)).toEqual([]);
  });
});
