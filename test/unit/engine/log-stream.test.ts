import { describe, expect, it } from 'vitest';
import { LogLines } from '../../../src/engine/log-stream.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe('LogLines', () => {
  it('splits multiplexed frames into lines per stream, across any chunk boundary', () => {
    const bytes = Buffer.concat([frame(1, 'one\ntw'), frame(2, 'err1\n'), frame(1, 'o\nthree'), frame(2, 'err2')]);
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const l = new LogLines(false);
      const got = [...l.push(bytes.subarray(0, cut)), ...l.push(bytes.subarray(cut)), ...l.end()];
      expect(got).toEqual([
        { stream: 'stdout', text: 'one' },
        { stream: 'stderr', text: 'err1' },
        { stream: 'stdout', text: 'two' },
        { stream: 'stdout', text: 'three' },
        { stream: 'stderr', text: 'err2' },
      ]);
    }
  });

  it('a TTY stream is raw text; CRLF endings lose the CR', () => {
    const l = new LogLines(true);
    expect([...l.push(Buffer.from('a\r\nb')), ...l.push(Buffer.from('c\n')), ...l.end()]).toEqual([
      { stream: 'stdout', text: 'a' },
      { stream: 'stdout', text: 'bc' },
    ]);
  });
});
