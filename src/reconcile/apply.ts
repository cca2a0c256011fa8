// Apply: runs a plan against the engine. Volume containers first, then the DAG, independent
// entries in parallel (bounded), each only when its dependencies meet their conditions.
import { backoffDelay, sleep } from '../backoff.js';
import { limiter } from '../concurrency.js';
import { serviceRequest, volumeContainerRequest } from '../engine/container-config.js';
import type { Engine } from '../engine/engine.js';
import { silentLogger, type Log } from '../log.js';
import type { ContainerSpec, Dependency, EntrySpec, Manifest, RestartPolicy } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { LABEL, replacementName } from './labels.js';
import { observe, type Observed } from './observe.js';
import { type Action, type ActionType, plan, type Plan } from './plan.js';
import { emptyPullOutcome, pullImages, type PullImagesOptions, type PullOutcome } from './pull.js';
import { Readiness, WaitError } from './readiness.js';

export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
/** How often a job with `restart: on-failure` (no count) is run again within one apply. */
export const JOB_DEFAULT_RETRIES = 3;
/** Between a job's on-failure runs: 1 s, doubling, at most 30 s. */
const JOB_RETRY_BACKOFF = { baseMs: 1000, capMs: 30_000 } as const;

export interface ApplyOptions {
  concurrency?: number;
  adopt?: boolean;
  /** See PlanOptions.acceptDataLoss. */
  acceptDataLoss?: boolean;
  waitTimeoutMs?: number;
  log?: Log;
  /** Skip pulling (images must be present). */
  noPull?: boolean;
  /** See PlanOptions.startStopped. */
  startStopped?: boolean;
  /** Container IDs never to act on (dom0's own). */
  protect?: ReadonlySet<string>;
  /** Distinct images pulled at once (CLI --pull-concurrency; default $DOM0_PULL_CONCURRENCY or 4). */
  pullConcurrency?: number;
  /** Pull context and tuning: state dir for pull times, stall timeout, retries (see PullImagesOptions). */
  pull?: PullImagesOptions;
  /** Tests: how to wait between a job's on-failure runs (default: really wait). */
  sleep?: (ms: number) => Promise<void>;
}

export type EntryStatus = 'ok' | 'failed' | 'skipped' | 'blocked';

export interface EntryOutcome {
  name: string;
  kind: Action['kind'];
  action: ActionType;
  status: EntryStatus;
  reasons: string[];
  error?: string;
  durationMs: number;
  containerId?: string;
}

export interface ApplyResult {
  plan: Plan;
  outcomes: EntryOutcome[];
  converged: boolean;
  durationMs: number;
  /** What the pulls did: images that fell back to a local copy, failed, were pulled. */
  pulls: PullOutcome;
}

export function formatRestart(r: RestartPolicy): string {
  return r.name === 'on-failure' && r.maxRetries !== undefined ? `on-failure:${r.maxRetries}` : r.name;
}

export async function apply(manifest: Manifest, engine: Engine, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const started = Date.now();
  const log = opts.log ?? silentLogger();
  log.info({ event: 'apply-started', fleet: manifest.name }, `apply ${manifest.name}`);

  await ensureNetworksAndVolumes(manifest, engine, log);
  const pulls = opts.noPull ? emptyPullOutcome() : await pullImages(manifest, engine, log, { ...opts.pull, concurrency: opts.pullConcurrency ?? opts.pull?.concurrency });
  const resolved = new Map(pulls.images.flatMap((i) => (i.image ? i.refs.map((r) => [r, i.image!] as const) : [])));
  const observed = await observe(engine, manifest, resolved);
  const thePlan = plan(manifest, observed, { adopt: opts.adopt, acceptDataLoss: opts.acceptDataLoss, startStopped: opts.startStopped, protect: opts.protect });
  const readiness = new Readiness(engine, manifest.name);
  try {
    const run = new Runner(manifest, engine, observed, thePlan, readiness, log, opts, pulls.failed);
    const outcomes = await run.all();
    const converged = outcomes.every((o) => o.status === 'ok');
    const counts: Record<string, number> = {};
    for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
    const durationMs = Date.now() - started;
    log.info({ event: 'apply-finished', fleet: manifest.name, converged, counts, durationMs }, `apply ${converged ? 'converged' : 'did not converge'}`);
    return { plan: thePlan, outcomes, converged, durationMs, pulls };
  } finally {
    readiness.close();
  }
}

