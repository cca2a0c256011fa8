import type { Command } from 'commander';
import { StateDir, stateDirFromEnv } from '../up/state-dir.js';
import { NotConvergedError } from './errors.js';
import { out } from './format.js';

/** Fresh enough: the loop beats every 5 s. */
const MAX_AGE_MS = 30_000;

export function healthCommand(program: Command): void {
  program
    .command('health')
    .description("exit 0 when the `up` loop is alive (its heartbeat is fresh); the image's HEALTHCHECK")
    .option('--state-dir <dir>', 'state directory (default $DOM0_STATE_DIR or /var/lib/dom0)')
    .action((o: { stateDir?: string }) => {
      const age = new StateDir(o.stateDir ?? stateDirFromEnv()).heartbeatAgeMs();
      if (age === undefined || age > MAX_AGE_MS) {
        throw new NotConvergedError(age === undefined ? 'no heartbeat: dom0 up is not running' : `heartbeat is ${Math.round(age / 1000)}s old`);
      }
      out(`alive (heartbeat ${Math.round(age / 1000)}s ago)\n`);
    });
}
