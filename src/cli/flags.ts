// Parsers of command-line values: a bad value is a usage error (exit 2) that names the flag.
import { MAX_TIMER_MS, parseDuration } from '../manifest/durations.js';
import { UsageError } from './errors.js';

export function parseConcurrency(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a whole number ≥ 1, not "${v}"`);
  return n;
}

/**
 * A `--flag <duration>` parser: a Compose duration ("90s", "5m", "1m30s") or a bare number of
 * seconds. The result goes into a timer, so it must fit in one (about 24 days).
 */
export function durationFlag(flag: string) {
  return (v: string): number => {
    const bare = v.trim() !== '' && Number.isFinite(Number(v));
    const parsed = bare ? { ok: true as const, value: Number(v) * 1000 } : parseDuration(v);
    if (!parsed.ok || parsed.value <= 0) {
      throw new UsageError(`${flag} takes a duration > 0 (e.g. 90s, 5m, 1m30s, or a number of seconds), not "${v}"`);
    }
    const ms = Math.round(parsed.value);
    if (ms > MAX_TIMER_MS) throw new UsageError(`${flag} is at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days), not "${v}"`);
    return Math.max(1, ms);
  };
}

/** `--since`: a duration back from now (10m, 1h30m), an RFC 3339 time, or Unix seconds, as `docker logs --since`; returns Unix seconds. */
export function sinceFlag(now: () => number = Date.now) {
  return (v: string): number => {
    const s = v.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
    const d = parseDuration(s);
    if (d.ok) return (now() - d.value) / 1000;
    const t = Date.parse(s);
    if (/^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(t)) return t / 1000;
    throw new UsageError(`--since takes a duration (10m, 1h30m), an RFC 3339 time (2026-01-02T15:04:05Z) or Unix seconds, not "${v}"`);
  };
}

/** `--tail`: a number of lines, or "all". */
export function tailFlag(v: string): number | undefined {
  if (v === 'all') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--tail takes a number of lines ≥ 0 or "all", not "${v}"`);
  return n;
}
