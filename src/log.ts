// Logs: NDJSON when stderr is not a TTY, readable lines on a TTY (DOM0_LOG_FORMAT=json|pretty
// decides instead). Known secrets are scrubbed from every line before it is written.
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { prettyByDefault } from './log-settings.js';
import { scrub } from './redact.js';

export type Log = Logger;

export { LOG_FORMATS, LOG_LEVELS, logFormatError, logLevelError, prettyByDefault } from './log-settings.js';

export interface LogOptions {
  level?: string;
  /** Readable lines instead of NDJSON; default: prettyByDefault(). */
  pretty?: boolean;
  /** File descriptor to write to; default 2 (stderr), so stdout stays for command output. */
  fd?: number;
  /**
   * Also given every event at info and above, whatever `level` is, as the object written (secrets
   * already scrubbed): the journal behind `dom0 up --listen`.
   */
  tap?: (event: Record<string, unknown>) => void;
}

export function createLogger(opts: LogOptions = {}): Log {
  const fd = opts.fd ?? 2;
  const level = opts.level || 'info'; // an empty DOM0_LOG_LEVEL= means the default
  const base = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'auth', '*.auth', 'identitytoken', '*.identitytoken'], censor: '[redacted]' },
    hooks: { streamWrite: (s: string) => scrub(s) },
  };
  const out =
    (opts.pretty ?? prettyByDefault())
      ? prettyStream()({ destination: fd, sync: true, colorize: process.stderr.isTTY === true, singleLine: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })
      : pino.destination({ fd, sync: true });
  const tap = opts.tap;
  if (!tap) return pino(base, out);
  const tapStream = {
    write(line: string) {
      try {
        tap(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line the journal cannot read is still in the log
      }
    },
  };
  const streams: pino.StreamEntry[] = [{ level: 'info', stream: tapStream }];
  if (level !== 'silent') streams.push({ level: level as pino.Level, stream: out });
  return pino({ ...base, level: (pino.levels.values[level] ?? 30) < 30 ? level : 'info' }, pino.multistream(streams));
}

/** pino-pretty, loaded only when a logger is pretty (most runs log NDJSON). */
function prettyStream(): typeof import('pino-pretty') {
  const require = createRequire(import.meta.url);
  return require('pino-pretty') as typeof import('pino-pretty');
}

export function silentLogger(): Log {
  return pino({ level: 'silent' });
}
