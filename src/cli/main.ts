#!/usr/bin/env node
// dom0's command line. Named errors become exit codes here and only here.
import { Command, CommanderError } from 'commander';
import { EndpointError } from '../engine/docker-endpoint.js';
import { isEngineError } from '../engine/errors.js';
import { formatDiagnostic } from '../manifest/diagnostics.js';
import { scrub } from '../redact.js';
import { reportEngineCalls, setGlobalOptions, type GlobalOptions } from './context.js';
import { COMMANDS, soleCommand } from './commands.js';
import { EXIT, ManifestError, NotConvergedError, UsageError } from './errors.js';
import { environmentHelp } from './environment.js';
import { buildInfo } from '../version.js';
import { logFormatError, logLevelError } from '../log-settings.js';

/** A repeatable option: every occurrence, in order. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The program with every command, or with only `only` (the command being run: see soleCommand). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('dom0')
    .description('boot orchestrator for a Docker host: dom0.yaml → plan → apply')
    .option('-f, --file <file>', 'manifest; repeat to merge several, as Compose does; - is stdin (default: $DOM0_MANIFEST, a list like COMPOSE_FILE, else ./dom0.yaml, /etc/dom0/dom0.yaml)', collect)
    .option('--profile <name>', 'activate a profile; repeatable (default: $DOM0_PROFILES, else $COMPOSE_PROFILES)', collect)
    .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
    .option('--fleet <name>', "fleet name (default: $DOM0_FLEET, the manifest's name:, else its directory's name)")
    .option('--target <target>', "single | swarm: where plan/apply/down/status/validate deploy (default: the manifest's target:, else single)")
    .version(buildInfo().version, '-V, --version', 'print the version (`dom0 version` for the engine and libraries)')
    .addHelpText('after', environmentHelp())
    .hook('preAction', (_program, action) => {
      const g = action.optsWithGlobals<GlobalOptions>();
      checkLogSettings(g.logLevel);
      setGlobalOptions(g);
    })
    .exitOverride()
    .showHelpAfterError();
  const names = only ? [only] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((n) => COMMANDS[n]!()))) register(program);
  return program;
}

/** A typo in --log-level or the log env vars is a usage error, before any logger exists. */
function checkLogSettings(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const why =
    logLevelError('--log-level', flag) ?? logLevelError('DOM0_LOG_LEVEL', env.DOM0_LOG_LEVEL) ?? logFormatError('DOM0_LOG_FORMAT', env.DOM0_LOG_FORMAT);
  if (why) throw new UsageError(why);
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof ManifestError) {
    for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return EXIT.invalid;
  }
  if (e instanceof UsageError || e instanceof EndpointError) {
    process.stderr.write(`dom0: ${e.message}\n`);
    return EXIT.invalid;
  }
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    return EXIT.invalid;
  }
  if (e instanceof NotConvergedError) {
    process.stderr.write(`dom0: ${scrub(e.message)}\n`);
    return EXIT.notConverged;
  }
  if (isEngineError(e)) {
    process.stderr.write(`dom0: ${scrub(e.message)}\n`);
    return EXIT.notConverged;
  }
  process.stderr.write(`dom0: ${scrub((e as Error)?.stack ?? String(e))}\n`);
  return EXIT.notConverged;
}

async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(soleCommand(argv.slice(2)))).parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    return exitCodeFor(e);
  } finally {
    reportEngineCalls();
  }
}

process.exitCode = await main(process.argv);
