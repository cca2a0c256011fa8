// The boot path as documented: contrib/boot2docker/bootlocal.sh and contrib/systemd/dom0.service
// run against the test engine with the real image (dom0:latest, scripts/build-image.sh).
//
//   bootlocal.sh: a daemon that never answers (bounded wait, exit 1); a missing manifest (starts
//   nothing, says why, exit 0); a missing image (says why); an image loaded from the tar; a first
//   boot (creates and starts dom0 with only the socket, the fleet DIRECTORY read-only and the state
//   volume — never --privileged — and dom0 applies the fleet, a relative bind resolving to the host
//   directory); a second boot (starts the existing container, recreates nothing).
//   dom0.service: its own ExecStartPre lines create the container once, with the same mounts.
//
// Everything is named boot-script-<pid>; the script's DOM0_* variables point it at a temp dir, the
// test engine's socket and these names. Removed afterwards.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TEST_DOCKER_HOST, cleanupFleet, describeEngine, tmpDir, writeManifest } from '../support/engine.js';
import { fencedBlocks } from '../support/doc-examples.js';
import { DOCKER_CLI, buildImageOnSharedEngine, explain, run, waitFor } from './up-fixtures/helpers.js';

const SCRIPT = path.join(REPO_ROOT, 'contrib', 'boot2docker', 'bootlocal.sh');
const UNIT = path.join(REPO_ROOT, 'contrib', 'systemd', 'dom0.service');
const IMAGE = process.env.DOM0_IMAGE || 'dom0:latest';
const ID = `boot-script-${process.pid}`;
const NAME = ID; // dom0's container
const STATE = `${ID}-state`;
const FLEET = ID;
const SLEEPER = `${ID}-sleeper`;
const UNIT_NAME = `${ID}-unit`;
const UNIT_STATE = `${ID}-unit-state`;
const TAR_IMAGE = `${ID}-tar:1`;
const MISSING_IMAGE = `${ID}-missing:none`;

/** The test engine's socket on this host: what the scripts mount as the host's Docker socket. */
const SOCKET = TEST_DOCKER_HOST.startsWith('unix://') ? TEST_DOCKER_HOST.slice('unix://'.length) : '';

const dks = (args: string[], timeoutMs?: number) => run(DOCKER_CLI, args, { env: { DOCKER_HOST: TEST_DOCKER_HOST }, timeoutMs });
async function dksOk(args: string[]): Promise<string> {
  const r = await dks(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${explain(r)}`);
  return r.stdout.trim();
}

function bootlocal(env: Record<string, string>) {
  return run('sh', [SCRIPT], {
    env: {
      DOCKER: DOCKER_CLI,
      DOCKER_HOST: TEST_DOCKER_HOST,
      DOM0_NAME: NAME,
      DOM0_IMAGE: IMAGE,
      DOM0_STATE_VOLUME: STATE,
      DOM0_DOCKER_SOCKET: SOCKET,
      DOM0_IMAGE_TAR: '/nonexistent/dom0-image.tar',
      DOM0_WAIT_SECONDS: '20',
      ...env,
    },
    timeoutMs: 60_000,
  });
}

interface Inspect {
  Id: string;
  State: { Running: boolean; StartedAt: string };
  HostConfig: { Privileged: boolean; RestartPolicy: { Name: string }; CapAdd: string[] | null; NetworkMode: string };
  Mounts: Array<{ Type: string; Source: string; Destination: string; RW: boolean; Name?: string }>;
}
async function inspect(name: string): Promise<Inspect | undefined> {
  const r = await dks(['container', 'inspect', name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Inspect[])[0] : undefined;
}

function manifest(): string {
  return [
    'version: 1',
    `name: ${FLEET}`,
    'services:',
    `  ${SLEEPER}:`,
    '    image: busybox:latest',
    '    command: ["sleep", "3600"]',
    '    init: true',
    '    volumes: ["./site:/site:ro"]   # relative: the host directory behind dom0\'s /etc/dom0',
    '',
  ].join('\n');
}

/** dom0's log lines (NDJSON) with time >= sinceMs. */
async function dom0Events(sinceMs: number): Promise<Array<Record<string, unknown>>> {
  const r = await dks(['logs', NAME]);
  return `${r.stdout}\n${r.stderr}`
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter((l) => typeof l.time === 'string' && Date.parse(l.time) >= sinceMs);
}

async function waitApplied(sinceMs: number): Promise<void> {
  await waitFor(
    'dom0 to finish an apply',
    async () => (await dom0Events(sinceMs)).some((l) => l.event === 'apply-finished' && l.fleet === FLEET),
    90_000,
    async () => (await dks(['logs', '--tail', '40', NAME])).stderr,
  );
}

describe('bootlocal.sh without an engine', () => {
  it('waits a bounded time for the daemon, then gives up and says so (exit 1)', async () => {
    const dir = tmpDir('boot-script-nodaemon-');
    const r = await bootlocal({ DOCKER_HOST: `unix://${dir}/no-such.sock`, DOM0_WAIT_SECONDS: '2', DOM0_DIR: dir });
    expect(r.code, explain(r)).toBe(1);
    expect(r.stdout).toMatch(/the Docker daemon did not answer within 2s; dom0 not started/);
    expect(r.ms).toBeGreaterThanOrEqual(2000);
    expect(r.ms).toBeLessThan(15_000);
  });
});

