// A container's log stream as lines. Without a TTY the engine multiplexes stdout and stderr in
// frames (a 1-byte stream type, 3 zero bytes, a 4-byte big-endian length, the payload); with a
// TTY it sends raw bytes. Chunks arrive split anywhere, so frames and lines are reassembled here.

export type LogStreamName = 'stdout' | 'stderr';

export interface LogLine {
  stream: LogStreamName;
  text: string;
}

export class LogLines {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<LogStreamName, string> = { stdout: '', stderr: '' };

  constructor(private readonly tty: boolean) {}

  /** The complete lines in `chunk` (with what came before). */
  push(chunk: Buffer): LogLine[] {
    if (this.tty) return this.lines('stdout', chunk.toString('utf8'));
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: LogLine[] = [];
    let i = 0;
    while (i + 8 <= this.pending.length) {
      const size = this.pending.readUInt32BE(i + 4);
      if (i + 8 + size > this.pending.length) break;
      const stream: LogStreamName = this.pending[i] === 2 ? 'stderr' : 'stdout';
      out.push(...this.lines(stream, this.pending.subarray(i + 8, i + 8 + size).toString('utf8')));
      i += 8 + size;
    }
    this.pending = this.pending.subarray(i);
    return out;
  }

  /** The last lines, without a trailing newline. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') out.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
    return out;
  }

  private lines(stream: LogStreamName, text: string): LogLine[] {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop()!;
    return parts.map((t) => ({ stream, text: t.endsWith('\r') ? t.slice(0, -1) : t }));
  }
}
