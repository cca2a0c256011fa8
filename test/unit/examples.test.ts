// Every examples/*/dom0.yaml validates as a user copies it: unchanged, in an empty environment (no
// variable set, so every ${VAR:-default} takes its default), with no warning its README does not
// explain.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/manifest/diagnostics.js';
import { loadManifest } from '../../src/manifest/load.js';
import { entries } from '../../src/manifest/types.js';
import { REPO_ROOT } from '../support/engine.js';

const EXAMPLES = path.join(REPO_ROOT, 'examples');
const NAMES = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('examples/*/dom0.yaml', () => {
  it('are the three the docs name', () => {
    expect(NAMES).toEqual(['ambassador', 'boot2docker-host', 'home-server']);
  });

  it.each(NAMES.map((n) => [n]))('%s: valid unchanged; any warning is explained in its README; real images, not busybox:latest stand-ins', async (name) => {
    const r = await loadManifest(path.join(EXAMPLES, name, 'dom0.yaml'), { env: {} });
    expect(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    if (!r.ok) return;
    const readme = readFileSync(path.join(EXAMPLES, name, 'README.md'), 'utf8');
    for (const w of r.warnings) expect(readme, `undocumented warning: ${formatDiagnostic(w)}`).toContain(w.message);
    expect(readme).toContain(`dom0 apply -f examples/${name}/dom0.yaml`);
    const all = entries(r.manifest);
    expect(all.length).toBeGreaterThan(0);
    for (const e of all) {
      expect(e.image, e.name).not.toBe('busybox:latest');
      // each real image is named in the README, so a user knows what stands where
      const repo = e.image.replace(/:[^/]*$/, '');
      expect(readme, `${e.name}'s image ${e.image} in README`).toContain(repo);
    }
  });
});
