// Helpers for test/integration/up-*.test.ts: `dom0 up` run as the real image (dom0:latest) in a
// container on a PRIVATE engine that the suite starts and stops itself (scripts/engine.sh with
// DOM0_ENGINE_DIR=/tmp/dom0-up-engine), because the reboot case stops and starts the engine.
//
// The image is built on the shared test engine (scripts/build-image.sh --if-changed, as
// image-build.test.ts does) and moved over with `docker save | docker load`.
//
// The private engine, commands and the image build come from test/support (private-engine.ts,
// process.ts, image.ts); the few engine helpers needed here (inspect, events, logs) use the
// private engine's client.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { TEST_DOCKER_HOST } from '../../support/engine.js';
import { privateEngine } from '../../support/private-engine.js';
import { DOCKER_CLI, explain, run } from '../../support/process.js';
import { waitFor as pollUntil } from '../../support/wait.js';

export const FIXTURES = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------ the private engine

export const ENGINE_DIR = process.env.DOM0_UP_ENGINE_DIR || '/tmp/dom0-up-engine';
export const ENGINE_POOL = process.env.DOM0_UP_ENGINE_ADDRESS_POOL || 'base=10.216.0.0/16,size=24';
const engine = privateEngine(ENGINE_DIR, ENGINE_POOL);
export const ENGINE_SOCK = engine.sock;
export const ENGINE_HOST = engine.host;

export const IMAGE = 'dom0:latest';
export const FLEET = 'dom0-up-e2e';
/** A label on dom0's own container (never io.dom0.*, which would make it look managed). */
export const SELF_LABEL = 'dom0-test.role=up-e2e-dom0';
export const STATE_VOLUME = 'dom0-up-e2e-state';

export { DOCKER_CLI, explain, run, type Run } from '../../support/process.js';
export { buildImageOnSharedEngine } from '../../support/image.js';
export { sleep } from '../../../src/backoff.js';

/** The docker CLI on the private engine. */
export const dk = (args: string[], timeoutMs?: number) =>
  run(DOCKER_CLI, args, { env: { DOCKER_HOST: ENGINE_HOST }, timeoutMs });

