// What `dom0 up` has been doing, kept in memory for the status page and /metrics: the last 100
// events and the counters behind the metrics. Fed by the logger's tap (log.ts), so every event
// the log carries is seen here, already scrubbed of secrets; nothing here decides anything.

export interface JournalEvent {
  time: string; // ISO 8601
  level: 'info' | 'warn' | 'error' | 'fatal';
  event: string;
  entry?: string;
  message: string;
  /** FILE:LINE:COL diagnostics of an invalid manifest. */
  diagnostics?: string[];
}

export interface LastApply {
  time: string;
  result: 'converged' | 'not-converged' | 'failed';
  durationMs?: number;
  why?: string;
}

/** A rollback in force: the fleet runs the last-healthy manifest instead of a bad one. */
export interface RollbackState {
  /** sha256 of the bad manifest. */
  manifest: string;
  since: string;
  rolledBackTo?: string;
  services: Array<{ service: string; state: string; why: string }>;
}

/** Upper bounds of the apply duration histogram, in seconds. */
export const APPLY_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

const KEEP = 100;
const LEVELS: Record<number, JournalEvent['level']> = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export class Journal {
  private readonly ring: JournalEvent[] = [];
  readonly applies = new Map<LastApply['result'], number>();
  readonly applyDurations: number[] = APPLY_BUCKETS.map(() => 0);
  applyDurationSum = 0;
  applyDurationCount = 0;
  readonly restarts = new Map<string, number>();
  readonly pulls = new Map<string, number>();
  pulledBytes = 0;
  manifestInvalid = 0;
  lastApply: LastApply | undefined;
  lastSuccessfulApply: string | undefined;
  engineConnected = true;
  rollbacks = 0;
  rollback: RollbackState | undefined;
  /** Entries whose restart dom0 has scheduled and not yet seen running: shown as "restarting". */
  readonly restarting = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private lastWhy: string | undefined;

  /** The logger's tap. */
  record(o: Record<string, unknown>): void {
    const event = typeof o.event === 'string' ? o.event : undefined;
    if (!event) return;
    const time = typeof o.time === 'string' ? o.time : new Date().toISOString();
    const entry = typeof o.entry === 'string' ? o.entry : undefined;
    const e: JournalEvent = {
      time,
      level: LEVELS[typeof o.level === 'number' ? o.level : 30] ?? 'info',
      event,
      message: typeof o.msg === 'string' ? o.msg.split('\n')[0]! : event,
      ...(entry ? { entry } : {}),
    };
    if (Array.isArray(o.diagnostics)) e.diagnostics = o.diagnostics.map(String);
    this.count(e, o);
    if (event === 'pull-progress' || event === 'build-progress' || event === 'build-output') return; // too chatty for the list
    this.ring.push(e);
    if (this.ring.length > KEEP) this.ring.shift();
    for (const l of this.listeners) l();
  }

  events(): readonly JournalEvent[] {
    return this.ring;
  }

  /** Called on every recorded event; returns the unsubscribe function. */
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** An entry seen running again is no longer "restarting". */
  sawRunning(entry: string): void {
    this.restarting.delete(entry);
  }

  private count(e: JournalEvent, o: Record<string, unknown>): void {
    switch (e.event) {
      case 'manifest-reload':
        this.lastWhy = typeof o.why === 'string' ? o.why : undefined;
        break;
      case 'apply-started':
        this.engineConnected = true;
        break;
      case 'apply-finished': {
        const durationMs = typeof o.durationMs === 'number' ? o.durationMs : 0;
        const result = o.converged === true ? 'converged' : 'not-converged';
        this.finishApply(result, e.time, durationMs);
        if (result === 'converged') this.lastSuccessfulApply = e.time;
        break;
      }
      case 'apply-failed':
        this.finishApply('failed', e.time);
        break;
      case 'manifest-invalid':
        this.manifestInvalid++;
        break;
      case 'restart':
        if (e.entry && typeof o.delayMs === 'number') this.restarting.add(e.entry);
        break;
      case 'restarted':
        if (e.entry) this.restarts.set(e.entry, (this.restarts.get(e.entry) ?? 0) + 1);
        break;
      case 'pull': {
        const result = typeof o.result === 'string' ? o.result : 'unknown';
        this.pulls.set(result, (this.pulls.get(result) ?? 0) + 1);
        if (typeof o.bytes === 'number') this.pulledBytes += o.bytes;
        break;
      }
      case 'pull-failed':
        this.pulls.set('failed', (this.pulls.get('failed') ?? 0) + 1);
        break;
      case 'rollback':
      case 'using-last-healthy':
        if (e.event === 'rollback') this.rollbacks++;
        this.rollback = {
          manifest: typeof o.manifest === 'string' ? o.manifest : '?',
          since: typeof o.since === 'string' ? o.since : e.time,
          ...(typeof o.rolledBackTo === 'string' ? { rolledBackTo: o.rolledBackTo } : {}),
          services: Array.isArray(o.services) ? (o.services as RollbackState['services']) : [],
        };
        break;
      case 'rollback-cleared':
        this.rollback = undefined;
        break;
      case 'engine-unreachable':
      case 'events-lost':
        this.engineConnected = false;
        break;
    }
  }

  private finishApply(result: LastApply['result'], time: string, durationMs?: number): void {
    this.applies.set(result, (this.applies.get(result) ?? 0) + 1);
    this.lastApply = { time, result, ...(durationMs !== undefined ? { durationMs } : {}), ...(this.lastWhy ? { why: this.lastWhy } : {}) };
    if (durationMs === undefined) return;
    const s = durationMs / 1000;
    this.applyDurationSum += s;
    this.applyDurationCount++;
    APPLY_BUCKETS.forEach((b, i) => {
      if (s <= b) this.applyDurations[i]!++;
    });
  }
}
