// Scheduled jobs under `dom0 up`: one timer per job with a `schedule:`, re-armed after each
// firing and whenever a new manifest applied. Firing asks the loop to run the job again; the
// loop's apply gates it on its dependencies like any job, and a run still going is not started
// twice (plan keeps a running job).
import type { Log } from '../log.js';
import { MAX_TIMER_MS } from '../manifest/durations.js';
import { nextRun } from '../manifest/schedule.js';
import type { JobSchedule, Manifest } from '../manifest/types.js';

export class JobScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private armed = new Map<string, string>(); // job → JSON of its schedule, to keep timers across equal manifests

  constructor(
    private readonly fire: (job: string, at: Date, s: JobSchedule) => void,
    private readonly log: Log,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Arms the manifest's scheduled jobs; a job whose schedule did not change keeps its timer. */
  update(m: Manifest): void {
    const wanted = new Map(m.jobs.filter((j) => j.schedule).map((j) => [j.name, j.schedule!] as const));
    for (const name of [...this.timers.keys()]) {
      if (!wanted.has(name) || this.armed.get(name) !== JSON.stringify(wanted.get(name))) this.disarm(name);
    }
    for (const [name, s] of wanted) if (!this.timers.has(name)) this.arm(name, s);
  }

  /** Timers armed (for the leak probe). */
  get armedCount(): number {
    return this.timers.size;
  }

  stop(): void {
    for (const name of [...this.timers.keys()]) this.disarm(name);
  }

  private disarm(name: string): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    this.armed.delete(name);
  }

  private arm(name: string, s: JobSchedule): void {
    const now = this.now();
    const at = nextRun(s, now);
    if (!at) return;
    const delay = at.getTime() - now.getTime();
    this.armed.set(name, JSON.stringify(s));
    if (delay > MAX_TIMER_MS) {
      // further away than a timer holds (about 24 days): look again then
      this.timers.set(name, setTimeout(() => this.rearm(name, s), MAX_TIMER_MS));
      return;
    }
    this.log.debug({ event: 'schedule-armed', entry: name, at: at.toISOString() }, `${name}: next run ${at.toISOString()}`);
    this.timers.set(
      name,
      setTimeout(() => {
        this.fire(name, at, s);
        this.rearm(name, s);
      }, Math.max(0, delay)),
    );
  }

  private rearm(name: string, s: JobSchedule): void {
    this.timers.delete(name);
    this.arm(name, s);
  }
}
