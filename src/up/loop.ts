// `dom0 up`: apply the manifest, then own the fleet for as long as the host runs — re-apply on
// edits and SIGHUP, supervise restarts, repair drift periodically, survive engine restarts.
import { backoffDelay, pause } from '../backoff.js';
import type { Engine, EventStream } from '../engine/engine.js';
import { isEngineError } from '../engine/errors.js';
import type { Log } from '../log.js';
import { formatDiagnostic, readManifestFile } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import { apply } from '../reconcile/apply.js';
import { LABEL } from '../reconcile/labels.js';
import { type HostLoadResult, ManifestLoader } from './host-view.js';
import { currentHash, ManifestWatch } from './manifest-watch.js';
import { selfContainerId } from './self-container.js';
import { type StateDir, sha256 } from './state-dir.js';
import { Supervisor } from './supervisor.js';
import { PullRetry } from './pull-retry.js';
import { JobScheduler } from './scheduler.js';
import { missedRun } from '../manifest/schedule.js';
import { judgeReadiness, type Failure, watchedServices } from './rollback.js';
import { observeServices, ReadinessWatch, servicesHere, shortHash } from './rollback-watch.js';

export interface UpOptions {
  file: string;
  fleet?: string; // --fleet / $DOM0_FLEET
  engine: Engine;
  log: Log;
  state: StateDir;
  reconcileIntervalMs?: number;
  concurrency?: number;
  waitTimeoutMs?: number;
  debounceMs?: number;
  pollMs?: number;
  pullConcurrency?: number;
  /** Readiness window after a changed manifest applies; 0 disables rollback (src/up/rollback.ts). */
  rollbackAfterMs?: number;
  /** false when something else says when the manifest changed (the --source syncer reloads the loop itself). */
  watchManifest?: boolean;
}

type Mode = 'full' | 'repair';

const HEARTBEAT_MS = 5000;
/** Waiting for the engine and reconnecting to its events: 0.5 s doubling to 30 s. */
const RECONNECT = { baseMs: 500, capMs: 30_000 } as const;
/**
 * Waiting for the engine to answer: three quick retries (50, 100, 200 ms, logged at debug), then
 * RECONNECT's 0.5 s doubling. At boot dom0 often starts just before the engine's socket answers;
 * a first retry only after 0.5 s would add up to that much to every reboot.
 */
const ENGINE_QUICK = { baseMs: 50, capMs: 200, retries: 3 } as const;

export class UpLoop {
  private manifest: Manifest | undefined;
  private appliedHash: string | undefined;
  private running: Promise<void> | undefined;
  private pending: { mode: Mode; why: string } | undefined;
  private stopping = false;
  private stream: EventStream | undefined;
  /** Listeners attached to event streams not yet ended (the leak probe reads it). */
  private eventListeners = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private repairSoon: NodeJS.Timeout | undefined;
  private readonly protect: Set<string>;
  private readonly supervisor: Supervisor;
  private readonly pullRetry: PullRetry;
  private readonly scheduler: JobScheduler;
  /** Scheduled jobs whose time came, with why: the next apply runs them again. */
  private readonly dueJobs = new Map<string, string>();
  private watch: ManifestWatch | undefined;
  /** The readiness window of the last changed manifest applied, while it runs. */
  private readiness: ReadinessWatch | undefined;
  private readinessTimer: NodeJS.Timeout | undefined;
  /** Set while last-healthy is re-applied instead of a bad manifest (no window, the rollback stays in force). */
  private applyingRollback = false;
  private readonly loader: ManifestLoader;
  /** Aborted by stop(): ends any backoff wait at once. */
  private readonly abort = new AbortController();
  private stopped!: () => void;
  readonly done = new Promise<void>((r) => (this.stopped = r));

