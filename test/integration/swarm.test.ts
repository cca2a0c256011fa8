// The Swarm target (#15) on a single-node swarm: deploy in dependency order (a job completes, a
// healthcheck passes, before their dependents' first task), a no-op apply touches nothing, one
// change updates only that service, a failing update is rolled back, a removed entry's service
// goes, down keeps named volumes unless --volumes; --target swarm on a manifest without `target:`
// deploys its file:/content:/external secrets and configs as Swarm objects; a port moved to host
// mode and endpoint_mode dnsrr are planned as such and rolled, and a binary file: secret is read
// back byte for byte.
//
// Runs on its OWN engine (scripts/engine.sh with DOM0_ENGINE_DIR=/tmp/dom0-swarm-engine), put in
// swarm mode here: `docker swarm init` on the shared test engine would change it for every suite.
// Overlay networks get their subnets from --default-addr-pool 10.226.0.0/16, clear of the engine's
// own pool (10.225.0.0/16) and the other suites'.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, runDom0, tmpDir, writeManifest, type RunResult } from '../support/engine.js';
import { privateEngine } from '../support/private-engine.js';
import { DOCKER_CLI, run } from '../support/process.js';

const engine = privateEngine('/tmp/dom0-swarm-engine', 'base=10.225.0.0/16,size=24', { clientTimeoutMs: 30_000, shTimeoutMs: 5 * 60_000 });
const FLEET = 'swarm-it';
const svc = (e: string) => `${FLEET}_${e}`;

function manifest(o: { webCommand?: string; dbTest?: string; withWeb?: boolean } = {}): string {
  const web =
    o.withWeb === false
      ? ''
      : `
  web:
    image: busybox:latest
    command: ["sleep", "${o.webCommand ?? '1001'}"]
    init: true
    stop_grace_period: 1s
    depends_on: [api]
    deploy: {update_config: {monitor: 1s}}`;
  return `# swarm.test.ts
name: ${FLEET}
target: swarm
volumes:
  data: {}
jobs:
  migrate:
    image: busybox:latest
    command: ["sh", "-c", "sleep 2; echo migrated > /data/migrated"]
    volumes: ["data:/data"]
services:
  db:
    image: busybox:latest
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"]
    init: true
    stop_grace_period: 1s
    healthcheck: {test: ${o.dbTest ?? '["CMD", "test", "-f", "/tmp/ready"]'}, interval: 500ms, retries: 3}
    volumes: ["data:/data"]
    deploy: {update_config: {monitor: 2s}, rollback_config: {monitor: 1s}}
  api:
    image: busybox:latest
    command: ["sh", "-c", "test -f /data/migrated && exec sleep 1000"]
    init: true
    stop_grace_period: 1s
    volumes: ["data:/data"]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}${web}
`;
}

const docker = (...args: string[]) => run(DOCKER_CLI, args, { env: { DOCKER_HOST: engine.host }, timeoutMs: 60_000 });
const dom0 = (args: string[], timeoutMs = 120_000): Promise<RunResult> => runDom0(args, { env: { DOCKER_HOST: engine.host, DOM0_LOG_LEVEL: 'warn' }, timeoutMs });

async function versions(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of (await engine.client().listServices({ filters: JSON.stringify({ label: [`io.dom0.fleet=${FLEET}`] }) } as object)) as Array<{ Spec: { Name: string }; Version: { Index: number } }>) out[s.Spec.Name] = s.Version.Index;
  return out;
}

interface Task { CreatedAt: string; Status: { State: string; Timestamp: string } }
async function tasks(service: string): Promise<Task[]> {
  return (await engine.client().listTasks({ filters: JSON.stringify({ service: [service] }) } as object)) as Task[];
}
const t = (s: string) => Date.parse(s);

