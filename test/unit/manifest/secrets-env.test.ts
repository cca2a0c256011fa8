// Compose `secrets` / `configs` from `environment:` or inline `content:`: written into the
// container (FileCopy), the value only in Manifest.fileContents, its digest in the spec.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';
import { configHash } from '../../../src/reconcile/hash.js';
import { scrub } from '../../../src/redact.js';

const VALUE = 'env-secret-value-never-shown';

function load(yaml: string, env: Record<string, string> = { DB_PASS: VALUE }) {
  return loadManifestText(yaml, '/srv/dom0.yaml', { env, readFile: () => undefined });
}

function ok(yaml: string, env?: Record<string, string>) {
  const r = load(yaml, env);
  if (!r.ok) expect.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r;
}

const TOP = `secrets:\n  db: {environment: DB_PASS}\nconfigs:\n  app: {content: "x=1"}\n`;

describe('environment and content sources are written into the container', () => {
  it.each([
    ['short syntax', `    secrets: [db]\n    configs: [app]\n`, [
      { target: '/run/secrets/db', mode: 0o444 },
      { target: '/app', mode: 0o444 },
    ]],
    ['long syntax with uid, gid, mode', `    secrets: [{source: db, target: pass, uid: "1000", gid: "1001", mode: 0400}]\n    configs: [{source: app, target: /etc/app.conf, mode: "0o640"}]\n`, [
      { target: '/run/secrets/pass', uid: 1000, gid: 1001, mode: 0o400 },
      { target: '/etc/app.conf', mode: 0o640 },
    ]],
  ])('%s', (_name, svc, want) => {
    const r = ok(`${TOP}services:\n  web:\n    image: busybox\n${svc}`);
    const web = r.manifest.services[0]!;
    expect(web.volumes).toEqual([]);
    expect(web.fileCopies!.map(({ digest: _d, ...rest }) => rest)).toEqual(want);
    const [db, app] = web.fileCopies!;
    expect(r.manifest.fileContents!.get(db!.digest)).toBe(VALUE);
    expect(r.manifest.fileContents!.get(app!.digest)).toBe('x=1');
    // The value never shows: not in the manifest as JSON, not in the hashed spec.
    expect(JSON.stringify(r.manifest)).not.toContain(VALUE);
  });

  it('a secret value is registered for scrubbing; a config value is not', () => {
    ok(`${TOP}services:\n  web: {image: busybox, secrets: [db], configs: [app]}\n`);
    expect(scrub(`failed: ${VALUE}`)).toBe('failed: [redacted]');
  });

  it('a changed value changes the config hash; the same value keeps it', () => {
    const yaml = `${TOP}services:\n  web: {image: busybox, secrets: [db]}\n`;
    const hash = (env: Record<string, string>) => configHash(ok(yaml, env).manifest.services[0]!, 'sha256:i');
    expect(hash({ DB_PASS: 'one-value' })).toBe(hash({ DB_PASS: 'one-value' }));
    expect(hash({ DB_PASS: 'one-value' })).not.toBe(hash({ DB_PASS: 'two-value' }));
  });

  it('file-based ones stay binds beside them', () => {
    const r = ok(`${TOP}services:\n  web: {image: busybox, secrets: [db], configs: [app]}\n  plain: {image: busybox}\n`);
    expect(r.manifest.services.find((s) => s.name === 'plain')!.fileCopies).toBeUndefined();
  });
});

describe('errors', () => {
  it.each([
    ['unset variable', `secrets:\n  db: {environment: NOPE}\nservices:\n  web: {image: busybox, secrets: [db]}\n`, 'environment variable NOPE is not set (secret `db` takes its value from it)'],
    ['two sources', `secrets:\n  db: {environment: DB_PASS, content: x}\nservices:\n  web: {image: busybox}\n`, 'secret `db` sets `environment` and `content`: set only one'],
    ['read_only service', `${TOP}services:\n  web: {image: busybox, read_only: true, secrets: [db]}\n`, 'secret `db` is written into the container, which `read_only: true` forbids'],
    ['bad uid', `${TOP}services:\n  web: {image: busybox, secrets: [{source: db, uid: root}]}\n`, 'invalid uid "root": expected a numeric ID'],
    ['bad mode', `${TOP}services:\n  web: {image: busybox, secrets: [{source: db, mode: "0999"}]}\n`, 'invalid mode "0999"'],
    ['external', `secrets:\n  db: {external: true}\nservices:\n  web: {image: busybox, secrets: [db]}\n`, 'external secrets need a Swarm'],
  ])('%s', (_name, yaml, want) => {
    const r = load(yaml);
    if (r.ok) expect.fail('expected diagnostics');
    const printed = r.diagnostics.map(formatDiagnostic).join('\n');
    expect(printed).toContain(want);
    expect(printed).not.toContain(VALUE);
  });
});
