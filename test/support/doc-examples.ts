// The manifests the documentation shows, as the loader sees them.
//
// Every ```yaml block in README.md and docs/*.md is a dom0 manifest, checked by
// test/unit/docs-examples.test.ts. The convention, on a comment line of its own in the block:
//
//   (no marker)                       a complete manifest: it must validate as it is
//   # example: <id>                   a complete manifest that fragments can refer to by <id>
//                                     (ids are unique across all the docs)
//   # fragment of: <id>               not a manifest on its own: each YAML document of the block
//   # fragment of: <id> at <a.b.c>    is merged into example <id> (at the mapping at dotted path
//                                     a.b.c, default the top level) and the result must validate
//
// Merging: mappings merge key by key, recursively; anything else (a list, a scalar) replaces what
// the example has there. The path must exist in the example and lead to a mapping, so a renamed
// entry breaks the fragment instead of silently checking something else. Files a block names
// (password_file, env_file) are taken to exist; no `.env` is read; the environment is empty
// (unset variables only warn). Non-manifest YAML belongs in a ```text block.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadManifestText } from '../../src/manifest/load.js';
import type { LoadResult } from '../../src/manifest/types.js';

export interface FencedBlock {
  /** file the block is in, relative to the repository root */
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  /** the info string's first word (`yaml`, `sh`, ...) */
  lang: string;
  /** the content, with the fence's indentation removed */
  text: string;
}

/** Fenced code blocks (``` or ~~~) of a Markdown text, indented ones (in list items) included. */
export function fencedBlocks(markdown: string, file: string): FencedBlock[] {
  const lines = markdown.split(/\r?\n/);
  const out: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence[0]!.repeat(fence.length)) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    out.push({ file, line: i + 1, lang: lang.toLowerCase(), text: body.join('\n') + '\n' });
    i = j;
  }
  return out;
}

export type Marker =
  | { kind: 'complete'; id?: string }
  | { kind: 'fragment'; of: string; at: string[] };

/** The block's marker; throws on a marker that does not follow the convention. */
export function markerOf(text: string): Marker {
  let marker: Marker = { kind: 'complete' };
  let seen = 0;
  for (const line of text.split('\n')) {
    const m = /^#\s*(example\s*(?=:)|fragment\b)(.*)$/.exec(line.trim());
    if (!m) continue;
    seen++;
    const rest = m[2]!.trim();
    if (m[1]!.startsWith('example')) {
      const id = /^:\s*([\w.-]+)$/.exec(rest);
      if (!id) throw new Error(`malformed marker "${line.trim()}": write "# example: <id>"`);
      marker = { kind: 'complete', id: id[1]! };
    } else {
      const f = /^of:\s*([\w.-]+)(?:\s+at\s+(\S+))?$/.exec(rest);
      if (!f) throw new Error(`malformed marker "${line.trim()}": write "# fragment of: <id>" or "# fragment of: <id> at <path>"`);
      marker = { kind: 'fragment', of: f[1]!, at: f[2] ? f[2].split('.') : [] };
    }
  }
  if (seen > 1) throw new Error('a block carries more than one marker');
  return marker;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: mappings key by key, anything else replaces. Returns a new value. */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeValues(out[k], v) : structuredClone(v);
  return out;
}

/** base with `fragment` merged into the mapping at `at`; throws when `at` is not a mapping in base. */
export function mergeAt(base: unknown, at: string[], fragment: unknown): unknown {
  if (!isMap(fragment)) throw new Error('a fragment must be a mapping');
  const out = structuredClone(base);
  let node: unknown = out;
  for (const [i, seg] of at.entries()) {
    if (!isMap(node) || !isMap(node[seg])) {
      throw new Error(`the example has no mapping at ${at.slice(0, i + 1).join('.')}`);
    }
    node = node[seg];
  }
  if (!isMap(node)) throw new Error('the example is not a mapping');
  const merged = mergeValues(node, fragment) as Record<string, unknown>;
  for (const k of Object.keys(node)) delete node[k];
  Object.assign(node, merged);
  return out;
}

