// Status: one row per entry (and per orphan), from one observation of the engine.
import type { Engine } from '../engine/engine.js';
import type { EntryKind, Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { nextRun } from '../manifest/schedule.js';
import { hashCanonical, hashedSpec } from './hash.js';
import { LABEL } from './labels.js';
import { placeManifest } from './host-facts.js';
import { observe } from './observe.js';
import { claimFor, isThisManifests } from './ownership.js';

export type SyncState = 'in sync' | 'drifted' | 'missing' | 'unmanaged' | 'orphan';

export interface StatusRow {
  name: string;
  kind: EntryKind;
  container: string;
  id?: string;
  state: string; // container state, or "-" when missing
  /** The engine's own summary, e.g. "Up 3 minutes (healthy)", "Exited (1) 2 seconds ago". */
  status?: string;
  health?: string;
  exitCode?: number;
  image: string;
  restart?: string; // the manifest's policy, which dom0 applies itself
  /** A job with a `schedule:`: its next run under `dom0 up` (ISO 8601). */
  nextRun?: string;
  sync: SyncState;
}

/** Entries placed on other hosts (deploy.placement) have no row: this host does not run them (`dom0 plan` says why). */
export async function status(full: Manifest, engine: Engine): Promise<StatusRow[]> {
  const manifest = (await placeManifest(full, engine))?.manifest ?? full;
  const observed = await observe(engine, manifest);
  const byName = new Map(observed.containers.map((c) => [c.name, c]));
  const rows: StatusRow[] = entries(manifest).map((e) => {
    const c = byName.get(e.containerName);
    const next = e.kind === 'job' && e.schedule ? nextRun(e.schedule)?.toISOString() : undefined;
    const base = { name: e.name, kind: e.kind, container: e.containerName, image: e.image, ...(next ? { nextRun: next } : {}) };
    if (!c) return { ...base, state: '-', sync: 'missing' as const };
    const claim = claimFor(c, e, manifest);
    const owned = claim === 'ours' || claim === 'legacy';
    const want = hashCanonical(hashedSpec(e, observed.imageIds[e.image]));
    return {
      ...base,
      id: c.id.slice(0, 12),
      state: c.state,
      status: c.status,
      health: c.health,
      exitCode: c.exitCode,
      restart: owned ? c.labels[LABEL.restart] : undefined,
      sync: !owned ? 'unmanaged' : c.owner!.hash === want ? 'in sync' : 'drifted',
    };
  });
  const known = new Set(entries(manifest).map((e) => `${e.kind}/${e.name}`));
  for (const c of observed.containers) {
    if (!isThisManifests(c, manifest) || known.has(`${c.owner!.kind}/${c.owner!.name}`)) continue;
    if (manifest.disabled?.includes(c.owner!.name)) continue; // an inactive profile's: not an orphan, not in this run
    rows.push({
      name: c.owner!.name,
      kind: c.owner!.kind,
      container: c.name,
      id: c.id.slice(0, 12),
      state: c.state,
      health: c.health,
      exitCode: c.exitCode,
      image: c.image,
      restart: c.labels[LABEL.restart],
      sync: 'orphan',
    });
  }
  return rows;
}
