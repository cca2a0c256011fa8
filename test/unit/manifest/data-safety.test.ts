// Issue 9 (data safety) in the loader: diagnostics never echo a value that may be secret, files
// the manifest names are regular files read with a cap, durations fit in a timer, ports spent by
// `expose` count, entry names are safe and `.dom0-next` is reserved.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, loadManifest } from '../../../src/manifest/load.js';
import { MAX_SIDE_FILE_BYTES, readSideFile } from '../../../src/manifest/read-file.js';
import { FILE, loadErrors, loadOk } from './helpers.js';

const SECRET = 'Sup3r-S3cret-Value';

describe('diagnostics never echo a value that may be secret', () => {
  it.each([
    ['bad interpolation in a registry password', `registries:\n  r.io:\n    password: "x\${${SECRET}"\nservices: {}\n`, {}, 3, 'invalid interpolation format'],
    ['bad interpolation in an environment value', `services:\n  web:\n    image: x\n    environment:\n      DB_PASSWORD: "${SECRET}\${"\n`, {}, 5, 'invalid interpolation format'],
    ['bad interpolation in any other string', `services:\n  web:\n    image: x\n    command: ["sh", "-c", "${SECRET} \${"]\n`, {}, 4, 'invalid interpolation format'],
    ['a mistyped identity token (a number)', `registries:\n  r.io:\n    identitytoken: 918273645546372819\nservices: {}\n`, {}, 3, 'got a number'],
    ['a password of the wrong type', `registries:\n  r.io:\n    password: {${SECRET}: 1}\nservices: {}\n`, {}, 3, 'got a mapping'],
    ['an environment value of the wrong type', `services:\n  web:\n    image: x\n    environment:\n      TOKEN: [${SECRET}]\n`, {}, 5, 'must be a string'],
    ['a secret-looking logging option of the wrong type', `services:\n  web:\n    image: x\n    logging:\n      options:\n        splunk-token: [${SECRET}]\n`, {}, 6, 'must be a string'],
    ['an unterminated quote in a command', `services:\n  web:\n    image: x\n    command: mysql -p${SECRET} "oops\n`, {}, 4, 'unterminated " quote'],
    ['a .env line without `=` (a pasted password)', 'services: {}\n', { '/srv/dom0/.env': `OK=1\n${SECRET}!\n` }, 2, 'unexpected character in a variable name'],
    ['an env_file line without `=`', 'services:\n  web:\n    image: x\n    env_file: app.env\n', { '/srv/dom0/app.env': `A=1\n${SECRET}%\n` }, 4, 'line 2: unexpected character in a variable name'],
  ])('%s', (_what, yaml, files, line, contains) => {
    const errors = loadErrors(yaml, { files });
    expect(errors.some((e) => e.includes(`:${line}:`) && e.includes(contains)), errors.join('\n')).toBe(true);
    for (const e of errors) expect(e).not.toContain(SECRET);
    for (const e of errors) expect(e).not.toContain('918273645546372819');
  });

  it('still echoes values of fields that are not secret, and suggests keys', () => {
    expect(loadErrors('services:\n  web:\n    image: x\n    restart: sometimes\n    imag: y\n')).toEqual([
      `${FILE}:4:14: invalid restart policy "sometimes": expected no, always, unless-stopped or on-failure[:N]`,
      `${FILE}:5:5: unknown key \`imag\` (did you mean \`image\`?)`,
    ]);
  });
});

