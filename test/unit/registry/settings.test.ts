import { describe, expect, it } from 'vitest';
import { pullSettings } from '../../../src/registry/settings.js';

describe('pull settings', () => {
  it('defaults: 4 at once, 4 attempts, 1 s → 30 s backoff, 60 s stall timeout, progress every 5 s', () => {
    expect(pullSettings({}, {})).toEqual({
      settings: { concurrency: 4, retry: { attempts: 4, baseMs: 1000, capMs: 30_000 }, stallTimeoutMs: 60_000, progressIntervalMs: 5000, background: { baseMs: 5000, capMs: 300_000 } },
      problems: [],
    });
  });

  it('reads the environment; options win over it', () => {
    const env = {
      DOM0_PULL_STALL_TIMEOUT: '3s',
      DOM0_PULL_ATTEMPTS: '6',
      DOM0_PULL_BACKOFF: '200ms',
      DOM0_PULL_BACKOFF_MAX: '2s',
      DOM0_PULL_CONCURRENCY: '2',
      DOM0_PULL_PROGRESS_INTERVAL: '1s',
      DOM0_PULL_BACKGROUND_BACKOFF: '1s',
      DOM0_PULL_BACKGROUND_BACKOFF_MAX: '4s',
    };
    expect(pullSettings({}, env).settings).toEqual({
      concurrency: 2,
      retry: { attempts: 6, baseMs: 200, capMs: 2000 },
      stallTimeoutMs: 3000,
      progressIntervalMs: 1000,
      background: { baseMs: 1000, capMs: 4000 },
    });
    expect(pullSettings({ concurrency: 8, stallTimeoutMs: 10, retry: { attempts: 1 } }, env).settings).toMatchObject({ concurrency: 8, stallTimeoutMs: 10, retry: { attempts: 1, baseMs: 200 } });
  });

  it('ignores bad environment values with a note', () => {
    const r = pullSettings({}, { DOM0_PULL_STALL_TIMEOUT: 'soon', DOM0_PULL_ATTEMPTS: '0' });
    expect(r.settings.stallTimeoutMs).toBe(60_000);
    expect(r.settings.retry.attempts).toBe(4);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toMatch(/DOM0_PULL_ATTEMPTS="0" ignored/);
  });

  it('0 disables the stall timeout', () => {
    expect(pullSettings({}, { DOM0_PULL_STALL_TIMEOUT: '0' }).settings.stallTimeoutMs).toBe(0);
  });
});
