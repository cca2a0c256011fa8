// The example fleet on a swarm: `--target swarm` on the top-level dom0.yaml names exactly the three
// changes bench/swarm-homelab.yaml makes (docs/swarm.md measures that file), and that file is
// dom0.yaml with those changes only, so the two cannot drift apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/manifest/diagnostics.js';
import { loadManifest } from '../../../src/manifest/load.js';
import { REPO_ROOT } from '../../support/engine.js';

const EXAMPLE = path.join(REPO_ROOT, 'dom0.yaml');
const SWARM = path.join(REPO_ROOT, 'bench', 'swarm-homelab.yaml');
const body = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

describe('the example fleet on a swarm', () => {
  it('dom0.yaml under --target swarm: its links and its two loopback addresses, at their lines', async () => {
    const r = await loadManifest(EXAMPLE, { env: {}, target: 'swarm' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const errs = r.diagnostics.map((d) => formatDiagnostic(d).replace(`${EXAMPLE}:`, ''));
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatch(/^\d+:\d+: `links` has no meaning on a Swarm/);
    expect(errs.slice(1).every((e) => /^\d+:\d+: a published port's host address \(127\.0\.0\.1\)/.test(e))).toBe(true);
  });

  it('bench/swarm-homelab.yaml is valid for a swarm, and is dom0.yaml with those changes only', async () => {
    const r = await loadManifest(SWARM, { env: {} });
    expect(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    const expected = body(EXAMPLE)
      .replace('version: 1\n', 'version: 1\ntarget: swarm\n')
      .replace('    links: ["redis:redis"]\n', '')
      .replace('"127.0.0.1:6379:6379"', '"16379:6379"')
      .replace('"127.0.0.1:8080:80"', '"18081:80"');
    expect(body(SWARM)).toBe(expected);
  });
});
