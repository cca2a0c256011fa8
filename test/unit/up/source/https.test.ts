// An https source with a private CA: refused without --source-ca, fetched with it; a redirect to
// another origin does not carry the credentials.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUrl } from '../../../../src/up/source/http-get.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'source-tls');
const ca = readFileSync(join(FIXTURES, 'server.pem'));
let server: Server;
let port = 0;
const seen: IncomingHttpHeaders[] = [];
const other = createHttpServer((req, res) => {
  seen.push(req.headers);
  res.writeHead(200).end('elsewhere');
});

beforeAll(async () => {
  server = createServer({ key: readFileSync(join(FIXTURES, 'server.key')), cert: ca }, (req, res) => {
    if (req.url === '/away') return void res.writeHead(302, { location: `http://127.0.0.1:${(other.address() as AddressInfo).port}/x` }).end();
    res.writeHead(200, { etag: '"e1"' }).end('name: x\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await new Promise((r) => other.close(r));
});

describe('https source', () => {
  const o = { timeoutMs: 2000, maxBytes: 1024 };
  it('a private CA is refused without --source-ca', async () => {
    await expect(getUrl(new URL(`https://127.0.0.1:${port}/dom0.yaml`), o)).rejects.toThrow(/SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i);
  });
  it('and trusted with it', async () => {
    const r = await getUrl(new URL(`https://127.0.0.1:${port}/dom0.yaml`), { ...o, ca });
    expect(r).toMatchObject({ status: 200, etag: '"e1"' });
    expect(r.status === 200 && r.bytes.toString()).toBe('name: x\n');
  });
  it('a redirect to another origin drops the Authorization header', async () => {
    const r = await getUrl(new URL(`https://127.0.0.1:${port}/away`), { ...o, ca, authorization: 'Basic c2VjcmV0' });
    expect(r.status).toBe(200);
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });
});
