import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PULL_STATE_FILE, PullTimes } from '../../../src/registry/pull-state.js';
import { memoryLog } from '../../support/pull-engine.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'dom0-pullstate-'));

describe('pull times in the state dir', () => {
  it('records the last successful pull per image and reads it back in a new process', () => {
    const dir = join(fresh(), 'state'); // created on demand
    const t = PullTimes.open(dir);
    expect(t.usable).toBe(true);
    expect(t.lastPulledAt('docker.io/library/busybox:latest')).toBeUndefined();
    t.record('docker.io/library/busybox:latest', 'sha256:aaa', Date.parse('2025-01-01T00:00:00Z'));
    const again = PullTimes.open(dir);
    expect(again.lastPulledAt('docker.io/library/busybox:latest')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    const file = JSON.parse(readFileSync(join(dir, PULL_STATE_FILE), 'utf8'));
    expect(file).toEqual({ version: 1, images: { 'docker.io/library/busybox:latest': { pulledAt: '2025-01-01T00:00:00.000Z', imageId: 'sha256:aaa' } } });
  });

  it('merges with records another process wrote meanwhile', () => {
    const dir = fresh();
    const a = PullTimes.open(dir);
    const b = PullTimes.open(dir);
    a.record('x', undefined, 1000);
    b.record('y', undefined, 2000);
    const c = PullTimes.open(dir);
    expect(c.lastPulledAt('x')).toBe(1000);
    expect(c.lastPulledAt('y')).toBe(2000);
  });

  it('ignores a corrupt file', () => {
    const dir = fresh();
    writeFileSync(join(dir, PULL_STATE_FILE), '{not json');
    const t = PullTimes.open(dir);
    expect(t.usable).toBe(true);
    expect(t.lastPulledAt('x')).toBeUndefined();
    t.record('x', undefined, 5);
    expect(PullTimes.open(dir).lastPulledAt('x')).toBe(5);
  });

  it('when the state dir cannot be written: every time is unknown (stale), and that is logged once', () => {
    const base = fresh();
    const file = join(base, 'not-a-dir');
    writeFileSync(file, 'x'); // a file where the dir should be: mkdir fails even for root
    const { log, lines } = memoryLog();
    const t = PullTimes.open(join(file, 'state'), log);
    expect(t.usable).toBe(false);
    t.record('x', undefined, 5);
    expect(t.lastPulledAt('x')).toBeUndefined();
    PullTimes.open(join(file, 'state'), log);
    const warned = lines.filter((l) => l.event === 'pull-state-unwritable');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toMatch(/pulled on every apply/);
  });

  it('a read-only state dir with an old record still counts as stale', () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; the not-a-directory case above covers unwritable dirs
      return;
    }
    const dir = fresh();
    PullTimes.open(dir).record('x', undefined, Date.now());
    chmodSync(dir, 0o500);
    try {
      expect(PullTimes.open(dir).lastPulledAt('x')).toBeUndefined();
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('without a state dir nothing is recorded', () => {
    const t = PullTimes.open(undefined);
    expect(t.usable).toBe(false);
    t.record('x', undefined);
    expect(t.lastPulledAt('x')).toBeUndefined();
    mkdirSync(fresh(), { recursive: true });
  });
});
