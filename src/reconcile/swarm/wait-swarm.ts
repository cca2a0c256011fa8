// What "ready" means for a Swarm service or job, read from its tasks: running (healthy, when it
// has a healthcheck: Swarm reports a task running only once its container is healthy), or
// complete. Pure: execute-swarm.ts polls the engine and asks here.
import type { ServiceInfo, TaskInfo } from '../../engine/swarm-engine.js';
import type { DependsCondition } from '../../manifest/types.js';

export type Readiness = { state: 'ready' } | { state: 'waiting'; why: string } | { state: 'failed'; why: string };

/** How many tasks must be running: the replica count (a global service: at least one). */
export function wantedReplicas(s: ServiceInfo): number {
  const mode = s.spec.Mode as { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: { TotalCompletions?: number } } | undefined;
  if (mode?.ReplicatedJob) return mode.ReplicatedJob.TotalCompletions ?? 1;
  if (mode?.Global) return 1;
  return mode?.Replicated?.Replicas ?? 1;
}

export function isJob(s: ServiceInfo): boolean {
  return !!(s.spec.Mode as { ReplicatedJob?: object } | undefined)?.ReplicatedJob;
}

const failedStates = new Set(['failed', 'rejected', 'orphaned']);

/** A job's current run: complete, failed (no task left to try), or still going. */
export function jobReadiness(s: ServiceInfo, tasks: TaskInfo[]): Readiness {
  const run = tasks.filter((t) => s.jobIteration === undefined || t.jobIteration === undefined || t.jobIteration === s.jobIteration);
  const done = run.filter((t) => t.state === 'complete').length;
  if (done >= wantedReplicas(s)) return { state: 'ready' };
  const failed = run.filter((t) => failedStates.has(t.state));
  const going = run.filter((t) => !failedStates.has(t.state) && t.state !== 'complete' && t.desiredState !== 'shutdown');
  if (failed.length > 0 && going.length === 0) {
    const f = failed[failed.length - 1]!;
    return { state: 'failed', why: `job ${s.name} failed${f.exitCode !== undefined ? ` (exit ${f.exitCode})` : ''}${f.error ? `: ${f.error}` : ''}` };
  }
  return { state: 'waiting', why: `job ${s.name}: ${done} of ${wantedReplicas(s)} complete` };
}

/**
 * A service's tasks: all wanted replicas running. Repeated failures (or a rejected task) since
 * `sinceMs` (when dom0 acted on it; earlier ones are history) fail it.
 */
export function serviceReadiness(s: ServiceInfo, all: TaskInfo[], sinceMs = 0): Readiness {
  const tasks = all.filter((t) => t.desiredState === 'running' || Date.parse(t.createdAt) >= sinceMs);
  const live = all.filter((t) => t.desiredState === 'running');
  const running = live.filter((t) => t.state === 'running').length;
  if (running >= wantedReplicas(s)) return { state: 'ready' };
  const rejected = tasks.find((t) => t.state === 'rejected');
  const failed = tasks.filter((t) => t.state === 'failed');
  if (rejected) return { state: 'failed', why: `service ${s.name}: a task was rejected: ${rejected.error ?? rejected.message ?? 'no reason given'}` };
  if (failed.length >= 3) return { state: 'failed', why: `service ${s.name}: ${failed.length} tasks failed (last: ${failed[0]!.error ?? failed[0]!.message ?? 'no reason given'})` };
  return { state: 'waiting', why: `service ${s.name}: ${running} of ${wantedReplicas(s)} tasks running` };
}

/** A dependency's condition, as depends_on states it. */
export function conditionMet(cond: DependsCondition, s: ServiceInfo, tasks: TaskInfo[], sinceMs = 0): Readiness {
  if (cond === 'service_completed_successfully') return isJob(s) ? jobReadiness(s, tasks) : { state: 'failed', why: `${s.name} is not a job: it never completes` };
  if (isJob(s)) return jobReadiness(s, tasks); // a job "started" is as good as done for its dependents
  return serviceReadiness(s, tasks, sinceMs);
}

/** The state of an update started at `startedAfter` (the previous UpdateStatus.StartedAt). */
export function updateOutcome(s: ServiceInfo, previousStartedAt: string | undefined): 'going' | 'completed' | 'rolled-back' | 'paused' | 'none' {
  if (s.updateStartedAt === undefined || s.updateStartedAt === previousStartedAt) return 'none';
  switch (s.updateState) {
    case 'completed':
      return 'completed';
    case 'rollback_completed':
    case 'rollback_paused':
      return 'rolled-back';
    case 'paused':
      return 'paused';
    default:
      return 'going';
  }
}
