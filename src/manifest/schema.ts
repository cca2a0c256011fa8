// The zod schema of dom0.yaml, applied after interpolation. It checks structure and parses the
// Compose short syntaxes (ports, volumes, durations, sizes...) into typed values; cross-entry
// rules live in rules.ts and defaults in normalize.ts.
//
// Every mapping is strict: unknown keys are errors (with a hint), `x-*` keys are ignored, and
// Compose keys dom0 does not implement are errors that say why.

// `import * as`, not `{ z }`: the namespace object would keep every locale of zod in the bundle.
import * as z from 'zod';
import { parseBytes, parseDuration, type ParseResult } from './durations.js';
import { parsePlacementConstraint } from './placement.js';
import { parseExpose, parsePortLong, parsePortShort } from './ports.js';
import { setOwn } from './own.js';
import { shellSplit } from './shell.js';
import { parseVolumeLong, parseVolumesFrom, parseVolumeShort } from './volumes.js';
import type { DependsCondition, PullPolicy, RestartPolicy } from './types.js';
import { FLEET_NAME } from './fleet-name.js';

// Without code generation: zod's JIT compiles a parser per object schema on first use, which
// costs more memory (~5 MB) and time than a process that parses one manifest gains from it.
z.config({ jitless: true });

// ---------------------------------------------------------------------------------------------
// Compose keys dom0 rejects, with the reason shown to the user.

export const UNSUPPORTED_TOP_LEVEL_KEYS: Readonly<Record<string, string>> = {
  models: 'AI model runners are not part of the boot',
};

export const UNSUPPORTED_SERVICE_KEYS: Readonly<Record<string, string>> = {
  attach: 'dom0 does not attach to container output; read it with `docker logs`',
  cpu_count: 'Windows-only CPU setting; use `cpus`',
  cpu_percent: 'Windows-only CPU setting; use `cpus`',
  credential_spec: 'Windows-only setting',
  develop: 'watch/sync is a development-loop feature, not part of booting a host',
  driver_opts: 'driver options are set per network: under the service\'s `networks.<key>.driver_opts`, or on a top-level network',
  models: 'AI model runners are not part of the boot',
  provider: 'external service providers are not implemented',
  pull_refresh_after: 'use `pull_policy: every_<duration>` (e.g. every_12h), which dom0 keeps across restarts',
  scale: 'dom0 runs exactly one container per entry; declare several entries instead',
  use_api_socket: 'exposing the Docker socket is not implemented; bind-mount /var/run/docker.sock explicitly',
};

/** Every Compose key dom0 rejects, top-level and per-service, sorted (for the README). */
export const UNSUPPORTED_COMPOSE_KEYS: readonly string[] = [
  ...new Set([...Object.keys(UNSUPPORTED_TOP_LEVEL_KEYS), ...Object.keys(UNSUPPORTED_SERVICE_KEYS)]),
].sort();

// ---------------------------------------------------------------------------------------------
// Building blocks.

export type JsKind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';

export function kindOf(v: unknown): JsKind | undefined {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    default:
      return undefined;
  }
}

/**
 * Dispatches on the JS type of the input instead of trying each union member: errors then come
 * from the one branch that matches the user's shape ("expected a string or a list" otherwise).
 */
