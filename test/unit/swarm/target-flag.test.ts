// --target single|swarm wins over the manifest's `target:`: the swarm rules run when the target
// comes from the flag, through the same load options as --profile (composeOptions / loader defaults).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeOptions, setGlobalOptions } from '../../../src/cli/context.js';
import { UsageError } from '../../../src/cli/errors.js';
import type { Engine } from '../../../src/engine/engine.js';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';
import { ManifestLoader } from '../../../src/up/host-view.js';

const FILE = '/srv/dom0/dom0.yaml';
const single = 'name: sw\nservices:\n  app:\n    image: busybox\n    container_name: x1\n';
const swarm = 'name: sw\ntarget: swarm\nservices:\n  app:\n    image: busybox\n    container_name: x1\n';
const load = (text: string, target?: 'single' | 'swarm') => loadManifestText(text, FILE, { env: {}, readFile: () => undefined, ...(target ? { target } : {}) });

describe('the target option of the loader', () => {
  it.each([
    ['no target:, no flag → one host', single, undefined, undefined],
    ['no target:, --target single → one host', single, 'single', undefined],
    ['target: swarm, --target single → one host', swarm, 'single', undefined],
  ] as const)('%s', (_n, text, flag, want) => {
    const r = load(text, flag);
    expect(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    if (r.ok) expect(r.manifest.target).toBe(want);
  });

  it.each([
    ['no target:, --target swarm', single, 'swarm', ':5:5:'],
    ['target: swarm, no flag', swarm, undefined, ':6:5:'],
    ['target: swarm, --target swarm', swarm, 'swarm', ':6:5:'],
  ] as const)('%s: container_name is an error at its line:col', (_n, text, flag, at) => {
    const r = load(text, flag);
    expect(r.ok).toBe(false);
    const errs = r.ok ? [] : r.diagnostics.map(formatDiagnostic);
    expect(errs.find((e) => e.includes('`container_name` has no meaning on a Swarm'))).toContain(`${FILE}${at}`);
  });
});

describe('--target on the command line', () => {
  afterEach(() => setGlobalOptions({}, {}));

  it.each([['single'], ['swarm']])('--target %s reaches the load options', (t) => {
    setGlobalOptions({ target: t }, {});
    expect(composeOptions().target).toBe(t);
  });

  it('no --target: the manifest decides', () => {
    setGlobalOptions({}, {});
    expect(composeOptions()).not.toHaveProperty('target');
  });

  it.each([['k8s'], ['Swarm'], ['']])('--target %j is a usage error', (t) => {
    expect(() => setGlobalOptions({ target: t }, {})).toThrow(UsageError);
    expect(() => setGlobalOptions({ target: t }, {})).toThrow('--target must be single or swarm');
  });

  it('every command load (ManifestLoader, as plan/apply/down/status use) applies it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom0-target-flag-'));
    const file = join(dir, 'dom0.yaml');
    writeFileSync(file, single);
    const loader = () => new ManifestLoader({} as Engine, { selfId: undefined });
    setGlobalOptions({ file: [file], target: 'swarm' }, {});
    const r = await loader().load(file);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/dom0\.yaml:5:5: `container_name` has no meaning on a Swarm/);
    writeFileSync(file, swarm.replace('    container_name: x1\n', ''));
    setGlobalOptions({ file: [file], target: 'single' }, {});
    const s = await loader().load(file);
    expect(s.ok && s.manifest.target).toBe(undefined);
  });
});
