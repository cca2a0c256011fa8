// Top-level secrets → Swarm secrets, configs → Swarm configs, from `file:` (read when the manifest
// loads for plan/apply, content-hashed in the name), `environment:` or `content:`; `external: true`
// references an existing object by name, never created nor removed. Values never in labels or plan.
// A `file:` one travels as its bytes: binary content arrives intact, a UTF-8 file keeps its name.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CreateSwarmObjectRequest, SwarmEngine } from '../../../src/engine/swarm-engine.js';
import type { Manifest } from '../../../src/manifest/types.js';
import { printSwarmPlan, swarmPlanJson } from '../../../src/cli/swarm.js';
import { scrub } from '../../../src/redact.js';
import { LABEL } from '../../../src/reconcile/labels.js';
import { executeSwarm, withSecretIds } from '../../../src/reconcile/swarm/execute-swarm.js';
import type { ObservedSwarm } from '../../../src/reconcile/swarm/observe-swarm.js';
import { planSwarm } from '../../../src/reconcile/swarm/plan-swarm.js';
import { desiredService, secretName } from '../../../src/reconcile/swarm/service-spec.js';
import { loadErrors, loadOk } from '../manifest/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dom0-swarm-files-'));
const CERT = join(dir, 'cert.pem');
const NGINX = join(dir, 'nginx.conf');
writeFileSync(CERT, 'file-secret-s3cr3t');
writeFileSync(NGINX, 'worker_processes 1;');
const BIG = join(dir, 'big.pem');
writeFileSync(BIG, 'x'.repeat(500 * 1024 + 1));
const BINARY = join(dir, 'keystore.p12');
const BINARY_BYTES = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00, 0xc3, 0x0d, 0x0a, 0x80]);
writeFileSync(BINARY, BINARY_BYTES);
const BIG_BINARY = join(dir, 'big.bin');
writeFileSync(BIG_BINARY, Buffer.alloc(1000 * 1024 + 1, 0xff));
const UNICODE = join(dir, 'unicode.txt');
const UNICODE_TEXT = 'pässwörd-€-\u{1F511}\r\n';
writeFileSync(UNICODE, UNICODE_TEXT, 'utf8');
const BOM = join(dir, 'bom.txt');
writeFileSync(BOM, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('with-bom', 'utf8')]));

const FLEET = `name: sw
target: swarm
secrets:
  token: {environment: TOKEN}
  cert: {file: ${CERT}}
  ca: {external: true, name: corp_ca}
configs:
  nginx: {file: ${NGINX}}
  motd: {content: "hello"}
  shared: {external: true}
services:
  app:
    image: busybox
    secrets: [token, cert, ca]
    configs: [nginx, {source: motd, target: /etc/motd, mode: 0440}, shared]
`;
const ENV = { TOKEN: 'env-secret-hunter2' };
const VALUES = ['env-secret-hunter2', 'file-secret-s3cr3t'];

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (yaml = FLEET, env: Record<string, string> = ENV): Manifest => loadOk(yaml, { env }).manifest;
const app = (m: Manifest) => desiredService(m, m.services[0]!);
const cs = (d: ReturnType<typeof app>) => (d.spec.TaskTemplate as J).ContainerSpec as J;
const empty: ObservedSwarm = { services: [], secrets: [], configs: [], networks: [] };

describe('secrets and configs on a swarm: the service spec', () => {
  it('secrets are Swarm secrets, configs Swarm configs; no bind mount', () => {
    const d = app(load());
    expect(cs(d).Mounts).toEqual([]);
    expect((cs(d).Secrets as J[]).map((s) => [s.File.Name, s.SecretName])).toEqual([
      ['/run/secrets/token', expect.stringMatching(/^sw_run_secrets_token_[0-9a-f]{12}$/)],
      ['/run/secrets/cert', expect.stringMatching(/^sw_run_secrets_cert_[0-9a-f]{12}$/)],
      ['/run/secrets/ca', 'corp_ca'],
    ]);
    expect((cs(d).Configs as J[]).map((c) => [c.File.Name, c.File.Mode, c.ConfigName])).toEqual([
      ['/nginx', 0o444, expect.stringMatching(/^sw_nginx_[0-9a-f]{12}$/)],
      ['/etc/motd', 0o440, expect.stringMatching(/^sw_etc_motd_[0-9a-f]{12}$/)],
      ['/shared', 0o444, 'shared'],
    ]);
    expect(d.secrets.map((s) => [s.kind, s.external])).toEqual([
      ['secret', false], ['secret', false], ['secret', true], ['config', false], ['config', false], ['config', true],
    ]);
  });

  it('a file: secret is read: its content hash is in the name, its value in fileContents only', () => {
    const m = load();
    const cert = app(m).secrets.find((s) => s.name.startsWith('sw_run_secrets_cert_'))!;
    expect(m.fileContents?.get(cert.digest)).toEqual(Buffer.from('file-secret-s3cr3t'));
    expect(cert.name).toBe(secretName('sw', '/run/secrets/cert', cert.digest));
    writeFileSync(CERT, 'file-secret-s3cr3t-v2');
    try {
      expect(app(load()).secrets.find((s) => s.name.startsWith('sw_run_secrets_cert_'))!.name).not.toBe(cert.name);
    } finally {
      writeFileSync(CERT, 'file-secret-s3cr3t');
    }
  });

  it('no value in the labels or the spec', () => {
    const text = JSON.stringify(app(load()).spec);
    for (const v of VALUES) expect(text).not.toContain(v);
  });

  it('a changed config changes only the configs field group', () => {
    const a = app(load());
    const b = app(load(FLEET.replace('content: "hello"', 'content: "bye"')));
    expect(Object.keys(a.fields).filter((k) => a.fields[k] !== b.fields[k])).toEqual(['configs']);
  });

  it('withSecretIds fills SecretID and ConfigID by kind', () => {
    const d = app(load());
    const ids = new Map(d.secrets.map((s) => [`${s.kind}:${s.name}`, `${s.kind}-id-${s.name}`]));
    const c = ((withSecretIds(d.spec, ids).TaskTemplate as J).ContainerSpec) as J;
    expect((c.Secrets as J[]).every((s) => s.SecretID === `secret-id-${s.SecretName}`)).toBe(true);
    expect((c.Configs as J[]).every((x) => x.ConfigID === `config-id-${x.ConfigName}`)).toBe(true);
  });
});

