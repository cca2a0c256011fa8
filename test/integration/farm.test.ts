// The farm (#14) on this machine: three private engines (each its own data root, socket, address
// pool and engine labels) stand in for three hosts, each with its own `dom0 up --source` (signed
// with ed25519) and state dir, all pointed at one local node:http server.
//   - one edit of the served manifest: every host converges to its selection (placement by engine
//     label); the time from the edit to the last host ready is printed
//   - a change that breaks readiness rolls back on every host
//   - the server stopped: every fleet keeps running; an edit made meanwhile applies when it returns
//   - a tampered manifest signed with another key is rejected on every host
// Run: npm run build && npx vitest run test/integration/farm.test.ts
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectOutput, describeEngine, type OutputCollector, runDom0, spawnDom0, tmpDir } from '../support/engine.js';
import { freePort } from '../support/free-port.js';
import { type PrivateEngine, privateEngine } from '../support/private-engine.js';
import { waitFor } from '../support/wait.js';

const FLEET = 'farm-test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Host {
  name: string;
  role: 'web' | 'db';
  engine: PrivateEngine;
  state: string;
  up?: ChildProcess;
  out?: OutputCollector;
}

const HOSTS: Host[] = [1, 2, 3].map((i) => ({
  name: `farm-${i}`,
  role: i === 3 ? 'db' : 'web',
  engine: privateEngine(`/tmp/dom0-farm-${i}`, `base=10.22${i}.0.0/16,size=24`, {
    extraArgs: `--label farm.role=${i === 3 ? 'db' : 'web'} --label farm.host=farm-${i}`,
    clientTimeoutMs: 20_000,
  }),
  state: '',
}));

/** Every service on every host carries MOTD=<version>; `agent` overrides the agent's (a crashing command breaks readiness). */
function manifest(version: string, agent: { command: string; motd: string } = { command: '["sleep", "3600"]', motd: version }): string {
  return `name: ${FLEET}
services:
  agent:
    image: busybox:latest
    container_name: farm-agent
    command: ${agent.command}
    restart: always
    stop_signal: SIGKILL
    environment: {MOTD: "${agent.motd}"}
  web:
    image: busybox:latest
    container_name: farm-web
    command: ["sleep", "3600"]
    restart: always
    stop_signal: SIGKILL
    environment: {MOTD: "${version}"}
    healthcheck: {test: ["CMD", "true"], interval: 500ms}
    deploy:
      placement:
        constraints: ["engine.labels.farm.role == web"]
  db:
    image: busybox:latest
    container_name: farm-db
    command: ["sleep", "3600"]
    restart: always
    stop_signal: SIGKILL
    environment: {MOTD: "${version}"}
    volumes: ["data:/data"]
    deploy:
      placement:
        constraints: ["engine.labels.farm.role == db"]
volumes:
  data: {}
`;
}

const expected = (h: Host) => (h.role === 'web' ? ['farm-agent', 'farm-web'] : ['farm-agent', 'farm-db']);

interface Seen {
  name: string;
  id: string;
  running: boolean;
  health?: string;
  motd?: string;
}

