// The commands' logger. Apart from context.ts so that commands that never log (validate, graph,
// health, config) do not load pino.
import { createLogger, type Log } from '../log.js';
import type { GlobalOptions } from './context.js';

/** `tap`: also given every event at info and above (the `up --listen` journal). */
export function logger(opts: GlobalOptions, tap?: (event: Record<string, unknown>) => void): Log {
  return createLogger({ level: opts.logLevel ?? process.env.DOM0_LOG_LEVEL ?? 'info', ...(tap ? { tap } : {}) });
}
