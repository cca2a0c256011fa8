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
 * levels < k. Iterative (Kahn), so deep chains cannot overflow the stack. Throws on a cycle
 * (validation reports cycles before this is ever reached).
 */
export function topoLevels(nodes: readonly string[], edges: Edges): string[][] {
  const known = new Set(nodes);
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of known) {
    const deps = [...new Set(edges.get(n) ?? [])].filter((d) => known.has(d));
    pending.set(n, deps.length);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(n);
  }
  const levels: string[][] = [];
  let current = [...known].filter((n) => pending.get(n) === 0).sort();
  let placed = 0;
  while (current.length > 0) {
    levels.push(current);
    placed += current.length;
    const next: string[] = [];
    for (const n of current) {
      for (const m of dependents.get(n) ?? []) {
        const left = pending.get(m)! - 1;
        pending.set(m, left);
        if (left === 0) next.push(m);
      }
    }
    current = next.sort();
  }
  if (placed < known.size) {
    throw new Error(`dependency cycle among: ${[...known].filter((n) => pending.get(n)! > 0).sort().join(', ')}`);
  }
  return levels;
}

export function formatCycle(cycle: readonly string[]): string {
  return cycle.join(' → ');
}
