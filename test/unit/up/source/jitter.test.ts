import { describe, expect, it } from 'vitest';
import { nextPollDelay } from '../../../../src/up/source/jitter.js';

describe('poll delay: jittered, backing off after failures', () => {
  it.each([
    // interval, fraction, failures, random → delay
    [30_000, 0.2, 0, 0.5, 30_000],
    [30_000, 0.2, 0, 0, 24_000],
    [30_000, 0.2, 0, 1, 36_000],
    [30_000, 0, 0, 0, 30_000],
    [30_000, 0.2, 1, 0.5, 30_000],
    [30_000, 0.2, 2, 0.5, 60_000],
    [30_000, 0.2, 3, 0.5, 120_000],
    [30_000, 0.2, 9, 0.5, 120_000], // capped at 4 intervals
    [1000, 5, 0, 0, 1], // a fraction above 1 is 1, and the delay is never 0
  ])('%i ms ±%s, %i failures, random %s → %i ms', (interval, fraction, failures, r, want) => {
    expect(nextPollDelay(interval, fraction, failures, () => r)).toBe(want);
  });

  it('spreads a farm: 100 hosts do not poll in the same second', () => {
    const delays = Array.from({ length: 100 }, () => nextPollDelay(30_000, 0.2));
    expect(new Set(delays.map((d) => Math.floor(d / 1000))).size).toBeGreaterThan(5);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(24_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(36_000);
  });
});
