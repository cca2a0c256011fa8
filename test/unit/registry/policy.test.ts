import { describe, expect, it } from 'vitest';
import type { PullPolicy } from '../../../src/manifest/types.js';
import { decidePull, effectivePolicy, formatPolicy, humanDuration, isStale } from '../../../src/registry/policy.js';

const H = 3_600_000;
const DAY = 24 * H;
const NOW = Date.parse('2025-01-10T12:00:00Z');

const decide = (policies: PullPolicy[], present: boolean, over: { lastPulledAt?: number; digestPinned?: boolean } = {}) =>
  decidePull({ ref: 'img:1', policies, present, digestPinned: over.digestPinned ?? false, lastPulledAt: over.lastPulledAt, now: NOW }).action;

describe('pull policies', () => {
  it('missing (the default): pull only when absent', () => {
    expect(decide(['missing'], false)).toBe('pull');
    expect(decide(['missing'], true)).toBe('skip');
  });

  it('always: pull on every apply', () => {
    expect(decide(['always'], true)).toBe('pull');
    expect(decide(['always'], false)).toBe('pull');
  });

  it('never: use what is there, fail when absent with a message saying so', () => {
    expect(decide(['never'], true)).toBe('skip');
    const d = decidePull({ ref: 'img:1', policies: ['never'], present: false, digestPinned: false, now: NOW });
    expect(d).toMatchObject({ action: 'fail' });
    expect(d.reason).toMatch(/img:1 is not present locally and pull_policy is never/);
  });

  it('every_<d>, daily, weekly: pull when the last recorded pull is that old or older', () => {
    const daily: PullPolicy = { everyMs: DAY };
    const weekly: PullPolicy = { everyMs: 7 * DAY };
    const every6h: PullPolicy = { everyMs: 6 * H };
    expect(decide([daily], true, { lastPulledAt: NOW - 23 * H })).toBe('skip');
    expect(decide([daily], true, { lastPulledAt: NOW - 24 * H })).toBe('pull');
    expect(decide([daily], true, { lastPulledAt: NOW - 25 * H })).toBe('pull');
    expect(decide([weekly], true, { lastPulledAt: NOW - 6 * DAY })).toBe('skip');
    expect(decide([weekly], true, { lastPulledAt: NOW - 8 * DAY })).toBe('pull');
    expect(decide([every6h], true, { lastPulledAt: NOW - 5 * H })).toBe('skip');
    expect(decide([every6h], true, { lastPulledAt: NOW - 7 * H })).toBe('pull');
    // no record (first run, or the state dir is not writable): stale
    expect(decide([daily], true)).toBe('pull');
    expect(decide([daily], false, { lastPulledAt: NOW })).toBe('pull');
    expect(isStale(undefined, DAY, NOW)).toBe(true);
    expect(isStale(NOW - 1, DAY, NOW)).toBe(false);
  });

  it('images pinned by digest are pulled only when absent, whatever the policy', () => {
    for (const p of ['always', 'missing', { everyMs: H }] as PullPolicy[]) {
      expect(decide([p], true, { digestPinned: true })).toBe('skip');
      expect(decide([p], false, { digestPinned: true })).toBe('pull');
    }
    expect(decide(['never'], false, { digestPinned: true })).toBe('fail');
  });

  it('entries sharing an image: the most eager policy wins', () => {
    expect(effectivePolicy(['missing', 'always', 'never'])).toBe('always');
    expect(effectivePolicy(['missing', { everyMs: DAY }, { everyMs: H }])).toEqual({ everyMs: H });
    expect(effectivePolicy(['never', 'missing'])).toBe('missing');
    expect(effectivePolicy(['never', 'never'])).toBe('never');
    expect(decide(['never', 'missing'], false)).toBe('pull');
  });

  it('formats policies and durations for messages', () => {
    expect(formatPolicy({ everyMs: DAY })).toBe('every_1d');
    expect(formatPolicy({ everyMs: 7 * DAY })).toBe('every_1w');
    expect(formatPolicy({ everyMs: 90 * 60_000 })).toBe('every_90m');
    expect(formatPolicy('always')).toBe('always');
    expect(humanDuration(25 * H + 60_000)).toBe('1d1h');
    expect(humanDuration(3000)).toBe('3s');
  });
});
