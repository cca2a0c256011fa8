// DockerEngine.buildImage against a fake Engine API on a unix socket: the POST /build request as
// formed (query parameters, the tar body, a git URL as `remote` with no body), the output lines,
// the image ID, and a failing step as an error.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../../src/engine/docker-engine.js';
import type { BuildRequest } from '../../../src/engine/engine.js';
import { EngineError } from '../../../src/engine/errors.js';

let server: Server | undefined;

interface Seen {
  method?: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  body: Buffer;
}

async function fakeEngine(respond: (res: ServerResponse) => void): Promise<{ engine: DockerEngine; seen: Seen[] }> {
  const sock = join(mkdtempSync(join(tmpdir(), 'dom0-fake-build-')), 'docker.sock');
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://engine');
      seen.push({ method: req.method, path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      respond(res);
    });
  });
  await new Promise<void>((r) => server!.listen(sock, () => r()));
  return { engine: new DockerEngine({ host: `unix://${sock}` }), seen };
}

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const line = (o: object) => `${JSON.stringify(o)}\r\n`;
const ok = (res: ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write(line({ stream: 'Step 1/2 : FROM busybox:latest\n' }));
  res.write(line({ stream: ' ---> 1234567890ab\n' }));
  res.write(line({ stream: 'Step 2/2 : COPY a /a\n' }));
  res.write(line({ aux: { ID: 'sha256:feedfeedfeed' } }));
  res.end(line({ stream: 'Successfully built feedfeedfeed\n' }));
};

const base: BuildRequest = { tags: ['shop-web'], args: {}, labels: {}, extraHosts: [], noCache: false, pull: false, cacheFrom: [] };

async function* tar(): AsyncGenerator<Uint8Array> {
  yield Buffer.from('not really a tar, but bytes');
}

describe('DockerEngine.buildImage', () => {
  it('POSTs the context tar with every option as the classic builder takes it, and returns the image ID', async () => {
    const { engine, seen } = await fakeEngine(ok);
    const out: string[] = [];
    const id = await engine.buildImage({
      ...base,
      tags: ['shop-web', 'shop/web:2'],
      context: tar(),
      dockerfile: 'docker/Dockerfile',
      args: { A: '1' },
      labels: { 'io.dom0.build-hash': 'abc' },
      target: 'run',
      network: 'host',
      extraHosts: ['db:10.0.0.2', 'cache:10.0.0.3'],
      shmSizeBytes: 1024,
      noCache: true,
      pull: true,
      cacheFrom: ['shop/web:cache'],
      platform: 'linux/arm64',
      onOutput: (l) => out.push(l),
    });
    expect(id).toBe('sha256:feedfeedfeed');
    expect(out).toEqual(['Step 1/2 : FROM busybox:latest', ' ---> 1234567890ab', 'Step 2/2 : COPY a /a', 'Successfully built feedfeedfeed']);
    const r = seen[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toMatch(/\/build$/);
    expect(r.contentType).toBe('application/tar');
    expect(r.body.toString()).toBe('not really a tar, but bytes');
    const q = r.query;
    expect(q.getAll('t')).toEqual(['shop-web', 'shop/web:2']);
    expect(JSON.parse(q.get('buildargs')!)).toEqual({ A: '1' });
    expect(JSON.parse(q.get('labels')!)).toEqual({ 'io.dom0.build-hash': 'abc' });
    expect(JSON.parse(q.get('cachefrom')!)).toEqual(['shop/web:cache']);
    expect(Object.fromEntries([...q.entries()].filter(([k]) => !['t', 'buildargs', 'labels', 'cachefrom'].includes(k)))).toEqual({
      dockerfile: 'docker/Dockerfile',
      target: 'run',
      networkmode: 'host',
      extrahosts: 'db:10.0.0.2,cache:10.0.0.3',
      shmsize: '1024',
      nocache: 'true',
      pull: 'true',
      rm: 'true',
      forcerm: 'true',
      platform: 'linux/arm64',
    });
    expect(q.has('remote')).toBe(false);
  });

  it('a git URL goes as `remote`, with no body', async () => {
    const { engine, seen } = await fakeEngine(ok);
    await engine.buildImage({ ...base, remote: 'https://github.com/acme/app.git#main:web', dockerfile: 'Dockerfile' });
    expect(seen[0]!.query.get('remote')).toBe('https://github.com/acme/app.git#main:web');
    expect(seen[0]!.query.get('dockerfile')).toBe('Dockerfile');
    expect(seen[0]!.body.length).toBe(0);
  });

  it('a step that fails is an error with the builder\'s message', async () => {
    const { engine } = await fakeEngine((res) => {
      res.writeHead(200);
      res.write(line({ stream: 'Step 2/2 : RUN false\n' }));
      res.end(line({ errorDetail: { code: 1, message: "The command '/bin/sh -c false' returned a non-zero code: 1" }, error: 'x' }));
    });
    const err = await engine.buildImage(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ kind: 'invalid', message: "build of shop-web failed: The command '/bin/sh -c false' returned a non-zero code: 1" });
  });

  it('an engine that refuses the request (a missing Dockerfile) is an error', async () => {
    const { engine } = await fakeEngine((res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Cannot locate specified Dockerfile: Dockerfile' }));
    });
    const err = await engine.buildImage(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as Error).message).toContain('Cannot locate specified Dockerfile');
  });
});
