// Logs: NDJSON when stderr is not a TTY, readable lines on a TTY. Known secrets are scrubbed
// from every line before it is written.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { scrub } from './redact.js';

export type Log = Logger;

export interface LogOptions {
  level?: string;
  /** Readable lines instead of NDJSON; default: stderr is a TTY. */
  pretty?: boolean;
  /** File descriptor to write to; default 2 (stderr), so stdout stays for command output. */
  fd?: number;
}

export function createLogger(opts: LogOptions = {}): Log {
  const fd = opts.fd ?? 2;
  const level = opts.level ?? 'info';
  const base = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'auth', '*.auth', 'identitytoken', '*.identitytoken'], censor: '[redacted]' },
    hooks: { streamWrite: (s: string) => scrub(s) },
  };
  if (opts.pretty ?? process.stderr.isTTY) {
    return pino(base, pretty({ destination: fd, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino(base, pino.destination({ fd, sync: true }));
}

export function silentLogger(): Log {
  return pino({ level: 'silent' });
}
