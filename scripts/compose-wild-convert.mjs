#!/usr/bin/env node
// scripts/compose-wild-convert.mjs: turn a corpus compose file (test/fixtures/compose-wild/<name>) into a
// stack the test engine can run with only local images, keeping the stack's shape (services,
// dependency order and conditions, volumes, networks, env files, secrets, labels, limits).
//
//   node scripts/compose-wild-convert.mjs <fixture-dir> <out-dir> [--fleet NAME]
//
// Writes <out-dir>/compose.yaml and copies the fixture's side files (.env, env_file, secrets) next to
// it. What changes, and why:
// - every image is busybox:latest; `build:`, `pull_policy:` and `platform:` go (nothing to build or pull);
// - `command` becomes a long sleep that exits on SIGTERM (the original program is not in busybox), and
//   `true` for a service others wait on with `service_completed_successfully`; `entrypoint` goes;
// - healthchecks test `true` every second (the original probes call programs busybox lacks, and their
//   30 s intervals would make the test slow);
// - names are made unique: top-level `name:` is the fleet, every container gets `container_name:
//   <fleet>-<service>`, explicit volume/network names get the fleet prefix, `external:` resources
//   become the fleet's own;
// - host ports become ephemeral (container port only), fixed addresses (`ipam`, `ipv4_address`) go;
// - bind sources outside the fixture (absolute, `~`, `${VAR}`) move under ./cw-binds/, and every bind
//   source is created (file or directory) so nothing on the host is touched;
// - host devices, GPUs, runtimes and users unknown to busybox are dropped or made numeric.
// The converted YAML has anchors expanded (merge keys applied); every other key is kept as is.

import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const IMAGE = 'busybox:latest';
const SLEEP = ['sh', '-c', "trap 'exit 0' TERM INT; sleep 2147483647 & wait"];
const BUSYBOX_USERS = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'mail', 'www-data', 'operator', 'nobody']);
const BUSYBOX_GROUPS = new Set(['root', 'daemon', 'bin', 'sys', 'adm', 'tty', 'disk', 'lp', 'mail', 'kmem', 'wheel', 'cdrom', 'dialout', 'floppy', 'video', 'audio', 'tape', 'www-data', 'operator', 'staff', 'nogroup']);

/** Convert the parsed document of `fixtureDir/compose.yaml`; also returns the bind sources to create. */
export function convert(doc, { fleet, fixtureDir }) {
  const out = { ...doc, name: fleet };
  const services = out.services ?? {};
  const completionTargets = new Set();
  for (const svc of Object.values(services)) {
    const deps = svc?.depends_on;
    if (deps && !Array.isArray(deps)) {
      for (const [name, d] of Object.entries(deps)) if (d?.condition === 'service_completed_successfully') completionTargets.add(name);
    }
  }
  const binds = [];
  const vars = dotenv(path.join(fixtureDir, '.env'));
  const bindSource = (src) => {
    const resolved = interpolate(src, vars);
    const local = /^\.\.?(\/|$)/.test(resolved);
    const rel = local ? resolved : `./cw-binds/${resolved.replace(/^~/, 'home').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'root'}`;
    binds.push({ rel, original: resolved, fixtureDir });
    return local ? src : rel;
  };
  const port = (p) => ephemeralPort(p, vars);

  for (const [name, svc0] of Object.entries(services)) {
    const svc = { ...(svc0 ?? {}) };
    services[name] = svc;
    svc.image = IMAGE;
    for (const k of ['build', 'pull_policy', 'platform', 'entrypoint', 'devices', 'gpus', 'runtime', 'device_cgroup_rules']) delete svc[k];
    svc.command = completionTargets.has(name) ? ['true'] : SLEEP;
    svc.container_name = `${fleet}-${name}`;
    if (svc.healthcheck && !svc.healthcheck.disable && svc.healthcheck.test !== undefined && !isNone(svc.healthcheck.test)) {
      const { start_interval: _drop, ...hc } = svc.healthcheck;
      svc.healthcheck = { ...hc, test: ['CMD', 'true'], interval: '1s', timeout: '3s', retries: 3, start_period: '0s' };
    }
    if (svc.user !== undefined) svc.user = busyboxUser(String(svc.user), vars);
    if (Array.isArray(svc.group_add)) svc.group_add = svc.group_add.filter((g) => /^\d+$/.test(String(g)) || BUSYBOX_GROUPS.has(String(g)));
    if (svc.ports) svc.ports = svc.ports.map(port);
    if (svc.logging && !['json-file', 'local', 'none', undefined].includes(svc.logging.driver)) delete svc.logging;
    if (svc.deploy?.resources?.reservations?.devices) {
      const { devices: _d, ...rest } = svc.deploy.resources.reservations;
      svc.deploy = { ...svc.deploy, resources: { ...svc.deploy.resources, reservations: rest } };
    }
    if (svc.networks && !Array.isArray(svc.networks)) {
      svc.networks = Object.fromEntries(
        Object.entries(svc.networks).map(([n, v]) => {
          if (!v || typeof v !== 'object') return [n, v];
          const { ipv4_address: _a, ipv6_address: _b, ...rest } = v;
          return [n, Object.keys(rest).length ? rest : null];
        }),
      );
    }
    if (Array.isArray(svc.volumes)) svc.volumes = svc.volumes.map((v) => convertVolume(v, bindSource));
  }

  for (const section of ['volumes', 'networks', 'secrets', 'configs']) {
    const top = out[section];
    if (!top) continue;
    for (const [key, v0] of Object.entries(top)) {
      if (!v0 || typeof v0 !== 'object') continue;
      const v = { ...v0 };
      if (v.external) {
        delete v.external;
        if (section === 'volumes' || section === 'networks') v.name = `${fleet}_${typeof v.name === 'string' ? v.name : key}`;
      } else if (typeof v.name === 'string') v.name = `${fleet}-${v.name}`;
      if (section === 'networks') delete v.ipam;
      top[key] = v;
    }
  }
  return { doc: out, binds };
}

