// Newline-delimited JSON from the engine (events, pull progress). Chunks split anywhere, even
// inside a multi-byte UTF-8 character, and the last line may come without its newline.
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** Bytes in, complete lines out; `end()` returns what is left of an unterminated last line. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buf = '';

  push(chunk: Buffer | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines = this.buf.split('\n');
    this.buf = lines.pop()!;
    return lines;
  }

  end(): string[] {
    const rest = this.buf + this.decoder.end();
    this.buf = '';
    return rest === '' ? [] : [rest];
  }
}

/** Calls `onValue` with each JSON value of the stream, the unterminated last line included; unparsable lines are skipped. */
export function onJsonLines<T>(stream: Readable, onValue: (value: T) => void): void {
  const lines = new LineSplitter();
  const emit = (batch: string[]): void => {
    for (const raw of batch) {
      const line = raw.trim();
      if (!line) continue;
      let value: T;
      try {
        value = JSON.parse(line) as T;
      } catch {
        continue;
      }
      onValue(value);
    }
  };
  stream.on('data', (chunk: Buffer | string) => emit(lines.push(chunk)));
  // Registered before the caller's own 'end' listener, so the last line is seen before it.
  stream.on('end', () => emit(lines.end()));
}
