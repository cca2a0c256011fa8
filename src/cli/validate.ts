import type { Command } from 'commander';
import { formatDiagnostic, loadManifest } from '../manifest/load.js';
import { composeOptions, type GlobalOptions, manifestFiles, manifestPath } from './context.js';
import { ManifestError } from './errors.js';
import { out } from './format.js';

export function validateCommand(program: Command): void {
  program
    .command('validate')
    .description('check the manifest; print every error as FILE:LINE:COL: message')
    .action(async (_o, cmd: Command) => {
      const file = manifestPath(cmd.optsWithGlobals<GlobalOptions>());
      const r = await loadManifest(manifestFiles(cmd.optsWithGlobals<GlobalOptions>()), composeOptions());
      if (!r.ok) throw new ManifestError(r.diagnostics);
      for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
      out(`${file}: valid (${r.manifest.volumeContainers.length} volume containers, ${r.manifest.jobs.length} jobs, ${r.manifest.services.length} services)\n`);
    });
}
