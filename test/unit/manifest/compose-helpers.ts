// Composing Compose files from memory, for the merge/include/extends/profiles tests.
import { expect } from 'vitest';
import { composeProject } from '../../../src/manifest/compose.js';
import { formatDiagnostic, loadManifestTexts, type LoadOptions } from '../../../src/manifest/load.js';
import type { Diagnostic, LoadResult, Manifest } from '../../../src/manifest/types.js';

export const DIR = '/srv/app';

/** The composed tree (before validation) of `files` (absolute path → text), in order. */
export function compose(
  files: Record<string, string>,
  order = Object.keys(files),
  env: Record<string, string> = {},
): { value: Record<string, unknown>; errors: string[] } {
  const sink = { errors: [] as Diagnostic[], warnings: [] as Diagnostic[], seenUnset: new Set<string>() };
  const read = (p: string) => files[p];
  const project = composeProject(
    order.map((file) => ({ file })),
    { processEnv: env, env: (n) => env[n], readFile: read, readManifest: read, sink, projectDir: DIR },
  );
  return { value: project?.value ?? {}, errors: sink.errors.map(formatDiagnostic) };
}

/** Two files a.yaml then b.yaml merged: the composed tree. */
export function merged(a: string, b: string): Record<string, unknown> {
  const r = compose({ [`${DIR}/a.yaml`]: a, [`${DIR}/b.yaml`]: b });
  expect(r.errors).toEqual([]);
  return r.value;
}

export function load(files: Record<string, string>, order = Object.keys(files), opts: LoadOptions = {}): LoadResult {
  return loadManifestTexts(
    order.map((file) => ({ file })),
    { env: {}, readFile: (p) => files[p], ...opts },
  );
}

export function loadOk(files: Record<string, string>, order = Object.keys(files), opts: LoadOptions = {}): Manifest {
  const r = load(files, order, opts);
  if (!r.ok) expect.fail(`expected the manifest to load:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r.manifest;
}

export function loadErrors(files: Record<string, string>, order = Object.keys(files), opts: LoadOptions = {}): string[] {
  const r = load(files, order, opts);
  if (r.ok) expect.fail('expected diagnostics');
  return r.diagnostics.map(formatDiagnostic).filter((d) => !/: warning: /.test(d));
}