/** dk(), throwing unless it exits 0; returns stdout. */
export async function dkOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await dk(args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${explain(r)}`);
  return r.stdout;
}

export const engineSh = (cmd: 'start' | 'stop' | 'status' | 'purge') => engine.sh(cmd);

/** Copies dom0:latest from the shared engine to the private one unless it is already there. */
export async function loadImageIntoPrivateEngine(): Promise<string> {
  const idOn = async (host: string) =>
    (await run(DOCKER_CLI, ['image', 'inspect', '-f', '{{.Id}}', IMAGE], { env: { DOCKER_HOST: host } })).stdout.trim();
  const want = await idOn(TEST_DOCKER_HOST);
  if (!want) throw new Error(`${IMAGE} is not on the shared engine ${TEST_DOCKER_HOST}`);
  if ((await idOn(ENGINE_HOST)) === want) return `${IMAGE} ${want.slice(7, 19)} already on the private engine`;
  const r = await run(
    'bash',
    ['-o', 'pipefail', '-c', `DOCKER_HOST="$SRC" "$CLI" save "$IMG" | DOCKER_HOST="$DST" "$CLI" load`],
    { env: { SRC: TEST_DOCKER_HOST, DST: ENGINE_HOST, CLI: DOCKER_CLI, IMG: IMAGE }, timeoutMs: 5 * 60_000 },
  );
  if (r.code !== 0) throw new Error(`docker save | docker load failed: ${explain(r)}`);
  const got = await idOn(ENGINE_HOST);
  if (got !== want) throw new Error(`after docker load the private engine has ${IMAGE} ${got}, expected ${want}`);
  return `${IMAGE} ${want.slice(7, 19)} loaded into the private engine in ${r.ms} ms`;
}

/** dockerode on the private engine (a new connection per request, so engine restarts are fine). */
export const pd = engine.client;

// ------------------------------------------------------------------ the manifest

export interface FleetVariant {
  /** upe-shell's MOTD (the env edit). */
  motd: string;
  /** upe-gone present. */
  gone: boolean;
  /** upe-extra present, with ADDED=<value>. */
  extra?: string;
  /** The key upe-extra's environment is written under (a typo makes the manifest invalid). */
  extraEnvKey?: string;
  /** upe-slow (healthy after ~25 s) and upe-gated (depends on it being healthy) present. */
  slow?: boolean;
}

export function fleetYaml(v: FleetVariant): string {
  const read = (f: string) => readFileSync(path.join(FIXTURES, f), 'utf8');
  const extra =
    v.extra === undefined
      ? ''
      : read('extra.yaml')
          .split('__ENV_KEY__')
          .join(v.extraEnvKey ?? 'environment')
          .split('__ADDED__')
          .join(v.extra);
  const text = read('fleet.yaml')
    .split('__MOTD__')
    .join(v.motd)
    .split('__GONE__\n')
    .join(v.gone ? read('gone.yaml') : '')
    .split('__EXTRA__\n')
    .join(extra)
    .split('__SLOW__\n')
    .join(v.slow ? read('slow.yaml') : '');
  const left = /__[A-Z][A-Z0-9_]*__/.exec(text);
  if (left) throw new Error(`fleet fixture: placeholder ${left[0]} not replaced`);
  return text;
}

/** Replace the file the way editors that save by rename do. */
export function writeByRename(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** 1-based line and column of the first occurrence of `needle`. */
export function positionOf(text: string, needle: string): { line: number; col: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`"${needle}" not found`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

// ------------------------------------------------------------------ observing the engine

export interface Box {
  name: string;
  id: string;
  state: string;
  running: boolean;
  exitCode: number;
  startedAt: number; // ms since epoch; 0 when never started
  finishedAt: number;
  startedAtRaw: string;
  health?: string;
  healthLog: Array<{ Start: string; End: string; ExitCode: number }>;
  restartCount: number;
  restartPolicy: string;
  env: string[];
  pid: number;
  labels: Record<string, string>;
}

const ZERO = '0001-01-01T00:00:00Z';
const ms = (t: string | undefined) => (t && t !== ZERO ? Date.parse(t) : 0);

function toBox(i: Docker.ContainerInspectInfo): Box {
  const health = (i.State as { Health?: { Status: string; Log?: Box['healthLog'] } }).Health;
  return {
    name: i.Name.replace(/^\//, ''),
    id: i.Id,
    state: i.State.Status,
    running: i.State.Running,
    exitCode: i.State.ExitCode,
    startedAt: ms(i.State.StartedAt),
    finishedAt: ms(i.State.FinishedAt),
    startedAtRaw: i.State.StartedAt,
    health: health?.Status,
    healthLog: health?.Log ?? [],
    restartCount: i.RestartCount,
    restartPolicy: i.HostConfig.RestartPolicy?.Name ?? '',
    env: i.Config.Env ?? [],
    pid: i.State.Pid,
    labels: i.Config.Labels ?? {},
  };
}

export async function inspect(name: string): Promise<Box | undefined> {
  try {
    return toBox(await pd().getContainer(name).inspect());
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** The fleet's containers by name (dom0's own container is not labelled, so never among them). */
export async function fleet(): Promise<Record<string, Box>> {
  const list = await pd().listContainers({ all: true, filters: { label: [`io.dom0.fleet=${FLEET}`] } });
  const out: Record<string, Box> = {};
  for (const c of list) {
    const b = await inspect(c.Id);
    if (b) out[b.name] = b;
  }
  return out;
}

/** name → id */
export const idsOf = (f: Record<string, Box>) => Object.fromEntries(Object.entries(f).map(([n, b]) => [n, b.id]));

/** What "changed" means for the no-change checks: id, state, start and finish times. */
export const fingerprint = (f: Record<string, Box>) =>
  Object.fromEntries(
    Object.entries(f)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([n, b]) => [n, `${b.id.slice(0, 12)} ${b.state}(${b.exitCode}) started ${b.startedAtRaw}`]),
  );

export interface EngineEvent {
  action: string;
  name: string;
  id: string;
  /** ms since epoch, with sub-ms precision */
  at: number;
  attributes: Record<string, string>;
}

/** The engine's container events for the fleet in [sinceMs, now] (the engine keeps them in memory). */
export async function fleetEvents(sinceMs: number, label = `io.dom0.fleet=${FLEET}`): Promise<EngineEvent[]> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const stream = (await pd().getEvents({
    since: Math.floor(sinceMs / 1000),
    until,
    filters: { type: ['container'], label: [label] },
  })) as unknown as NodeJS.ReadableStream;
  let text = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { Action: string; id: string; timeNano: number; Actor: { Attributes: Record<string, string> } })
    .map((e) => ({
      action: e.Action,
      id: e.id,
      name: e.Actor.Attributes.name ?? '',
      at: e.timeNano / 1e6,
      attributes: e.Actor.Attributes,
    }))
    .filter((e) => e.at >= sinceMs);
}

// ------------------------------------------------------------------ dom0's logs

export type LogLine = Record<string, unknown> & { event?: string; time?: string; entry?: string; msg?: string };

/** dom0's NDJSON log lines (stdout and stderr of its container), optionally only those at/after sinceMs. */
export async function dom0Log(container: string, sinceMs = 0): Promise<LogLine[]> {
  const r = await dk(['logs', container]);
  const lines: LogLine[] = [];
  for (const l of `${r.stdout}\n${r.stderr}`.split('\n')) {
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l) as LogLine);
    } catch {
      lines.push({ raw: l });
    }
  }
  return lines
    .filter((l) => !sinceMs || (typeof l.time === 'string' && Date.parse(l.time) >= sinceMs))
    .sort((a, b) => Date.parse(String(a.time ?? 0)) - Date.parse(String(b.time ?? 0)));
}

export const at = (l: LogLine) => Date.parse(String(l.time));

export function showLog(lines: LogLine[], max = 80): string {
  return lines
    .slice(-max)
    .map((l) => {
      if (!l.event) return JSON.stringify(l).slice(0, 300);
      const { level: _level, time, event, msg, ...rest } = l;
      return `${String(time).slice(11)} ${event} ${msg ?? ''} ${JSON.stringify(rest).slice(0, 200)}`;
    })
    .join('\n');
}

// ------------------------------------------------------------------ misc


/** Polling (test/support/wait.ts), at the 250 ms these suites have always used. */
export const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, describe?: () => Promise<string>, intervalMs = 250): Promise<T> =>
  pollUntil(what, fn, timeoutMs, describe, intervalMs);

export const iso = (t: number) => new Date(t).toISOString();
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Records the fleet's container events live, from now until stop() (the engine keeps only ~256 in memory). */
export async function recordEvents(label = `io.dom0.fleet=${FLEET}`): Promise<{ events: EngineEvent[]; stop: () => void }> {
  const stream = (await pd().getEvents({ filters: { type: ['container'], label: [label] } })) as unknown as NodeJS.ReadableStream & {
    destroy: () => void;
  };
  const events: EngineEvent[] = [];
  let buf = '';
  stream.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const e = JSON.parse(line) as { Action: string; id: string; timeNano: number; Actor: { Attributes: Record<string, string> } };
      events.push({ action: e.Action, id: e.id, name: e.Actor.Attributes.name ?? '', at: e.timeNano / 1e6, attributes: e.Actor.Attributes });
    }
  });
  stream.on('error', () => undefined);
  return { events, stop: () => stream.destroy() };
}
