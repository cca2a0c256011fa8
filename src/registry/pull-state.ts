// When each image was last pulled successfully, for pull_policy every_<d>/daily/weekly: a small
// JSON file in the state dir ($DOM0_STATE_DIR, default /var/lib/dom0). When the state dir cannot
// be written, every such image counts as stale (pulled on every apply) and that is logged once.

import { accessSync, constants, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../log.js';

export const PULL_STATE_FILE = 'pulls.json';

export interface PullRecord {
  /** ISO time of the last successful pull. */
  pulledAt: string;
  imageId?: string;
}

interface PullStateFile {
  version: 1;
  images: Record<string, PullRecord>;
}

/** State dirs already reported unwritable by this process (log once). */
const reportedUnwritable = new Set<string>();

export class PullTimes {
  private records: Record<string, PullRecord> = {};
  /** Checked on first use: nothing touches the state dir unless an every_<d> policy needs it. */
  private writable: boolean | undefined;

  private constructor(
    readonly dir: string | undefined,
    private readonly log: Log | undefined,
  ) {}

  /** Opens the pull record of a state dir; undefined dir = none (everything stale). */
  static open(dir: string | undefined, log?: Log): PullTimes {
    return new PullTimes(dir, log);
  }

  get file(): string | undefined {
    return this.dir === undefined ? undefined : join(this.dir, PULL_STATE_FILE);
  }

  /** False when the state dir cannot be written: times are then unknown (stale). */
  get usable(): boolean {
    return this.ensure();
  }

  private ensure(): boolean {
    if (this.writable === undefined) {
      this.writable = this.dir !== undefined && this.check();
      if (this.writable) this.records = this.read();
    }
    return this.writable;
  }

  private check(): boolean {
    try {
      mkdirSync(this.dir!, { recursive: true });
      accessSync(this.dir!, constants.W_OK);
      return true;
    } catch (e) {
      this.unwritable(e);
      return false;
    }
  }

  private unwritable(e: unknown): void {
    this.writable = false;
    const dir = this.dir ?? '';
    if (reportedUnwritable.has(dir)) return;
    reportedUnwritable.add(dir);
    this.log?.warn(
      { event: 'pull-state-unwritable', stateDir: dir, error: (e as Error).message },
      `cannot record pull times in ${dir} (${(e as Error).message}); images with pull_policy every_<d>/daily/weekly are pulled on every apply`,
    );
  }

  private read(): Record<string, PullRecord> {
    try {
      const raw = JSON.parse(readFileSync(this.file!, 'utf8')) as Partial<PullStateFile>;
      if (raw && typeof raw === 'object' && raw.images && typeof raw.images === 'object') {
        const out: Record<string, PullRecord> = {};
        for (const [k, v] of Object.entries(raw.images)) {
          if (v && typeof v.pulledAt === 'string' && !Number.isNaN(Date.parse(v.pulledAt))) out[k] = v;
        }
        return out;
      }
    } catch {
      // missing or corrupt: start afresh
    }
    return {};
  }

  /** Epoch ms of the last recorded pull of this image, if the record is usable. */
  lastPulledAt(image: string): number | undefined {
    if (!this.ensure()) return undefined;
    const r = this.records[image];
    return r ? Date.parse(r.pulledAt) : undefined;
  }

  /** Records a successful pull (re-reads the file first, so concurrent dom0 processes merge). */
  record(image: string, imageId: string | undefined, now: number = Date.now()): void {
    if (!this.ensure()) return;
    const rec: PullRecord = { pulledAt: new Date(now).toISOString() };
    if (imageId !== undefined) rec.imageId = imageId;
    const next = { ...this.records, ...this.read(), [image]: rec };
    try {
      const tmp = join(this.dir!, `.${PULL_STATE_FILE}.${process.pid}.tmp`);
      const file: PullStateFile = { version: 1, images: next };
      writeFileSync(tmp, `${JSON.stringify(file, null, 1)}\n`);
      renameSync(tmp, this.file!);
      this.records = next;
    } catch (e) {
      this.unwritable(e);
    }
  }
}
