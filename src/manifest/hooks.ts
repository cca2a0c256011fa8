// Compose lifecycle hooks: `post_start` runs in the container once it has started, `pre_stop`
// before dom0 stops it. Normalized here; plan says when they run, execute runs them.
import type { Path } from './diagnostics.js';
import type { Lookup } from './interpolate.js';
import { setOwn } from './own.js';
import type { ParsedLifecycleHook } from './schema.js';
import type { ContainerSpec, LifecycleHook } from './types.js';

export interface HookContext {
  env: Lookup;
  report(path: Path, message: string, atKey?: boolean): void;
}

/** Sets spec.postStart / spec.preStop from the entry's keys; a job has none (it runs to its end). */
export function attachHooks(
  spec: ContainerSpec,
  s: { post_start?: ParsedLifecycleHook[]; pre_stop?: ParsedLifecycleHook[] },
  ctx: HookContext,
  at: Path,
): void {
  for (const [key, field] of [['post_start', 'postStart'], ['pre_stop', 'preStop']] as const) {
    const list = s[key];
    if (!list || list.length === 0) continue;
    if (spec.kind === 'job') {
      ctx.report([...at, key], `\`${key}\` is for services: a job runs to its end, so a hook would race its exit; run the command in the job, or in a job that depends on it`, true);
      continue;
    }
    const hooks: LifecycleHook[] = [];
    list.forEach((h, i) => {
      if (h.command.length === 0) {
        ctx.report([...at, key, i, 'command'], `a ${key} hook needs a \`command\``);
        return;
      }
      const hook: LifecycleHook = { command: h.command, privileged: h.privileged ?? false, environment: hookEnvironment(h.environment, ctx.env) };
      if (h.user !== undefined) hook.user = h.user;
      if (h.working_dir !== undefined) hook.workingDir = h.working_dir;
      hooks.push(hook);
    });
    if (hooks.length > 0) spec[field] = hooks;
  }
}

/** As a service's `environment`: a key without a value comes from the environment, or is dropped. */
function hookEnvironment(env: Record<string, string | null> | undefined, lookup: Lookup): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(env ?? {}).sort()) {
    const v = env![k] ?? lookup(k);
    if (v !== undefined) setOwn(out, k, v);
  }
  return out;
}
