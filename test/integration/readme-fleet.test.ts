// README's commands, run as a newcomer would: the ```sh block under "Run the example fleet" is read
// from README.md and each of its lines runs, in order, in bash from the checkout, with `dom0` being
// `node dist/cli/main.js` (what `npm link` puts on PATH) and DOCKER_HOST the test engine; then
// `npm run demo`, the first command README's first screen gives. The example fleet is the repo's
// dom0.yaml (fleet homelab: containers named after its keys, 127.0.0.1:8080 and :6379), so the
// suite ends with `dom0 down -f dom0.yaml --volumes`, which README's comment names, and checks that
// nothing of the fleet is left.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { blockAfterHeading } from '../support/doc-examples.js';
import { REPO_ROOT, TEST_DOCKER_HOST, cleanupFleet, containersOf, describeEngine } from '../support/engine.js';
import { explain, run } from './up-fixtures/helpers.js';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const FLEET = 'homelab';
const VOLUME_CONTAINERS = ['home-volume', 'www-content'];
const SERVICES = ['redis', 'redis-ambassador', 'web', 'shell'];
const JOBS = ['fetch-site'];

/** README's example-fleet commands: one per line, comments and blank lines left to bash. */
const COMMANDS = blockAfterHeading(README, 'README.md', 'Run the example fleet', 'sh')
  .text.split('\n')
  .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

const ENV = { DOCKER_HOST: TEST_DOCKER_HOST, NO_COLOR: '1' };

/** One README line in bash, from the checkout, `dom0` being the built CLI. */
function sh(line: string, timeoutMs = 180_000) {
  const prelude = `set -e; dom0() { node "${path.join(REPO_ROOT, 'dist', 'cli', 'main.js')}" "$@"; }\n`;
  return run('bash', ['-c', prelude + line], { env: ENV, timeoutMs });
}

const commandFor = (re: RegExp): string => {
  const c = COMMANDS.find((l) => re.test(l));
  if (!c) throw new Error(`README's example-fleet block has no line matching ${re}: ${JSON.stringify(COMMANDS)}`);
  return c;
};

const names = async () => (await containersOf(FLEET)).map((c) => c.name).sort();

describeEngine("README's example fleet, command by command", () => {
  afterAll(async () => {
    const r = await sh('dom0 down -f dom0.yaml --volumes');
    if (r.code !== 0) console.warn(`[readme-fleet] down --volumes failed: ${explain(r)}`);
    await cleanupFleet(FLEET);
  });

  it('README gives these commands, in this order', () => {
    expect(COMMANDS.map((l) => l.split(/\s+#/)[0]!.trim())).toEqual([
      'dom0 apply -f dom0.yaml',
      'dom0 status -f dom0.yaml',
      'curl http://127.0.0.1:8080/',
      'dom0 down -f dom0.yaml',
    ]);
  });

  it('dom0 apply -f dom0.yaml: the whole fleet converges (exit 0)', async () => {
    const r = await sh(commandFor(/^dom0 apply\b/));
    expect(r.code, explain(r)).toBe(0);
    for (const n of [...VOLUME_CONTAINERS, ...JOBS, ...SERVICES]) expect(r.stdout).toContain(n);
    const fleet = await containersOf(FLEET);
    for (const s of SERVICES) expect(fleet.find((c) => c.name === s)?.running, s).toBe(true);
    expect(fleet.find((c) => c.name === 'fetch-site')).toMatchObject({ running: false, exitCode: 0 });
  });

  it('dom0 status -f dom0.yaml: a row per entry, all in sync (exit 0)', async () => {
    const r = await sh(commandFor(/^dom0 status\b/));
    expect(r.code, explain(r)).toBe(0);
    const rows = r.stdout.split('\n');
    for (const n of [...VOLUME_CONTAINERS, ...JOBS, ...SERVICES]) {
      const row = rows.find((l) => l.trim().split(/\s+/)[0] === n);
      expect(row, `${n} in\n${r.stdout}`).toBeDefined();
      expect(row).toMatch(/in sync/);
    }
  });

  it('curl http://127.0.0.1:8080/: what fetch-site wrote into www-content', async () => {
    const line = commandFor(/^curl\b/);
    let r = await sh(line, 10_000);
    // the web server was started by apply; give it a moment to listen, as a user retrying would
    for (let i = 0; i < 10 && r.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 500));
      r = await sh(line, 10_000);
    }
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('<h1>hello from dom0</h1>');
  });

  it('dom0 down -f dom0.yaml: services and jobs removed, volume containers kept, as the comment says', async () => {
    const r = await sh(commandFor(/^dom0 down\b/));
    expect(r.code, explain(r)).toBe(0);
    expect(await names()).toEqual([...VOLUME_CONTAINERS].sort());
  });

  it('dom0 down -f dom0.yaml --volumes (the comment\'s variant): nothing of the fleet is left', async () => {
    expect(README).toMatch(/--volumes removes them too/);
    const r = await sh('dom0 down -f dom0.yaml --volumes');
    expect(r.code, explain(r)).toBe(0);
    expect(await names()).toEqual([]);
  });

  it('npm run demo (README\'s first command): applies the example, serves it, a second plan changes nothing (keep; the job done)', async () => {
    expect(README).toContain('npm ci && npm run demo');
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBe('npm run build && bash scripts/demo.sh');
    if (!TEST_DOCKER_HOST.startsWith('unix://') || path.basename(TEST_DOCKER_HOST) !== 'docker.sock') {
      throw new Error(`npm run demo runs scripts/engine.sh's engine; the test engine ${TEST_DOCKER_HOST} is not one`);
    }
    // the demo starts (idempotently) the engine at DOM0_ENGINE_DIR: the test engine
    const engineDir = path.dirname(TEST_DOCKER_HOST.slice('unix://'.length));
    const r = await run('npm', ['run', 'demo'], { env: { ...ENV, DOM0_ENGINE_DIR: engineDir }, timeoutMs: 300_000 });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain('<h1>hello from dom0</h1>');
    // plan rows: "  ACTION  KIND  NAME  [reasons]"
    const plan = r.stdout.slice(r.stdout.indexOf('==> dom0 plan')).split('\n');
    const actions = Object.fromEntries(
      plan.flatMap((l) => {
        const m = /^\s+([a-z]+)\s+(volume|job|service)\s+(\S+)/.exec(l);
        return m ? [[m[3]!, m[1]!]] : [];
      }),
    );
    expect(actions).toEqual({
      ...Object.fromEntries([...VOLUME_CONTAINERS, ...SERVICES].map((n) => [n, 'keep'])),
      'fetch-site': 'done',
    });
    expect((await containersOf(FLEET)).filter((c) => c.running).map((c) => c.name).sort()).toEqual([...SERVICES].sort());
  });
});