describeEngine('swarm target', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    await engine.shOk('start');
    const state = (await docker('info', '--format', '{{.Swarm.LocalNodeState}}')).stdout.trim();
    if (state !== 'active') {
      const r = await docker('swarm', 'init', '--advertise-addr', '127.0.0.1', '--default-addr-pool', '10.226.0.0/16');
      if (r.code !== 0) throw new Error(`swarm init failed: ${r.stderr}`);
    }
    dir = tmpDir('dom0-swarm-it-');
    file = writeManifest(dir, manifest());
    await dom0(['down', '--volumes', '-f', file]); // leftovers of an interrupted run
  }, 5 * 60_000);

  afterAll(async () => {
    try {
      if (file) await dom0(['down', '--volumes', '-f', file]);
      await docker('swarm', 'leave', '--force');
    } finally {
      await engine.sh('stop');
    }
  }, 5 * 60_000);

  it('deploys in dependency order: the job completes and db is healthy before api starts', async () => {
    const r = await dom0(['apply', '--json', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.converged).toBe(true);
    expect(j.actions.map((a: { name: string; action: string; status: string }) => `${a.action} ${a.name} ${a.status}`).sort()).toEqual(['create api ok', 'create db ok', 'create migrate ok', 'create web ok']);
    const [job] = await tasks(svc('migrate'));
    const dbRunning = (await tasks(svc('db'))).find((x) => x.Status.State === 'running')!;
    const api = (await tasks(svc('api'))).map((x) => t(x.CreatedAt)).sort()[0]!;
    const web = (await tasks(svc('web'))).map((x) => t(x.CreatedAt)).sort()[0]!;
    expect(job!.Status.State).toBe('complete');
    expect(api).toBeGreaterThan(t(job!.Status.Timestamp));
    expect(api).toBeGreaterThan(t(dbRunning.Status.Timestamp));
    const apiRunning = (await tasks(svc('api'))).find((x) => x.Status.State === 'running')!;
    expect(web).toBeGreaterThan(t(apiRunning.Status.Timestamp));
    // every task of api ran: it exits at once unless migrate wrote its file first
    expect((await tasks(svc('api'))).filter((x) => x.Status.State === 'failed')).toEqual([]);
  }, 120_000);

  it('a second apply is a no-op: nothing updated', async () => {
    const before = await versions();
    const r = await dom0(['apply', '--json', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).actions.map((a: { action: string }) => a.action)).toEqual(['keep', 'keep', 'keep', 'keep']);
    expect(await versions()).toEqual(before);
  }, 60_000);

  it('one change updates only that service', async () => {
    writeManifest(dir, manifest({ webCommand: '1002' }));
    const p = await dom0(['plan', '--json', '-f', file]);
    expect(JSON.parse(p.stdout).actions.filter((a: { action: string }) => a.action !== 'keep').map((a: { name: string; reasons: string[] }) => [a.name, a.reasons])).toEqual([['web', ['command changed']]]);
    const before = await versions();
    const r = await dom0(['apply', '--json', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const after = await versions();
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed).toEqual([svc('web')]);
  }, 60_000);

  it('an update whose new tasks fail their healthcheck is rolled back, and apply exits 1', async () => {
    writeManifest(dir, manifest({ webCommand: '1002', dbTest: '["CMD", "false"]' }));
    const r = await dom0(['apply', '--json', '-f', file]);
    expect(r.code).toBe(1);
    const db = JSON.parse(r.stdout).actions.find((a: { name: string }) => a.name === 'db');
    expect(db.status).toBe('rolled-back');
    const s = (await engine.client().getService(svc('db')).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Healthcheck: { Test: string[] } } } }; UpdateStatus: { State: string } };
    expect(s.UpdateStatus.State).toBe('rollback_completed');
    expect(s.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test).toEqual(['CMD', 'test', '-f', '/tmp/ready']);
    // dom0 reported once the previous spec ran again
    expect((await tasks(svc('db'))).some((x) => x.Status.State === 'running')).toBe(true);
    expect(db.error).toContain('the previous spec is running again');
  }, 120_000);

  it('an entry removed from the manifest: its service is removed; down keeps the named volume', async () => {
    writeManifest(dir, manifest({ webCommand: '1002', withWeb: false }));
    const r = await dom0(['apply', '--json', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).actions.filter((a: { action: string }) => a.action === 'remove').map((a: { name: string }) => a.name)).toEqual(['web']);
    expect(Object.keys(await versions()).sort()).toEqual([svc('api'), svc('db'), svc('migrate')]);

    const d = await dom0(['down', '-f', file]);
    expect(d.code, d.stderr).toBe(0);
    expect(await versions()).toEqual({});
    expect((await docker('volume', 'inspect', `${FLEET}_data`)).code).toBe(0);
    const v = await dom0(['down', '--volumes', '-f', file]);
    expect(v.code, v.stderr).toBe(0);
    expect((await docker('volume', 'inspect', `${FLEET}_data`)).code, `${v.stdout}${v.stderr}${(await docker('volume', 'inspect', `${FLEET}_data`)).stdout}`).not.toBe(0);
  }, 120_000);

  it('--target swarm on a manifest without target: secrets and configs (file:, content:, external) as Swarm objects', async () => {
    const fdir = tmpDir('dom0-swarm-it-files-');
    writeFileSync(join(fdir, 'cert.pem'), 'cert-v1');
    const ext = `${FLEET}-files-ext`;
    await docker('secret', 'rm', ext);
    writeFileSync(join(fdir, 'ext.txt'), 'external-v1');
    const mk = await docker('secret', 'create', ext, join(fdir, 'ext.txt'));
    expect(mk.code, mk.stderr).toBe(0);
    const ffile = writeManifest(
      fdir,
      `name: ${FLEET}-files
secrets:
  cert: {file: ./cert.pem}
  ext: {external: true, name: ${ext}}
configs:
  motd: {content: "hello swarm"}
services:
  app:
    image: busybox:latest
    command: ["sleep", "1000"]
    init: true
    stop_grace_period: 1s
    secrets: [cert, ext]
    configs: [{source: motd, target: /etc/motd}]
`,
    );
    try {
      const r = await dom0(['apply', '--target', 'swarm', '--json', '-f', ffile]);
      expect(r.code, r.stderr).toBe(0);
      expect(`${r.stdout}${r.stderr}`).not.toContain('cert-v1');
      const id = (await docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${FLEET}-files_app`)).stdout.trim().split('\n')[0]!;
      const cat = await docker('exec', id, 'cat', '/run/secrets/cert', '/run/secrets/ext', '/etc/motd');
      expect(cat.stdout).toBe('cert-v1external-v1hello swarm');
      expect((await docker('config', 'ls', '--format', '{{.Name}}')).stdout).toMatch(new RegExp(`^${FLEET}-files_etc_motd_[0-9a-f]{12}$`, 'm'));
      const d = await dom0(['down', '--target', 'swarm', '-f', ffile]);
      expect(d.code, d.stderr).toBe(0);
      expect((await docker('config', 'ls', '-q', '--filter', `label=io.dom0.fleet=${FLEET}-files`)).stdout.trim()).toBe('');
      expect((await docker('secret', 'ls', '-q', '--filter', `label=io.dom0.fleet=${FLEET}-files`)).stdout.trim()).toBe('');
      expect((await docker('secret', 'inspect', ext)).code).toBe(0); // external: never removed
    } finally {
      await dom0(['down', '--target', 'swarm', '-f', ffile]);
      await docker('secret', 'rm', ext);
    }
  }, 120_000);

  it('a port ingress → host and endpoint_mode vip → dnsrr: planned as such, rolled; a binary file: secret read back byte for byte', async () => {
    const bdir = tmpDir('dom0-swarm-it-bin-');
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256)); // every byte value: not UTF-8
    writeFileSync(join(bdir, 'keystore.bin'), bytes);
    const body = (mode: string, endpoint: string) => `name: ${FLEET}-ep
target: swarm
secrets:
  keystore: {file: ./keystore.bin}
services:
  app:
    image: busybox:latest
    command: ["sleep", "1000"]
    init: true
    stop_grace_period: 1s
    ports: [{target: 80, mode: ${mode}}]
    secrets: [keystore]
    deploy: {endpoint_mode: ${endpoint}, update_config: {monitor: 1s}}
`;
    const service = `${FLEET}-ep_app`;
    const bfile = writeManifest(bdir, body('ingress', 'vip'));
    try {
      const r = await dom0(['apply', '--json', '-f', bfile]);
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
      writeManifest(bdir, body('host', 'dnsrr'));
      const p = await dom0(['plan', '--json', '-f', bfile]);
      expect(JSON.parse(p.stdout).actions.map((a: { action: string; reasons: string[] }) => [a.action, a.reasons])).toEqual([
        ['update', ['endpoint_mode vip → dnsrr', 'ports changed: 80/tcp publish mode ingress → host']],
      ]);
      const u = await dom0(['apply', '--json', '-f', bfile]);
      expect(u.code, `${u.stdout}${u.stderr}`).toBe(0);
      for (const out of [r, p, u]) expect(`${out.stdout}${out.stderr}`).not.toContain(bytes.toString('base64').slice(0, 24));
      // an EndpointSpec change rolls the tasks: apply returned once that update completed
      const s = (await engine.client().getService(service).inspect()) as { Spec: { EndpointSpec: unknown }; UpdateStatus?: { State: string } };
      expect(s.UpdateStatus?.State).toBe('completed');
      expect(s.Spec.EndpointSpec).toMatchObject({ Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishMode: 'host' }] });
      const id = (await docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`)).stdout.trim().split('\n')[0]!;
      // host mode: the task's own container publishes the port (the node picked one)
      expect((await docker('port', id, '80/tcp')).stdout).toMatch(/:\d+/);
      const sum = await docker('exec', id, 'md5sum', '/run/secrets/keystore');
      expect(sum.stdout.split(' ')[0]).toBe(createHash('md5').update(bytes).digest('hex'));
      expect((await docker('exec', id, 'stat', '-c', '%s', '/run/secrets/keystore')).stdout.trim()).toBe(String(bytes.length));
    } finally {
      await dom0(['down', '-f', bfile]);
    }
  }, 120_000);

  it('a key with no Swarm meaning is exit 2 at its line, before the engine is touched', async () => {
    const bad = writeManifest(tmpDir('dom0-swarm-it-bad-'), `name: ${FLEET}-bad\ntarget: swarm\nservices:\n  app:\n    image: busybox:latest\n    container_name: fixed\n`);
    const r = await dom0(['apply', '-f', bad]);
    expect(r.code).toBe(2);
    // the same rule when the target comes from the flag
    const flagged = writeManifest(tmpDir('dom0-swarm-it-bad-'), `name: ${FLEET}-bad\nservices:\n  app:\n    image: busybox:latest\n    container_name: fixed\n`);
    const v = await dom0(['validate', '--target', 'swarm', '-f', flagged]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/dom0\.yaml:5:5: `container_name` has no meaning on a Swarm/);
    expect(r.stderr).toMatch(/dom0\.yaml:6:5: `container_name` has no meaning on a Swarm: Swarm names tasks itself; use the service name/);
  }, 30_000);
});
