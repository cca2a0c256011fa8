import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { ManifestError, UsageError } from '../../../src/cli/errors.js';
import { configCommand, formatDuration, pinnedImage, renderConfig, repositoryOf } from '../../../src/cli/config.js';
import { loadManifestText } from '../../../src/manifest/load.js';
import type { Manifest } from '../../../src/manifest/types.js';
import { manifest, svc } from '../reconcile/build.js';

let engineCalls = 0;
vi.mock('../../../src/cli/context.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/cli/context.js')>()),
  engine: () => {
    engineCalls++;
    throw new Error('config asked the engine');
  },
}));

function load(text: string, env: Record<string, string> = {}): Manifest {
  const r = loadManifestText(text, '/srv/app/dom0.yaml', { env, readFile: () => undefined });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.manifest;
}

const MANIFEST = `
name: app
registries:
  127.0.0.1:5000: {username: bob, password: "\${REG_PW}"}
volume_containers:
  data: {image: busybox:latest, paths: [/data]}
jobs:
  migrate:
    image: "busybox:\${TAG:-1.36}"
    command: echo migrate
services:
  web:
    image: busybox:latest
    environment:
      PLAIN: visible
      DB_PASSWORD: hunter22
      API_TOKEN: tok-123456
    ports: ["127.0.0.1:8080:80"]
    volumes: ["./site:/www:ro", "cache:/cache", "/tmp"]
    volumes_from: [data]
    depends_on:
      migrate: {condition: service_completed_successfully}
    stop_grace_period: 1m30s
    mem_limit: 512m
    restart: on-failure:3
    healthcheck: {test: "true", interval: 2s}
volumes:
  cache: {}
`;

describe('dom0 config: the resolved manifest in Compose shape', () => {
  const m = load(MANIFEST, { REG_PW: 'registry-pw-1', TAG: '1.37' });
  const c = renderConfig(m) as Record<string, any>;

  it('interpolates, and puts each section under its key', () => {
    expect(Object.keys(c)).toEqual(['name', 'services', 'jobs', 'volume_containers', 'networks', 'volumes', 'registries', 'pull_policy']);
    expect(c.name).toBe('app');
    expect(c.jobs.migrate.image).toBe('busybox:1.37');
    expect(c.jobs.migrate.command).toEqual(['echo', 'migrate']);
    expect(c.jobs.migrate.restart).toBe('no');
    expect(c.volume_containers.data).toMatchObject({ image: 'busybox:latest', paths: ['/data'], container_name: 'data' });
    expect(c.volumes.cache).toEqual({ name: 'app_cache' });
    expect(c.networks.default).toMatchObject({ name: 'app' });
  });

  it('redacts secret-looking environment values and registry passwords', () => {
    expect(c.services.web.environment).toEqual({ PLAIN: 'visible', DB_PASSWORD: '[redacted]', API_TOKEN: '[redacted]' });
    expect(c.registries).toEqual({ '127.0.0.1:5000': { username: 'bob', password: '[redacted]' } });
    const text = JSON.stringify(c);
    for (const s of ['hunter22', 'tok-123456', 'registry-pw-1']) expect(text).not.toContain(s);
  });

  it('writes Compose long syntaxes, durations and sizes', () => {
    const web = c.services.web;
    expect(Object.keys(web)).toEqual([...Object.keys(web)].sort());
    expect(web.ports).toEqual([{ target: 80, protocol: 'tcp', mode: 'host', published: '8080', host_ip: '127.0.0.1' }]);
    expect(web.volumes).toEqual([
      { type: 'bind', source: '/srv/app/site', target: '/www', read_only: true },
      { type: 'volume', source: 'cache', target: '/cache' },
      { type: 'volume', target: '/tmp' },
    ]);
    expect(web.volumes_from).toEqual(['data']);
    expect(web.depends_on.migrate).toEqual({ condition: 'service_completed_successfully', required: true });
    expect(web.stop_grace_period).toBe('1m30s');
    expect(web.mem_limit).toBe(512 * 1024 * 1024);
    expect(web.restart).toBe('on-failure:3');
    expect(web.healthcheck).toEqual({ test: ['CMD-SHELL', 'true'], interval: '2s' });
    expect(web).not.toHaveProperty('privileged'); // zero values are left out
  });

  it('pins images only when given digests', () => {
    const d = 'busybox:latest@sha256:' + 'a'.repeat(64);
    const pinned = renderConfig(m, new Map([['busybox:latest', d]])) as Record<string, any>;
    expect(pinned.services.web.image).toBe(d);
    expect(pinned.volume_containers.data.image).toBe(d);
    expect(pinned.jobs.migrate.image).toBe('busybox:1.37');
  });

  it('round-trips: its output, loaded again, renders the same (without secrets)', () => {
    const plain = load(MANIFEST.replace(/password: "\$\{REG_PW\}"/, 'identitytoken: x').replace(/ {6}(DB_PASSWORD|API_TOKEN).*\n/g, ''));
    const once = renderConfig(plain) as Record<string, any>;
    delete once.registries;
    const again = renderConfig(load(JSON.stringify(once)));
    expect(again).toEqual(once);
  });
});

