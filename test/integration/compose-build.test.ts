// Compose `build:` on the test engine: a Dockerfile FROM the local busybox that COPYs a file is
// built through the Engine API and run; a second apply builds and recreates nothing; editing the
// copied file rebuilds and recreates; a change to a .dockerignore'd file does neither. A git URL
// context is checked as a request only (nothing on the internet is reachable here).

import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, docker, execIn, runDom0, tmpDir, writeManifest } from '../support/engine.js';

const FLEET = 'compose-build-test';
const WEB = 'compose-build-web';
const IMAGE = `${FLEET}-${WEB}`; // no `image:`: Compose's <project>-<service>
const HASH_LABEL = 'io.dom0.build-hash';

const MANIFEST = `name: ${FLEET}
services:
  ${WEB}:
    build:
      context: ./app
      args: [GREETING=hello]
      labels: {org.example.team: core}
    command: ["sleep", "2147483647"]
    init: true
`;

interface PlanJson {
  builds: Array<{ image: string; action: string; reason: string; hash?: string; inputs: { context: string; args: string[] } }>;
  actions: Array<{ name: string; action: string; reasons: string[] }>;
}
interface ApplyJson {
  converged: boolean;
  actions: Array<{ name: string; action: string; status: string }>;
  plan: PlanJson;
}

describeEngine('Compose build: built through the Engine API, rebuilt only when its inputs change', () => {
  const dir = tmpDir('compose-build-');
  const app = path.join(dir, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'Dockerfile'), 'FROM busybox:latest\nARG GREETING\nCOPY message.txt /message.txt\nRUN echo "$GREETING" > /greeting\n');
  writeFileSync(path.join(app, 'message.txt'), 'one\n');
  writeFileSync(path.join(app, 'notes.md'), 'ignored\n');
  writeFileSync(path.join(app, '.dockerignore'), '# not sent\n*.md\n');
  const file = realpathSync(path.dirname(writeManifest(dir, MANIFEST))) + '/dom0.yaml';
  const cleanup = async () => {
    await cleanupFleet(FLEET);
    try {
      await docker().getImage(IMAGE).remove({ force: true });
    } catch {
      // absent
    }
  };
  const applyJson = async (): Promise<ApplyJson> => {
    const r = await runDom0(['apply', '-f', file, '--json'], { timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as ApplyJson;
  };
  const webAction = (r: ApplyJson) => r.actions.find((a) => a.name === WEB)?.action;
  let first: ApplyJson;

  beforeAll(async () => {
    await cleanup();
    first = await applyJson();
  }, 180_000);
  afterAll(cleanup);

  it('builds the image tagged <fleet>-<entry>, labelled with the hash of its inputs, and runs it', async () => {
    expect(first.plan.builds).toHaveLength(1);
    expect(first.plan.builds[0]).toMatchObject({ image: IMAGE, action: 'build', reason: 'image not present locally' });
    expect(first.plan.builds[0]!.inputs).toMatchObject({ context: app, args: ['GREETING'] });
    expect(webAction(first)).toBe('create');
    const info = await docker().getImage(IMAGE).inspect();
    expect(info.Config.Labels?.[HASH_LABEL]).toBe(first.plan.builds[0]!.hash);
    expect(info.Config.Labels?.['org.example.team']).toBe('core');
    expect((await execIn(WEB, ['cat', '/message.txt'])).stdout).toBe('one\n');
    expect((await execIn(WEB, ['cat', '/greeting'])).stdout).toBe('hello\n');
    // .dockerignore'd files are not sent
    expect((await execIn(WEB, ['ls', '/'])).stdout).not.toContain('notes.md');
  });

  it('a second apply builds nothing and recreates nothing', async () => {
    const r = await applyJson();
    expect(r.plan.builds[0]).toMatchObject({ action: 'skip' });
    expect(r.plan.builds[0]!.reason).toMatch(/^up to date/);
    expect(webAction(r)).toBe('keep');
  });

  it('a change to an ignored file neither rebuilds nor recreates', async () => {
    writeFileSync(path.join(app, 'notes.md'), 'still ignored, but changed\n');
    const r = await applyJson();
    expect(r.plan.builds[0]!.action).toBe('skip');
    expect(webAction(r)).toBe('keep');
  });

  it('editing the copied file rebuilds the image and recreates the container', async () => {
    const before = first.plan.builds[0]!.hash;
    writeFileSync(path.join(app, 'message.txt'), 'two\n');
    const p = await runDom0(['plan', '-f', file, '--json']);
    expect(p.code, p.stderr).toBe(0);
    const planned = JSON.parse(p.stdout) as PlanJson;
    expect(planned.builds[0]).toMatchObject({ action: 'build' });
    expect(planned.builds[0]!.reason).toMatch(/^build inputs changed/);
    const r = await applyJson();
    expect(r.plan.builds[0]!.action).toBe('build');
    expect(r.plan.builds[0]!.hash).not.toBe(before);
    expect(webAction(r)).toBe('recreate');
    expect((await execIn(WEB, ['cat', '/message.txt'])).stdout).toBe('two\n');
  });
});
