// Logs: NDJSON when stderr is not a TTY, readable lines on a TTY (DOM0_LOG_FORMAT=json|pretty
// decides instead). Known secrets are scrubbed from every line before it is written.
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { scrub } from './redact.js';

export type Log = Logger;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** `why` when `value` is not one of `allowed` (a flag or env var given by the user), else undefined. */
function oneOf(what: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value === undefined || value === '' || allowed.includes(value)) return undefined;
  return `${what} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`;
}

export const logLevelError = (what: string, v: string | undefined) => oneOf(what, v, LOG_LEVELS);
export const logFormatError = (what: string, v: string | undefined) => oneOf(what, v, LOG_FORMATS);

/** Pretty when DOM0_LOG_FORMAT=pretty, NDJSON when =json, else pretty only on a TTY. */
export function prettyByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DOM0_LOG_FORMAT === 'pretty') return true;
  if (env.DOM0_LOG_FORMAT === 'json') return false;
  return process.stderr.isTTY === true;
}

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
