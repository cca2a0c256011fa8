// One GET of a source file: conditional on an ETag, bounded in time and size, following a few
// redirects, with an extra CA for a private https server. node:http(s) rather than fetch: a CA per
// request, and no dependency on undici's own options.
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { redactUrl } from './location.js';

export interface GetOptions {
  etag?: string;
  timeoutMs: number;
  maxBytes: number;
  ca?: Buffer;
  authorization?: string;
}

export type GetResult = { status: 200; bytes: Buffer; etag?: string } | { status: 304 } | { status: 404 };

export class SourceFetchError extends Error {
  override readonly name = 'SourceFetchError';
}

const MAX_REDIRECTS = 5;

export async function getUrl(url: URL, o: GetOptions): Promise<GetResult> {
  let at = url;
  for (let hop = 0; ; hop++) {
    const res = await once(at, o);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new SourceFetchError(`${redactUrl(url.href)}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(res.headers.location, at);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new SourceFetchError(`${redactUrl(at.href)}: redirect to ${next.protocol}`);
      // Credentials go only to the origin they were given for.
      if (next.origin !== url.origin) o = { ...o, authorization: undefined };
      at = next;
      continue;
    }
    if (status === 304) {
      res.resume();
      return { status: 304 };
    }
    if (status === 404 || status === 410) {
      res.resume();
      return { status: 404 };
    }
    if (status !== 200) {
      res.resume();
      throw new SourceFetchError(`${redactUrl(at.href)}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
    }
    const bytes = await body(res, at, o);
    const etag = res.headers.etag;
    return { status: 200, bytes, ...(etag ? { etag } : {}) };
  }
}

function once(url: URL, o: GetOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'dom0', accept: '*/*' };
    if (o.etag) headers['if-none-match'] = o.etag;
    if (o.authorization) headers.authorization = o.authorization;
    const opts = { headers, timeout: o.timeoutMs, ...(o.ca ? { ca: o.ca } : {}) };
    const req = url.protocol === 'https:' ? httpsGet(url, opts, resolve) : httpGet(url, opts, resolve);
    // `timeout` is idle time on the socket; the deadline below bounds the whole response.
    const deadline = setTimeout(() => req.destroy(new SourceFetchError(`${redactUrl(url.href)}: no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on('timeout', () => req.destroy(new SourceFetchError(`${redactUrl(url.href)}: no answer within ${o.timeoutMs} ms`)));
    req.on('error', (e) => {
      clearTimeout(deadline);
      reject(e instanceof SourceFetchError ? e : new SourceFetchError(`${redactUrl(url.href)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    req.on('response', (res) => res.on('close', () => clearTimeout(deadline)));
  });
}

function body(res: IncomingMessage, url: URL, o: GetOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > o.maxBytes) {
      res.destroy();
      reject(new SourceFetchError(`${redactUrl(url.href)}: too large (${declared} bytes; the limit is ${o.maxBytes})`));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (c: Buffer) => {
      total += c.length;
      if (total > o.maxBytes) {
        res.destroy(new SourceFetchError(`${redactUrl(url.href)}: too large (more than ${o.maxBytes} bytes)`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks, total)));
    res.on('error', (e) => reject(e instanceof SourceFetchError ? e : new SourceFetchError(`${redactUrl(url.href)}: ${e.message}`)));
    res.on('close', () => {
      if (!res.complete) reject(new SourceFetchError(`${redactUrl(url.href)}: the response was cut short`));
    });
  });
}
