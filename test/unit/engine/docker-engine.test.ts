// DockerEngine.pullImage against a fake Engine API on a unix socket: stall detection (before and
// after the response starts), error classification, and the X-Registry-Auth header.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine.js';
import { EngineError } from '../../../src/engine/errors.js';
import { registryAuthHeader } from '../../../src/engine/registry-auth.js';
import { scrub } from '../../../src/redact.js';

let server: Server | undefined;
const open = new Set<ServerResponse>();

async function fakeEngine(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<DockerEngine> {
  const sock = join(mkdtempSync(join(tmpdir(), 'dom0-fake-engine-')), 'docker.sock');
  server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    handler(req, res);
  });
  await new Promise<void>((r) => server!.listen(sock, () => r()));
  return new DockerEngine({ host: `unix://${sock}` });
}

afterEach(async () => {
  for (const r of open) r.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const line = (o: object) => `${JSON.stringify(o)}\r\n`;

describe('DockerEngine.pullImage', () => {
  it('follows the progress stream to its end and reports progress', async () => {
    const e = await fakeEngine((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(line({ status: 'Pulling fs layer', id: 'aaaaaaaaaaaa' }));
      res.write(line({ status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 5, total: 10 } }));
      res.end(line({ status: 'Status: Downloaded newer image for x:1' }));
    });
    const seen: string[] = [];
    await e.pullImage('x:1', { onProgress: (p) => seen.push(`${p.status}:${p.current ?? ''}`) });
    expect(seen).toEqual(['Pulling fs layer:', 'Downloading:5', 'Status: Downloaded newer image for x:1:']);
  });

  it('aborts a pull whose stream stops making progress', async () => {
    let closed = false;
    const e = await fakeEngine((_req, res) => {
      res.writeHead(200);
      res.write(line({ status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 1, total: 10 } }));
      res.on('close', () => (closed = true)); // and then nothing more
    });
    const t0 = Date.now();
    const err = await e.pullImage('x:1', { stallTimeoutMs: 300 }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ kind: 'stalled', message: 'pull of x:1 stalled: no progress for 0.3s' });
    expect(Date.now() - t0).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true); // the request was aborted: the engine cancels the pull
  });

  it('also catches an engine that never starts answering', async () => {
    const e = await fakeEngine(() => undefined);
    const err = await e.pullImage('x:1', { stallTimeoutMs: 300 }).catch((x: unknown) => x);
    expect(err).toMatchObject({ kind: 'stalled' });
  });

  it('turns an error inside the stream into a classified error', async () => {
    const e = await fakeEngine((_req, res) => {
      res.writeHead(200);
      res.end(line({ errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized: authentication required' }));
    });
    await expect(e.pullImage('x:1')).rejects.toMatchObject({ kind: 'auth' });
  });

  it('keeps the engine\'s own message for HTTP errors of a pull (no modem prefix)', async () => {
    const e = await fakeEngine((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Head "http://r:5000/v2/x/manifests/1": no basic auth credentials' }));
    });
    const err = (await e.pullImage('r:5000/x:1').catch((x: unknown) => x)) as EngineError;
    expect(err.kind).toBe('auth');
    expect(err.message).toBe('Head "http://r:5000/v2/x/manifests/1": no basic auth credentials');
    const e404 = await fakeEngine((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'manifest for r:5000/x:1 not found: manifest unknown: manifest unknown' }));
    });
    await expect(e404.pullImage('r:5000/x:1')).rejects.toMatchObject({ kind: 'not-found', message: 'manifest for r:5000/x:1 not found: manifest unknown: manifest unknown' });
  });

  it('sends the registry credentials as the X-Registry-Auth header, a value scrub() removes', async () => {
    let header: string | undefined;
    let url = '';
    const e = await fakeEngine((req, res) => {
      header = req.headers['x-registry-auth'] as string | undefined;
      url = req.url ?? '';
      res.writeHead(200);
      res.end(line({ status: 'Status: Image is up to date for r:5000/x:1' }));
    });
    const auth = { username: 'hdr-user', password: 'hdr-secret-pw', serveraddress: 'r:5000' };
    await e.pullImage('r:5000/x:1', { auth });
    expect(header).toBe(registryAuthHeader(auth));
    expect(JSON.parse(Buffer.from(header!, 'base64').toString())).toEqual(auth);
    expect(url).not.toContain('hdr-secret-pw');
    expect(url).toContain('fromImage=r%3A5000%2Fx');
    expect(scrub(`header ${header}`)).toBe('header [redacted]');
  });
});
