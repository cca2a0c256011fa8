// Plan: desired × observed → one action per entry, with reasons. A pure function: no I/O.
import { topoLevels } from '../graph.js';
import type { ContainerSpec, Dependency, DependsCondition, EntryKind, EntrySpec, Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { REDACTED, looksSecret } from '../redact.js';
import { type Canonical, hashCanonical, hashedSpec } from './hash.js';
import type { Observed, ObservedContainer } from './observe.js';
import { composeLabels, LABEL, replacementName } from './labels.js';
import { type BackingVolume, backingFor, pathsChangingKind } from './volume-backing.js';
import { claimFor, type EntryClaim, type FleetIdentity, isThisManifests, nameIsRecorded } from './ownership.js';
import type { BuildStep } from './build.js';
import type { PullStep } from './pull.js';
import { type NetworkStep, resourceConflicts, resourceSteps, usedResources, type VolumeStep } from './resources.js';
import { boundTo, formatRestart } from './restart-policy.js';
import { hookSteps } from './hooks.js';
import type { HostPlacement } from './placement.js';

export type ActionType = 'create' | 'recreate' | 'start' | 'restart' | 'keep' | 'run' | 'done' | 'remove' | 'blocked';

/** A dependency to wait for before acting on an entry (a volume container needs no wait). */
export interface Wait {
  readonly entry: string;
  readonly kind: 'service' | 'job';
  readonly containerName: string;
  readonly condition: DependsCondition;
  readonly timeoutMs: number;
  readonly required: boolean;
}

export interface Action {
  readonly name: string;
  readonly kind: EntryKind;
  readonly action: ActionType;
  readonly reasons: readonly string[];
  readonly containerName: string;
  /** The entry's image (execute fails the entry when its pull failed). */
  readonly image?: string;
  /** The container the action works on (to replace, start, keep or remove). */
  readonly containerId?: string;
  /** A replacement left by an interrupted recreate, to rename into place before anything else. */
  readonly finishReplacementId?: string;
  /** Leftover replacements to remove first (their volumes are kept). */
  readonly cleanupIds: readonly string[];
  readonly hash?: string;
  readonly spec?: { readonly [k: string]: Canonical };
  readonly adopt?: boolean;
  /** The current container must be replaced (recreate, or a job re-run under a new config). */
  readonly replace?: boolean;
  /** A container no entry claims (its entry left the manifest, or a stray duplicate). */
  readonly orphan?: true;
  /** The named volumes behind the new container's anonymous paths (when a container is created). */
  readonly backing?: readonly BackingVolume[];
  /** A volume container taken over (--adopt): the old container's volumes, mounted again by path. */
  readonly keepVolumes?: ReadonlyArray<{ readonly name: string; readonly destination: string }>;
  readonly dependsOn: readonly Dependency[];
  /** The labels the new container gets (set when the action creates a container). */
  readonly labels?: Readonly<Record<string, string>>;
  /** A replace stops the old container first: it was running, restarting or paused when observed. */
  readonly stopOld?: boolean;
  /** A replace that fails before removing the old container starts it again: it was running or restarting. */
  readonly restartOld?: boolean;
  /** The stop timeout (stop_grace_period) for stop and restart. */
  readonly stopSeconds?: number;
  /** Dependencies to wait for before acting (none for keep and done: a no-op apply waits for nothing). */
  readonly waits: readonly Wait[];
  /** A job execute waits for (it runs, or is running or restarting): how long, and how often it runs again on failure. */
  readonly awaitJob?: { readonly timeoutMs: number; readonly retries: number };
  /** Run the entry's pre_stop hooks in the running container before this step stops it (hooks.ts; the commands stay in the spec). */
  readonly preStop?: true;
  /** Run the entry's post_start hooks once this step has started the container. */
  readonly postStart?: true;
}

/** Plan's working copy of an action, made immutable when the plan is returned. */
type Draft = { -readonly [K in keyof Action]: Action[K] } & { reasons: string[]; cleanupIds: string[] };

export type { NetworkStep, VolumeStep } from './resources.js';

export interface Plan {
  readonly fleet: string;
  /** Per distinct image: pull or not, and why (decided before the pulls; empty with --no-pull). */
  readonly pulls: readonly PullStep[];
  /** Per image an entry builds (`build:`): build or not, and why (decided after the pulls). */
  readonly builds: readonly BuildStep[];
  readonly networks: readonly NetworkStep[];
  readonly volumes: readonly VolumeStep[];
  readonly actions: readonly Action[];
  /** With deploy.placement.constraints: this host's facts and the entries not placed on it (placement.ts). */
  readonly placement?: HostPlacement;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
/** How often a job with `restart: on-failure` (no count) is run again within one apply. */
export const JOB_DEFAULT_RETRIES = 3;

export interface PlanOptions {
  adopt?: boolean;
  /**
   * Start services that exist but are stopped (default true, as `compose up` does). The `up`
   * loop's periodic repair passes false: between applies, restarts follow the restart policy.
   */
  startStopped?: boolean;
  /** Container IDs dom0 must never act on (its own container). */
  protect?: ReadonlySet<string>;
  /** Recreate even when a path's data would no longer be mounted (anonymous → bind, named, tmpfs). */
  acceptDataLoss?: boolean;
  /** Default wait timeout for a dependency (and a job's run), unless its depends_on sets one. */
  waitTimeoutMs?: number;
  /** The pull decisions made before this plan (planPulls), carried in the plan as they were. */
  pulls?: readonly PullStep[];
  /** The build decisions (planBuilds), carried in the plan as they were. */
  builds?: readonly BuildStep[];
  /** Jobs to run again though done for this config: their scheduled time came (`dom0 up`), with why. */
  rerunJobs?: ReadonlyMap<string, string>;
  /** The placement the manifest was filtered by (placeOnHost): carried in the plan, and the reason an orphan of a not-placed entry is removed. */
  placement?: HostPlacement;
}

export function plan(manifest: Manifest, observed: Observed, opts: PlanOptions = {}): Plan {
  const fleet = manifest.name;
  const identity: FleetIdentity = { name: manifest.name, origin: manifest.origin };
  const all = entries(manifest);
  const byName = new Map<string, ObservedContainer[]>();
  const isProtected = (c: ObservedContainer) => opts.protect?.has(c.id) ?? false;
  for (const c of observed.containers) {
    const list = byName.get(c.name) ?? [];
    list.push(c);
    byName.set(c.name, list);
  }
  const claimOf = (c: ObservedContainer, e: { kind: EntryKind; name: string; containerName: string }) => claimFor(c, e, identity);

  const actions = new Map<string, Draft>();
  const currents = new Map<string, ObservedContainer>();
  const claimed = new Set<string>();
  const conflicts = resourceConflicts(manifest, observed);
  const desired = new Set(all.map((e) => `${e.kind}/${e.name}`));
  for (const e of all) {
    const spec = hashedSpec(e, observed.imageIds[e.image]);
    const hash = hashCanonical(spec);
    const base: Draft = {
      name: e.name,
      kind: e.kind,
      action: 'keep',
      reasons: [],
      containerName: e.containerName,
      image: e.image,
      cleanupIds: [],
      waits: [],
      hash,
      spec,
      dependsOn: e.kind === 'volume' ? [] : e.dependsOn,
    };
    let current = byName.get(e.containerName)?.[0];
    if (current && isProtected(current)) {
      base.action = 'blocked';
      base.reasons.push(`container "${current.name}" is dom0's own container: give the entry another container_name`);
      actions.set(e.name, base);
      continue;
    }
    const replacement = byName.get(replacementName(e.containerName))?.find((c) => ownClaim(claimOf(c, e)));
    if (replacement) {
      claimed.add(replacement.id);
      if (current) {
        base.cleanupIds.push(replacement.id);
        base.reasons.push(`removes ${replacement.name}, left by an interrupted recreate`);
      } else {
        base.finishReplacementId = replacement.id;
        base.reasons.push(`finishes an interrupted recreate (renames ${replacement.name})`);
        current = replacement;
      }
    }
    // The entry's container under another name: its container_name changed.
    const renamedFrom = current
      ? undefined
      : inUseFirst(observed.containers.filter((c) => claimOf(c, e) === 'ours' && isThisManifests(c, identity) && !c.replacement && !claimed.has(c.id) && !isProtected(c)));
    if (renamedFrom) current = renamedFrom;
    if (current) {
      claimed.add(current.id);
      currents.set(e.name, current);
    }
    const a = decide(e, base, current, observed, opts, { fleet, identity, claimOf, desired });
    if (renamedFrom) movedContainer(a, renamedFrom.name);
    const taken = e.kind === 'volume' ? [] : usedResources(e).flatMap((r) => conflicts.get(r) ?? []);
    if (taken.length > 0 && a.action !== 'keep' && a.action !== 'done') {
      a.action = 'blocked';
      a.reasons.push(...taken);
    }
    planVolumes(a, e, manifest, observed, current, opts);
    actions.set(e.name, a);
  }

  restartDependents(manifest, actions);
  const specs = new Map(all.map((e) => [e.name, e]));
  for (const e of all) finishAction(actions.get(e.name)!, e, manifest, specs, currents.get(e.name), opts);

  const orphans = planOrphans(manifest, observed, claimed, desired, opts);

  return {
    fleet,
    pulls: opts.pulls ?? [],
    builds: opts.builds ?? [],
    ...resourceSteps(manifest, observed),
    actions: [...orderEntries(manifest).map((n) => actions.get(n)!), ...orphans],
    ...(opts.placement ? { placement: opts.placement } : {}),
  };
}

/**
 * Of several containers of one entry under other names, the one to treat as its container: a live one
 * before a stopped one, then the newest, then by name and ID, so the plan never depends on the order
 * the engine lists containers in. The others become orphans ("a second container").
 */
function inUseFirst(candidates: readonly ObservedContainer[]): ObservedContainer | undefined {
  const live = (c: ObservedContainer) => (c.state === 'running' || c.state === 'restarting' || c.state === 'paused' ? 0 : 1);
  return [...candidates].sort((a, b) => live(a) - live(b) || b.created - a.created || a.name.localeCompare(b.name) || a.id.localeCompare(b.id))[0];
}

/**
 * Orphans: containers of this fleet that no entry claims (entry gone, or a stray duplicate).
 * Only those applied from this manifest are removed; the rest carry the fleet's name but may be
 * another manifest's: they are reported, and --adopt takes them over.
 */
function planOrphans(manifest: Manifest, observed: Observed, claimed: ReadonlySet<string>, desired: ReadonlySet<string>, opts: PlanOptions): Draft[] {
  const fleet = manifest.name;
  const identity: FleetIdentity = { name: manifest.name, origin: manifest.origin };
  const isProtected = (c: ObservedContainer) => opts.protect?.has(c.id) ?? false;
  const orphans: Draft[] = [];
  for (const c of observed.containers) {
    if (c.owner?.fleet !== fleet || claimed.has(c.id) || isProtected(c)) continue;
    // An entry of an inactive profile is not part of this run, but still the manifest's: left alone.
    if (manifest.disabled?.includes(c.owner.name)) continue;
    // Under a name dom0 never gave it: a copy (a committed image run by hand), not dom0's at all.
    if (!nameIsRecorded(c, c.owner)) continue;
    const volume = c.owner.kind === 'volume';
    const gone = !desired.has(`${c.owner.kind}/${c.owner.name}`);
    const proven = isThisManifests(c, identity);
    const base = {
      name: c.owner.name,
      kind: c.owner.kind,
      orphan: true as const,
      containerName: c.name,
      containerId: c.id,
      cleanupIds: [],
      dependsOn: [],
      waits: [],
    };
    if (!proven && !opts.adopt) {
      orphans.push({
        ...base,
        action: 'blocked',
        reasons: [
          `container "${c.name}" carries fleet "${fleet}" but was ${c.owner.origin ? `applied from ${c.owner.origin}` : 'made by an older dom0 or by hand'}, not from this manifest (${manifest.origin}): not removed`,
          `if it is this fleet's, apply --adopt takes it over${volume ? ' (a volume container is kept)' : ' (removes it)'}; if it is another manifest's, set another \`name:\` in one of them`,
        ],
      });
      continue;
    }
    orphans.push({
      ...base,
      action: volume ? 'keep' : 'remove',
      reasons: [
        gone ? (opts.placement?.notPlaced.find((n) => n.entry === c.owner!.name && n.kind === c.owner!.kind)?.reason ?? 'no longer in the manifest') : `a second container for ${c.owner.kind} ${c.owner.name}, not the one in use`,
        ...(proven ? [] : ['taken over (--adopt)']),
        volume
          ? 'volume containers are never removed by dom0 (remove it by hand if its data is not needed)'
          : 'removed; its volumes are kept',
      ],
    });
  }
  return orphans.sort((a, b) => a.name.localeCompare(b.name) || a.containerName.localeCompare(b.containerName));

}

/** Whether the action makes a new container (fresh, or the replacement of the current one). */
export function createsContainer(a: Pick<Action, 'action' | 'containerId' | 'replace'>): boolean {
  return (a.action === 'create' || a.action === 'recreate' || a.action === 'run') && (!a.containerId || !!a.replace);
}

/** What execute needs beyond the decision: waits, the job wait, labels, how to stop the old container. */
function finishAction(
  a: Draft,
  e: EntrySpec,
  manifest: Manifest,
  specs: ReadonlyMap<string, EntrySpec>,
  current: ObservedContainer | undefined,
  opts: PlanOptions,
): void {
  if (a.action === 'blocked') return;
  const defaultTimeout = opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  if (e.kind !== 'volume') {
    a.stopSeconds = e.stopGracePeriodMs === undefined ? undefined : Math.ceil(e.stopGracePeriodMs / 1000);
    if (a.action !== 'keep' && a.action !== 'done') {
      a.waits = e.dependsOn.flatMap((d) => {
        const dep = specs.get(d.name);
        if (!dep || dep.kind === 'volume') return [];
        return [{ entry: d.name, kind: dep.kind, containerName: dep.containerName, condition: d.condition, timeoutMs: d.timeoutMs ?? defaultTimeout, required: d.required }];
      });
    }
    const running = current?.state === 'running' || current?.state === 'restarting';
    if (e.kind === 'job' && (a.action === 'run' || (a.action === 'keep' && running))) {
      let timeoutMs = defaultTimeout;
      for (const s of [...manifest.jobs, ...manifest.services]) {
        for (const d of s.dependsOn) if (d.name === e.name && d.timeoutMs !== undefined) timeoutMs = Math.max(timeoutMs, d.timeoutMs);
      }
      const retries = e.restart.name === 'on-failure' ? (e.restart.maxRetries ?? JOB_DEFAULT_RETRIES) : 0;
      a.awaitJob = { timeoutMs, retries };
    }
  }
  Object.assign(a, hookSteps(e, a, current));
  if (!createsContainer(a)) return;
  a.labels = containerLabels(manifest, e, a);
  if (a.replace && current) {
    a.stopOld = current.state === 'running' || current.state === 'restarting' || current.state === 'paused';
    a.restartOld = current.state === 'running' || current.state === 'restarting';
  }
}

/** The labels dom0 writes on an entry's container: what observe reads back as its ownership. */
function containerLabels(manifest: Manifest, e: EntrySpec, a: Draft): Record<string, string> {
  const l: Record<string, string> = {
    ...composeLabels(manifest.name, e.name, a.hash!, manifest.origin),
    [LABEL.fleet]: manifest.name,
    [LABEL.kind]: e.kind,
    [LABEL.name]: e.name,
    [LABEL.hash]: a.hash!,
    [LABEL.spec]: JSON.stringify(a.spec),
    [LABEL.origin]: manifest.origin,
    [LABEL.containerName]: a.containerName,
  };
  if (e.kind !== 'volume') {
    l[LABEL.restart] = formatRestart(e.restart);
    if (e.dependsOn.length) l[LABEL.dependsOn] = e.dependsOn.map((d) => d.name).join(',');
  }
  return l;
}

/** What a new container's volumes need: backing volumes (and data carried into them), or a volume container's old volumes. */
function planVolumes(a: Draft, e: EntrySpec, manifest: Manifest, observed: Observed, current: ObservedContainer | undefined, opts: PlanOptions): void {
  if (!createsContainer(a)) return;
  const old = a.replace && current ? current : undefined;
  // Only a replaced container has volumes to tell apart (its own data vs. shared ones).
  const shared = old ? sharedVolumes(manifest, e, observed) : new Set<string>();
  if (e.kind === 'volume') {
    if (old) a.keepVolumes = old.mounts.filter((m) => m.type === 'volume' && m.name && !shared.has(m.name)).map((m) => ({ name: m.name!, destination: m.destination }));
    return;
  }
  if (old) {
    const risks = pathsChangingKind(old.mounts, e, shared);
    for (const r of risks) {
      const what = `${r.path}: its data is in volume ${short(r.volume)} of "${old.name}", but the manifest now mounts ${r.now} there`;
      if (opts.acceptDataLoss) {
        a.reasons.push(`${what}; the new container will not see that data (--accept-data-loss; the volume is kept)`);
      } else {
        a.action = 'blocked';
        a.reasons.push(
          `${what}: the new container would not see that data. Move it first (e.g. docker cp ${old.name}:${r.path} ./backup, ` +
            'then into the new source), then apply --accept-data-loss',
        );
      }
    }
    if (a.action === 'blocked') return;
  }
  const existing = new Set(observed.volumes.map((v) => v.name));
  a.backing = backingFor(manifest, e, observed.images, existing, old ? { mounts: old.mounts, shared } : undefined);
  for (const b of a.backing) {
    if (b.carryFrom) a.reasons.push(`${b.path}: data carried from volume ${short(b.carryFrom)} into ${b.name}`);
    else if (b.create) a.reasons.push(`${b.path}: volume ${b.name} created`);
  }
}

/** Volumes that reach the entry's container from elsewhere (named volumes, volumes_from): never its own data to carry. */
function sharedVolumes(manifest: Manifest, e: EntrySpec, observed: Observed): Set<string> {
  const out = new Set(Object.values(manifest.volumes).map((v) => v.name));
  if (e.kind === 'volume') return out;
  const names = new Map(entries(manifest).map((x) => [x.name, x.containerName]));
  const fromNames = new Set(e.volumesFrom.map((v) => names.get(v.name) ?? v.name));
  for (const c of observed.containers) {
    if (fromNames.has(c.name)) for (const m of c.mounts) if (m.name) out.add(m.name);
  }
  return out;
}

/** A claim under which the container is this entry's without --adopt. */
function ownClaim(c: EntryClaim | undefined): boolean {
  return c === 'ours' || c === 'legacy';
}

/** The entry's container exists under an old container_name: move it (a volume container only by hand). */
function movedContainer(a: Draft, oldName: string): void {
  const change = `container_name: "${oldName}" → "${a.containerName}"`;
  if (a.action === 'blocked' || a.action === 'create' || a.action === 'run' && !a.containerId) return;
  if (a.kind === 'volume') {
    a.action = 'blocked';
    a.reasons.push(
      `${change}: dom0 never recreates a volume container; keep its data by renaming it yourself: docker rename ${oldName} ${a.containerName}`,
    );
    return;
  }
  if (!a.replace) {
    a.action = a.kind === 'job' ? 'run' : 'recreate';
    a.replace = true;
  }
  a.reasons.unshift(change);
}

/** Entry names in the order apply works through them: volume containers, then the DAG by levels. */
export function orderEntries(manifest: Manifest): string[] {
  const rest = [...manifest.jobs, ...manifest.services];
  const edges = new Map(rest.map((e) => [e.name, e.dependsOn.map((d) => d.name)]));
  return [...manifest.volumeContainers.map((v) => v.name), ...topoLevels(rest.map((e) => e.name), edges).flat()];
}

interface DecideContext {
  fleet: string;
  identity: FleetIdentity;
  claimOf: (c: ObservedContainer, e: { kind: EntryKind; name: string; containerName: string }) => EntryClaim | undefined;
  desired: ReadonlySet<string>;
}

/** One entry's action: ownership of the container first, then the rule of the entry's kind. */
function decide(e: EntrySpec, a: Draft, current: ObservedContainer | undefined, observed: Observed, opts: PlanOptions, ctx: DecideContext): Draft {
  if (!current) {
    a.action = e.kind === 'job' ? 'run' : 'create';
    a.reasons.push(e.kind === 'job' ? 'not yet run for this config' : 'does not exist');
    if (observed.imageIds[e.image] === undefined) {
      a.reasons.push(`image ${e.image} will be ${opts.builds?.some((b) => b.image === e.image && b.action === 'build') ? 'built' : 'pulled'}`);
    }
    return a;
  }
  if (decideOwnership(e, a, current, opts, ctx)) return a;

  a.containerId = current.id;
  const changes = current.owner!.hash === a.hash ? [] : diffSpecs(current.owner!.spec, a.spec!);
  if (current.owner!.hash !== a.hash && changes.length === 0) changes.push('config hash changed');
  if (e.kind === 'volume') return decideVolumeContainer(a, changes);
  if (changes.length > 0) {
    a.action = e.kind === 'job' ? 'run' : 'recreate';
    a.replace = true;
    a.reasons.push(...changes);
    return a;
  }
  return e.kind === 'job' ? decideJob(a, current, opts) : decideService(a, current, opts);
}

/**
 * A container holds the entry's name but is not plainly this entry's (ownership.ts says whose):
 * block, take it over, or adopt it. False when it is the entry's own and the kind's rule decides.
 */
function decideOwnership(e: EntrySpec, a: Draft, current: ObservedContainer, opts: PlanOptions, { fleet, identity, claimOf, desired }: DecideContext): boolean {
  const claim = claimOf(current, e);
  if (claim === 'ours' || claim === 'legacy') return false;
  const takeOver = (reason: string, adopt: boolean) => {
    a.containerId = current.id;
    a.action = e.kind === 'job' ? 'run' : 'recreate';
    if (adopt) a.adopt = true;
    a.replace = true;
    a.reasons.push(reason);
    return true;
  };
  const block = (reason: string) => {
    a.action = 'blocked';
    a.reasons.push(reason);
    return true;
  };
  if (claim === 'other-manifest') {
    if (!opts.adopt) {
      return block(
        `container "${current.name}" is ${e.kind} "${e.name}" of fleet "${fleet}" applied from ${current.owner!.origin}, not from this manifest: ` +
          'apply --adopt takes it over (volumes kept), or set another `name:` in one of the two manifests',
      );
    }
    return takeOver(`takes over "${current.name}" from the manifest at ${current.owner!.origin} (--adopt): recreated, volumes kept`, true);
  }
  if (current.owner?.kind === 'volume') {
    return block(
      `container "${current.name}" is volume container "${current.owner.name}" of fleet "${current.owner.fleet}": ` +
        'dom0 never replaces a volume container, not even with --adopt; give this entry another container_name',
    );
  }
  if (current.owner && isThisManifests(current, identity)) {
    const stillDeclared = desired.has(`${current.owner.kind}/${current.owner.name}`);
    if (e.kind === 'volume' && !stillDeclared) {
      return block(
        `container "${current.name}" is ${current.owner.kind} "${current.owner.name}", no longer in the manifest: ` +
          'a volume container is only ever created fresh; remove that container or give this entry another container_name',
      );
    }
    if (stillDeclared || e.kind === 'volume') {
      return block(
        `container "${current.name}" is ${current.owner.kind} "${current.owner.name}" of this fleet, which this apply moves to its new container_name: apply again`,
      );
    }
    // An entry that left the manifest held this name (e.g. its key was renamed): take its container over.
    return takeOver(`takes over the container of ${current.owner.kind} "${current.owner.name}", no longer in the manifest (volumes kept)`, false);
  }
  if (!opts.adopt) {
    const who = current.owner
      ? `belongs to fleet "${current.owner.fleet}" (${current.owner.kind} "${current.owner.name}")`
      : 'is not managed by dom0';
    return block(`container "${current.name}" exists and ${who}: remove it, or apply --adopt`);
  }
  return takeOver(
    e.kind === 'volume'
      ? `adopts "${current.name}" (not created by dom0): replaced by a managed container that keeps its volumes`
      : `adopts "${current.name}" (not created by dom0): recreated under dom0's management, volumes kept`,
    true,
  );
}

/** A volume container is never recreated: a change blocks it. */
function decideVolumeContainer(a: Draft, changes: string[]): Draft {
  if (changes.length > 0) {
    a.action = 'blocked';
    a.reasons.push(
      `volume container changed (${changes.join('; ')}): dom0 never recreates a volume container, ` +
        'its data would be lost. Copy the data out and remove the container by hand, or revert the change',
    );
  } else {
    a.action = 'keep';
  }
  return a;
}

/** A job of this config: done once it exited 0, awaited while it runs, run again otherwise. */
function decideJob(a: Draft, current: ObservedContainer, opts: PlanOptions): Draft {
  const rerun = opts.rerunJobs?.get(a.name);
  if (rerun !== undefined && current.state !== 'running' && current.state !== 'restarting') {
    a.action = 'run';
    a.reasons.push(rerun);
  } else if (current.state === 'exited' && current.exitCode === 0) {
    a.action = 'done';
    a.reasons.push('already exited 0 for this config');
  } else if (current.state === 'running' || current.state === 'restarting') {
    a.action = 'keep';
    a.reasons.push('running; apply waits for it to finish');
  } else if (current.state !== 'created' && opts.startStopped === false) {
    a.action = 'keep';
    a.reasons.push(`last run exited ${current.exitCode ?? '?'}; runs again at the next apply`);
  } else {
    a.action = 'run';
    a.reasons.push(current.state === 'created' ? 'created but never started' : `last run exited ${current.exitCode ?? '?'}; runs again`);
  }
  return a;
}

/** A service of this config: kept while it runs, started when stopped (unless a repair round). */
function decideService(a: Draft, current: ObservedContainer, opts: PlanOptions): Draft {
  if (current.state === 'running' || current.state === 'restarting') {
    a.action = 'keep';
  } else if (opts.startStopped === false) {
    a.action = 'keep';
    a.reasons.push(`${current.state}; restarts follow its restart policy until the next apply`);
  } else {
    a.action = 'start';
    a.reasons.push(`exists and is ${current.state}`);
  }
  return a;
}

/** Dependents whose links, network namespace or `restart: true` point at a recreated entry restart after it. */
function restartDependents(manifest: Manifest, actions: Map<string, Draft>): void {
  for (const name of orderEntries(manifest)) {
    const a = actions.get(name)!;
    if (a.kind === 'volume' || a.action !== 'keep') continue;
    const spec = [...manifest.jobs, ...manifest.services].find((s) => s.name === name) as ContainerSpec;
    const bound = boundTo(spec);
    const because = [...bound].filter((d) => {
      const da = actions.get(d);
      return da?.action === 'recreate' || da?.action === 'restart' || da?.action === 'create';
    });
    if (because.length > 0) {
      a.action = 'restart';
      a.reasons.push(...because.map((d) => `restarts after ${d} is ${{ restart: 'restarted', create: 'created', recreate: 'recreated' }[actions.get(d)!.action as 'restart']}`));
    }
  }
}

export { boundTo } from './restart-policy.js';

/** Field-level differences between two canonical specs, e.g. `environment.FOO: "1" → "2"`. */
export function diffSpecs(before: { [k: string]: Canonical }, after: { [k: string]: Canonical }): string[] {
  const out: string[] = [];
  const walk = (path: string, a: Canonical | undefined, b: Canonical | undefined, secret: boolean) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (path === 'imageId') {
      out.push(
        a === undefined || String(a).startsWith('missing:')
          ? 'image: pulled since the container was created'
          : b === undefined || String(b).startsWith('missing:')
            ? 'image: not present locally (will be pulled)'
            : `image: new image ID (${short(a)} → ${short(b)})`,
      );
      return;
    }
    const isObj = (v: unknown): v is { [k: string]: Canonical } => typeof v === 'object' && v !== null && !Array.isArray(v);
    if ((isObj(a) || a === undefined) && (isObj(b) || b === undefined)) {
      const x = a ?? {};
      const y = b ?? {};
      for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        walk(path ? `${path}.${k}` : k, x[k], y[k], secret || (path === 'environment' && looksSecret(k)));
      }
      return;
    }
    // Environment values are stored as digests (hash.ts): say which key changed, never a value.
    if (path.startsWith('environment.')) {
      out.push(`${path}: ${a === undefined ? 'added' : b === undefined ? 'removed' : 'changed'}`);
      return;
    }
    const show = (v: Canonical | undefined) => (v === undefined ? '(unset)' : secret ? REDACTED : JSON.stringify(v));
    out.push(`${path}: ${show(a)} → ${show(b)}`);
  };
  walk('', before, after, false);
  return out;
}

function short(id: Canonical | undefined): string {
  return String(id).replace(/^sha256:/, '').slice(0, 12);
}
