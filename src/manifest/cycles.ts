// Cycle detection that stays safe on huge graphs: strongly connected components are found
// iteratively (no recursion), then graph.ts's findCycles runs on each small cyclic component.
// A giant component gets one shortest cycle instead, found by BFS.

import { findCycles } from '../graph.js';

const FIND_ALL_LIMIT = 200;

export function dependencyCycles(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const known = new Set(nodes);
  const out = (n: string): string[] => [...new Set(edges.get(n) ?? [])].filter((d) => known.has(d)).sort();
  const cycles: string[][] = [];
  for (const scc of components([...known].sort(), out)) {
    const members = new Set(scc);
    const cyclic = scc.length > 1 || out(scc[0]!).includes(scc[0]!);
    if (!cyclic) continue;
    if (scc.length <= FIND_ALL_LIMIT) {
      const sub = new Map(scc.map((n) => [n, out(n).filter((d) => members.has(d))]));
      cycles.push(...findCycles(scc, sub));
    } else {
      cycles.push(shortestCycle(scc[0]!, (n) => out(n).filter((d) => members.has(d))));
    }
  }
  return cycles;
}

/** Tarjan's algorithm with an explicit stack; each component sorted, components ordered by first member. */
function components(nodes: string[], out: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ n: string; next: string[]; i: number }> = [];
    const open = (n: string): void => {
      index.set(n, counter);
      low.set(n, counter++);
      stack.push(n);
      onStack.add(n);
      work.push({ n, next: out(n), i: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.i < frame.next.length) {
        const d = frame.next[frame.i++]!;
        if (!index.has(d)) open(d);
        else if (onStack.has(d)) low.set(frame.n, Math.min(low.get(frame.n)!, index.get(d)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.n, Math.min(low.get(parent.n)!, low.get(frame.n)!));
      if (low.get(frame.n) === index.get(frame.n)) {
        const scc: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          scc.push(m);
        } while (m !== frame.n);
        result.push(scc.sort());
      }
    }
  }
  return result.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

function shortestCycle(start: string, out: (n: string) => string[]): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const n = queue[qi]!;
    for (const d of out(n)) {
      if (d === start) {
        const path: string[] = [];
        for (let c: string | undefined = n; c !== undefined; c = c === start ? undefined : prev.get(c)) path.push(c);
        return [...path.reverse(), start];
      }
      if (!prev.has(d) && d !== start) {
        prev.set(d, n);
        queue.push(d);
      }
    }
  }
  return [start, start];
}
