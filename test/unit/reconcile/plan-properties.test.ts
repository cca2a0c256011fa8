// Properties of plan() over random fleets × random engine states.
//
// Manifests: random DAGs of volume containers, jobs and services (each entry depends only on
// earlier ones, so the graph is acyclic), random env (some keys secret-looking), commands and
// container names. Engine states: per entry absent, owned and in sync, owned with an old config,
// another fleet's, unmanaged, labels copied with a forged hash, owned by this fleet under another
// entry or kind (a removed entry, or an entry whose container_name changed); leftover
// NAME.dom0-next replacements; orphans of this and other fleets.
//
// What must hold, whatever the input:
// - a container dom0 does not own (unmanaged, another fleet's, forged labels) is only ever
//   `blocked`, or replaced by recreate/run under --adopt; never removed, cleaned up or renamed;
// - a volume container of this fleet is never recreated or removed; a volume entry's action is
//   create/keep/blocked, or an adopt-recreate of a container that is not one of ours;
// - dependencies come before their dependents in plan.actions;
// - plan is deterministic (same input → deep-equal output, whatever the engine's list order);
// - values of secret-looking env keys never appear in a reason;
// - no container is the target of two actions in one plan.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ContainerSpec, DependsCondition, Dependency, Manifest, VolumeContainerSpec } from '../../../src/manifest/types.js';
import { hashCanonical, hashedSpec } from '../../../src/reconcile/hash.js';
import { LABEL, replacementName } from '../../../src/reconcile/labels.js';
import type { Observed, ObservedContainer } from '../../../src/reconcile/observe.js';
import { ownershipOf } from '../../../src/reconcile/ownership.js';
import { plan, type Plan, type PlanOptions } from '../../../src/reconcile/plan.js';
import { looksSecret } from '../../../src/redact.js';
import { IMAGE_ID, container, job, manifest, observed, svc, vol } from './build.js';

const FLEET = 'fleet';
const OTHER = 'other';
const RUNS = { numRuns: 200 };

// ------------------------------------------------------------------ manifests

const SECRET_KEYS = ['DB_PASSWORD', 'API_TOKEN', 'SECRET_KEY', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'SMTP_PASSWORD'];
const PLAIN_KEYS = ['MODE', 'PORT', 'LOG_LEVEL', 'HOSTNAME_HINT', 'FEATURE'];

