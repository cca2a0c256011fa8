// `dom0 logs`: the fleet's container logs, a name prefix on each line, like `docker compose logs`.
import type { Command } from 'commander';
import type { LogLine } from '../engine/engine.js';
import { status, type StatusRow } from '../reconcile/status.js';
import { engine, type GlobalOptions, loadOrThrow, manifestPath } from './context.js';
import { UsageError } from './errors.js';
import { sinceFlag, tailFlag } from './flags.js';
import { out } from './format.js';

interface LogsOptions {
  follow?: boolean;
  since?: number;
  tail?: number;
  timestamps?: boolean;
  prefix: boolean;
}

/** An engine log line with timestamps: "2026-11-30T13:40:01.123456789Z text". */
const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ?(.*)$/s;

export interface StampedLine {
  entry: string;
  stamp: string;
  text: string;
}

/** Lines of several containers in time order (stable: one container's lines keep their order). */
export function interleave(lines: StampedLine[]): StampedLine[] {
  // RFC 3339 UTC stamps of one engine compare as text once their fractions have the same length
  const key = (s: string) => s.replace(/(\.\d+)?Z$/, (_m, f: string | undefined) => `${(f ?? '.').padEnd(10, '0')}Z`);
  return lines
    .map((l, i) => ({ l, i, k: key(l.stamp) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
    .map((x) => x.l);
}

export function splitStamp(entry: string, line: LogLine): StampedLine {
  const m = STAMPED.exec(line.text);
  return m ? { entry, stamp: m[1]!, text: m[2]! } : { entry, stamp: '', text: line.text };
}

/** The entries whose logs are shown: the ones named (all services and jobs by default) that have a container of this fleet. */
export function logTargets(rows: StatusRow[], names: string[]): StatusRow[] {
  const runnable = rows.filter((r) => r.kind !== 'volume' && r.sync !== 'orphan');
  for (const n of names) {
    if (!runnable.some((r) => r.name === n)) {
      throw new UsageError(`no service or job ${JSON.stringify(n)} in the manifest (entries: ${runnable.map((r) => r.name).join(', ') || 'none'})`);
    }
  }
  const wanted = names.length ? runnable.filter((r) => names.includes(r.name)) : runnable;
  return wanted.filter((r) => r.id !== undefined && r.sync !== 'unmanaged');
}

export function logsCommand(program: Command): void {
  program
    .command('logs')
    .description("the fleet's container logs, each line prefixed with its entry (like `docker compose logs`)")
    .argument('[entry...]', 'services or jobs (default: all)')
    .option('--follow', 'keep following until the containers stop (Ctrl-C ends); -f is the manifest, as everywhere in dom0')
    .option('--since <time>', 'lines since a duration ago (10m), an RFC 3339 time, or Unix seconds', sinceFlag())
    .option('-n, --tail <lines>', 'lines from the end of each log, or "all"', tailFlag)
    .option('-t, --timestamps', "show the engine's timestamps")
    .option('--no-prefix', 'no entry name before each line')
    .action(async (names: string[], o: LogsOptions, cmd: Command) => {
      const manifest = await loadOrThrow(manifestPath(cmd.optsWithGlobals<GlobalOptions>()));
      const targets = logTargets(await status(manifest, engine()), names);
      const width = Math.max(0, ...targets.map((t) => t.name.length));
      const show = (entry: string, stamp: string, text: string) => {
        const prefix = o.prefix ? `${entry.padEnd(width)} | ` : '';
        out(`${prefix}${o.timestamps && stamp ? `${stamp} ` : ''}${text}\n`);
      };
      const query = { since: o.since, tail: o.tail, timestamps: true };
      if (!o.follow) {
        const all: StampedLine[] = [];
        await Promise.all(targets.map((t) => engine().streamLogs(t.id!, query, (l) => all.push(splitStamp(t.name, l)))));
        for (const l of interleave(all)) show(l.entry, l.stamp, l.text);
        return;
      }
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await Promise.all(
          targets.map((t) =>
            engine().streamLogs(t.id!, { ...query, follow: true, signal: abort.signal }, (l) => {
              const s = splitStamp(t.name, l);
              show(s.entry, s.stamp, s.text);
            }),
          ),
        );
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
