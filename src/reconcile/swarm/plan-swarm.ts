// The Swarm plan, as data: per service or job create / update / keep / remove / blocked with
// field-level reasons, in dependency order (removals last, dependents first); overlay networks
// and versioned secrets. Pure: observe-swarm.ts reads the engine, execute-swarm.ts carries it out.
import type { Dependency, Manifest } from '../../manifest/types.js';
import { topoLevels } from '../../graph.js';
import { LABEL } from '../labels.js';
import { resourceOfThisManifest } from '../ownership.js';
import type { ObservedSwarm } from './observe-swarm.js';
import { changedFields, type DesiredService, desiredService, FIELDS_LABEL, serviceName } from './service-spec.js';

export type SwarmActionKind = 'create' | 'update' | 'keep' | 'remove' | 'blocked';

export interface SwarmAction {
  name: string; // entry key
  kind: 'service' | 'job';
  action: SwarmActionKind;
  reasons: string[];
  service: string; // the Swarm service's name
  serviceId?: string;
  /** The object version read by observe (an update sends it back). */
  version?: number;
  dependsOn: Dependency[];
  desired?: DesiredService;
  /** update: the field groups that changed (service-spec.ts). */
  changed?: string[];
  /** Dependency level (0 = none); actions of one level may run at once. */
  level: number;
}

export interface SwarmNetworkStep {
  key: string;
  name: string;
  action: 'create' | 'keep' | 'blocked';
  reason: string;
  external: boolean;
  labels: Record<string, string>;
  internal: boolean;
}

export interface SwarmSecretStep {
  /** A Swarm secret or a Swarm config. */
  kind: 'secret' | 'config';
  name: string;
  /** missing: an `external` one that is not on the swarm (its services fail; nothing is created). */
  action: 'create' | 'keep' | 'remove' | 'missing';
  /** `external: true`: referenced by name, never created nor removed. */
  external?: boolean;
  /** The digest of the value in Manifest.fileContents (create); the id on the engine (keep, remove). */
  digest?: string;
  id?: string;
}

export interface SwarmPlan {
  fleet: string;
  target: 'swarm';
  networks: SwarmNetworkStep[];
  secrets: SwarmSecretStep[];
  actions: SwarmAction[];
}

function ours(labels: Record<string, string>, m: Manifest): boolean {
  return labels[LABEL.fleet] === m.name && labels[LABEL.origin] === m.origin;
}

function parseFields(text: string | undefined): Record<string, string> {
  try {
    const v = JSON.parse(text ?? '{}');
    return typeof v === 'object' && v !== null ? v : {};
  } catch {
    return {};
  }
}

