import { describe, expect, it } from 'vitest';
import { renderGraph } from '../../../src/cli/graph.js';
import { durationFlag } from '../../../src/cli/flags.js';
import { UsageError } from '../../../src/cli/errors.js';
import { manifest, svc } from '../reconcile/build.js';

const dep = (name: string) => ({ name, condition: 'service_started' as const, restart: false, required: true });

describe('dom0 graph escapes what it prints', () => {
  // The loader rejects such names; a Manifest built otherwise (the API) must still not inject lines.
  const hostile = 'web"];\nevil -> x [label="pwn';
  const m = manifest({ services: [svc('db'), svc(hostile, { dependsOn: [dep('db')] })] });

  it('dot: every name stays inside its quoted string', () => {
    const out = renderGraph(m, 'dot');
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(5); // digraph, 2 nodes, 1 edge, }
    expect(out).toContain('"web\\"];\\nevil -> x [label=\\"pwn" [shape=ellipse];');
    for (const l of lines.slice(1, -1)) expect(l).toMatch(/^ {2}"(?:[^"\\]|\\.)*"( -> "(?:[^"\\]|\\.)*")? \[[a-z]+=(?:[a-z]+|"[a-z_]+")\];$/);
  });

  it('mermaid: labels use entity codes, IDs are [A-Za-z0-9_] and never collide', () => {
    const out = renderGraph(manifest({ services: [svc('a-b'), svc('a.b', { dependsOn: [dep('a-b')] }), svc(hostile)] }), 'mermaid');
    const lines = out.trimEnd().split('\n');
    expect(lines).toEqual([
      'graph TD',
      '  a_b("a-b")',
      '  a_b_2("a.b")',
      '  web____evil____x__label__pwn("web#34;];#10;evil -#62; x [label=#34;pwn")',
      '  a_b_2 -->|service_started| a_b',
    ]);
  });
});

describe('dom0 up --reconcile-interval / --timeout', () => {
  const parse = durationFlag('--reconcile-interval');
  it.each([
    ['300', 300_000],
    ['0.5', 500],
    ['2147483', 2_147_483_000],
  ])('%s → %d ms', (v, ms) => expect(parse(v)).toBe(ms));

  it.each([['0'], ['-5'], ['abc'], [''], ['Infinity'], ['2147484'], ['1e12']])('%j is a usage error (exit 2)', (v) => {
    expect(() => parse(v)).toThrow(UsageError);
  });

  it('says the limit', () => {
    expect(() => parse('99999999')).toThrow('--reconcile-interval is at most 2147483 seconds (about 24 days), not "99999999"');
  });
});
