import type { Command } from 'commander';
import { isEngineError } from '../engine/errors.js';
import type { EngineVersion } from '../engine/engine.js';
import { buildInfo } from '../version.js';
import { engine } from './context.js';
import { out } from './format.js';

/** `dom0 version`: what a bug report needs. The engine part is best effort: an unreachable engine is reported, not an error. */
export function versionCommand(program: Command): void {
  program
    .command('version')
    .description('dom0, Node.js, dockerode and Docker Engine versions (for bug reports)')
    .option('--json', 'one JSON object')
    .action(async (o: { json?: boolean }) => {
      const info = buildInfo();
      let eng: EngineVersion | { error: string };
      try {
        eng = await engine().version();
      } catch (e) {
        if (!isEngineError(e)) throw e;
        eng = { error: e.message };
      }
      if (o.json) {
        out(`${JSON.stringify({ dom0: info.version, revision: info.revision ?? null, node: info.node, dockerode: info.dockerode, engine: eng })}\n`);
        return;
      }
      const lines = [
        `dom0 ${info.version}${info.revision ? ` (${info.revision.slice(0, 12)})` : ''}`,
        `node ${info.node}, dockerode ${info.dockerode}`,
        'error' in eng ? `engine: not reachable: ${eng.error}` : `engine ${eng.version} (API ${eng.apiVersion})`,
      ];
      out(`${lines.join('\n')}\n`);
    });
}