describe('dom0 config: fields written in Compose words', () => {
  it('camelCase → snake_case, …Ms → duration, …Bytes → bytes, device requests → deploy, blkio → blkio_config', () => {
    const web = svc('web', {
      containerName: 'the-web',
      stopSignal: 'SIGINT',
      stopGracePeriodMs: 2500,
      memReservationBytes: 1024,
      cpuShares: 512,
      securityOpt: ['no-new-privileges'],
      deviceRequests: [{ capabilities: ['gpu'], count: -1, deviceIds: ['0'] }],
      blkio: { weight: 300, deviceReadBps: [{ path: '/dev/sda', rate: 1024 }] },
      pullPolicy: { everyMs: 43_200_000 },
      dependsOn: [{ name: 'db', condition: 'service_healthy', restart: true, required: false, timeoutMs: 120_000 }],
      healthcheck: { test: ['NONE'] },
      logging: { driver: 'json-file', options: { 'max-size': '10m' } },
    });
    const c = renderConfig(manifest({ services: [web, svc('db')] })) as Record<string, any>;
    expect(c.services.web).toMatchObject({
      container_name: 'the-web',
      stop_signal: 'SIGINT',
      stop_grace_period: '2.5s',
      mem_reservation: 1024,
      cpu_shares: 512,
      security_opt: ['no-new-privileges'],
      deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'], count: -1, device_ids: ['0'] }] } } },
      blkio_config: { weight: 300, device_read_bps: [{ path: '/dev/sda', rate: 1024 }] },
      pull_policy: 'every_12h0m',
      depends_on: { db: { condition: 'service_healthy', required: false, restart: true, timeout: '2m' } },
      healthcheck: { disable: true },
      logging: { driver: 'json-file', options: { 'max-size': '10m' } },
    });
    for (const k of Object.keys(c.services.web)) expect(k).toMatch(/^[a-z_]+$/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m'],
    [3_723_000, '1h2m3s'],
    [60_000, '1m'],
  ])('%d ms → %s', (ms, s) => expect(formatDuration(ms)).toBe(s));
});

describe('pinnedImage', () => {
  const D = 'sha256:' + 'b'.repeat(64);
  it.each([
    ['busybox:latest', [`busybox@${D}`], `busybox:latest@${D}`],
    ['docker.io/library/busybox', [`busybox@${D}`], `docker.io/library/busybox@${D}`],
    ['127.0.0.1:5000/app:1', [`127.0.0.1:5000/app@${D}`], `127.0.0.1:5000/app:1@${D}`],
    ['127.0.0.1:5000/app:1', [`other/app@${D}`], undefined],
    ['busybox:latest', [], undefined],
    [`busybox@${D}`, [], `busybox@${D}`],
  ])('%s with %j → %s', (image, digests, expected) => expect(pinnedImage(image, digests)).toBe(expected));

  it('repositoryOf drops tag, digest and the docker.io/library prefix', () => {
    expect(repositoryOf('docker.io/library/busybox:1@sha256:x')).toBe('busybox');
    expect(repositoryOf('localhost:5000/a/b')).toBe('localhost:5000/a/b');
  });
});

describe('dom0 config (the command, no engine)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dom0-config-'));
  async function run(file: string, ...args: string[]): Promise<string> {
    const program = new Command('dom0').option('-f, --file <file>').exitOverride();
    configCommand(program);
    const chunks: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (chunks.push(String(c)), true));
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'dom0', 'config', '-f', file, ...args]);
    } finally {
      write.mockRestore();
      warn.mockRestore();
    }
    return chunks.join('');
  }

  it('prints YAML (and the same as JSON) without asking the engine', async () => {
    const good = path.join(dir, 'dom0.yaml');
    writeFileSync(good, 'services:\n  web: {image: busybox:latest, restart: "no", environment: {SECRET_KEY: abcdef}}\n');
    const y = await run(good);
    const doc = parse(y);
    expect(doc.services.web).toMatchObject({ image: 'busybox:latest', restart: 'no', environment: { SECRET_KEY: '[redacted]' } });
    expect(y).toContain('restart: "no"'); // quoted: YAML 1.1 readers (docker-compose 1.x) see a string
    expect(JSON.parse(await run(good, '--format', 'json'))).toEqual(doc);
    expect(engineCalls).toBe(0);
    await expect(run(good, '--resolve-image-digests')).rejects.toThrow('config asked the engine'); // the mock is in place
    expect(engineCalls).toBe(1);
  });

  it('an invalid manifest is a ManifestError (exit 2), a bad --format a UsageError (exit 2)', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'services:\n  web: {imag: busybox}\n');
    await expect(run(bad)).rejects.toBeInstanceOf(ManifestError);
    await expect(run(bad, '--format', 'toml')).rejects.toBeInstanceOf(UsageError);
  });
});
