// Execute: carries out a plan, deciding nothing the plan did not. Networks and named volumes
// first, orphans, then volume containers, then the DAG, independent entries in parallel
// (bounded), each only when its dependencies meet their conditions. What happened is returned
// beside the plan (outcomes, the containers each entry ended up with); the plan is never written.
import { backoffDelay, sleep } from '../backoff.js';
import { limiter } from '../concurrency.js';
import { serviceRequest, volumeContainerRequest } from '../engine/container-config.js';
import type { Engine } from '../engine/engine.js';
import { isEngineError } from '../engine/errors.js';
import { silentLogger, type Log } from '../log.js';
import type { ContainerSpec, EntrySpec, FileCopy, Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { runHooks, runPreStop } from './hooks.js';
import { replacementName } from './labels.js';
import type { Action, ActionType, Plan } from './plan.js';
import { Readiness, WaitError } from './readiness.js';

/** Between a job's on-failure runs: 1 s, doubling, at most 30 s. */
const JOB_RETRY_BACKOFF = { baseMs: 1000, capMs: 30_000 } as const;

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

export interface ExecuteOptions {
  /** Entries worked on at once (default 8). */
  concurrency?: number;
  log?: Log;
  /** Images that could not be had, by reference: entries using them fail. */
  pullFailures?: ReadonlyMap<string, string>;
  /** Tests: how to wait between a job's on-failure runs (default: really wait). */
  sleep?: (ms: number) => Promise<void>;
}

export async function execute(manifest: Manifest, plan: Plan, engine: Engine, opts: ExecuteOptions = {}): Promise<EntryOutcome[]> {
  const log = opts.log ?? silentLogger();
  await createResources(plan, engine, log);
  const readiness = new Readiness(engine, plan.fleet);
  try {
    return await new Executor(manifest, plan, engine, readiness, log, opts).all();
  } finally {
    readiness.close();
  }
}

async function createResources(plan: Plan, engine: Engine, log: Log): Promise<void> {
  for (const n of plan.networks) {
    if (!n.create) continue;
    await engine.createNetwork(n.create);
    log.info({ event: 'network-created', network: n.name }, `network ${n.name} created`);
  }
  for (const v of plan.volumes) {
    if (!v.create) continue;
    await engine.createVolume(v.create);
    log.info({ event: 'volume-created', volume: v.name }, `volume ${v.name} created`);
  }
}

class Executor {
  private readonly specs: Map<string, EntrySpec>;
  private readonly actions: Map<string, Action>;
  private readonly tasks = new Map<string, Promise<EntryOutcome>>();
  /** The container each entry has now: the plan's, until execute renames or creates one. */
  private readonly ids = new Map<string, string>();
  private readonly limit: <T>(t: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly manifest: Manifest,
    private readonly plan: Plan,
    private readonly engine: Engine,
    private readonly readiness: Readiness,
    private readonly log: Log,
    private readonly opts: ExecuteOptions,
  ) {
    this.specs = new Map(entries(manifest).map((e) => [e.name, e]));
    this.actions = new Map(plan.actions.filter((a) => !a.orphan).map((a) => [a.name, a]));
    for (const a of this.actions.values()) if (a.containerId) this.ids.set(a.name, a.containerId);
    this.limit = limiter(Math.max(1, opts.concurrency ?? 8));
  }

  async all(): Promise<EntryOutcome[]> {
    const orphans = this.plan.actions.filter((a) => a.orphan);
    const orphanOutcomes = await Promise.all(
      orphans.map((a) =>
        a.action === 'blocked'
          ? this.outcome(a, 'blocked', 0, a.reasons.join('; '), a.containerId)
          : this.limit(() => this.timed(a, () => this.removeOrphan(a), a.containerId)),
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

    if (a.action === 'blocked') {
      // A replacement dom0 left beside a blocked container is still dom0's to clean up.
      for (const id of a.cleanupIds) await this.engine.removeContainer(id, { force: true, volumes: false }).catch(() => undefined);
      return this.outcome(a, 'blocked', 0, a.reasons.join('; '), a.containerId);
    }

    // What stays as it is needs nothing from its dependencies: a no-op apply waits for nothing.
    if (a.action === 'keep' || a.action === 'done') return this.timed(a, () => this.perform(a, spec));

    const depOutcomes = await Promise.all(a.dependsOn.map(async (d) => [d, await this.taskOf(d.name)] as const));
    for (const [d, o] of depOutcomes) {
      if (d.required && (o.status === 'failed' || o.status === 'skipped' || (o.status === 'blocked' && !o.containerId))) {
        return this.skip(a, `dependency ${d.name} ${o.status === 'blocked' ? 'is blocked' : o.status}`);
      }
    }
    const pullError = a.image === undefined ? undefined : this.opts.pullFailures?.get(a.image);
    if (pullError) return this.outcome(a, 'failed', 0, pullError);
    const waited = await Promise.allSettled(a.waits.map((w) => this.readiness.wait(w)));
    for (const [i, r] of waited.entries()) {
      const w = a.waits[i]!;
      if (r.status === 'rejected' && w.required) return this.skip(a, `dependency ${w.entry}: ${(r.reason as Error).message}`);
    }
    return this.timed(a, () => this.perform(a, spec));
  }

  private skip(a: Action, why: string): EntryOutcome {
    this.log.warn({ event: 'action', entry: a.name, action: a.action, status: 'skipped', reason: why }, `${a.name}: skipped (${why})`);
    return { name: a.name, kind: a.kind, action: a.action, status: 'skipped', reasons: [...a.reasons], error: why, durationMs: 0 };
  }

  private outcome(a: Action, status: EntryStatus, durationMs: number, error?: string, containerId = this.ids.get(a.name)): EntryOutcome {
    const level = status === 'ok' ? 'info' : 'error';
    this.log[level](
      { event: 'action', entry: a.name, kind: a.kind, action: a.action, status, durationMs, reasons: a.reasons, error },
      `${a.name}: ${a.action}${status === 'ok' ? '' : ` ${status}: ${error ?? ''}`}`,
    );
    return { name: a.name, kind: a.kind, action: a.action, status, reasons: [...a.reasons], error, durationMs, containerId };
  }

  private async timed(a: Action, fn: () => Promise<void>, containerId?: string): Promise<EntryOutcome> {
    const t0 = Date.now();
    const id = () => containerId ?? this.ids.get(a.name);
    try {
      await fn();
      return this.outcome(a, 'ok', Date.now() - t0, undefined, id());
    } catch (e) {
      return this.outcome(a, 'failed', Date.now() - t0, (e as Error).message, id());
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
        this.ids.set(a.name, a.finishReplacementId);
      }
      const current = this.ids.get(a.name);
      switch (a.action) {
        case 'keep':
        case 'done':
          return;
        case 'start':
          await this.startReported(a, spec, current!);
          await this.postStart(a, spec, current!);
          return;
        case 'restart':
          if (a.preStop) await runPreStop(this.engine, current!, spec, this.log);
          await this.engine.restartContainer(current!, a.stopSeconds);
          await this.postStart(a, spec, current!);
          return;
        case 'create':
        case 'recreate':
        case 'run': {
          let id = current;
          if (current && a.replace) id = await this.replace(a, spec, current);
          else if (!current) id = await this.create(a, spec, a.containerName);
          this.ids.set(a.name, id!);
          if (spec.kind !== 'volume') await this.startReported(a, spec, id!);
          await this.postStart(a, spec, id!);
          return;
        }
        default:
          throw new Error(`unexpected action ${a.action} for ${a.name}`);
      }
    });
    if (a.awaitJob) await this.awaitJob(a, a.awaitJob);
  }

  /** Starts a container and tells the readiness waits, so waiting on it needs no inspect. */
  private async startReported(a: Action, spec: EntrySpec, id: string): Promise<void> {
    const token = await this.readiness.beginStart(a.containerName, id);
    try {
      await this.engine.startContainer(id);
    } catch (err) {
      this.readiness.startFailed(token);
      throw err;
    }
    this.readiness.started(token, declaredHealthcheck(spec));
  }

  /** post_start hooks, when the plan says the step runs them: one that fails fails the step (as in Compose). */
  private async postStart(a: Action, spec: EntrySpec, id: string): Promise<void> {
    if (a.postStart && spec.kind === 'service' && spec.postStart) await runHooks(this.engine, id, a.name, 'post_start', spec.postStart, this.log);
  }

  /** Waits for a job to exit 0; `restart: on-failure[:N]` runs it again (N, or 3, times) with backoff. */
  private async awaitJob(a: Action, { timeoutMs, retries }: { timeoutMs: number; retries: number }): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.readiness.wait({ entry: a.name, kind: 'job', containerName: a.containerName, condition: 'service_completed_successfully', timeoutMs });
        return;
      } catch (e) {
        if (attempt >= retries || !(e instanceof WaitError && e.reason === 'exited')) throw e;
        const delayMs = backoffDelay(attempt + 1, JOB_RETRY_BACKOFF);
        this.log.warn({ event: 'job-retry', entry: a.name, attempt: attempt + 1, of: retries, delayMs }, `${a.name} failed; running it again (on-failure)`);
        await (this.opts.sleep ?? sleep)(delayMs);
        await this.limit(() => this.engine.startContainer(this.ids.get(a.name)!));
      }
    }
  }

  private async create(a: Action, spec: EntrySpec, name: string): Promise<string> {
    for (const b of a.backing ?? []) {
      if (!b.create) continue;
      await this.engine.createVolume({ name: b.name, driver: b.driver, labels: b.labels });
      this.log.info({ event: 'volume-created', volume: b.name, entry: a.name, path: b.path }, `volume ${b.name} created for ${a.name}:${b.path}`);
    }
    const keepVolumes = spec.kind === 'volume' ? (a.keepVolumes ?? []) : (a.backing ?? []).map((b) => ({ name: b.name, destination: b.path }));
    const ctx = { name, labels: { ...a.labels! }, keepVolumes: keepVolumes.map((k) => ({ ...k })) };
    const req = spec.kind === 'volume' ? volumeContainerRequest(spec, ctx) : serviceRequest(this.manifest, spec as ContainerSpec, ctx);
    const id = await this.engine.createContainer(req);
    if (spec.kind !== 'volume' && spec.fileCopies?.length) {
      try {
        await this.writeFiles(spec.fileCopies, id);
      } catch (e) {
        // Never leave a container that would start without its secrets.
        await this.engine.removeContainer(id, { force: true, volumes: false }).catch(() => undefined);
        throw e;
      }
    }
    return id;
  }

  /** Secrets and configs from `environment:` or `content:`, written in before the first start. */
  private async writeFiles(copies: readonly FileCopy[], id: string): Promise<void> {
    for (const f of copies) {
      const content = this.manifest.fileContents?.get(f.digest);
      // Bytes are a Swarm's (a `file:` one is bind-mounted on one host): never here.
      if (typeof content !== 'string') throw new Error(`no value for ${f.target} in the manifest`);
      await this.engine.putFile(id, { path: f.target, content, uid: f.uid, gid: f.gid, mode: f.mode });
    }
  }

  /**
   * Replaces a container so that a crash at any step leaves a state the next plan finishes:
   * create the replacement under a temporary name, stop the old one (if the plan saw it
   * running), carry its volumes' data into the replacement's backing volumes, remove it
   * (keeping its volumes), rename the replacement into place. An old container that is already
   * stopped or gone is no error.
   */
  private async replace(a: Action, spec: EntrySpec, oldId: string): Promise<string> {
    const id = await this.create(a, spec, replacementName(a.containerName));
    if (a.preStop) await runPreStop(this.engine, oldId, spec, this.log);
    if (a.stopOld) await this.engine.stopContainer(oldId, a.stopSeconds).catch(ignoreGone);
    try {
      for (const b of a.backing ?? []) {
        if (!b.carryFrom) continue;
        await this.engine.copyPath(oldId, b.path, id);
        this.log.info({ event: 'volume-carried', entry: a.name, path: b.path, from: b.carryFrom, to: b.name }, `${a.name}:${b.path} carried into ${b.name}`);
      }
    } catch (e) {
      // The old container and its volume are untouched: put it back as it was; the next apply tries again.
      await this.engine.removeContainer(id, { force: true, volumes: false }).catch(() => undefined);
      if (a.restartOld) await this.engine.startContainer(oldId).catch(() => undefined);
      throw e;
    }
    await this.engine.removeContainer(oldId, { force: true, volumes: false }).catch(ignoreGone);
    await this.engine.renameContainer(id, a.containerName);
    return id;
  }
}

/** Whether the container has a healthcheck, as far as the manifest says (undefined: the image decides). */
function declaredHealthcheck(spec: EntrySpec): boolean | undefined {
  const h = spec.kind === 'volume' ? undefined : spec.healthcheck;
  if (!h || h.test.length === 0) return undefined;
  return h.test[0] !== 'NONE';
}

function ignoreGone(e: unknown): void {
  if (!isEngineError(e, 'not-found')) throw e;
}
