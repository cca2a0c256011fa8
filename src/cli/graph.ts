import type { Command } from 'commander';
import type { Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { type GlobalOptions, loadOrThrow, manifestPath } from './context.js';
import { UsageError } from './errors.js';
import { out } from './format.js';

export function renderGraph(m: Manifest, format: 'mermaid' | 'dot'): string {
  const nodes = entries(m);
  const edges = [...m.jobs, ...m.services].flatMap((e) => e.dependsOn.map((d) => ({ from: e.name, to: d.name, label: d.condition })));
  if (format === 'dot') {
    const shape = { volume: 'cylinder', job: 'box', service: 'ellipse' } as const;
    return [
      `digraph "${m.name}" {`,
      ...nodes.map((n) => `  "${n.name}" [shape=${shape[n.kind]}];`),
      ...edges.map((e) => `  "${e.from}" -> "${e.to}" [label="${e.label}"];`),
      '}',
      '',
    ].join('\n');
  }
  const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
  const node = (n: (typeof nodes)[number]) =>
    n.kind === 'volume' ? `${id(n.name)}[("${n.name}")]` : n.kind === 'job' ? `${id(n.name)}[["${n.name}"]]` : `${id(n.name)}("${n.name}")`;
  return ['graph TD', ...nodes.map((n) => `  ${node(n)}`), ...edges.map((e) => `  ${id(e.from)} -->|${e.label}| ${id(e.to)}`), ''].join('\n');
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
