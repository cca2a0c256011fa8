// The documented path is the tested path: every ```yaml block in README.md and docs/*.md goes
// through the manifest loader, and so does the example fleet, dom0.yaml.
//
// Marker convention (details in test/support/doc-examples.ts), a comment line of its own:
//   no marker                        the block is a complete manifest and must validate
//   # example: <id>                  a complete manifest that fragments can name
//   # fragment of: <id> [at a.b.c]   each YAML document of the block is merged into example <id>
//                                    (at mapping a.b.c, default top level); the result must validate
// YAML that is not a dom0 manifest goes in a ```text block.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/manifest/load.js';
import {
  checkYamlBlocks,
  docFiles,
  fencedBlocks,
  loadDocManifest,
  markerOf,
  mergeAt,
  type CheckedBlock,
} from '../support/doc-examples.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function explain(c: CheckedBlock): string {
  if (c.result.ok) return '';
  return `${c.label} does not validate:\n${c.result.diagnostics.map(formatDiagnostic).join('\n')}\n--- loaded text\n${c.text}`;
}

describe('fencedBlocks', () => {
  it.each([
    { name: 'plain', md: 'a\n```yaml\nx: 1\n```\nb\n', want: [{ line: 2, lang: 'yaml', text: 'x: 1\n' }] },
    { name: 'indented in a list item', md: '1. do\n\n   ```sh\n   echo hi\n     two\n   ```\n', want: [{ line: 3, lang: 'sh', text: 'echo hi\n  two\n' }] },
    { name: 'tilde fence, yml', md: '~~~yml\na: [1]\n~~~\n', want: [{ line: 1, lang: 'yml', text: 'a: [1]\n' }] },
    { name: 'no language, then yaml', md: '```\nraw\n```\n```yaml\nk: v\n```\n', want: [{ line: 1, lang: '', text: 'raw\n' }, { line: 4, lang: 'yaml', text: 'k: v\n' }] },
    { name: 'longer closing fence', md: '```yaml\nk: v\n`````\n', want: [{ line: 1, lang: 'yaml', text: 'k: v\n' }] },
  ])('$name', ({ md, want }) => {
    expect(fencedBlocks(md, 'x.md').map(({ line, lang, text }) => ({ line, lang, text }))).toEqual(want);
  });
});

describe('markerOf', () => {
  it.each([
    { text: 'version: 1\n', want: { kind: 'complete' } },
    { text: '# example: homelab\nversion: 1\n', want: { kind: 'complete', id: 'homelab' } },
    { text: '# fragment of: homelab\nports: []\n', want: { kind: 'fragment', of: 'homelab', at: [] } },
    { text: 'x: 1  # a comment\n# fragment of: homelab at services.web\n', want: { kind: 'fragment', of: 'homelab', at: ['services', 'web'] } },
    { text: '# an example of nothing\nk: v\n', want: { kind: 'complete' } },
  ])('$text', ({ text, want }) => {
    expect(markerOf(text)).toEqual(want);
  });

  it.each([
    { text: '# fragment\nports: []\n', error: /fragment of: <id>/ },
    { text: '# fragment of:\nports: []\n', error: /fragment of: <id>/ },
    { text: '# example: two words\n', error: /example: <id>/ },
    { text: '# example: a\n# fragment of: a\n', error: /more than one marker/ },
  ])('rejects $text', ({ text, error }) => {
    expect(() => markerOf(text)).toThrow(error);
  });
});

describe('mergeAt', () => {
  const base = { services: { web: { image: 'a', ports: ['1:1'], env: { A: '1' } } }, name: 'n' };
  it.each([
    { at: [], frag: { name: 'm' }, want: { ...base, name: 'm' } },
    { at: ['services', 'web'], frag: { ports: ['2:2'] }, want: { services: { web: { image: 'a', ports: ['2:2'], env: { A: '1' } } }, name: 'n' } },
    { at: ['services', 'web'], frag: { env: { B: '2' } }, want: { services: { web: { image: 'a', ports: ['1:1'], env: { A: '1', B: '2' } } }, name: 'n' } },
    { at: [], frag: { services: { api: { image: 'b' } } }, want: { services: { ...base.services, api: { image: 'b' } }, name: 'n' } },
  ])('merges $frag at $at', ({ at, frag, want }) => {
    expect(mergeAt(base, at, frag)).toEqual(want);
    expect(base.services.web.ports).toEqual(['1:1']); // the example itself is untouched
  });

  it('refuses a path the example does not have', () => {
    expect(() => mergeAt(base, ['services', 'db'], { ports: [] })).toThrow(/no mapping at services\.db/);
    expect(() => mergeAt(base, [], ['x'])).toThrow(/must be a mapping/);
  });
});

