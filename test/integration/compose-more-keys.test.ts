// More single-host Compose keys against a real engine, in one apply: label_file, env_file
// format raw, volume_driver, isolation, platform, CPU durations, a bind with a propagation mode
// and no `ro`, network priority and per-attachment driver_opts, IPAM options and aux_addresses.
// The fields the engine records are the ones Compose would send; a second plan keeps everything.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, docker } from '../support/engine.js';
import { actionMap, applyJson, cleanupFleetAndVolumes, inspectOrUndefined, manifestFile, planJson } from './fixtures/core-helpers.js';

const FLEET = 'dom0-compose-more-keys';
const NAME = 'compose-more-keys-svc';

const MANIFEST = `name: ${FLEET}
networks:
  front:
    ipam:
      options: {com.example.ipam: "1"}
      config:
        - subnet: 10.213.77.0/24
          aux_addresses: {reserved: 10.213.77.5}
  back: {}
services:
  svc:
    image: busybox:latest
    container_name: ${NAME}
    command: sleep 3600
    platform: linux/amd64
    isolation: default
    volume_driver: local
    label_file: ./svc.labels
    labels: {com.example.b: own}
    env_file: [{path: ./raw.env, format: raw}]
    cpu_period: 100ms
    cpu_quota: 50ms
    volumes: ["/cache", ".:/shared:private"]
    networks:
      front: {}
      back: {priority: 10, driver_opts: {com.example.endpoint: "x"}}
`;

describeEngine('compose: more single-host keys', () => {
  let file: string;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET, [NAME]);
    file = manifestFile(MANIFEST);
    const dir = path.dirname(file);
    writeFileSync(path.join(dir, 'svc.labels'), 'com.example.a=from-file\ncom.example.b=overridden\n');
    writeFileSync(path.join(dir, 'raw.env'), 'RAW="quoted ${HOME}"\n');
    await applyJson(file);
  }, 120_000);
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET, [NAME]);
  });

  it('the engine records each key as Compose maps it', async () => {
    const c = await inspectOrUndefined(NAME);
    expect(c?.State.Running).toBe(true);
    expect(c?.Config.Labels).toMatchObject({ 'com.example.a': 'from-file', 'com.example.b': 'own' });
    expect(c?.Config.Env).toContain('RAW="quoted ${HOME}"');
    expect(c?.HostConfig).toMatchObject({ VolumeDriver: 'local', Isolation: 'default', CpuPeriod: 100_000, CpuQuota: 50_000 });
    expect(c?.Platform).toBe('linux');
    // A propagation mode without `ro` is a Mount, as Compose sends it (not "/shared,private").
    expect(c?.Mounts.find((m) => m.Destination === '/shared')).toMatchObject({ Type: 'bind', Propagation: 'private' });
    // The highest priority network is the primary one; its endpoint carries its driver_opts.
    expect(c?.HostConfig.NetworkMode).toBe(`${FLEET}_back`);
    const nets = c?.NetworkSettings.Networks as Record<string, { DriverOpts?: Record<string, string> | null }>;
    expect(Object.keys(nets).sort()).toEqual([`${FLEET}_back`, `${FLEET}_front`]);
    expect(nets[`${FLEET}_back`]?.DriverOpts).toEqual({ 'com.example.endpoint': 'x' });
  });

  it('the network is created with the IPAM options and auxiliary addresses', async () => {
    const n = (await docker().getNetwork(`${FLEET}_front`).inspect()) as { IPAM: { Options?: Record<string, string>; Config: Array<Record<string, unknown>> } };
    expect(n.IPAM.Options).toEqual({ 'com.example.ipam': '1' });
    expect(n.IPAM.Config[0]).toMatchObject({ Subnet: '10.213.77.0/24', AuxiliaryAddresses: { reserved: '10.213.77.5' } });
  });

  it('a second plan keeps everything', async () => {
    expect(actionMap((await planJson(file)).json.actions)).toEqual({ svc: 'keep' });
  });
});
