// Semantic checks across entries: references, names, conditions, cycles. Each reports at the
// node that is wrong so the user lands on the right line.

import { formatCycle } from '../graph.js';
import { dependencyCycles } from './cycles.js';
import { containerNameOf, type Entry, type Model, type Reporter } from './model.js';
import { networkModeTarget } from './normalize.js';
import type { ParsedContainer } from './schema.js';
import { didYouMean } from './suggest.js';
import { entries, type Manifest } from './types.js';

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Compose's rule for service names; it also keeps names safe to print in `dom0 graph`. */
const ENTRY_NAME = /^[a-zA-Z0-9._-]+$/;
/** dom0 creates a replacement as `<name>.dom0-next` before swapping it in (reconcile/labels.ts REPLACEMENT_SUFFIX). */
export const RESERVED_SUFFIX = '.dom0-next';
const MAX_CONTAINER_NAME = 253;
const SECTION_LABEL = { volume_containers: 'volume container', jobs: 'job', services: 'service' } as const;

export function checkRules(model: Model, manifest: Manifest, report: Reporter): void {
  const declared = new Map<string, Entry>();
  for (const e of model.entries) {
    const first = declared.get(e.key);
    if (first) {
      report([e.section, e.key], `\`${e.key}\` is already declared as a ${SECTION_LABEL[first.section]} (line ${first.position.line}); entry names must be unique across volume_containers, jobs and services`, true);
    } else declared.set(e.key, e);
    if (!ENTRY_NAME.test(e.key)) {
      report([e.section, e.key], `invalid ${SECTION_LABEL[e.section]} name ${JSON.stringify(e.key)}: use letters, digits, \`.\`, \`_\` and \`-\``, true);
    } else if (e.key.endsWith(RESERVED_SUFFIX)) {
      report([e.section, e.key], `invalid ${SECTION_LABEL[e.section]} name \`${e.key}\`: the suffix \`${RESERVED_SUFFIX}\` is reserved for dom0's replacement containers`, true);
    }
  }

  checkContainerNames(model, report);
  const refs: Refs = {
    declared,
    names: [...declared.keys()],
    containerNames: new Set(model.entries.map(containerNameOf)),
    networkNames: ['default', ...model.networks.keys()],
    volumeNames: [...model.volumes.keys()],
  };
  for (const e of model.entries) {
    if (e.section !== 'volume_containers') checkContainer(e, e.fields, model, refs, report);
  }

  for (const [host, r] of model.registries) {
    if (r?.password !== undefined && r.password_file !== undefined) {
      report(['registries', host, 'password_file'], `registry \`${host}\` sets both \`password\` and \`password_file\`; keep one`, true);
    }
  }

  const fleetNet = manifest.networks.default;
  if (fleetNet && !fleetNet.external && BUILTIN_NETWORKS.has(fleetNet.name)) {
    report(['name'], `fleet name \`${fleetNet.name}\` is also the name of Docker's built-in \`${fleetNet.name}\` network, which the fleet network would collide with; choose another name`);
  }

  checkCycles(manifest, report);
}

const BUILTIN_NETWORKS = new Set(['host', 'bridge', 'none', 'default']);

function checkContainerNames(model: Model, report: Reporter): void {
  const taken = new Map<string, Entry>();
  for (const e of model.entries) {
    if (e.invalid.has('container_name')) continue; // already reported
    const name = containerNameOf(e);
    const explicit = e.fields.container_name !== undefined;
    const where = explicit ? [e.section, e.key, 'container_name'] : [e.section, e.key];
    if (!explicit && (!ENTRY_NAME.test(name) || name.endsWith(RESERVED_SUFFIX))) {
      // already reported as an invalid entry name
    } else if (name.endsWith(RESERVED_SUFFIX)) {
      report(where, `invalid container name \`${name}\`: the suffix \`${RESERVED_SUFFIX}\` is reserved for dom0's replacement containers`);
    } else if (name.length > MAX_CONTAINER_NAME) {
      report(where, `invalid container name: ${name.length} characters, Docker allows at most ${MAX_CONTAINER_NAME}`, !explicit);
    } else if (!CONTAINER_NAME.test(name)) {
      report(
        where,
        `invalid container name ${JSON.stringify(name)}: Docker requires at least 2 characters from [a-zA-Z0-9_.-], starting with a letter or digit${explicit ? '' : '; set `container_name` or rename the entry'}`,
        !explicit,
      );
    }
    const other = taken.get(name);
    if (other && other.key !== e.key) {
      report(where, `container name \`${name}\` is already used by \`${other.key}\` (line ${other.position.line})`, !explicit);
    } else if (!other) taken.set(name, e);
  }
}

interface Refs {
  declared: Map<string, Entry>;
  names: string[];
  containerNames: Set<string>;
  networkNames: string[];
  volumeNames: string[];
}