  constructor(private readonly o: UpOptions) {
    const self = selfContainerId();
    this.protect = new Set(self ? [self] : []);
    this.loader = new ManifestLoader(o.engine, { fleet: o.fleet, selfId: self });
    this.supervisor = new Supervisor(o.engine, () => this.manifest, o.log, {
      protect: this.protect,
      onDestroyed: (name) => this.scheduleRepair(`${name} was removed outside dom0`),
    });
    this.scheduler = new JobScheduler((job, at, s) => this.runScheduled(job, `scheduled run (${s.cron}) of ${at.toISOString()}`), o.log);
    this.pullRetry = new PullRetry({
      engine: o.engine,
      log: o.log,
      manifest: () => this.manifest,
      pull: { stateDir: o.state.dir },
      onNewImage: (refs) => this.request('full', `new image for ${refs.join(', ')}`),
    });
  }

  async start(): Promise<void> {
    const { log } = this.o;
    log.info({ event: 'up-started', manifest: this.o.file, self: [...this.protect][0] }, 'dom0 up');
    this.beat();
    this.timers.push(setInterval(() => this.beat(), HEARTBEAT_MS));
    await this.waitForEngine();
    if (this.stopping) return;
    this.running = this.bootApply().finally(() => (this.running = undefined));
    await this.running;
    if (this.stopping) return;
    const queued = this.pending;
    this.pending = undefined;
    if (queued) this.request(queued.mode, queued.why);
    if (this.o.watchManifest !== false) {
      this.watch = new ManifestWatch(this.o.file, () => this.request('full', 'manifest changed'), {
        debounceMs: this.o.debounceMs,
        pollMs: this.o.pollMs,
      });
      this.watch.start(this.appliedHash ?? currentHash(this.o.file));
    }
    this.timers.push(setInterval(() => this.request('repair', 'periodic reconcile'), this.o.reconcileIntervalMs ?? 5 * 60_000));
    void this.follow();
  }

  /** The loop's own live counts, for the leak probe (src/up/diagnostics.ts). */
  diagnostics(): Record<string, number> {
    const sup = this.supervisor.counts();
    return {
      eventListeners: this.eventListeners,
      loopTimers: this.timers.length,
      supervisorTracked: sup.tracked,
      supervisorTimers: sup.pendingTimers,
      scheduledJobs: this.scheduler.armedCount,
      pullRetries: this.pullRetry.trackedCount,
    };
  }

  /** The manifest being applied (undefined until one loaded). */
  get current(): Manifest | undefined {
    return this.manifest;
  }

  /** SIGHUP: re-apply at once. */
  reload(why = 'SIGHUP'): void {
    this.request('full', why);
  }

