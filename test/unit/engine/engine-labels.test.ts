// docker info's Labels ("k=v" strings from dockerd --label / daemon.json) as a map.
import { describe, expect, it } from 'vitest';
import { parseEngineLabels } from '../../../src/engine/engine-labels.js';

describe('parseEngineLabels', () => {
  it.each([
    [[], {}],
    [['role=edge', 'zone=a'], { role: 'edge', zone: 'a' }],
    [['k=v=w'], { k: 'v=w' }],
    [['flag'], { flag: '' }],
    [['=orphan'], {}],
    [['k=1', 'k=2'], { k: '2' }],
  ])('%j → %j', (labels, expected) => {
    expect(parseEngineLabels(labels)).toEqual(expected);
  });
});
