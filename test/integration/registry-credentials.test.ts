// Registry credentials against the real test registry (htpasswd auth on 127.0.0.1:5000): from the
// manifest (password_file, ${ENV}), from Docker's config.json, the manifest winning over
// config.json, and a wrong password failing only its entry — with no secret in any output.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, cleanupFleet, containersOf, describeEngine, tmpDir } from '../support/engine.js';
import {
  applyWith,
  baseEnv,
  dom0,
  buildVariant,
  ensureRegistry,
  events,
  imageId,
  outcome,
  pushImage,
  registerAuthSecrets,
  registerTestSecret,
  removeImage,
  workspace,
  type RegistryInfo,
} from '../support/registry.js';

const FLEET = 'dom0-reg-creds';
const WRONG = 'wrong-pw-Zq8xK2';

describeEngine('registry credentials', () => {
  let reg: RegistryInfo;
  let ref: string;
  let builtId: string;

  beforeAll(async () => {
    reg = ensureRegistry();
    registerAuthSecrets(reg.user, reg.password, reg.addr);
    registerAuthSecrets(reg.user, WRONG, reg.addr);
    registerTestSecret(WRONG);
    await cleanupFleet(FLEET);
    ref = `${reg.addr}/dom0-test/reg-creds:v1`;
    builtId = await buildVariant('dom0-reg-build/creds:v1');
    await pushImage('dom0-reg-build/creds:v1', ref, reg);
  });

  afterAll(async () => {
    await cleanupFleet(FLEET);
    await removeImage(builtId).catch(() => undefined);
  });

  /** No local copy at all (every tag of the image goes), so the apply must really pull. */
  async function dropLocal(): Promise<void> {
    await cleanupFleet(FLEET);
    await removeImage(builtId);
    expect(await imageId(ref)).toBeUndefined();
  }

  function manifest(registries: string, extra = ''): string {
    return [
      `name: ${FLEET}`,
      registries,
      'services:',
      '  reg-creds-app:',
      `    image: ${ref}`,
      '    command: ["sleep", "3600"]',
      extra,
    ].join('\n');
  }

  async function expectPulledAndRunning(stderr: string): Promise<void> {
    const pulls = events(stderr, 'pull').filter((l) => l.image === ref);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ result: 'pulled', registry: reg.addr });
    expect(await imageId(ref)).toBe(builtId);
    const c = (await containersOf(FLEET)).find((x) => x.name === 'reg-creds-app');
    expect(c?.running).toBe(true);
    expect(c?.inspect.Image).toBe(builtId);
  }

  it('pulls with a password_file from the manifest', async () => {
    await dropLocal();
    const ws = workspace('reg-pwfile');
    writeFileSync(path.join(ws.dir, 'registry-pw'), `${reg.password}\n`);
    const file = ws.write(manifest(`registries:\n  ${reg.addr}:\n    username: ${reg.user}\n    password_file: ./registry-pw`));
    const r = await applyWith(file, baseEnv(ws.stateDir));
    await expectPulledAndRunning(r.stderr);
  });

  it('pulls with a password from an ${ENV} reference', async () => {
    await dropLocal();
    const ws = workspace('reg-env');
    const file = ws.write(manifest(`registries:\n  ${reg.addr}:\n    username: ${reg.user}\n    password: \${DOM0_TEST_REG_PW}`));
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password }));
    await expectPulledAndRunning(r.stderr);
  });

  it('pulls with credentials from config.json (DOCKER_CONFIG), as after `docker login`', async () => {
    await dropLocal();
    const ws = workspace('reg-config');
    const cfgDir = tmpDir('dom0-dockercfg-');
    writeFileSync(path.join(cfgDir, 'config.json'), JSON.stringify({ auths: { [reg.addr]: { auth: Buffer.from(`${reg.user}:${reg.password}`).toString('base64') } } }));
    const file = ws.write(manifest(''));
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOCKER_CONFIG: cfgDir }));
    await expectPulledAndRunning(r.stderr);
  });

  it('pulls with credentials from a credential helper (credsStore; a fake docker-credential-* on PATH)', async () => {
    await dropLocal();
    const ws = workspace('reg-helper');
    const cfgDir = tmpDir('dom0-dockercfg-');
    const binDir = tmpDir('dom0-credhelper-');
    // auths holds a wrong password: the helper's answer must win, as with the docker CLI
    writeFileSync(path.join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'dom0fake', auths: { [reg.addr]: { auth: Buffer.from(`${reg.user}:${WRONG}`).toString('base64') } } }));
    writeFileSync(
      path.join(binDir, 'docker-credential-dom0fake'),
      `#!/bin/sh\nread server\necho "$1 $server" >> "${binDir}/asked"\nprintf '{"ServerURL":"%s","Username":"${reg.user}","Secret":"${reg.password}"}' "$server"\n`,
      { mode: 0o755 },
    );
    const file = ws.write(manifest(''));
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOCKER_CONFIG: cfgDir, PATH: `${binDir}:${process.env.PATH ?? ''}` }));
    await expectPulledAndRunning(r.stderr);
    expect(readFileSync(path.join(binDir, 'asked'), 'utf8')).toBe(`get ${reg.addr}\n`);
    expect(r.stdout + r.stderr).not.toContain(reg.password);
  });

  it('prefers the manifest entry over config.json for the same registry', async () => {
    await dropLocal();
    const ws = workspace('reg-precedence');
    const cfgDir = tmpDir('dom0-dockercfg-');
    writeFileSync(path.join(cfgDir, 'config.json'), JSON.stringify({ auths: { [`http://${reg.addr}`]: { auth: Buffer.from(`${reg.user}:${WRONG}`).toString('base64') } } }));
    const file = ws.write(manifest(`registries:\n  ${reg.addr}:\n    username: ${reg.user}\n    password: \${DOM0_TEST_REG_PW}`));
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOCKER_CONFIG: cfgDir, DOM0_TEST_REG_PW: reg.password }));
    await expectPulledAndRunning(r.stderr);
  });

  it('validate, plan and status never show a registry secret', async () => {
    const ws = workspace('reg-show');
    writeFileSync(path.join(ws.dir, 'registry-pw'), `${reg.password}\n`);
    const file = ws.write(
      manifest(
        `registries:\n  ${reg.addr}:\n    username: ${reg.user}\n    password_file: ./registry-pw\n  ghcr.io:\n    username: someone\n    password: \${DOM0_TEST_REG_PW}`,
        '    environment:\n      REGISTRY_PASSWORD: ${DOM0_TEST_REG_PW}',
      ),
    );
    const env = baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: WRONG });
    for (const args of [['validate'], ['plan'], ['plan', '--json'], ['status'], ['status', '--json']]) {
      const r = await dom0([...args, '-f', file], { env }); // dom0() checks both outputs for secrets
      expect(r.code, `dom0 ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('a wrong password fails that entry (and its dependents) with a clear message; the rest runs; exit 1', async () => {
    await dropLocal();
    const ws = workspace('reg-wrong');
    const file = ws.write(
      manifest(
        `registries:\n  ${reg.addr}:\n    username: ${reg.user}\n    password: \${DOM0_TEST_REG_PW}`,
        [
          '  reg-creds-dependent:',
          `    image: ${BUSYBOX}`,
          '    command: ["sleep", "3600"]',
          '    depends_on: [reg-creds-app]',
          '  reg-creds-unrelated:',
          `    image: ${BUSYBOX}`,
          '    command: ["sleep", "3600"]',
        ].join('\n'),
      ),
    );
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: WRONG }), 1);
    const app = outcome(r, 'reg-creds-app');
    expect(app.status).toBe('failed');
    expect(app.error).toContain(`registry ${reg.addr} refused the credentials of user "${reg.user}"`);
    expect(app.error).toContain('check the username and password');
    expect(outcome(r, 'reg-creds-dependent').status).toBe('skipped');
    expect(outcome(r, 'reg-creds-unrelated').status).toBe('ok');
    // one attempt: wrong credentials are not retried
    expect(events(r.stderr, 'pull-retry')).toHaveLength(0);
    const failed = events(r.stderr, 'pull-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ image: ref, registry: reg.addr, user: reg.user, kind: 'auth' });
    const running = (await containersOf(FLEET)).filter((c) => c.running).map((c) => c.name);
    expect(running).toEqual(['reg-creds-unrelated']);
    // dom0() already checked stdout and stderr for both passwords and their encodings
    expect(r.stdout + r.stderr).not.toContain(WRONG);
  });
});
