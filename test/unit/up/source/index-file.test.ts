import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  formatIndex,
  parseIndex,
  parsePrivateKey,
  parsePublicKey,
  rawPublicKey,
  sha256Hex,
  signIndex,
  signingTimeMs,
  validIndexPath,
  verifyIndex,
} from '../../../../src/up/source/index-file.js';

const admin = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const files = new Map([
  ['dom0.yaml', Buffer.from('name: farm\nservices: {}\n')],
  ['app.env', Buffer.from('A=1\n')],
  ['secrets/db.txt', Buffer.from('s3cret\n')],
]);
const unsigned = formatIndex('dom0.yaml', files);
const signed = signIndex(unsigned, admin.privateKey);

describe('source index: format, sign, verify', () => {
  it('lists every file with its sha256, sorted, and the manifest', () => {
    const idx = parseIndex(Buffer.from(signed));
    expect(idx.manifest).toBe('dom0.yaml');
    expect([...idx.files.keys()]).toEqual(['app.env', 'dom0.yaml', 'secrets/db.txt']);
    expect(idx.files.get('app.env')).toBe(sha256Hex(files.get('app.env')!));
    expect(idx.signed.toString()).toBe(unsigned);
  });

  it('accepts the admin key, in PEM and raw forms', () => {
    const pem = admin.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const raw = Buffer.from(rawPublicKey(admin.publicKey), 'base64');
    for (const key of [Buffer.from(pem), raw, Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('hex') + '\n')]) {
      expect(() => verifyIndex(parseIndex(Buffer.from(signed)), parsePublicKey(key))).not.toThrow();
    }
  });

  const tamper = (f: (s: string) => string) => Buffer.from(f(signed));
  it.each([
    ['another key', Buffer.from(signed), other.publicKey, /bad signature/],
    ['a changed hash', tamper((s) => s.replace(sha256Hex(files.get('app.env')!), sha256Hex('A=2\n'))), admin.publicKey, /bad signature/],
    ['an added file line', tamper((s) => s.replace('manifest dom0.yaml\n', `manifest dom0.yaml\nfile ${'0'.repeat(64)} evil.env\n`)), admin.publicKey, /bad signature/],
    ['a renamed manifest', tamper((s) => s.replace('manifest dom0.yaml', 'manifest app.env')), admin.publicKey, /bad signature/],
    ['no signature', Buffer.from(unsigned), admin.publicKey, /not signed/],
  ])('rejects %s', (_what, bytes, key, why) => {
    expect(() => verifyIndex(parseIndex(bytes), key)).toThrow(why);
  });

  it.each([
    ['garbage', 'hello\n', /not a dom0 source index/],
    ['HTML', '<html>502 Bad Gateway</html>', /not a dom0 source index/],
    ['truncated', unsigned.slice(0, -5), /newline|bad file line/],
    ['no manifest line', 'dom0-source-index 1\n', /names no manifest/],
    ['manifest without hash', 'dom0-source-index 1\nmanifest x.yaml\n', /no hash for its manifest/],
    ['a path with ..', `dom0-source-index 1\nmanifest dom0.yaml\nfile ${'a'.repeat(64)} ../etc/passwd\n`, /bad file line/],
    ['an absolute path', `dom0-source-index 1\nmanifest dom0.yaml\nfile ${'a'.repeat(64)} /etc/passwd\n`, /bad file line/],
    ['a short signature', `${unsigned}signature ed25519 AAAA\n`, /64 bytes/],
    ['a line after the signature', `${signed}file ${'a'.repeat(64)} x\n`, /nothing may follow/],
    ['a duplicate', `dom0-source-index 1\nmanifest a\nfile ${'a'.repeat(64)} a\nfile ${'b'.repeat(64)} a\n`, /twice/],
    ['an unknown line', 'dom0-source-index 1\nwhat now\n', /unknown line/],
  ])('refuses %s', (_what, text, why) => {
    expect(() => parseIndex(Buffer.from(text))).toThrow(why);
  });

  describe('the signing time', () => {
    const T = '2026-05-01T10:00:00.123Z';
    const timed = signIndex(formatIndex('dom0.yaml', files, T), admin.privateKey);

    it('is the second line, covered by the signature, read back as written', () => {
      expect(timed.split('\n').slice(0, 3)).toEqual(['dom0-source-index 1', `signed ${T}`, 'manifest dom0.yaml']);
      const idx = parseIndex(Buffer.from(timed));
      expect(idx.signedAt).toBe(T);
      expect(() => verifyIndex(idx, admin.publicKey)).not.toThrow();
      expect(parseIndex(Buffer.from(signed)).signedAt).toBeUndefined(); // an index of an older dom0: still valid
    });

    it.each([
      ['an earlier time', timed.replace(T, '2026-04-01T10:00:00.123Z')],
      ['the line removed', timed.replace(`signed ${T}\n`, '')],
      ['the line added to an index without one', signed.replace('manifest dom0.yaml\n', `signed ${T}\nmanifest dom0.yaml\n`)],
    ])('%s: bad signature', (_what, text) => {
      expect(() => verifyIndex(parseIndex(Buffer.from(text)), admin.publicKey)).toThrow(/bad signature/);
    });

    it.each([
      ['2026-05-01T10:00:00Z', true],
      ['2026-05-01T10:00:00.1Z', true],
      ['2026-05-01T10:00:00.123Z', true],
      ['2024-02-29T23:59:59Z', true],
      ['2026-05-01T10:00:00.1234Z', false],
      ['2026-05-01T10:00:00+02:00', false],
      ['2026-05-01T10:00:00', false],
      ['2026-05-01 10:00:00Z', false],
      ['2026-02-30T10:00:00Z', false],
      ['2026-05-01T24:00:00Z', false],
      ['2026-05-01T10:00:60Z', false],
      ['1777629600', false],
      ['', false],
    ])('signingTimeMs(%j) is a time: %s', (t, ok) => {
      expect(signingTimeMs(t) !== undefined).toBe(ok);
      const text = `dom0-source-index 1\nsigned ${t}\nmanifest a\nfile ${'a'.repeat(64)} a\n`;
      if (ok) expect(parseIndex(Buffer.from(text)).signedAt).toBe(t);
      else expect(() => parseIndex(Buffer.from(text))).toThrow(/line 2: bad signed line/);
    });

    it('orders times by the instant, whatever the precision', () => {
      expect(signingTimeMs('2026-05-01T10:00:00.5Z')).toBe(signingTimeMs('2026-05-01T10:00:00.500Z'));
      expect(signingTimeMs('2026-05-01T10:00:00Z')!).toBeLessThan(signingTimeMs('2026-05-01T10:00:00.001Z')!);
    });

    it.each([
      ['twice', `dom0-source-index 1\nsigned ${T}\nsigned ${T}\nmanifest a\nfile ${'a'.repeat(64)} a\n`, /line 3: bad signed line/],
      ['after the signature', `${timed}signed ${T}\n`, /nothing may follow/],
    ])('refuses a signed line %s', (_what, text, why) => {
      expect(() => parseIndex(Buffer.from(text))).toThrow(why);
    });
  });

  it.each([
    ['dom0.yaml', true],
    ['a/b.env', true],
    ['', false],
    ['/abs', false],
    ['a/../b', false],
    ['./a', false],
    ['a//b', false],
    ['a\nb', false],
    ['a\\b', false],
  ])('validIndexPath(%j) is %s', (p, ok) => expect(validIndexPath(p)).toBe(ok));

  it('refuses keys that are not ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => parsePublicKey(Buffer.from(rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string))).toThrow(/not an ed25519 key/);
    expect(() => parsePrivateKey(Buffer.from(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string))).toThrow(/not an ed25519 key/);
    expect(() => parsePublicKey(Buffer.from('not a key'))).toThrow(/expected PEM/);
  });
});
