// Real Compose files from public projects (test/fixtures/compose-wild, sources and licenses in
// SOURCES.md) load UNCHANGED with dom0's loader, with the .env / env_file / secret files next to them.
// A file that fails does so only for a reason listed below, and a listed file that starts to
// validate fails this test until it is moved to the validating set.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest } from '../../../src/manifest/load.js';
import type { Manifest } from '../../../src/manifest/types.js';

const DIR = fileURLToPath(new URL('../../fixtures/compose-wild/', import.meta.url));

interface Expected {
  why: string;
  /** Every error diagnostic of the file matches one of these. */
  diagnostics: RegExp[];
}

/** Rejected only because a Compose feature being added for issue #10 has not landed yet. */
const PENDING: Record<string, Expected> = {};

/** dom0 rejects a form Compose accepts: a gap, reported in issue #10. */
const GAPS: Record<string, Expected> = {};

const names = readdirSync(DIR)
  .filter((n) => statSync(join(DIR, n)).isDirectory())
  .sort();
const listed = new Set([...Object.keys(PENDING), ...Object.keys(GAPS)]);
const validating = names.filter((n) => !listed.has(n));

// The process environment must not decide the outcome: a file gets only what its .env gives it.
const load = (name: string) => loadManifest(join(DIR, name, 'compose.yaml'), { env: {} });

