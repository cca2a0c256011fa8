// Compose's labels on the containers dom0 creates: `docker-compose -p <fleet> ps` lists the fleet,
// and applying again plans keep (the labels are not part of the config hash). Also `dom0 config`
// against the engine: --resolve-image-digests pins an image pushed to the test registry.

import { realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, cleanupFleet, describeEngine, docker, runDom0, TEST_DOCKER_HOST, tmpDir, writeManifest } from '../support/engine.js';
import { explain, run } from '../support/process.js';
import { ensureRegistry, pushImage, removeImage } from '../support/registry.js';

const FLEET = 'dom0-compose-labels';
const ENTRIES = ['compose-labels-data', 'compose-labels-init', 'compose-labels-web'];
const MANIFEST = `version: 1
name: ${FLEET}
volume_containers:
  compose-labels-data: {image: busybox:latest, paths: [/data]}
jobs:
  compose-labels-init:
    image: busybox:latest
    command: ["true"]
services:
  compose-labels-web:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    depends_on:
      compose-labels-init: {condition: service_completed_successfully}
`;

describeEngine('Compose labels on managed containers', () => {
  const dir = tmpDir('dom0-compose-labels-');
  const file = realpathSync(path.dirname(writeManifest(dir, MANIFEST))) + '/dom0.yaml';
  const cleanup = () => cleanupFleet(FLEET);

  beforeAll(async () => {
    await cleanup();
    const r = await runDom0(['apply', '-f', file, '--json'], { timeoutMs: 180_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 240_000);
  afterAll(cleanup);

  it('each container carries project, service, oneoff, container-number, config-hash, working_dir and config_files', async () => {
    for (const name of ENTRIES) {
      const l = (await docker().getContainer(name).inspect()).Config.Labels ?? {};
      expect(l, name).toMatchObject({
        'com.docker.compose.project': FLEET,
        'com.docker.compose.service': name,
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.container-number': '1',
        'com.docker.compose.config-hash': l['io.dom0.config-hash'],
        'com.docker.compose.project.working_dir': path.dirname(file),
        'com.docker.compose.project.config_files': file,
      });
      expect(l['io.dom0.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('plan after apply: nothing to do (the labels do not change the config hash)', async () => {
    const r = await runDom0(['plan', '-f', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as { actions: Array<{ name: string; action: string }> };
    expect(p.actions.map((a) => [a.name, a.action]).sort()).toEqual([
      ['compose-labels-data', 'keep'],
      ['compose-labels-init', 'done'],
      ['compose-labels-web', 'keep'],
    ]);
  });

  it('docker-compose -p <fleet> ps lists the fleet from the labels', async () => {
    // docker-compose 1.x lists a project's containers whose service label is a service of the file.
    const compose = path.join(dir, 'docker-compose.yml');
    writeFileSync(compose, `version: "2.4"\nservices:\n${ENTRIES.map((e) => `  ${e}: {image: busybox:latest}\n`).join('')}`);
    const r = await run('docker-compose', ['-p', FLEET, '-f', compose, 'ps'], { env: { DOCKER_HOST: TEST_DOCKER_HOST } });
    expect(r.code, explain(r)).toBe(0);
    for (const name of ENTRIES) expect(r.stdout, explain(r)).toContain(name);
    expect(r.stdout).toMatch(/compose-labels-web\s.*\bUp\b/);
  });
});

describeEngine('dom0 config against the engine', () => {
  const dir = tmpDir('dom0-compose-labels-config-');
  let reg: ReturnType<typeof ensureRegistry>;
  let ref: string;

  beforeAll(async () => {
    reg = ensureRegistry();
    ref = `${reg.addr}/dom0-compose-labels:latest`;
    await pushImage(BUSYBOX, ref, reg);
  }, 240_000);
  afterAll(async () => {
    if (ref) await removeImage(ref);
  });

  it("--resolve-image-digests pins each image to the local image's repo digest; secrets stay redacted", async () => {
    const file = writeManifest(
      dir,
      `name: dom0-compose-labels-config\nregistries:\n  ${reg.addr}: {username: ${reg.user}, password: "\${CL_REG_PW}"}\nservices:\n  app: {image: "${ref}", environment: {DB_PASSWORD: "\${CL_REG_PW}"}}\n  plain: {image: busybox:latest}\n`,
    );
    const env = { CL_REG_PW: reg.password };
    const digests = (await docker().getImage(ref).inspect()).RepoDigests;
    const digest = digests.find((d) => d.startsWith(`${reg.addr}/dom0-compose-labels@`))!;
    expect(digest).toMatch(/@sha256:[0-9a-f]{64}$/);

    const r = await runDom0(['config', '-f', file, '--resolve-image-digests', '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.services.app.image).toBe(`${ref}@${digest.split('@')[1]}`);
    expect(c.services.plain.image).toBe('busybox:latest'); // no repo digest on the test engine: left as written, with a warning
    expect(r.stderr).toContain('busybox:latest: the local image has no digest from a registry');
    expect(c.services.app.environment.DB_PASSWORD).toBe('[redacted]');
    expect(c.registries[reg.addr]).toEqual({ username: reg.user, password: '[redacted]' });
    expect(r.stdout + r.stderr).not.toContain(reg.password);

    // Without the option: no engine at all (an unreachable DOCKER_HOST does not matter), images as written.
    const off = await runDom0(['config', '-f', file], { env: { ...env, DOCKER_HOST: 'unix:///nonexistent/dom0.sock' } });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain(`image: ${ref}\n`);

    const bad = writeManifest(dir, 'services:\n  web: {imag: busybox}\n', 'bad.yaml');
    const invalid = await runDom0(['config', '-f', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('bad.yaml:2:');
  });
});