/** Loads a manifest text the way the docs are checked: empty environment, named files exist. */
export function loadDocManifest(text: string, label: string): LoadResult {
  return loadManifestText(text, `/docs-example/${label.replace(/[^\w.-]+/g, '_')}/dom0.yaml`, {
    env: { HOME: '/home/docs' },
    readFile: (p) => (path.basename(p) === '.env' ? undefined : 'DOC_EXAMPLE=placeholder\n'),
  });
}

export interface CheckedBlock {
  block: FencedBlock;
  marker: Marker;
  /** `file:line`, plus `#n` for the n-th document of a fragment block */
  label: string;
  /** the text that was loaded (the merged manifest, for a fragment) */
  text: string;
  result: LoadResult;
}

/** Every ```yaml block of the given Markdown files, checked per the convention above. */
export function checkYamlBlocks(files: Array<{ file: string; markdown: string }>): CheckedBlock[] {
  const blocks = files.flatMap((f) => fencedBlocks(f.markdown, f.file)).filter((b) => b.lang === 'yaml' || b.lang === 'yml');
  const examples = new Map<string, FencedBlock>();
  for (const b of blocks) {
    const m = markerOf(b.text);
    if (m.kind !== 'complete' || !m.id) continue;
    const prev = examples.get(m.id);
    if (prev) throw new Error(`example id "${m.id}" is used twice: ${prev.file}:${prev.line} and ${b.file}:${b.line}`);
    examples.set(m.id, b);
  }
  const out: CheckedBlock[] = [];
  for (const block of blocks) {
    const marker = markerOf(block.text);
    const where = `${block.file}:${block.line}`;
    if (marker.kind === 'complete') {
      out.push({ block, marker, label: where, text: block.text, result: loadDocManifest(block.text, where) });
      continue;
    }
    const example = examples.get(marker.of);
    if (!example) throw new Error(`${where}: fragment of "${marker.of}", but no block says "# example: ${marker.of}"`);
    const base: unknown = YAML.parse(example.text, { merge: true });
    const docs = YAML.parseAllDocuments(block.text, { merge: true });
    if (!Array.isArray(docs)) throw new Error(`${where}: the fragment is empty`);
    docs.forEach((doc, i) => {
      const label = docs.length > 1 ? `${where}#${i + 1}` : where;
      if (doc.errors.length > 0) throw new Error(`${label}: ${doc.errors[0]!.message}`);
      let merged: unknown;
      try {
        merged = mergeAt(base, marker.at, doc.toJS());
      } catch (e) {
        throw new Error(`${label}: fragment of "${marker.of}": ${(e as Error).message}`);
      }
      const text = YAML.stringify(merged);
      out.push({ block, marker, label, text, result: loadDocManifest(text, label) });
    });
  }
  return out;
}

/** README.md and docs/*.md of the repository at root. */
export function docFiles(root: string): Array<{ file: string; markdown: string }> {
  const names = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((n) => n.endsWith('.md')).sort().map((n) => `docs/${n}`)];
  return names.map((file) => ({ file, markdown: readFileSync(path.join(root, file), 'utf8') }));
}

/** The first fenced block of `lang` after the Markdown heading whose text is `heading`. */
export function blockAfterHeading(markdown: string, file: string, heading: string, lang: string): FencedBlock {
  const lines = markdown.split(/\r?\n/);
  const at = lines.findIndex((l) => /^#{1,6}\s/.test(l) && l.replace(/^#+\s*/, '').trim() === heading);
  if (at < 0) throw new Error(`${file}: no heading "${heading}"`);
  const next = lines.findIndex((l, i) => i > at && /^#{1,6}\s/.test(l));
  const block = fencedBlocks(markdown, file).find((b) => b.line > at + 1 && (next < 0 || b.line <= next) && b.lang === lang);
  if (!block) throw new Error(`${file}: no \`\`\`${lang} block under "${heading}"`);
  return block;
}
