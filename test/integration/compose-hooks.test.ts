// Compose lifecycle hooks on the test engine: post_start runs in the started container (its
// effect is seen inside), pre_stop runs before `down` stops it (its effect is seen on the host,
// through a bind), and a failing post_start fails the apply.

import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, execIn, runDom0, tmpDir, writeManifest } from '../support/engine.js';

const FLEET = 'dom0-compose-hooks';
const WEB = 'compose-hooks-web';
const BAD = 'compose-hooks-bad';
const manifest = (bad: boolean) => `version: 1
name: ${FLEET}
services:
  ${WEB}:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    volumes: ["./out:/out"]
    post_start:
      - command: ["sh", "-c", "echo \\"started as $(id -u) in $(pwd) with $$GREETING\\" > /tmp/started"]
        user: "1000"
        working_dir: /tmp
        environment: {GREETING: hi}
    pre_stop:
      - command: sh -c "echo stopping > /out/pre_stop"
${bad ? `  ${BAD}:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    post_start:
      - command: ["sh", "-c", "echo compose-hooks-broken; exit 3"]
` : ''}`;

describeEngine('Compose post_start and pre_stop hooks', () => {
  const dir = tmpDir('dom0-compose-hooks-');
  const file = realpathSync(path.dirname(writeManifest(dir, manifest(false)))) + '/dom0.yaml';
  const cleanup = () => cleanupFleet(FLEET);

  beforeAll(async () => {
    await cleanup();
    const r = await runDom0(['apply', '-f', file], { timeoutMs: 180_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 240_000);
  afterAll(cleanup);

  it('post_start ran in the container, with its user, working_dir and environment', async () => {
    expect((await execIn(WEB, ['cat', '/tmp/started'])).stdout).toBe('started as 1000 in /tmp with hi\n');
  });

  it('a failing post_start fails the service: apply exits non-zero and names the hook and its output', async () => {
    writeManifest(dir, manifest(true));
    const r = await runDom0(['apply', '-f', file], { timeoutMs: 180_000 });
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toContain('post_start hook 1 (sh -c echo compose-hooks-broken; exit 3) exited 3: compose-hooks-broken');
  }, 240_000);

  it('down runs pre_stop before stopping the container', async () => {
    const r = await runDom0(['down', '-f', file], { timeoutMs: 180_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(readFileSync(path.join(dir, 'out', 'pre_stop'), 'utf8')).toBe('stopping\n');
  }, 240_000);
});