function isNone(test) {
  return (Array.isArray(test) ? test[0] : test) === 'NONE';
}

/** The user as written when busybox knows it (after interpolation), else with unknown names made numeric. */
function busyboxUser(user, vars) {
  const [u = '', g] = interpolate(user, vars).split(':');
  const uu = /^\d+$/.test(u) || BUSYBOX_USERS.has(u) ? u : '1000';
  const gg = g === undefined || /^\d+$/.test(g) || BUSYBOX_GROUPS.has(g) ? g : '1000';
  if (uu === u && gg === g) return user;
  return gg === undefined ? uu : `${uu}:${gg}`;
}

/** "[ip:][host:]container[/proto]" → "container[/proto]"; long syntax loses published/host_ip. */
function ephemeralPort(p, vars) {
  if (typeof p === 'number') return p;
  if (typeof p === 'object' && p) {
    const { published: _p, host_ip: _h, ...rest } = p;
    return rest;
  }
  const [spec = '', proto] = interpolate(String(p), vars).split('/');
  const container = spec.split(':').pop();
  return proto ? `${container}/${proto}` : container;
}

/** Split "a:b:c" on the colons outside ${...}. */
function splitColons(s) {
  const parts = [''];
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '{') depth++;
    else if (s[i] === '}' && depth > 0) depth--;
    if (s[i] === ':' && depth === 0) parts.push('');
    else parts[parts.length - 1] += s[i];
  }
  return parts;
}

/** Enough of Compose interpolation to place bind sources and ports: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, $V. */
function interpolate(s, vars) {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name, op, arg, bare) => {
    const v = vars[name ?? bare];
    if (op === ':-') return v ? v : arg;
    if (op === '-') return v !== undefined ? v : arg;
    if (op === ':+') return v ? arg : '';
    if (op === '+') return v !== undefined ? arg : '';
    return v ?? '';
  });
}

/** KEY=VALUE lines of a .env file (quotes stripped); enough for the corpus. */
function dotenv(file) {
  if (!existsSync(file)) return {};
  const out = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/\s+#.*$/, '').replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

function convertVolume(v, bindSource) {
  if (typeof v === 'object' && v) {
    if (v.type === 'bind' && typeof v.source === 'string') return { ...v, source: bindSource(v.source) };
    return v;
  }
  const [src = '', ...rest] = splitColons(String(v));
  if (rest.length === 0 || !/^[./~$]/.test(src)) return v; // anonymous or named volume
  return [bindSource(src), ...rest].join(':');
}

/** Create every bind source under outDir: a file when the original is one (or looks like one), else a directory. */
function createBindSources(binds, outDir) {
  for (const b of binds) {
    const dest = path.resolve(outDir, b.rel);
    if (existsSync(dest)) continue;
    const original = b.original.startsWith('/') ? b.original : path.resolve(b.fixtureDir, b.original);
    const file = existsSync(original)
      ? !statSync(original).isDirectory()
      : !b.original.endsWith('/') && /[^/.][.][A-Za-z0-9]+$/.test(path.basename(b.original));
    if (file) {
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, '');
    } else mkdirSync(dest, { recursive: true });
  }
}

/** Convert fixtureDir into outDir; returns the path of the converted compose.yaml. */
export function convertFixture(fixtureDir, outDir, fleet = `cw-${path.basename(fixtureDir)}`) {
  const parsed = YAML.parse(readFileSync(path.join(fixtureDir, 'compose.yaml'), 'utf8'), { merge: true, maxAliasCount: -1 });
  mkdirSync(outDir, { recursive: true });
  // Side files first (.env, env_file, secrets), then the converted compose file over the original.
  cpSync(fixtureDir, outDir, { recursive: true });
  const { doc, binds } = convert(parsed, { fleet, fixtureDir });
  createBindSources(binds, outDir);
  const file = path.join(outDir, 'compose.yaml');
  writeFileSync(file, YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
  return file;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const fi = args.indexOf('--fleet');
  const fleet = fi >= 0 ? args.splice(fi, 2)[1] : undefined;
  const [fixtureDir, outDir] = args;
  if (!fixtureDir || !outDir) {
    console.error('usage: node scripts/compose-wild-convert.mjs <fixture-dir> <out-dir> [--fleet NAME]');
    process.exit(2);
  }
  console.log(convertFixture(path.resolve(fixtureDir), path.resolve(outDir), fleet));
}
