import { describe, expect, it } from 'vitest';
import { BACKOFF, decideRestart, parseRestart } from '../../../src/up/restart-policy.js';

const death = (over: Partial<Parameters<typeof decideRestart>[1]> = {}) => ({
  exitCode: 1,
  stoppedByHand: false,
  consecutiveFailures: 0,
  restartsSinceApply: 0,
  ...over,
});

describe('restart policy', () => {
  it.each([
    [undefined, { name: 'no' }],
    ['no', { name: 'no' }],
    ['always', { name: 'always' }],
    ['unless-stopped', { name: 'unless-stopped' }],
    ['on-failure', { name: 'on-failure' }],
    ['on-failure:2', { name: 'on-failure', maxRetries: 2 }],
    ['garbage', { name: 'no' }],
  ])('parseRestart(%s)', (label, expected) => {
    expect(parseRestart(label)).toEqual(expected);
  });

  it.each([
    ['no', death(), false],
    ['always', death(), true],
    ['always', death({ exitCode: 0 }), true],
    ['always', death({ stoppedByHand: true }), false],
    ['unless-stopped', death(), true],
    ['unless-stopped', death({ stoppedByHand: true }), false],
    ['on-failure', death({ exitCode: 0 }), false],
    ['on-failure', death({ exitCode: 3 }), true],
    ['on-failure:2', death({ restartsSinceApply: 1 }), true],
    ['on-failure:2', death({ restartsSinceApply: 2 }), false],
  ])('%s with %j → restart=%s', (label, d, expected) => {
    expect(decideRestart(parseRestart(label), d).restart).toBe(expected);
  });

  it('backs off exponentially up to the cap', () => {
    const delays = [0, 1, 2, 3, 10, 30].map((n) => {
      const d = decideRestart({ name: 'always' }, death({ consecutiveFailures: n }));
      return d.restart ? d.delayMs : -1;
    });
    expect(delays).toEqual([500, 1000, 2000, 4000, BACKOFF.capMs, BACKOFF.capMs]);
  });

  it('says why it gives up', () => {
    const d = decideRestart(parseRestart('on-failure:2'), death({ restartsSinceApply: 2 }));
    expect(d).toEqual({ restart: false, why: 'gave up after 2 restarts (on-failure:2)' });
  });
});
