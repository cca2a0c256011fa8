// Readiness waits that follow the engine's events instead of polling on a timer.
import type { ContainerDetails, Engine, EngineEvent, EventStream } from '../engine/engine.js';
import type { DependsCondition } from '../manifest/types.js';

/**
 * Why a wait failed: the container exited (or had exited) the wrong way, became unhealthy (or can
 * never be healthy), did not get there in time, is gone, or the wait itself was cut off (apply
 * ended, the event stream was lost).
 */
export type WaitFailure = 'exited' | 'unhealthy' | 'timeout' | 'gone' | 'interrupted';

export class WaitError extends Error {
  override readonly name = 'WaitError';
  constructor(
    readonly reason: WaitFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface WaitTarget {
  /** Entry key, for messages. */
  entry: string;
  /** A job that has started and finished also counts as started. */
  kind?: 'service' | 'job';
  containerName: string;
  condition: DependsCondition;
  timeoutMs: number;
}

type Verdict = { done: true } | { failed: string; reason: WaitFailure } | undefined;

/**
 * What a verdict reads of a container: its inspected details, or what the events since its start
 * said. hasHealthcheck undefined: not known yet (a start reported for a service whose healthcheck
 * is the image's); a wait for health inspects it.
 */
export type ReadinessState = Pick<ContainerDetails, 'state' | 'health' | 'exitCode' | 'startedAt'> & { id: string; hasHealthcheck: boolean | undefined };

/** Decides a condition from a container's current state; undefined = not yet. */
export function judge(condition: DependsCondition, c: ReadinessState, kind: 'service' | 'job' = 'service'): Verdict {
  const exited = c.state === 'exited' || c.state === 'dead';
  switch (condition) {
    case 'service_started':
      if (c.state === 'running') return { done: true };
      if (kind === 'job' && exited && c.startedAt) return { done: true };
      if (exited) return { failed: `exited with code ${c.exitCode ?? '?'}`, reason: 'exited' };
      return undefined;
    case 'service_healthy':
      if (!c.hasHealthcheck) return { failed: 'has no healthcheck, so it can never become healthy', reason: 'unhealthy' };
      if (c.state === 'running' && c.health === 'healthy') return { done: true };
      // The engine marks a container that stopped unhealthy too: the exit is the better news.
      if (exited) return { failed: `exited with code ${c.exitCode ?? '?'} before becoming healthy`, reason: 'exited' };
      if (c.health === 'unhealthy') return { failed: 'is unhealthy', reason: 'unhealthy' };
      return undefined;
    case 'service_completed_successfully':
      if (exited) return c.exitCode === 0 ? { done: true } : { failed: `exited with code ${c.exitCode ?? '?'}`, reason: 'exited' };
      return undefined;
  }
}

const RELEVANT = /^(start|die|stop|kill|destroy|oom|health_status.*|rename|create|restart)$/;
const HEALTH = /^health_status: (healthy|unhealthy|starting)$/;

/** A start this apply made: the events that follow it keep its state, no inspect needed. */
export interface StartToken {
  containerName: string;
  id: string;
  gen: number;
}

/**
 * One events subscription per apply, shared by every wait. A container's state is inspected at
 * most once, and kept current from then on by the decisive events (start, health_status); any
 * other event for it (die, stop, kill, destroy, oom, restart, and a create or rename that puts
 * another container under its name) drops what was known and the next look inspects again.
 * A container this apply just started needs no inspect at all: the executor reports the start
 * (beginStart before the call, started or startFailed after), and unless an event that only an
 * inspect can read came in between, it is running.
 */
export class Readiness {
  private stream: Promise<EventStream> | undefined;
  private closed = false;
  /** Current state by container name, while no event has made it unknown. */
  private readonly known = new Map<string, ReadinessState>();
  /** Per container name: bumped by every event that makes its state unknown (a start reported after one is not trusted). */
  private readonly gens = new Map<string, number>();
  /** Per container name: bumped by every event (an inspect answered across one may be older than it). */
  private readonly seen = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<ReadinessState | undefined>>();
  /** Per container name: the container a start is being reported for (beginStart → started). */
  private readonly starting = new Map<string, string>();
  /** Engine inspects made for readiness (tests and stats). */
  inspects = 0;

  constructor(
    private readonly engine: Engine,
    private readonly fleet: string,
  ) {}

  /** Opened on the first wait or start, so an apply that waits for and starts nothing costs no events call. */
  private events(): Promise<EventStream> {
    this.stream ??= this.engine.events({ label: `io.dom0.fleet=${this.fleet}` }).then((s) => {
      s.on((e) => this.note(e));
      return s;
    });
    return this.stream;
  }

  private note(e: EngineEvent): void {
    const name = e.attributes.name;
    if (!name || !RELEVANT.test(e.action)) return;
    this.seen.set(name, (this.seen.get(name) ?? 0) + 1);
    const k = this.known.get(name);
    const health = HEALTH.exec(e.action)?.[1] as ReadinessState['health'] | undefined;
    if (e.action === 'start' && k) {
      this.known.set(name, { ...k, state: 'running', exitCode: undefined, health: k.hasHealthcheck ? 'starting' : undefined, startedAt: new Date(e.timeNano / 1e6).toISOString() });
    } else if (health && k && k.state === 'running') {
      this.known.set(name, { ...k, health, hasHealthcheck: true });
    } else if ((e.action === 'create' || e.action === 'rename') && (k?.id ?? this.starting.get(name)) === e.id) {
      // the container known, or being started, under this name got it: its state is unchanged.
      // (The executor's own create or rename, delivered after it began the start.)
    } else if (e.action !== 'start' && !health) {
      this.known.delete(name);
      this.gens.set(name, (this.gens.get(name) ?? 0) + 1);
    }
  }

  /** Before a start call: opens the stream so nothing after this moment is missed. */
  async beginStart(containerName: string, id: string): Promise<StartToken | undefined> {
    try {
      await this.events();
    } catch {
      return undefined; // no stream: waits will say so; the start itself goes on
    }
    this.starting.set(containerName, id);
    return { containerName, id, gen: this.gens.get(containerName) ?? 0 };
  }

  /** After a start call succeeded: running (health starting), unless an event since said otherwise. */
  started(token: StartToken | undefined, hasHealthcheck: boolean | undefined): void {
    if (!token) return;
    const id = token.id;
    if (this.starting.get(token.containerName) === id) this.starting.delete(token.containerName);
    if (this.closed || (this.gens.get(token.containerName) ?? 0) !== token.gen) return;
    const k = this.known.get(token.containerName);
    // a health event may already have come in after the start event: keep it
    if (k?.id === id && k.state === 'running') return;
    this.known.set(token.containerName, { id, state: 'running', hasHealthcheck, health: hasHealthcheck ? 'starting' : undefined, startedAt: new Date().toISOString() });
  }

  /** After a start call threw: the container's own create and rename events are news again. */
  startFailed(token: StartToken | undefined): void {
    if (token && this.starting.get(token.containerName) === token.id) this.starting.delete(token.containerName);
  }

  /** The container's state: what is known, else one inspect shared by every wait that asks meanwhile. */
  private async state(name: string, needHealth: boolean): Promise<ReadinessState | undefined> {
    const k = this.known.get(name);
    if (k && !(needHealth && k.hasHealthcheck === undefined)) return k;
    let p = this.inflight.get(name);
    if (!p) {
      p = (async () => {
        for (;;) {
          const seen = this.seen.get(name) ?? 0;
          this.inspects++;
          const c = await this.engine.inspectContainer(name);
          // an event came while asking: the answer may predate it, ask again
          if ((this.seen.get(name) ?? 0) !== seen) continue;
          if (c) this.known.set(name, c);
          return c;
        }
      })().finally(() => this.inflight.delete(name));
      this.inflight.set(name, p);
    }
    return p;
  }

  close(): void {
    this.closed = true;
    void this.stream?.then((s) => s.close(), () => undefined);
  }

  async wait(t: WaitTarget): Promise<void> {
    const stream = await this.events();
    if (this.closed) throw new WaitError('interrupted', `stopped waiting for ${t.entry}`);
    return this.waitOn(stream, t);
  }

  private waitOn(stream: EventStream, t: WaitTarget): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let checking = false;
      let again = false;
      let last: ReadinessState | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        fn();
      };
      const check = async (): Promise<void> => {
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            const c = await this.state(t.containerName, t.condition === 'service_healthy');
            if (settled) return;
            if (!c) {
              finish(() => reject(new WaitError('gone', `${t.entry}: container ${t.containerName} does not exist`)));
              return;
            }
            last = c;
            const v = judge(t.condition, c, t.kind);
            if (v && 'done' in v) finish(() => resolve());
            else if (v) {
              const failure = v;
              const logs = await this.engine.containerLogs(c.id, 10).catch(() => '');
              finish(() => reject(new WaitError(failure.reason, `${t.entry} ${failure.failed}${formatLogs(logs)}`)));
            }
          } while (again && !settled);
        } catch (e) {
          finish(() => reject(e));
        } finally {
          checking = false;
        }
      };
      // subscribed after note() (the stream's first listener), so a check sees the event's effect
      const unsubscribe = stream.on((e: EngineEvent) => {
        if (e.attributes.name === t.containerName && RELEVANT.test(e.action)) void check();
      });
      const timer = setTimeout(async () => {
        const logs = last ? await this.engine.containerLogs(last.id, 10).catch(() => '') : '';
        const state = last ? describeState(last) : 'unknown';
        finish(() =>
          reject(
            new WaitError(
              'timeout',
              `timed out after ${Math.round(t.timeoutMs / 1000)}s waiting for ${t.entry} (${t.condition}); last state: ${state}${formatLogs(logs)}`,
            ),
          ),
        );
      }, t.timeoutMs);
      void stream.ended.then(() =>
        finish(() => reject(new WaitError('interrupted', `lost the engine's event stream while waiting for ${t.entry}`))),
      );
      void check();
    });
  }
}

export function describeState(c: Pick<ReadinessState, 'state' | 'health' | 'exitCode'>): string {
  const health = c.health ? `, ${c.health}` : '';
  const exit = c.exitCode !== undefined ? ` (exit ${c.exitCode})` : '';
  return `${c.state}${exit}${health}`;
}

function formatLogs(logs: string): string {
  const lines = logs.trimEnd().split('\n').filter(Boolean).slice(-10);
  return lines.length ? `; last log lines:\n  ${lines.join('\n  ')}` : '';
}