describe('files the manifest names are regular files, read with a cap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dom0-data-safety-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.env');
  writeFileSync(big, `A=${'x'.repeat(MAX_SIDE_FILE_BYTES)}\n`);
  writeFileSync(join(dir, 'ok.env'), 'A=1\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = (name: string, yaml: string): string => {
    const sub = mkdtempSync(join(dir, `${name}-`));
    const file = join(sub, 'dom0.yaml');
    writeFileSync(file, yaml);
    return file;
  };

  it.each([
    ['env_file is a FIFO', `services:\n  web:\n    image: x\n    env_file: ${fifo}\n`, 4, 'not a regular file (a FIFO)'],
    ['env_file is /dev/zero', 'services:\n  web:\n    image: x\n    env_file: [ok.env, /dev/zero]\n', 4, 'not a regular file (a character device)'],
    ['optional env_file is a FIFO', `services:\n  web:\n    image: x\n    env_file:\n      - path: ${fifo}\n        required: false\n`, 5, 'not a regular file'],
    ['env_file is a directory', 'services:\n  web:\n    image: x\n    env_file: /\n', 4, 'not a regular file (a directory)'],
    ['env_file is too large', `services:\n  web:\n    image: x\n    env_file: ${big}\n`, 4, 'too large'],
    ['password_file is /dev/zero', 'registries:\n  r.io:\n    username: u\n    password_file: /dev/zero\nservices: {}\n', 4, 'not a regular file'],
    ['password_file is a FIFO', `registries:\n  r.io:\n    username: u\n    password_file: ${fifo}\nservices: {}\n`, 4, 'not a regular file'],
  ])('%s: an error at the key, no hang', async (name, yaml, line, contains) => {
    const file = manifest(name.replace(/\W+/g, '-'), yaml);
    const r = await loadManifest(file, { env: {} });
    expect(r.ok).toBe(false);
    const printed = r.ok ? [] : r.diagnostics.map(formatDiagnostic);
    expect(printed.some((d) => d.startsWith(`${file}:${line}:`) && d.includes(contains)), printed.join('\n')).toBe(true);
  });

  it('.env that is a FIFO is an error at the .env file', async () => {
    const file = manifest('dotenv-fifo', 'services: {}\n');
    execFileSync('mkfifo', [join(file, '..', '.env')]);
    const r = await loadManifest(file, { env: {} });
    expect(r.ok ? [] : r.diagnostics.map(formatDiagnostic)).toEqual([`${join(file, '..', '.env')}:1:1: cannot read .env: not a regular file (a FIFO)`]);
  });

  it('the manifest itself may not be a FIFO or a device', async () => {
    for (const file of [fifo, '/dev/zero']) {
      const r = await loadManifest(file, { env: {} });
      expect(r.ok ? [] : r.diagnostics.map(formatDiagnostic)).toEqual([expect.stringContaining(`${file}:1:1: cannot read manifest: not a regular file`)]);
    }
  });

  it('readSideFile: text, undefined when missing, an error otherwise', () => {
    expect(readSideFile(join(dir, 'ok.env'))).toBe('A=1\n');
    expect(readSideFile(join(dir, 'none.env'))).toBeUndefined();
    expect(readSideFile(big)).toEqual({ error: expect.stringContaining('too large') });
  });
});

describe('durations must fit in a timer (2^31-1 ms)', () => {
  it.each([
    ['healthcheck timeout', 'services:\n  web:\n    image: x\n    healthcheck:\n      timeout: 600h\n', 5],
    ['stop_grace_period', 'services:\n  web:\n    image: x\n    stop_grace_period: 700h\n', 4],
    ['depends_on timeout', 'services:\n  db: {image: x}\n  web:\n    image: x\n    depends_on:\n      db: {timeout: 9999999999ms}\n', 6],
  ])('%s', (_what, yaml, line) => {
    const errors = loadErrors(yaml);
    expect(errors.some((e) => e.includes(`:${line}:`) && e.includes('too long')), errors.join('\n')).toBe(true);
  });

  it('596h (just under 2^31-1 ms) is accepted', () => {
    expect(loadOk('services:\n  web:\n    image: x\n    healthcheck: {timeout: 596h}\n').manifest.services[0]!.healthcheck?.timeoutMs).toBe(596 * 3_600_000);
  });
});

describe('expose counts toward the port budget', () => {
  it('100 entries exposing 1-1000 exhaust the budget once', () => {
    const entries = Array.from({ length: 100 }, (_, i) => `  s${i}:\n    image: x\n    expose: ["1-1000"]\n`).join('');
    const errors = loadErrors(`services:\n${entries}`);
    expect(errors).toEqual([expect.stringMatching(/:\d+:\d+: too many ports in the manifest \(more than 10000/)]);
  });
});

describe('entry names', () => {
  it.each([
    ['a quote and a newline (graph injection)', 'services:\n  "web\\"];\\nevil":\n    image: x\n    container_name: web1\n', 2, 'invalid service name'],
    ['a space', 'jobs:\n  "my job":\n    image: x\n    container_name: job1\n', 2, 'invalid job name'],
    ['the reserved suffix', 'services:\n  web.dom0-next:\n    image: x\n', 2, 'the suffix `.dom0-next` is reserved'],
    ['a container_name with the reserved suffix', 'services:\n  web:\n    image: x\n    container_name: web.dom0-next\n', 4, 'the suffix `.dom0-next` is reserved'],
  ])('%s', (_what, yaml, line, contains) => {
    const errors = loadErrors(yaml);
    expect(errors).toEqual([expect.stringContaining(contains)]);
    expect(errors[0]).toContain(`:${line}:`);
  });
});
