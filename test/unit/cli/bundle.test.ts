// The shipped command (package.json "bin": dist/bundle/, written by `npm run build`): it runs
// from a directory with no node_modules, and the commands that never reach the engine or log
// (#12: start-up cost) run with the chunks holding dockerode and pino deleted.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/engine.js';

const BUNDLE = path.join(REPO_ROOT, 'dist', 'bundle');
let dir: string;

function dom0(args: string[]) {
  return spawnSync(path.join(dir, 'dom0'), args, { cwd: dir, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' }, timeout: 60_000 });
}

describe.skipIf(!existsSync(path.join(BUNDLE, 'dom0')) && !process.env.CI)('the bundle (npm run build → dist/bundle)', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dom0-bundle-test-'));
    cpSync(BUNDLE, dir, { recursive: true });
    writeFileSync(path.join(dir, 'dom0.yaml'), 'name: bundle-test\nservices:\n  web:\n    image: busybox:latest\n  app:\n    image: busybox:latest\n    depends_on: [web]\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what package.json "bin" names, run by node with --max-semi-space-size=1, and --optimize-for-size for up or --max-opt=1 for the rest', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(path.resolve(REPO_ROOT, pkg.bin.dom0!)).toBe(path.join(BUNDLE, 'dom0'));
    // the flags node gets, through a stand-in for node on PATH that prints its arguments
    const bin = mkdtempSync(path.join(tmpdir(), 'dom0-fake-node-'));
    writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const flags = (args: string[]) =>
      spawnSync(path.join(BUNDLE, 'dom0'), args, { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }).stdout.trim();
    try {
      expect(flags(['validate', '-f', 'x.yaml'])).toBe(`--max-semi-space-size=1 --max-opt=1 ${path.join(BUNDLE, 'dom0.mjs')} validate -f x.yaml`);
      expect(flags(['--log-level', 'debug', 'up', '-f', 'x.yaml'])).toBe(`--max-semi-space-size=1 --optimize-for-size ${path.join(BUNDLE, 'dom0.mjs')} --log-level debug up -f x.yaml`);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('the flags are ones this node takes (a flag V8 dropped would make node refuse to start)', () => {
    for (const args of [['--version'], ['up', '--help']]) {
      const r = spawnSync(path.join(BUNDLE, 'dom0'), args, { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('runs --help away from node_modules (every command registered)', () => {
    const r = dom0(['--help']);
    expect(r.status, r.stderr).toBe(0);
    for (const c of ['validate', 'apply', 'up', 'health', 'completion']) expect(r.stdout).toContain(c);
  });

  it('logs pretty away from node_modules (pino-pretty has its own CommonJS bundle beside the entry)', () => {
    const r = spawnSync(path.join(dir, 'dom0'), ['up', '-f', 'dom0.yaml', '--state-dir', path.join(dir, 'up-state')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock', DOM0_LOG_FORMAT: 'pretty' },
      timeout: 6000,
    });
    expect(r.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
    expect(r.stderr).toMatch(/WARN.*waiting for the Docker engine/);
  });

  it('keeps ssh2 out of the Docker adapter chunk: its own CommonJS bundle, loaded only for ssh://', () => {
    const chunks = readdirSync(path.join(dir, 'chunks')).filter((f) => f.endsWith('.mjs'));
    const adapter = chunks.filter((f) => /\/\/ node_modules\/dockerode\//.test(readFileSync(path.join(dir, 'chunks', f), 'utf8')));
    expect(adapter.length).toBeGreaterThan(0);
    for (const f of chunks) expect(readFileSync(path.join(dir, 'chunks', f), 'utf8'), f).not.toMatch(/\/\/ node_modules\/ssh2\//);
    expect(readFileSync(path.join(dir, 'node_modules', 'ssh2', 'index.js'), 'utf8')).toContain('// node_modules/ssh2/lib/client.js');
    // resolvable from the chunks as node resolves docker-modem's require('ssh2'), away from the repo's node_modules
    const r = spawnSync(process.execPath, ['-e', "const { createRequire } = require('node:module'); console.log(createRequire(process.argv[1]).resolve('ssh2'))", path.join(dir, 'chunks', adapter[0]!)], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(path.join(dir, 'node_modules', 'ssh2', 'index.js'));
  });

  it('validate, graph and health need neither dockerode nor pino', () => {
    const heavy = readdirSync(path.join(dir, 'chunks')).filter((f) => f.endsWith('.mjs') && /\/\/ node_modules\/(dockerode|pino)\//.test(readFileSync(path.join(dir, 'chunks', f), 'utf8')));
    expect(heavy.length).toBeGreaterThan(0);
    for (const f of heavy) rmSync(path.join(dir, 'chunks', f));
    const v = dom0(['validate', '-f', 'dom0.yaml']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain('valid (0 volume containers, 0 jobs, 2 services)');
    const g = dom0(['graph', '-f', 'dom0.yaml']);
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout).toContain('app');
    const h = dom0(['health', '--state-dir', dir]);
    expect(h.stderr).toContain('no heartbeat');
    expect(h.status).toBe(1);
    // and a command that does reach the engine needs what was deleted
    expect(dom0(['status', '-f', 'dom0.yaml']).stderr).toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });
});
