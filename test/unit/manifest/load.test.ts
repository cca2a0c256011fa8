import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';
import { UNSUPPORTED_COMPOSE_KEYS } from '../../../src/manifest/schema.js';
import { FILE, loadErrors, loadOk } from './helpers.js';

describe('formatDiagnostic', () => {
  it('prints FILE:LINE:COL: message', () => {
    expect(formatDiagnostic({ file: 'dom0.yaml', line: 3, col: 7, message: 'boom' })).toBe('dom0.yaml:3:7: boom');
  });
});

describe('environment', () => {
  const yaml = 'services:\n  web:\n    image: nginx:${TAG}\n    environment: [FROM_DOTENV, BOTH]\n';

  it('reads .env beside the manifest; the process environment wins', () => {
    const { manifest } = loadOk(yaml, {
      env: { BOTH: 'process' },
      files: { '/srv/dom0/.env': '# defaults\nTAG=1.27\nFROM_DOTENV=dot\nBOTH=dotenv\n' },
    });
    expect(manifest.services[0]).toMatchObject({ image: 'nginx:1.27', environment: { BOTH: 'process', FROM_DOTENV: 'dot' } });
  });

  it('warns once per unset variable and substitutes an empty string', () => {
    const { manifest, warnings } = loadOk('services:\n  web:\n    image: nginx${TAG}\n    command: [echo, $TAG, $OTHER]\n');
    expect(manifest.services[0]!.image).toBe('nginx');
    expect(warnings.map(formatDiagnostic)).toEqual([
      `${FILE}:3:12: warning: variable TAG is not set; using an empty string`,
      `${FILE}:4:27: warning: variable OTHER is not set; using an empty string`,
    ]);
  });

  it('interpolates before validating types', () => {
    const { manifest } = loadOk('services:\n  web:\n    image: x\n    ports: ["${PORT}:80"]\n    privileged: ${PRIV}\n    healthcheck: {retries: "${R}"}\n', {
      env: { PORT: '8080', PRIV: 'true', R: '3' },
    });
    expect(manifest.services[0]).toMatchObject({ ports: [{ hostPort: '8080', containerPort: 80 }], privileged: true, healthcheck: { test: [], retries: 3 } });
  });

  it('reports ${VAR:?msg} at the value', () => {
    expect(loadErrors('services:\n  web:\n    image: ${IMAGE:?choose an image}\n')).toEqual([
      `${FILE}:3:12: required variable IMAGE is missing a value: choose an image`,
    ]);
  });

  it('points .env syntax errors at the .env file', () => {
    expect(loadErrors('services: {}\n', { files: { '/srv/dom0/.env': 'OK=1\nlol$wut\n' } })).toEqual([
      '/srv/dom0/.env:2:4: unexpected character in a variable name: expected NAME=VALUE, NAME: VALUE or a bare NAME, with NAME made of letters, digits, `_`, `.`, `-`, `[` and `]`',
    ]);
  });

  it('interpolates .env lines with the process environment first (compose-go TestSubstitutionsWithEnvFilePrecedence)', () => {
    const { manifest } = loadOk('services:\n  web:\n    image: nginx:${TAG}\n', {
      env: { BASE: 'process' },
      files: { '/srv/dom0/.env': 'BASE=dotenv\nTAG=${BASE}-1\n' },
    });
    expect(manifest.services[0]!.image).toBe('nginx:process-1');
  });

  it('fails the load on a failing ${X:?msg} inside .env, at its line', () => {
    expect(loadErrors('services: {}\n', { files: { '/srv/dom0/.env': 'A=1\nTAG=${REGISTRY:?set REGISTRY}\n' } })).toEqual([
      '/srv/dom0/.env:2:5: TAG: required variable REGISTRY is missing a value: set REGISTRY',
    ]);
  });

  it('warns once per variable a .env value refers to that is set nowhere, at the .env line', () => {
    const { warnings } = loadOk('services: {}\n', { files: { '/srv/dom0/.env': 'A=$NOPE\nB=${NOPE}x\n' } });
    expect(warnings.map(formatDiagnostic)).toEqual(['/srv/dom0/.env:1:3: warning: variable NOPE is not set; using an empty string']);
  });

  it('keeps a $ that starts nothing, as Compose does', () => {
    const { manifest, warnings } = loadOk(`services:\n  web:\n    image: x\n    command: ["sh", "-c", "echo $(hostname) && awk '{print $1}' f; exit $?"]\n`);
    expect(manifest.services[0]!.command).toEqual(['sh', '-c', "echo $(hostname) && awk '{print $1}' f; exit $?"]);
    expect(warnings).toEqual([]);
  });
});