function imageOf(spec: Record<string, unknown> | undefined): string | undefined {
  const cs = (spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec;
  return cs?.Image;
}

interface PortConfig { Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }

function endpointOf(spec: Record<string, unknown> | undefined): { Mode?: string; Ports?: PortConfig[] } {
  return (spec?.EndpointSpec as { Mode?: string; Ports?: PortConfig[] } | undefined) ?? {};
}

/** "ports changed", naming the ports whose publish mode alone changed (`8080:80/tcp publish mode ingress → host`). */
function portsReason(before: PortConfig[], after: PortConfig[]): string {
  const id = (p: PortConfig) => `${p.PublishedPort !== undefined ? `${p.PublishedPort}:` : ''}${p.TargetPort}/${p.Protocol ?? 'tcp'}`;
  const mode = (p: PortConfig) => p.PublishMode ?? 'ingress';
  const moved = after.flatMap((a) => {
    const b = before.find((x) => id(x) === id(a));
    return b && mode(b) !== mode(a) ? [`${id(a)} publish mode ${mode(b)} → ${mode(a)}`] : [];
  });
  const others = after.length !== before.length || after.some((a) => !before.some((b) => id(b) === id(a)));
  return moved.length === 0 ? 'ports changed' : `ports changed: ${moved.join(', ')}${others ? '; others added or removed' : ''}`;
}

export function planSwarm(m: Manifest, o: ObservedSwarm): SwarmPlan {
  const entries = [...m.jobs, ...m.services];
  const byName = new Map(o.services.map((s) => [s.name, s]));
  const edges = new Map(entries.map((e) => [e.name, e.dependsOn.map((d) => d.name)]));
  const levels = topoLevels(entries.map((e) => e.name), edges);
  const levelOf = new Map<string, number>();
  levels.forEach((l, i) => l.forEach((n) => levelOf.set(n, i)));

  const actions: SwarmAction[] = [];
  for (const e of entries.slice().sort((a, b) => levelOf.get(a.name)! - levelOf.get(b.name)! || a.name.localeCompare(b.name))) {
    const desired = desiredService(m, e);
    const name = serviceName(m.name, e.name);
    const base = { name: e.name, kind: e.kind, service: name, dependsOn: e.dependsOn, desired, level: levelOf.get(e.name)! };
    const have = byName.get(name);
    if (!have) {
      actions.push({ ...base, action: 'create', reasons: ['not on the swarm'] });
      continue;
    }
    const at = { serviceId: have.id, version: have.version };
    if (!ours(have.labels, m)) {
      const why = have.labels[LABEL.fleet] === m.name ? `service ${name} was applied from another manifest (${have.labels[LABEL.origin] ?? 'unknown'})` : `service ${name} exists but dom0 did not create it for this fleet; remove or rename it`;
      actions.push({ ...base, ...at, action: 'blocked', reasons: [why] });
      continue;
    }
    if (have.labels[LABEL.hash] === desired.hash) {
      actions.push({ ...base, ...at, action: 'keep', reasons: ['up to date'] });
      continue;
    }
    const changed = changedFields(parseFields(have.labels[FIELDS_LABEL]), desired.fields);
    const reasons = changed.map((f) => {
      if (f === 'image') return `image ${imageOf(have.spec) ?? '?'} → ${e.image}`;
      if (f === 'endpoint_mode') return `endpoint_mode ${endpointOf(have.spec).Mode ?? 'vip'} → ${endpointOf(desired.spec).Mode ?? 'vip'}`;
      if (f === 'ports') return portsReason(endpointOf(have.spec).Ports ?? [], endpointOf(desired.spec).Ports ?? []);
      return `${f} changed`;
    });
    if (have.updateState === 'rollback_completed' || have.updateState === 'rollback_paused') reasons.push(`the last update was rolled back (${have.updateMessage ?? have.updateState})`);
    actions.push({ ...base, ...at, action: 'update', reasons: reasons.length ? reasons : ['spec changed'], changed });
  }

  // Orphans: this manifest's services no longer declared (disabled profiles are not orphans). Dependents first.
  const declared = new Set([...entries.map((e) => e.name), ...(m.disabled ?? [])]);
  const orphans = o.services
    .filter((s) => ours(s.labels, m) && s.labels[LABEL.name] && !declared.has(s.labels[LABEL.name]!))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const s of orphans) {
    const kind = s.labels[LABEL.kind] === 'job' ? 'job' : 'service';
    actions.push({ name: s.labels[LABEL.name]!, kind, action: 'remove', reasons: ['no longer in the manifest'], service: s.name, serviceId: s.id, version: s.version, dependsOn: [], level: levels.length });
  }

  const fleetLabels = { [LABEL.fleet]: m.name, [LABEL.origin]: m.origin };
  const networks: SwarmNetworkStep[] = Object.values(m.networks).map((n) => {
    const have = o.networks.find((x) => x.name === n.name);
    const labels = { ...n.labels, ...fleetLabels, [LABEL.networkKey]: n.key };
    const step = { key: n.key, name: n.name, external: n.external, labels, internal: n.internal };
    if (n.external) return have ? { ...step, action: 'keep' as const, reason: 'external' } : { ...step, action: 'blocked' as const, reason: `external network ${n.name} does not exist` };
    if (!have) return { ...step, action: 'create' as const, reason: 'overlay, attachable' };
    if (!resourceOfThisManifest(have.labels, m)) return { ...step, action: 'blocked' as const, reason: `network ${n.name} exists but dom0 did not create it for this fleet` };
    return { ...step, action: 'keep' as const, reason: 'exists' };
  });

  // Secrets, then configs (separate namespaces on a Swarm): each wanted one created or kept, this
  // manifest's others removed; an external one only looked up.
  const secrets: SwarmSecretStep[] = [];
  for (const kind of ['secret', 'config'] as const) {
    const observed = kind === 'secret' ? o.secrets : o.configs;
    const wanted = new Map<string, { digest: string; external: boolean }>();
    for (const a of actions) for (const s of a.desired?.secrets ?? []) if (s.kind === kind) wanted.set(s.name, s);
    for (const [name, w] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
      const have = observed.find((s) => s.name === name);
      if (w.external) secrets.push(have ? { kind, name, action: 'keep', external: true, id: have.id } : { kind, name, action: 'missing', external: true });
      else secrets.push(have ? { kind, name, action: 'keep', id: have.id } : { kind, name, action: 'create', digest: w.digest });
    }
    for (const s of observed) if (ours(s.labels, m) && !wanted.has(s.name)) secrets.push({ kind, name: s.name, action: 'remove', id: s.id });
  }

  return { fleet: m.name, target: 'swarm', networks, secrets, actions };
}

/** Nothing to do: every action keeps. */
export function isNoop(p: SwarmPlan): boolean {
  return p.actions.every((a) => a.action === 'keep') && p.networks.every((n) => n.action !== 'create') && p.secrets.every((s) => s.action === 'keep');
}