export function byKind<T>(expected: string, branches: Partial<Record<JsKind, z.ZodType<T>>>): z.ZodType<T> {
  return z.unknown().transform((v, ctx) => {
    const k = kindOf(v);
    const schema = k === undefined ? undefined : branches[k];
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}`, params: { expected }, input: v });
      return z.NEVER;
    }
    const r = schema.safeParse(v, { reportInput: true });
    if (r.success) return r.data;
    for (const iss of r.error.issues) ctx.addIssue(iss as Parameters<typeof ctx.addIssue>[0] & object);
    return z.NEVER;
  }) as unknown as z.ZodType<T>;
}

/** A transform from a parser returning ParseResult; its error message becomes the issue. */
function parsed<I, T>(fn: (v: I) => ParseResult<T>) {
  return (v: I, ctx: z.RefinementCtx): T => {
    const r = fn(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.error, input: v });
    return z.NEVER;
  };
}

function stripExtensions(v: unknown): unknown {
  if (kindOf(v) !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v as object)) {
    // `x-*` keys are ignored everywhere; a null value means "not set", as in Compose.
    if (!k.startsWith('x-') && val !== null) setOwn(out, k, val);
  }
  return out;
}

/** A mapping with exactly these keys (plus `x-*`); `unsupported` keys fail with their reason. */
export function strict<S extends z.ZodRawShape>(shape: S, unsupported: Readonly<Record<string, string>> = {}) {
  const known = Object.keys(shape);
  const unknownKey = z.unknown().transform((v, ctx) => {
    ctx.addIssue({ code: 'custom', message: 'unknown key', params: { unknownKey: true, known, unsupported } });
    return v;
  });
  return z.preprocess(stripExtensions, z.object(shape).catchall(unknownKey));
}

const str = z.string();
const scalarStr = byKind<string>('a string', {
  string: z.string(),
  number: z.number().transform(String),
  boolean: z.boolean().transform(String),
});
const strList = z.array(z.string());
const strOrList = byKind<string[]>('a string or a list of strings', {
  string: z.string().transform((s) => [s]),
  array: strList,
});

/** A transform that accepts what `convert` maps to a value; otherwise "`field` must be <expected>, got X". */
function convertTo<I, T>(expected: string, convert: (v: I) => T | undefined) {
  return (v: I, ctx: z.RefinementCtx): T => {
    const out = convert(v);
    if (out !== undefined) return out;
    ctx.addIssue({ code: 'custom', message: `expected ${expected}`, params: { expected }, input: v });
    return z.NEVER;
  };
}

export const boolish = byKind<boolean>('true or false', {
  boolean: z.boolean(),
  string: z.string().transform(convertTo('true or false', (s: string) => (/^(true|false)$/i.test(s) ? s.toLowerCase() === 'true' : undefined))),
});

function intish(min = 0, max = Number.MAX_SAFE_INTEGER): z.ZodType<number> {
  const expected =
    max !== Number.MAX_SAFE_INTEGER
      ? `an integer from ${min} to ${max}`
      : min === 0
        ? 'a whole number'
        : min === Number.MIN_SAFE_INTEGER
          ? 'an integer'
          : `an integer >= ${min}`;
  const check = (n: number): number | undefined => (Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined);
  return byKind<number>(expected, {
    number: z.number().transform(convertTo(expected, check)),
    string: z.string().transform(convertTo(expected, (s: string) => (/^-?\d+$/.test(s.trim()) ? check(Number(s)) : undefined))),
  });
}

const positive = (n: number): number | undefined => (n > 0 && Number.isFinite(n) ? n : undefined);
const positiveNumber = byKind<number>('a number > 0', {
  number: z.number().transform(convertTo('a number > 0', positive)),
  string: z.string().transform(convertTo('a number > 0', (s: string) => (s.trim() === '' ? undefined : positive(Number(s))))),
});

export const duration = byKind<number>('a duration such as 10s or 1m30s', {
  string: z.string().transform(parsed((s: string) => parseDuration(s))),
  number: z.number().transform(parsed((n: number) => parseDuration(String(n)))),
});

export const byteSize = byKind<number>('a size such as 512m or 1g', {
  string: z.string().transform(parsed(parseBytes)),
  number: z.number().transform(parsed(parseBytes)),
});

/** `KEY=VALUE` list or mapping → map; `noValue` is what a bare `KEY` (or null) maps to. */
function keyValues<N extends string | null>(noValue: N) {
  const fromList = (list: string[]): Record<string, string | N> => {
    const out: Record<string, string | N> = {};
    for (const item of list) {
      const eq = item.indexOf('=');
      if (eq < 0) setOwn(out, item, noValue);
      else setOwn(out, item.slice(0, eq), item.slice(eq + 1));
    }
    return out;
  };
  const fromMap = (m: Record<string, string | null>): Record<string, string | N> => {
    const out: Record<string, string | N> = {};
    for (const [k, v] of Object.entries(m)) setOwn(out, k, v === null ? noValue : v);
    return out;
  };
  return byKind<Record<string, string | N>>('a list of "KEY=VALUE" strings or a mapping', {
    array: z.array(scalarStr).transform(fromList),
    object: z.record(z.string(), byKind<string | null>('a string', { string: z.string(), number: scalarStr, boolean: scalarStr, null: z.null() })).transform(fromMap),
  });
}

const labels = keyValues('');

const pullPolicy = z.string().transform(
  parsed((s: string): ParseResult<PullPolicy> => {
    switch (s) {
      case 'always':
      case 'missing':
      case 'never':
        return { ok: true, value: s };
      case 'if_not_present':
        return { ok: true, value: 'missing' };
      case 'daily':
        return { ok: true, value: { everyMs: 86_400_000 } };
      case 'weekly':
        return { ok: true, value: { everyMs: 604_800_000 } };
      case 'build':
        return { ok: true, value: 'build' };
    }
    if (s.startsWith('every_')) {
      const d = parseDuration(s.slice('every_'.length), { long: true });
      if (!d.ok) return { ok: false, error: `invalid pull_policy ${JSON.stringify(s)}: ${d.error}` };
      if (d.value <= 0) return { ok: false, error: `invalid pull_policy ${JSON.stringify(s)}: the interval must be positive` };
      return { ok: true, value: { everyMs: d.value } };
    }
    return { ok: false, error: `invalid pull_policy ${JSON.stringify(s)}: expected always, missing, never, build, daily, weekly or every_<duration> (e.g. every_12h)` };
  }),
);

const command = byKind<string[]>('a string or a list of strings', {
  string: z.string().transform(parsed(shellSplit)),
  array: z.array(scalarStr),
});

/** `post_start` / `pre_stop`: commands exec'd in the container, as Compose's lifecycle hooks. */
const lifecycleHooks = z.array(
  strict({
    command: command,
    user: scalarStr.optional(),
    privileged: boolish.optional(),
    working_dir: str.optional(),
    environment: keyValues(null).optional(),
  }),
);
export type ParsedLifecycleHook = z.output<typeof lifecycleHooks>[number];

// ---------------------------------------------------------------------------------------------
// Services and jobs.

export function parseRestart(s: string): ParseResult<RestartPolicy> {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(s.trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) {
    return { ok: false, error: `invalid restart policy ${JSON.stringify(s)}: expected no, always, unless-stopped or on-failure[:N]` };
  }
  const policy: RestartPolicy = { name: m[1] as RestartPolicy['name'] };
  if (m[2] !== undefined) policy.maxRetries = Number(m[2]);
  return { ok: true, value: policy };
}

const CONDITIONS: readonly DependsCondition[] = ['service_started', 'service_healthy', 'service_completed_successfully'];

const condition = z.string().transform(
  parsed((s: string): ParseResult<DependsCondition> =>
    (CONDITIONS as readonly string[]).includes(s)
      ? { ok: true, value: s as DependsCondition }
      : { ok: false, error: `invalid depends_on condition ${JSON.stringify(s)}: expected ${CONDITIONS.join(', ')}` },
  ),
);

const dependency = strict({
  condition: condition.optional(),
  restart: boolish.optional(),
  required: boolish.optional(),
  timeout: duration.optional(), // dom0 extension: how long to wait for the condition
});

/** `seg` is the item's key or index in the user's depends_on, for diagnostics. */
export interface ParsedDependency {
  name: string;
  seg: string | number;
  condition?: DependsCondition;
  restart?: boolean;
  required?: boolean;
  timeout?: number;
}

const dependsOn = byKind<ParsedDependency[]>('a list of names or a mapping of name → {condition}', {
  array: z.array(str).transform((names) => names.map((name, i): ParsedDependency => ({ name, seg: i }))),
  object: z
    .record(z.string(), byKind<z.output<typeof dependency>>('a mapping', { object: dependency, null: z.null().transform(() => ({})) }))
    .transform((m) => Object.entries(m).map(([name, d]): ParsedDependency => ({ ...stripUndefined(d), name, seg: name }))),
});

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const healthcheckTest = byKind<string[]>('a string or a list such as ["CMD", "curl", "-f", "http://localhost"]', {
  string: z.string().transform((s) => ['CMD-SHELL', s]),
  array: z.array(scalarStr).transform(
    parsed((t: string[]): ParseResult<string[]> => {
      const head = t[0];
      if (head === 'NONE' || (head === 'CMD' && t.length > 1) || (head === 'CMD-SHELL' && t.length === 2)) return { ok: true, value: t };
      return { ok: false, error: 'healthcheck test must be ["CMD", args...], ["CMD-SHELL", "command"] or ["NONE"]' };
    }),
  ),
});

const healthcheck = strict({
  test: healthcheckTest.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: intish(0).optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: boolish.optional(),
});

const portLong = strict({
  target: intish(1),
  published: scalarStr.optional(),
  host_ip: str.optional(),
  protocol: str.optional(),
  mode: z
    .string()
    // `ingress` is a Swarm's (the target is known only later: one host rejects it in swarm.ts).
    .refine((m) => m === 'host' || m === 'ingress', { message: 'port `mode` must be `host` (or `ingress`, on a Swarm)' })
    .optional(),
  name: str.optional(),
  app_protocol: str.optional(),
}).transform(parsed(parsePortLong));

const ports = z.array(
  byKind('a port such as "8080:80" or a mapping with `target`', {
    string: z.string().transform(parsed(parsePortShort)),
    number: z.number().transform(parsed(parsePortShort)),
    object: portLong,
  }),
);

const expose = z.array(
  byKind('a port such as 80 or "80/udp"', {
    string: z.string().transform(parsed(parseExpose)),
    number: z.number().transform(parsed(parseExpose)),
  }),
);

const volumeLong = strict({
  type: str,
  source: str.optional(),
  target: str,
  read_only: boolish.optional(),
  bind: strict(
    { propagation: str.optional(), create_host_path: boolish.optional(), selinux: str.optional() },
    { recursive: 'bind `recursive` modes are not implemented (they need Engine API 1.44); use `read_only`' },
  ).optional(),
  volume: strict(
    { nocopy: boolish.optional() },
    {
      subpath: 'volume subpaths are not supported by dom0',
      labels: 'a volume made on the fly carries no labels: declare it under top-level `volumes` with `labels`',
    },
  ).optional(),
  image: z.unknown().transform((_v, ctx) => {
    ctx.addIssue({ code: 'custom', message: 'image mounts are not supported by dom0 (bind, volume or tmpfs): copy the files into a volume with a job' });
    return z.NEVER;
  }).optional(),
  tmpfs: strict({ size: scalarStr.optional(), mode: scalarStr.optional() }).optional(),
  consistency: str.optional(), // macOS-only hint, ignored
}).transform(parsed(parseVolumeLong));

const serviceVolumes = z.array(
  byKind('a volume such as "./data:/data:ro" or a mapping with `type` and `target`', {
    string: z.string().transform(parsed(parseVolumeShort)),
    object: volumeLong,
  }),
);

/** Service `secrets` / `configs`: a name, or `{source, target, uid, gid, mode}`. */
const fileRef = z.array(
  byKind<{ source: string; target?: string; uid?: string; gid?: string; mode?: string }>('a name or a mapping with `source`', {
    string: z.string().min(1).transform((source) => ({ source })),
    object: strict({
      source: str.min(1),
      target: str.min(1).optional(),
      uid: scalarStr.optional(),
      gid: scalarStr.optional(),
      mode: scalarStr.optional(),
    }),
  }),
);
export type ParsedFileRef = z.output<typeof fileRef>[number];

const volumesFrom = z.array(str.transform(parsed(parseVolumesFrom))).transform((l) => l.map((v, i) => ({ ...v, seg: i })));

function parseLink(s: string): ParseResult<{ name: string; alias: string }> {
  const [name = '', alias = name, extra] = s.split(':');
  if (name === '' || alias === '' || extra !== undefined) return { ok: false, error: `invalid link ${JSON.stringify(s)}: expected NAME or NAME:ALIAS` };
  return { ok: true, value: { name, alias } };
}

const links = z.array(str.transform(parsed(parseLink))).transform((l) => l.map((v, i) => ({ ...v, seg: i })));

const macAddress = str.refine((m) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(m), {
  message: 'invalid mac_address: expected six hex pairs such as 02:42:ac:11:00:02',
});

/** Containers outside the manifest, as "CONTAINER:ALIAS" (HostConfig.Links). */
const externalLinks = z.array(str.transform(parsed(parseLink)).transform(({ name, alias }) => `${name}:${alias}`));

const attachment = strict({
  aliases: strList.optional(),
  ipv4_address: str.optional(),
  ipv6_address: str.optional(),
  priority: intish(Number.MIN_SAFE_INTEGER).optional(),
  gw_priority: intish(Number.MIN_SAFE_INTEGER).optional(),
  driver_opts: z.record(z.string(), scalarStr).optional(),
  interface_name: str.min(1, 'interface_name must not be empty').optional(),
  link_local_ips: strList.optional(),
  mac_address: macAddress.optional(),
});

export interface ParsedAttachment {
  name: string;
  seg: string | number;
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  priority?: number;
  gwPriority?: number;
  driverOpts?: Record<string, string>;
  interfaceName?: string;
  linkLocalIps?: string[];
  macAddress?: string;
}

const serviceNetworks = byKind<ParsedAttachment[]>('a list of network names or a mapping', {
  array: z.array(str).transform((l) => l.map((name, i): ParsedAttachment => ({ name, seg: i, aliases: [] }))),
  object: z
    .record(z.string(), byKind<z.output<typeof attachment>>('a mapping', { object: attachment, null: z.null().transform(() => ({})) }))
    .transform((m) =>
      Object.entries(m).map(([name, a]): ParsedAttachment => {
        const out: ParsedAttachment = { name, seg: name, aliases: a.aliases ?? [] };
        if (a.ipv4_address !== undefined) out.ipv4Address = a.ipv4_address;
        if (a.ipv6_address !== undefined) out.ipv6Address = a.ipv6_address;
        if (a.priority !== undefined) out.priority = a.priority;
        if (a.gw_priority !== undefined) out.gwPriority = a.gw_priority;
        if (a.driver_opts !== undefined) out.driverOpts = a.driver_opts;
        if (a.interface_name !== undefined) out.interfaceName = a.interface_name;
        if (a.link_local_ips !== undefined) out.linkLocalIps = a.link_local_ips;
        if (a.mac_address !== undefined) out.macAddress = a.mac_address;
        return out;
      }),
    ),
});

const extraHosts = byKind<string[]>('a list of "HOST:IP" or a mapping of host → IP', {
  // Compose accepts both "host:ip" and "host=ip"; Docker wants "host:ip".
  array: z.array(str).transform((l) => l.map((h) => (/^[^:=]+=/.test(h) ? h.replace('=', ':') : h))),
  object: z
    .record(z.string(), byKind<string[]>('an IP or a list of IPs', { string: str.transform((s) => [s]), array: strList }))
    .transform((m) => Object.entries(m).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`))),
});