describe('version', () => {
  it.each([['1'], ['"1"']])('accepts dom0 format version %s silently', (v) => {
    expect(loadOk(`version: ${v}\nservices: {}\n`).warnings).toEqual([]);
  });

  it.each([['"2.4"'], ['"3.8"'], ['"3"'], ['3.8'], ['2']])('accepts Compose file version %s with one warning that it is ignored', (v) => {
    const { warnings } = loadOk(`version: ${v}\nservices:\n  web: {image: x}\n`);
    expect(warnings.map(formatDiagnostic)).toEqual([
      `${FILE}:1:10: warning: \`version: ${JSON.stringify(JSON.parse(v).toString())}\` is a Compose file version; it is ignored, as Compose v2 does (remove it, or write \`version: 1\`)`,
    ]);
  });

  it.each([['"4.0"'], ['"1.0"'], ['banana'], ['[1]'], ['0']])('rejects %s', (v) => {
    expect(loadErrors(`version: ${v}\nservices: {}\n`)[0]).toContain('`version` must be 1 (the dom0 manifest format version) or a Compose file version');
  });
});

describe('diagnostics', () => {
  it('reports every error at once, sorted by line then column', () => {
    const errs = loadErrors(
      [
        'services:',
        '  web:',
        '    image: nginx',
        '    depends_on: [db, cache]',
        '    ports: ["x"]',
        '    restart: sometimes',
        '  db:',
        '    imag: postgres',
      ].join('\n'),
    );
    expect(errs).toEqual([
      `${FILE}:4:22: \`web\` depends on \`cache\`, which is not declared`,
      `${FILE}:5:13: invalid port "x": container port "x" is not a port or a range like 8000-8010`,
      `${FILE}:6:14: invalid restart policy "sometimes": expected no, always, unless-stopped or on-failure[:N]`,
      `${FILE}:7:3: missing required key \`image\``,
      `${FILE}:8:5: unknown key \`imag\` (did you mean \`image\`?)`,
    ]);
  });

  it('ignores x-* keys at every level and supports anchors and merge keys', () => {
    const { manifest } = loadOk(`
x-base: &base
  image: busybox
  labels: {team: core}
services:
  x-not-an-entry: {anything: goes}
  web:
    <<: *base
    x-note: ignored
    healthcheck: {test: ["CMD", "true"], x-why: ignored}
`);
    expect(manifest.services).toHaveLength(1);
    expect(manifest.services[0]).toMatchObject({ image: 'busybox', labels: { team: 'core' } });
  });

  it('says why an unsupported Compose key is rejected, and exports the list', () => {
    expect(loadErrors('services:\n  web:\n    image: x\n    scale: 2\n')[0]).toContain('`scale` is not supported by dom0: dom0 runs exactly one container per entry');
    expect(UNSUPPORTED_COMPOSE_KEYS).toEqual(expect.arrayContaining(['scale', 'develop']));
    expect([...UNSUPPORTED_COMPOSE_KEYS].sort()).toEqual(UNSUPPORTED_COMPOSE_KEYS);
  });

  it('rejects service_healthy on a service whose healthcheck is disabled', () => {
    const errs = loadErrors('services:\n  db: {image: x, healthcheck: {disable: true}}\n  web:\n    image: y\n    depends_on: {db: {condition: service_healthy}}\n');
    expect(errs.join('\n')).toContain('healthcheck disabled');
  });

  it('resolves volumes_from container:NAME through container names', () => {
    const { manifest } = loadOk('volume_containers:\n  data: {image: x, container_name: my-data}\nservices:\n  web: {image: y, volumes_from: ["container:my-data:ro"]}\n');
    expect(manifest.services[0]!.volumesFrom).toEqual([{ name: 'data', readOnly: true }]);
  });

  it('decodes a UTF-8 Buffer with a BOM', () => {
    const r = loadManifestText(Buffer.from('\uFEFFservices:\n  web: {image: caf\u00e9}\n'), FILE, { env: {}, readFile: () => undefined });
    expect(r.ok && r.manifest.services[0]!.image).toBe('caf\u00e9');
  });
});
