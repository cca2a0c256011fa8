import type { Command } from 'commander';
import { down } from '../reconcile/down.js';
import { engine, type GlobalOptions, loadOrThrow, manifestPath } from './context.js';
import { logger } from './logger.js';
import { out } from './format.js';
import { selfContainerId } from '../up/self-container.js';

export function downCommand(program: Command): void {
  program
    .command('down')
    .description("stop and remove this manifest's services and jobs (dependents first); keeps volume containers and volumes")
    .option('--volumes', "also remove this manifest's volume containers, named volumes and the volumes behind its anonymous paths: DATA IS LOST")
    .action(async (o: { volumes?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const manifest = await loadOrThrow(manifestPath(g));
      if (manifest.target === 'swarm') return (await import('./swarm.js')).swarmDown(manifest, o, logger(g));
      const self = selfContainerId();
      const r = await down(manifest, engine(), { volumes: o.volumes, log: logger(g), protect: new Set(self ? [self] : []) });
      out(`removed ${r.removed.length} containers${r.removedVolumes.length ? ` and ${r.removedVolumes.length} volumes` : ''}${r.kept.length ? `; kept volume containers: ${r.kept.join(', ')}` : ''}\n`);
      for (const w of r.warnings) process.stderr.write(`dom0: ${w}\n`);
    });
}