const ulimits = z.record(
  z.string(),
  byKind<{ soft: number; hard: number }>('an integer or a mapping with `soft` and `hard`', {
    number: intish(-1).transform((n) => ({ soft: n, hard: n })),
    string: intish(-1).transform((n) => ({ soft: n, hard: n })),
    object: strict({ soft: intish(-1), hard: intish(-1) }),
  }),
);

/** A fully qualified CDI device name, as the container-device-interface parser accepts it. */
export const CDI_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?\/[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?=[a-zA-Z0-9](?:[a-zA-Z0-9_.:-]*[a-zA-Z0-9])?$/;

const devices = z.array(
  str.transform(
    parsed((d: string): ParseResult<string> => {
      if (!d.startsWith('/')) {
        // A CDI device name (vendor.com/class=name), sent as a device request with driver "cdi" as Compose does.
        if (CDI_NAME.test(d)) return { ok: true, value: d };
        return { ok: false, error: `invalid device ${JSON.stringify(d)}: expected HOST[:CONTAINER[:rwm]] with an absolute HOST path, or a CDI device name such as vendor.com/class=name` };
      }
      const [host = '', container = host, perms = 'rwm', extra] = d.split(':');
      if (extra !== undefined || !/^[rwm]+$/.test(perms)) return { ok: false, error: `invalid device ${JSON.stringify(d)}: expected HOST[:CONTAINER[:rwm]]` };
      return { ok: true, value: `${host}:${container}:${perms}` };
    }),
  ),
);

export interface ParsedEnvFile {
  path: string;
  required: boolean;
  raw?: boolean; // `format: raw`: KEY=VALUE lines taken literally (docker run --env-file)
  seg: (string | number)[]; // path below `env_file`
}

const envFile = byKind<ParsedEnvFile[]>('a path or a list of paths', {
  string: str.transform((path) => [{ path, required: true, seg: [] }]),
  array: z
    .array(
      byKind<{ path: string; required: boolean; long: boolean; raw: boolean }>('a path or a mapping with `path`', {
        string: str.transform((path) => ({ path, required: true, long: false, raw: false })),
        object: strict({ path: str, required: boolish.optional(), format: z.literal('raw', { message: 'env_file `format` must be `raw`' }).optional() }).transform((f) => ({
          path: f.path,
          required: f.required ?? true,
          long: true,
          raw: f.format === 'raw',
        })),
      }),
    )
    .transform((l) =>
      l.map((f, i): ParsedEnvFile => ({ path: f.path, required: f.required, ...(f.raw ? { raw: true } : {}), seg: f.long ? [i, 'path'] : [i] })),
    ),
});

const logging = strict({
  driver: str.optional(),
  options: z.record(z.string(), byKind<string | null>('a string', { string: str, number: scalarStr, boolean: scalarStr, null: z.null() })).optional(),
});

// ---------------------------------------------------------------------------------------------
// Single-host keys: namespaces, security, CPU/memory tuning, block IO, device requests, deploy.

/** pid/ipc/uts/userns_mode/cgroup, passed as written; only pid and ipc may share another entry's (`service:KEY`). */
function namespaceMode(key: string, allowed?: readonly string[]) {
  const shareable = key === 'pid' || key === 'ipc';
  return str.transform(
    parsed((s: string): ParseResult<string> => {
      if (s === 'service:' || s === 'container:') return { ok: false, error: `${key} ${JSON.stringify(s)} names no container` };
      if (s.startsWith('service:') && !shareable) return { ok: false, error: `${key} \`${s}\` is not supported by dom0` };
      if (allowed && !allowed.includes(s)) return { ok: false, error: `invalid ${key} ${JSON.stringify(s)}: expected ${allowed.join(' or ')}` };
      return { ok: true, value: s };
    }),
  );
}

const scalarList = z.array(scalarStr);

/** cpu_period/cpu_quota/cpu_rt_*: whole microseconds, or a duration (`100ms`), as Compose accepts. */
function cpuMicros(min: number): z.ZodType<number> {
  const expected = `whole microseconds (an integer >= ${min}) or a duration such as 100ms`;
  const micros = (s: string): ParseResult<number> => {
    const t = s.trim();
    if (/^-?\d+$/.test(t)) {
      const n = Number(t);
      return Number.isSafeInteger(n) && n >= min ? { ok: true, value: n } : { ok: false, error: `expected ${expected}` };
    }
    const d = parseDuration(t);
    return d.ok ? { ok: true, value: Math.round(d.value * 1000) } : { ok: false, error: `expected ${expected}: ${d.error}` };
  };
  return byKind<number>(expected, {
    number: z.number().transform(parsed((n: number) => micros(String(n)))),
    string: z.string().transform(parsed(micros)),
  });
}
const stringMap = z.record(z.string(), scalarStr);

/** memswap_limit: a byte size, or -1 for unlimited swap. */
const swapLimit = byKind<number>('a size such as 1g, or -1 for unlimited', {
  number: z.number().transform(parsed((n: number) => (n === -1 ? { ok: true as const, value: -1 } : parseBytes(n)))),
  string: z.string().transform(parsed((s: string) => (s.trim() === '-1' ? { ok: true as const, value: -1 } : parseBytes(s)))),
});

const deviceCount = byKind<number>('an integer >= 1 or "all"', {
  number: intish(1),
  string: z.string().transform(convertTo('an integer >= 1 or "all"', (s: string) => (s === 'all' ? -1 : /^\d+$/.test(s) && Number(s) >= 1 ? Number(s) : undefined))),
});

export interface ParsedDeviceRequest {
  capabilities: string[];
  driver?: string;
  count?: number;
  device_ids?: string[];
  options?: Record<string, string>;
}

function deviceRequest(capabilitiesRequired: boolean) {
  return strict({
    capabilities: capabilitiesRequired ? strList : strList.optional(),
    driver: str.optional(),
    count: deviceCount.optional(),
    device_ids: strList.optional(),
    options: stringMap.optional(),
  })
    .refine((d) => d.count === undefined || d.device_ids === undefined, { message: '`count` and `device_ids` cannot be combined' })
    .transform((d): ParsedDeviceRequest => ({ ...stripUndefined(d), capabilities: d.capabilities ?? [] }));
}

const gpus = byKind<ParsedDeviceRequest[]>('"all" or a list of device requests', {
  string: z.literal('all', { message: 'expected "all" or a list of device requests' }).transform(() => [{ capabilities: [], count: -1 }]),
  array: z.array(deviceRequest(false)),
});

const throttle = z.array(strict({ path: str, rate: byteSize }));
const throttleIops = z.array(strict({ path: str, rate: intish(0) }));
const blkioConfig = strict({
  weight: intish(10, 1000).optional(),
  weight_device: z.array(strict({ path: str, weight: intish(10, 1000) })).optional(),
  device_read_bps: throttle.optional(),
  device_read_iops: throttleIops.optional(),
  device_write_bps: throttle.optional(),
  device_write_iops: throttleIops.optional(),
});

const RESTART_CONDITIONS = { none: 'no', 'on-failure': 'on-failure', any: 'always' } as const;

const restartPolicy = strict({
  condition: z
    .string()
    .transform(
      parsed((c: string): ParseResult<RestartPolicy['name']> =>
        Object.hasOwn(RESTART_CONDITIONS, c)
          ? { ok: true, value: RESTART_CONDITIONS[c as keyof typeof RESTART_CONDITIONS] }
          : { ok: false, error: `invalid restart_policy condition ${JSON.stringify(c)}: expected none, on-failure or any` },
      ),
    )
    .optional(),
  max_attempts: intish(0).optional(),
  delay: duration.optional(),
  window: duration.optional(),
});

/** `deploy` keys that only mean something to Swarm: accepted, warned about, ignored. */
export const IGNORED_DEPLOY_KEYS = ['mode', 'replicas', 'labels', 'update_config', 'rollback_config', 'endpoint_mode'] as const;
const anything = z.unknown().optional();

/** `placement.constraints` select the hosts of a farm (placement.ts); the rest is Swarm scheduling, ignored with a warning. */
const placement = strict({
  constraints: z.array(z.string().transform(parsed(parsePlacementConstraint))).optional(),
  preferences: anything,
  max_replicas_per_node: anything,
});

const deploy = strict({
  resources: strict({
    limits: strict({ cpus: positiveNumber.optional(), memory: byteSize.optional(), pids: intish(-1).optional() }).optional(),
    reservations: strict({
      cpus: anything, // a Swarm scheduling hint; ignored with a warning
      memory: byteSize.optional(),
      devices: z.array(deviceRequest(true)).optional(),
      generic_resources: anything, // Swarm only; ignored with a warning
    }).optional(),
  }).optional(),
  restart_policy: restartPolicy.optional(),
  placement: placement.optional(),
  ...Object.fromEntries(IGNORED_DEPLOY_KEYS.map((k) => [k, anything])),
});

export type ParsedDeploy = z.output<typeof deploy>;

/** `build` keys the classic Engine API builder (POST /build) has no equivalent for: warned about, ignored. */
export const IGNORED_BUILD_KEYS: Readonly<Record<string, string>> = {
  ssh: 'the Engine API builder forwards no SSH agent (a Dockerfile using `RUN --mount=type=ssh` fails to build)',
  secrets: 'the Engine API builder mounts no build secrets (a Dockerfile using `RUN --mount=type=secret` fails to build)',
  cache_to: 'exporting the build cache needs BuildKit (buildx)',
  provenance: 'attestations need BuildKit (buildx)',
  sbom: 'attestations need BuildKit (buildx)',
  entitlements: 'entitlements need BuildKit (buildx)',
  privileged: 'privileged builds need BuildKit (buildx)',
  isolation: 'a Windows-only setting',
  ulimits: 'build ulimits are not passed to the Engine API builder',
};

const build = byKind<ParsedBuild>('a path (the build context) or a mapping', {
  string: str.min(1, 'build must not be empty').transform((context): ParsedBuild => ({ context })),
  object: strict(
    {
      context: str.min(1, 'build.context must not be empty').optional(),
      dockerfile: str.min(1, 'build.dockerfile must not be empty').optional(),
      dockerfile_inline: str.optional(),
      args: keyValues(null).optional(),
      target: str.optional(),
      labels: labels.optional(),
      network: str.optional(),
      extra_hosts: extraHosts.optional(),
      shm_size: byteSize.optional(),
      no_cache: boolish.optional(),
      pull: boolish.optional(),
      cache_from: strList.optional(),
      tags: strList.optional(),
      platforms: strList.optional(),
      ...Object.fromEntries(Object.keys(IGNORED_BUILD_KEYS).map((k) => [k, anything])),
    },
    {
      additional_contexts:
        'the Engine API builder takes one context; merge the extra contexts into it (or build with `docker buildx` and reference the image with `image`)',
    },
  ) as unknown as z.ZodType<ParsedBuild>,
});

export interface ParsedBuild {
  context?: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  network?: string;
  extra_hosts?: string[];
  shm_size?: number;
  no_cache?: boolean;
  pull?: boolean;
  cache_from?: string[];
  tags?: string[];
  platforms?: string[];
  [ignored: string]: unknown;
}

// Composition keys (include, extends, profiles) are resolved before validation (compose.ts,
// profiles.ts); they are declared here for the JSON Schema.
const composition = {
  extends: z.union([z.string(), strict({ service: z.string(), file: z.string().optional() })]).optional(),
  profiles: z.array(z.string()).optional(),
};

export const containerShape = {
  ...composition,
  image: str.min(1, 'image must not be empty').optional(),
  build: build.optional(),
  command: command.optional(),
  entrypoint: command.optional(),
  environment: keyValues(null).optional(),
  env_file: envFile.optional(),
  ports: ports.optional(),
  expose: expose.optional(),
  volumes: serviceVolumes.optional(),
  volumes_from: volumesFrom.optional(),
  secrets: fileRef.optional(),
  configs: fileRef.optional(),
  links: links.optional(),
  external_links: externalLinks.optional(),
  depends_on: dependsOn.optional(),
  restart: str.transform(parsed(parseRestart)).optional(),
  healthcheck: healthcheck.optional(),
  labels: labels.optional(),
  label_file: strOrList.optional(),
  user: scalarStr.optional(),
  working_dir: str.optional(),
  hostname: str.optional(),
  domainname: str.optional(),
  privileged: boolish.optional(),
  cap_add: strList.optional(),
  cap_drop: strList.optional(),
  devices: devices.optional(),
  network_mode: str.min(1, 'network_mode must not be empty').optional(),
  networks: serviceNetworks.optional(),
  extra_hosts: extraHosts.optional(),
  dns: strOrList.optional(),
  dns_search: strOrList.optional(),
  tmpfs: strOrList.optional(),
  init: boolish.optional(),
  read_only: boolish.optional(),
  stop_signal: str.optional(),
  stop_grace_period: duration.optional(),
  mem_limit: byteSize.optional(),
  cpus: positiveNumber.optional(),
  shm_size: byteSize.optional(),
  sysctls: keyValues('').optional(),
  ulimits: ulimits.optional(),
  pull_policy: pullPolicy.optional(),
  container_name: str.optional(),
  tty: boolish.optional(),
  stdin_open: boolish.optional(),
  logging: logging.optional(),
  platform: str.optional(),
  mac_address: macAddress.optional(),
  security_opt: strList.optional(),
  group_add: scalarList.optional(),
  pid: namespaceMode('pid').optional(),
  ipc: namespaceMode('ipc').optional(),
  uts: namespaceMode('uts', ['host']).optional(),
  userns_mode: namespaceMode('userns_mode').optional(),
  cgroup: namespaceMode('cgroup', ['host', 'private']).transform((s) => s as 'host' | 'private').optional(),
  cgroup_parent: str.optional(),
  runtime: str.optional(),
  cpu_shares: intish(0).optional(),
  cpu_quota: cpuMicros(-1).optional(),
  cpu_period: cpuMicros(0).optional(),
  cpuset: scalarStr.optional(),
  cpu_rt_runtime: cpuMicros(-1).optional(),
  cpu_rt_period: cpuMicros(0).optional(),
  mem_reservation: byteSize.optional(),
  memswap_limit: swapLimit.optional(),
  mem_swappiness: intish(0, 100).optional(),
  oom_kill_disable: boolish.optional(),
  oom_score_adj: intish(-1000, 1000).optional(),
  pids_limit: intish(-1).optional(),
  dns_opt: strList.optional(),
  device_cgroup_rules: strList.optional(),
  gpus: gpus.optional(),
  blkio_config: blkioConfig.optional(),
  storage_opt: stringMap.optional(),
  annotations: keyValues('').optional(),
  post_start: lifecycleHooks.optional(),
  pre_stop: lifecycleHooks.optional(),
  schedule: byKind<string | { cron: string; timezone?: string; catch_up?: boolean }>('a cron pattern or a mapping with cron, timezone, catch_up', {
    string: str.min(1, 'schedule must not be empty'),
    object: strict({ cron: str.min(1, 'cron must not be empty'), timezone: str.optional(), catch_up: boolish.optional() }),
  }).optional(),
  volume_driver: str.min(1, 'volume_driver must not be empty').optional(),
  isolation: str.min(1, 'isolation must not be empty').optional(),
  deploy: deploy.optional(),
};
/** The mapping alone (the JSON Schema is made from it: zod's generator drops what a refinement wraps). */
export const containerObjectSchema = strict(containerShape, UNSUPPORTED_SERVICE_KEYS);
export const containerSchema = containerObjectSchema.check(
  // An entry needs an image to run: `image`, or `build` (tagged `<fleet>-<entry>` without `image`).
  // Checked even when other keys failed, so a missing image is reported with them.
  z.superRefine(
    (c: { image?: unknown; build?: unknown } | undefined, ctx) => {
      if (typeof c === 'object' && c !== null && c.image === undefined && c.build === undefined) {
        ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['image'], input: undefined, message: 'missing `image`' });
      }
    },
    { when: () => true },
  ),
);

