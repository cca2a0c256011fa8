import type { Command } from 'commander';
import { status } from '../reconcile/status.js';
import { engine, type GlobalOptions, loadOrThrow, manifestPath } from './context.js';
import { out, table } from './format.js';

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('a row per entry: container state, health, image, in sync / drifted / missing')
    .option('--json', 'print the rows as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const manifest = await loadOrThrow(manifestPath(cmd.optsWithGlobals<GlobalOptions>()));
      const rows = await status(manifest, engine());
      if (o.json) {
        out(`${JSON.stringify({ fleet: manifest.name, entries: rows })}\n`);
        return;
      }
      const scheduled = rows.some((r) => r.nextRun);
      const header = ['NAME', 'KIND', 'STATE', 'HEALTH', 'IMAGE', 'RESTART', 'SYNC', ...(scheduled ? ['NEXT RUN'] : [])];
      const body = rows.map((r) => [
        r.name,
        r.kind,
        r.state + (r.exitCode !== undefined ? ` (${r.exitCode})` : ''),
        r.health ?? '-',
        r.image,
        r.restart ?? '-',
        r.sync,
        ...(scheduled ? [r.nextRun ?? '-'] : []),
      ]);
      out(`${table([header, ...body])}\n`);
    });
}
