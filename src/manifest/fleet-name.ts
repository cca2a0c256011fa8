// The fleet name, decided as Compose decides a project name:
// --fleet > $DOM0_FLEET > the manifest's `name:` > the manifest directory's name (as the host sees it).

import { basename } from 'node:path';

/** What `name:`, --fleet and $DOM0_FLEET accept (the manifest schema checks `name:` the same way). */
export const FLEET_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

export const DEFAULT_FLEET = 'dom0';

/** compose-go's NormalizeProjectName: lowercase, keep [a-z0-9_-], then drop leading `_`/`-`. */
export function normalizeFleetName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/** The default name: the directory holding the manifest, normalized; 'dom0' when nothing is left. */
export function fleetNameFromDir(dir: string): string {
  return normalizeFleetName(basename(dir)) || DEFAULT_FLEET;
}

/** An explicit name that is not valid, with why; undefined when it is valid. */
export function invalidFleetName(name: string): string | undefined {
  if (FLEET_NAME.test(name)) return undefined;
  return `invalid fleet name ${JSON.stringify(name)}: use lowercase letters, digits, \`_\`, \`.\` and \`-\`, starting with a letter or digit`;
}

export interface FleetNameSources {
  flag?: string; // --fleet
  env?: string; // $DOM0_FLEET
  manifest?: string; // `name:`, already validated by the schema
  hostDir: string; // the manifest's directory as the host sees it
}

/** Precedence as Compose's: -p > COMPOSE_PROJECT_NAME > top-level name > directory. Empty values count as unset. */
export function fleetName(s: FleetNameSources): string {
  return s.flag || s.env || s.manifest || fleetNameFromDir(s.hostDir);
}

/** The explicit override (--fleet, else $DOM0_FLEET), validated like `name:`. */
export function fleetOverride(flag: string | undefined, env: string | undefined): { ok: true; name?: string } | { ok: false; error: string } {
  const name = flag || env || undefined;
  if (name === undefined) return { ok: true };
  const bad = invalidFleetName(name);
  if (bad) return { ok: false, error: `${flag ? '--fleet' : 'DOM0_FLEET'}: ${bad}` };
  return { ok: true, name };
}
