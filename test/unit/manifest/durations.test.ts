import { describe, expect, it } from 'vitest';
import { parseBytes, parseDuration } from '../../../src/manifest/durations.js';

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1h2m3s', 3_723_000],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['.5s', 500],
    ['250us', 0.25],
    ['2000000ns', 2],
    ['0', 0],
    ['0s', 0],
    [' 5s ', 5000],
  ])('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  it.each([['10'], ['1.5'], ['ten seconds'], ['5 s'], ['-1s'], ['1x'], [''], ['s'], ['1d'], ['1w'], ['1s2']])('rejects %j', (input) => {
    const r = parseDuration(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('invalid duration');
  });

  it('accepts days and weeks only in long mode (pull_policy every_<d>)', () => {
    expect(parseDuration('1d', { long: true })).toEqual({ ok: true, value: 86_400_000 });
    expect(parseDuration('2w', { long: true })).toEqual({ ok: true, value: 1_209_600_000 });
  });

  it('says the unit is missing for a bare number', () => {
    const r = parseDuration('10');
    expect(!r.ok && r.error).toContain('missing unit');
  });
});

describe('parseBytes', () => {
  it.each<[string | number, number]>([
    ['1024b', 1024],
    ['1024', 1024],
    [1024, 1024],
    ['2kb', 2048],
    ['2k', 2048],
    ['2KB', 2048],
    ['512m', 512 * 2 ** 20],
    ['512M', 512 * 2 ** 20],
    ['512mb', 512 * 2 ** 20],
    ['1g', 2 ** 30],
    ['1gb', 2 ** 30],
    ['1GiB', 2 ** 30],
    ['1.5g', 1.5 * 2 ** 30],
    ['1t', 2 ** 40],
    ['0', 0],
  ])('%j → %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toEqual({ ok: true, value: bytes });
  });

  it.each<[string | number]>([['-1'], [-1], [1.5], ['1x'], ['m'], ['512 megabytes'], [''], ['1e9'], ['1i']])('rejects %j', (input) => {
    const r = parseBytes(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('invalid size');
  });
});
