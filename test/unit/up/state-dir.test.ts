import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256, StateDir, StateFileError } from '../../../src/up/state-dir.js';

const root = mkdtempSync(join(tmpdir(), 'dom0-state-dir-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => new StateDir(join(root, `s${n++}`, 'state'));

describe('StateDir last-good', () => {
  it.each([
    ['ASCII', Buffer.from('services: {}\n')],
    ['a BOM, CRLF and non-ASCII', Buffer.from('\uFEFFname: caf\u00e9\r\nservices: {}\r\n', 'utf8')],
    ['a password with quotes and backslashes', Buffer.from('registries:\n  r.io: {password: "a\\"b\\\\c"}\n')],
  ])('stores exactly the bytes it is given (%s)', (_what, bytes) => {
    const s = fresh();
    s.saveLastGood('/srv/dom0.yaml', bytes);
    const last = s.loadLastGood()!;
    expect(Buffer.from(last.text, 'utf8').equals(bytes)).toBe(true);
    expect(last.sha256).toBe(sha256(bytes));
    expect(last.source).toBe('/srv/dom0.yaml');
  });

  it('files are 0600, the directory it creates 0700, and no temp file is left behind', () => {
    const s = fresh();
    s.saveLastGood('/m.yaml', Buffer.from('services: {}\n'));
    s.heartbeat();
    expect(statSync(s.dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(s.dir).sort()).toEqual(['heartbeat', 'last-good.json']);
    for (const f of readdirSync(s.dir)) expect(statSync(join(s.dir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('a second save replaces the first atomically', () => {
    const s = fresh();
    s.saveLastGood('/m.yaml', Buffer.from('one\n'));
    s.saveLastGood('/m.yaml', Buffer.from('two\n'));
    expect(s.loadLastGood()!.text).toBe('two\n');
    expect(readdirSync(s.dir)).toEqual(['last-good.json']);
  });

  it('no file: undefined', () => {
    expect(fresh().loadLastGood()).toBeUndefined();
  });

  it.each([
    ['truncated', (good: string) => good.slice(0, good.length - 7), /truncated or corrupt/],
    ['empty', () => '', /truncated or corrupt/],
    ['fields missing', () => '{"text":"x"}', /fields missing/],
    ['edited: the checksum does not match', (good: string) => good.replace('services', 'servicez'), /checksum does not match/],
    ['not an object', () => 'null', /fields missing/],
  ])('a %s file is reported, not taken for "no last-good"', (_what, corrupt, message) => {
    const s = fresh();
    s.saveLastGood('/m.yaml', Buffer.from('services: {}\n'));
    const file = join(s.dir, 'last-good.json');
    writeFileSync(file, corrupt(readFileSync(file, 'utf8')));
    expect(() => s.loadLastGood()).toThrow(StateFileError);
    expect(() => s.loadLastGood()).toThrow(message);
  });

  it('a record written by the previous release (sha256 of the text) still loads', () => {
    const s = fresh();
    s.saveLastGood('/m.yaml', Buffer.from('x'));
    const text = 'services:\n  web: {image: caf\u00e9}\n';
    writeFileSync(join(s.dir, 'last-good.json'), JSON.stringify({ source: '/m.yaml', text, savedAt: 'then', sha256: sha256(text) }));
    expect(s.loadLastGood()!.text).toBe(text);
  });
});
