// Single-host Compose keys and `deploy:` against a real engine: the fields the engine records are
// the ones the manifest asked for, and a second plan keeps everything.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine } from '../support/engine.js';
import { actionMap, applyJson, cleanupFleetAndVolumes, inspectOrUndefined, manifestFile, planJson } from './fixtures/core-helpers.js';

const FLEET = 'dom0-compose-host-keys';
const NAME = 'compose-host-keys-svc';

const MANIFEST = `name: ${FLEET}
services:
  svc:
    image: busybox:latest
    container_name: ${NAME}
    command: sleep 3600
    security_opt: ["no-new-privileges:true"]
    group_add: [1234]
    ipc: private
    cgroup: private
    cpu_shares: 512
    cpu_period: 100000
    cpu_quota: 50000
    oom_score_adj: 500
    memswap_limit: 128m
    dns_opt: ["ndots:2"]
    annotations: {com.example.owner: dom0}
    mac_address: "02:42:ac:11:00:99"
    deploy:
      resources:
        limits: {memory: 64m, pids: 100}
        reservations: {memory: 32m}
      restart_policy: {condition: on-failure, max_attempts: 2}
  peer:
    image: busybox:latest
    container_name: ${NAME}-peer
    command: sleep 3600
    pid: "service:svc"
`;

describeEngine('compose single-host keys', () => {
  let file: string;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(MANIFEST);
    await applyJson(file);
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('the engine records each key as the HostConfig field Compose maps it to', async () => {
    const c = await inspectOrUndefined(NAME);
    expect(c?.State.Running).toBe(true);
    expect(c?.HostConfig).toMatchObject({
      SecurityOpt: ['no-new-privileges:true'],
      GroupAdd: ['1234'],
      IpcMode: 'private',
      CgroupnsMode: 'private',
      CpuShares: 512,
      CpuPeriod: 100000,
      CpuQuota: 50000,
      OomScoreAdj: 500,
      Memory: 64 * 1024 * 1024,
      MemorySwap: 128 * 1024 * 1024,
      MemoryReservation: 32 * 1024 * 1024,
      PidsLimit: 100,
      DnsOptions: ['ndots:2'],
      RestartPolicy: { Name: 'no' }, // dom0 applies on-failure:2 itself
    });
    expect(c?.Config.Labels['io.dom0.restart']).toBe('on-failure:2');
    expect(c?.NetworkSettings.Networks[FLEET]?.MacAddress).toBe('02:42:ac:11:00:99');
  });

  it('pid service:KEY shares the PID namespace of that container', async () => {
    const peer = await inspectOrUndefined(`${NAME}-peer`);
    expect(peer?.State.Running).toBe(true);
    const svc = await inspectOrUndefined(NAME);
    expect(peer?.HostConfig.PidMode).toBe(`container:${svc?.Id}`); // the engine records the ID
  });

  it('a second plan keeps everything', async () => {
    expect(actionMap((await planJson(file)).json.actions)).toEqual({ svc: 'keep', peer: 'keep' });
  });
});
