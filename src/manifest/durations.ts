// Compose durations ("1m30s", "500ms", "10s") and Docker byte sizes ("512m", "1g", "2kb").

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const LONG_UNITS_MS: Record<string, number> = { d: 86_400_000, w: 604_800_000 };

const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;

/** The longest delay Node's timers hold (2^31-1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Milliseconds for a Go-style duration as Compose accepts it: one or more `<number><unit>`
 * parts, units ns, us, ms, s, m, h (plus d and w when `long` is set, for pull_policy every_<d>).
 * At most MAX_TIMER_MS, since dom0 waits with timers; `long` durations are compared with
 * timestamps, never put in a timer, and may be longer.
 */
export function parseDuration(input: string, opts: { long?: boolean } = {}): ParseResult<number> {
  const s = input.trim();
  const bad = (why: string): ParseResult<number> => ({
    ok: false,
    error: `invalid duration ${JSON.stringify(input)}: ${why} (examples: 10s, 1m30s, 500ms, 1h)`,
  });
  if (s === '0') return { ok: true, value: 0 };
  if (s === '') return bad('empty');
  if (/^\d+(\.\d+)?$/.test(s)) return bad('missing unit');
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < s.length) {
    const m = DURATION_PART.exec(s);
    if (!m) return bad('expected <number><unit>');
    const unit = m[2]!;
    const ms = DURATION_UNITS_MS[unit] ?? (opts.long ? LONG_UNITS_MS[unit] : undefined);
    if (ms === undefined) return bad(`unknown unit "${unit}"`);
    total += Number(m[1]) * ms;
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) return bad('too large');
  if (!opts.long && total > MAX_TIMER_MS) return bad(`too long: at most ${MAX_TIMER_MS} ms (about 24 days)`);
  // Round to microseconds: keeps "1.1s" at 1100 instead of 1100.0000000000002.
  return { ok: true, value: Math.round(total * 1000) / 1000 };
}

const SIZE = /^(\d+(?:\.\d+)?|\.\d+) ?([kmgtp])?(i)?(b)?$/i;
const SIZE_MULT: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Bytes for a Docker size ("512m", "1g", "1024b", "2kb", "1.5GiB"); multiples of 1024, as Docker does. */
export function parseBytes(input: string | number): ParseResult<number> {
  const bad = (why: string): ParseResult<number> => ({
    ok: false,
    error: `invalid size ${JSON.stringify(input)}: ${why} (examples: 1024b, 2kb, 512m, 1g)`,
  });
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) return bad('expected a whole number of bytes');
    return { ok: true, value: input };
  }
  const m = SIZE.exec(input.trim());
  if (!m) return bad('expected <number>[b|k|m|g|t|p]');
  const unit = (m[2] ?? '').toLowerCase();
  if (m[3] && !unit) return bad('expected <number>[b|k|m|g|t|p]');
  const value = Math.floor(Number(m[1]) * SIZE_MULT[unit]!);
  if (!Number.isSafeInteger(value)) return bad('too large');
  return { ok: true, value };
}
