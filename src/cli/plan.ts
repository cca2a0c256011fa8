import type { Command } from 'commander';
import { LABEL } from '../reconcile/labels.js';
import type { Plan } from '../reconcile/plan.js';
import { previewPlan } from '../reconcile/preview.js';
import { stateDirFromEnv } from '../state-path.js';
import { engine, type GlobalOptions, loadWithNotes, manifestPath } from './context.js';
import { out, table } from './format.js';

/** Where the manifest came from, and what loading it decided (e.g. bind paths translated for the host). */
export interface LoadInfo {
  origin: string;
  notes: string[];
}

/** One `note: ...` line per note, under the fleet line. */
export function printNotes(notes: string[]): string {
  return notes.map((n) => `  note: ${n}\n`).join('');
}

/**
 * The plan as data: every step apply takes. Each action keeps name/kind/action/reasons first, then
 * its inputs (containers, waits, labels, volumes). The canonical spec (and its label) is left out:
 * the hash stands for it, and `plan` already names each changed field in the reasons.
 */
export function planJson(p: Plan, info?: LoadInfo): object {
  return {
    fleet: p.fleet,
    ...(info ? { origin: info.origin, notes: info.notes } : {}),
    pulls: p.pulls.map((s) => ({ image: s.ref, refs: s.refs, policy: s.policy, action: s.action, reason: s.reason, ...(s.presentId ? { imageId: s.presentId } : {}) })),
    builds: p.builds,
    networks: p.networks.map(({ create: _create, ...n }) => n),
    volumes: p.volumes.map(({ create: _create, ...v }) => v),
    actions: p.actions.map(({ name, kind, action, reasons, spec: _spec, dependsOn: _deps, labels, ...inputs }) => ({
      name,
      kind,
      action,
      reasons,
      ...inputs,
      ...(labels ? { labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k !== LABEL.spec)) } : {}),
    })),
  };
}

export function printPlan(p: Plan, notes: string[] = []): string {
  const rows = p.actions.map((a) => [a.action, a.kind, a.name, a.reasons.join('; ')]);
  return `fleet ${p.fleet}\n${printNotes(notes)}${table(rows.map((r) => ['  ' + r[0]!, ...r.slice(1)]))}\n`;
}

export function planCommand(program: Command): void {
  program
    .command('plan')
    .description('show what apply would do, with reasons; changes nothing')
    .option('--json', 'print the plan as JSON')
    .option('--adopt', 'plan to take over containers that hold an entry\'s name but were not created by dom0')
    .option('--accept-data-loss', "plan recreates even when a path's data would no longer be mounted")
    .action(async (o: { json?: boolean; adopt?: boolean; acceptDataLoss?: boolean }, cmd: Command) => {
      const { manifest, notes } = await loadWithNotes(manifestPath(cmd.optsWithGlobals<GlobalOptions>()));
      const p = await previewPlan(manifest, engine(), stateDirFromEnv(), { adopt: o.adopt, acceptDataLoss: o.acceptDataLoss });
      out(o.json ? `${JSON.stringify(planJson(p, { origin: manifest.origin, notes }))}\n` : printPlan(p, notes));
    });
}