/** Secret values carry a marker that nothing else in a plan contains. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((s) => `zq${s}`);
const plainValue = fc.constantFrom('1', 'on', 'debug', '8080', 'x y');

const envArb = fc
  .tuple(
    fc.uniqueArray(fc.constantFrom(...SECRET_KEYS), { maxLength: 3 }),
    fc.uniqueArray(fc.constantFrom(...PLAIN_KEYS), { maxLength: 2 }),
  )
  .chain(([sk, pk]) =>
    fc.tuple(fc.array(secretValue, { minLength: sk.length, maxLength: sk.length }), fc.array(plainValue, { minLength: pk.length, maxLength: pk.length })).map(
      ([sv, pv]) => ({ ...Object.fromEntries(sk.map((k, i) => [k, sv[i]!])), ...Object.fromEntries(pk.map((k, i) => [k, pv[i]!])) }),
    ),
  );

const commandArb = fc.option(
  fc.constantFrom(['sleep', '2147483647'], ['sh', '-c', 'exit 0'], ['true'], ['sleep', '5']).map((c) => [...c]),
  { nil: undefined },
);

interface EntryDraft {
  kind: 'volume' | 'job' | 'service';
  ownName: boolean; // container_name = key, or a distinct one
  env: Record<string, string>;
  command?: string[];
  deps: Array<{ on: number; condition: DependsCondition; restart: boolean; link: boolean }>;
}

const entryDraft = (i: number): fc.Arbitrary<EntryDraft> =>
  fc.record({
    kind: fc.constantFrom('volume' as const, 'job' as const, 'service' as const, 'service' as const),
    ownName: fc.boolean(),
    env: envArb,
    command: commandArb,
    deps: fc.uniqueArray(
      fc.record({
        on: fc.nat({ max: Math.max(0, i - 1) }),
        condition: fc.constantFrom<DependsCondition>('service_started', 'service_healthy', 'service_completed_successfully'),
        restart: fc.boolean(),
        link: fc.boolean(),
      }),
      { maxLength: i === 0 ? 0 : 3, selector: (d) => d.on },
    ),
  });

const draftsArb = fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => entryDraft(i))));

/** Drafts → a normalized manifest that the loader could have produced (conditions fit the dependency's kind). */
function buildManifest(drafts: EntryDraft[]): Manifest {
  const names = drafts.map((_, i) => `e${i}`);
  const cname = (i: number) => (drafts[i]!.ownName ? names[i]! : `c-${i}`);
  const volumes: VolumeContainerSpec[] = [];
  const jobs: ContainerSpec[] = [];
  const services: ContainerSpec[] = [];
  drafts.forEach((d, i) => {
    if (d.kind === 'volume') {
      volumes.push({ ...vol(names[i]!, [`/data${i}`]), containerName: cname(i), ...(d.command ? { command: d.command } : {}) });
      return;
    }
    const dependsOn: Dependency[] = [];
    const volumesFrom: ContainerSpec['volumesFrom'] = [];
    const links: ContainerSpec['links'] = [];
    for (const dep of d.deps) {
      const on = drafts[dep.on]!;
      const name = names[dep.on]!;
      if (on.kind === 'volume') {
        volumesFrom.push({ name, readOnly: false });
        dependsOn.push({ name, condition: 'service_started', restart: false, required: true, implicit: 'volumes_from' });
        continue;
      }
      const condition: DependsCondition =
        on.kind === 'job' ? 'service_completed_successfully' : dep.condition === 'service_completed_successfully' ? 'service_started' : dep.condition;
      const link = dep.link && on.kind === 'service';
      if (link) links.push({ name, alias: name });
      dependsOn.push({ name, condition, restart: dep.restart, required: true, ...(link && !dep.restart ? { implicit: 'links' as const } : {}) });
    }
    dependsOn.sort((a, b) => a.name.localeCompare(b.name));
    const over: Partial<ContainerSpec> = {
      containerName: cname(i),
      environment: d.env,
      dependsOn,
      volumesFrom,
      links,
      init: true,
      ...(d.command ? { command: d.command } : {}),
    };
    if (d.kind === 'job') jobs.push(job(names[i]!, over));
    else services.push(svc(names[i]!, { ...over, restart: { name: 'unless-stopped' } }));
  });
  return manifest({ name: FLEET, volumes, jobs, services });
}

// ------------------------------------------------------------------ engine states

type Presence =
  | 'absent'
  | 'owned' // this fleet, this entry, current config
  | 'stale' // this fleet, this entry, an older config (consistent labels)
  | 'other-fleet' // dom0's labels, another fleet
  | 'unmanaged' // no labels at all
  | 'forged' // this fleet's labels copied, hash does not match the spec label
  | 'forged-spec' // this fleet's labels, spec label not JSON
  | 'sibling' // this fleet, but owned by another entry of another kind (e.g. an old volume container)
  | 'orphan-name' // this fleet, an entry that left the manifest, holding this entry's container name
  | 'other-entry'; // this fleet, ANOTHER entry of the manifest (its container_name changed), holding this one's name

const presenceArb = fc.constantFrom<Presence>(
  'absent',
  'owned',
  'stale',
  'other-fleet',
  'unmanaged',
  'forged',
  'forged-spec',
  'sibling',
  'orphan-name',
  'other-entry',
);
const stateArb = fc.constantFrom<ObservedContainer['state']>('running', 'exited', 'created', 'restarting', 'paused', 'dead');
const replacementArb = fc.constantFrom('none', 'none', 'owned', 'stale', 'foreign', 'forged');

