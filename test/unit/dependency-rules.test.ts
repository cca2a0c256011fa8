// The layer rules in .dependency-cruiser.cjs (run by `npm run lint:layers`) really fail on an
// upward import: a tiny tree in a temp folder breaks each rule once.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/.bin/depcruise');
const run = promisify(execFile);

async function cruise(cwd: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', 'src'], { cwd });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout + x.stderr };
  }
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dom0-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  file('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  file('src/shared.ts', 'export const s = 1;\n');
  file('src/manifest/m.ts', "import { s } from '../shared.js';\nexport const m = s;\n");
  file('src/engine/docker-engine.ts', "import Docker from 'dockerode';\nimport { m } from '../manifest/m.js';\nexport const d = [Docker, m];\n");
  file('src/registry/r.ts', "import { d } from '../engine/docker-engine.js';\nexport const r = d;\n");
  file('src/reconcile/p.ts', "import { r } from '../registry/r.js';\nexport const p = r;\n");
  file('src/up/u.ts', "import { p } from '../reconcile/p.js';\nexport const u = p;\n");
  file('src/cli/c.ts', "import { u } from '../up/u.js';\nexport const c = u;\n");

  it('passes a tree whose imports only go down', async () => {
    const r = await cruise(dir);
    expect(r.out).toContain('no dependency violations');
    expect(r.code).toBe(0);
  }, 30_000);

  it('fails on each kind of upward import and on dockerode outside the adapter', async () => {
    file('src/engine/bad.ts', "import { r } from '../registry/r.js';\nexport const bad = r;\n");
    file('src/reconcile/bad.ts', "import type { u } from '../up/u.js';\nexport type Bad = typeof u;\n");
    file('src/manifest/bad.ts', "import type Docker from 'dockerode';\nexport type Bad = Docker;\n");
    file('src/bad.ts', "import { m } from './manifest/m.js';\nexport const bad = m;\n");
    const r = await cruise(dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-upward-from-engine: src\/engine\/bad\.ts → src\/registry\/r\.ts/);
    expect(r.out).toMatch(/no-upward-from-reconcile: src\/reconcile\/bad\.ts → src\/up\/u\.ts/);
    expect(r.out).toMatch(/dockerode-only-in-engine-adapter: src\/manifest\/bad\.ts → /);
    expect(r.out).toMatch(/no-upward-from-shared: src\/bad\.ts → src\/manifest\/m\.ts/);
    expect(r.out).not.toMatch(/src\/(cli\/c|up\/u|reconcile\/p|registry\/r|engine\/docker-engine)\.ts →/);
  }, 30_000);

  it("passes dom0's own src", async () => {
    const r = await cruise(ROOT);
    expect(r.out).toContain('no dependency violations');
    expect(r.code).toBe(0);
  }, 30_000);
});
