import type { Command } from 'commander';
import { status } from '../reconcile/status.js';
import { engine, type GlobalOptions, loadOrThrow, manifestPath } from './context.js';
import { out, table } from './format.js';
import { StateDir, stateDirFromEnv } from '../up/state-dir.js';
import { readSourceStatus } from '../up/source/store.js';
import { sourceLine } from '../up/source/describe.js';

export function statusCommand(program: Command): void {
  program
    .command('status')
    .description('a row per entry: container state, health, image, in sync / drifted / missing')
    .option('--json', 'print the rows as JSON')
    .option('--state-dir <dir>', "dom0 up's state directory, for a rollback in force (default $DOM0_STATE_DIR or /var/lib/dom0)")
    .action(async (o: { json?: boolean; stateDir?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      // Farm mode: without -f, the manifest is the one `dom0 up --source` applies.
      const source = readSourceStatus(o.stateDir ?? stateDirFromEnv());
      const fromSource = source && !g.file?.length && !process.env.DOM0_MANIFEST;
      const manifest = await loadOrThrow(fromSource ? source.manifestFile : manifestPath(g));
      if (manifest.target === 'swarm') return (await import('./swarm.js')).swarmStatus(manifest, o);
      const rows = await status(manifest, engine());
      const rollback = new StateDir(o.stateDir ?? stateDirFromEnv()).loadRollback();
      if (o.json) {
        out(`${JSON.stringify({ fleet: manifest.name, entries: rows, ...(rollback ? { rollback } : {}), ...(source ? { source } : {}) })}\n`);
        return;
      }
      if (source) out(`${sourceLine(source)}\n`);
      if (rollback) {
        const what = rollback.failures.map((f) => `${f.service}: ${f.state}`).join(', ');
        out(`rolled back: manifest ${rollback.sha256.slice(0, 12)} bad since ${rollback.since} (${what}); running last-healthy ${rollback.rolledBackTo.slice(0, 12)}\n`);
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
