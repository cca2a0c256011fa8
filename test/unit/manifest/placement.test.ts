// deploy.placement.constraints: Swarm's syntax parsed at load (an invalid one is an error at its
// line:col), dom0's glob, and the Swarm-only keys that are accepted with a warning.
import { describe, expect, it } from 'vitest';
import { globMatch, parsePlacementConstraint } from '../../../src/manifest/placement.js';
import { loadManifestText } from '../../../src/manifest/load.js';

describe('parsePlacementConstraint', () => {
  it.each([
    ['node.hostname == web-1', { subject: 'hostname', op: '==', value: 'web-1' }],
    ['node.hostname!=db-*', { subject: 'hostname', op: '!=', value: 'db-*' }],
    ['  node.platform.os==linux  ', { subject: 'os', op: '==', value: 'linux', text: 'node.platform.os==linux' }],
    ['node.platform.arch == x86_64', { subject: 'arch', op: '==', value: 'x86_64' }],
    ['engine.labels.role == edge', { subject: 'engine-label', key: 'role', op: '==', value: 'edge' }],
    ['node.labels.disk.type != hdd', { subject: 'node-label', key: 'disk.type', op: '!=', value: 'hdd' }],
    ['Node.Labels.Zone == a', { subject: 'node-label', key: 'Zone', op: '==', value: 'a' }],
    ['node.role == manager', { subject: 'role', op: '==', value: 'manager' }],
    ['node.id != abc', { subject: 'id', op: '!=', value: 'abc' }],
  ])('%s', (input, expected) => {
    const r = parsePlacementConstraint(input);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject(expected);
  });

  it.each([
    ['node.hostname', 'expected `KEY == VALUE` or `KEY != VALUE`'],
    ['node.hostname = web', 'expected `KEY == VALUE`'],
    ['== web', 'the key before the operator is missing'],
    ['node.hostname ==', 'the value after the operator is missing'],
    ['node.hostname == a == b', 'one operator per constraint'],
    ['node.colour == red', 'unknown key "node.colour"'],
    ['engine.labels. == x', 'the label key after engine.labels. is missing'],
    ['node hostname == x', 'invalid key "node hostname"'],
    ['node.hostname == web-[12', 'unclosed `[`'],
  ])('%s is an error: %s', (input, why) => {
    const r = parsePlacementConstraint(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });
});

describe('globMatch', () => {
  it.each([
    ['web-*', 'web-1', true],
    ['web-*', 'WEB-12', true], // ignoring case, as Swarm matches
    ['web-*', 'db-1', false],
    ['web-?', 'web-1', true],
    ['web-?', 'web-12', false],
    ['web-[12]', 'web-2', true],
    ['web-[12]', 'web-3', false],
    ['web-[1-3]', 'web-3', true],
    ['web-[!1-3]', 'web-3', false],
    ['web-[!1-3]', 'web-4', true],
    ['a.b', 'axb', false], // a dot is literal
    ['web-1', 'web-1', true],
    ['web-1', 'web-10', false], // a literal matches whole
    ['*', '', true],
  ])('%s ~ %s → %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('deploy.placement in a manifest', () => {
  const load = (deploy: string) =>
    loadManifestText(`name: placement-test\nservices:\n  web:\n    image: busybox:latest\n    deploy:\n${deploy}`, '/tmp/placement-test/dom0.yaml');

  it('is parsed into the spec, and not hashed', () => {
    const r = load('      placement:\n        constraints:\n          - node.hostname == web-*\n          - engine.labels.role == edge\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([]);
    expect(r.manifest.services[0]!.placement?.map((c) => c.text)).toEqual(['node.hostname == web-*', 'engine.labels.role == edge']);
  });

  it('an invalid constraint is an error at its line:col', () => {
    const r = load('      placement:\n        constraints:\n          - node.hostname == web-*\n          - node.colour = red\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual([
      expect.stringMatching(/^9:13: invalid placement constraint "node.colour = red": expected `KEY == VALUE`/),
    ]);
  });

  it('node.role/node.id, preferences and max_replicas_per_node are accepted with a warning', () => {
    const r = load('      placement:\n        constraints: [node.role == manager]\n        preferences: [{ spread: node.labels.zone }]\n        max_replicas_per_node: 1\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      '7: warning: placement constraint `node.role == manager` has no meaning outside a Swarm cluster: dom0 treats it as met on every host',
      expect.stringMatching(/^8: warning: deploy.placement.preferences is ignored/),
      expect.stringMatching(/^9: warning: deploy.placement.max_replicas_per_node is ignored/),
    ]);
  });
});
