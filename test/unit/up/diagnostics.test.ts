import { describe, expect, it } from 'vitest';
import { countByKind, diagnosticsLine } from '../../../src/up/diagnostics.js';

describe('leak probe', () => {
  it.each([
    [[], {}],
    [['Timeout'], { Timeout: 1 }],
    [['Timeout', 'TCPWrap', 'Timeout', 'FSEventWrap'], { Timeout: 2, TCPWrap: 1, FSEventWrap: 1 }],
  ])('counts live resources by kind: %j', (kinds, want) => {
    expect(countByKind(kinds)).toEqual(want);
  });

  it('sees a timer come and go, and carries the loop counts', () => {
    const before = diagnosticsLine({ eventListeners: 1 });
    const t = setInterval(() => undefined, 60_000);
    const during = diagnosticsLine({ eventListeners: 1 });
    clearInterval(t);
    const after = diagnosticsLine({ eventListeners: 1 });
    expect((during.resources.Timeout ?? 0) - (before.resources.Timeout ?? 0)).toBe(1);
    expect(after.resources.Timeout ?? 0).toBe(before.resources.Timeout ?? 0);
    expect(during.loop).toEqual({ eventListeners: 1 });
    expect(during.rssBytes).toBeGreaterThan(0);
    expect(during.pid).toBe(process.pid);
  });
});
