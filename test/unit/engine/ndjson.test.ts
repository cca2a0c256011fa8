import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineSplitter, onJsonLines } from '../../../src/engine/ndjson.js';

/** Every way of cutting `bytes` into two or three chunks. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]];
  for (let i = 1; i < bytes.length; i++) {
    out.push([bytes.subarray(0, i), bytes.subarray(i)]);
    for (let j = i + 1; j < bytes.length; j++) out.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
  }
  return out;
}

describe('LineSplitter', () => {
  it.each([
    ['two-byte character', 'caf\u00e9\nna\u00efve\n', ['caf\u00e9', 'na\u00efve']],
    ['three-byte character', '\u20ac 5\n', ['\u20ac 5']],
    ['four-byte character', 'ok \u{1F680}\n', ['ok \u{1F680}']],
    ['unterminated last line', 'a\nb\u00e9', ['a', 'b\u00e9']],
    ['empty lines kept', '\n\nx\n', ['', '', 'x']],
  ])('%s survives every chunk split', (_what, text, want) => {
    for (const chunks of splits(Buffer.from(text, 'utf8'))) {
      const s = new LineSplitter();
      const got = [...chunks.flatMap((c) => s.push(c)), ...s.end()];
      expect(got, `chunks ${chunks.map((c) => c.toString('hex')).join(' | ')}`).toEqual(want);
    }
  });

  it('a truncated character at the very end becomes one replacement character, not a crash', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from([0x61, 0xc3]))).toEqual([]);
    expect(s.end()).toEqual(['a\ufffd']);
  });
});

describe('onJsonLines', () => {
  it('decodes labels split inside a character and parses the line without a trailing newline', async () => {
    const stream = new PassThrough();
    const got: unknown[] = [];
    onJsonLines(stream, (v) => got.push(v));
    const ended = new Promise((r) => stream.on('end', r));
    const bytes = Buffer.from('{"status":"caf\u00e9"}\n{"label":"\u00fcber"}', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    stream.write(bytes.subarray(0, cut));
    stream.write(bytes.subarray(cut));
    stream.end();
    stream.resume();
    await ended;
    expect(got).toEqual([{ status: 'caf\u00e9' }, { label: '\u00fcber' }]);
  });

  it('skips unparsable lines', async () => {
    const stream = new PassThrough();
    const got: unknown[] = [];
    onJsonLines(stream, (v) => got.push(v));
    const ended = new Promise((r) => stream.on('end', r));
    stream.end('{"a":1}\nnot json\n{"b":2}\n');
    stream.resume();
    await ended;
    expect(got).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
