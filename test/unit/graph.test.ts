import { describe, expect, it } from 'vitest';
import { findCycles, formatCycle, topoLevels } from '../../src/graph.js';

const g = (o: Record<string, string[]>) => new Map(Object.entries(o));

describe('graph', () => {
  it.each([
    ['self', { a: ['a'] }, ['a → a']],
    ['2-cycle', { a: ['b'], b: ['a'] }, ['a → b → a']],
    ['long', { a: ['b'], b: ['c'], c: ['d'], d: ['a'] }, ['a → b → c → d → a']],
    ['none', { a: ['b'], b: [], c: ['a', 'b'] }, []],
    ['two separate', { a: ['b'], b: ['a'], c: ['d'], d: ['c'] }, ['a → b → a', 'c → d → c']],
  ])('findCycles: %s', (_n, edges, expected) => {
    expect(findCycles(Object.keys(edges), g(edges)).map(formatCycle)).toEqual(expected);
  });

  it.each([
    ['chain', { c: ['b'], b: ['a'], a: [] }, [['a'], ['b'], ['c']]],
    ['diamond', { d: ['b', 'c'], b: ['a'], c: ['a'], a: [] }, [['a'], ['b', 'c'], ['d']]],
    ['independent', { x: [], y: [] }, [['x', 'y']]],
    ['edge to unknown node is ignored', { a: ['zz'] }, [['a']]],
  ])('topoLevels: %s', (_n, edges, expected) => {
    expect(topoLevels(Object.keys(edges), g(edges))).toEqual(expected);
  });

  it('topoLevels throws on a cycle', () => {
    expect(() => topoLevels(['a', 'b'], g({ a: ['b'], b: ['a'] }))).toThrow(/cycle/);
  });

  it('topoLevels handles a 20 000-long chain without overflowing the stack', () => {
    const n = 20_000;
    const names = Array.from({ length: n }, (_, i) => `s${i}`);
    const edges = new Map(names.map((x, i) => [x, i === 0 ? [] : [`s${i - 1}`]]));
    const levels = topoLevels(names, edges);
    expect(levels).toHaveLength(n);
    expect(levels[n - 1]).toEqual([`s${n - 1}`]);
  });
});