describe('compose-wild corpus', () => {
  it('has at least 30 files, each in SOURCES.md with the hash of the bytes kept', () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
    const sources = readFileSync(join(DIR, 'SOURCES.md'), 'utf8');
    for (const n of names) {
      const row = sources.split('\n').find((l) => l.startsWith(`| ${n} |`));
      expect(row, `${n} is not in SOURCES.md`).toBeDefined();
      const sha = createHash('sha256').update(readFileSync(join(DIR, n, 'compose.yaml'))).digest('hex');
      expect(row, `${n}/compose.yaml changed since it was copied`).toContain(`| ${sha} |`);
    }
    for (const n of listed) expect(names, `listed fixture ${n} does not exist`).toContain(n);
  });

  it.each(validating)('%s validates unchanged', async (name) => {
    const r = await load(name);
    if (!r.ok) expect.fail(`${name} is rejected:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  });

  const rejected = Object.entries({ ...PENDING, ...GAPS }).map(([name, e]) => [name, e] as const);
  it.each(rejected)('%s is rejected only for its listed reason', async (name, exp) => {
    const r = await load(name);
    if (r.ok) expect.fail(`${name} validates now (${exp.why}): move it out of PENDING/GAPS`);
    const errors = r.diagnostics.filter((d) => !d.message.startsWith('warning:'));
    expect(errors.length).toBeGreaterThan(0);
    for (const d of errors) {
      expect(exp.diagnostics.some((re) => re.test(d.message)), `unexpected diagnostic: ${formatDiagnostic(d)}`).toBe(true);
    }
  });
});

type Entry = Manifest['services'][number];
function entry(m: Manifest, name: string): Entry {
  const e = [...m.services, ...m.jobs].find((x) => x.name === name);
  if (!e) throw new Error(`no entry ${name}`);
  return e as Entry;
}
async function manifestOf(name: string): Promise<Manifest> {
  const r = await load(name);
  if (!r.ok) throw new Error(`${name}: ${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return r.manifest;
}

// Values from the corpus resolved as compose-go resolves them (template + dotenv packages).
describe('compose-wild values resolve as Compose resolves them', () => {
  const cases: Array<[string, string, string, (e: Entry) => unknown, unknown]> = [
    ['immich', 'immich-server', '${EXPOSE_PORT-:2283:2283}: `-` is the first operator, default ":2283:2283"', (e) => e.ports, [{ containerPort: 2283, protocol: 'tcp', hostPort: '2283' }]],
    ['immich', 'immich-server', '${IMMICH_VERSION:-release} from .env', (e) => e.image, 'ghcr.io/immich-app/immich-server:release'],
    ['authentik', 'server', '${AUTHENTIK_SECRET_KEY:?} satisfied by .env', (e) => e.environment.AUTHENTIK_SECRET_KEY, 'compose-wild-not-a-real-secret-key'],
    ['authentik', 'server', 'defaults in image and ports', (e) => [e.image, e.ports.map((p) => p.hostPort)], ['ghcr.io/goauthentik/server:2025.2.4', ['9000', '9443']]],
    ['n8n-postgres', 'postgres', 'bare `- NAME` entries take their value from .env', (e) => e.environment.POSTGRES_USER, 'user'],
    ['plausible-ce', 'plausible', 'bare `- NAME` entries that are unset are dropped; ${X} unset is ""', (e) => e.environment, { BASE_URL: '', SECRET_KEY_BASE: '' }],
    ['superset', 'db', "env_file `MAPBOX_API_KEY=''` is empty; optional env_file absent", (e) => e.environment.MAPBOX_API_KEY, ''],
    ['awesome-postgresql-pgadmin', 'postgres', '.env values; YAML comment after a list item', (e) => e.environment, { POSTGRES_USER: 'yourUser', POSTGRES_PASSWORD: 'changeit', POSTGRES_DB: 'postgres' }],
    ['dockprom', 'nodeexporter', '$$ is a literal $', (e) => e.command?.[3], '--collector.filesystem.ignored-mount-points=^/(sys|proc|dev|host|etc)($|/)'],
    ['dockprom', 'grafana', '${ADMIN_USER:-admin}', (e) => e.environment.GF_SECURITY_ADMIN_USER, 'admin'],
    ['mastodon', 'sidekiq', 'YAML "\\ " escape in a healthcheck', (e) => e.healthcheck?.test, ['CMD-SHELL', "ps aux | grep '[s]idekiq 6' || false"]],
    ['airflow', 'airflow-worker', 'x- anchor merge; user from .env', (e) => e.user, '50000:0'],
    ['genai-stack', 'loader', '${V-"quoted"}: the default keeps its quotes', (e) => e.environment.LANGCHAIN_ENDPOINT, '"https://api.smith.langchain.com"'],
    ['genai-stack', 'database', '$PWD unset: empty, so the bind source is /data', (e) => e.volumes.map((v) => (v.type === 'bind' ? v.source : v.type)), ['/data']],
    ['genai-stack', 'database', 'JSON-looking value and ${A-x}/${B-y}', (e) => [e.environment.NEO4J_PLUGINS, e.environment.NEO4J_AUTH], ['["apoc"]', 'neo4j/password']],
    ['open-webui', 'nginx', '${OPEN_WEBUI_PORT-3000}:80', (e) => e.ports, [{ containerPort: 80, protocol: 'tcp', hostPort: '3000' }]],
    ['open-webui', 'open-webui', "'NAME=' is an empty value, not unset", (e) => e.environment.WEBUI_SECRET_KEY, ''],
  ];
  it.each(cases)('%s %s: %s', async (file, name, _what, pick, want) => {
    expect(pick(entry(await manifestOf(file), name))).toEqual(want);
  });

  it.each([
    ['airflow', ['airflow-cli', 'flower']],
    ['genai-stack', ['llm', 'llm-gpu']],
  ])('%s: services behind profiles are not started without --profile', async (file, gated) => {
    const m = await manifestOf(file);
    const names = [...m.services, ...m.jobs].map((e) => e.name);
    for (const g of gated) expect(names).not.toContain(g);
    expect(names.length).toBeGreaterThan(3);
  });

  it('airflow-init keeps $$ as $ and interpolates ${AIRFLOW_UID} in a block scalar', async () => {
    const m = await manifestOf('airflow');
    const script = entry(m, 'airflow-init').command?.[1] ?? '';
    expect(script).toContain("disk_available=$(df / | tail -1 | awk '{print $4}')");
    expect(script).toContain('chown -R "50000:0" /opt/airflow/');
    expect(script).toContain('export AIRFLOW_UID=$(id -u)');
  });
});
