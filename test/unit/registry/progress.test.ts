import { describe, expect, it } from 'vitest';
import { formatBytes, ProgressTracker } from '../../../src/registry/progress.js';
import { memoryLog } from '../../support/pull-engine.js';

describe('pull progress', () => {
  it('sums layer downloads per image and rate-limits the log lines', () => {
    let now = 0;
    const { log, lines } = memoryLog();
    const t = new ProgressTracker('app:1', log, 5000, () => now);
    t.update({ image: 'app:1', status: 'Pulling from app', layer: '1' });
    t.update({ image: 'app:1', status: 'Already exists', layer: 'aaaaaaaaaaaa' });
    t.update({ image: 'app:1', status: 'Pulling fs layer', layer: 'bbbbbbbbbbbb' });
    t.update({ image: 'app:1', status: 'Pulling fs layer', layer: 'cccccccccccc' });
    for (let i = 1; i <= 20; i++) {
      now += 1000;
      t.update({ image: 'app:1', status: 'Downloading', layer: 'bbbbbbbbbbbb', current: i * 100_000, total: 2_000_000 });
    }
    t.update({ image: 'app:1', status: 'Download complete', layer: 'bbbbbbbbbbbb' });
    t.update({ image: 'app:1', status: 'Downloading', layer: 'cccccccccccc', current: 10, total: 1000 });
    t.update({ image: 'app:1', status: 'Pull complete', layer: 'cccccccccccc' });
    expect(t.snapshot()).toEqual({ bytesDone: 2_001_000, bytesTotal: 2_001_000, layers: 3, layersDone: 3, layersCached: 1 });
    const progress = lines.filter((l) => l.event === 'pull-progress');
    expect(progress.length).toBe(4); // 20 s of updates, one line per 5 s
    expect(progress[0]).toMatchObject({ image: 'app:1', bytesDone: 500_000, bytesTotal: 2_000_000 });
    expect(progress[0]!.msg).toBe('pulling app:1: 488 kB of 1.9 MB (1/3 layers)');
  });

  it('knows an up-to-date pull and restarts per attempt', () => {
    const t = new ProgressTracker('app:1', undefined, 5000);
    t.update({ image: 'app:1', status: 'Downloading', layer: 'bbbbbbbbbbbb', current: 5, total: 10 });
    t.update({ image: 'app:1', status: 'Status: Image is up to date for app:1' });
    expect(t.upToDate).toBe(true);
    t.reset();
    expect(t.upToDate).toBe(false);
    expect(t.snapshot().layers).toBe(0);
  });

  it('formats sizes', () => {
    expect(formatBytes(500)).toBe('500 B');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(6_000_000)).toBe('5.7 MB');
    expect(formatBytes(300 * 2 ** 20)).toBe('300 MB');
  });
});
