// The dependency graph as an SVG picture for the status page, drawn on the server: one column per
// dependency level (what starts first on the left), an arrow from each entry to what it waits for.
import { topoLevels } from '../graph.js';
import { entries, type Manifest } from '../manifest/types.js';

const BOX_W = 150;
const BOX_H = 30;
const GAP_X = 70;
const GAP_Y = 16;
const PAD = 12;
const FILL = { volume: '#e8eef7', job: '#f7f0e0', service: '#e6f4ea' } as const;

export function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `state`: an entry's current state, coloring its border (running green, else grey or red). */
export function graphSvg(m: Manifest, state: (entry: string) => string | undefined = () => undefined): string {
  const all = entries(m);
  const kinds = new Map(all.map((e) => [e.name, e.kind]));
  const edges = new Map(all.map((e) => [e.name, 'dependsOn' in e ? e.dependsOn.map((d) => d.name) : []]));
  let levels: string[][];
  try {
    levels = topoLevels([...kinds.keys()], edges);
  } catch {
    levels = [[...kinds.keys()].sort()]; // a cycle never validates; draw something anyway
  }
  const at = new Map<string, { x: number; y: number }>();
  levels.forEach((level, col) => level.forEach((name, row) => at.set(name, { x: PAD + col * (BOX_W + GAP_X), y: PAD + row * (BOX_H + GAP_Y) })));
  const width = PAD * 2 + levels.length * BOX_W + Math.max(0, levels.length - 1) * GAP_X;
  const height = PAD * 2 + Math.max(1, ...levels.map((l) => l.length)) * (BOX_H + GAP_Y) - GAP_Y;
  const lines: string[] = [];
  for (const [from, tos] of edges) {
    for (const to of tos) {
      const a = at.get(from);
      const b = at.get(to);
      if (!a || !b) continue;
      lines.push(`<line x1="${a.x}" y1="${a.y + BOX_H / 2}" x2="${b.x + BOX_W}" y2="${b.y + BOX_H / 2}" class="edge" marker-end="url(#arrow)"/>`);
    }
  }
  const boxes = [...at].map(([name, p]) => {
    const kind = kinds.get(name)!;
    const s = state(name);
    const stroke = s === 'running' ? '#2e7d32' : s === 'exited' || s === 'dead' || s === 'restarting' ? '#c62828' : '#888';
    const label = name.length > 20 ? `${name.slice(0, 19)}…` : name;
    return (
      `<g class="node" data-entry="${xml(name)}"><title>${xml(`${name} (${kind})${s ? `: ${s}` : ''}`)}</title>` +
      `<rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="${kind === 'service' ? 14 : 3}" fill="${FILL[kind]}" stroke="${stroke}" stroke-width="2"/>` +
      `<text x="${p.x + BOX_W / 2}" y="${p.y + BOX_H / 2 + 4}" text-anchor="middle">${xml(label)}</text></g>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="dependency graph">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker></defs>',
    '<style>.edge{stroke:#666;stroke-width:1.2}text{font:12px sans-serif}</style>',
    ...lines,
    ...boxes,
    '</svg>',
  ].join('');
}
