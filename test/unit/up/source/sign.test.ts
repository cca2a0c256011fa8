// `dom0 source sign` writes the signing time into the index, and refuses to sign with a clock
// behind the time of the index already in the directory (hosts running it would refuse the new one).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sourceCommand } from '../../../../src/cli/source.js';
import { formatIndex, parseIndex, signingTimeMs, verifyIndex } from '../../../../src/up/source/index-file.js';

const admin = generateKeyPairSync('ed25519');

function fleetDir(): { dir: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dom0-sign-'));
  writeFileSync(join(dir, 'dom0.yaml'), 'name: signed\nservices:\n  web: {image: busybox:latest, env_file: [app.env]}\n');
  writeFileSync(join(dir, 'app.env'), 'A=1\n');
  const key = join(mkdtempSync(join(tmpdir(), 'dom0-sign-key-')), 'admin.key');
  writeFileSync(key, admin.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return { dir, key };
}

async function sign(dir: string, key: string): Promise<void> {
  const program = new Command().exitOverride();
  sourceCommand(program);
  await program.parseAsync(['node', 'dom0', 'source', 'sign', dir, '--key', key]);
}

afterEach(() => vi.restoreAllMocks());

describe('dom0 source sign: the signing time', () => {
  it('is written, signed, and the machine clock', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { dir, key } = fleetDir();
    const before = Date.now();
    await sign(dir, key);
    const idx = parseIndex(readFileSync(join(dir, 'dom0.yaml.sig')));
    expect(() => verifyIndex(idx, admin.publicKey)).not.toThrow();
    expect(signingTimeMs(idx.signedAt!)).toBeGreaterThanOrEqual(before);
    expect(signingTimeMs(idx.signedAt!)).toBeLessThanOrEqual(Date.now());
    expect(stdout.mock.calls.join('')).toContain(`signed at ${idx.signedAt}`);
    await sign(dir, key);
    expect(signingTimeMs(parseIndex(readFileSync(join(dir, 'dom0.yaml.sig'))).signedAt!)).toBeGreaterThan(signingTimeMs(idx.signedAt!)!);
  });

  it('with a clock behind the index in the directory: refused, the index left as it was', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { dir, key } = fleetDir();
    const future = formatIndex('dom0.yaml', new Map([['dom0.yaml', Buffer.from('x')]]), '2999-01-01T00:00:00.000Z');
    writeFileSync(join(dir, 'dom0.yaml.sig'), future);
    await expect(sign(dir, key)).rejects.toThrow(/was signed at 2999-01-01T00:00:00\.000Z, later than this machine's clock .*refuse the new index as a replay/);
    expect(readFileSync(join(dir, 'dom0.yaml.sig'), 'utf8')).toBe(future);
  });
});
