// Helpers for integration tests that run against the private test engine (scripts/engine.sh).
//
// Every integration suite is wrapped in describeEngine(): when the engine is unreachable the suite
// is skipped with a visible reason locally, and FAILS under CI=true (never a silent skip in CI).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { describe, it } from 'vitest';

/** Absolute path of the repository root. */
export const REPO_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The dom0 CLI as shipped (package.json "bin": the bundle `npm run build` writes). */
export const DOM0_CLI: string = path.join(REPO_ROOT, 'dist', 'bundle', 'dom0.mjs');

/** DOCKER_HOST of the test engine: env DOM0_TEST_DOCKER_HOST, else scripts/engine.sh's default. */
export const TEST_DOCKER_HOST: string =
  process.env.DOM0_TEST_DOCKER_HOST || 'unix:///tmp/dom0-engine/docker.sock';

/** The fleet label dom0 puts on everything it creates. */
export const FLEET_LABEL = 'io.dom0.fleet';

/** Test image built locally by scripts/engine.sh (no registry access needed). */
export const BUSYBOX = 'busybox:latest';

// ------------------------------------------------------------------ engine access

/** dockerode options for a DOCKER_HOST string (unix://, tcp://, http://). */
export function dockerOptions(host: string = TEST_DOCKER_HOST): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (m) return { protocol: 'http', host: m[1], port: Number(m[2]) };
  throw new Error(`unsupported DOCKER_HOST for tests: ${host}`);
}

let client: Docker | undefined;

/** A dockerode client on the test engine (shared per test file). */
export function docker(): Docker {
  client ??= new Docker(dockerOptions());
  return client;
}

/** Async reachability check: GET /_ping on the test engine. */
export async function engineReachable(timeoutMs = 3000): Promise<boolean> {
  const d = new Docker({ ...dockerOptions(), timeout: timeoutMs });
  try {
    const r: unknown = await d.ping();
    return String(r instanceof Buffer ? r.toString() : r) === 'OK';
  } catch {
    return false;
  }
}

/**
 * Synchronous reachability check (test collection is synchronous): a child node process pings the
 * engine. Result cached per host for the life of the worker.
 */
const reachableCache = new Map<string, boolean>();
export function engineReachableSync(host: string = TEST_DOCKER_HOST, timeoutMs = 5000): boolean {
  const cached = reachableCache.get(host);
  if (cached !== undefined) return cached;
  const opts = dockerOptions(host);
  const script = `
    const http = require('node:http');
    const o = JSON.parse(process.argv[1]);
    const req = http.request({ ...(o.socketPath ? { socketPath: o.socketPath } : { host: o.host, port: o.port }),
      path: '/_ping', method: 'GET', timeout: ${timeoutMs} }, (res) => {
      let b = ''; res.on('data', (c) => (b += c));
      res.on('end', () => process.exit(res.statusCode === 200 && b.trim() === 'OK' ? 0 : 1));
    });
    req.on('timeout', () => { req.destroy(); process.exit(1); });
    req.on('error', () => process.exit(1));
    req.end();`;
  const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(opts)], {
    stdio: 'ignore',
    timeout: timeoutMs + 2000,
  });
  const ok = r.status === 0;
  reachableCache.set(host, ok);
  return ok;
}

/**
 * describe() for suites that need the test engine.
 * - engine reachable: a plain describe(name, fn)
 * - unreachable and CI=true: a suite with one failing test ("test engine unreachable at …")
 * - unreachable otherwise: describe.skip with the reason in the suite name (and a warning)
 */