async function ensureNetworksAndVolumes(manifest: Manifest, engine: Engine, log: Log): Promise<void> {
  const used = new Set<string>();
  for (const e of [...manifest.jobs, ...manifest.services]) {
    if (!e.networkMode) for (const k of Object.keys(e.networks)) used.add(k);
  }
  const wanted = Object.values(manifest.networks).filter((n) => used.has(n.key) && !n.external);
  if (wanted.length > 0) {
    const existing = new Set((await engine.listNetworks()).map((n) => n.name));
    for (const n of wanted) {
      if (existing.has(n.name)) continue;
      await engine.createNetwork({
        name: n.name,
        driver: n.driver,
        driverOpts: n.driverOpts,
        labels: { ...n.labels, [LABEL.fleet]: manifest.name, [LABEL.origin]: manifest.origin, [LABEL.networkKey]: n.key },
        internal: n.internal,
        attachable: n.attachable,
        enableIpv6: n.enableIpv6,
        ipam: n.ipam,
      });
      log.info({ event: 'network-created', network: n.name }, `network ${n.name} created`);
    }
  }
  for (const v of Object.values(manifest.volumes)) {
    if (v.external || (await engine.inspectVolume(v.name))) continue;
    await engine.createVolume({
      name: v.name,
      driver: v.driver,
      driverOpts: v.driverOpts,
      labels: { ...v.labels, [LABEL.fleet]: manifest.name, [LABEL.origin]: manifest.origin, [LABEL.volumeKey]: v.key },
    });
    log.info({ event: 'volume-created', volume: v.name }, `volume ${v.name} created`);
  }
}

class Runner {
  private readonly specs: Map<string, EntrySpec>;
  private readonly actions: Map<string, Action>;
  private readonly tasks = new Map<string, Promise<EntryOutcome>>();
  private readonly limit: <T>(t: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly manifest: Manifest,
    private readonly engine: Engine,
    private readonly observed: Observed,
    private readonly thePlan: Plan,
    private readonly readiness: Readiness,
    private readonly log: Log,
    private readonly opts: ApplyOptions,
    private readonly pullFailures: Map<string, string>,
  ) {
    this.specs = new Map(entries(manifest).map((e) => [e.name, e]));
    this.actions = new Map(thePlan.actions.filter((a) => !a.orphan).map((a) => [a.name, a]));
    this.limit = limiter(Math.max(1, opts.concurrency ?? 8));
  }

  async all(): Promise<EntryOutcome[]> {
    const orphans = this.thePlan.actions.filter((a) => a.orphan);
    const orphanOutcomes = await Promise.all(
      orphans.map((a) =>
        a.action === 'blocked' ? this.outcome(a, 'blocked', 0, a.reasons.join('; ')) : this.limit(() => this.timed(a, () => this.removeOrphan(a))),
      ),
    );
    const volumes = this.manifest.volumeContainers.map((v) => this.taskOf(v.name));
    await Promise.all(volumes);
    for (const a of this.actions.values()) this.taskOf(a.name);
    const outcomes = await Promise.all([...this.actions.keys()].map((n) => this.tasks.get(n)!));
    return [...outcomes, ...orphanOutcomes];
  }

  private taskOf(name: string): Promise<EntryOutcome> {
    let t = this.tasks.get(name);
    if (!t) {
      t = this.runEntry(name);
      this.tasks.set(name, t);
    }
    return t;
  }

  private async runEntry(name: string): Promise<EntryOutcome> {
    const a = this.actions.get(name)!;
    const spec = this.specs.get(name)!;
    const deps = spec.kind === 'volume' ? [] : spec.dependsOn;

    if (a.action === 'blocked') {
      // A replacement dom0 left beside a blocked container is still dom0's to clean up.
      for (const id of a.cleanupIds) await this.engine.removeContainer(id, { force: true, volumes: false }).catch(() => undefined);
      return this.outcome(a, 'blocked', 0, a.reasons.join('; '));
    }

    // What stays as it is needs nothing from its dependencies: a no-op apply waits for nothing.
    if (a.action === 'keep' || a.action === 'done') return this.timed(a, () => this.perform(a, spec as EntrySpec));

    const depOutcomes = await Promise.all(deps.map(async (d) => [d, await this.taskOf(d.name)] as const));
    for (const [d, o] of depOutcomes) {
      if (d.required && (o.status === 'failed' || o.status === 'skipped' || (o.status === 'blocked' && !o.containerId))) {
        return this.skip(a, `dependency ${d.name} ${o.status === 'blocked' ? 'is blocked' : o.status}`);
      }
    }
    const pullError = this.pullFailures.get(spec.image);
    if (pullError) {
      return this.outcome(a, 'failed', 0, pullError);
    }
    const waited = await Promise.allSettled(deps.map((d) => this.waitFor(d)));
    for (const [i, r] of waited.entries()) {
      const d = deps[i]!;
      if (r.status === 'rejected' && d.required) return this.skip(a, `dependency ${d.name}: ${(r.reason as Error).message}`);
    }
    return this.timed(a, () => this.perform(a, spec as EntrySpec));
  }

