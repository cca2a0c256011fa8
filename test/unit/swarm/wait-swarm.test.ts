// Readiness of Swarm services and jobs from their tasks: what execute-swarm waits on.
import { describe, expect, it } from 'vitest';
import type { ServiceInfo, TaskInfo } from '../../../src/engine/swarm-engine.js';
import { conditionMet, jobReadiness, serviceReadiness, updateOutcome } from '../../../src/reconcile/swarm/wait-swarm.js';

const service = (mode: object, extra: Partial<ServiceInfo> = {}): ServiceInfo => ({ id: 's', name: 'f_x', version: 1, labels: {}, spec: { Name: 'f_x', Labels: {}, Mode: mode }, createdAt: '', updatedAt: '', ...extra });
const task = (state: TaskInfo['state'], extra: Partial<TaskInfo> = {}): TaskInfo => ({ id: Math.random().toString(36), serviceId: 's', desiredState: state === 'complete' ? 'complete' : 'running', state, timestamp: '2026-01-01T00:00:00Z', createdAt: '2026-01-01T00:00:00Z', ...extra });
const rep = (n: number) => service({ Replicated: { Replicas: n } });
const job = service({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }, { jobIteration: 2 });

describe('serviceReadiness', () => {
  it.each<[string, ServiceInfo, TaskInfo[], string]>([
    ['all replicas running', rep(2), [task('running'), task('running')], 'ready'],
    ['one of two running', rep(2), [task('running'), task('starting')], 'waiting'],
    ['starting (healthcheck not passed yet)', rep(1), [task('starting')], 'waiting'],
    ['a rejected task', rep(1), [task('rejected', { error: 'no such image' })], 'failed'],
    ['three failures', rep(1), [task('failed'), task('failed'), task('failed')], 'failed'],
    ['old failures are history', rep(1), [task('failed', { desiredState: 'shutdown' }), task('failed', { desiredState: 'shutdown' }), task('failed', { desiredState: 'shutdown' }), task('starting')], 'waiting'],
    ['a shut-down old task does not count as running', rep(1), [task('running', { desiredState: 'shutdown' })], 'waiting'],
  ])('%s → %s', (_n, s, tasks, want) => {
    expect(serviceReadiness(s, tasks, Date.parse('2026-06-01T00:00:00Z')).state).toBe(want);
  });
});

describe('jobReadiness', () => {
  it.each<[string, TaskInfo[], string]>([
    ['this run complete', [task('complete', { jobIteration: 2 })], 'ready'],
    ['only an earlier run complete', [task('complete', { jobIteration: 1 }), task('running', { jobIteration: 2 })], 'waiting'],
    ['this run failed', [task('failed', { jobIteration: 2, exitCode: 3, desiredState: 'complete' })], 'failed'],
  ])('%s → %s', (_n, tasks, want) => {
    expect(jobReadiness(job, tasks).state).toBe(want);
  });
});

describe('conditionMet', () => {
  it.each<[string, Parameters<typeof conditionMet>[0], ServiceInfo, TaskInfo[], string]>([
    ['completed: a running service never completes', 'service_completed_successfully', rep(1), [task('running')], 'failed'],
    ['completed: the job is complete', 'service_completed_successfully', job, [task('complete', { jobIteration: 2 })], 'ready'],
    ['healthy: running', 'service_healthy', rep(1), [task('running')], 'ready'],
    ['started: starting is not yet', 'service_started', rep(1), [task('starting')], 'waiting'],
  ])('%s', (_n, cond, s, tasks, want) => {
    expect(conditionMet(cond, s, tasks).state).toBe(want);
  });
});

describe('updateOutcome', () => {
  it.each<[string | undefined, string | undefined, string | undefined, string]>([
    [undefined, undefined, undefined, 'none'],
    ['t1', 'completed', 't1', 'none'], // an earlier update's status
    ['t2', 'updating', 't1', 'going'],
    ['t2', 'completed', 't1', 'completed'],
    ['t2', 'rollback_completed', 't1', 'rolled-back'],
    ['t2', 'paused', 't1', 'paused'],
  ])('started %s, state %s, previous %s → %s', (startedAt, state, previous, want) => {
    expect(updateOutcome(service({}, { ...(startedAt ? { updateStartedAt: startedAt } : {}), ...(state ? { updateState: state } : {}) }), previous)).toBe(want);
  });
});
