// `dom0 plan` on a host with deploy.placement: the host's facts, the entries not placed here and
// why, in the text and in --json.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { parsePlacementConstraint } from '../../../src/manifest/placement.js';
import { planJson, printPlan } from '../../../src/cli/plan.js';
import { useHostLabels } from '../../../src/cli/host-labels.js';
import { placeOnHost } from '../../../src/reconcile/placement.js';
import { plan } from '../../../src/reconcile/plan.js';
import { container, manifest, observed, svc } from '../reconcile/build.js';

const on = (text: string) => {
  const r = parsePlacementConstraint(text);
  if (!r.ok) throw new Error(r.error);
  return [r.value];
};
const host = { hostname: 'web-1', engineLabels: { role: 'edge' }, nodeLabels: { role: 'edge', zone: 'a' }, os: 'linux', arch: 'x86_64' };

describe('plan output with placement', () => {
  const web = svc('web', { placement: on('node.hostname == web-*') });
  const db = svc('db', { placement: on('engine.labels.role == db') });
  const cache = svc('cache', { placement: on('node.labels.zone == b') });
  const { manifest: m, placement } = placeOnHost(manifest({ services: [web, db, cache] }), host);
  const p = plan(m, observed([container(cache)]), { placement });

  it('text: the host line, a row per entry not here; a removed one once, as its remove', () => {
    const text = printPlan(p);
    expect(text).toContain('note: host web-1 (linux/x86_64; engine labels: role=edge; node labels: role=edge, zone=a)');
    expect(text).toMatch(/not here +service +db +not placed on this host: engine\.labels\.role == db \(host value "edge"\)/);
    expect(text).toMatch(/remove +service +cache +not placed on this host: node\.labels\.zone == b \(host value "a"\)/);
    expect(text).not.toMatch(/not here +service +cache/);
    expect(text).toMatch(/create +service +web/);
  });

  it('--json: placement with the host and each entry not placed', () => {
    const j = planJson(p) as { placement: { host: { hostname: string }; notPlaced: Array<{ entry: string; reason: string }> } };
    expect(j.placement.host.hostname).toBe('web-1');
    expect(j.placement.notPlaced.map((n) => n.entry)).toEqual(['cache', 'db']);
  });

  it('without constraints the plan has no placement', () => {
    expect(planJson(plan(manifest({ services: [svc('x')] }), observed([])))).not.toHaveProperty('placement');
  });

  it('--host-labels becomes DOM0_HOST_LABELS for the process; a file that cannot be read is a usage error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dom0-plan-placement-'));
    const fromEnv = path.join(dir, 'env-labels');
    const fromFlag = path.join(dir, 'flag-labels');
    writeFileSync(fromEnv, 'zone=a\n');
    writeFileSync(fromFlag, 'zone=b\n');
    const env: NodeJS.ProcessEnv = { DOM0_HOST_LABELS: fromEnv };
    useHostLabels({}, env);
    expect(env.DOM0_HOST_LABELS).toBe(fromEnv);
    useHostLabels({ hostLabels: fromFlag }, env);
    expect(env.DOM0_HOST_LABELS).toBe(fromFlag);
    expect(() => useHostLabels({ hostLabels: path.join(dir, 'missing') }, env)).toThrow(UsageError);
    expect(() => useHostLabels({}, { DOM0_HOST_LABELS: path.join(dir, 'missing') })).toThrow(/^DOM0_HOST_LABELS: cannot read the host labels file/);
    writeFileSync(fromFlag, 'zone\n');
    expect(() => useHostLabels({ hostLabels: fromFlag }, {})).toThrow('--host-labels: host labels file ' + fromFlag + ': line 1: expected KEY=VALUE, got "zone"');
  });
});