function checkContainer(e: Entry, s: Partial<ParsedContainer>, model: Model, { declared, names, containerNames, networkNames, volumeNames }: Refs, report: Reporter): void {
  const at = (...rest: Array<string | number>): Array<string | number> => [e.section, e.key, ...rest];
  const missing = (name: string, what: string, path: Array<string | number>, atKey: boolean): boolean => {
    if (declared.has(name)) return false;
    report(path, `\`${e.key}\` ${what} \`${name}\`, which is not declared${didYouMean(name, names)}`, atKey);
    return true;
  };

  for (const d of s.depends_on ?? []) {
    const path = at('depends_on', d.seg);
    const atKey = typeof d.seg === 'string';
    if (missing(d.name, 'depends on', path, atKey)) continue;
    const target = declared.get(d.name)!;
    const cond = d.condition ?? 'service_started';
    const condPath = atKey && d.condition !== undefined ? [...path, 'condition'] : path;
    if (target.kind === 'volume' && cond !== 'service_started') {
      report(condPath, `\`${d.name}\` is a volume container: it is created but never started, so \`${cond}\` can never be met; use service_started`, !(atKey && d.condition !== undefined));
    } else if (target.kind === 'job' && cond === 'service_healthy') {
      report(condPath, `\`${d.name}\` is a job: it runs to completion and has no health status; use service_completed_successfully`, !(atKey && d.condition !== undefined));
    } else if (target.kind === 'service' && cond === 'service_healthy' && target.fields.healthcheck?.disable) {
      report(condPath, `\`${d.name}\` has its healthcheck disabled, so service_healthy can never be met`, !(atKey && d.condition !== undefined));
    }
  }
  for (const l of s.links ?? []) missing(l.name, 'links to', at('links', l.seg), false);
  for (const v of s.volumes_from ?? []) {
    if (v.container && containerNames.has(v.name)) continue;
    missing(v.name, 'mounts volumes_from', at('volumes_from', v.seg), false);
  }

  if (s.network_mode !== undefined) {
    if (s.network_mode === 'service:' || s.network_mode === 'container:') {
      report(at('network_mode'), `network_mode ${JSON.stringify(s.network_mode)} names no entry`);
    } else if (s.network_mode.startsWith('service:')) {
      missing(networkModeTarget(s.network_mode, new Map(), new Map())!, 'shares the network of', at('network_mode'), false);
    }
    if (s.networks !== undefined) report(at('networks'), '`networks` cannot be combined with `network_mode`', true);
    if (s.mac_address !== undefined) report(at('mac_address'), '`mac_address` cannot be combined with `network_mode`: the entry joins no network of its own', true);
  }
  for (const key of ['pid', 'ipc'] as const) {
    const mode = s[key];
    if (mode?.startsWith('service:')) missing(mode.slice('service:'.length), `shares the ${key.toUpperCase()} namespace of`, at(key), false);
  }
  for (const n of s.networks ?? []) {
    if (n.name !== 'default' && !model.networks.has(n.name)) {
      report(at('networks', n.seg), `network \`${n.name}\` is not declared under top-level \`networks\`${didYouMean(n.name, networkNames)}`, typeof n.seg === 'string');
    }
  }

  (s.volumes ?? []).forEach((m, i) => {
    if (m.type === 'volume' && !model.volumes.has(m.source)) {
      report(at('volumes', i), `named volume \`${m.source}\` is not declared under top-level \`volumes\`${didYouMean(m.source, volumeNames)}`);
    }
  });

  // A deploy.restart_policy overrides `restart` (checked below).
  if (e.kind === 'job' && s.restart && !s.deploy?.restart_policy && (s.restart.name === 'always' || s.restart.name === 'unless-stopped')) {
    report(at('restart'), `a job runs to completion, so \`restart: ${s.restart.name}\` would run it forever; use "no" or on-failure[:N]`);
  }
  const rp = s.deploy?.restart_policy;
  if (e.kind === 'job' && rp && (rp.condition ?? 'always') === 'always') {
    report(at('deploy', 'restart_policy', ...(rp.condition ? ['condition'] : [])), `a job runs to completion, so restart_policy condition \`any\`${rp.condition ? '' : ' (the default)'} would run it forever; use none or on-failure`, !rp.condition);
  }
}

function checkCycles(manifest: Manifest, report: Reporter): void {
  const all = entries(manifest);
  const edges = new Map<string, string[]>();
  const sections = new Map<string, string>();
  for (const e of all) {
    sections.set(e.name, e.kind === 'volume' ? 'volume_containers' : e.kind === 'job' ? 'jobs' : 'services');
    if (e.kind !== 'volume') edges.set(e.name, e.dependsOn.map((d) => d.name));
  }
  for (const cycle of dependencyCycles(all.map((e) => e.name), edges)) {
    report([sections.get(cycle[0]!)!, cycle[0]!], `dependency cycle: ${formatCycle(cycle)}`, true);
  }
}
