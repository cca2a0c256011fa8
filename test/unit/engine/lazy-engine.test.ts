import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/engine/engine.js';
import { lazyEngine } from '../../../src/engine/lazy-engine.js';
import { MemoryEngine } from '../../support/memory-engine.js';

describe('lazyEngine', () => {
  it('loads the adapter on the first call only, and forwards every call', async () => {
    let loads = 0;
    const mem = new MemoryEngine();
    const e = lazyEngine(async () => {
      loads++;
      return mem as unknown as Engine;
    });
    expect(loads).toBe(0);
    expect(e.calls).toEqual({});
    expect(await Promise.resolve(e)).toBe(e); // not a thenable
    await e.ping();
    expect(await e.listContainers()).toEqual([]);
    expect(loads).toBe(1);
  });

  it('a failing load fails the call that needed it', async () => {
    const e = lazyEngine(async () => {
      throw new Error('no such context');
    });
    await expect(e.ping()).rejects.toThrow('no such context');
  });
});
