import { describe, expect, it } from 'vitest';
import { type BackoffOptions, backoffDelay, pause, sleep } from '../../src/backoff.js';

describe('backoffDelay', () => {
  const cases: Array<[number, BackoffOptions, number]> = [
    // retry, options, expected
    [1, { baseMs: 500, capMs: 30_000 }, 500],
    [2, { baseMs: 500, capMs: 30_000 }, 1000],
    [7, { baseMs: 500, capMs: 30_000 }, 30_000],
    [0, { baseMs: 500, capMs: 30_000 }, 500],
    [-3, { baseMs: 500, capMs: 30_000 }, 500],
    [2000, { baseMs: 500, capMs: 30_000 }, 30_000],
    [3, { baseMs: 1000, capMs: 60_000, factor: 3 }, 9000],
    [5, { baseMs: 1000, capMs: 60_000, factor: 1 }, 1000],
    [1, { baseMs: 1000, capMs: 30_000, jitter: 'equal', random: () => 0 }, 500],
    [1, { baseMs: 1000, capMs: 30_000, jitter: 'equal', random: () => 1 }, 1000],
    [3, { baseMs: 1000, capMs: 30_000, jitter: 'equal', random: () => 0.5 }, 3000],
    [3, { baseMs: 1000, capMs: 30_000, jitter: 'equal', random: () => 7 }, 4000],
    [3, { baseMs: 1000, capMs: 30_000, jitter: 'none', random: () => 0 }, 4000],
  ];
  it.each(cases)('retry %i with %o waits %i ms', (retry, o, expected) => {
    expect(backoffDelay(retry, o)).toBe(expected);
  });
});

describe('sleep and pause', () => {
  it('sleep resolves after the delay', async () => {
    const t0 = Date.now();
    await sleep(20);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
  });

  it('sleep rejects with an AbortError when the signal aborts, already or later', async () => {
    await expect(sleep(10, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError', message: 'aborted' });
    const c = new AbortController();
    const t0 = Date.now();
    const p = sleep(60_000, c.signal);
    setTimeout(() => c.abort(), 10);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('pause ends early on abort without throwing', async () => {
    const c = new AbortController();
    const t0 = Date.now();
    const p = pause(60_000, c.signal);
    c.abort();
    await expect(p).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
