import type { Command } from 'commander';
import { LABEL } from '../reconcile/labels.js';
import type { Plan } from '../reconcile/plan.js';
import { previewPlan } from '../reconcile/preview.js';
import { stateDirFromEnv } from '../state-path.js';
import { engine, type GlobalOptions, loadWithNotes, manifestPath } from './context.js';
import { out, table } from './format.js';
import { addHostLabelsOption, type HostLabelsFlag, useHostLabels } from './host-labels.js';

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
    // deploy.placement.constraints: this host's facts, and each entry not placed on it with why.
    ...(p.placement ? { placement: p.placement } : {}),
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
  // An entry placed on other hosts (and with no container here): a row of its own, with why.
  const removed = new Set(p.actions.filter((a) => a.orphan).map((a) => `${a.kind}/${a.name}`));
  for (const n of p.placement?.notPlaced ?? []) if (!removed.has(`${n.kind}/${n.entry}`)) rows.push(['not here', n.kind, n.entry, n.reason]);
  const place = p.placement ? [hostLine(p.placement.host), ...p.placement.notes] : [];
  return `fleet ${p.fleet}\n${printNotes([...notes, ...place])}${table(rows.map((r) => ['  ' + r[0]!, ...r.slice(1)]))}\n`;
}

function hostLine(h: NonNullable<Plan['placement']>['host']): string {
  const labels = (l: Readonly<Record<string, string>>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
  return `host ${h.hostname} (${h.os}/${h.arch}; engine labels: ${labels(h.engineLabels)}; node labels: ${labels(h.nodeLabels)})`;
}

export function planCommand(program: Command): void {
  addHostLabelsOption(program.command('plan'))
    .description('show what apply would do, with reasons; changes nothing')
    .option('--json', 'print the plan as JSON')
    .option('--adopt', 'plan to take over containers that hold an entry\'s name but were not created by dom0')
    .option('--accept-data-loss', "plan recreates even when a path's data would no longer be mounted")
    .action(async (o: { json?: boolean; adopt?: boolean; acceptDataLoss?: boolean } & HostLabelsFlag, cmd: Command) => {
      useHostLabels(o);
      const { manifest, notes } = await loadWithNotes(manifestPath(cmd.optsWithGlobals<GlobalOptions>()));
      if (manifest.target === 'swarm') return (await import('./swarm.js')).swarmPlan(manifest, o, notes);
      const p = await previewPlan(manifest, engine(), stateDirFromEnv(), { adopt: o.adopt, acceptDataLoss: o.acceptDataLoss });
      out(o.json ? `${JSON.stringify(planJson(p, { origin: manifest.origin, notes }))}\n` : printPlan(p, notes));
    });
}