interface EngineDraft {
  presence: Presence;
  state: ObservedContainer['state'];
  exitCode: number;
  staleEnv: Record<string, string>;
  replacement: string;
}

const engineDraft: fc.Arbitrary<EngineDraft> = fc.record({
  presence: presenceArb,
  state: stateArb,
  exitCode: fc.constantFrom(0, 0, 1, 137),
  staleEnv: envArb,
  replacement: replacementArb,
});

interface OrphanDraft {
  owner: 'this' | 'other' | 'unmanaged' | 'forged';
  kind: 'service' | 'job' | 'volume';
  name: string;
  env: Record<string, string>;
}

const orphanArb: fc.Arbitrary<OrphanDraft> = fc.record({
  owner: fc.constantFrom('this' as const, 'other' as const, 'unmanaged' as const, 'forged' as const),
  kind: fc.constantFrom('service' as const, 'job' as const, 'volume' as const),
  name: fc.constantFrom('gone', 'old-db', 'legacy', 'e0', 'e1'),
  env: envArb,
});

function specLike(kind: 'service' | 'job' | 'volume', name: string, containerName: string, env: Record<string, string>): ContainerSpec | VolumeContainerSpec {
  if (kind === 'volume') return { ...vol(name), containerName };
  return (kind === 'job' ? job : svc)(name, { containerName, environment: env });
}

/** dom0's labels for `spec` with the hash replaced: a copy that does not check out. */
function forgedLabels(spec: ContainerSpec | VolumeContainerSpec, fleet: string, how: 'hash' | 'spec'): Record<string, string> {
  const s = hashedSpec(spec, IMAGE_ID);
  return {
    [LABEL.fleet]: fleet,
    [LABEL.kind]: spec.kind,
    [LABEL.name]: spec.name,
    [LABEL.hash]: how === 'hash' ? hashCanonical({ forged: true }) : hashCanonical(s),
    [LABEL.spec]: how === 'hash' ? JSON.stringify(s) : '{not json',
  };
}

function buildObserved(m: Manifest, drafts: EngineDraft[], orphans: OrphanDraft[], unmanagedExtra: number, imagePresent: boolean): Observed {
  const out: ObservedContainer[] = [];
  const all = [...m.volumeContainers, ...m.jobs, ...m.services].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  all.forEach((e, i) => {
    const d = drafts[i % drafts.length]!;
    const st = { state: e.kind === 'volume' && d.state === 'running' ? 'created' : d.state, exitCode: d.exitCode } as const;
    const stale = e.kind === 'volume' ? { ...e, paths: [...e.paths, '/old'] } : { ...e, environment: d.staleEnv, command: ['old'] };
    switch (d.presence) {
      case 'absent':
        break;
      case 'owned':
        out.push(container(e, st));
        break;
      case 'stale':
        out.push(container(stale, st));
        break;
      case 'other-fleet':
        out.push(container(e, { ...st, fleet: OTHER }));
        break;
      case 'unmanaged':
        out.push(container(e, { ...st, labels: {} }));
        break;
      case 'forged':
        out.push(container(e, { ...st, labels: forgedLabels(e, FLEET, 'hash') }));
        break;
      case 'forged-spec':
        out.push(container(e, { ...st, labels: forgedLabels(e, FLEET, 'spec') }));
        break;
      case 'sibling': {
        const other = specLike(e.kind === 'volume' ? 'service' : 'volume', e.name, e.containerName, d.staleEnv);
        out.push(container(other, { ...st, name: e.containerName }));
        break;
      }
      case 'orphan-name':
        out.push(container(specLike(e.kind, `${e.name}-old`, e.containerName, d.staleEnv), { ...st, name: e.containerName }));
        break;
      case 'other-entry': {
        const other = all[(i + 1) % all.length]!;
        out.push(container(other, { ...st, name: e.containerName }));
        break;
      }
    }
    const next = replacementName(e.containerName);
    switch (d.replacement) {
      case 'owned':
        out.push(container(e, { state: 'created', name: next }));
        break;
      case 'stale':
        out.push(container(stale, { state: 'created', name: next }));
        break;
      case 'foreign':
        out.push(container(e, { state: 'created', name: next, fleet: OTHER }));
        break;
      case 'forged':
        out.push(container(e, { state: 'created', name: next, labels: forgedLabels(e, FLEET, 'hash') }));
        break;
    }
  });
  const taken = new Set(out.map((c) => c.name));
  orphans.forEach((o, i) => {
    const name = `orphan-${o.name}-${i}`;
    if (taken.has(name)) return;
    taken.add(name);
    const spec = specLike(o.kind, o.name, name, o.env);
    const labels =
      o.owner === 'unmanaged' ? {} : o.owner === 'forged' ? forgedLabels(spec, FLEET, 'hash') : undefined;
    out.push(container(spec, { name, fleet: o.owner === 'other' ? OTHER : FLEET, ...(labels ? { labels } : {}) }));
  });
  for (let i = 0; i < unmanagedExtra; i++) out.push(container(svc(`stray${i}`), { labels: {}, name: `stray${i}` }));
  // Stable IDs, independent of how many containers other runs built.
  const containers = out.map((c, i) => ({ ...c, id: `cid-${i}` }));
  return observed(containers, imagePresent ? IMAGE_ID : undefined);
}

