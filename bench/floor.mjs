#!/usr/bin/env node
// The floor: the speed the engine allows. The same create/start calls as the tools under test,
// raw HTTP over the engine's unix socket (node:http), full parallelism inside each dependency
// layer, no validation, no planning, no state. In the healthy variant it waits, between layers,
// for the previous layer's `health_status: healthy` events.
//
//   node bench/floor.mjs up FLEET.json       network + every layer (prints {"ms":…,"calls":{…}})
//   node bench/floor.mjs single FLEET.json   one extra container (FLEET-single) created and started on the
//                                            fleet network, also timed in-process; the caller removes it
//   node bench/floor.mjs down FLEET.json     stop+remove, dependents first, in parallel per layer; network
//
// DOCKER_HOST must be unix:///path (default /var/run/docker.sock).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { EngineApi } from './engine-api.mjs';

const LABEL_FLEET = 'dom0-bench.fleet';
const LABEL_SERVICE = 'dom0-bench.service';
const NS = 1_000_000;

function createBody(fleet, key) {
  const body = {
    Image: fleet.image,
    Cmd: fleet.command,
    Env: ['BENCH_REV=1'],
    Labels: { [LABEL_FLEET]: fleet.name, [LABEL_SERVICE]: key },
    HostConfig: { Init: true, NetworkMode: fleet.network, RestartPolicy: { Name: 'no' } },
    NetworkingConfig: { EndpointsConfig: { [fleet.network]: { Aliases: [key] } } },
  };
  if (fleet.healthy) body.Healthcheck = { Test: ['CMD', 'true'], Interval: fleet.healthIntervalMs * NS };
  return body;
}

async function createAndStart(api, fleet, name, key) {
  const c = await api.call('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
    body: createBody(fleet, key),
    op: 'createContainer',
  });
  await api.call('POST', `/containers/${c.Id}/start`, { op: 'startContainer', ok: [304] });
  return c.Id;
}

async function up(api, fleet) {
  await api.call('POST', '/networks/create', {
    body: { Name: fleet.network, CheckDuplicate: true, Labels: { [LABEL_FLEET]: fleet.name } },
    op: 'createNetwork',
  });
  const healthy = new Set();
  let waiter;
  const stream = fleet.healthy
    ? await api.events({ type: ['container'], event: ['health_status'], label: [`${LABEL_FLEET}=${fleet.name}`] }, (e) => {
        if ((e.Action ?? e.status) === 'health_status: healthy') {
          healthy.add(e.Actor?.Attributes?.name);
          waiter?.();
        }
      })
    : undefined;
  const last = fleet.layers.length - 1;
  for (const [k, layer] of fleet.layers.entries()) {
    await Promise.all(layer.map((s) => createAndStart(api, fleet, s.container, s.key)));
    if (fleet.healthy && k < last) {
      // the next layer depends on this one being healthy
      await new Promise((resolve) => {
        waiter = () => {
          if (layer.every((s) => healthy.has(s.container))) resolve();
        };
        waiter();
      });
    }
  }
  stream?.close();
}

async function single(api, fleet) {
  const name = `${fleet.name}-single`;
  const t0 = performance.now();
  const c = await api.call('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
    body: createBody(fleet, 'single'),
    op: 'createContainer',
  });
  const t1 = performance.now();
  await api.call('POST', `/containers/${c.Id}/start`, { op: 'startContainer', ok: [304] });
  const t2 = performance.now();
  return { createMs: t1 - t0, startMs: t2 - t1, createStartMs: t2 - t0 };
}

async function down(api, fleet) {
  for (const layer of [...fleet.layers].reverse()) {
    await Promise.all(
      layer.map(async (s) => {
        await api.call('POST', `/containers/${encodeURIComponent(s.container)}/stop`, { op: 'stopContainer', ok: [304, 404] });
        await api.call('DELETE', `/containers/${encodeURIComponent(s.container)}?v=true`, { op: 'removeContainer', ok: [404] });
      }),
    );
  }
  await api.call('DELETE', `/networks/${encodeURIComponent(fleet.network)}`, { op: 'removeNetwork', ok: [404] });
}

async function main() {
  const [cmd, file] = process.argv.slice(2);
  if (!['up', 'single', 'down'].includes(cmd) || !file) {
    process.stderr.write('usage: node bench/floor.mjs up|single|down FLEET.json\n');
    return 2;
  }
  const fleet = JSON.parse(fs.readFileSync(file, 'utf8'));
  const api = new EngineApi();
  const t0 = performance.now();
  try {
    const extra = cmd === 'up' ? await up(api, fleet) : cmd === 'single' ? await single(api, fleet) : await down(api, fleet);
    process.stdout.write(`${JSON.stringify({ cmd, ms: performance.now() - t0, ...(extra ?? {}), calls: api.calls })}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`floor ${cmd}: ${e.message}\n`);
    return 1;
  } finally {
    api.close();
  }
}

process.exitCode = await main();
