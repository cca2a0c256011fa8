import type { Command } from 'commander';
import { apply, type ApplyResult } from '../reconcile/apply.js';
import { engine, type GlobalOptions, loadWithNotes, manifestPath } from './context.js';
import { logger } from './logger.js';
import { NotConvergedError, UsageError } from './errors.js';
import { addHostLabelsOption, type HostLabelsFlag, useHostLabels } from './host-labels.js';
import { out, table } from './format.js';
import { type LoadInfo, planJson, printNotes } from './plan.js';
import { durationFlag, parseConcurrency } from './flags.js';


export function applyJson(r: ApplyResult, info?: LoadInfo): object {
  return {
    fleet: r.plan.fleet,
    ...(info ? { origin: info.origin, notes: info.notes } : {}),
    converged: r.converged,
    durationMs: r.durationMs,
    actions: r.outcomes.map((o) => ({
      name: o.name,
      kind: o.kind,
      action: o.action,
      status: o.status,
      reasons: o.reasons,
      ...(o.error ? { error: o.error } : {}),
      durationMs: o.durationMs,
    })),
    plan: planJson(r.plan),
  };
}

export function printApply(r: ApplyResult, notes: string[] = []): string {
  const rows = r.outcomes.map((o) => ['  ' + o.action, o.kind, o.name, o.status, o.error ?? o.reasons.join('; ')]);
  const verdict = r.converged ? 'converged' : 'did not converge';
  return `fleet ${r.plan.fleet}\n${printNotes(notes)}${table(rows)}\n${verdict} in ${(r.durationMs / 1000).toFixed(1)}s\n`;
}

export function applyCommand(program: Command): void {
  addHostLabelsOption(program.command('apply'))
    .description('converge the engine to the manifest once')
    .option('--json', 'print the result as JSON')
    .option('--adopt', "take over containers holding an entry's name that dom0 did not create (recreated, volumes kept)")
    .option('--accept-data-loss', "recreate even when a path's data would no longer be mounted (its own volume → a bind, named volume or tmpfs)")
    .option('--concurrency <n>', 'entries worked on at once', parseConcurrency, 8)
    .option('--pull-concurrency <n>', 'distinct images pulled at once (default 4)', parseConcurrency)
    .option('--timeout <duration>', 'default wait timeout for a dependency (e.g. 90s, 5m; default: the entry\'s own, else 5m)', durationFlag('--timeout'))
    .action(async (o: { json?: boolean; adopt?: boolean; acceptDataLoss?: boolean; concurrency: number; pullConcurrency?: number; timeout?: number } & HostLabelsFlag, cmd: Command) => {
      useHostLabels(o);
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { manifest, notes } = await loadWithNotes(manifestPath(g));
      if (manifest.target === 'swarm') return (await import('./swarm.js')).swarmApply(manifest, o, notes, logger(g));
      const eng = engine();
      const r = await apply(manifest, eng, {
        adopt: o.adopt,
        acceptDataLoss: o.acceptDataLoss,
        concurrency: o.concurrency,
        pullConcurrency: o.pullConcurrency,
        waitTimeoutMs: o.timeout,
        log: logger(g),
      });
      out(o.json ? `${JSON.stringify(applyJson(r, { origin: manifest.origin, notes }))}\n` : printApply(r, notes));
      if (!r.converged) {
        // When the engine went away mid-apply, that is the one sentence worth saying.
        await eng.ping();
        const bad = r.outcomes.filter((x) => x.status !== 'ok').map((x) => `${x.name} ${x.status}`);
        throw new NotConvergedError(`did not converge: ${bad.join(', ')}`);
      }
    });
}
