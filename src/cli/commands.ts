// dom0's commands, each loaded only when it runs, and which one a command line runs.
import type { Command } from 'commander';

type Register = (program: Command) => void;

// Each command's module (and what only it uses: the reconciler, the `up` loop, pino) loads only
// when that command runs; in the bundle each is its own chunk (issue #12: start-up cost).
export const COMMANDS: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./validate.js')).validateCommand,
  config: async () => (await import('./config.js')).configCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  apply: async () => (await import('./apply.js')).applyCommand,
  status: async () => (await import('./status.js')).statusCommand,
  down: async () => (await import('./down.js')).downCommand,
  graph: async () => (await import('./graph.js')).graphCommand,
  up: async () => (await import('./up.js')).upCommand,
  health: async () => (await import('./health.js')).healthCommand,
  logs: async () => (await import('./logs.js')).logsCommand,
  version: async () => (await import('./version.js')).versionCommand,
  completion: async () => (await import('./completion.js')).completionCommand,
  source: async () => (await import('./source.js')).sourceCommand,
};

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_VALUE_OPTIONS = new Set(['-f', '--file', '--profile', '--log-level', '--fleet']);

/**
 * The command word of `args` (argv without node and the script) when it names one command that
 * needs no other command registered; undefined for help, completion (both read the whole
 * program), a typo (commander's suggestion needs every name) or no command.
 */
export function soleCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return undefined;
    if (GLOBAL_VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue; // --file=x, -fx, or a flag without a value
    return Object.hasOwn(COMMANDS, a) && a !== 'completion' ? a : undefined;
  }
  return undefined;
}
