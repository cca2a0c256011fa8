// The reference fleet end to end: volume containers, a job feeding a volume container, a service
// gated on the job, a health-gated dependent, and a links pair. One apply in beforeAll; each `it`
// checks one property of the result.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, FLEET_LABEL, describeEngine, execIn, type ContainerInfo } from '../support/engine.js';
import {
  TOLERANCE_MS,
  applyJson,
  fleetByName,
  logLines,
  manifestFile,
  ms,
  renderFixture,
  statusJson,
  volumeAt,
  type ApplyJson,
  type Ran,
  cleanupFleetAndVolumes,
} from './fixtures/core-helpers.js';

const FLEET = 'dom0-core-ref';
const P = 'cref';
const n = (s: string) => `${P}-${s}`;

describeEngine('core: reference fleet', () => {
  let file: string;
  let applied: Ran<ApplyJson>;
  let fleet: Record<string, ContainerInfo>;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-reference.yaml', { FLEET, P }));
    applied = await applyJson(file);
    fleet = await fleetByName(FLEET);
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('apply exits 0, converges, and reports every entry ok', () => {
    expect(applied.code).toBe(0);
    expect(applied.json.fleet).toBe(FLEET);
    expect(applied.json.converged).toBe(true);
    const got = Object.fromEntries(applied.json.actions.map((a) => [a.name, [a.kind, a.action, a.status]]));
    expect(got).toEqual({
      [n('home')]: ['volume', 'create', 'ok'],
      [n('www')]: ['volume', 'create', 'ok'],
      [n('fetch')]: ['job', 'run', 'ok'],
      [n('shell')]: ['service', 'create', 'ok'],
      [n('web')]: ['service', 'create', 'ok'],
      [n('db')]: ['service', 'create', 'ok'],
      [n('app')]: ['service', 'create', 'ok'],
      [n('server')]: ['service', 'create', 'ok'],
      [n('client')]: ['service', 'create', 'ok'],
    });
  });

  it('logs NDJSON on stderr (apply-started … apply-finished) and keeps stdout for the result', () => {
    const lines = logLines(applied.stderr);
    expect(lines.filter((l) => 'raw' in l)).toEqual([]);
    const events = lines.map((l) => l.event);
    expect(events[0]).toBe('apply-started');
    expect(events.at(-1)).toBe('apply-finished');
    expect(lines.at(-1)).toMatchObject({ event: 'apply-finished', fleet: FLEET, converged: true });
    expect(lines.filter((l) => l.event === 'action').map((l) => l.entry).sort()).toEqual(
      ['home', 'www', 'fetch', 'shell', 'web', 'db', 'app', 'server', 'client'].map(n).sort(),
    );
    expect(applied.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('creates exactly the manifest entries, labelled, on busybox', () => {
    expect(Object.keys(fleet).sort()).toEqual(
      ['home', 'www', 'fetch', 'shell', 'web', 'db', 'app', 'server', 'client'].map(n).sort(),
    );
    for (const c of Object.values(fleet)) {
      expect(c.image).toBe(BUSYBOX);
      expect(c.labels[FLEET_LABEL]).toBe(FLEET);
      expect(c.labels['io.dom0.name']).toBe(c.name);
      expect(c.labels['io.dom0.config-hash']).toMatch(/\S/);
      expect(() => JSON.parse(c.labels['io.dom0.spec']!)).not.toThrow();
    }
  });

  it('creates volume containers but never starts them', () => {
    for (const [name, path] of [
      [n('home'), '/home'],
      [n('www'), '/www'],
    ] as const) {
      const c = fleet[name]!;
      expect(c.labels['io.dom0.kind']).toBe('volume');
      expect(c.state).toBe('created');
      expect(c.startedAt).toBeUndefined();
      expect(c.inspect.Mounts.map((m) => m.Destination)).toEqual([path]);
    }
  });

  it('runs the job to exit 0 and starts every service', () => {
    expect(fleet[n('fetch')]).toMatchObject({ state: 'exited', exitCode: 0, labels: { 'io.dom0.kind': 'job' } });
    for (const s of ['shell', 'web', 'db', 'app', 'server', 'client'].map(n)) {
      expect(fleet[s], s).toMatchObject({ state: 'running', running: true, labels: { 'io.dom0.kind': 'service' } });
    }
  });

  it('shares the home volume container with the service (volumes_from)', async () => {
    const shell = fleet[n('shell')]!;
    expect(volumeAt(shell, '/home')).toBe(volumeAt(fleet[n('home')]!, '/home'));
    const r = await execIn(n('shell'), ['cat', '/home/motd']);
    expect(r).toMatchObject({ code: 0, stdout: 'welcome\n' });
  });

  it('serves the file the job wrote into www-content, read-only, inside and on 127.0.0.1', async () => {
    const web = fleet[n('web')]!;
    expect(volumeAt(web, '/www')).toBe(volumeAt(fleet[n('www')]!, '/www'));
    expect(web.inspect.Mounts.find((m) => m.Destination === '/www')?.RW).toBe(false);
    const inside = await execIn(n('web'), ['sh', '-c', 'timeout 3 wget -qO- http://127.0.0.1/index.html']);
    expect(inside).toMatchObject({ code: 0, stdout: '<h1>hello from dom0</h1>\n' });
    const ro = await execIn(n('web'), ['sh', '-c', 'echo x > /www/x']);
    expect(ro.code).not.toBe(0);

    const binding = web.inspect.NetworkSettings.Ports['80/tcp']?.[0];
    expect(binding?.HostIp).toBe('127.0.0.1');
    const port = Number(binding?.HostPort);
    expect(port).toBeGreaterThan(0);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      body = await fetch(`http://127.0.0.1:${port}/index.html`).then((res) => (res.ok ? res.text() : ''), () => '');
      if (body === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('<h1>hello from dom0</h1>\n');
  });

  it('starts the job-gated service only after the job finished', () => {
    const job = fleet[n('fetch')]!;
    const web = fleet[n('web')]!;
    expect(ms(web.startedAt)).toBeGreaterThanOrEqual(ms(job.finishedAt) - TOLERANCE_MS);
    // the job sleeps 1 s: a service started with it would be far earlier
    expect(ms(job.finishedAt) - ms(job.startedAt)).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
  });

  it('starts the health-gated dependent only after its dependency became healthy', () => {
    const db = fleet[n('db')]!;
    const app = fleet[n('app')]!;
    expect(db.inspect.State.Health?.Status).toBe('healthy');
    // /tmp/ready appears 2 s after db starts, so db cannot be healthy before StartedAt + 2 s
    expect(ms(app.startedAt)).toBeGreaterThanOrEqual(ms(db.startedAt) + 2000 - TOLERANCE_MS);
    // and the first successful probe recorded (if the log still holds it) precedes the dependent's start
    const okProbes = (db.inspect.State.Health?.Log ?? []).filter((l) => l.ExitCode === 0);
    const failedFirst = (db.inspect.State.Health?.Log ?? [])[0]?.ExitCode !== 0;
    if (failedFirst && okProbes[0]) {
      expect(ms(app.startedAt)).toBeGreaterThanOrEqual(ms(okProbes[0].End) - TOLERANCE_MS);
    }
  });

  it('lets the linked client reach the server by its link alias', async () => {
    // an unknown name can hang in the engine's DNS forwarder: bound each try, few tries
    const ask = (host: string) =>
      execIn(n('client'), [
        'sh',
        '-c',
        `for i in 1 2 3 4 5; do out=$(timeout 2 nc ${host} 7000 </dev/null) && [ -n "$out" ] && echo "$out" && exit 0; sleep 0.2; done; exit 1`,
      ]);
    // the server answers under its container name (proves the server side works)...
    expect(await ask(n('server'))).toMatchObject({ code: 0, stdout: 'pong-from-server\n' });
    // ...and the client reaches it under the link alias
    const r = await ask('srv');
    expect(r, `nc srv 7000 from the client: ${r.stderr}`).toMatchObject({ code: 0, stdout: 'pong-from-server\n' });
  });

  it('status --json reports every entry in sync with its state', async () => {
    const s = await statusJson(file);
    expect(s.json.fleet).toBe(FLEET);
    const rows = Object.fromEntries(s.json.entries.map((e) => [e.name, e]));
    expect(Object.keys(rows).sort()).toEqual(Object.keys(fleet).sort());
    for (const e of s.json.entries) expect(e.sync, e.name).toBe('in sync');
    expect(rows[n('home')]).toMatchObject({ kind: 'volume', state: 'created' });
    expect(rows[n('fetch')]).toMatchObject({ kind: 'job', state: 'exited', exitCode: 0 });
    expect(rows[n('db')]).toMatchObject({ kind: 'service', state: 'running', health: 'healthy' });
    expect(rows[n('web')]!.id).toBe(fleet[n('web')]!.id.slice(0, 12));
  });
});
