import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest } from '../../../src/manifest/load.js';
import { entries } from '../../../src/manifest/types.js';

const FILE = fileURLToPath(new URL('../../fixtures/valid/reference.yaml', import.meta.url));
const DIR = FILE.slice(0, FILE.lastIndexOf('/'));

describe('reference manifest', async () => {
  const r = await loadManifest(FILE, { env: {} });
  if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  const m = r.manifest;
  const get = (name: string) => entries(m).find((e) => e.name === name)!;

  it('loads without warnings', () => {
    expect(r.warnings).toEqual([]);
    expect(m).toMatchObject({ file: FILE, name: 'homelab', pullPolicy: 'missing' });
  });

  it('has every entry, sorted by name within its section', () => {
    expect(m.volumeContainers.map((e) => e.name)).toEqual(['home-volume', 'www-content']);
    expect(m.jobs.map((e) => e.name)).toEqual(['fetch-site']);
    expect(m.services.map((e) => e.name)).toEqual(['redis', 'redis-ambassador', 'redis-client', 'web']);
  });

  it('normalizes volume containers', () => {
    expect(get('home-volume')).toEqual({
      kind: 'volume',
      name: 'home-volume',
      containerName: 'home-volume',
      image: 'busybox:latest',
      paths: ['/home'],
      command: ['/bin/true'],
      labels: {},
      pullPolicy: 'missing',
      position: { line: 15, col: 3 },
    });
  });

  it('normalizes the job', () => {
    expect(get('fetch-site')).toMatchObject({
      kind: 'job',
      command: ['sh', '-c', 'echo hello > /www/index.html'],
      restart: { name: 'no' },
      volumesFrom: [{ name: 'www-content', readOnly: false }],
      dependsOn: [{ name: 'www-content', condition: 'service_started', restart: false, required: true, implicit: 'volumes_from' }],
    });
  });

  it('normalizes services, anchors and merge keys included', () => {
    expect(get('redis')).toMatchObject({
      image: 'redis:7',
      restart: { name: 'unless-stopped' },
      labels: { 'org.example.fleet': 'homelab' },
      volumes: [{ type: 'volume', source: 'redis-data', target: '/data', readOnly: false }],
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], intervalMs: 2000, retries: 5 },
    });
    expect(get('redis-ambassador')).toMatchObject({
      links: [{ name: 'redis', alias: 'redis' }],
      ports: [{ hostPort: '6379', containerPort: 6379, protocol: 'tcp' }],
      dependsOn: [{ name: 'redis', condition: 'service_healthy', restart: false, required: true }],
    });
    expect(get('redis-client')).toMatchObject({
      command: ['redis-cli', '-h', 'redis', 'ping'],
      links: [{ name: 'redis-ambassador', alias: 'redis' }],
      dependsOn: [{ name: 'redis-ambassador', condition: 'service_started', implicit: 'links' }],
    });
    expect(get('web')).toMatchObject({
      volumesFrom: [{ name: 'www-content', readOnly: true }],
      dependsOn: [
        { name: 'fetch-site', condition: 'service_completed_successfully', restart: false, required: true, timeoutMs: 120_000 },
        { name: 'www-content', condition: 'service_started', implicit: 'volumes_from' },
      ],
      networks: { default: { aliases: ['web'] } },
    });
  });

  it('resolves registries, volumes and networks', () => {
    expect(m.registries).toEqual({ '127.0.0.1:5000': { host: '127.0.0.1:5000', username: 'u', password: 's3cret' } });
    expect(m.volumes).toEqual({ 'redis-data': { key: 'redis-data', name: 'homelab_redis-data', driverOpts: {}, labels: {}, external: false } });
    expect(Object.keys(m.networks)).toEqual(['default']);
    expect(m.networks.default!.name).toBe('homelab');
    expect(DIR).toBe(m.file.slice(0, m.file.lastIndexOf('/')));
  });

  it('is deterministic', async () => {
    const again = await loadManifest(FILE, { env: {} });
    expect(again).toEqual(r);
  });
});
