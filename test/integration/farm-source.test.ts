// Farm mode, one host: `dom0 up --source URL --source-pubkey KEY` against a local http server
// (ETag-aware, serving a directory). The admin's side is the real CLI (`dom0 source keygen`,
// `dom0 source sign`). Served and signed → applied; edited and re-signed → converges; the server
// stopped → the fleet keeps running and status says "running the last good version"; back with
// an index signed by another key → rejected, nothing changed; back with a good one → recovers;
// an older signed version served again (a replay) → refused, nothing changed; a newer one applies.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, collectOutput, containersOf, describeEngine, runDom0, spawnDom0, tmpDir, type OutputCollector } from '../support/engine.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait.js';

const FLEET = 'farm-source';
const WEB = 'farm-source-web';

const manifest = `name: ${FLEET}
services:
  ${WEB}:
    image: busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL # sleep as PID 1 ignores SIGTERM: no 10 s stop on each recreate
    env_file: [app.env]
`;


describeEngine('farm source: dom0 up --source over http, signed', () => {
  const admin = tmpDir('dom0-farm-source-');
  const site = path.join(admin, 'site');
  const state = path.join(admin, 'state');
  const key = path.join(admin, 'admin.key');
  const rogue = path.join(admin, 'rogue.key');
  let server: Server | undefined;
  let port = 0;
  let listen = 0;
  let up: ChildProcess;
  let out: OutputCollector;
  /** The site as published with GREETING=two: a version the admin signed, to replay later. */
  let two = new Map<string, Buffer>();

  function serve(): Promise<void> {
    server = createServer((req, res) => {
      let body: Buffer;
      try {
        body = readFileSync(path.join(site, path.basename(new URL(req.url!, 'http://x').pathname)));
      } catch {
        return void res.writeHead(404).end();
      }
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { etag }).end(body);
    });
    return new Promise((r) => server!.listen(port, '127.0.0.1', () => r()));
  }
  function unserve(): Promise<void> {
    const s = server!;
    server = undefined;
    s.closeAllConnections();
    return new Promise((r) => s.close(() => r()));
  }
  async function publish(env: string, signWith = key): Promise<void> {
    writeFileSync(path.join(site, 'dom0.yaml'), manifest);
    writeFileSync(path.join(site, 'app.env'), env);
    const r = await runDom0(['source', 'sign', site, '--key', signWith]);
    expect(r.code, r.stderr).toBe(0);
  }
  const web = async () => (await containersOf(FLEET)).find((c) => c.name === WEB);
  const envOf = async () => (await web())?.inspect.Config.Env?.find((e) => e.startsWith('GREETING='));
  const status = async () => {
    const r = await runDom0(['status', '--state-dir', state]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${listen}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  beforeAll(async () => {
    await cleanupFleet(FLEET);
    mkdirSync(site);
    for (const k of [key, rogue]) expect((await runDom0(['source', 'keygen', k])).code).toBe(0);
    await publish('GREETING=one\n');
    port = await freePort();
    listen = await freePort();
    await serve();
    up = spawnDom0([
      'up',
      '--source', `http://127.0.0.1:${port}/dom0.yaml`,
      '--source-pubkey', `${key}.pub`,
      '--source-interval', '1s',
      '--source-timeout', '2s',
      '--state-dir', state,
      '--listen', `127.0.0.1:${listen}`,
    ]);
    out = collectOutput(up);
  }, 60_000);

  afterAll(async () => {
    if (process.env.FARM_DEBUG) writeFileSync('/tmp/farm-source.log', out?.all ?? '');
    up?.kill('SIGTERM');
    if (server) await unserve();
    await new Promise((r) => setTimeout(r, 300));
    await cleanupFleet(FLEET);
  }, 60_000);

  it('applies the served, signed manifest with its env file', async () => {
    expect(await waitFor('web running with GREETING=one', async () => ((await web())?.running && (await envOf()) === 'GREETING=one' ? true : undefined), 60_000)).toBe(true);
    expect(out.all).toContain('source-updated');
    expect(await status()).toMatch(/source http:\/\/127\.0\.0\.1:\d+\/dom0\.yaml: ok, version [0-9a-f]{12} \(verified: ed25519\), signed at \d{4}-\d\d-\d\dT/);
  }, 90_000);

  it('an edit, re-signed, converges', async () => {
    const t0 = Date.now();
    await publish('GREETING=two\n');
    two = new Map(['dom0.yaml.sig', 'dom0.yaml', 'app.env'].map((f) => [f, readFileSync(path.join(site, f))]));
    await waitFor('web recreated with GREETING=two', async () => ((await web())?.running && (await envOf()) === 'GREETING=two' ? true : undefined), 30_000);
    console.log(`[farm-source] edit → converged in ${Date.now() - t0} ms`);
  }, 60_000);

  it('the server stopped: the fleet keeps running, status and metrics say the last good version is in use', async () => {
    const before = (await web())!.id;
    await unserve();
    await waitFor('a source-error', async () => (out.all.includes('"event":"source-error"') ? true : undefined), 15_000);
    expect(await status()).toMatch(/FAILING .*running the last good version [0-9a-f]{12}/);
    expect(await metric('dom0_source_up')).toBe(0);
    const page = (await (await fetch(`http://127.0.0.1:${listen}/api/state`)).json()) as { source?: { state: string; version?: string; lastError?: string } };
    expect(page.source).toMatchObject({ state: 'error', version: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const w = (await web())!;
    expect([w.id, w.running, await envOf()]).toEqual([before, true, 'GREETING=two']);
  }, 60_000);

  it('back with an index signed by another key: rejected, nothing changed', async () => {
    const before = (await web())!.id;
    await publish('GREETING=evil\n', rogue);
    await serve();
    await waitFor('a bad signature', async () => (/"event":"source-error"[^\n]*bad signature/.test(out.all) ? true : undefined), 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    const w = (await web())!;
    expect([w.id, w.running, await envOf()]).toEqual([before, true, 'GREETING=two']);
    expect(await status()).toMatch(/FAILING .*bad signature/);
  }, 60_000);

  it('a good index again: recovers and applies it', async () => {
    await publish('GREETING=three\n');
    await waitFor('web with GREETING=three', async () => ((await web())?.running && (await envOf()) === 'GREETING=three' ? true : undefined), 30_000);
    await waitFor('source-recovered', async () => (out.all.includes('"event":"source-recovered"') ? true : undefined), 10_000);
    expect(await status()).toMatch(/: ok, version/);
    expect(await metric('dom0_source_up')).toBe(1);
    expect(out.all).not.toMatch(/admin\.key|PRIVATE KEY/);
  }, 60_000);

  it('an older signed version served again (a replay): refused, nothing changed; a newer one applies', async () => {
    const before = (await web())!.id;
    for (const [f, bytes] of two) writeFileSync(path.join(site, f), bytes);
    await waitFor('a replay refused', async () => (/"event":"source-error"[^\n]*older than the running version's/.test(out.all) ? true : undefined), 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    const w = (await web())!;
    expect([w.id, w.running, await envOf()]).toEqual([before, true, 'GREETING=three']);
    expect(await status()).toMatch(/FAILING .*index signed at \S+ is older than the running version's \(\S+\): a replay of an old version\?/);
    await publish('GREETING=four\n');
    await waitFor('web with GREETING=four', async () => ((await web())?.running && (await envOf()) === 'GREETING=four' ? true : undefined), 30_000);
    expect(await status()).toMatch(/: ok, version [0-9a-f]{12} \(verified: ed25519\), signed at /);
  }, 60_000);
});