export type ParsedContainer = z.output<typeof containerSchema>;

/**
 * The fields of an entry that are valid on their own, so cross-entry rules can still check an
 * entry whose full validation failed (every error in the file is reported at once).
 */
export function validFields<S extends z.ZodRawShape>(shape: S, raw: unknown): { fields: Partial<z.output<z.ZodObject<S>>>; invalid: Set<string> } {
  const fields: Record<string, unknown> = {};
  const invalid = new Set<string>();
  if (kindOf(raw) === 'object') {
    for (const [key, schema] of Object.entries(shape)) {
      const v = (raw as Record<string, unknown>)[key];
      if (!Object.hasOwn(raw as object, key) || v === null) continue;
      const r = (schema as z.ZodType).safeParse(v);
      if (r.success) fields[key] = r.data;
      else invalid.add(key);
    }
  }
  return { fields: fields as Partial<z.output<z.ZodObject<S>>>, invalid };
}

// ---------------------------------------------------------------------------------------------
// Volume containers, volumes, networks, registries, top level.

export const volumeContainerShape = {
  ...composition,
  image: str.min(1, 'image must not be empty'),
  paths: strOrList.optional(),
  command: command.optional(),
  labels: labels.optional(),
  container_name: str.optional(),
  pull_policy: pullPolicy.optional(),
};
export const volumeContainerSchema = strict(volumeContainerShape, {
    volumes: 'a volume container declares its data directories under `paths`',
    environment: 'a volume container is never started',
    ports: 'a volume container is never started',
    depends_on: 'a volume container is created first and depends on nothing',
    restart: 'a volume container is never started',
    healthcheck: 'a volume container is never started',
});
export type ParsedVolumeContainer = z.output<typeof volumeContainerSchema>;