describe('secrets and configs on a swarm: the manifest', () => {
  it.each([
    ['a missing file: secret', FLEET.replace(CERT, join(dir, 'nope.pem')), /:5:16: secret file .*nope\.pem does not exist/],
    ['a file: secret over Swarm\'s 500 KiB', FLEET.replace(CERT, BIG), /:5:16: secret file .*big\.pem too large \(512001 bytes; the limit is 512000\)/],
    ['a binary file: config over Swarm\'s 1000 KiB', FLEET.replace(NGINX, BIG_BINARY), /:8:17: config file .*big\.bin too large \(1024001 bytes; the limit is 1024000\)/],
  ])('%s is an error at its line', (_n, yaml, want) => {
    expect(loadErrors(yaml, { env: ENV }).join('\n')).toMatch(want);
  });

  it('a binary file: secret or config is carried as its bytes, hashed as its bytes', () => {
    const m = load(FLEET.replace(CERT, BINARY).replace(NGINX, BINARY));
    const d = app(m);
    const want = `sha256:${createHash('sha256').update(BINARY_BYTES).digest('hex')}`;
    const cert = d.secrets.find((s) => s.name.startsWith('sw_run_secrets_cert_'))!;
    const nginx = d.secrets.find((s) => s.name.startsWith('sw_nginx_'))!;
    expect([cert.digest, nginx.digest]).toEqual([want, want]);
    expect(cert.name).toBe(`sw_run_secrets_cert_${want.slice(7, 19)}`);
    expect(Buffer.compare(Buffer.from(m.fileContents!.get(want) as Uint8Array), BINARY_BYTES)).toBe(0);
  });

  it('a UTF-8 file: keeps the name it had when values travelled as text (no rotation on upgrade)', () => {
    const m = load(FLEET.replace(CERT, UNICODE));
    const cert = app(m).secrets.find((s) => s.name.startsWith('sw_run_secrets_cert_'))!;
    // what the text-only version computed: SHA-256 of the decoded text, encoded as UTF-8
    const before = `sha256:${createHash('sha256').update(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(UNICODE_TEXT, 'utf8')), 'utf8').digest('hex')}`;
    expect(cert.digest).toBe(before);
    expect(cert.name).toBe(secretName('sw', '/run/secrets/cert', before));
    // and the ASCII one of the fixture, pinned: sha256("file-secret-s3cr3t")
    expect(app(load()).secrets.find((s) => s.name.startsWith('sw_run_secrets_cert_'))!.name).toBe(`sw_run_secrets_cert_${createHash('sha256').update('file-secret-s3cr3t').digest('hex').slice(0, 12)}`);
  });

  it('a UTF-8 file with a BOM keeps its BOM (a text decode dropped it): its name is of the bytes', () => {
    const m = load(FLEET.replace(CERT, BOM));
    const cert = app(m).secrets.find((s) => s.name.startsWith('sw_run_secrets_cert_'))!;
    expect(Buffer.from(m.fileContents!.get(cert.digest) as Uint8Array).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(cert.digest).not.toBe(`sha256:${createHash('sha256').update('with-bom').digest('hex')}`);
  });

  it('a binary secret is registered for scrubbing in its wire form (base64)', () => {
    load(FLEET.replace(CERT, BINARY));
    const b64 = BINARY_BYTES.toString('base64');
    expect(scrub(`body {"Data":"${b64}"}`)).not.toContain(b64);
  });

  it('external is an error on one host, as before', () => {
    expect(loadErrors(FLEET.replace('target: swarm\n', ''), { env: ENV }).join('\n')).toContain('external secrets need a Swarm');
  });

  it('one host still bind-mounts a file: secret', () => {
    const yaml = `name: sw\nsecrets:\n  cert: {file: ${CERT}}\nservices:\n  app:\n    image: busybox\n    secrets: [cert]\n`;
    expect(load(yaml).services[0]!.volumes).toEqual([{ type: 'bind', source: CERT, target: '/run/secrets/cert', readOnly: true }]);
  });
});

describe('secrets and configs on a swarm: creating them', () => {
  /** An engine that records createSecret/createConfig and refuses everything else. */
  function recorder() {
    const made: Array<{ kind: string; req: CreateSwarmObjectRequest }> = [];
    const e = new Proxy({} as SwarmEngine, {
      get: (_t, k) => {
        if (k === 'createSecret' || k === 'createConfig') return async (req: CreateSwarmObjectRequest) => { made.push({ kind: k, req }); return `id-${req.name}`; };
        if (k === 'then') return undefined;
        return () => { throw new Error(`unexpected engine call ${String(k)}`); };
      },
    });
    return { e, made };
  }

  it('a binary file: secret is sent as its exact bytes; a text one as its text; the log names them only', async () => {
    const m = load(FLEET.replace(CERT, BINARY));
    const plan = planSwarm(m, { ...empty, secrets: [{ id: 'ca1', name: 'corp_ca', labels: {} }], configs: [{ id: 'sh1', name: 'shared', labels: {} }] });
    const { e, made } = recorder();
    const lines: string[] = [];
    const log = { info: (o: object, msg: string) => lines.push(JSON.stringify(o) + msg), warn: (o: object, msg: string) => lines.push(JSON.stringify(o) + msg) };
    await executeSwarm(m, { ...plan, networks: [], actions: [] }, e, { log: log as never });
    const cert = made.find((x) => x.req.name.startsWith('sw_run_secrets_cert_'))!;
    expect(cert.kind).toBe('createSecret');
    expect(Buffer.compare(Buffer.from(cert.req.data as Uint8Array), BINARY_BYTES)).toBe(0);
    expect(Buffer.from(made.find((x) => x.req.name.startsWith('sw_nginx_'))!.req.data as Uint8Array).toString('utf8')).toBe('worker_processes 1;');
    expect(made.find((x) => x.req.name.startsWith('sw_run_secrets_token_'))!.req.data).toBe('env-secret-hunter2');
    expect(made.every((x) => Object.keys(x.req.labels).every((k) => k.startsWith('io.dom0.')))).toBe(true);
    const text = lines.join('\n');
    for (const v of [...VALUES, BINARY_BYTES.toString('base64'), BINARY_BYTES.toString('latin1')]) expect(text).not.toContain(v);
  });
});

describe('secrets and configs on a swarm: the plan', () => {
  const ours = (m: Manifest) => ({ [LABEL.fleet]: 'sw', [LABEL.origin]: m.origin });

  it('an empty swarm: ours created by kind, externals missing; no value in the plan', () => {
    const m = load();
    const p = planSwarm(m, empty);
    expect(p.secrets.map((s) => [s.kind, s.action, s.external ?? false]).sort()).toEqual(
      [
        ['config', 'create', false], ['config', 'create', false], ['config', 'missing', true],
        ['secret', 'create', false], ['secret', 'create', false], ['secret', 'missing', true],
      ].sort(),
    );
    const outputs = [JSON.stringify(swarmPlanJson(p)), printSwarmPlan(p)];
    for (const o of outputs) for (const v of VALUES) expect(o).not.toContain(v);
    const bin = planSwarm(load(FLEET.replace(CERT, BINARY)), empty);
    for (const o of [JSON.stringify(swarmPlanJson(bin)), printSwarmPlan(bin), JSON.stringify(bin)]) {
      for (const v of [BINARY_BYTES.toString('base64'), BINARY_BYTES.toString('latin1'), BINARY_BYTES.toString('hex')]) expect(o).not.toContain(v);
    }
    expect(printSwarmPlan(p)).toMatch(/missing\s+config\s+shared\s+external/);
  });

  it('externals that exist are kept, never removed; a stale config of ours is removed', () => {
    const m = load();
    const o: ObservedSwarm = {
      ...empty,
      secrets: [{ id: 'ca1', name: 'corp_ca', labels: {} }],
      configs: [
        { id: 'sh1', name: 'shared', labels: {} },
        { id: 'old', name: 'sw_etc_motd_000000000000', labels: ours(m) },
        { id: 'foreign', name: 'sw_other_000000000000', labels: {} },
      ],
    };
    const p = planSwarm(m, o);
    expect(p.secrets.filter((s) => s.external).map((s) => [s.kind, s.name, s.action, s.id])).toEqual([
      ['secret', 'corp_ca', 'keep', 'ca1'],
      ['config', 'shared', 'keep', 'sh1'],
    ]);
    expect(p.secrets.filter((s) => s.action === 'remove').map((s) => [s.kind, s.id])).toEqual([['config', 'old']]);
  });
});
