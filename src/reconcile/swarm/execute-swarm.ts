// Carries out a Swarm plan: networks and secrets first, then each dependency level in turn. A
// service or job is created or updated only once each of its dependencies meets its condition
// (tasks running, healthy, or complete), and counts as done only once its own tasks do. A failed
// update is rolled back by Swarm itself (UpdateConfig.FailureAction=rollback, dom0's default):
// dom0 waits for the update's end and reports the rollback. Decides nothing: plan-swarm did.
import type { ServiceInfo, ServiceSpec, SwarmEngine } from '../../engine/swarm-engine.js';
import type { Log } from '../../log.js';
import type { Manifest } from '../../manifest/types.js';
import { LABEL } from '../labels.js';
import { observeSwarm } from './observe-swarm.js';
import { type SwarmAction, type SwarmPlan, planSwarm } from './plan-swarm.js';
import { conditionMet, isJob, jobReadiness, type Readiness, serviceReadiness, updateOutcome } from './wait-swarm.js';

export type SwarmOutcomeStatus = 'ok' | 'failed' | 'rolled-back' | 'blocked' | 'skipped';

export interface SwarmOutcome {
  name: string;
  kind: 'service' | 'job';
  action: SwarmAction['action'];
  status: SwarmOutcomeStatus;
  reasons: string[];
  error?: string;
  durationMs: number;
}

export interface SwarmApplyResult {
  plan: SwarmPlan;
  outcomes: SwarmOutcome[];
  converged: boolean;
  durationMs: number;
}

export interface SwarmApplyOptions {
  log?: Log;
  /** How long one wait (a dependency, a service's own tasks, an update) may take; default 5 min. */
  waitTimeoutMs?: number;
  pollMs?: number;
}

/**
 * Field groups (service-spec.ts) whose change Swarm applies without replacing tasks. Not `ports`
 * nor `endpoint_mode`: a changed EndpointSpec makes every task dirty, so Swarm rolls them (an
 * update with an UpdateStatus to wait for, as the swarm integration test sees).
 */