export function describeEngine(name: string, fn: () => void): void {
  if (engineReachableSync()) {
    describe(name, fn);
    return;
  }
  const reason =
    `test engine unreachable at ${TEST_DOCKER_HOST} ` +
    `(start it with: bash scripts/engine.sh start, or set DOM0_TEST_DOCKER_HOST)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a reachable test engine', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`[dom0 tests] skipping "${name}": ${reason}`);
  describe.skip(`${name} [skipped: ${reason}]`, fn);
}

// ------------------------------------------------------------------ running the CLI

export interface RunOptions {
  /** Extra environment (merged over process.env; DOCKER_HOST is set to the test engine first). */
  env?: Record<string, string | undefined>;
  /** Working directory (default: repo root). */
  cwd?: string;
  /** Kill with SIGKILL and reject after this long (default 90 s). */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed (default: stdin closed immediately). */
  input?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function dom0Env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: TEST_DOCKER_HOST };
  // keep the child deterministic: no colours, no inherited vitest worker state
  env.NO_COLOR = '1';
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Spawn `node dist/bundle/dom0.mjs ...args` against the test engine; returns the ChildProcess. */
export function spawnDom0(args: string[], opts: Omit<RunOptions, 'timeoutMs'> = {}): ChildProcess {
  const child = spawn(process.execPath, [DOM0_CLI, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: dom0Env(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(opts.input ?? '');
  return child;
}

/** Run the dom0 CLI to completion. Rejects only on spawn failure or timeout. */
export function runDom0(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const child = spawnDom0(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `dom0 ${args.join(' ')} timed out after ${timeoutMs} ms\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Collects a spawned child's output as it arrives. */
export interface OutputCollector {
  readonly stdout: string;
  readonly stderr: string;
  /** stdout + stderr interleaved in arrival order */
  readonly all: string;
}

export function collectOutput(child: ChildProcess): OutputCollector {
  const out = { stdout: '', stderr: '', all: '' };
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out.stdout += c;
    out.all += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    out.stderr += c;
    out.all += c;
  });
  return out;
}