const driverOpts = z.record(z.string(), scalarStr);

export const volumeSchema = strict({
  driver: str.optional(),
  driver_opts: driverOpts.optional(),
  labels: labels.optional(),
  external: boolish.optional(),
  name: str.min(1).optional(),
});
export type ParsedVolume = z.output<typeof volumeSchema>;

export const networkSchema = strict(
  {
    driver: str.optional(),
    driver_opts: driverOpts.optional(),
    labels: labels.optional(),
    external: boolish.optional(),
    name: str.min(1).optional(),
    internal: boolish.optional(),
    attachable: boolish.optional(),
    enable_ipv6: boolish.optional(),
    enable_ipv4: boolish.optional(),
    ipam: strict({
      driver: str.optional(),
      config: z
        .array(strict({ subnet: str.optional(), gateway: str.optional(), ip_range: str.optional(), aux_addresses: z.record(z.string(), str).optional() }))
        .optional(),
      options: driverOpts.optional(),
    }).optional(),
  },
);
export type ParsedNetwork = z.output<typeof networkSchema>;

export const registrySchema = strict({
  username: scalarStr.optional(),
  password: scalarStr.optional(),
  password_file: str.optional(),
  identitytoken: str.optional(),
});
export type ParsedRegistry = z.output<typeof registrySchema>;

