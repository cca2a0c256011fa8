// Invalid manifests: validate, plan and apply all exit 2 with FILE:LINE:COL diagnostics pointing at
// the right place, and the running fleet on the engine is left exactly as it was.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEngine, docker, runDom0 } from '../support/engine.js';
import {
  FIXTURES,
  applyJson,
  diagnostics,
  fleetByName,
  inspectOrUndefined,
  logLines,
  manifestFile,
  renderFixture,
  type Diag,
  cleanupFleetAndVolumes,
} from './fixtures/core-helpers.js';

const FLEET = 'dom0-core-invalid';

interface Case {
  fixture: string;
  /** The diagnostic that must be printed, located by the text it points at. */
  expect: (text: string) => { line: number; col: number; message: RegExp };
}

/** line/col (1-based) of the first occurrence of `needle` on the first line containing `lineNeedle`. */
function at(text: string, lineNeedle: string, needle: string): { line: number; col: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(lineNeedle));
  if (i < 0) throw new Error(`"${lineNeedle}" not in fixture`);
  return { line: i + 1, col: lines[i]!.indexOf(needle) + 1 };
}

const CASES: Record<string, Case> = {
  'a dependency cycle': {
    fixture: 'core-invalid-cycle.yaml',
    // reported at the first entry of the cycle, the cycle spelt out with arrows
    expect: (t) => ({ ...at(t, '  cinv-a:', 'cinv-a'), message: /dependency cycle: cinv-a → cinv-b → cinv-a/ }),
  },
  'a missing dependency': {
    fixture: 'core-invalid-missing.yaml',
    expect: (t) => ({
      ...at(t, '- cinv-nowhere', 'cinv-nowhere'),
      message: /`cinv-b` depends on `cinv-nowhere`, which is not declared/,
    }),
  },
  'a misspelt key': {
    fixture: 'core-invalid-misspelt.yaml',
    expect: (t) => ({ ...at(t, '    imgae:', 'imgae'), message: /unknown key `imgae` \(did you mean `image`\?\)/ }),
  },
};

/** Everything about the engine an invalid apply could have changed. */
async function snapshot() {
  const fleet = await fleetByName(FLEET);
  // only what this fleet could have touched: other suites may share the engine
  const nets = await docker().listNetworks({ filters: { label: [`io.dom0.fleet=${FLEET}`] } });
  return {
    fleet: Object.fromEntries(
      Object.values(fleet).map((c) => [
        c.name,
        { id: c.id, state: c.state, startedAt: c.startedAt, restartCount: c.restartCount, env: c.inspect.Config.Env },
      ]),
    ),
    newEntry: (await inspectOrUndefined('cinv-new'))?.Id ?? 'absent',
    networks: nets.map((n) => n.Id).sort(),
  };
}

describeEngine('core: invalid manifests', () => {
  let running: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    const base = manifestFile(renderFixture('core-invalid-base.yaml'));
    await applyJson(base);
    running = await snapshot();
    expect(Object.keys(running.fleet).sort()).toEqual(['cinv-a', 'cinv-b', 'cinv-vol']);
    expect(running.fleet['cinv-a']!.state).toBe('running');
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET, ['cinv-new']);
  });

  for (const [title, c] of Object.entries(CASES)) {
    describe(title, () => {
      const fixturePath = path.join(FIXTURES, c.fixture);
      const text = readFileSync(fixturePath, 'utf8');
      const want = c.expect(text);

      for (const command of ['validate', 'plan', 'apply'] as const) {
        it(`${command} exits 2 with ${path.basename(fixturePath)}:${want.line}:${want.col} and changes nothing`, async () => {
          const file = manifestFile(text, c.fixture);
          const args = command === 'apply' ? ['apply', '--timeout', '60', '-f', file] : [command, '-f', file];
          const r = await runDom0(args);
          const ctx = `dom0 ${args.join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
          expect(r.code, ctx).toBe(2);
          expect(r.stdout, ctx).toBe('');

          const diags = diagnostics(r.stderr);
          expect(diags.length, ctx).toBeGreaterThan(0);
          for (const d of diags) expect(d.file, ctx).toBe(file);
          const hit = diags.find((d: Diag) => want.message.test(d.message));
          expect(hit, `no diagnostic matching ${want.message}\n${ctx}`).toBeDefined();
          expect({ line: hit!.line, col: hit!.col }, ctx).toEqual({ line: want.line, col: want.col });

          // apply gave up before touching the engine: it never even started
          expect(logLines(r.stderr).filter((l) => l.event !== undefined), ctx).toEqual([]);
          expect(await snapshot()).toEqual(running);
        });
      }
    });
  }

  it('the running fleet still plans keep for everything afterwards', async () => {
    const base = manifestFile(renderFixture('core-invalid-base.yaml'));
    const r = await runDom0(['plan', '--json', '-f', base]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { actions: Array<{ name: string; action: string }> };
    expect(Object.fromEntries(p.actions.map((a) => [a.name, a.action]))).toEqual({
      'cinv-vol': 'keep',
      'cinv-a': 'keep',
      'cinv-b': 'keep',
    });
  });
});
