import type { Command } from 'commander';
import { heartbeatProblem, StateDir, stateDirFromEnv } from '../up/state-dir.js';
import { NotConvergedError } from './errors.js';
import { out } from './format.js';

export function healthCommand(program: Command): void {
  program
    .command('health')
    .description("exit 0 when the `up` loop is alive (its heartbeat is fresh); the image's HEALTHCHECK")
    .option('--state-dir <dir>', 'state directory (default $DOM0_STATE_DIR or /var/lib/dom0)')
    .action((o: { stateDir?: string }) => {
      const age = new StateDir(o.stateDir ?? stateDirFromEnv()).heartbeatAgeMs();
      const problem = heartbeatProblem(age);
      if (problem) throw new NotConvergedError(problem);
      out(`alive (heartbeat ${Math.round(age! / 1000)}s ago)\n`);
    });
}
