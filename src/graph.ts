// A dependency graph over entry names. Edges point from an entry to what it depends on.

export type Edges = ReadonlyMap<string, readonly string[]>;

/** Every elementary cycle reachable by DFS, each closed: ["a", "b", "a"]. Deterministic order. */
export function findCycles(nodes: readonly string[], edges: Edges): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];

  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of [...(edges.get(n) ?? [])].sort()) {
      if (!nodes.includes(d)) continue;
      const s = state.get(d);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(d)), d];
        const key = canonicalCycleKey(cycle);
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (s === undefined) {
        visit(d);
      }
    }
    stack.pop();
    state.set(n, 'done');
  };

  for (const n of [...nodes].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

function canonicalCycleKey(cycle: string[]): string {
  const ring = cycle.slice(0, -1);
  const min = ring.indexOf([...ring].sort()[0]!);
  return [...ring.slice(min), ...ring.slice(0, min)].join('\u0000');
}

/**
 * Layers of the DAG, dependencies first: level 0 has no dependencies, level k depends only on
 * levels < k. Throws on a cycle (validation reports cycles before this is ever reached).
 */
export function topoLevels(nodes: readonly string[], edges: Edges): string[][] {
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (n: string): number => {
    const known = level.get(n);
    if (known !== undefined) return known;
    if (visiting.has(n)) throw new Error(`dependency cycle through ${n}`);
    visiting.add(n);
    let l = 0;
    for (const d of edges.get(n) ?? []) if (nodes.includes(d)) l = Math.max(l, depth(d) + 1);
    visiting.delete(n);
    level.set(n, l);
    return l;
  };
  const levels: string[][] = [];
  for (const n of [...nodes].sort()) {
    const l = depth(n);
    (levels[l] ??= []).push(n);
  }
  return levels.map((l) => l ?? []);
}

/** Everything that depends on `name`, directly or transitively. */
export function dependentsOf(name: string, edges: Edges): Set<string> {
  const out = new Set<string>();
  let frontier = [name];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const [n, deps] of edges) {
      if (out.has(n)) continue;
      if (deps.some((d) => frontier.includes(d))) {
        out.add(n);
        next.push(n);
      }
    }
    frontier = next;
  }
  return out;
}

export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' → ');
}