/** Top-level `secrets` / `configs` entry: a file bind-mounted read-only, or a value (`environment`, `content`) written into the container. */
export const fileObjectSchema = strict(
  {
    file: str.min(1).optional(),
    environment: str.min(1).optional(),
    content: str.optional(),
    external: boolish.optional(),
    name: str.min(1).optional(),
  },
  {
    driver: 'secret drivers are a Swarm feature; on one host use `file`',
    driver_opts: 'secret drivers are a Swarm feature; on one host use `file`',
    template_driver: 'templated secrets and configs are a Swarm feature; on one host use `file`',
    labels: 'secret and config labels are a Swarm feature',
  },
);
export type ParsedFileObject = z.output<typeof fileObjectSchema>;

const VERSION_EXPECTED = '1 (the dom0 manifest format version) or a Compose file version such as "3.8", which is ignored';

/** A Compose file version (`"2.4"`, `"3.8"`, `3`): Compose v2 ignores it with a warning, and so does dom0. */
export const COMPOSE_FILE_VERSION = /^[23](\.\d+)?$/;

export function isComposeFileVersion(v: unknown): boolean {
  return (typeof v === 'string' || typeof v === 'number') && manifestVersion(String(v)) === 'compose';
}

/** `1` for dom0's own format, `'compose'` for a Compose file version the loader warns about. */
function manifestVersion(v: string): 1 | 'compose' | undefined {
  const t = v.trim();
  if (t === '1') return 1;
  return COMPOSE_FILE_VERSION.test(t) ? 'compose' : undefined;
}