const NOT_ROLLING = new Set(['replicas', 'update_config', 'service_labels']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine is a Swarm manager, or an error saying what to do. */
export async function checkSwarm(engine: SwarmEngine): Promise<void> {
  const info = await engine.swarmInfo();
  if (info.state !== 'active') throw new SwarmUnavailableError('the engine is not part of a swarm: run `docker swarm init` on it (or point DOCKER_HOST at a manager) — see docs/swarm.md');
  if (!info.manager) throw new SwarmUnavailableError('the engine is a swarm worker: point DOCKER_HOST at a manager node');
}

export class SwarmUnavailableError extends Error {
  override readonly name = 'SwarmUnavailableError';
}

export async function applySwarm(m: Manifest, engine: SwarmEngine, opts: SwarmApplyOptions = {}): Promise<SwarmApplyResult> {
  const started = Date.now();
  await checkSwarm(engine);
  const plan = planSwarm(m, await observeSwarm(engine, m));
  const outcomes = await executeSwarm(m, plan, engine, opts);
  const converged = outcomes.every((o) => o.status === 'ok') && plan.networks.every((n) => n.action !== 'blocked');
  return { plan, outcomes, converged, durationMs: Date.now() - started };
}

export async function executeSwarm(m: Manifest, plan: SwarmPlan, engine: SwarmEngine, opts: SwarmApplyOptions = {}): Promise<SwarmOutcome[]> {
  const timeoutMs = opts.waitTimeoutMs ?? 5 * 60_000;
  const pollMs = opts.pollMs ?? 250;
  const log = opts.log;

  for (const n of plan.networks) {
    if (n.action !== 'create') continue;
    log?.info({ network: n.name }, 'creating overlay network');
    await engine.createNetwork({ name: n.name, driver: 'overlay', attachable: true, internal: n.internal, labels: n.labels });
  }
  // Ids by `kind:name` (a secret and a config may share a name).
  const secretIds = new Map<string, string>();
  for (const s of plan.secrets) {
    if (s.action === 'keep') secretIds.set(`${s.kind}:${s.name}`, s.id!);
    if (s.action !== 'create') continue;
    const value = m.fileContents?.get(s.digest!);
    if (value === undefined) throw new Error(`no value for ${s.kind} ${s.name}`);
    const req = { name: s.name, labels: { [LABEL.fleet]: m.name, [LABEL.origin]: m.origin }, data: value };
    log?.info({ [s.kind]: s.name }, `creating ${s.kind}`);
    secretIds.set(`${s.kind}:${s.name}`, await (s.kind === 'config' ? engine.createConfig(req) : engine.createSecret(req)));
  }

  const outcomes = new Map<string, SwarmOutcome>();
  const failed = new Set<string>();
  const byLevel = new Map<number, SwarmAction[]>();
  for (const a of plan.actions) if (a.action !== 'remove') (byLevel.get(a.level) ?? byLevel.set(a.level, []).get(a.level)!).push(a);

  /** Polls until `check` is ready or failed, or the wait times out. */
  const waitFor = async (what: string, check: () => Promise<Readiness>): Promise<Readiness> => {
    const deadline = Date.now() + timeoutMs;
    let last: Readiness = { state: 'waiting', why: what };
    while (Date.now() < deadline) {
      last = await check();
      if (last.state !== 'waiting') return last;
      await sleep(pollMs);
    }
    return { state: 'failed', why: `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what} (${last.state === 'waiting' ? last.why : ''})` };
  };
  const readiness = async (serviceName: string, pick: (s: ServiceInfo, t: Awaited<ReturnType<SwarmEngine['listTasks']>>) => Readiness): Promise<Readiness> => {
    const s = await engine.inspectService(serviceName);
    if (!s) return { state: 'failed', why: `service ${serviceName} is gone` };
    return pick(s, await engine.listTasks({ service: s.id }));
  };

  const one = async (a: SwarmAction): Promise<SwarmOutcome> => {
    const t0 = Date.now();
    // Task failures before this action are history (a small margin for the engine's clock).
    const since = t0 - 2000;
    const done = (status: SwarmOutcomeStatus, error?: string): SwarmOutcome => ({ name: a.name, kind: a.kind, action: a.action, status, reasons: a.reasons, ...(error ? { error } : {}), durationMs: Date.now() - t0 });
    if (a.action === 'blocked') return done('blocked', a.reasons.join('; '));
    const deadDep = a.dependsOn.find((d) => failed.has(d.name));
    if (deadDep) return done('skipped', `dependency ${deadDep.name} did not converge`);
    // Wait for every dependency as its condition says, even for a kept entry (so status is honest).
    for (const d of a.dependsOn) {
      const dep = plan.actions.find((x) => x.name === d.name);
      if (!dep) continue;
      const r = await waitFor(`${d.name} (${d.condition})`, () => readiness(dep.service, (s, t) => conditionMet(d.condition, s, t, since)));
      if (r.state === 'failed') return done('skipped', `dependency ${d.name}: ${r.why}`);
    }
    const desired = a.desired!;
    const missing = desired.secrets.find((s) => !secretIds.has(`${s.kind}:${s.name}`));
    if (missing) return done('failed', `external ${missing.kind} ${missing.name} does not exist on the swarm: create it (docker ${missing.kind} create) or drop \`external\``);
    const spec = withSecretIds(desired.spec, secretIds);
    if (a.action === 'create') {
      log?.info({ entry: a.name, service: a.service }, 'creating service');
      await engine.createService(spec);
    } else if (a.action === 'update') {
      const before = await engine.inspectService(a.service);
      log?.info({ entry: a.name, service: a.service, reasons: a.reasons }, 'updating service');
      await engine.updateService(before?.id ?? a.serviceId!, before?.version ?? a.version!, spec);
      // Only a changed task template starts a rolling update (with an UpdateStatus to wait for).
      const rolling = (a.changed ?? ['spec']).some((f) => !NOT_ROLLING.has(f));
      if (before && !isJob(before) && rolling) {
        const r = await waitFor(`the update of ${a.service}`, async () => {
          const s = await engine.inspectService(a.service);
          if (!s) return { state: 'failed', why: `service ${a.service} is gone` };
          const u = updateOutcome(s, before.updateStartedAt);
          if (u === 'rolled-back') return { state: 'failed', why: `rolled-back: the new tasks failed (${s.updateMessage ?? s.updateState}); the previous spec is running again` };
          if (u === 'paused') return { state: 'failed', why: `update paused: ${s.updateMessage ?? 'a task failed'}` };
          if (u === 'going' || u === 'none') return { state: 'waiting', why: s.updateState ?? 'updating' };
          return serviceReadiness(s, await engine.listTasks({ service: s.id }), since);
        });
        if (r.state === 'failed' && r.why.startsWith('rolled-back')) {
          // Report once the previous spec's tasks run again (or say that they do not).
          const back = await waitFor(`${a.service} after its rollback`, () => readiness(a.service, (s, t) => serviceReadiness(s, t, since)));
          return done('rolled-back', back.state === 'ready' ? r.why : `${r.why.replace(/; the previous spec is running again$/, '')}; and the previous spec is not running: ${back.state === 'failed' ? back.why : ''}`);
        }
        if (r.state === 'failed') return done('failed', r.why);
        return done('ok');
      }
    }
    const r = await waitFor(`${a.service}'s tasks`, () => readiness(a.service, (s, t) => (isJob(s) ? jobReadiness(s, t) : serviceReadiness(s, t, since))));
    return r.state === 'failed' ? done('failed', r.why) : done('ok');
  };

  for (const level of [...byLevel.keys()].sort((x, y) => x - y)) {
    const results = await Promise.all(byLevel.get(level)!.map((a) => one(a).catch((e: unknown) => ({ name: a.name, kind: a.kind, action: a.action, status: 'failed' as const, reasons: a.reasons, error: (e as Error).message, durationMs: 0 }))));
    for (const r of results) {
      outcomes.set(r.name, r);
      if (r.status !== 'ok') failed.add(r.name);
      log?.info({ entry: r.name, action: r.action, status: r.status, ...(r.error ? { error: r.error } : {}) }, 'service done');
    }
  }

  // Removals: dependents were removed from the manifest with them, so order among them is free.
  for (const a of plan.actions.filter((x) => x.action === 'remove')) {
    const t0 = Date.now();
    log?.info({ entry: a.name, service: a.service }, 'removing service');
    await engine.removeService(a.serviceId!);
    outcomes.set(`remove:${a.name}`, { name: a.name, kind: a.kind, action: 'remove', status: 'ok', reasons: a.reasons, durationMs: Date.now() - t0 });
  }
  for (const s of plan.secrets) {
    if (s.action !== 'remove' || s.external) continue;
    // Still in use by a service that did not converge: left for the next apply.
    await (s.kind === 'config' ? engine.removeConfig(s.id!) : engine.removeSecret(s.id!)).catch((e: unknown) => log?.warn({ [s.kind]: s.name, error: (e as Error).message }, `${s.kind} kept`));
  }
  return [...outcomes.values()];
}

/** The spec with each secret's and config's id (Swarm wants both the name and the id); ids by `kind:name`. */
export function withSecretIds(spec: ServiceSpec, ids: ReadonlyMap<string, string>): ServiceSpec {
  const task = spec.TaskTemplate as { ContainerSpec: { Secrets?: Array<{ SecretName: string }>; Configs?: Array<{ ConfigName: string }> } };
  const { Secrets: secrets, Configs: configs } = task.ContainerSpec;
  if (!secrets?.length && !configs?.length) return spec;
  const cs = {
    ...task.ContainerSpec,
    ...(secrets?.length ? { Secrets: secrets.map((s) => ({ ...s, SecretID: ids.get(`secret:${s.SecretName}`) ?? '' })) } : {}),
    ...(configs?.length ? { Configs: configs.map((c) => ({ ...c, ConfigID: ids.get(`config:${c.ConfigName}`) ?? '' })) } : {}),
  };
  return { ...spec, TaskTemplate: { ...task, ContainerSpec: cs } };
}