/** Resolve when the collected output (stdout+stderr) matches; reject on exit or timeout. */
export function waitForOutput(
  child: ChildProcess,
  collector: OutputCollector,
  pattern: RegExp | string,
  timeoutMs = 60_000,
): Promise<void> {
  const matches = () =>
    typeof pattern === 'string' ? collector.all.includes(pattern) : pattern.test(collector.all);
  return new Promise((resolve, reject) => {
    if (matches()) return resolve();
    const onData = () => {
      if (matches()) done(null);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`process exited (code ${code}, signal ${signal}) before output matched ${pattern}\n${collector.all}`));
    const timer = setTimeout(
      () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}\n${collector.all}`)),
      timeoutMs,
    );
    // listen after the collector's own listeners so its text is already appended
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
    function done(err: Error | null) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
  });
}

/** Resolve with the child's exit code/signal (immediately if it already exited). */
export function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// ------------------------------------------------------------------ files

const tmpDirs: string[] = [];
process.once('exit', () => {
  if (process.env.DOM0_TEST_KEEP_TMP === '1') return;
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits (DOM0_TEST_KEEP_TMP=1 keeps it). */
export function tmpDir(prefix = 'dom0-test-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

/** Write a manifest (default file name dom0.yaml) into dir; returns its absolute path. */
export function writeManifest(dir: string, yamlText: string, fileName = 'dom0.yaml'): string {
  mkdirSync(dir, { recursive: true });
  const p = path.resolve(dir, fileName);
  writeFileSync(p, yamlText);
  return p;
}

// ------------------------------------------------------------------ engine state

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err
    ? (err as { statusCode?: number }).statusCode
    : undefined;
}

/** Ignore "not found" and "already being removed" errors. */
async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    const s = statusOf(err);
    if (s === 404 || s === 409) return;
    throw err;
  }
}

/**
 * Remove everything a fleet left on the test engine: containers labelled io.dom0.fleet=<name>
 * (forced, with anonymous volumes), the containers named in extraContainers, networks labelled
 * with the fleet or named <name>, and volumes labelled with the fleet.
 */
export async function cleanupFleet(name: string, extraContainers: string[] = []): Promise<void> {
  const d = docker();
  const labelled = await d.listContainers({ all: true, filters: { label: [`${FLEET_LABEL}=${name}`] } });
  const ids = new Set(labelled.map((c) => c.Id));
  for (const n of extraContainers) {
    try {
      ids.add((await d.getContainer(n).inspect()).Id);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
  await Promise.all([...ids].map((id) => ignoreGone(d.getContainer(id).remove({ force: true, v: true }))));

  const nets = await d.listNetworks({ filters: { label: [`${FLEET_LABEL}=${name}`] } });
  const netIds = new Set(nets.map((n) => n.Id));
  const byName = await d.listNetworks({ filters: { name: [name] } });
  for (const n of byName) if (n.Name === name) netIds.add(n.Id);
  for (const id of netIds) {
    const net = d.getNetwork(id);
    try {
      const info = (await net.inspect()) as { Containers?: Record<string, unknown> };
      for (const cid of Object.keys(info.Containers ?? {})) {
        await ignoreGone(net.disconnect({ Container: cid, Force: true }));
      }
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await ignoreGone(net.remove());
  }

  const vols = await d.listVolumes({ filters: { label: [`${FLEET_LABEL}=${name}`] } });
  for (const v of vols.Volumes ?? []) await ignoreGone(d.getVolume(v.Name).remove({ force: true }));
}

export interface ContainerInfo {
  name: string; // without the leading "/"
  id: string;
  image: string;
  state: string; // created | running | exited | ...
  running: boolean;
  exitCode: number;
  labels: Record<string, string>;
  startedAt?: string; // ISO; undefined when never started
  finishedAt?: string; // ISO; undefined when never finished
  restartCount: number;
  inspect: Docker.ContainerInspectInfo;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Containers of a fleet (label io.dom0.fleet=<fleet>), inspected, sorted by name. */
export async function containersOf(fleet: string): Promise<ContainerInfo[]> {
  const d = docker();
  const list = await d.listContainers({ all: true, filters: { label: [`${FLEET_LABEL}=${fleet}`] } });
  const out: ContainerInfo[] = [];
  for (const c of list) {
    let i: Docker.ContainerInspectInfo;
    try {
      i = await d.getContainer(c.Id).inspect();
    } catch (err) {
      if (statusOf(err) === 404) continue; // removed meanwhile
      throw err;
    }
    out.push({
      name: i.Name.replace(/^\//, ''),
      id: i.Id,
      image: i.Config.Image,
      state: i.State.Status,
      running: i.State.Running,
      exitCode: i.State.ExitCode,
      labels: i.Config.Labels ?? {},
      startedAt: i.State.StartedAt && i.State.StartedAt !== ZERO_TIME ? i.State.StartedAt : undefined,
      finishedAt: i.State.FinishedAt && i.State.FinishedAt !== ZERO_TIME ? i.State.FinishedAt : undefined,
      restartCount: i.RestartCount,
      inspect: i,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run cmd in a running container (by name or id); stdout/stderr demuxed. */
export async function execIn(
  container: string,
  cmd: string[],
  opts: { user?: string; env?: string[]; workingDir?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const d = docker();
  const exec = await d.getContainer(container).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    ...(opts.user ? { User: opts.user } : {}),
    ...(opts.env ? { Env: opts.env } : {}),
    ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  err.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  d.modem.demuxStream(stream, out, err);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`exec ${cmd.join(' ')} in ${container} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  // the exit code can lag the end of the stream by a moment
  for (let i = 0; i < 50; i++) {
    const info = await exec.inspect();
    if (!info.Running) return { code: info.ExitCode ?? -1, stdout, stderr };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`exec ${cmd.join(' ')} in ${container} still running after its output ended`);
}

/** Wait for a container to stop; returns its exit code. */
export async function waitContainer(container: string): Promise<number> {
  const r = (await docker().getContainer(container).wait()) as { StatusCode: number };
  return r.StatusCode;
}

/** Demuxed logs of a (non-TTY) container. */
export async function logsOf(container: string): Promise<{ stdout: string; stderr: string }> {
  const buf = (await docker()
    .getContainer(container)
    .logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  let stdout = '';
  let stderr = '';
  // multiplexed frames: [stream, 0, 0, 0, size(4 bytes BE)] + payload
  for (let off = 0; off + 8 <= buf.length; ) {
    const kind = buf[off];
    const size = buf.readUInt32BE(off + 4);
    const payload = buf.subarray(off + 8, off + 8 + size).toString('utf8');
    if (kind === 2) stderr += payload;
    else stdout += payload;
    off += 8 + size;
  }
  return { stdout, stderr };
}
