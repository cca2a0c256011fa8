// A manifest entry as a Swarm ServiceSpec (the Engine API's JSON), with the labels that say dom0
// made it, a hash per field group (what `plan` names when one changes) and the spec hash. Pure.
import { createHash } from 'node:crypto';
import type { ServiceSpec } from '../../engine/swarm-engine.js';
import type { SwarmDeploy, SwarmUpdateConfig } from '../../manifest/swarm.js';
import type { ContainerSpec, Manifest, Mount } from '../../manifest/types.js';
import { type Canonical, canonicalize, hashCanonical } from '../hash.js';
import { LABEL } from '../labels.js';
import { backingVolumeName } from '../volume-backing.js';

/** On each service dom0 creates: the hash of each field group, as JSON (no values: env values never show). */
export const FIELDS_LABEL = 'io.dom0.swarm-fields';

const NS = 1_000_000; // nanoseconds per millisecond

/** The service of an entry: `<fleet>_<entry>`, as `docker stack deploy` names them. */
export function serviceName(fleet: string, entry: string): string {
  return `${fleet}_${entry}`;
}

/** A secret's versioned name: its content changes make a new one (Swarm secrets are immutable). */
export function secretName(fleet: string, target: string, digest: string): string {
  const slug = target.replace(/^\/+/, '').replace(/[^a-zA-Z0-9_.-]+/g, '_').slice(-40) || 'secret';
  return `${fleet}_${slug}_${digest.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** The defaults dom0 sends when `deploy.update_config` leaves them out: a failed update rolls back. */
export const DEFAULT_UPDATE: Required<Pick<SwarmUpdateConfig, 'parallelism' | 'failureAction' | 'monitorMs' | 'order'>> = {
  parallelism: 1,
  failureAction: 'rollback',
  monitorMs: 5000,
  order: 'stop-first',
};

export interface DesiredService {
  entry: string;
  kind: 'service' | 'job';
  /** Sent to the engine; each secret's SecretID is filled in by execute (it is known only there). */
  spec: ServiceSpec;
  hash: string;
  /** field group → 12-hex digest. */
  fields: Record<string, string>;
  /** The Swarm secrets and configs this service mounts (ids filled in by execute). */
  secrets: SwarmFileRef[];
}

/** A Swarm secret or config a service mounts. */
export interface SwarmFileRef {
  kind: 'secret' | 'config';
  name: string;
  /** The digest of the value in Manifest.fileContents; '' for an external one. */
  digest: string;
  /** `external: true`: an existing object dom0 references by name, never creates nor removes. */
  external: boolean;
}

function digest(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonicalize(v) ?? null)).digest('hex').slice(0, 12);
}

function updateConfig(c: SwarmUpdateConfig | undefined, defaults: SwarmUpdateConfig): Record<string, unknown> {
  const m = { ...defaults, ...c };
  return {
    ...(m.parallelism !== undefined ? { Parallelism: m.parallelism } : {}),
    ...(m.delayMs !== undefined ? { Delay: m.delayMs * NS } : {}),
    ...(m.failureAction !== undefined ? { FailureAction: m.failureAction } : {}),
    ...(m.monitorMs !== undefined ? { Monitor: m.monitorMs * NS } : {}),
    ...(m.maxFailureRatio !== undefined ? { MaxFailureRatio: m.maxFailureRatio } : {}),
    ...(m.order !== undefined ? { Order: m.order } : {}),
  };
}

function mounts(m: Manifest, e: ContainerSpec, fleetLabels: Record<string, string>): Array<Record<string, unknown>> {
  const volumeLabels = (key: string) => ({ ...fleetLabels, [LABEL.volumeKey]: key });
  const out: Array<Record<string, unknown>> = [];
  const one = (x: Mount) => {
    switch (x.type) {
      case 'volume': {
        const v = m.volumes[x.source];
        const name = v?.name ?? x.source;
        out.push({
          Type: 'volume', Source: name, Target: x.target, ReadOnly: x.readOnly,
          VolumeOptions: { ...(x.noCopy ? { NoCopy: true } : {}), ...(v && !v.external ? { Labels: { ...v.labels, ...volumeLabels(x.source) }, ...(v.driver ? { DriverConfig: { Name: v.driver, Options: v.driverOpts } } : {}) } : {}) },
        });
        return;
      }
      case 'anonymous': {
        // A per-task anonymous volume would be left behind by every update: a named one is re-attached.
        const name = backingVolumeName(m.name, e.name, x.target);
        out.push({ Type: 'volume', Source: name, Target: x.target, ReadOnly: x.readOnly, VolumeOptions: { Labels: { ...fleetLabels, [LABEL.entry]: e.name, [LABEL.path]: x.target } } });
        return;
      }
      case 'bind':
        out.push({ Type: 'bind', Source: x.source, Target: x.target, ReadOnly: x.readOnly, ...(x.bindPropagation ? { BindOptions: { Propagation: x.bindPropagation } } : {}) });
        return;
      case 'tmpfs':
        out.push({ Type: 'tmpfs', Target: x.target, TmpfsOptions: { ...(x.sizeBytes !== undefined ? { SizeBytes: x.sizeBytes } : {}), ...(x.mode !== undefined ? { Mode: x.mode } : {}) } });
        return;
    }
  };
  e.volumes.forEach(one);
  // A volume container's paths are named volumes on a Swarm (rules reject any other volumes_from).
  for (const f of e.volumesFrom) {
    const vc = m.volumeContainers.find((v) => v.name === f.name);
    for (const p of vc?.paths ?? []) {
      out.push({ Type: 'volume', Source: backingVolumeName(m.name, vc!.name, p), Target: p, ReadOnly: f.readOnly, VolumeOptions: { Labels: { ...fleetLabels, [LABEL.entry]: vc!.name, [LABEL.path]: p } } });
    }
  }
  for (const t of e.tmpfs) {
    const [target, opts] = t.split(':');
    const size = /size=(\d+)/.exec(opts ?? '')?.[1];
    out.push({ Type: 'tmpfs', Target: target, TmpfsOptions: size ? { SizeBytes: Number(size) } : {} });
  }
  return out;
}

function restartPolicy(e: ContainerSpec): Record<string, unknown> {
  const r = e.restart;
  if (r.name === 'no') return { Condition: 'none' };
  if (r.name === 'on-failure') return { Condition: 'on-failure', ...(r.maxRetries !== undefined ? { MaxAttempts: r.maxRetries } : {}) };
  return { Condition: 'any' };
}

/** The Swarm service for one service or job of a `target: swarm` manifest. */
export function desiredService(m: Manifest, e: ContainerSpec): DesiredService {
  const deploy: SwarmDeploy = m.swarmDeploy?.[e.name] ?? { mode: 'replicated', labels: {}, constraints: [] };
  const fleetLabels = { [LABEL.fleet]: m.name, [LABEL.origin]: m.origin };
  const secrets = (e.fileCopies ?? []).map((f) => ({
    kind: f.config ? ('config' as const) : ('secret' as const),
    name: f.external ?? secretName(m.name, f.target, f.digest),
    digest: f.external ? '' : f.digest,
    external: f.external !== undefined,
    file: f,
  }));
  const fileRef = (s: (typeof secrets)[number]) => ({ File: { Name: s.file.target, UID: String(s.file.uid ?? 0), GID: String(s.file.gid ?? 0), Mode: s.file.mode }, [s.kind === 'config' ? 'ConfigName' : 'SecretName']: s.name });
  const ofKind = (k: 'secret' | 'config') => secrets.filter((s) => s.kind === k).map(fileRef);

  const hc = e.healthcheck;
  const containerSpec: Record<string, unknown> = {
    Image: e.image,
    ...(e.entrypoint ? { Command: e.entrypoint } : {}),
    ...(e.command ? { Args: e.command } : {}),
    Env: Object.entries(e.environment).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`),
    Labels: { ...e.labels, ...fleetLabels, [LABEL.kind]: e.kind, [LABEL.name]: e.name },
    Mounts: mounts(m, e, fleetLabels),
    ...(hc ? { Healthcheck: { Test: hc.test, ...(hc.intervalMs ? { Interval: hc.intervalMs * NS } : {}), ...(hc.timeoutMs ? { Timeout: hc.timeoutMs * NS } : {}), ...(hc.retries ? { Retries: hc.retries } : {}), ...(hc.startPeriodMs ? { StartPeriod: hc.startPeriodMs * NS } : {}) } } : {}),
    ...(e.user ? { User: e.user } : {}),
    ...(e.workingDir ? { Dir: e.workingDir } : {}),
    ...(e.hostname ? { Hostname: e.hostname } : {}),
    ...(e.init ? { Init: true } : {}),
    ...(e.readOnly ? { ReadOnly: true } : {}),
    ...(e.tty ? { TTY: true } : {}),
    ...(e.stdinOpen ? { OpenStdin: true } : {}),
    ...(e.stopSignal ? { StopSignal: e.stopSignal } : {}),
    ...(e.stopGracePeriodMs !== undefined ? { StopGracePeriod: e.stopGracePeriodMs * NS } : {}),
    ...(e.capAdd.length ? { CapabilityAdd: e.capAdd } : {}),
    ...(e.capDrop.length ? { CapabilityDrop: e.capDrop } : {}),
    ...(Object.keys(e.sysctls).length ? { Sysctls: e.sysctls } : {}),
    ...(e.groupAdd?.length ? { Groups: e.groupAdd } : {}),
    ...(e.extraHosts.length ? { Hosts: e.extraHosts.map((h) => { const i = h.indexOf(':'); return `${h.slice(i + 1)} ${h.slice(0, i)}`; }) } : {}),
    ...(e.dns.length || e.dnsSearch.length || e.dnsOpt?.length ? { DNSConfig: { Nameservers: e.dns, Search: e.dnsSearch, Options: e.dnsOpt ?? [] } } : {}),
    ...(ofKind('secret').length ? { Secrets: ofKind('secret') } : {}),
    ...(ofKind('config').length ? { Configs: ofKind('config') } : {}),
  };
  const limits = { ...(e.cpus !== undefined ? { NanoCPUs: Math.round(e.cpus * 1e9) } : {}), ...(e.memLimitBytes !== undefined ? { MemoryBytes: e.memLimitBytes } : {}), ...(e.pidsLimit !== undefined && e.pidsLimit > 0 ? { Pids: e.pidsLimit } : {}) };
  const reservations = e.memReservationBytes !== undefined ? { MemoryBytes: e.memReservationBytes } : {};
  const networks = e.networkMode === 'host' || e.networkMode === 'none'
    ? [{ Target: e.networkMode }]
    : Object.entries(e.networks).sort(([a], [b]) => a.localeCompare(b)).map(([key, a]) => ({ Target: m.networks[key]?.name ?? key, Aliases: [e.name, ...a.aliases.filter((x) => x !== e.name)] }));

  const task: Record<string, unknown> = {
    ContainerSpec: containerSpec,
    Resources: { Limits: limits, Reservations: reservations },
    RestartPolicy: restartPolicy(e),
    Placement: { Constraints: deploy.constraints },
    Networks: networks,
    ...(e.logging?.driver ? { LogDriver: { Name: e.logging.driver, Options: e.logging.options } } : {}),
  };
  const mode = e.kind === 'job'
    ? { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }
    : deploy.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: deploy.replicas ?? 1 } };
  // Each port's publish mode (long syntax `mode:`, default ingress) is in deploy.ports, read with the manifest.
  const published = deploy.ports ?? e.ports.map((p) => ({ ...p, mode: 'ingress' as const }));
  const ports = published.map((p) => ({ Protocol: p.protocol, TargetPort: p.containerPort, ...(p.hostPort ? { PublishedPort: Number(p.hostPort) } : {}), PublishMode: p.mode }));
  const endpointMode = deploy.endpointMode ?? 'vip';

  // Jobs are never updated in place (a finished job is re-run by recreating it): no update configs.
  const update = e.kind === 'job' ? {} : { UpdateConfig: updateConfig(deploy.updateConfig, DEFAULT_UPDATE), RollbackConfig: updateConfig(deploy.rollbackConfig, { parallelism: 1, failureAction: 'pause', order: 'stop-first' }) };

  // Field groups: what a changed hash is reported as. Env values go in as digests only.
  const groups: Record<string, unknown> = {
    image: e.image,
    command: [containerSpec.Command, containerSpec.Args],
    environment: Object.fromEntries(Object.entries(e.environment).map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')])),
    labels: containerSpec.Labels,
    service_labels: deploy.labels,
    mounts: containerSpec.Mounts,
    ports,
    // Absent for vip (the default), so a service keeps the hash it had before endpoint_mode was read.
    endpoint_mode: endpointMode === 'vip' ? undefined : endpointMode,
    healthcheck: containerSpec.Healthcheck,
    replicas: mode,
    placement: deploy.constraints,
    resources: task.Resources,
    restart: task.RestartPolicy,
    update_config: update,
    networks,
    secrets: secrets.filter((s) => s.kind === 'secret').map((s) => [s.name, s.file.target, s.file.uid, s.file.gid, s.file.mode]),
    // Absent when there are none, so a service without configs keeps the hash it had before configs existed.
    configs: ofKind('config').length ? secrets.filter((s) => s.kind === 'config').map((s) => [s.name, s.file.target, s.file.uid, s.file.gid, s.file.mode]) : undefined,
    other: Object.fromEntries(Object.entries(containerSpec).filter(([k]) => !['Image', 'Command', 'Args', 'Env', 'Labels', 'Mounts', 'Healthcheck', 'Secrets', 'Configs'].includes(k))),
    log_driver: task.LogDriver,
  };
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups)) if (canonicalize(v) !== undefined) fields[k] = digest(v);
  const hash = hashCanonical(fields as { [k: string]: Canonical });

  const spec: ServiceSpec = {
    Name: serviceName(m.name, e.name),
    Labels: { ...deploy.labels, ...fleetLabels, [LABEL.kind]: e.kind, [LABEL.name]: e.name, [LABEL.hash]: hash, [FIELDS_LABEL]: JSON.stringify(fields) },
    TaskTemplate: task,
    Mode: mode,
    ...update,
    EndpointSpec: { Mode: endpointMode, Ports: ports },
  };
  return { entry: e.name, kind: e.kind, spec, hash, fields, secrets: secrets.map(({ kind, name, digest: d, external }) => ({ kind, name, digest: d, external })) };
}

/** The field groups whose digest differs between two `FIELDS_LABEL` values, sorted. */
export function changedFields(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}
