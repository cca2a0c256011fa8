import { expect } from 'vitest';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';
import type { Diagnostic, Manifest } from '../../../src/manifest/types.js';

export interface TestLoadOptions {
  env?: Record<string, string | undefined>;
  files?: Record<string, string>; // absolute path → content, served by readFile
}

export const FILE = '/srv/dom0/dom0.yaml';

function options(o: TestLoadOptions) {
  return { env: o.env ?? {}, readFile: (p: string) => o.files?.[p] };
}

export function loadOk(yaml: string, o: TestLoadOptions = {}): { manifest: Manifest; warnings: Diagnostic[] } {
  const r = loadManifestText(yaml, FILE, options(o));
  if (!r.ok) expect.fail(`expected the manifest to load:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r;
}

export function loadErrors(yaml: string, o: TestLoadOptions = {}): string[] {
  const r = loadManifestText(yaml, FILE, options(o));
  if (r.ok) expect.fail('expected diagnostics');
  return r.diagnostics.map(formatDiagnostic);
}
