// Compose `secrets` / `configs` from files: mounted read-only into the container, and the secret's
// content appears neither in `dom0 plan --json`, the apply output, nor the container's labels.

import { realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, docker, execIn, runDom0, tmpDir, writeManifest } from '../support/engine.js';

const FLEET = 'dom0-compose-secrets';
const WEB = 'compose-secrets-web';
const CONTENT = 'compose-secrets-Zq8-never-printed';
const MANIFEST = `version: 1
name: ${FLEET}
secrets:
  db_password: {file: ./db_password.txt}
configs:
  app: {file: ./app.conf}
services:
  ${WEB}:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    secrets: [db_password, {source: db_password, target: /etc/pw}]
    configs: [app]
`;

describeEngine('Compose secrets and configs from files', () => {
  const dir = tmpDir('dom0-compose-secrets-');
  writeFileSync(path.join(dir, 'db_password.txt'), CONTENT, { mode: 0o644 });
  writeFileSync(path.join(dir, 'app.conf'), 'level=debug\n');
  const file = realpathSync(path.dirname(writeManifest(dir, MANIFEST))) + '/dom0.yaml';
  const cleanup = () => cleanupFleet(FLEET);
  let applyOutput = '';

  beforeAll(async () => {
    await cleanup();
    const r = await runDom0(['apply', '-f', file, '--json'], { timeoutMs: 180_000 });
    applyOutput = `${r.stdout}\n${r.stderr}`;
    expect(r.code, applyOutput).toBe(0);
  }, 240_000);
  afterAll(cleanup);

  it('mounts the secret at /run/secrets/<name> and at an absolute target, and the config at /<name>', async () => {
    expect((await execIn(WEB, ['cat', '/run/secrets/db_password'])).stdout).toBe(CONTENT);
    expect((await execIn(WEB, ['cat', '/etc/pw'])).stdout).toBe(CONTENT);
    expect((await execIn(WEB, ['cat', '/app'])).stdout).toBe('level=debug\n');
  });

  it('mounts them read-only', async () => {
    const w = await execIn(WEB, ['sh', '-c', 'echo x > /run/secrets/db_password']);
    expect(w.code).not.toBe(0);
    const mounts = (await docker().getContainer(WEB).inspect()).Mounts;
    const pw = mounts.find((m) => m.Destination === '/run/secrets/db_password');
    expect(pw).toMatchObject({ Type: 'bind', RW: false });
  });

  it('never shows the content: not in the apply output, the plan, or the labels', async () => {
    expect(applyOutput).not.toContain(CONTENT);
    const r = await runDom0(['plan', '-f', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).not.toContain(CONTENT);
    const p = JSON.parse(r.stdout) as { actions: Array<{ name: string; action: string }> };
    expect(p.actions.find((a) => a.name === WEB)?.action).toBe('keep');
    const labels = (await docker().getContainer(WEB).inspect()).Config.Labels ?? {};
    expect(JSON.stringify(labels)).not.toContain(CONTENT);
  });

  it('a changed secret content does not recreate (only the path is in the hash), and the container sees it', async () => {
    writeFileSync(path.join(dir, 'db_password.txt'), `${CONTENT}-2`);
    const r = await runDom0(['plan', '-f', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { actions: Array<{ name: string; action: string }> };
    expect(p.actions.find((a) => a.name === WEB)?.action).toBe('keep');
    expect(r.stdout).not.toContain(CONTENT);
    // writeFileSync rewrites the same inode, so the bind shows the new content.
    expect((await execIn(WEB, ['cat', '/run/secrets/db_password'])).stdout).toBe(`${CONTENT}-2`);
  });
});