const caseArb = draftsArb.chain((drafts) =>
  fc.record({
    drafts: fc.constant(drafts),
    engine: fc.array(engineDraft, { minLength: drafts.length, maxLength: drafts.length }),
    orphans: fc.array(orphanArb, { maxLength: 4 }),
    strays: fc.nat({ max: 2 }),
    imagePresent: fc.boolean(),
    adopt: fc.boolean(),
    startStopped: fc.boolean(),
  }),
);

interface Case {
  m: Manifest;
  o: Observed;
  opts: PlanOptions;
}

const cases: fc.Arbitrary<Case> = caseArb.map((c) => {
  const m = buildManifest(c.drafts);
  return { m, o: buildObserved(m, c.engine, c.orphans, c.strays, c.imagePresent), opts: { adopt: c.adopt, startStopped: c.startStopped } };
});

const withAdopt = (adopt: boolean): fc.Arbitrary<Case> => cases.map((c) => ({ ...c, opts: { ...c.opts, adopt } }));

// ------------------------------------------------------------------ helpers

type Who = 'mine' | 'this-fleet-volume' | 'foreign';

/**
 * Who a container belongs to, recomputed from its labels alone: 'foreign' = not this fleet's by
 * consistent labels (unmanaged, another fleet's, forged); 'this-fleet-volume' = one of this
 * fleet's volume containers (whichever entry).
 */
function classify(c: ObservedContainer, fleet: string): Who[] {
  const owner = ownershipOf(c, undefined);
  if (!owner || owner.fleet !== fleet) return ['foreign'];
  return owner.kind === 'volume' ? ['mine', 'this-fleet-volume'] : ['mine'];
}

function whoById(p: Case): Map<string, Who[]> {
  return new Map(p.o.containers.map((c) => [c.id, classify(c, p.m.name)]));
}

const describeCase = (c: Case, p: Plan) =>
  JSON.stringify(
    {
      entries: [...c.m.volumeContainers, ...c.m.jobs, ...c.m.services].map((e) => ({ kind: e.kind, name: e.name, container: e.containerName })),
      observed: c.o.containers.map((x) => ({ id: x.id, name: x.name, state: x.state, owner: x.owner && `${x.owner.fleet}/${x.owner.kind}/${x.owner.name}` })),
      opts: c.opts,
      plan: p.actions.map((a) => ({ name: a.name, kind: a.kind, action: a.action, id: a.containerId, cleanup: a.cleanupIds, finish: a.finishReplacementId, adopt: a.adopt, replace: a.replace })),
    },
    null,
    1,
  );

// ------------------------------------------------------------------ properties

