// The Swarm target (`target: swarm`): the `deploy:` keys only Swarm reads, and the keys that have
// no meaning on a Swarm, each an error naming what to use instead.
import { parseDuration } from './durations.js';
import type { Entry, Model, Reporter } from './model.js';
import { parsePlacementConstraint } from './placement.js';
import { expandPorts, type PortRange, type PublishMode } from './ports.js';
import type { PortBinding } from './types.js';

export type SwarmTarget = 'swarm';

export interface SwarmUpdateConfig {
  parallelism?: number;
  delayMs?: number;
  failureAction?: 'continue' | 'rollback' | 'pause';
  monitorMs?: number;
  maxFailureRatio?: number;
  order?: 'stop-first' | 'start-first';
}

/** An entry's Swarm-only `deploy:` settings (one host warns about and ignores them). */
export interface SwarmDeploy {
  mode: 'replicated' | 'global';
  replicas?: number;
  labels: Record<string, string>;
  constraints: string[];
  updateConfig?: SwarmUpdateConfig;
  rollbackConfig?: SwarmUpdateConfig;
  /** `deploy.endpoint_mode`; unset is `vip` (Swarm's default). */
  endpointMode?: 'vip' | 'dnsrr';
  /**
   * The entry's `ports`, one per port as ContainerSpec.ports has them, each with its publish mode
   * (long syntax `mode:`, default `ingress`); unset when there are none.
   */
  ports?: SwarmPort[];
}

/** A published port on a Swarm: `ingress` (the routing mesh, every node) or `host` (the task's node only). */
export type SwarmPort = PortBinding & { mode: PublishMode };

/** Keys with no Swarm meaning, and what to write instead. */
export const SWARM_ALTERNATIVES = {
  volumes_from: 'use a named volume (a volume container\'s paths may still be mounted with volumes_from: they become named volumes)',
  links: 'services reach each other by name on a shared overlay network; drop `links`',
  container_name: 'Swarm names tasks itself; use the service name',
  network_mode: 'put both services on one network',
} as const;

/** Errors for the keys a Swarm cannot honour, at the key that is wrong. */
export function checkSwarmRules(model: Model, report: Reporter): void {
  const kinds = new Map(model.entries.map((e) => [e.key, e.kind]));
  for (const e of model.entries) {
    const at = (...rest: Array<string | number>) => [e.section, e.key, ...rest];
    if (e.section === 'volume_containers') {
      if (e.fields.container_name !== undefined) report(at('container_name'), `\`container_name\` has no meaning on a Swarm: ${SWARM_ALTERNATIVES.container_name}`, true);
      continue;
    }
    const f = e.fields;
    if (f.container_name !== undefined) report(at('container_name'), `\`container_name\` has no meaning on a Swarm: ${SWARM_ALTERNATIVES.container_name}`, true);
    if (f.links !== undefined && f.links.length > 0) report(at('links'), `\`links\` has no meaning on a Swarm: ${SWARM_ALTERNATIVES.links}`, true);
    for (const v of f.volumes_from ?? []) {
      if (kinds.get(v.name) === 'volume' && !v.container) continue;
      report(at('volumes_from', v.seg), `volumes_from \`${v.name}\` has no meaning on a Swarm (tasks share no containers): ${SWARM_ALTERNATIVES.volumes_from}`);
    }
    const nm = f.network_mode;
    if (nm !== undefined && (nm.startsWith('container:') || nm.startsWith('service:'))) {
      report(at('network_mode'), `network_mode \`${nm}\` has no meaning on a Swarm (tasks share no namespaces): ${SWARM_ALTERNATIVES.network_mode}`, true);
    }
    for (const k of ['pid', 'ipc'] as const) {
      const mode = f[k];
      if (mode?.startsWith('service:') || mode?.startsWith('container:')) report(at(k), `\`${k}: ${mode}\` has no meaning on a Swarm (tasks share no namespaces); drop it`, true);
    }
    (f.ports ?? []).forEach((p: PortRange, i) => {
      // Swarm's port config has no address: dropping it silently would publish on every address.
      if (p.hostIp !== undefined) {
        report(at('ports', i), `a published port's host address (${p.hostIp}) has no meaning on a Swarm: it would listen on every address of every node (ingress) or of the task's node (mode: host); drop the address to publish it there, or do not publish the port and reach the service over an overlay network`);
      }
      // one host picks a free port of the range; a Swarm publishes exactly the port it is given
      if (p.host && p.host.start !== p.host.end && p.container.start === p.container.end) {
        report(at('ports', i), `a range of published ports (${p.host.start}-${p.host.end}) for one container port has no meaning on a Swarm: publish one port, or a range as long as the container's`);
      }
    });
  }
}

