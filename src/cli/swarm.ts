// The Swarm target's side of plan, apply, down and status (`target: swarm` in the manifest):
// the same commands, dispatched here by the manifest's target.
import type { SwarmEngine } from '../engine/swarm-engine.js';
import type { Manifest } from '../manifest/types.js';
import type { Log } from '../log.js';
import { downSwarm } from '../reconcile/swarm/down-swarm.js';
import { applySwarm, checkSwarm, type SwarmApplyResult, SwarmUnavailableError } from '../reconcile/swarm/execute-swarm.js';
import { observeSwarm } from '../reconcile/swarm/observe-swarm.js';
import { planSwarm, type SwarmPlan } from '../reconcile/swarm/plan-swarm.js';
import { statusSwarm } from '../reconcile/swarm/status-swarm.js';
import { NotConvergedError } from './errors.js';
import { out, table } from './format.js';
import { printNotes } from './plan.js';

let theEngine: SwarmEngine | undefined;

async function swarmEngine(): Promise<SwarmEngine> {
  theEngine ??= new (await import('../engine/docker-engine.js')).DockerSwarmEngine();
  return theEngine;
}

/** A Swarm that is not there is the engine's state, not a bug: exit 1 with what to do. */
async function onSwarm<T>(fn: (e: SwarmEngine) => Promise<T>): Promise<T> {
  try {
    return await fn(await swarmEngine());
  } catch (e) {
    if (e instanceof SwarmUnavailableError) throw new NotConvergedError(e.message);
    throw e;
  }
}

/** The plan as data; the specs (which hold environment values) are left out, their hash stands for them. */
export function swarmPlanJson(p: SwarmPlan, info?: { origin: string; notes: string[] }): object {
  return {
    fleet: p.fleet,
    target: p.target,
    ...(info ? { origin: info.origin, notes: info.notes } : {}),
    networks: p.networks.map(({ labels: _l, ...n }) => n),
    secrets: p.secrets.map(({ digest: _d, ...s }) => s),
    actions: p.actions.map(({ desired, dependsOn, ...a }) => ({ ...a, dependsOn: dependsOn.map((d) => ({ name: d.name, condition: d.condition })), ...(desired ? { hash: desired.hash } : {}) })),
  };
}

export function printSwarmPlan(p: SwarmPlan, notes: string[] = []): string {
  const rows = [
    ...p.networks.filter((n) => n.action !== 'keep').map((n) => ['  ' + n.action, 'network', n.name, n.reason]),
    ...p.secrets.filter((s) => s.action !== 'keep').map((s) => ['  ' + s.action, s.kind, s.name, s.external ? 'external' : '']),
    ...p.actions.map((a) => ['  ' + a.action, a.kind, a.name, a.reasons.join('; ')]),
  ];
  return `fleet ${p.fleet} (swarm)\n${printNotes(notes)}${table(rows)}\n`;
}

export async function swarmPlan(m: Manifest, o: { json?: boolean }, notes: string[]): Promise<void> {
  const p = await onSwarm(async (e) => {
    await checkSwarm(e);
    return planSwarm(m, await observeSwarm(e, m));
  });
  out(o.json ? `${JSON.stringify(swarmPlanJson(p, { origin: m.origin, notes }))}\n` : printSwarmPlan(p, notes));
}

export function swarmApplyJson(r: SwarmApplyResult, info?: { origin: string; notes: string[] }): object {
  return { fleet: r.plan.fleet, target: 'swarm', ...(info ? { origin: info.origin, notes: info.notes } : {}), converged: r.converged, durationMs: r.durationMs, actions: r.outcomes, plan: swarmPlanJson(r.plan) };
}

export async function swarmApply(m: Manifest, o: { json?: boolean; timeout?: number }, notes: string[], log: Log): Promise<void> {
  const r = await onSwarm((e) => applySwarm(m, e, { log, ...(o.timeout ? { waitTimeoutMs: o.timeout } : {}) }));
  if (o.json) out(`${JSON.stringify(swarmApplyJson(r, { origin: m.origin, notes }))}\n`);
  else {
    const rows = r.outcomes.map((x) => ['  ' + x.action, x.kind, x.name, x.status, x.error ?? x.reasons.join('; ')]);
    out(`fleet ${m.name} (swarm)\n${printNotes(notes)}${table(rows)}\n${r.converged ? 'converged' : 'did not converge'} in ${(r.durationMs / 1000).toFixed(1)}s\n`);
  }
  if (!r.converged) {
    const bad = [...r.outcomes.filter((x) => x.status !== 'ok').map((x) => `${x.name} ${x.status}`), ...r.plan.networks.filter((n) => n.action === 'blocked').map((n) => `network ${n.name} blocked`)];
    throw new NotConvergedError(`did not converge: ${bad.join(', ')}`);
  }
}

export async function swarmDown(m: Manifest, o: { volumes?: boolean }, log: Log): Promise<void> {
  const r = await onSwarm((e) => downSwarm(m, e, { volumes: o.volumes, log }));
  out(`removed ${r.removed.length} services${r.removedNetworks.length ? `, ${r.removedNetworks.length} networks` : ''}${r.removedVolumes.length ? ` and ${r.removedVolumes.length} volumes` : ''}${o.volumes ? '' : '; named volumes kept'}\n`);
  for (const w of r.warnings) process.stderr.write(`dom0: ${w}\n`);
}

export async function swarmStatus(m: Manifest, o: { json?: boolean }): Promise<void> {
  const rows = await onSwarm((e) => statusSwarm(m, e));
  if (o.json) {
    out(`${JSON.stringify({ fleet: m.name, target: 'swarm', entries: rows })}\n`);
    return;
  }
  out(`${table([['NAME', 'KIND', 'SERVICE', 'TASKS', 'UPDATE', 'SYNC'], ...rows.map((r) => [r.name, r.kind, r.service, r.tasks, r.update ?? '-', r.sync])])}\n`);
}
