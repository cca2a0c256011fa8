// A cheap leak probe for `dom0 up` (the soak benchmark and its CI test read it): with
// DOM0_DIAG_FILE=path, each SIGUSR2 appends one JSON line with the process's live handles by kind
// (process.getActiveResourcesInfo(): Timeout, TCPWrap, PipeWrap, FSEventWrap, …), its memory,
// the listeners registered on `process`, and the loop's own counts (timers it holds, event-stream
// listeners, supervised entries). Nothing runs unless the signal comes: no cost while idle.
import { appendFileSync } from 'node:fs';

export type LoopCounts = Record<string, number>;

export interface DiagnosticsLine {
  at: string;
  pid: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Active libuv handles and requests by kind; "Timeout" is the count of live timers. */
  resources: Record<string, number>;
  processListeners: number;
  loop: LoopCounts;
}

export function countByKind(kinds: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}

export function diagnosticsLine(loop: LoopCounts): DiagnosticsLine {
  const mem = process.memoryUsage();
  return {
    at: new Date().toISOString(),
    pid: process.pid,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    resources: countByKind(process.getActiveResourcesInfo()),
    processListeners: process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0),
    loop,
  };
}

/** Installs the SIGUSR2 handler (only when a file is given: SIGUSR2 otherwise keeps its default). */
export function installDiagnostics(file: string | undefined, loop: () => LoopCounts): void {
  if (!file) return;
  process.on('SIGUSR2', () => {
    try {
      appendFileSync(file, `${JSON.stringify(diagnosticsLine(loop()))}\n`);
    } catch {
      // a probe must never take dom0 down
    }
  });
}
