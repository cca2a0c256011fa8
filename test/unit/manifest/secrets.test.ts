// Compose `secrets` / `configs`, file-based: read-only bind mounts; other forms are clear errors.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';
import { fileTarget } from '../../../src/manifest/file-mounts.js';
import type { BindSourceHook } from '../../../src/manifest/host-paths.js';

const DIR = mkdtempSync(join(tmpdir(), 'dom0-secrets-'));
const FILE = join(DIR, 'dom0.yaml');
const CONTENT = 's3cr3t-content-never-shown';
writeFileSync(join(DIR, 'token.txt'), CONTENT);
writeFileSync(join(DIR, 'app.conf'), 'x=1\n');
mkdirSync(join(DIR, 'a-dir'));
chmodSync(join(DIR, 'token.txt'), 0o600);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const TOP = `secrets:\n  token: {file: ./token.txt}\nconfigs:\n  app: {file: app.conf}\n`;

function load(yaml: string, bindSource?: BindSourceHook) {
  return loadManifestText(yaml, FILE, { env: {}, readFile: () => undefined, bindSource });
}

describe('fileTarget', () => {
  it.each([
    ['secrets', { source: 'token' }, '/run/secrets/token'],
    ['secrets', { source: 'token', target: 'db_pass' }, '/run/secrets/db_pass'],
    ['secrets', { source: 'token', target: '/etc/pass' }, '/etc/pass'],
    ['configs', { source: 'app' }, '/app'],
    ['configs', { source: 'app', target: '/etc/app.conf' }, '/etc/app.conf'],
  ] as const)('%s %j → %s', (kind, ref, want) => {
    expect(fileTarget(kind, ref)).toBe(want);
  });
});

describe('secrets and configs become read-only bind mounts', () => {
  it.each([
    ['short syntax', `    secrets: [token]\n    configs: [app]\n`, [
      { type: 'bind', source: join(DIR, 'token.txt'), target: '/run/secrets/token', readOnly: true },
      { type: 'bind', source: join(DIR, 'app.conf'), target: '/app', readOnly: true },
    ]],
    ['long syntax', `    secrets: [{source: token, target: db}]\n    configs: [{source: app, target: /etc/app.conf}]\n`, [
      { type: 'bind', source: join(DIR, 'token.txt'), target: '/run/secrets/db', readOnly: true },
      { type: 'bind', source: join(DIR, 'app.conf'), target: '/etc/app.conf', readOnly: true },
    ]],
    ['after the volumes', `    volumes: ["./data:/data"]\n    secrets: [token]\n`, [
      { type: 'bind', source: join(DIR, 'data'), target: '/data', readOnly: false },
      { type: 'bind', source: join(DIR, 'token.txt'), target: '/run/secrets/token', readOnly: true },
    ]],
  ])('%s', (_name, svc, want) => {
    const r = load(`${TOP}services:\n  web:\n    image: busybox\n${svc}`);
    if (!r.ok) expect.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
    expect(r.manifest.services[0]!.volumes).toEqual(want);
    expect(JSON.stringify(r.manifest)).not.toContain(CONTENT);
  });

  it('translates a relative file through the bindSource hook (dom0 in a container)', () => {
    const r = load(`${TOP}services:\n  web: {image: busybox, secrets: [token]}\n`, (written) => ({ ok: true, source: `/host/srv/${written.replace('./', '')}` }));
    if (!r.ok) expect.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
    expect(r.manifest.services[0]!.volumes).toEqual([{ type: 'bind', source: '/host/srv/token.txt', target: '/run/secrets/token', readOnly: true }]);
  });

  it('warns that uid/gid/mode cannot be applied to a bind, and still mounts', () => {
    const r = load(`${TOP}services:\n  web:\n    image: busybox\n    secrets: [{source: token, uid: "1000", mode: 0440}]\n`);
    if (!r.ok) expect.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
    expect(r.warnings.map(formatDiagnostic)).toEqual([`${FILE}:8:15: warning: \`uid\`, \`mode\` cannot be applied to a file-based secret (a bind mount keeps the file's owner and mode); ignored, as Compose does`]);
    expect(r.manifest.services[0]!.volumes).toHaveLength(1);
  });

  it('warns that `name` is ignored', () => {
    const r = load(`secrets:\n  token: {file: ./token.txt, name: prod_token}\nservices:\n  web: {image: busybox}\n`);
    if (!r.ok) expect.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
    expect(r.warnings.map((w) => w.message)).toEqual(['warning: `name` of a secret is ignored on one host (it names a Swarm object)']);
  });
});

describe('errors', () => {
  it.each([
    ['external', `secrets:\n  token: {external: true}\nservices:\n  web: {image: busybox, secrets: [token]}\n`, '2:21: external secrets need a Swarm; on one host use `file:`'],
    ['environment unset', `configs:\n  app: {environment: APP_CONF}\nservices:\n  web: {image: busybox, configs: [app]}\n`, '2:22: environment variable APP_CONF is not set (config `app` takes its value from it)'],
    ['no file', `secrets:\n  token: {}\nservices:\n  web: {image: busybox}\n`, '2:3: secret `token` needs `file:`'],
    ['missing file', `secrets:\n  token: {file: ./nope}\nservices:\n  web: {image: busybox}\n`, '2:17: secret file ./nope does not exist'],
    ['a directory', `configs:\n  app: {file: ./a-dir}\nservices:\n  web: {image: busybox}\n`, '2:15: config file ./a-dir is not a regular file'],
    ['undeclared', `${TOP}services:\n  web: {image: busybox, secrets: [tokn]}\n`, '6:35: secret `tokn` is not declared under top-level `secrets` (did you mean `token`?)'],
    ['driver', `secrets:\n  token: {file: ./token.txt, driver: vault}\nservices:\n  web: {image: busybox}\n`, 'secret drivers are a Swarm feature'],
    ['template_driver', `configs:\n  app: {file: ./app.conf, template_driver: golang}\nservices:\n  web: {image: busybox}\n`, 'templated secrets and configs are a Swarm feature'],
    ['target taken by a volume', `${TOP}services:\n  web: {image: busybox, volumes: ["./x:/app"], configs: [app]}\n`, 'config `app` would be mounted at /app, where something else is already mounted'],
    ['two secrets at one target', `${TOP}services:\n  web: {image: busybox, secrets: [token, {source: token, target: /run/secrets/token}]}\n`, 'secret `token` would be mounted at /run/secrets/token'],
    ['bad long key', `${TOP}services:\n  web: {image: busybox, secrets: [{source: token, path: /x}]}\n`, 'unknown key'],
  ])('%s', (_name, yaml, want) => {
    const r = load(yaml);
    if (r.ok) expect.fail('expected diagnostics');
    const printed = r.diagnostics.map(formatDiagnostic).join('\n');
    expect(printed).toContain(want);
    expect(printed).not.toContain(CONTENT);
  });
});
