import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { sinceFlag, tailFlag } from '../../../src/cli/flags.js';
import { interleave, logTargets, splitStamp } from '../../../src/cli/logs.js';
import type { StatusRow } from '../../../src/reconcile/status.js';

describe('dom0 logs', () => {
  it('interleaves by the engine timestamps, whatever their fraction length; ties keep their order', () => {
    const lines = [
      splitStamp('a', { stream: 'stdout', text: '2026-11-30T10:00:01.5Z a2' }),
      splitStamp('a', { stream: 'stdout', text: '2026-11-30T10:00:00.123456789Z a1' }),
      splitStamp('b', { stream: 'stdout', text: '2026-11-30T10:00:01.25Z b1' }),
      splitStamp('b', { stream: 'stderr', text: '2026-11-30T10:00:02Z b2' }),
      splitStamp('c', { stream: 'stdout', text: '2026-11-30T10:00:02Z c1' }),
    ];
    expect(interleave(lines).map((l) => l.text)).toEqual(['a1', 'b1', 'a2', 'b2', 'c1']);
  });

  it('keeps a line without a timestamp as text', () => {
    expect(splitStamp('x', { stream: 'stdout', text: 'plain line' })).toEqual({ entry: 'x', stamp: '', text: 'plain line' });
  });

  const row = (name: string, over: Partial<StatusRow> = {}): StatusRow => ({ name, kind: 'service', container: name, id: `${name}-id`, state: 'running', image: 'i', sync: 'in sync', ...over });

  it('shows services and jobs of this fleet that have a container; names must exist', () => {
    const rows = [row('web'), row('seed', { kind: 'job' }), row('data', { kind: 'volume' }), row('gone', { id: undefined, sync: 'missing' }), row('theirs', { sync: 'unmanaged' })];
    expect(logTargets(rows, []).map((r) => r.name)).toEqual(['web', 'seed']);
    expect(logTargets(rows, ['seed']).map((r) => r.name)).toEqual(['seed']);
    expect(() => logTargets(rows, ['wbe'])).toThrow(UsageError);
    expect(() => logTargets(rows, ['data'])).toThrow(/no service or job "data"/);
  });

  it.each([
    ['10m', 1_000_000 - 600],
    ['1700000000', 1_700_000_000],
    ['2026-01-02T15:04:05Z', Date.parse('2026-01-02T15:04:05Z') / 1000],
  ])('--since %s', (v, secs) => expect(sinceFlag(() => 1_000_000_000)(v)).toBe(secs));

  it.each([['yesterday'], ['-5m'], ['']])('--since %j is a usage error', (v) => expect(() => sinceFlag()(v)).toThrow(UsageError));

  it('--tail takes lines or all', () => {
    expect(tailFlag('20')).toBe(20);
    expect(tailFlag('all')).toBeUndefined();
    expect(() => tailFlag('-1')).toThrow(UsageError);
  });
});
