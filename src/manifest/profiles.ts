// `profiles:` on entries, as Compose selects them: an entry without profiles is always part of
// the run; one with profiles only when one of them is active (`--profile`, $DOM0_PROFILES,
// $COMPOSE_PROFILES; `*` activates all). An inactive entry is taken out of the manifest before
// validation and its name kept, so that apply and down leave its existing container alone
// (Compose keeps such services out of its orphans too).
//
// An active entry depending on an inactive one: as compose-go's consistency check, an error
// (the dependency would never start) unless the dependency says `required: false`, in which
// case it is dropped. dom0 always applies the whole fleet, so there is no "explicitly targeted
// service" whose dependencies Compose would enable implicitly.

import type { Path } from './diagnostics.js';
import type { Lookup } from './interpolate.js';
import { SECTIONS } from './schema.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Compose's profile name pattern. */
export const PROFILE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The active profiles: the flags when given, else $DOM0_PROFILES, else $COMPOSE_PROFILES (comma-separated). */
export function activeProfiles(flags: readonly string[] | undefined, env: Lookup): string[] {
  const list = (s: string | undefined) => (s ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  if (flags && flags.length > 0) return [...new Set(flags.flatMap((f) => list(f)))];
  return [...new Set(list(env('DOM0_PROFILES') ?? env('COMPOSE_PROFILES')))];
}

export function isActive(profiles: readonly string[], active: readonly string[]): boolean {
  return profiles.length === 0 || active.includes('*') || profiles.some((p) => active.includes(p));
}

export type ProfileReporter = (path: Path, message: string) => void;

/**
 * Removes the inactive entries (and every `profiles:` key) from `tree`, in place; returns the
 * names of the entries removed.
 */
export function selectProfiles(tree: Obj, active: readonly string[], report: ProfileReporter): string[] {
  const disabled = new Map<string, string[]>(); // name → its profiles
  for (const section of SECTIONS) {
    const sec = tree[section];
    if (!isObj(sec)) continue;
    for (const [name, entry] of Object.entries(sec)) {
      if (!isObj(entry) || !Object.hasOwn(entry, 'profiles')) continue;
      const raw = entry.profiles;
      delete entry.profiles;
      if (raw === null) continue;
      if (!Array.isArray(raw) || raw.some((p) => typeof p !== 'string')) {
        report([section, name, 'profiles'], 'profiles must be a list of profile names');
        continue;
      }
      const bad = (raw as string[]).find((p) => !PROFILE_NAME.test(p));
      if (bad !== undefined) {
        report([section, name, 'profiles'], `invalid profile name ${JSON.stringify(bad)}: letters, digits, '_', '.' and '-', not starting with '_', '.' or '-', at least 2 characters`);
        continue;
      }
      if (isActive(raw as string[], active)) continue;
      disabled.set(name, raw as string[]);
      delete sec[name];
    }
  }
  if (disabled.size > 0) dropDependencies(tree, disabled, report);
  return [...disabled.keys()].sort();
}

function dropDependencies(tree: Obj, disabled: ReadonlyMap<string, string[]>, report: ProfileReporter): void {
  const why = (dep: string) => {
    const ps = disabled.get(dep)!;
    return `${JSON.stringify(dep)}, which is not part of this run (its ${ps.length > 1 ? 'profiles' : 'profile'} ${ps.join(', ')} ${ps.length > 1 ? 'are' : 'is'} not active): activate one with --profile ${ps[0]}, or declare the dependency \`required: false\``;
  };
  for (const section of SECTIONS) {
    const sec = tree[section];
    if (!isObj(sec)) continue;
    for (const [name, entry] of Object.entries(sec)) {
      if (!isObj(entry)) continue;
      const deps = entry.depends_on;
      const at: Path = [section, name, 'depends_on'];
      // Reported here, then dropped: the rules would only add "not declared".
      if (Array.isArray(deps)) {
        deps.forEach((d, i) => typeof d === 'string' && disabled.has(d) && report([...at, i], `${name} depends on ${why(d)}`));
        entry.depends_on = deps.filter((d) => !(typeof d === 'string' && disabled.has(d)));
      } else if (isObj(deps)) {
        for (const [d, spec] of Object.entries(deps)) {
          if (!disabled.has(d)) continue;
          const required = isObj(spec) ? spec.required : undefined;
          if (required !== false && required !== 'false') report([...at, d], `${name} depends on ${why(d)}`);
          delete deps[d];
        }
      }
    }
  }
}