describe('the boot scripts, read', () => {
  it.each([
    { file: SCRIPT, dirMount: '-v "$DIR":/etc/dom0:ro' },
    { file: UNIT, dirMount: '-v "$${DOM0_DIR}":/etc/dom0:ro' },
  ])('$file mounts the directory read-only and never uses --privileged', ({ file, dirMount }) => {
    const text = readFileSync(file, 'utf8');
    const code = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
    expect(code).not.toMatch(/--privileged/);
    expect(code).toContain(dirMount);
    expect(code).not.toMatch(/dom0\.yaml:\/etc\/dom0\/dom0\.yaml/);
  });

  it("docs/install.md's and README's commands: no --privileged, the manifest directory mounted read-only", () => {
    const shell = ['README.md', 'docs/install.md'].flatMap((f) =>
      fencedBlocks(readFileSync(path.join(REPO_ROOT, f), 'utf8'), f).filter((b) => b.lang === 'sh'),
    );
    const text = shell.map((b) => b.text).join('\n');
    expect(text).not.toMatch(/--privileged/);
    const mounts = [...text.matchAll(/-v (\S+):\/etc\/dom0(\S*)/g)].map((m) => m[2]);
    expect(mounts.length).toBeGreaterThanOrEqual(2); // the documented docker run and the systemd unit's
    expect(mounts.every((opt) => opt === ':ro')).toBe(true);
  });
});

