import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED, registerSecret, scrub } from '../../src/redact.js';

describe('scrub catches a secret in the forms JSON gives it', () => {
  it.each([
    ['plain', 'plain-secret-1'],
    ['a double quote', 'pa"ss-word-2'],
    ['a backslash', 'pa\\ss-word-3'],
    ['a newline and a tab', 'pa\nss\tword-4'],
    ['non-ASCII', 'p\u00e4ssw\u00f6rd-\u20ac-5'],
    ['an emoji', 'key-\u{1F511}-6'],
  ])('%s', (_what, secret) => {
    registerSecret(secret);
    const json = JSON.stringify({ msg: `login with ${secret} failed` });
    const asciiEscaped = json.replace(/[^\x00-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const upperEscaped = asciiEscaped.replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => `\\u${h.toUpperCase()}`);
    for (const line of [`login with ${secret} failed`, json, asciiEscaped, upperEscaped]) {
      const out = scrub(line);
      expect(out, line).toContain(REDACTED);
      expect(out).not.toContain(secret);
      expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
  });

  it('a logger line (NDJSON) carrying the secret in a message and a field is scrubbed', async () => {
    const secret = 'quo"te\\back-\u00e9-7';
    registerSecret(secret);
    const sink = new PassThrough();
    const chunks: string[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const log = pino({ base: undefined, hooks: { streamWrite: (s: string) => scrub(s) } }, sink);
    log.error({ event: 'pull-failed', error: `denied for ${secret}` }, `pull failed: ${secret}`);
    await new Promise((r) => setImmediate(r));
    const line = chunks.join('');
    expect(line).toContain(REDACTED);
    expect(line).not.toContain('quo\\"te');
    expect(JSON.stringify(JSON.parse(line))).not.toContain('back');
  });
});
