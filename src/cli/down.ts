import type { Command } from 'commander';
import { down } from '../reconcile/down.js';
import { engine, type GlobalOptions, loadOrThrow, logger, manifestPath } from './context.js';
import { out } from './format.js';

export function downCommand(program: Command): void {
  program
    .command('down')
    .description('stop and remove services and jobs (dependents first); keeps volume containers and named volumes')
    .option('--volumes', 'also remove volume containers, anonymous volumes and named volumes: DATA IS LOST')
    .action(async (o: { volumes?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const manifest = await loadOrThrow(manifestPath(g));
      const r = await down(manifest, engine(), { volumes: o.volumes, log: logger(g) });
      out(`removed ${r.removed.length} containers${r.kept.length ? `; kept volume containers: ${r.kept.join(', ')}` : ''}\n`);
      for (const w of r.warnings) process.stderr.write(`dom0: ${w}\n`);
    });
}
