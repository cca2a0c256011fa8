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
}

type Mode = 'full' | 'repair';

const HEARTBEAT_MS = 5000;
/** Waiting for the engine and reconnecting to its events: 0.5 s doubling to 30 s. */
const RECONNECT = { baseMs: 500, capMs: 30_000 } as const;

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
    this.watch = new ManifestWatch(this.o.file, () => this.request('full', 'manifest changed'), {
      debounceMs: this.o.debounceMs,
      pollMs: this.o.pollMs,
    });
    this.watch.start(this.appliedHash ?? currentHash(this.o.file));
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
  reload(): void {
    this.request('full', 'SIGHUP');
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
        const delay = backoffDelay(retry, RECONNECT);
        this.o.log.warn({ event: 'engine-unreachable', error: (e as Error).message, retryInMs: delay }, 'waiting for the Docker engine');
        await pause(delay, this.abort.signal);
      }
    }
  }

  /** At boot an invalid or missing manifest falls back to the last one that applied. */
  private async bootApply(): Promise<void> {
    const { r, bytes } = await this.loadFile();
    if (r.ok) {
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
    this.running = this.cycle(mode, why).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.request(next.mode, next.why);
    });
  }

  private async cycle(mode: Mode, why: string): Promise<void> {
    if (mode === 'full') {
      const { r, bytes } = await this.loadFile();
      if (!r.ok) {
        this.logInvalid(r.diagnostics);
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
      this.scheduler.update(manifest);
      if (boot) await this.catchUp(manifest);
      if (bytes !== undefined) {
        this.appliedHash = sha256(bytes);
        try {
          this.o.state.saveLastGood(this.o.file, bytes);
        } catch (e) {
          this.o.log.error({ event: 'state-dir-error', error: (e as Error).message }, `cannot save the last-good manifest in ${this.o.state.dir}`);
        }
      }
      if (!r.converged) this.o.log.warn({ event: 'not-converged', why }, 'the fleet did not fully converge');
    } catch (e) {
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
