// The log level and format a user may choose, checked before any logger exists. Apart from log.ts
// so that checking them does not load pino (issue #12: commands that never log don't pay for it).

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
