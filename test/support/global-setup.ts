// Vitest globalSetup: make sure the private test engine (scripts/engine.sh) is up for integration
// tests. If it is not running and we are root, start it, and stop it again at teardown — only if
// this run started it. Never fails the run itself: describeEngine() reports an unreachable engine
// (a failure under CI=true, a visible skip otherwise).
//
// Set DOM0_TEST_NO_ENGINE_START=1 to never start the engine from here.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENGINE_SH = path.join(REPO_ROOT, 'scripts', 'engine.sh');
const HOST = process.env.DOM0_TEST_DOCKER_HOST || 'unix:///tmp/dom0-engine/docker.sock';

function log(msg: string): void {
  process.stderr.write(`[dom0 global-setup] ${msg}\n`);
}

async function reachable(): Promise<boolean> {
  if (!HOST.startsWith('unix://')) {
    const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(HOST);
    if (!m) return false;
    try {
      await new Docker({ protocol: 'http', host: m[1], port: Number(m[2]), timeout: 3000 }).ping();
      return true;
    } catch {
      return false;
    }
  }
  try {
    await new Docker({ socketPath: HOST.slice('unix://'.length), timeout: 3000 }).ping();
    return true;
  } catch {
    return false;
  }
}

/** Does this vitest run include integration tests? (filters on the command line, if any) */
function runsIntegration(): boolean {
  const i = process.argv.findIndex((a) => a === 'run' || a === 'watch' || a === 'dev' || a === 'related');
  const rest = (i >= 0 ? process.argv.slice(i + 1) : process.argv.slice(2)).filter((a) => !a.startsWith('-'));
  // flags with values (e.g. --reporter dot) make this a heuristic; only skip when every filter
  // clearly points at unit tests
  if (rest.length === 0) return true;
  return !rest.every((f) => /(^|\/)test\/unit(\/|$)/.test(f) || /^test\/unit/.test(f));
}

function engineDirFor(host: string): string | undefined {
  // scripts/engine.sh's socket is $DIR/docker.sock
  if (!host.startsWith('unix://')) return undefined;
  const sock = host.slice('unix://'.length);
  return path.basename(sock) === 'docker.sock' ? path.dirname(sock) : undefined;
}

function engineSh(cmd: 'start' | 'stop', dir: string): number {
  const r = spawnSync('bash', [ENGINE_SH, cmd], {
    cwd: REPO_ROOT,
    env: { ...process.env, DOM0_ENGINE_DIR: dir },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 15 * 60_000, // first start may apt-get install docker.io
  });
  return r.status ?? -1;
}

export default async function setup(): Promise<(() => Promise<void>) | void> {
  if (await reachable()) return;
  if (process.env.DOM0_TEST_NO_ENGINE_START === '1') {
    log(`test engine not reachable at ${HOST}; DOM0_TEST_NO_ENGINE_START=1, not starting it`);
    return;
  }
  if (!runsIntegration()) return;
  const dir = engineDirFor(HOST);
  if (!dir) {
    log(`test engine not reachable at ${HOST} (not a scripts/engine.sh socket); not starting one`);
    return;
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    log(`test engine not reachable at ${HOST} and not root; run: sudo bash scripts/engine.sh start`);
    return;
  }
  log(`starting the test engine: DOM0_ENGINE_DIR=${dir} bash scripts/engine.sh start`);
  const rc = engineSh('start', dir);
  if (rc !== 0 || !(await reachable())) {
    log(`scripts/engine.sh start failed (rc ${rc}); integration suites will fail under CI or be skipped`);
    engineSh('stop', dir); // don't leave a half-started engine behind
    return;
  }
  return async () => {
    log('stopping the test engine this run started');
    const stopRc = engineSh('stop', dir);
    if (stopRc !== 0) log(`scripts/engine.sh stop exited with ${stopRc}`);
  };
}
