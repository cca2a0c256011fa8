// Top-level secrets → Swarm secrets, configs → Swarm configs, from `file:` (read when the manifest
// loads for plan/apply, content-hashed in the name), `environment:` or `content:`; `external: true`
// references an existing object by name, never created nor removed. Values never in labels or plan.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../../src/manifest/types.js';
import { printSwarmPlan, swarmPlanJson } from '../../../src/cli/swarm.js';
import { LABEL } from '../../../src/reconcile/labels.js';
import { withSecretIds } from '../../../src/reconcile/swarm/execute-swarm.js';
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
writeFileSync(BINARY, Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00, 0xc3]));

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
    expect(m.fileContents?.get(cert.digest)).toBe('file-secret-s3cr3t');
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
    ['a binary file: secret (values travel as text)', FLEET.replace(CERT, BINARY), /:5:16: secret file .*keystore\.p12 is not UTF-8 text/],
  ])('%s is an error at its line', (_n, yaml, want) => {
    expect(loadErrors(yaml, { env: ENV }).join('\n')).toMatch(want);
  });

  it('external is an error on one host, as before', () => {
    expect(loadErrors(FLEET.replace('target: swarm\n', ''), { env: ENV }).join('\n')).toContain('external secrets need a Swarm');
  });

  it('one host still bind-mounts a file: secret', () => {
    const yaml = `name: sw\nsecrets:\n  cert: {file: ${CERT}}\nservices:\n  app:\n    image: busybox\n    secrets: [cert]\n`;
    expect(load(yaml).services[0]!.volumes).toEqual([{ type: 'bind', source: CERT, target: '/run/secrets/cert', readOnly: true }]);
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