/**
 * One host: the values only a Swarm honours, each an error at its value (the schema accepts them
 * because the target may be given later, by --target).
 */
export function checkOneHostRules(model: Model, report: Reporter): void {
  for (const e of model.entries) {
    if (e.section === 'volume_containers') continue;
    (e.fields.ports ?? []).forEach((p: PortRange, i) => {
      if (p.mode === 'ingress') report([e.section, e.key, 'ports', i, 'mode'], 'port `mode` must be `host`: ingress is a Swarm feature');
    });
  }
}

/** Each entry's Swarm `deploy:` settings; bad values are reported at their key. */
export function swarmDeploys(model: Model, report: Reporter): Record<string, SwarmDeploy> {
  const out: Record<string, SwarmDeploy> = {};
  for (const e of model.entries) {
    if (e.section === 'volume_containers') continue;
    out[e.key] = swarmDeploy(e, report);
  }
  return out;
}

const GLOB = /[*?[]/;
export const GLOB_ON_SWARM = "a glob is dom0's single-host extension; Swarm compares literally: list the names, or use a node label";

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function swarmDeploy(e: Exclude<Entry, { section: 'volume_containers' }>, report: Reporter): SwarmDeploy {
  const d = (e.fields as { deploy?: Raw }).deploy ?? {};
  const at = (...rest: Array<string | number>) => [e.section, e.key, 'deploy', ...rest];
  const out: SwarmDeploy = { mode: 'replicated', labels: {}, constraints: [] };
  if (d.mode !== undefined) {
    if (d.mode === 'replicated' || d.mode === 'global') out.mode = d.mode;
    else report(at('mode'), `deploy.mode must be replicated or global, not ${JSON.stringify(d.mode)}`);
    if (out.mode === 'global' && e.kind === 'job') report(at('mode'), 'a job runs once: deploy.mode global is not supported for jobs');
  }
  if (d.replicas !== undefined) {
    const n = typeof d.replicas === 'string' ? Number(d.replicas) : d.replicas;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out.replicas = n;
    else report(at('replicas'), `deploy.replicas must be a whole number ≥ 0, not ${JSON.stringify(d.replicas)}`);
    if (e.kind === 'job' && out.replicas !== undefined && out.replicas !== 1) report(at('replicas'), 'a job runs once: deploy.replicas must be 1');
  }
  if (d.labels !== undefined) {
    const l = d.labels;
    if (Array.isArray(l)) for (const s of l) { const [k, ...v] = String(s).split('='); out.labels[k!] = v.join('='); }
    else if (isObj(l)) for (const [k, v] of Object.entries(l)) out.labels[k] = String(v ?? '');
    else report(at('labels'), 'deploy.labels must be a map or a list of KEY=VALUE');
  }
  if (d.placement !== undefined) {
    // Constraints may already be parsed by the schema (objects carrying the text as written).
    const c = isObj(d.placement) ? d.placement.constraints : undefined;
    const texts = Array.isArray(c) ? c.map((x) => (typeof x === 'string' ? x : isObj(x) && typeof x.text === 'string' ? x.text : undefined)) : [];
    if (Array.isArray(c) && texts.every((x) => x !== undefined)) {
      out.constraints = texts as string[];
      texts.forEach((t, i) => {
        const p = parsePlacementConstraint(t!);
        if (p.ok && GLOB.test(p.value.value)) report(at('placement', 'constraints', i), `placement constraint ${JSON.stringify(p.value.text)}: ${GLOB_ON_SWARM}`);
      });
    }
    else if (c !== undefined || !isObj(d.placement)) report(at('placement'), 'deploy.placement.constraints must be a list of strings such as node.role==manager');
  }
  for (const [key, field] of [['update_config', 'updateConfig'], ['rollback_config', 'rollbackConfig']] as const) {
    if (d[key] === undefined) continue;
    const c = updateConfig(d[key], (k, msg) => report(at(key, ...(k ? [k] : [])), msg));
    if (c) out[field] = c;
  }
  // Ports as `docker stack deploy` publishes them: long syntax `mode:` as written, else ingress.
  const ranges = e.fields.ports ?? [];
  const ports = ranges.flatMap((r) => expandPorts(r).map((b): SwarmPort => ({ ...b, mode: r.mode ?? 'ingress' })));
  if (ports.length > 0) out.ports = ports;
  if (d.endpoint_mode !== undefined) {
    // Any case, as `docker stack deploy` lowercases it.
    const em = typeof d.endpoint_mode === 'string' ? d.endpoint_mode.toLowerCase() : d.endpoint_mode;
    if (em === 'vip' || em === 'dnsrr') out.endpointMode = em;
    else report(at('endpoint_mode'), `deploy.endpoint_mode must be vip or dnsrr, not ${JSON.stringify(d.endpoint_mode)}`);
    // Swarm refuses it at create/update time ("port published with ingress mode can't be used with dnsrr mode").
    const mesh = ranges.findIndex((r) => (r.mode ?? 'ingress') === 'ingress');
    if (out.endpointMode === 'dnsrr' && mesh >= 0) {
      report(at('endpoint_mode'), `deploy.endpoint_mode dnsrr cannot be used with a port published on the ingress routing mesh (ports[${mesh}]; every short-syntax port is): publish it with the long syntax and \`mode: host\`, or use endpoint_mode vip`, true);
    }
  }
  return out;
}

function updateConfig(raw: unknown, bad: (key: string | undefined, msg: string) => void): SwarmUpdateConfig | undefined {
  if (!isObj(raw)) {
    bad(undefined, 'must be a map');
    return undefined;
  }
  const c: SwarmUpdateConfig = {};
  for (const [k, v] of Object.entries(raw)) {
    const dur = () => {
      const r = typeof v === 'string' ? parseDuration(v) : { ok: false as const, error: '' };
      if (r.ok) return r.value;
      bad(k, `\`${k}\` must be a duration such as 10s`);
      return undefined;
    };
    if (k === 'parallelism') {
      if (Number.isInteger(v) && (v as number) >= 0) c.parallelism = v as number;
      else bad(k, '`parallelism` must be a whole number ≥ 0');
    } else if (k === 'delay') c.delayMs = dur();
    else if (k === 'monitor') c.monitorMs = dur();
    else if (k === 'failure_action') {
      if (v === 'continue' || v === 'rollback' || v === 'pause') c.failureAction = v;
      else bad(k, '`failure_action` must be continue, rollback or pause');
    } else if (k === 'max_failure_ratio') {
      if (typeof v === 'number' && v >= 0 && v <= 1) c.maxFailureRatio = v;
      else bad(k, '`max_failure_ratio` must be a number from 0 to 1');
    } else if (k === 'order') {
      if (v === 'stop-first' || v === 'start-first') c.order = v;
      else bad(k, '`order` must be stop-first or start-first');
    } else bad(k, `unknown key \`${k}\` (parallelism, delay, failure_action, monitor, max_failure_ratio, order)`);
  }
  return c;
}
