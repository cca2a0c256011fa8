// /metrics in the Prometheus text exposition format (version 0.0.4), written from the journal
// and the current entry rows. A small writer rather than prom-client: a dozen series, and
// nothing to load at start-up for the commands that never serve them.
import type { StatusRow } from '../reconcile/status.js';
import { APPLY_BUCKETS, type Journal } from './journal.js';
import type { SourceStatus } from './source/store.js';

type Labels = Record<string, string>;

function labelText(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Writer {
  private readonly lines: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, value: number, labels: Labels = {}): this {
    this.lines.push(`${name}${labelText(labels)} ${Number.isFinite(value) ? value : value > 0 ? '+Inf' : '-Inf'}`);
    return this;
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function renderMetrics(j: Journal, rows: readonly StatusRow[] | undefined, fleet: string | undefined, source?: SourceStatus): string {
  const w = new Writer();
  w.family('dom0_applies_total', 'counter', 'Applies by result (converged, not-converged, failed).');
  for (const result of ['converged', 'not-converged', 'failed'] as const) w.sample('dom0_applies_total', j.applies.get(result) ?? 0, { result });

  w.family('dom0_apply_duration_seconds', 'histogram', 'Duration of applies that ran to the end.');
  APPLY_BUCKETS.forEach((b, i) => w.sample('dom0_apply_duration_seconds_bucket', j.applyDurations[i]!, { le: String(b) }));
  w.sample('dom0_apply_duration_seconds_bucket', j.applyDurationCount, { le: '+Inf' });
  w.sample('dom0_apply_duration_seconds_sum', j.applyDurationSum);
  w.sample('dom0_apply_duration_seconds_count', j.applyDurationCount);

  w.family('dom0_last_successful_apply_timestamp_seconds', 'gauge', 'Unix time of the last apply that converged (0: none yet).');
  w.sample('dom0_last_successful_apply_timestamp_seconds', j.lastSuccessfulApply ? Date.parse(j.lastSuccessfulApply) / 1000 : 0);

  w.family('dom0_entries', 'gauge', 'Entries of the manifest by kind and container state.');
  const byState = new Map<string, { kind: string; state: string; n: number }>();
  for (const r of rows ?? []) {
    const state = r.state === '-' ? 'missing' : r.state;
    const k = `${r.kind}\0${state}`;
    const v = byState.get(k) ?? { kind: r.kind, state, n: 0 };
    v.n++;
    byState.set(k, v);
  }
  for (const v of byState.values()) w.sample('dom0_entries', v.n, { fleet: fleet ?? '', kind: v.kind, state: v.state });

  w.family('dom0_restarts_total', 'counter', 'Restarts dom0 made of a service that died, per entry.');
  for (const [entry, n] of j.restarts) w.sample('dom0_restarts_total', n, { entry });

  w.family('dom0_pulls_total', 'counter', 'Image pulls by result.');
  for (const [result, n] of j.pulls) w.sample('dom0_pulls_total', n, { result });
  w.family('dom0_pulled_bytes_total', 'counter', 'Bytes downloaded by pulls.');
  w.sample('dom0_pulled_bytes_total', j.pulledBytes);

  w.family('dom0_manifest_invalid_total', 'counter', 'Times the manifest was read and found invalid.');
  w.sample('dom0_manifest_invalid_total', j.manifestInvalid);

  w.family('dom0_rollbacks_total', 'counter', 'Rollbacks to the last-healthy manifest after a changed manifest failed its readiness window.');
  w.sample('dom0_rollbacks_total', j.rollbacks);
  w.family('dom0_manifest_bad', 'gauge', '1 while the fleet runs the last-healthy manifest because the given one is marked bad.');
  w.sample('dom0_manifest_bad', j.rollback ? 1 : 0, j.rollback ? { manifest: j.rollback.manifest.slice(0, 12) } : {});

  w.family('dom0_engine_connected', 'gauge', '1 while dom0 reaches the Docker engine.');
  w.sample('dom0_engine_connected', j.engineConnected ? 1 : 0);
  if (source) sourceMetrics(w, source);
  return w.text();
}

/** Farm mode (`up --source`): is the source answering, since when, and how often it failed. */
function sourceMetrics(w: Writer, s: SourceStatus): void {
  w.family('dom0_source_up', 'gauge', '1 when the last check of the manifest source succeeded (0: failing, the last good version stays in use).');
  w.sample('dom0_source_up', s.state === 'ok' ? 1 : 0);
  w.family('dom0_source_last_success_timestamp_seconds', 'gauge', 'Unix time of the last successful check of the manifest source (0: none yet).');
  w.sample('dom0_source_last_success_timestamp_seconds', s.lastSuccessAt ? Date.parse(s.lastSuccessAt) / 1000 : 0);
  w.family('dom0_source_consecutive_failures', 'gauge', 'Failed checks of the manifest source in a row.');
  w.sample('dom0_source_consecutive_failures', s.failures);
  w.family('dom0_source_version_info', 'gauge', 'The fleet version in use (sha256 of its file list), as a label.');
  if (s.version) w.sample('dom0_source_version_info', 1, { version: s.version.slice(0, 12) });
}
