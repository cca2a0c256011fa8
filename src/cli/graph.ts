import type { Command } from 'commander';
import type { Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { type GlobalOptions, loadOrThrow, manifestPath } from './context.js';
import { UsageError } from './errors.js';
import { out } from './format.js';

/** A DOT double-quoted string's content. */
export function dotString(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\r?\n|\r/g, '\\n');
}

/** Text inside a Mermaid `"..."` label or `|...|` edge label: quotes, brackets and newlines as entity codes. */
export function mermaidText(s: string): string {
  return s.replace(/[\r\n"<>|#]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * Entry names are validated by the loader (Compose's `[a-zA-Z0-9._-]+`); the output is escaped
 * anyway, so no name can break out of its node and add lines to the graph.
 */
export function renderGraph(m: Manifest, format: 'mermaid' | 'dot'): string {
  const nodes = entries(m);
  const edges = [...m.jobs, ...m.services].flatMap((e) => e.dependsOn.map((d) => ({ from: e.name, to: d.name, label: d.condition })));
  if (format === 'dot') {
    const shape = { volume: 'cylinder', job: 'box', service: 'ellipse' } as const;
    const q = (s: string) => `"${dotString(s)}"`;
    return [
      `digraph ${q(m.name)} {`,
      ...nodes.map((n) => `  ${q(n.name)} [shape=${shape[n.kind]}];`),
      ...edges.map((e) => `  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}];`),
      '}',
      '',
    ].join('\n');
  }
  // Mermaid IDs are [A-Za-z0-9_]; names that map to the same ID ("a-b", "a.b") get a suffix.
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  const id = (name: string): string => {
    let v = ids.get(name);
    if (v !== undefined) return v;
    const base = name.replace(/[^A-Za-z0-9_]/g, '_') || '_';
    v = base;
    for (let i = 2; taken.has(v); i++) v = `${base}_${i}`;
    taken.add(v);
    ids.set(name, v);
    return v;
  };
  const node = (n: (typeof nodes)[number]) => {
    const t = mermaidText(n.name);
    return n.kind === 'volume' ? `${id(n.name)}[("${t}")]` : n.kind === 'job' ? `${id(n.name)}[["${t}"]]` : `${id(n.name)}("${t}")`;
  };
  return ['graph TD', ...nodes.map((n) => `  ${node(n)}`), ...edges.map((e) => `  ${id(e.from)} -->|${mermaidText(e.label)}| ${id(e.to)}`), ''].join('\n');
}

export function graphCommand(program: Command): void {
  program
    .command('graph')
    .description('print the dependency graph')
    .option('--format <format>', 'mermaid | dot', 'mermaid')
    .action(async (o: { format: string }, cmd: Command) => {
      if (o.format !== 'mermaid' && o.format !== 'dot') throw new UsageError(`--format must be mermaid or dot, not "${o.format}"`);
      const manifest = await loadOrThrow(manifestPath(cmd.optsWithGlobals<GlobalOptions>()));
      out(renderGraph(manifest, o.format));
    });
}
