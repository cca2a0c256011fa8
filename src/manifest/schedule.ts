// A job's `schedule:`: cron times at which `dom0 up` runs it again (croner parses the pattern:
// 5 fields, or 6 with seconds first; names like MON and @daily), in a time zone, optionally
// running once at boot what the downtime missed. Normalized here; the up loop's scheduler fires
// it and plan re-runs the job then.
import { Cron } from 'croner';
import type { Path } from './diagnostics.js';
import type { ContainerSpec, JobSchedule } from './types.js';

export interface ParsedSchedule {
  cron: string;
  timezone?: string;
  catch_up?: boolean;
}

function cronOf(s: JobSchedule): Cron {
  return new Cron(s.cron, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) });
}

/** Why a pattern or time zone cannot be used, or undefined. */
export function scheduleProblem(cron: string, timezone?: string): string | undefined {
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      return `unknown time zone ${JSON.stringify(timezone)} (an IANA name such as Europe/Berlin or UTC)`;
    }
  }
  try {
    const c = cronOf({ cron, catchUp: false, ...(timezone ? { timezone } : {}) });
    if (!c.nextRun()) return `cron pattern ${JSON.stringify(cron)} never fires`;
  } catch (e) {
    return `invalid cron pattern ${JSON.stringify(cron)}: ${(e as Error).message.replace(/^CronPattern: /, '')} (e.g. "0 3 * * *": every day at 03:00)`;
  }
  return undefined;
}

/** The next time after `from`, or undefined when the pattern has no more. */
export function nextRun(s: JobSchedule, from: Date = new Date()): Date | undefined {
  return cronOf(s).nextRun(from) ?? undefined;
}

/** The last scheduled time at or before `at`. */
export function previousRun(s: JobSchedule, at: Date = new Date()): Date | undefined {
  return cronOf(s).previousRuns(1, at)[0];
}

/**
 * With `catch_up`, a run missed while dom0 was down: the last scheduled time before `now` came
 * after the job's last start (or the job never ran). Without it, missed runs are skipped.
 */
export function missedRun(s: JobSchedule, lastStart: Date | undefined, now: Date = new Date()): Date | undefined {
  if (!s.catchUp) return undefined;
  const prev = previousRun(s, now);
  if (!prev) return undefined;
  return lastStart === undefined || lastStart < prev ? prev : undefined;
}

/** Sets spec.schedule from the entry's `schedule:`; only a job has one. */
export function attachSchedule(spec: ContainerSpec, raw: string | ParsedSchedule | undefined, report: (path: Path, message: string, atKey?: boolean) => void, at: Path): void {
  if (raw === undefined) return;
  if (spec.kind !== 'job') {
    report([...at, 'schedule'], '`schedule` is for jobs: a service runs all the time; make it a job under `jobs:`', true);
    return;
  }
  const p: ParsedSchedule = typeof raw === 'string' ? { cron: raw } : raw;
  const problem = scheduleProblem(p.cron, p.timezone);
  if (problem) {
    report(typeof raw === 'string' ? [...at, 'schedule'] : [...at, 'schedule', p.timezone !== undefined && problem.startsWith('unknown time zone') ? 'timezone' : 'cron'], problem);
    return;
  }
  spec.schedule = { cron: p.cron.trim(), catchUp: p.catch_up ?? false, ...(p.timezone !== undefined ? { timezone: p.timezone } : {}) };
}