  private async waitFor(d: Dependency): Promise<void> {
    const spec = this.specs.get(d.name);
    if (!spec || spec.kind === 'volume') return;
    await this.readiness.wait({
      entry: d.name,
      kind: spec.kind,
      containerName: spec.containerName,
      condition: d.condition,
      timeoutMs: d.timeoutMs ?? this.opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
    });
  }

  private skip(a: Action, why: string): EntryOutcome {
    this.log.warn({ event: 'action', entry: a.name, action: a.action, status: 'skipped', reason: why }, `${a.name}: skipped (${why})`);
    return { name: a.name, kind: a.kind, action: a.action, status: 'skipped', reasons: a.reasons, error: why, durationMs: 0 };
  }

  private outcome(a: Action, status: EntryStatus, durationMs: number, error?: string): EntryOutcome {
    const level = status === 'ok' ? 'info' : 'error';
    this.log[level](
      { event: 'action', entry: a.name, kind: a.kind, action: a.action, status, durationMs, reasons: a.reasons, error },
      `${a.name}: ${a.action}${status === 'ok' ? '' : ` ${status}: ${error ?? ''}`}`,
    );
    return { name: a.name, kind: a.kind, action: a.action, status, reasons: a.reasons, error, durationMs, containerId: a.containerId };
  }

  private async timed(a: Action, fn: () => Promise<void>): Promise<EntryOutcome> {
    const t0 = Date.now();
    try {
      await fn();
      return this.outcome(a, 'ok', Date.now() - t0);
    } catch (e) {
      return this.outcome(a, 'failed', Date.now() - t0, (e as Error).message);
    }
  }

  private async removeOrphan(a: Action): Promise<void> {
    if (a.action !== 'remove' || !a.containerId) return;
    await this.engine.stopContainer(a.containerId);
    await this.engine.removeContainer(a.containerId, { force: true, volumes: false });
  }

  /** Engine work under the concurrency limit; waiting for a job to finish happens outside it. */
  private async perform(a: Action, spec: EntrySpec): Promise<void> {
    await this.limit(async () => {
      for (const id of a.cleanupIds) await this.engine.removeContainer(id, { force: true, volumes: false });
      if (a.finishReplacementId) {
        await this.engine.renameContainer(a.finishReplacementId, a.containerName);
        a.containerId = a.finishReplacementId;
      }
      switch (a.action) {
        case 'keep':
        case 'done':
          return;
        case 'start':
          await this.engine.startContainer(a.containerId!);
          return;
        case 'restart':
          await this.engine.restartContainer(a.containerId!, stopSeconds(spec));
          return;
        case 'create':
        case 'recreate':
        case 'run':
          if (a.containerId && a.replace) a.containerId = await this.replace(a, spec);
          else if (!a.containerId) a.containerId = await this.create(a, spec, a.containerName);
          if (spec.kind !== 'volume') await this.engine.startContainer(a.containerId);
          return;
        default:
          throw new Error(`unexpected action ${a.action} for ${a.name}`);
      }
    });
    const stillRunning = a.action === 'keep' && this.observed.containers.some((c) => c.id === a.containerId && c.state === 'running');
    if (spec.kind === 'job' && (a.action === 'run' || stillRunning)) {
      await this.awaitJob(a, spec);
    }
  }

