// Lifecycle hooks: which steps run them (plan asks hookSteps) and how they run (execute and down
// call runHooks / runPreStop). A hook is a command exec'd in the entry's running container.
import type { Engine } from '../engine/engine.js';
import type { Log } from '../log.js';
import type { EntrySpec, LifecycleHook } from '../manifest/types.js';
import { scrub } from '../redact.js';
import type { ObservedContainer } from './observe.js';

export type HookPhase = 'post_start' | 'pre_stop';

/**
 * The hooks a step runs: pre_stop in the running container before the step stops it (a
 * recreate or a restart; an adopted container is not the entry's yet), post_start once the
 * step has started a container. Only services have hooks.
 */
export function hookSteps(
  e: EntrySpec,
  a: { action: string; replace?: boolean; adopt?: boolean },
  current: Pick<ObservedContainer, 'state'> | undefined,
): { preStop?: true; postStart?: true } {
  if (e.kind !== 'service') return {};
  const out: { preStop?: true; postStart?: true } = {};
  const stops = (a.action === 'recreate' && a.replace === true) || a.action === 'restart';
  if (e.preStop?.length && stops && !a.adopt && current?.state === 'running') out.preStop = true;
  if (e.postStart?.length && ['create', 'recreate', 'start', 'restart'].includes(a.action)) out.postStart = true;
  return out;
}

/** Runs the hooks in order; the first that cannot run or exits non-zero fails the whole (as Compose). */
export async function runHooks(engine: Engine, containerId: string, entry: string, phase: HookPhase, hooks: readonly LifecycleHook[], log: Log): Promise<void> {
  for (const [i, h] of hooks.entries()) {
    const t0 = Date.now();
    const what = `${phase} hook ${i + 1} (${h.command.join(' ')})`;
    let r;
    try {
      r = await engine.exec(containerId, { command: h.command, user: h.user, privileged: h.privileged, workingDir: h.workingDir, env: h.environment });
    } catch (e) {
      throw new Error(scrub(`${what} could not run: ${(e as Error).message}`));
    }
    log.info({ event: 'hook', entry, phase, hook: i + 1, exitCode: r.exitCode, durationMs: Date.now() - t0 }, `${entry}: ${what} exited ${r.exitCode}`);
    if (r.exitCode !== 0) {
      const last = r.output.trim().split('\n').pop()?.trim();
      throw new Error(scrub(`${what} exited ${r.exitCode}${last ? `: ${last}` : ''}`));
    }
  }
}

/**
 * pre_stop before dom0 stops a container. A failing hook is a warning, and the stop goes on: the
 * container is going away either way, and a broken hook must not keep an outdated one running.
 */
export async function runPreStop(engine: Engine, containerId: string, e: EntrySpec | undefined, log: Log): Promise<void> {
  if (e?.kind !== 'service' || !e.preStop?.length) return;
  try {
    await runHooks(engine, containerId, e.name, 'pre_stop', e.preStop, log);
  } catch (err) {
    log.warn({ event: 'hook-failed', entry: e.name, phase: 'pre_stop', error: (err as Error).message }, `${e.name}: ${(err as Error).message}; stopping it anyway`);
  }
}
