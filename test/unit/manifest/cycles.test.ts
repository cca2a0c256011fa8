import { describe, expect, it } from 'vitest';
import { dependencyCycles } from '../../../src/manifest/cycles.js';
import { loadErrors } from './helpers.js';

const graph = (edges: Record<string, string[]>) => dependencyCycles(Object.keys(edges), new Map(Object.entries(edges)));

describe('dependencyCycles', () => {
  it.each<[string, Record<string, string[]>, string[][]]>([
    ['none', { a: ['b'], b: ['c'], c: [] }, []],
    ['self', { a: ['a'] }, [['a', 'a']]],
    ['2-cycle', { a: ['b'], b: ['a'] }, [['a', 'b', 'a']]],
    ['long', { a: ['b'], b: ['c'], c: ['d'], d: ['a'] }, [['a', 'b', 'c', 'd', 'a']]],
    ['two separate', { a: ['b'], b: ['a'], x: ['y'], y: ['x'] }, [['a', 'b', 'a'], ['x', 'y', 'x']]],
    ['edge to an unknown node is ignored', { a: ['zzz'] }, []],
    ['diamond is not a cycle', { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, []],
  ])('%s', (_, edges, cycles) => {
    expect(graph(edges)).toEqual(cycles);
  });

  it('handles a 50 000-entry chain without recursion', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 50_000; i++) edges[`n${i}`] = i + 1 < 50_000 ? [`n${i + 1}`] : ['n0'];
    const cycles = graph(edges);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(50_001);
    expect(cycles[0]![0]).toBe(cycles[0]![50_000]);
  }, 30_000);
});

describe('cycles in manifests', () => {
  it.each([
    ['self', 'services:\n  web: {image: x, depends_on: [web]}\n', 'dom0.yaml:2:3: dependency cycle: web → web'],
    ['2-cycle', 'services:\n  aa: {image: x, depends_on: [bb]}\n  bb: {image: x, links: [aa]}\n', 'dom0.yaml:2:3: dependency cycle: aa → bb → aa'],
    [
      'long, through every implicit edge kind',
      'services:\n  aa: {image: x, depends_on: [bb]}\n  bb: {image: x, links: ["cc:c"]}\n  cc: {image: x, volumes_from: [dd]}\n  dd: {image: x, network_mode: "service:aa"}\n',
      'dom0.yaml:2:3: dependency cycle: aa → bb → cc → dd → aa',
    ],
    ['across sections', 'jobs:\n  jj: {image: x, depends_on: [ss]}\nservices:\n  ss: {image: x, volumes_from: [jj]}\n', 'dom0.yaml:2:3: dependency cycle: jj → ss → jj'],
  ])('%s', (_, yaml, diag) => {
    expect(loadErrors(yaml)).toContain(`/srv/dom0/${diag}`);
  });
});
