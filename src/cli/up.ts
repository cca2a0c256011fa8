import { type Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { heartbeatProblem, StateDir, stateDirFromEnv } from '../up/state-dir.js';
import { Journal } from '../up/journal.js';
import { UpLoop } from '../up/loop.js';
import { installDiagnostics } from '../up/diagnostics.js';
import { isLoopback, parseListenAddress, StatusServer, type ListenAddress } from '../up/status-server.js';
import { UsageError } from './errors.js';
import { registerSecret } from '../redact.js';
import { engine, fleetOption, type GlobalOptions, manifestPath } from './context.js';
import { logger } from './logger.js';
import { durationFlag, parseConcurrency } from './flags.js';
import { addHostLabelsOption, type HostLabelsFlag, useHostLabels } from './host-labels.js';
import { addSourceOptions, bootSource, followSource, openSource, type SourceFlags } from './source.js';
import { DEFAULT_ROLLBACK_AFTER_MS, parseRollbackAfter } from '../up/rollback.js';

interface UpFlags extends SourceFlags {
  stateDir?: string;
  reconcileInterval: number;
  concurrency: number;
  pullConcurrency?: number;
  timeout?: number;
  listen?: ListenAddress;
  listenTokenFile?: string;
  rollbackAfter: number;
}

function listenFlag(v: string): ListenAddress {
  const a = parseListenAddress(v);
  if ('error' in a) throw new UsageError(a.error);
  return a;
}

function readToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch (e) {
    throw new UsageError(`--listen-token-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (token === '') throw new UsageError(`--listen-token-file: ${file} is empty`);
  registerSecret(token);
  return token;
}

export function upCommand(program: Command): void {
  addHostLabelsOption(addSourceOptions(program.command('up')))
    .description('apply, then stay running: re-apply on edits and SIGHUP, supervise restarts, repair drift')
    .option('--state-dir <dir>', 'where the last-good manifest and the heartbeat live (default $DOM0_STATE_DIR or /var/lib/dom0)')
    .addOption(new Option('--reconcile-interval <duration>', 'periodic repair interval').argParser(durationFlag('--reconcile-interval')).default(300_000, '5m'))
    .option('--concurrency <n>', 'entries worked on at once', parseConcurrency, 8)
    .option('--pull-concurrency <n>', 'distinct images pulled at once (default 4)', parseConcurrency)
    .option('--timeout <duration>', 'default wait timeout for a dependency (e.g. 90s, 5m; default: the entry\'s own, else 5m)', durationFlag('--timeout'))
    .option('--listen <addr>', 'serve the read-only status page, /metrics and /healthz on HOST:PORT (127.0.0.1:9000) or a unix socket path (default: off)', listenFlag)
    .addOption(
      new Option('--rollback-after <duration>', 'readiness window after a changed manifest applies: a service healthy before that is not ready by then (or crash-loops) rolls back to the last healthy manifest; "off" disables')
        .env('DOM0_ROLLBACK_AFTER')
        .argParser((v: string) => parseRollbackAfter(v, durationFlag('--rollback-after')))
        .default(DEFAULT_ROLLBACK_AFTER_MS, '2m'),
    )
    .option('--listen-token-file <file>', 'require this bearer token (the file\'s first line) on every --listen request')
    .action(async (o: UpFlags & HostLabelsFlag, cmd: Command) => {
      useHostLabels(o);
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const token = o.listenTokenFile ? readToken(o.listenTokenFile) : undefined;
      const journal = o.listen ? new Journal() : undefined;
      const log = logger(g, journal ? (e) => journal.record(e) : undefined);
      const state = new StateDir(o.stateDir ?? stateDirFromEnv());
      const source = openSource(o, g.file, fleetOption(), log, state.dir);
      const loop = new UpLoop({
        file: source?.manifestFile ?? manifestPath(g),
        fleet: fleetOption(),
        engine: engine(),
        log,
        state,
        reconcileIntervalMs: o.reconcileInterval,
        concurrency: o.concurrency,
        pullConcurrency: o.pullConcurrency,
        waitTimeoutMs: o.timeout,
        rollbackAfterMs: o.rollbackAfter,
        // The source syncer reloads the loop on each new version; a watch of its copy would apply it twice.
        watchManifest: !source,
      });
      let server: StatusServer | undefined;
      if (o.listen && journal) {
        server = new StatusServer(
          { manifest: () => loop.current, engine: engine(), journal, stateDir: state.dir, healthProblem: () => heartbeatProblem(state.heartbeatAgeMs()), source: () => source?.status() },
          log,
          token,
        );
        const where = await server.listen(o.listen);
        if (!token && !isLoopback(o.listen)) {
          log.warn({ event: 'listen-insecure', address: where }, `the status page on ${where} is reachable from other hosts without a token: use --listen-token-file`);
        }
        log.info({ event: 'listening', address: where }, `status page on ${'path' in o.listen ? where : `http://${where}/`}`);
      }
      installDiagnostics(process.env.DOM0_DIAG_FILE, () => ({ ...loop.diagnostics(), ...(server ? { statusStreamClients: server.streamClients } : {}) }));
      process.on('SIGHUP', () => loop.reload());
      const stop = () => {
        source?.stop();
        void server?.close();
        void loop.stop();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      if (source) await bootSource(source, log);
      const started = loop.start();
      if (source) followSource(source, started, (why) => loop.reload(why));
      started.catch((e: Error) => {
        process.stderr.write(`dom0 up: ${e.message}\n`);
        void loop.stop();
      });
      await loop.done;
      // An apply abandoned at SIGTERM may still hold timers and the event stream: every step it
      // takes is crash-safe, so leaving now is safe, and `docker stop` must not wait for it.
      process.exit(0);
    });
}
