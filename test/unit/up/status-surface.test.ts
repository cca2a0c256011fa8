// The pure parts behind `dom0 up --listen`: the journal's counters, the metrics text, the graph
// picture and the listen address.
import { describe, expect, it } from 'vitest';
import { graphSvg } from '../../../src/up/graph-svg.js';
import { Journal } from '../../../src/up/journal.js';
import { renderMetrics } from '../../../src/up/metrics.js';
import { isLoopback, parseListenAddress } from '../../../src/up/status-server.js';
import { manifest, svc } from '../reconcile/build.js';

const ev = (o: Record<string, unknown>) => ({ level: 30, time: '2026-11-30T10:00:00.000Z', msg: String(o.event), ...o });

describe('Journal', () => {
  it('counts applies, restarts, pulls, invalid manifests and the engine state from log events', () => {
    const j = new Journal();
    j.record(ev({ event: 'manifest-reload', why: 'manifest changed' }));
    j.record(ev({ event: 'apply-finished', converged: true, durationMs: 1500 }));
    j.record(ev({ event: 'apply-finished', converged: false, durationMs: 70_000 }));
    j.record(ev({ event: 'apply-failed', level: 50 }));
    j.record(ev({ event: 'restart', entry: 'db', delayMs: 500, level: 40 }));
    j.record(ev({ event: 'restarted', entry: 'db' }));
    j.record(ev({ event: 'pull', result: 'pulled', bytes: 1000 }));
    j.record(ev({ event: 'pull', result: 'up-to-date' }));
    j.record(ev({ event: 'manifest-invalid', level: 50, diagnostics: ['/x/dom0.yaml:3:5: unknown key `x`'] }));
    j.record(ev({ event: 'engine-unreachable', level: 40 }));
    expect(Object.fromEntries(j.applies)).toEqual({ converged: 1, 'not-converged': 1, failed: 1 });
    expect(j.applyDurationCount).toBe(2);
    expect(j.applyDurations).toEqual([0, 0, 1, 1, 1, 1, 1, 2, 2]); // 1.5 s and 70 s, cumulative buckets
    expect(j.lastApply).toMatchObject({ result: 'failed', why: 'manifest changed' });
    expect(j.lastSuccessfulApply).toBe('2026-11-30T10:00:00.000Z');
    expect(j.restarts.get('db')).toBe(1);
    expect(j.restarting.has('db')).toBe(true);
    expect(Object.fromEntries(j.pulls)).toEqual({ pulled: 1, 'up-to-date': 1 });
    expect(j.pulledBytes).toBe(1000);
    expect(j.manifestInvalid).toBe(1);
    expect(j.engineConnected).toBe(false);
    expect(j.events().find((e) => e.event === 'manifest-invalid')?.diagnostics).toEqual(['/x/dom0.yaml:3:5: unknown key `x`']);
  });

  it('keeps the last 100 events, not pull progress', () => {
    const j = new Journal();
    for (let i = 0; i < 150; i++) j.record(ev({ event: 'action', entry: `e${i}` }));
    j.record(ev({ event: 'pull-progress' }));
    expect(j.events()).toHaveLength(100);
    expect(j.events()[0]!.entry).toBe('e50');
  });
});

describe('renderMetrics', () => {
  it('writes every family with HELP/TYPE and escaped labels', () => {
    const j = new Journal();
    j.record(ev({ event: 'restarted', entry: 'we"ird\\name' }));
    const text = renderMetrics(j, [{ name: 'a', kind: 'service', container: 'a', state: 'running', image: 'i', sync: 'in sync' }, { name: 'b', kind: 'service', container: 'b', state: '-', image: 'i', sync: 'missing' }], 'f');
    for (const f of ['dom0_applies_total', 'dom0_apply_duration_seconds', 'dom0_entries', 'dom0_restarts_total', 'dom0_pulls_total', 'dom0_manifest_invalid_total', 'dom0_last_successful_apply_timestamp_seconds', 'dom0_engine_connected']) {
      expect(text).toContain(`# TYPE ${f} `);
    }
    expect(text).toContain('dom0_restarts_total{entry="we\\"ird\\\\name"} 1');
    expect(text).toContain('dom0_entries{fleet="f",kind="service",state="missing"} 1');
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('graphSvg', () => {
  it('draws one node per entry, an edge per dependency, and escapes names', () => {
    const dep = (name: string) => ({ name, condition: 'service_started' as const, restart: false, required: true });
    const m = manifest({ services: [svc('db'), svc('web<&>', { dependsOn: [dep('db')] })] });
    const svg = graphSvg(m, (n) => (n === 'db' ? 'running' : 'exited'));
    expect(svg.match(/<g class="node"/g)).toHaveLength(2);
    expect(svg.match(/<line /g)).toHaveLength(1);
    expect(svg).toContain('web&#60;&#38;&#62;');
    expect(svg).not.toContain('web<&>');
  });
});

describe('--listen', () => {
  it.each([
    ['127.0.0.1:9000', { host: '127.0.0.1', port: 9000 }, true],
    ['[::1]:9000', { host: '::1', port: 9000 }, true],
    [':9000', { host: '0.0.0.0', port: 9000 }, false],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }, false],
    ['/run/dom0/status.sock', { path: '/run/dom0/status.sock' }, true],
  ])('%s', (s, want, loopback) => {
    const a = parseListenAddress(s);
    expect(a).toEqual(want);
    expect(isLoopback(a as never)).toBe(loopback);
  });

  it.each([['9000'], ['host:70000'], ['example.com:9000'], ['127.0.0.1:']])('%j is refused', (s) => {
    expect(parseListenAddress(s)).toHaveProperty('error');
  });
});