  /** SIGTERM/SIGINT: stop taking work, let the step in flight finish briefly, and return. */
  async stop(graceMs = 8000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    this.o.log.info({ event: 'up-stopping' }, 'dom0 stopping; the fleet keeps running');
    this.watch?.stop();
    this.pullRetry.stop();
    this.scheduler.stop();
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.repairSoon);
    this.readiness?.close();
    this.stream?.close();
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, graceMs))]);
    this.stopped();
  }

  private beat(): void {
    try {
      this.o.state.heartbeat();
    } catch (e) {
      this.o.log.error({ event: 'state-dir-error', error: (e as Error).message }, 'cannot write the heartbeat');
    }
  }

  private async waitForEngine(): Promise<void> {
    for (let retry = 1; ; retry++) {
      if (this.stopping) return;
      try {
        await this.o.engine.ping();
        return;
      } catch (e) {
        const quick = retry <= ENGINE_QUICK.retries;
        const delay = quick ? backoffDelay(retry, ENGINE_QUICK) : backoffDelay(retry - ENGINE_QUICK.retries, RECONNECT);
        this.o.log[quick ? 'debug' : 'warn']({ event: 'engine-unreachable', error: (e as Error).message, retryInMs: delay }, 'waiting for the Docker engine');
        await pause(delay, this.abort.signal);
      }
    }
  }

  /** At boot an invalid or missing manifest falls back to the last one that applied. */
  private async bootApply(): Promise<void> {
    const { r, bytes } = await this.loadFile();
    if (r.ok) {
      if (bytes && (await this.bootInsteadOfBad(bytes))) return;
      this.manifest = r.manifest;
      await this.runApply('full', 'boot', bytes, true);
      return;
    }
    this.logInvalid(r.diagnostics);
    let last: ReturnType<StateDir['loadLastGood']>;
    try {
      last = this.o.state.loadLastGood();
    } catch (e) {
      this.o.log.error({ event: 'state-file-corrupt', error: (e as Error).message }, `cannot use the last-good manifest: ${(e as Error).message}`);
      return;
    }
    if (!last) {
      this.o.log.error({ event: 'no-manifest' }, 'no valid manifest and no last-good manifest: nothing applied; watching for a valid one');
      return;
    }
    const lr = await this.load(last.source, last.text);
    if (!lr.ok) {
      this.logInvalid(lr.diagnostics);
      return;
    }
    this.o.log.warn(
      { event: 'using-last-good', savedAt: last.savedAt, source: last.source },
      `MANIFEST INVALID OR MISSING: applying the last manifest that applied (saved ${last.savedAt})`,
    );
    this.manifest = lr.manifest;
    await this.runApply('full', 'boot (last-good manifest)', undefined, true);
  }

  /** Reads the manifest once: the bytes validated are the bytes applied and saved as last-good. */
  private async loadFile(): Promise<{ r: HostLoadResult; bytes?: Buffer }> {
    const read = readManifestFile(this.o.file);
    if (!read.ok) return { r: read };
    return { r: await this.load(this.o.file, read.bytes), bytes: read.bytes };
  }

  /** The manifest as the host sees it (src/up/host-view.ts); an engine lost while asking is waited for. */
  private async load(file: string, text?: string | Buffer): Promise<HostLoadResult> {
    for (;;) {
      try {
        const r = await this.loader.load(file, text);
        if (r.ok) for (const note of r.notes) this.o.log.info({ event: 'manifest-note', note }, note);
        return r;
      } catch (e) {
        if (!isEngineError(e) || this.stopping) throw e;
        this.o.log.warn({ event: 'engine-unreachable', error: (e as Error).message }, "cannot inspect dom0's own container");
        await pause(1000, this.abort.signal);
        await this.waitForEngine();
      }
    }
  }

  private logInvalid(diagnostics: Parameters<typeof formatDiagnostic>[0][]): void {
    this.o.log.error(
      { event: 'manifest-invalid', file: this.o.file, diagnostics: diagnostics.map(formatDiagnostic) },
      `invalid manifest; nothing changed:\n${diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  }

  private scheduleRepair(why: string): void {
    clearTimeout(this.repairSoon);
    this.repairSoon = setTimeout(() => this.request('repair', why), 2000);
  }

  /** Applies run one at a time; requests arriving meanwhile coalesce (a full apply wins). */
  private request(mode: Mode, why: string): void {
    if (this.stopping) return;
    if (this.running) {
      if (!this.pending || mode === 'full') this.pending = { mode, why };
      return;
    }
    this.exclusive(() => this.cycle(mode, why));
  }

  /** Runs `task` as the one step in flight, then what was requested meanwhile; false when busy or stopping. */
  private exclusive(task: () => Promise<void>): boolean {
    if (this.stopping || this.running) return false;
    this.running = task().finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.request(next.mode, next.why);
    });
    return true;
  }

  private async cycle(mode: Mode, why: string): Promise<void> {
    if (mode === 'full') {
      const { r, bytes } = await this.loadFile();
      if (!r.ok) {
        this.logInvalid(r.diagnostics);
        return;
      }
      if (bytes !== undefined && this.isBad(sha256(bytes), why)) {
        if (this.manifest) await this.runApply('repair', why, undefined);
        return;
      }
      this.o.log.info({ event: 'manifest-reload', why }, `re-applying: ${why}`);
      this.manifest = r.manifest;
      await this.runApply('full', why, bytes);
    } else if (this.manifest) {
      await this.runApply('repair', why, undefined);
    }
  }

  /** `bytes`: the manifest file's content this manifest was loaded from, saved as last-good once it applied. */
  /** A scheduled job's time came: the next apply runs it again (a repair round, or the full apply already queued). */
  private runScheduled(job: string, why: string): void {
    this.o.log.info({ event: 'schedule-fired', entry: job, why }, `${job}: ${why}`);
    this.dueJobs.set(job, why);
    this.request('repair', `${why}: ${job}`);
  }

  /** At boot, with catch_up: a scheduled time that passed while dom0 was down runs once now. */
  private async catchUp(manifest: Manifest): Promise<void> {
    for (const job of manifest.jobs) {
      if (!job.schedule?.catchUp) continue;
      const c = await this.o.engine.inspectContainer(job.containerName).catch(() => undefined);
      const missed = missedRun(job.schedule, c?.startedAt ? new Date(c.startedAt) : undefined);
      if (missed) this.runScheduled(job.name, `catch-up of the run missed at ${missed.toISOString()}`);
    }
  }

  /** `boot`: the first apply of this process (pulls of local images deferred, missed schedules caught up). */
  private async runApply(mode: Mode, why: string, bytes: Buffer | undefined, boot = false): Promise<void> {
    const manifest = this.manifest!;
    this.supervisor.pause();
    let ok = false;
    const rerunJobs = new Map(this.dueJobs);
    this.dueJobs.clear();
    const window = await this.prepareWindow(mode, bytes, manifest);
    try {
      const r = await apply(manifest, this.o.engine, {
        rerunJobs,
        log: this.o.log,
        concurrency: this.o.concurrency,
        waitTimeoutMs: this.o.waitTimeoutMs,
        startStopped: mode === 'full',
        protect: this.protect,
        pullConcurrency: this.o.pullConcurrency,
        // At boot nothing waits on the network: local images start the fleet, pulls go to the background.
        pull: { stateDir: this.o.state.dir, ...(boot ? { deferPresent: true } : {}) },
      });
      this.pullRetry.update(r.pulls);
      ok = true;
      // Only the jobs placed on this host are scheduled here.
      this.scheduler.update(r.manifest);
      if (boot) await this.catchUp(r.manifest);
      if (bytes !== undefined) {
        this.appliedHash = sha256(bytes);
        try {
          this.o.state.saveLastGood(this.o.file, bytes);
        } catch (e) {
          this.o.log.error({ event: 'state-dir-error', error: (e as Error).message }, `cannot save the last-good manifest in ${this.o.state.dir}`);
        }
        this.afterApplied(bytes, window, r.converged);
      }
      if (!r.converged) this.o.log.warn({ event: 'not-converged', why }, 'the fleet did not fully converge');
    } catch (e) {
      window?.close();
      this.o.log.error({ event: 'apply-failed', why, error: (e as Error).message }, `apply failed: ${(e as Error).message}`);
      if (isEngineError(e, 'unreachable')) {
        await this.waitForEngine();
        setTimeout(() => this.request(mode, `retry after: ${why}`), 1000);
      }
    } finally {
      this.supervisor.resume(mode === 'full' && ok);
    }
    if (ok && !this.stopping) await this.supervisor.sweep().catch(() => undefined);
  }

  /**
   * Before a full apply of manifest bytes that are not last-healthy: the fleet as it is now, the
   * services the change will be judged on, and an event stream to count their deaths. A change
   * made inside another's window inherits that window's "before" (the fleet last known healthy).
   */
  private async prepareWindow(mode: Mode, bytes: Buffer | undefined, manifest: Manifest): Promise<ReadinessWatch | undefined> {
    if (mode !== 'full' || bytes === undefined || !this.o.rollbackAfterMs || this.applyingRollback) return undefined;
    const hash = sha256(bytes);
    if (this.readiness?.hash === hash) return undefined; // re-applied inside its own window: the window goes on
    if (hash === this.lastHealthyHash()) return undefined;
    let before = this.readiness?.before;
    let here: string[];
    try {
      before ??= await observeServices(this.o.engine, manifest);
      here = await servicesHere(this.o.engine, manifest); // entries placed on other hosts are not judged here
    } catch {
      return undefined; // the apply will meet the same engine error
    }
    const w = new ReadinessWatch(hash, bytes, before, watchedServices(before, here), this.o.rollbackAfterMs, manifest);
    void w.follow(this.o.engine);
    return w;
  }

  private lastHealthyHash(): string | undefined {
    try {
      return this.o.state.loadLastHealthy()?.sha256;
    } catch {
      return undefined;
    }
  }

  /** Manifest bytes applied: a new window starts, and a rollback in force ends unless this is the rollback. */
  private afterApplied(bytes: Buffer, window: ReadinessWatch | undefined, converged: boolean): void {
    const hash = sha256(bytes);
    if (!this.applyingRollback && this.o.state.loadRollback()) {
      try {
        this.o.state.saveRollback(undefined);
      } catch {
        // dom0 status would say "rolled back" a little longer
      }
      this.o.log.info({ event: 'rollback-cleared', manifest: hash }, `manifest ${shortHash(hash)} applied: the rollback is over`);
    }
    if (window) {
      this.readiness?.close();
      this.readiness = window;
      window.begin(converged);
      this.o.log.info(
        { event: 'readiness-watch', manifest: hash, services: window.watched, deadlineMs: window.deadlineMs },
        `manifest ${shortHash(hash)}: watching ${window.watched.length} service(s) for ${window.deadlineMs / 1000} s before it counts as healthy`,
      );
      if (!this.readinessTimer) {
        this.readinessTimer = setInterval(() => this.readinessTick(), 250);
        this.timers.push(this.readinessTimer);
      }
    } else if (this.readiness && this.readiness.hash !== hash) {
      // another manifest applied without a window (last-healthy again, or rollback disabled)
      this.readiness.close();
      this.readiness = undefined;
    }
  }

  private readinessTick(): void {
    const w = this.readiness;
    if (!w || this.running || !w.due()) return;
    this.exclusive(() => this.checkReadiness(w));
  }

  private async checkReadiness(w: ReadinessWatch): Promise<void> {
    if (this.readiness !== w || !this.manifest) return;
    let now: Awaited<ReturnType<typeof observeServices>>;
    try {
      now = await observeServices(this.o.engine, this.manifest);
    } catch {
      return; // engine unreachable: judged on a later tick
    }
    const v = judgeReadiness({
      watched: w.watched,
      now,
      deaths: w.deaths,
      sinceLastDeathMs: w.sinceLastDeath(),
      elapsedMs: Date.now() - w.startedAt,
      deadlineMs: w.deadlineMs,
    });
    if (v.verdict === 'wait') return;
    w.close();
    this.readiness = undefined;
    if (v.verdict === 'ok' && !w.converged) {
      // ready, but (some of) what is running is the old config: nothing proves this manifest healthy
      this.o.log.warn(
        { event: 'readiness-unproven', manifest: w.hash, services: v.watched },
        `manifest ${shortHash(w.hash)}: the services are ready but its apply did not converge: not saved as last-healthy`,
      );
      return;
    }
    if (v.verdict === 'ok') {
      try {
        this.o.state.saveLastHealthy(this.o.file, w.bytes);
      } catch (e) {
        this.o.log.error({ event: 'state-dir-error', error: (e as Error).message }, `cannot save the last-healthy manifest in ${this.o.state.dir}`);
      }
      this.o.log.info(
        { event: 'readiness-ok', manifest: w.hash, services: v.watched },
        `manifest ${shortHash(w.hash)} is healthy (${v.watched.length} service(s) ready after ${w.deadlineMs / 1000} s): saved as last-healthy`,
      );
      return;
    }
    await this.rollBack(w, v.failures);
  }

  /** Re-applies last-healthy through the normal planner (volumes and volume containers are never removed) and marks `w`'s manifest bad. */
  private async rollBack(w: ReadinessWatch, failures: Failure[]): Promise<void> {
    const what = failures.map((f) => `${f.service}: ${f.state}, ${f.why}`).join('; ');
    let lh: ReturnType<StateDir['loadLastHealthy']>;
    try {
      lh = this.o.state.loadLastHealthy();
    } catch (e) {
      this.o.log.error({ event: 'state-file-corrupt', error: (e as Error).message }, `cannot use the last-healthy manifest: ${(e as Error).message}`);
    }
    const lr = lh && lh.sha256 !== w.hash ? await this.load(lh.source, lh.text) : undefined;
    if (!lh || !lr?.ok) {
      if (lr && !lr.ok) this.logInvalid(lr.diagnostics);
      this.o.log.error(
        { event: 'readiness-failed', manifest: w.hash, services: failures },
        `manifest ${shortHash(w.hash)} failed readiness (${what}), and there is no usable last-healthy manifest to go back to: the fleet stays as it is`,
      );
      return;
    }
    const bad = { sha256: w.hash, since: new Date().toISOString(), rolledBackTo: lh.sha256, failures };
    try {
      this.o.state.markBad(bad);
      this.o.state.saveRollback(bad);
    } catch (e) {
      this.o.log.error({ event: 'state-dir-error', error: (e as Error).message }, `cannot mark manifest ${shortHash(w.hash)} bad in ${this.o.state.dir}`);
    }
    this.o.log.error(
      { event: 'rollback', manifest: w.hash, since: bad.since, rolledBackTo: lh.sha256, services: failures },
      `ROLLBACK: manifest ${shortHash(w.hash)} failed readiness (${what}); re-applying the last-healthy manifest ${shortHash(lh.sha256)} (saved ${lh.savedAt}); ${shortHash(w.hash)} is marked bad and is not applied again until it changes`,
    );
    this.manifest = lr.manifest;
    this.applyingRollback = true;
    try {
      await this.runApply('full', `rollback to ${shortHash(lh.sha256)}`, Buffer.from(lh.text, 'utf8'));
    } finally {
      this.applyingRollback = false;
    }
  }

  /** A manifest a rollback marked bad is not applied again (until its content changes). */
  private isBad(hash: string, why: string): boolean {
    if (!this.o.rollbackAfterMs) return false;
    const b = this.o.state.badManifest(hash);
    if (!b) return false;
    this.o.log.warn(
      { event: 'manifest-bad', manifest: hash, since: b.since, why },
      `manifest ${shortHash(hash)} is marked bad (rolled back ${b.since}): not applied until it changes; the fleet stays on ${shortHash(b.rolledBackTo)}`,
    );
    return true;
  }

  /** At boot: a manifest marked bad is replaced by last-healthy, loudly. False when there is none to use. */
  private async bootInsteadOfBad(bytes: Buffer): Promise<boolean> {
    if (!this.o.rollbackAfterMs) return false;
    const hash = sha256(bytes);
    const bad = this.o.state.badManifest(hash);
    if (!bad) return false;
    let lh: ReturnType<StateDir['loadLastHealthy']>;
    try {
      lh = this.o.state.loadLastHealthy();
    } catch (e) {
      this.o.log.error({ event: 'state-file-corrupt', error: (e as Error).message }, `cannot use the last-healthy manifest: ${(e as Error).message}`);
      return false;
    }
    if (!lh) return false;
    const lr = await this.load(lh.source, lh.text);
    if (!lr.ok) {
      this.logInvalid(lr.diagnostics);
      return false;
    }
    this.o.log.warn(
      { event: 'using-last-healthy', manifest: hash, since: bad.since, rolledBackTo: lh.sha256, services: bad.failures },
      `MANIFEST ${shortHash(hash)} IS MARKED BAD (rolled back ${bad.since}): applying the last-healthy manifest ${shortHash(lh.sha256)} (saved ${lh.savedAt}) instead`,
    );
    this.manifest = lr.manifest;
    this.applyingRollback = true;
    try {
      await this.runApply('full', 'boot (last-healthy manifest)', Buffer.from(lh.text, 'utf8'), true);
    } finally {
      this.applyingRollback = false;
    }
    try {
      this.o.state.saveRollback(bad);
    } catch {
      // status shows less; the fleet is unaffected
    }
    return true;
  }

  /** Follows the engine's events for supervision; reconnects with backoff and re-applies. */
  private async follow(): Promise<void> {
    let retry = 1;
    while (!this.stopping) {
      try {
        this.stream = await this.o.engine.events({ label: LABEL.fleet });
        retry = 1;
        const off = this.stream.on((e) => this.supervisor.handle(e));
        this.eventListeners++;
        await this.stream.ended;
        off();
        this.eventListeners--;
        this.stream.close();
      } catch {
        // engine unreachable: retried below
      }
      if (this.stopping) return;
      const delay = backoffDelay(retry++, RECONNECT);
      this.o.log.warn({ event: 'events-lost', retryInMs: delay }, 'lost the engine event stream; reconnecting');
      await pause(delay, this.abort.signal);
      await this.waitForEngine();
      this.request('full', 'engine reconnected');
    }
  }
}
