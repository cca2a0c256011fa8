// A private Docker engine for the suites that stop and start it (reliability-chaos,
// reliability-faults, up-e2e): scripts/engine.sh with its own DOM0_ENGINE_DIR and address pool,
// so the shared test engine the other suites use is never restarted. test/support/engine.ts's
// docker() is bound to the shared engine; client() here talks to the private one.
import path from 'node:path';
import Docker from 'dockerode';
import { REPO_ROOT, dockerOptions } from './engine.js';
import { run, type Run } from './process.js';

const ENGINE_SH = path.join(REPO_ROOT, 'scripts', 'engine.sh');

export interface PrivateEngine {
  dir: string;
  sock: string;
  /** "unix://…/docker.sock": DOCKER_HOST for dom0 and the docker CLI. */
  host: string;
  /** scripts/engine.sh on this engine. */
  sh(cmd: 'start' | 'stop' | 'status' | 'purge', timeoutMs?: number): Promise<Run>;
  /** sh(), throwing with its output unless it exits 0; returns how long it took (ms). */
  shOk(cmd: 'start' | 'stop'): Promise<number>;
  /** dockerode on this engine; a new connection per request, so an engine restart is fine. */
  client(): Docker;
}

/** `addressPool`: DOM0_ENGINE_ADDRESS_POOL, distinct per suite so private engines never overlap. */
export function privateEngine(
  dir: string,
  addressPool: string,
  opts: { clientTimeoutMs?: number; shTimeoutMs?: number; /** DOM0_ENGINE_EXTRA_ARGS: more dockerd arguments */ extraArgs?: string } = {},
): PrivateEngine {
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  let client: Docker | undefined;
  const sh = (cmd: 'start' | 'stop' | 'status' | 'purge', timeoutMs = opts.shTimeoutMs ?? 10 * 60_000) =>
    run('bash', [ENGINE_SH, cmd], { env: { DOM0_ENGINE_DIR: dir, DOM0_ENGINE_ADDRESS_POOL: addressPool, DOM0_ENGINE_EXTRA_ARGS: opts.extraArgs ?? '' }, timeoutMs });
  return {
    dir,
    sock,
    host,
    sh,
    async shOk(cmd) {
      const r = await sh(cmd);
      if (r.code !== 0) throw new Error(`engine.sh ${cmd} (${dir}) exited ${r.code}:\n${r.stdout}${r.stderr}`);
      return r.ms;
    },
    client() {
      client ??= new Docker({ ...dockerOptions(host), ...(opts.clientTimeoutMs ? { timeout: opts.clientTimeoutMs } : {}) });
      return client;
    },
  };
}
