// Logs: NDJSON when stderr is not a TTY, readable lines on a TTY (DOM0_LOG_FORMAT=json|pretty
// decides instead). Known secrets are scrubbed from every line before it is written.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
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
  if (opts.pretty ?? prettyByDefault()) {
    return pino(base, pretty({ destination: fd, sync: true, colorize: process.stderr.isTTY === true, singleLine: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino(base, pino.destination({ fd, sync: true }));
}

export function silentLogger(): Log {
  return pino({ level: 'silent' });
}
