// The engine connection as the docker CLI resolves it, against a real engine listening on
// tcp://127.0.0.1 with TLS (--tlsverify) and certificates made here: DOCKER_HOST +
// DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, a docker context (currentContext and DOCKER_CONTEXT),
// and the failures a user meets (plain HTTP to a TLS port, an unknown context).
// ssh:// is tested in engine-ssh.test.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, runDom0, tmpDir } from '../support/engine.js';
import { privateEngine } from '../support/private-engine.js';
import { freePort } from '../support/free-port.js';

const ENGINE_DIR = process.env.DOM0_TLS_ENGINE_DIR || '/tmp/dom0-tls-engine';
const POOL = 'base=10.219.0.0/16,size=24';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as `docker` TLS setups use. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=dom0-test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server-cert.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=dom0-client', '-keyout', 'key.pem', '-out', 'client.csr');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'cert.pem');
}

describeEngine('engine endpoint: TLS and docker contexts', () => {
  const certs = tmpDir('dom0-tls-certs-');
  let port = 0;
  let engine: ReturnType<typeof privateEngine>;
  const clean = { DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined, DOCKER_TLS: undefined };

  beforeAll(async () => {
    makeCerts(certs);
    port = await freePort();
    const tlsArgs = `--tlsverify --tlscacert ${certs}/ca.pem --tlscert ${certs}/server-cert.pem --tlskey ${certs}/server-key.pem -H tcp://127.0.0.1:${port}`;
    engine = privateEngine(ENGINE_DIR, POOL, { extraArgs: tlsArgs, shTimeoutMs: 5 * 60_000 });
    await engine.shOk('start');
  }, 6 * 60_000);

  afterAll(async () => {
    await engine?.sh('stop');
  }, 2 * 60_000);

  const versionOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { engine: { apiVersion?: string; error?: string } }).engine;

  it('DOCKER_HOST=tcp://127.0.0.1 with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH reaches the engine', async () => {
    const r = await runDom0(['version', '--json'], { env: { ...clean, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } });
    expect(r.code, r.stderr).toBe(0);
    expect(versionOf(r).apiVersion).toMatch(/^1\.\d+$/);
  });

  it('a fleet applies over TLS', async () => {
    const dir = tmpDir('dom0-tls-fleet-');
    writeFileSync(path.join(dir, 'dom0.yaml'), 'name: dom0-tls\nservices:\n  tls-svc:\n    image: busybox:latest\n    command: sleep 3600\n');
    const env = { ...clean, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
    const r = await runDom0(['apply', '-f', path.join(dir, 'dom0.yaml')], { env });
    expect(r.code, r.stderr).toBe(0);
    const c = await engine.client().getContainer('tls-svc').inspect();
    expect(c.State.Running).toBe(true);
    expect((await runDom0(['down', '-f', path.join(dir, 'dom0.yaml')], { env })).code).toBe(0);
  });

  it('without TLS settings, the TLS port refuses: an engine error, not a hang', async () => {
    const r = await runDom0(['version', '--json'], { env: { ...clean, DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
    expect(r.code).toBe(0);
    expect(versionOf(r).error).toBeTruthy();
  });

  it('a client trusting another CA refuses the engine; a cert path without cert.pem is a usage error', async () => {
    const other = tmpDir('dom0-tls-otherca-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', 'key.pem', '-out', 'ca.pem'], { cwd: other, stdio: 'pipe' });
    execFileSync('cp', [path.join(other, 'ca.pem'), path.join(other, 'cert.pem')]);
    const env = { ...clean, DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: other };
    const r = await runDom0(['version', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(versionOf(r).error).toBeTruthy();
    const status = await runDom0(['status'], { env });
    expect(status.code).toBe(1);
    expect(status.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

    const partial = tmpDir('dom0-tls-partial-');
    execFileSync('cp', [path.join(certs, 'ca.pem'), path.join(partial, 'ca.pem')]);
    const missing = await runDom0(['status'], { env: { ...env, DOCKER_CERT_PATH: partial } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot use the engine at tcp:\/\/127\.0\.0\.1:\d+ \(DOCKER_HOST\).*cert\.pem/);
  });

  it('the current docker context (config.json currentContext, or DOCKER_CONTEXT) with its TLS files', async () => {
    const cfg = tmpDir('dom0-docker-config-');
    const id = createHash('sha256').update('tlslab').digest('hex');
    mkdirSync(path.join(cfg, 'contexts', 'meta', id), { recursive: true });
    mkdirSync(path.join(cfg, 'contexts', 'tls', id, 'docker'), { recursive: true });
    writeFileSync(
      path.join(cfg, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'tlslab', Metadata: {}, Endpoints: { docker: { Host: `tcp://127.0.0.1:${port}`, SkipTLSVerify: false } } }),
    );
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) execFileSync('cp', [path.join(certs, f), path.join(cfg, 'contexts', 'tls', id, 'docker', f)]);
    writeFileSync(path.join(cfg, 'config.json'), JSON.stringify({ currentContext: 'tlslab' }));

    const current = await runDom0(['version', '--json'], { env: { ...clean, DOCKER_CONFIG: cfg } });
    expect(current.code, current.stderr).toBe(0);
    expect(versionOf(current).apiVersion).toMatch(/^1\.\d+$/);

    writeFileSync(path.join(cfg, 'config.json'), '{}');
    const named = await runDom0(['version', '--json'], { env: { ...clean, DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'tlslab' } });
    expect(versionOf(named).apiVersion).toMatch(/^1\.\d+$/);

    const unknown = await runDom0(['status'], { env: { ...clean, DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'nope' } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/docker context "nope" not found/);
  });
});
