// The dom0 image (dom0:latest) for the suites that run dom0 in a container: built on the shared
// test engine by scripts/build-image.sh, reused while its io.dom0.source-hash label matches the sources.
import path from 'node:path';
import { REPO_ROOT, TEST_DOCKER_HOST } from './engine.js';
import { run, type Run } from './process.js';

export const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts', 'build-image.sh');

/** scripts/build-image.sh with `args` on the shared test engine (e.g. ["--if-changed"] or ["--hash"]). */
export function buildImageScript(args: string[], timeoutMs = 20 * 60_000): Promise<Run> {
  return run('bash', [BUILD_SCRIPT, ...args], { env: { DOCKER_HOST: TEST_DOCKER_HOST }, timeoutMs });
}

/** Builds dom0:latest on the shared test engine (reused while the sources are unchanged). */
export const buildImageOnSharedEngine = (timeoutMs?: number): Promise<Run> => buildImageScript(['--if-changed'], timeoutMs);
