// Polling until something holds, for the integration suites that watch a fleet or a log change.

/**
 * Calls `f` every `intervalMs` until it returns something other than undefined or false, and
 * returns that. A throw counts as "not yet" (the engine may be mid-restart); on timeout the error
 * names `what`, the last throw, and `detail()` (e.g. the tail of dom0's log).
 */
export async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  detail?: () => string | Promise<string>,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      const extra = detail ? await Promise.resolve().then(detail).catch((e) => `(detail failed: ${(e as Error).message})`) : undefined;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${extra !== undefined ? `\n${extra}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
