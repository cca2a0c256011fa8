// The delay before the next poll of the source: the interval, moved by up to ±fraction of itself
// at random, so that a farm's hosts, booted together, do not all hit the server in the same second.
// After failures it backs off (doubling, capped at 4 intervals) so a server that is down is not hammered.

export function nextPollDelay(intervalMs: number, fraction: number, failures = 0, random: () => number = Math.random): number {
  const base = intervalMs * Math.min(2 ** Math.max(0, failures - 1), 4);
  const f = Math.min(Math.max(fraction, 0), 1);
  return Math.max(1, Math.round(base * (1 + f * (2 * random() - 1))));
}