async function containers(h: Host): Promise<Seen[]> {
  const d = h.engine.client();
  const list = await d.listContainers({ all: true, filters: { label: [`io.dom0.fleet=${FLEET}`] } });
  const out: Seen[] = [];
  for (const c of list) {
    const i = await d.getContainer(c.Id).inspect().catch(() => undefined);
    if (!i) continue;
    const motd = (i.Config.Env ?? []).find((e) => e.startsWith('MOTD='))?.slice(5);
    out.push({ name: i.Name.slice(1), id: i.Id, running: i.State.Running, health: i.State.Health?.Status, ...(motd ? { motd } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The host runs exactly its selection, every container at `version`, running and healthy where it checks. */
async function ready(h: Host, version: string): Promise<boolean> {
  const cs = await containers(h).catch(() => []);
  const running = cs.filter((c) => c.running);
  return (
    JSON.stringify(running.map((c) => c.name)) === JSON.stringify(expected(h)) &&
    running.every((c) => c.motd === version && (c.health === undefined || c.health === 'healthy'))
  );
}

function events(h: Host, name: string): Array<Record<string, unknown>> {
  return (h.out?.stderr ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"event":"${name}"`))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** The tail of every host's dom0 log, for a timeout's message. */
const hostLogs = () => HOSTS.map((h) => `--- ${h.name}\n${(h.out?.stderr ?? '').split('\n').slice(-25).join('\n')}`).join('\n');

/** Per host, the time from `t0` until `f(host)` holds; resolves when every host got there. */
async function eachHost(what: string, t0: number, f: (h: Host) => Promise<boolean> | boolean, timeoutMs = 40_000): Promise<number[]> {
  return Promise.all(
    HOSTS.map(async (h) => {
      await waitFor(`${what} on ${h.name}`, () => f(h), timeoutMs, hostLogs);
      return Date.now() - t0;
    }),
  );
}

describeEngine('the farm: three hosts, one signed manifest source', () => {
  const dir = tmpDir('dom0-farm-');
  const srv = path.join(dir, 'srv');
  const key = path.join(dir, 'key');
  const otherKey = path.join(dir, 'other-key');
  let port = 0;
  let server: Server | undefined;

  function serve(): Promise<void> {
    server = createServer((req, res) => {
      const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname);
      try {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(readFileSync(path.join(srv, name)));
      } catch {
        res.writeHead(404).end();
      }
    });
    return new Promise((r) => server!.listen(port, '127.0.0.1', () => r()));
  }

  async function stopServing(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Writes the manifest and its signed index (the admin's one step). */
  async function publish(text: string, signWith = key): Promise<void> {
    const stage = path.join(dir, 'stage');
    mkdirSync(stage, { recursive: true });
    writeFileSync(path.join(stage, 'dom0.yaml'), text);
    const r = await runDom0(['source', 'sign', stage, '--key', signWith]);
    if (r.code !== 0) throw new Error(`dom0 source sign: ${r.stderr}`);
    // the index first, then the manifest: a host polling in between sees a mismatch and keeps its version
    copyFileSync(path.join(stage, 'dom0.yaml.sig'), path.join(srv, 'dom0.yaml.sig'));
    copyFileSync(path.join(stage, 'dom0.yaml'), path.join(srv, 'dom0.yaml'));
  }

  async function cleanFleet(h: Host): Promise<void> {
    const d = h.engine.client();
    for (const c of await d.listContainers({ all: true, filters: { label: [`io.dom0.fleet=${FLEET}`] } })) await d.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    for (const n of await d.listNetworks({ filters: { label: [`io.dom0.fleet=${FLEET}`] } })) await d.getNetwork(n.Id).remove().catch(() => undefined);
    for (const v of (await d.listVolumes({ filters: { label: [`io.dom0.fleet=${FLEET}`] } })).Volumes ?? []) await d.getVolume(v.Name).remove().catch(() => undefined);
  }

  beforeAll(async () => {
    mkdirSync(srv);
    const t = Date.now();
    // three engines at once: each start builds its busybox image the first time
    await Promise.all(HOSTS.map((h) => h.engine.shOk('start')));
    console.log(`[farm] three engines started in ${Date.now() - t} ms`);
    await Promise.all(HOSTS.map((h) => cleanFleet(h)));
    for (const k of [key, otherKey]) {
      const r = await runDom0(['source', 'keygen', k]);
      if (r.code !== 0) throw new Error(`dom0 source keygen: ${r.stderr}`);
    }
    port = await freePort();
    await serve();
  }, 240_000);

  afterAll(async () => {
    for (const h of HOSTS) h.up?.kill('SIGTERM');
    await stopServing();
    await sleep(500);
    await Promise.all(HOSTS.map((h) => cleanFleet(h).catch(() => undefined)));
    await Promise.all(HOSTS.map((h) => h.engine.sh('stop')));
  }, 120_000);

  it('converges every host to its selection, rolls back everywhere, rides out the server, rejects a bad signature', async () => {
    await publish(manifest('v1'));
    for (const h of HOSTS) {
      h.state = path.join(dir, `state-${h.name}`);
      h.up = spawnDom0(
        ['up', '--source', `http://127.0.0.1:${port}/dom0.yaml`, '--source-pubkey', `${key}.pub`, '--source-interval', '1s', '--state-dir', h.state, '--rollback-after', '3s'],
        { env: { DOCKER_HOST: h.engine.host, DOM0_LOG_FORMAT: 'json' } },
      );
      h.out = collectOutput(h.up);
    }
    await eachHost('v1', Date.now(), (h) => ready(h, 'v1'), 90_000);
    await eachHost('v1 healthy (last-healthy saved)', Date.now(), (h) => events(h, 'readiness-ok').length >= 1);
    // the db host did not get web, and says why
    expect(events(HOSTS[2]!, 'not-placed').some((e) => e.entry === 'web')).toBe(true);

    // 1. one edit: every host converges to its selection
    let t0 = Date.now();
    await publish(manifest('v2'));
    const converged = await eachHost('v2', t0, (h) => ready(h, 'v2'));
    console.log(`[farm] edit → last of three hosts ready: ${Math.max(...converged)} ms (per host: ${converged.join(', ')} ms; poll 1s ±20%)`);
    await eachHost('v2 healthy', t0, (h) => events(h, 'readiness-ok').length >= 2);

    // 2. a change that breaks readiness (only the agent changes, and crash-loops) rolls back on every host
    const v2Ids = await Promise.all(HOSTS.map(async (h) => (await containers(h)).map((c) => c.id)));
    t0 = Date.now();
    await publish(manifest('v2', { command: '["sh", "-c", "sleep 0.2; exit 3"]', motd: 'v3' }));
    await eachHost('the rollback event', t0, (h) => events(h, 'rollback').length === 1);
    const rolledBack = await eachHost('v2 again after the rollback', t0, (h) => ready(h, 'v2'));
    console.log(`[farm] breaking edit → every host back on v2: ${Math.max(...rolledBack)} ms (window 3 s)`);
    for (const h of HOSTS) {
      const rb = events(h, 'rollback')[0]!;
      expect(rb.services).toEqual([expect.objectContaining({ service: 'agent' })]);
      const st = await runDom0(['status', '--state-dir', h.state, '-f', path.join(h.state, 'source', 'current', 'dom0.yaml')], { env: { DOCKER_HOST: h.engine.host } });
      expect(st.stdout, h.name).toContain('rolled back: manifest');
    }
    // the services the bad change did not touch were kept
    for (const [i, h] of HOSTS.entries()) {
      const keptId = (await containers(h)).find((c) => c.name !== 'farm-agent')!.id;
      expect(v2Ids[i]).toContain(keptId);
    }

    // 3. the server stopped: every fleet keeps running; an edit made meanwhile applies when it returns
    const idsBefore = await Promise.all(HOSTS.map(async (h) => (await containers(h)).map((c) => c.id).join()));
    const errorsWhileUp = HOSTS.map((h) => events(h, 'source-error').length);
    await stopServing();
    await eachHost('a source error', Date.now(), (h) => events(h, 'source-error').length > errorsWhileUp[HOSTS.indexOf(h)]!, 15_000);
    await sleep(1500);
    for (const [i, h] of HOSTS.entries()) {
      expect(await ready(h, 'v2'), h.name).toBe(true);
      expect((await containers(h)).map((c) => c.id).join(), h.name).toBe(idsBefore[i]);
    }
    await publish(manifest('v4'));
    t0 = Date.now();
    await serve();
    const recovered = await eachHost('v4 after the server returned', t0, (h) => ready(h, 'v4'));
    console.log(`[farm] server back → last of three hosts on v4: ${Math.max(...recovered)} ms`);

    // 4. a tampered manifest signed with another key is rejected on every host
    const errorsBefore = HOSTS.map((h) => events(h, 'source-error').length);
    await publish(manifest('v5-tampered'), otherKey);
    await eachHost('the tampered manifest rejected', Date.now(), (h) => events(h, 'source-error').length > errorsBefore[HOSTS.indexOf(h)]!, 15_000);
    await sleep(1500);
    for (const h of HOSTS) {
      expect(await ready(h, 'v4'), h.name).toBe(true);
      expect(events(h, 'source-updated').some((e) => String(e.msg ?? '').includes('tampered'))).toBe(false);
    }
  }, 150_000);
});
