// The one-file tar written into a container: a header tar(1) reads back, the data, the end blocks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { singleFileTar } from '../../../src/engine/tar.js';

describe('singleFileTar', () => {
  it.each([
    ['/run/secrets/db', 'pässword\n', 0o400, 1000, 1001],
    ['/app', '', 0o444, undefined, undefined],
    [`/${'d'.repeat(90)}/${'e'.repeat(60)}/file.conf`, 'x'.repeat(1500), 0o640, 0, 0],
  ])('%s', (path, content, mode, uid, gid) => {
    const tar = singleFileTar({ path, content, mode, uid, gid }, 1_700_000_000);
    expect(tar.length % 512).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'dom0-tar-'));
    try {
      writeFileSync(join(dir, 'a.tar'), tar);
      const listing = execFileSync('tar', ['-tvf', join(dir, 'a.tar'), '--numeric-owner'], { encoding: 'utf8' });
      expect(listing).toContain(`${uid ?? 0}/${gid ?? 0}`);
      expect(listing).toContain(path.slice(1));
      execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
      const out = join(dir, path.slice(1));
      expect(readFileSync(out, 'utf8')).toBe(content);
      expect(statSync(out).mode & 0o777).toBe(mode);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a directory path', '/run/secrets/', 'is not a file path'],
    ['a uid out of range', '/x', 'out of range'],
    ['a name too long', `/${'n'.repeat(120)}`, 'too long'],
  ])('refuses %s', (_name, path, want) => {
    expect(() => singleFileTar({ path, content: 'x', mode: 0o444, uid: path === '/x' ? 0o10000000 : undefined })).toThrow(want);
  });
});