describe('plan properties', () => {
  it('never removes, cleans up or renames a container dom0 does not own; replaces one only under --adopt', () => {
    const seen = { blocked: 0, adopted: 0, orphansRemoved: 0 };
    fc.assert(
      fc.property(cases, (c) => {
        const p = plan(c.m, c.o, c.opts);
        const who = whoById(c);
        const foreign = (id: string | undefined) => id !== undefined && who.get(id)!.includes('foreign');
        for (const a of p.actions) {
          const ctx = () => `${a.name} (${a.action})\n${describeCase(c, p)}`;
          for (const id of a.cleanupIds) expect(foreign(id), `cleanup of a foreign container: ${ctx()}`).toBe(false);
          expect(foreign(a.finishReplacementId), `rename of a foreign container: ${ctx()}`).toBe(false);
          if (a.action === 'remove') seen.orphansRemoved++;
          if (!foreign(a.containerId)) {
            if (a.action === 'blocked') seen.blocked++;
            continue;
          }
          expect(a.action, `remove of a foreign container: ${ctx()}`).not.toBe('remove');
          if (a.action === 'blocked') continue;
          seen.adopted++;
          // the only other thing allowed: an explicit adopt, which replaces it (volumes kept)
          expect(c.opts.adopt, `acts on a foreign container without --adopt: ${ctx()}`).toBe(true);
          expect(['recreate', 'run'], ctx()).toContain(a.action);
          expect(a.adopt && a.replace, ctx()).toBe(true);
        }
        if (!c.opts.adopt) {
          for (const a of p.actions) if (foreign(a.containerId)) expect(a.action).toBe('blocked');
        }
      }),
      RUNS,
    );
    // the generator does reach the interesting branches
    expect(seen.blocked).toBeGreaterThan(0);
    expect(seen.adopted).toBeGreaterThan(0);
    expect(seen.orphansRemoved).toBeGreaterThan(0);
  });

  const volumeSafety = (c: Case) => {
    const p = plan(c.m, c.o, c.opts);
    const who = whoById(c);
    const names = new Map(c.o.containers.map((x) => [x.id, x.name]));
    const ourVolume = (id: string | undefined) => id !== undefined && who.get(id)!.includes('this-fleet-volume');
    const entryCount = c.m.volumeContainers.length + c.m.jobs.length + c.m.services.length;
    for (const [i, a] of p.actions.entries()) {
      const ctx = () => `${a.name} (${a.action})\n${describeCase(c, p)}`;
      // entries first, then orphans
      if (i < entryCount && a.kind === 'volume') {
        if (a.action === 'recreate') {
          expect(c.opts.adopt && a.adopt, `volume recreate without adopt: ${ctx()}`).toBe(true);
          expect(ourVolume(a.containerId), `adopt-recreate of one of our volume containers: ${ctx()}`).toBe(false);
        } else {
          expect(['create', 'keep', 'blocked'], ctx()).toContain(a.action);
        }
      }
      if (a.kind === 'volume') expect(a.action, ctx()).not.toBe('remove');
      // whatever the entry, a volume container of ours is never the target of a replace or remove
      if (ourVolume(a.containerId)) {
        expect(a.action === 'remove' || a.replace === true, `replaces/removes volume container ${a.containerId}: ${ctx()}`).toBe(false);
      }
      // leftover replacements (NAME.dom0-next) are the only volume-labelled containers cleanup may remove
      for (const id of a.cleanupIds) if (ourVolume(id)) expect(names.get(id)!.endsWith('.dom0-next'), ctx()).toBe(true);
    }
  };

  it('never recreates or removes a volume container (without --adopt)', () => {
    fc.assert(fc.property(withAdopt(false), volumeSafety), RUNS);
  });

  // --adopt is for containers dom0 did not create; a volume container of this very fleet is not one.
  it('never recreates or removes a volume container of this fleet, even with --adopt', () => {
    fc.assert(fc.property(withAdopt(true), volumeSafety), RUNS);
  });

  it('orders every dependency before its dependents, each entry exactly once', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const p = plan(c.m, c.o, c.opts);
        const all = [...c.m.volumeContainers, ...c.m.jobs, ...c.m.services];
        const entryActions = p.actions.slice(0, all.length);
        expect(entryActions.map((a) => a.name).sort()).toEqual(all.map((e) => e.name).sort());
        const at = new Map(entryActions.map((a, i) => [a.name, i]));
        for (const e of all) {
          if (e.kind === 'volume') continue;
          for (const d of e.dependsOn) expect(at.get(d.name)!, `${d.name} after ${e.name}\n${describeCase(c, p)}`).toBeLessThan(at.get(e.name)!);
        }
      }),
      RUNS,
    );
  });

  it('is deterministic: same input → deep-equal plan, whatever order the engine lists containers in', () => {
    fc.assert(
      fc.property(cases, fc.nat(), (c, seed) => {
        const first = plan(c.m, c.o, c.opts);
        expect(plan(c.m, c.o, c.opts)).toEqual(first);
        expect(plan(structuredClone(c.m), structuredClone(c.o), { ...c.opts })).toEqual(first);
        // a rotation of the engine's list
        const k = c.o.containers.length ? seed % c.o.containers.length : 0;
        const rotated = { ...c.o, containers: [...c.o.containers.slice(k), ...c.o.containers.slice(0, k)] };
        expect(plan(c.m, rotated, c.opts)).toEqual(first);
      }),
      RUNS,
    );
  });

  it('never shows the value of a secret-looking env var in a reason', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const p = plan(c.m, c.o, c.opts);
        const secrets = new Set<string>();
        const collect = (env: unknown) => {
          if (!env || typeof env !== 'object') return;
          for (const [k, v] of Object.entries(env as Record<string, unknown>)) if (looksSecret(k) && typeof v === 'string') secrets.add(v);
        };
        for (const e of [...c.m.jobs, ...c.m.services]) collect(e.environment);
        for (const x of c.o.containers) collect(x.owner?.spec.environment);
        const text = p.actions.flatMap((a) => a.reasons).join('\n');
        for (const s of secrets) expect(text, `secret ${s} in reasons:\n${text}`).not.toContain(s);
      }),
      RUNS,
    );
  });

  const oncePerContainer = (c: Case) => {
    const p = plan(c.m, c.o, c.opts);
    const seen = new Map<string, string>();
    for (const a of p.actions) {
      // the container an action works on (a finished replacement is renamed, then worked on: one container)
      const touched = a.action === 'blocked' || a.action === 'keep' || a.action === 'done' ? [] : [a.containerId];
      const ids = new Set([...touched, ...a.cleanupIds, a.finishReplacementId].filter((x): x is string => x !== undefined));
      for (const id of ids) {
        expect(seen.get(id), `${id} acted on by ${seen.get(id)} and ${a.name} (${a.action})\n${describeCase(c, p)}`).toBeUndefined();
        seen.set(id, `${a.name} (${a.action})`);
      }
    }
  };

  it('acts on each container at most once per plan (without --adopt)', () => {
    fc.assert(fc.property(withAdopt(false), oncePerContainer), RUNS);
  });

  // Always also tried: job e1's container_name changed, and service e0 now uses e1's old name.
  // Random search finds this only in some runs (jobs are planned before services).
  const movedJobAndAdopt = (): Case => {
    const draft = (kind: EntryDraft['kind']): EntryDraft => ({ kind, ownName: true, env: {}, deps: [] });
    const m = buildManifest([draft('service'), draft('job')]);
    const at = (presence: Presence): EngineDraft => ({ presence, state: 'exited', exitCode: 0, staleEnv: {}, replacement: 'none' });
    return { m, o: buildObserved(m, [at('other-entry'), at('absent')], [], 0, true), opts: { adopt: true } };
  };

  it('acts on each container at most once per plan (with --adopt)', () => {
    fc.assert(fc.property(withAdopt(true), oncePerContainer), { ...RUNS, examples: [[movedJobAndAdopt()]] });
  });
});
