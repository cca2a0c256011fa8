// Compose `secrets` from `environment:` and `configs` with inline `content:`: written into the
// container before it starts, with the reference's uid/gid/mode; the value appears neither in the
// apply output, `dom0 plan --json`, nor the labels; a changed value recreates the container.

import { realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, docker, execIn, runDom0, tmpDir, writeManifest } from '../support/engine.js';

const FLEET = 'dom0-compose-secrets-env';
const WEB = 'compose-secrets-env-web';
const VALUE = 'compose-secrets-env-Kp3-never-printed';
const MANIFEST = `version: 1
name: ${FLEET}
secrets:
  api_token: {environment: COMPOSE_SECRETS_ENV_TOKEN}
configs:
  motd: {content: "hello from content\\n"}
services:
  ${WEB}:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    secrets:
      - api_token
      - {source: api_token, target: /etc/token, uid: "1000", gid: "1001", mode: 0400}
    configs: [motd]
`;

describeEngine('Compose secrets from the environment and configs with inline content', () => {
  const dir = tmpDir('dom0-compose-secrets-env-');
  const file = realpathSync(path.dirname(writeManifest(dir, MANIFEST))) + '/dom0.yaml';
  const env = { COMPOSE_SECRETS_ENV_TOKEN: VALUE };
  const cleanup = () => cleanupFleet(FLEET);
  let applyOutput = '';

  beforeAll(async () => {
    await cleanup();
    const r = await runDom0(['apply', '-f', file, '--json'], { env, timeoutMs: 180_000 });
    applyOutput = `${r.stdout}\n${r.stderr}`;
    expect(r.code, applyOutput).toBe(0);
  }, 240_000);
  afterAll(cleanup);

  it('writes the secret at /run/secrets/<name> (root, 0444) and at a target with its uid, gid and mode', async () => {
    expect((await execIn(WEB, ['cat', '/run/secrets/api_token'])).stdout).toBe(VALUE);
    expect((await execIn(WEB, ['stat', '-c', '%a %u %g', '/run/secrets/api_token'])).stdout.trim()).toBe('444 0 0');
    expect((await execIn(WEB, ['cat', '/etc/token'])).stdout).toBe(VALUE);
    expect((await execIn(WEB, ['stat', '-c', '%a %u %g', '/etc/token'])).stdout.trim()).toBe('400 1000 1001');
    expect((await execIn(WEB, ['cat', '/motd'])).stdout).toBe('hello from content\n');
  });

  it('is a file in the container, not a mount', async () => {
    const mounts = (await docker().getContainer(WEB).inspect()).Mounts;
    expect(mounts.map((m) => m.Destination)).not.toContain('/run/secrets/api_token');
  });

  it('never shows the value: not in the apply output, the plan, or the labels; the same value plans keep', async () => {
    expect(applyOutput).not.toContain(VALUE);
    const r = await runDom0(['plan', '-f', file, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).not.toContain(VALUE);
    const p = JSON.parse(r.stdout) as { actions: Array<{ name: string; action: string }> };
    expect(p.actions.find((a) => a.name === WEB)?.action).toBe('keep');
    const labels = (await docker().getContainer(WEB).inspect()).Config.Labels ?? {};
    expect(JSON.stringify(labels)).not.toContain(VALUE);
  });

  it('a changed value plans a recreate, without showing either value', async () => {
    const r = await runDom0(['plan', '-f', file, '--json'], { env: { COMPOSE_SECRETS_ENV_TOKEN: `${VALUE}-2` } });
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).not.toContain(VALUE);
    const p = JSON.parse(r.stdout) as { actions: Array<{ name: string; action: string }> };
    expect(p.actions.find((a) => a.name === WEB)?.action).toBe('recreate');
  });

  it('an unset variable is a validation error naming the variable', async () => {
    const r = await runDom0(['validate', '-f', file], { env: { COMPOSE_SECRETS_ENV_TOKEN: undefined } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('environment variable COMPOSE_SECRETS_ENV_TOKEN is not set');
  });
});
