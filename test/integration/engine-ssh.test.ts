// DOCKER_HOST=ssh://user@host: dom0 reaches the engine through an sshd started here on
// 127.0.0.1 (keys made in the test, served by an ssh-agent, as the docker CLI's ssh transport
// expects), which runs `docker system dial-stdio` against the test engine.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, containersOf, describeEngine, runDom0, TEST_DOCKER_HOST, tmpDir } from '../support/engine.js';
import { freePort } from '../support/free-port.js';

const SSHD = '/usr/sbin/sshd';
const FLEET = 'dom0-ssh';

describeEngine('engine endpoint: ssh://', () => {
  const dir = tmpDir('dom0-sshd-');
  let port = 0;
  let agent: ChildProcess | undefined;
  const agentSock = path.join(dir, 'agent.sock');
  let env: Record<string, string | undefined> = {};

  beforeAll(async () => {
    expect(existsSync(SSHD), `${SSHD} is missing: apt-get install openssh-server (.ci/run does)`).toBe(true);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'client_key')]);
    writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')), { mode: 0o600 });
    port = await freePort();
    const socket = TEST_DOCKER_HOST.replace(/^unix:\/\//, '');
    writeFileSync(
      path.join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${dir}/host_key`,
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'StrictModes no',
        'UsePAM no',
        `PidFile ${dir}/sshd.pid`,
        // the session's `docker system dial-stdio` talks to the test engine
        `SetEnv DOCKER_HOST=unix://${socket}`,
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true });
    execFileSync(SSHD, ['-f', path.join(dir, 'sshd_config'), '-E', path.join(dir, 'sshd.log')]);
    agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 100));
    execFileSync('ssh-add', ['-q', path.join(dir, 'client_key')], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
    env = { DOCKER_HOST: `ssh://root@127.0.0.1:${port}`, SSH_AUTH_SOCK: agentSock, DOCKER_CONTEXT: undefined, DOCKER_TLS_VERIFY: undefined };
    await cleanupFleet(FLEET);
  }, 60_000);

  afterAll(async () => {
    await cleanupFleet(FLEET);
    try {
      process.kill(Number(readFileSync(path.join(dir, 'sshd.pid'), 'utf8')));
    } catch {
      // not started
    }
    agent?.kill();
  });

  it('version and a fleet apply go through ssh to the engine', async () => {
    const v = await runDom0(['version', '--json'], { env });
    expect(v.code, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout) as { engine: { apiVersion?: string } }).engine.apiVersion).toMatch(/^1\.\d+$/);

    const fleet = tmpDir('dom0-ssh-fleet-');
    writeFileSync(path.join(fleet, 'dom0.yaml'), `name: ${FLEET}\nservices:\n  ssh-svc:\n    image: busybox:latest\n    command: sleep 3600\n`);
    const r = await runDom0(['apply', '-f', path.join(fleet, 'dom0.yaml')], { env });
    expect(r.code, r.stderr).toBe(0);
    expect((await containersOf(FLEET)).find((c) => c.name === 'ssh-svc')?.running).toBe(true);
  }, 60_000);

  it('without the key in the agent, the engine is unreachable: exit 1 with a sentence', async () => {
    const r = await runDom0(['status'], { env: { ...env, SSH_AUTH_SOCK: path.join(dir, 'no-agent.sock') }, cwd: dir, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 40_000);
});
