// The image: builds the Dockerfile on the test engine (on the local Node base made by
// scripts/node-base-image.sh, through scripts/build-image.sh) and checks that it runs as documented:
// `--help` through the entrypoint, dom0's own layers within 10 MB of the base, and `validate` /
// `plan` in a container that has only the engine's socket and the manifest directory — no
// --privileged.
//
// The build takes a minute or more (npm ci over the network): the image is reused while its
// io.dom0.source-hash label matches the sources (scripts/build-image.sh --hash).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, TEST_DOCKER_HOST, describeEngine, docker, tmpDir, writeManifest } from '../support/engine.js';
import { buildImageScript } from '../support/image.js';
import { DOCKER_CLI, explain, run } from '../support/process.js';

const IMAGE = process.env.DOM0_IMAGE || 'dom0:latest';
const BASE = process.env.DOM0_NODE_IMAGE || 'dom0-test/node:local';
const MAX_OWN_BYTES = 10 * 1000 * 1000; // 10 MB (docker's units)
const BUILD_TIMEOUT_MS = 10 * 60_000;
const HASH_LABEL = 'io.dom0.source-hash';

const dockerCli = (args: string[], timeoutMs?: number) => run(DOCKER_CLI, args, { env: { DOCKER_HOST: TEST_DOCKER_HOST }, timeoutMs });

/** How a container reaches the test engine: its unix socket mounted at the usual path. */
function engineAccessArgs(): string[] {
  if (TEST_DOCKER_HOST.startsWith('unix://')) {
    const sock = TEST_DOCKER_HOST.slice('unix://'.length);
    return ['--network', 'none', '-v', `${sock}:/var/run/docker.sock`];
  }
  // a TCP engine: the container shares the host's network and is told where the engine is
  return ['--network', 'host', '-e', `DOCKER_HOST=${TEST_DOCKER_HOST}`];
}

describeEngine('dom0 image (Dockerfile)', () => {
  let buildLog = '';

  beforeAll(async () => {
    const r = await buildImageScript(['--if-changed'], BUILD_TIMEOUT_MS);
    buildLog = explain(r);
    if (r.code !== 0) throw new Error(`scripts/build-image.sh failed: ${buildLog}`);
  }, BUILD_TIMEOUT_MS + 30_000);

  it('is labelled with the hash of the sources it was built from', async () => {
    const r = await buildImageScript(['--hash'], 120_000);
    expect(r.code, explain(r)).toBe(0);
    const hash = r.stdout.trim();
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const info = await docker().getImage(IMAGE).inspect();
    expect(info.Config.Labels?.[HASH_LABEL]).toBe(hash);
  });

  it('prints its commands for --help through the entrypoint', async () => {
    const r = await dockerCli(['run', '--rm', IMAGE, '--help']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/Usage: dom0/);
    for (const cmd of ['validate', 'plan', 'apply', 'status', 'down', 'up']) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    }
  });

  it('adds at most 10 MB of its own layers over the Node base', async () => {
    const img = await docker().getImage(IMAGE).inspect();
    const base = await docker().getImage(BASE).inspect();
    const baseLayers = base.RootFS.Layers ?? [];
    const layers = img.RootFS.Layers ?? [];
    // the final stage starts FROM the base: its layers are a prefix of the image's
    expect(layers.slice(0, baseLayers.length)).toEqual(baseLayers);
    const own = img.Size - base.Size;
    console.info(`[image-build] ${IMAGE}: ${own} bytes in ${layers.length - baseLayers.length} own layer(s) over ${BASE}`);
    expect(own).toBeGreaterThan(0);
    expect(own).toBeLessThanOrEqual(MAX_OWN_BYTES);
  });

  it('has the runtime contract: entrypoint, up by default, manifest and state paths, healthcheck', async () => {
    const { Config } = await docker().getImage(IMAGE).inspect();
    expect(Config.Entrypoint).toEqual(['node', '--max-semi-space-size=1', '--optimize-for-size', '/opt/dom0/dom0.mjs']);
    // the OCI labels scripts/build-image.sh sets from package.json and git
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(Config.Labels?.['org.opencontainers.image.version']).toBe(pkg.version);
    expect(Config.Labels?.['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
    expect(Config.Labels?.['org.opencontainers.image.created']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Config.Cmd).toEqual(['up']);
    expect(Object.keys(Config.Volumes ?? {})).toContain('/var/lib/dom0');
    expect(Config.Env).toEqual(
      expect.arrayContaining(['DOM0_MANIFEST=/etc/dom0/dom0.yaml', 'DOM0_STATE_DIR=/var/lib/dom0']),
    );
    const health = (Config as { Healthcheck?: { Test?: string[] } }).Healthcheck;
    expect(health?.Test).toEqual(['CMD', 'dom0', 'health']);
    // the bundle, and no npm tree: node_modules holds only the one-file bundles of pino-pretty
    // (loaded by a runtime require for pretty logs) and ssh2 (for an ssh:// DOCKER_HOST), scripts/bundle.mjs
    const r = await dockerCli(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c',
      'test -f /opt/dom0/dom0.mjs && command -v dom0 && cd /opt/dom0/node_modules && find . -type f | sort']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['/usr/local/bin/dom0', './pino-pretty/index.js', './pino-pretty/package.json', './ssh2/index.js', './ssh2/package.json']);
  });

  it('validates /etc/dom0/dom0.yaml without --privileged, with only the socket and the manifest dir', async () => {
    const dir = tmpDir('dom0-image-manifest-');
    writeManifest(
      dir,
      [
        'version: 1',
        'name: dom0imgtest',
        'services:',
        '  sleeper:',
        '    image: busybox:latest',
        '    command: ["sleep", "3600"]',
        '    init: true',
        '',
      ].join('\n'),
    );
    const r = await dockerCli(['run', '--rm', ...engineAccessArgs(), '-v', `${dir}:/etc/dom0:ro`, IMAGE, 'validate']);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/\/etc\/dom0\/dom0\.yaml: valid/);

    // the same container talks to the engine through the mounted socket (plan changes nothing)
    const p = await dockerCli(['run', '--rm', ...engineAccessArgs(), '-v', `${dir}:/etc/dom0:ro`, IMAGE, 'plan']);
    expect(p.code, explain(p)).toBe(0);
    expect(p.stdout).toMatch(/sleeper/);
  });
});