describeEngine('bootlocal.sh and dom0.service on the test engine', () => {
  let dir = '';

  beforeAll(async () => {
    if (!SOCKET) throw new Error(`the boot scripts mount a unix socket; the test engine is ${TEST_DOCKER_HOST}`);
    await cleanup();
    const b = await buildImageOnSharedEngine();
    if (b.code !== 0) {
      // others may be mid-edit in src/: an image that exists still shows the boot path
      if ((await dks(['image', 'inspect', IMAGE])).code !== 0) throw new Error(`scripts/build-image.sh failed: ${explain(b)}`);
      console.warn(`[boot-script] build-image.sh failed; using the existing ${IMAGE}`);
    }
    dir = tmpDir('boot-script-fleet-');
    mkdirSync(path.join(dir, 'site'));
    writeManifest(dir, manifest());
  }, 15 * 60_000);

  afterAll(async () => {
    await cleanup();
  });

  async function cleanup(): Promise<void> {
    await dks(['rm', '-f', NAME, UNIT_NAME, `${ID}-tar`]);
    await cleanupFleet(FLEET);
    await dks(['volume', 'rm', '-f', STATE, UNIT_STATE]);
    await dks(['image', 'rm', '-f', TAR_IMAGE]);
  }

  it('a missing manifest: starts nothing and says why (exit 0)', async () => {
    const empty = tmpDir('boot-script-empty-');
    const r = await bootlocal({ DOM0_DIR: empty });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain(`no manifest at ${empty}/dom0.yaml; dom0 not started`);
    expect(await inspect(NAME)).toBeUndefined();
  });

  it('a missing image (and no tar): starts nothing and says why (exit 1)', async () => {
    const r = await bootlocal({ DOM0_DIR: dir, DOM0_IMAGE: MISSING_IMAGE });
    expect(r.code, explain(r)).toBe(1);
    expect(r.stdout).toContain(`image ${MISSING_IMAGE} is not present and /nonexistent/dom0-image.tar does not provide it; dom0 not started`);
    expect(await inspect(NAME)).toBeUndefined();
  });

  it('a missing image that the tar provides: loads it, then creates the container', async () => {
    const tarDir = tmpDir('boot-script-tar-');
    const tar = path.join(tarDir, 'dom0-image.tar');
    await dksOk(['tag', 'busybox:latest', TAR_IMAGE]);
    await dksOk(['save', '-o', tar, TAR_IMAGE]);
    await dksOk(['image', 'rm', TAR_IMAGE]);
    const r = await bootlocal({ DOM0_DIR: dir, DOM0_IMAGE: TAR_IMAGE, DOM0_IMAGE_TAR: tar, DOM0_NAME: `${ID}-tar` });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain(`loading ${TAR_IMAGE} from ${tar}`);
    expect(await dksOk(['image', 'inspect', '-f', '{{.Id}}', TAR_IMAGE])).toMatch(/^sha256:/);
    expect(await inspect(`${ID}-tar`)).toBeDefined();
    await dksOk(['rm', '-f', `${ID}-tar`]);
  });

  let first: Inspect | undefined;
  let sleeperId = '';

  it('first boot: creates and starts dom0 with the socket, the fleet directory read-only and a state volume', async () => {
    const t0 = Date.now() - 1000;
    const r = await bootlocal({ DOM0_DIR: dir });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`creating and starting ${NAME} from ${IMAGE.replace(/[.:]/g, '\\$&')} with ${dir} at /etc/dom0`));

    first = await inspect(NAME);
    expect(first?.State.Running).toBe(true);
    expect(first?.HostConfig.Privileged).toBe(false);
    expect(first?.HostConfig.CapAdd ?? []).toEqual([]);
    expect(first?.HostConfig.RestartPolicy.Name).toBe('always');
    const mounts = Object.fromEntries((first?.Mounts ?? []).map((m) => [m.Destination, m]));
    expect(Object.keys(mounts).sort()).toEqual(['/etc/dom0', '/var/lib/dom0', '/var/run/docker.sock']);
    expect(mounts['/var/run/docker.sock']).toMatchObject({ Type: 'bind', Source: SOCKET });
    expect(mounts['/etc/dom0']).toMatchObject({ Type: 'bind', Source: dir, RW: false });
    expect(mounts['/var/lib/dom0']).toMatchObject({ Type: 'volume', Name: STATE });

    // dom0 up applies the fleet; the relative bind is the host directory behind /etc/dom0
    await waitApplied(t0);
    const sleeper = await inspect(SLEEPER);
    expect(sleeper?.State.Running).toBe(true);
    expect(sleeper?.Mounts.find((m) => m.Destination === '/site')).toMatchObject({ Type: 'bind', Source: path.join(dir, 'site'), RW: false });
    sleeperId = sleeper!.Id;
  });

  it('second boot: starts the existing container and recreates nothing', async () => {
    expect(first, 'the first boot ran').toBeDefined();
    await dksOk(['stop', '-t', '10', NAME]);
    expect((await inspect(NAME))?.State.Running).toBe(false);

    const t1 = Date.now() - 1000;
    const r = await bootlocal({ DOM0_DIR: dir });
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain(`starting the existing container ${NAME}`);
    expect(r.stdout).not.toMatch(/creating/);

    const again = await inspect(NAME);
    expect(again?.Id).toBe(first!.Id);
    expect(again?.State.Running).toBe(true);
    await waitApplied(t1);
    const sleeper = await inspect(SLEEPER);
    expect(sleeper?.Id).toBe(sleeperId);
    expect(sleeper?.State.Running).toBe(true);
  });

  it("dom0.service's own ExecStartPre lines: wait for the daemon, create once with the directory mounted read-only", async () => {
    const unit = readFileSync(UNIT, 'utf8');
    const dirDefault = /^Environment=DOM0_DIR=(\S+)$/m.exec(unit)?.[1];
    expect(dirDefault).toBe('/etc/dom0');
    // the unit's commands with this test's names in place of the host's (each must occur)
    const subst: Array<[string, string]> = [
      ['container inspect dom0 ', `container inspect ${UNIT_NAME} `],
      ['--name dom0 ', `--name ${UNIT_NAME} `],
      ['/var/run/docker.sock:/var/run/docker.sock', `${SOCKET}:/var/run/docker.sock`],
      ['dom0-state:/var/lib/dom0', `${UNIT_STATE}:/var/lib/dom0`],
      ['dom0:latest', IMAGE],
    ];
    const pre = unit
      .split('\n')
      .filter((l) => l.startsWith('ExecStartPre='))
      .map((l) => {
        const m = /^ExecStartPre=\/bin\/sh -c '(.*)'$/.exec(l);
        expect(m, l).not.toBeNull();
        return m![1]!.replace(/\$\$/g, '$');
      });
    expect(pre).toHaveLength(2);
    const [wait, create] = pre as [string, string];
    let cmd = create;
    for (const [from, to] of subst) {
      expect(cmd, `the unit's create line has ${from}`).toContain(from);
      cmd = cmd.split(from).join(to);
    }
    const env = { DOCKER_HOST: TEST_DOCKER_HOST, DOM0_DIR: dir };
    const w = await run('sh', ['-c', wait], { env, timeoutMs: 30_000 });
    expect(w.code, explain(w)).toBe(0);
    const c1 = await run('sh', ['-c', cmd], { env });
    expect(c1.code, explain(c1)).toBe(0);
    const created = await inspect(UNIT_NAME);
    const c2 = await run('sh', ['-c', cmd], { env }); // the next start: nothing created
    expect(c2.code, explain(c2)).toBe(0);
    expect((await inspect(UNIT_NAME))?.Id).toBe(created?.Id);

    expect(created?.HostConfig.Privileged).toBe(false);
    expect(created?.HostConfig.RestartPolicy.Name).toBe('no');
    const mounts = Object.fromEntries((created?.Mounts ?? []).map((m) => [m.Destination, m]));
    expect(mounts['/etc/dom0']).toMatchObject({ Type: 'bind', Source: dir, RW: false });
    expect(mounts['/var/run/docker.sock']).toMatchObject({ Type: 'bind', Source: SOCKET });
  });
});
