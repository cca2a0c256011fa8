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

/** Decides a condition from a container's current state; undefined = not yet. */
export function judge(condition: DependsCondition, c: ContainerDetails, kind: 'service' | 'job' = 'service'): Verdict {
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

/**
 * One events subscription per apply, shared by every wait. Each wait re-inspects its container
 * when an event for it arrives, so verdicts come from the engine's state, never from event text.
 */
export class Readiness {
  private stream: Promise<EventStream> | undefined;
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly fleet: string,
  ) {}

  /** Opened on the first wait, so an apply that waits for nothing costs no events call. */
  private events(): Promise<EventStream> {
    this.stream ??= this.engine.events({ label: `io.dom0.fleet=${this.fleet}` });
    return this.stream;
  }

  close(): void {
    this.closed = true;
    void this.stream?.then((s) => s.close(), () => undefined);
  }

  async wait(t: WaitTarget): Promise<ContainerDetails> {
    const stream = await this.events();
    if (this.closed) throw new WaitError('interrupted', `stopped waiting for ${t.entry}`);
    return this.waitOn(stream, t);
  }

  private waitOn(stream: EventStream, t: WaitTarget): Promise<ContainerDetails> {
    return new Promise<ContainerDetails>((resolve, reject) => {
      let settled = false;
      let checking = false;
      let again = false;
      let last: ContainerDetails | undefined;
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
            const c = await this.engine.inspectContainer(t.containerName);
            if (settled) return;
            if (!c) {
              finish(() => reject(new WaitError('gone', `${t.entry}: container ${t.containerName} does not exist`)));
              return;
            }
            last = c;
            const v = judge(t.condition, c, t.kind);
            if (v && 'done' in v) finish(() => resolve(c));
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

export function describeState(c: ContainerDetails): string {
  const health = c.health ? `, ${c.health}` : '';
  const exit = c.exitCode !== undefined ? ` (exit ${c.exitCode})` : '';
  return `${c.state}${exit}${health}`;
}

function formatLogs(logs: string): string {
  const lines = logs.trimEnd().split('\n').filter(Boolean).slice(-10);
  return lines.length ? `; last log lines:\n  ${lines.join('\n  ')}` : '';
}
