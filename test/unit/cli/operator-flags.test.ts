// The operator's flags and environment: durations, log settings, --version, and the list of
// environment variables in `dom0 --help` kept complete against the sources.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT, environmentHelp } from '../../../src/cli/environment.js';
import { UsageError } from '../../../src/cli/errors.js';
import { durationFlag } from '../../../src/cli/flags.js';
import { logFormatError, logLevelError, prettyByDefault } from '../../../src/log.js';
import { buildInfo } from '../../../src/version.js';
import { run } from '../../support/process.js';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const PKG = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

describe('--timeout / --reconcile-interval take a duration', () => {
  const parse = durationFlag('--timeout');
  it.each([
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['90', 90_000],
    ['0.5', 500],
  ])('%s → %d ms', (v, ms) => expect(parse(v)).toBe(ms));

  it.each([['5 minutes'], ['abc'], [''], ['-1s'], ['0s'], ['0'], ['NaN'], ['30d']])('%j is a usage error naming the flag', (v) => {
    expect(() => parse(v)).toThrow(UsageError);
    expect(() => parse(v)).toThrow(/^--timeout /);
  });
});

describe('log settings', () => {
  it.each([
    ['info', undefined],
    ['silent', undefined],
    ['', undefined],
    [undefined, undefined],
    ['verbose', '--log-level must be one of trace, debug, info, warn, error, fatal, silent, not "verbose"'],
    ['INFO', '--log-level must be one of trace, debug, info, warn, error, fatal, silent, not "INFO"'],
  ])('level %j', (v, why) => expect(logLevelError('--log-level', v)).toBe(why));

  it.each([
    ['json', undefined],
    ['pretty', undefined],
    ['text', 'DOM0_LOG_FORMAT must be one of json, pretty, not "text"'],
  ])('format %j', (v, why) => expect(logFormatError('DOM0_LOG_FORMAT', v)).toBe(why));

  it('DOM0_LOG_FORMAT decides pretty or NDJSON whatever stderr is', () => {
    expect(prettyByDefault({ DOM0_LOG_FORMAT: 'pretty' })).toBe(true);
    expect(prettyByDefault({ DOM0_LOG_FORMAT: 'json' })).toBe(false);
  });
});

describe('environment variables in --help', () => {
  it('every DOM0_* / DOCKER_* variable the sources name is listed', () => {
    const read = new Set<string>();
    for (const f of sources(SRC)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/(?<![A-Z_])(DOM0_[A-Z0-9_]*[A-Z0-9]|DOCKER_(?:HOST|CONFIG|CONTEXT|TLS_VERIFY|TLS|CERT_PATH)|SSH_AUTH_SOCK)\b/g)) read.add(m[1]!);
    }
    // build-time constants and label/prefix fragments, not environment variables
    for (const n of [...read]) if (n === 'DOM0_PULL' || /^DOM0_[A-Z_]*VERSION$|^DOM0_REVISION$/.test(n)) read.delete(n);
    const listed = new Set(ENVIRONMENT.map(([n]) => n));
    expect([...read].filter((n) => !listed.has(n)).sort()).toEqual([]);
    for (const [n] of ENVIRONMENT) expect(environmentHelp()).toContain(n);
  });

  it('docs/operations.md lists every one of them', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/operations.md', import.meta.url)), 'utf8');
    const table = doc.slice(doc.indexOf('## Environment variables'));
    expect(ENVIRONMENT.map(([n]) => n).filter((n) => !table.includes(`\`${n}\``))).toEqual([]);
  });
});

describe('dom0 --version and flag errors from the built CLI', () => {
  it('--version prints the package version', async () => {
    expect(buildInfo().version).toBe(PKG.version);
    const r = await run('node', ['dist/cli/main.js', '--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(PKG.version);
  });

  it('a --log-level typo exits 2 with the valid values, not a stack trace', async () => {
    const r = await run('node', ['dist/cli/main.js', '--log-level', 'verbose', 'validate', '-f', '/nonexistent.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('dom0: --log-level must be one of trace, debug, info, warn, error, fatal, silent, not "verbose"\n');
  });

  it('--timeout 5m is accepted; --timeout 5x exits 2', async () => {
    const bad = await run('node', ['dist/cli/main.js', 'apply', '--timeout', '5x', '-f', '/nonexistent.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout takes a duration');
  });
});