const section = byKind<Record<string, unknown>>('a mapping of name → definition', {
  object: z.record(z.string(), z.unknown()),
});

/** Top level; each section's entries are validated one by one so one bad entry hides nothing else. */
export const topSchema = strict(
  {
    version: byKind<1 | 'compose'>(VERSION_EXPECTED, {
      number: z.number().transform(convertTo(VERSION_EXPECTED, (v: number) => manifestVersion(String(v)))),
      string: z.string().transform(convertTo(VERSION_EXPECTED, manifestVersion)),
    }).optional(),
    name: str
      .refine((n) => FLEET_NAME.test(n), { message: 'invalid name: use lowercase letters, digits, `_`, `.` and `-`, starting with a letter or digit' })
      .optional(),
    pull_policy: pullPolicy.optional(),
    /** `swarm`: deploy to a Docker Swarm (docs/swarm.md) instead of the one engine's containers. */
    target: z.enum(['swarm'], { message: 'target must be swarm (leave it out for one host)' }).optional(),
    include: z
      .array(
        z.union([
          z.string(),
          strict({
            path: z.union([z.string(), z.array(z.string())]),
            project_directory: z.string().optional(),
            env_file: z.union([z.string(), z.array(z.string())]).optional(),
          }),
        ]),
      )
      .optional(),
    registries: section.optional(),
    volume_containers: section.optional(),
    volumes: section.optional(),
    networks: section.optional(),
    secrets: section.optional(),
    configs: section.optional(),
    jobs: section.optional(),
    services: section.optional(),
  },
  UNSUPPORTED_TOP_LEVEL_KEYS,
);

export const SECTIONS = ['volume_containers', 'jobs', 'services'] as const;
export type Section = (typeof SECTIONS)[number];
