import { type Command, Option } from 'commander';
import { StateDir, stateDirFromEnv } from '../up/state-dir.js';
import { UpLoop } from '../up/loop.js';
import { engine, fleetOption, type GlobalOptions, logger, manifestPath } from './context.js';
import { durationFlag, parseConcurrency } from './flags.js';

export function upCommand(program: Command): void {
  program
    .command('up')
    .description('apply, then stay running: re-apply on edits and SIGHUP, supervise restarts, repair drift')
    .option('--state-dir <dir>', 'where the last-good manifest and the heartbeat live (default $DOM0_STATE_DIR or /var/lib/dom0)')
    .addOption(new Option('--reconcile-interval <duration>', 'periodic repair interval').argParser(durationFlag('--reconcile-interval')).default(300_000, '5m'))
    .option('--concurrency <n>', 'entries worked on at once', parseConcurrency, 8)
    .option('--pull-concurrency <n>', 'distinct images pulled at once (default 4)', parseConcurrency)
    .option('--timeout <duration>', 'default wait timeout for a dependency (e.g. 90s, 5m; default: the entry\'s own, else 5m)', durationFlag('--timeout'))
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
