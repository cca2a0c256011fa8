// dom0's version, for `dom0 --version` and bug reports. The image's bundle has these compiled in
// (esbuild --define in the Dockerfile); run from dist/, they come from the package files.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

declare const __DOM0_VERSION__: string | undefined;
declare const __DOM0_REVISION__: string | undefined;
declare const __DOM0_DOCKERODE_VERSION__: string | undefined;

export interface BuildInfo {
  version: string;
  /** The git commit the image was built from; undefined outside the image. */
  revision: string | undefined;
  dockerode: string;
  node: string;
}

function packageVersion(read: () => string): string {
  try {
    return (JSON.parse(read()) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildInfo(): BuildInfo {
  const version =
    typeof __DOM0_VERSION__ === 'string' ? __DOM0_VERSION__ : packageVersion(() => readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const dockerode =
    typeof __DOM0_DOCKERODE_VERSION__ === 'string'
      ? __DOM0_DOCKERODE_VERSION__
      : packageVersion(() => readFileSync(createRequire(import.meta.url).resolve('dockerode/package.json'), 'utf8'));
  const revision = typeof __DOM0_REVISION__ === 'string' && __DOM0_REVISION__ !== '' ? __DOM0_REVISION__ : undefined;
  return { version, revision, dockerode, node: process.versions.node };
}
