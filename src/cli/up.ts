import type { Command } from 'commander';
import { StateDir, stateDirFromEnv } from '../up/state-dir.js';
import { UpLoop } from '../up/loop.js';
import { engine, fleetOption, type GlobalOptions, logger, manifestPath } from './context.js';
import { parseConcurrency } from './apply.js';
import { UsageError } from './errors.js';
import { MAX_TIMER_MS } from '../manifest/durations.js';

/** A `--flag <seconds>` parser; the result goes into a timer, so it must fit in one (about 24 days). */
export function seconds(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} takes a number of seconds > 0, not "${v}"`);
    const ms = Math.round(n * 1000);
    if (ms > MAX_TIMER_MS) throw new UsageError(`${flag} is at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days), not "${v}"`);
    return Math.max(1, ms);
  };
}

export function upCommand(program: Command): void {
  program
    .command('up')
    .description('apply, then stay running: re-apply on edits and SIGHUP, supervise restarts, repair drift')
    .option('--state-dir <dir>', 'where the last-good manifest and the heartbeat live (default $DOM0_STATE_DIR or /var/lib/dom0)')
    .option('--reconcile-interval <seconds>', 'periodic repair interval', seconds('--reconcile-interval'), 300_000)
    .option('--concurrency <n>', 'entries worked on at once', parseConcurrency, 8)
    .option('--pull-concurrency <n>', 'distinct images pulled at once (default 4)', parseConcurrency)
    .option('--timeout <seconds>', 'default wait timeout for a dependency', seconds('--timeout'))
    .action(async (o: { stateDir?: string; reconcileInterval: number; concurrency: number; pullConcurrency?: number; timeout?: number }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const loop = new UpLoop({
        file: manifestPath(g),
        fleet: fleetOption(),
        engine: engine(),
        log: logger(g),
        state: new StateDir(o.stateDir ?? stateDirFromEnv()),
        reconcileIntervalMs: o.reconcileInterval,
        concurrency: o.concurrency,
        pullConcurrency: o.pullConcurrency,
        waitTimeoutMs: o.timeout,
      });
      process.on('SIGHUP', () => loop.reload());
      const stop = () => void loop.stop();
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      loop.start().catch((e: Error) => {
        process.stderr.write(`dom0 up: ${e.message}\n`);
        void loop.stop();
      });
      await loop.done;
      // An apply abandoned at SIGTERM may still hold timers and the event stream: every step it
      // takes is crash-safe, so leaving now is safe, and `docker stop` must not wait for it.
      process.exit(0);
    });
}
