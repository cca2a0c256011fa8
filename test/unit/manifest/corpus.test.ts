// Every invalid manifest under test/fixtures/invalid must load without throwing, quickly, and
// produce the diagnostics listed in its NAME.expect.json.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest, loadManifestText } from '../../../src/manifest/load.js';

const DIR = fileURLToPath(new URL('../../fixtures/invalid/', import.meta.url));

interface Expectation {
  diagnostics: Array<{ line: number; contains: string }>;
  env?: Record<string, string>;
  pad_to_bytes?: number; // grow the fixture with comment bytes (for the oversize case)
}

/**
 * CPU milliseconds spent by `fn` in this process. Wall-clock time would make the limits flaky on
 * a loaded machine (other suites, other builds); on an idle one the two agree.
 */
function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

describe('invalid manifest corpus', () => {
  it('has at least 40 fixtures, each with an expectation', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
    for (const n of names) expect(readdirSync(DIR)).toContain(`${n}.expect.json`);
  });

  it.each(names)('%s', (name) => {
    const file = join(DIR, `${name}.yaml`);
    const exp = JSON.parse(readFileSync(join(DIR, `${name}.expect.json`), 'utf8')) as Expectation;
    let bytes = readFileSync(file);
    if (exp.pad_to_bytes) bytes = Buffer.concat([bytes, Buffer.alloc(exp.pad_to_bytes - bytes.length, '#')]);

    let result: ReturnType<typeof loadManifestText> | undefined;
    let ms = 0;
    expect(() => {
      ms = cpuMs(() => {
        result = loadManifestText(bytes, file, { env: exp.env ?? {} });
      });
    }).not.toThrow();
    expect(ms).toBeLessThan(2000);

    expect(result!.ok).toBe(false);
    if (result!.ok) return;
    const printed = result!.diagnostics.map(formatDiagnostic);
    for (const line of printed) expect(line).toMatch(/^[^:]+:\d+:\d+: /);
    for (const want of exp.diagnostics) {
      const hit = result!.diagnostics.some((d) => d.line === want.line && d.message.includes(want.contains));
      expect(hit, `expected line ${want.line} to contain ${JSON.stringify(want.contains)}; got:\n${printed.join('\n')}`).toBe(true);
    }
    const sorted = [...result!.diagnostics].sort((a, b) => a.line - b.line || a.col - b.col);
    expect(result!.diagnostics.map((d) => [d.line, d.col])).toEqual(sorted.map((d) => [d.line, d.col]));
  });
});

describe('generated hostile manifests', { timeout: 30_000 }, () => {
  const timed = (text: string | Buffer, limitMs = 2000) => {
    let r: ReturnType<typeof loadManifestText> = { ok: false, diagnostics: [] };
    expect(cpuMs(() => (r = loadManifestText(text, 'hostile.yaml', { env: {}, readFile: () => undefined })))).toBeLessThan(limitMs);
    expect(r.ok).toBe(false);
    return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
  };

  it('rejects a 10 MB manifest', () => {
    const line = 'x-pad: "' + 'a'.repeat(100) + '"\n';
    expect(timed(`services: {}\n${line.repeat(Math.ceil((10 * 2 ** 20) / line.length))}`)).toEqual([
      expect.stringMatching(/^hostile\.yaml:1:1: manifest is too large/),
    ]);
  });

  it.each([
    ['flow sequences', '[' .repeat(10_000) + ']'.repeat(10_000)],
    ['flow mappings', '{a: '.repeat(10_000) + '1' + '}'.repeat(10_000)],
    ['block sequences', '- '.repeat(10_000) + 'x'],
    ['block mappings', Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
  ])('rejects 10 000-deep %s', (_, nested) => {
    const out = timed(`x-deep:\n  ${nested}\n`);
    expect(out.join('\n')).toContain('nesting deeper than');
  });

  it('rejects nesting built from alias chains', () => {
    const lines = ['x-a0: &a0 [x]'];
    for (let i = 1; i < 300; i++) lines.push(`x-a${i}: &a${i} [*a${i - 1}]`);
    expect(timed(lines.join('\n')).join('\n')).toMatch(/nesting deeper|alias/);
  });

  it('rejects a recursive alias', () => {
    expect(timed('x-a: &a [*a]\n')).toEqual(['hostile.yaml:1:10: recursive alias: an anchor contains an alias to itself']);
  });

  // Not a 2 s case: 300 KB of entries. Quadratic passes (e.g. a linear key lookup per
  // diagnostic) took minutes here; linear ones take well under a second on an idle machine.
  it('handles 5 000 entries with broken references without quadratic passes', () => {
    const entries = Array.from({ length: 5_000 }, (_, i) => `  s${i}: {image: x, depends_on: [missing${i}], networks: [n${i}]}`);
    const out = timed(`services:\n${entries.join('\n')}\n`, 6000);
    expect(out.length).toBeGreaterThanOrEqual(10_000);
  });

  it('reports a missing manifest file at 1:1', async () => {
    const r = await loadManifest('/nonexistent/dom0.yaml', { env: {} });
    expect(r).toEqual({ ok: false, diagnostics: [{ file: '/nonexistent/dom0.yaml', line: 1, col: 1, message: 'cannot read manifest: no such file' }] });
  });

  it('reports a directory given as the manifest', async () => {
    const r = await loadManifest(DIR, { env: {} });
    expect(!r.ok && r.diagnostics[0]!.message).toContain('not a regular file');
  });
});