describe('checkYamlBlocks', () => {
  const example = '```yaml\n# example: t\nname: t\nservices:\n  web: {image: busybox}\n```\n';
  it('checks a fragment merged into its example, so an invalid fragment fails', () => {
    const md = `${example}\n\`\`\`yaml\n# fragment of: t at services.web\nports: ["8080:80"]\n\`\`\`\n\`\`\`yaml\n# fragment of: t at services.web\ndepends_on: [nowhere]\n\`\`\`\n`;
    const checked = checkYamlBlocks([{ file: 'x.md', markdown: md }]);
    expect(checked.map((c) => [c.label, c.result.ok])).toEqual([
      ['x.md:1', true],
      ['x.md:8', true],
      ['x.md:12', false],
    ]);
  });

  it('checks every document of a fragment block on its own', () => {
    const md = `${example}\`\`\`yaml\n# fragment of: t at services.web\nports: ["1:1"]\n---\nports: ["nope"]\n\`\`\`\n`;
    expect(checkYamlBlocks([{ file: 'x.md', markdown: md }]).map((c) => [c.label, c.result.ok])).toEqual([
      ['x.md:1', true],
      ['x.md:7#1', true],
      ['x.md:7#2', false],
    ]);
  });

  it.each([
    { name: 'unknown example', md: '```yaml\n# fragment of: nope\nname: x\n```\n', error: /no block says "# example: nope"/ },
    { name: 'duplicate id', md: `${example}${example}`, error: /used twice/ },
    { name: 'missing path', md: `${example}\`\`\`yaml\n# fragment of: t at services.db\nports: []\n\`\`\`\n`, error: /no mapping at services\.db/ },
  ])('refuses a broken marker: $name', ({ md, error }) => {
    expect(() => checkYamlBlocks([{ file: 'x.md', markdown: md }])).toThrow(error);
  });

  it('treats an unmarked block as complete: a bare fragment fails', () => {
    const [c] = checkYamlBlocks([{ file: 'x.md', markdown: '```yaml\nports: ["8080:80"]\n```\n' }]);
    expect(c!.result.ok).toBe(false);
  });
});

describe('the documentation', () => {
  const files = docFiles(REPO_ROOT);
  let checked: CheckedBlock[] = [];
  let convention: Error | undefined;
  try {
    checked = checkYamlBlocks(files);
  } catch (e) {
    convention = e as Error;
  }

  it('follows the marker convention', () => {
    expect(convention?.message).toBeUndefined();
  });

  it('has the yaml blocks this test is meant to check', () => {
    const count = (file: string) => checked.filter((c) => c.block.file === file).length;
    expect(count('README.md')).toBeGreaterThanOrEqual(1);
    expect(count('docs/manifest.md')).toBeGreaterThanOrEqual(6);
    expect(checked.some((c) => c.marker.kind === 'fragment')).toBe(true);
  });

  it.each(checked.map((c) => ({ label: c.label, c })))('$label validates', ({ c }) => {
    expect(c.result.ok, explain(c)).toBe(true);
  });

  it("README's manifest is complete: it validates without a marker", () => {
    const readme = checked.filter((c) => c.block.file === 'README.md');
    expect(readme.map((c) => c.marker.kind)).toEqual(readme.map(() => 'complete'));
    expect(readme.every((c) => c.result.ok)).toBe(true);
  });
});

describe('the example fleet, dom0.yaml', () => {
  it('validates', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'dom0.yaml'), 'utf8');
    const r = loadDocManifest(text, 'dom0.yaml');
    expect(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    if (r.ok) expect(r.manifest.name).toBe('homelab');
  });
});
