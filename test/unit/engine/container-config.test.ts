import { describe, expect, it } from 'vitest';
import { serviceRequest, volumeContainerRequest } from '../../../src/engine/container-config.js';
import { manifest, svc, vol } from '../reconcile/build.js';

const ctx = { name: 'web', labels: { 'io.dom0.fleet': 'fleet' }, keepVolumes: [] };

describe('container create request', () => {
  it('a volume container: declared paths as anonymous volumes, no network, never restarted by the engine', () => {
    const r = volumeContainerRequest(vol('home', ['/home']), { ...ctx, name: 'home' });
    expect(r.body).toMatchObject({ Image: 'busybox:latest', Cmd: ['/bin/true'], Volumes: { '/home': {} }, HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no' } } });
  });

  it('carries old anonymous volumes over on recreate instead of making new ones', () => {
    const r = volumeContainerRequest(vol('home', ['/home']), { ...ctx, keepVolumes: [{ name: 'abc', destination: '/home' }] });
    expect(r.body.Volumes).toEqual({});
    expect((r.body.HostConfig as { Mounts: unknown[] }).Mounts).toEqual([{ Type: 'volume', Source: 'abc', Target: '/home' }]);
  });

  it('a service: fleet network with its key as alias, links and volumes_from by container name, engine restart policy no', () => {
    const m = manifest({ volumes: [{ ...vol('data'), containerName: 'data-c' }], services: [svc('db', { containerName: 'db-c' })] });
    const s = svc('web', {
      links: [{ name: 'db', alias: 'database' }],
      volumesFrom: [{ name: 'data', readOnly: true }],
      restart: { name: 'always' },
      ports: [{ hostIp: '127.0.0.1', hostPort: '8080', containerPort: 80, protocol: 'tcp' }],
      environment: { A: '1' },
      volumes: [{ type: 'anonymous', target: '/cache', readOnly: false }, { type: 'bind', source: '/srv', target: '/srv', readOnly: true }],
      healthcheck: { test: ['CMD', 'true'], intervalMs: 1500 },
    });
    const r = serviceRequest(m, s, ctx);
    expect(r.body).toMatchObject({
      Env: ['A=1'],
      Volumes: { '/cache': {} },
      ExposedPorts: { '80/tcp': {} },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1_500_000_000 },
      HostConfig: {
        Links: ['db-c:database'],
        VolumesFrom: ['data-c:ro'],
        RestartPolicy: { Name: 'no' },
        NetworkMode: 'fleet',
        Binds: ['/srv:/srv:ro'],
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
      },
      NetworkingConfig: { EndpointsConfig: { fleet: { Aliases: ['web'] } } },
    });
    expect(r.extraNetworks).toEqual([]);
  });

  it('network_mode service:X joins X by container name and attaches no network', () => {
    const m = manifest({ services: [svc('vpn', { containerName: 'vpn-c' })] });
    const r = serviceRequest(m, svc('app', { networkMode: 'service:vpn', networks: {} }), ctx);
    expect((r.body.HostConfig as { NetworkMode: string }).NetworkMode).toBe('container:vpn-c');
    expect(r.body.NetworkingConfig).toBeUndefined();
  });
});