  /** Waits for a job to exit 0; `restart: on-failure[:N]` runs it again (N, or 3, times) with backoff. */
  private async awaitJob(a: Action, spec: ContainerSpec): Promise<void> {
    const retries = spec.restart.name === 'on-failure' ? (spec.restart.maxRetries ?? JOB_DEFAULT_RETRIES) : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.readiness.wait({
          entry: a.name,
          kind: 'job',
          containerName: a.containerName,
          condition: 'service_completed_successfully',
          timeoutMs: this.jobTimeout(a.name),
        });
        return;
      } catch (e) {
        if (attempt >= retries || !(e instanceof WaitError && e.reason === 'exited')) throw e;
        const delayMs = backoffDelay(attempt + 1, JOB_RETRY_BACKOFF);
        this.log.warn({ event: 'job-retry', entry: a.name, attempt: attempt + 1, of: retries, delayMs }, `${a.name} failed; running it again (on-failure)`);
        await (this.opts.sleep ?? sleep)(delayMs);
        await this.limit(() => this.engine.startContainer(a.containerId!));
      }
    }
  }

  private jobTimeout(name: string): number {
    let t = this.opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    for (const s of [...this.manifest.jobs, ...this.manifest.services]) {
      for (const d of s.dependsOn) if (d.name === name && d.timeoutMs !== undefined) t = Math.max(t, d.timeoutMs);
    }
    return t;
  }

  private labels(a: Action, spec: EntrySpec): Record<string, string> {
    const l: Record<string, string> = {
      [LABEL.fleet]: this.manifest.name,
      [LABEL.kind]: spec.kind,
      [LABEL.name]: spec.name,
      [LABEL.hash]: a.hash!,
      [LABEL.spec]: JSON.stringify(a.spec),
      [LABEL.origin]: this.manifest.origin,
      [LABEL.containerName]: a.containerName,
    };
    if (spec.kind !== 'volume') {
      l[LABEL.restart] = formatRestart(spec.restart);
      if (spec.dependsOn.length) l[LABEL.dependsOn] = spec.dependsOn.map((d) => d.name).join(',');
    }
    return l;
  }

  private async create(a: Action, spec: EntrySpec, name: string): Promise<string> {
    for (const b of a.backing ?? []) {
      if (!b.create) continue;
      await this.engine.createVolume({ name: b.name, labels: b.labels });
      this.log.info({ event: 'volume-created', volume: b.name, entry: a.name, path: b.path }, `volume ${b.name} created for ${a.name}:${b.path}`);
    }
    const keepVolumes = spec.kind === 'volume' ? (a.keepVolumes ?? []) : (a.backing ?? []).map((b) => ({ name: b.name, destination: b.path }));
    const ctx = { name, labels: this.labels(a, spec), keepVolumes };
    const req = spec.kind === 'volume' ? volumeContainerRequest(spec, ctx) : serviceRequest(this.manifest, spec, ctx);
    return this.engine.createContainer(req);
  }

  /**
   * Replaces a container so that a crash at any step leaves a state the next plan finishes:
   * create the replacement under a temporary name, stop the old one, carry its volumes' data into
   * the replacement's backing volumes, remove it (keeping its volumes), rename the replacement
   * into place.
   */
  private async replace(a: Action, spec: EntrySpec): Promise<string> {
    const old = await this.engine.inspectContainer(a.containerId!);
    if (!old) return this.create(a, spec, a.containerName);
    const id = await this.create(a, spec, replacementName(a.containerName));
    if (old.state === 'running' || old.state === 'restarting' || old.state === 'paused') {
      await this.engine.stopContainer(old.id, spec.kind === 'volume' ? undefined : stopSeconds(spec));
    }
    try {
      for (const b of a.backing ?? []) {
        if (!b.carryFrom) continue;
        await this.engine.copyPath(old.id, b.path, id);
        this.log.info({ event: 'volume-carried', entry: a.name, path: b.path, from: b.carryFrom, to: b.name }, `${a.name}:${b.path} carried into ${b.name}`);
      }
    } catch (e) {
      // The old container and its volume are untouched: put it back as it was; the next apply tries again.
      await this.engine.removeContainer(id, { force: true, volumes: false }).catch(() => undefined);
      if (old.state === 'running' || old.state === 'restarting') await this.engine.startContainer(old.id).catch(() => undefined);
      throw e;
    }
    await this.engine.removeContainer(old.id, { force: true, volumes: false });
    await this.engine.renameContainer(id, a.containerName);
    return id;
  }
}

function stopSeconds(spec: EntrySpec): number | undefined {
  const ms = (spec as ContainerSpec).stopGracePeriodMs;
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}
