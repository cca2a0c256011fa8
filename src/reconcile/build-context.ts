// A local build context as dom0 reads it: the files left after .dockerignore, their content hash
// (what decides whether an image must be built again), and the tar stream POST /build takes.
// Contexts are read where dom0 runs: in its container the manifest directory is mounted, so a
// context beside the manifest is there too.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BuildSpec } from '../manifest/types.js';
import { DockerIgnore } from './dockerignore.js';

/** Where a Dockerfile that is not a file of the context (inline, or outside it) is put in the tar. */
export const GENERATED_DOCKERFILE = '.dom0.Dockerfile';

export interface ContextEntry {
  /** Relative to the context, `/`-separated. */
  path: string;
  abs: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  mtimeSeconds: number;
  linkTarget?: string;
  /** Inode, size and times: while it is the same, the file's digest is too. */
  statKey: string;
}

/** A local context, read: its entries and the Dockerfile to name in the request. */
export interface LocalContext {
  entries: ContextEntry[];
  /** The Dockerfile's path inside the tar. */
  dockerfile: string;
  /** Added to the tar as GENERATED_DOCKERFILE (an inline Dockerfile, or one outside the context). */
  generated?: Buffer;
}

export async function readContext(spec: BuildSpec): Promise<LocalContext> {
  const dir = spec.context;
  let generated: Buffer | undefined;
  let dockerfile = GENERATED_DOCKERFILE;
  if (spec.dockerfileInline !== undefined) generated = Buffer.from(spec.dockerfileInline, 'utf8');
  else {
    const abs = resolve(dir, spec.dockerfile ?? 'Dockerfile');
    const rel = relative(dir, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) generated = await readFile(abs);
    else dockerfile = rel.split(sep).join('/');
  }
  let ignoreText: string | undefined;
  try {
    ignoreText = await readFile(join(dir, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const ignore = DockerIgnore.parse(ignoreText, [dockerfile, '.dockerignore']);
  const entries: ContextEntry[] = [];
  await walk(dir, '', ignore, entries);
  return { entries, dockerfile, generated };
}

async function walk(root: string, rel: string, ignore: DockerIgnore, out: ContextEntry[]): Promise<void> {
  const names = (await readdir(join(root, rel))).sort();
  for (const name of names) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const abs = join(root, path);
    const st = await lstat(abs);
    const ignored = ignore.ignores(path);
    const statKey = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const base = { path, abs, mode: st.mode & 0o7777, size: 0, mtimeSeconds: Math.floor(st.mtimeMs / 1000), statKey };
    if (st.isDirectory()) {
      if (ignored && !ignore.hasExclusions) continue;
      if (!ignored) out.push({ ...base, type: 'dir' });
      await walk(root, path, ignore, out);
    } else if (ignored) continue;
    else if (st.isFile()) out.push({ ...base, type: 'file', size: st.size });
    else if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', linkTarget: await readlink(abs) });
    // sockets, FIFOs, devices: not sent (as the docker CLI skips them)
  }
}

/**
 * The build's content hash: every input that changes what the engine would build — the context's
 * files (path, mode, content; not times), the Dockerfile, and the build options. The context's own
 * location is left out, so the host and dom0's container compute the same hash.
 */
export async function buildHash(spec: BuildSpec): Promise<string> {
  const h = createHash('sha256');
  const { context, localName: _l, ...options } = spec;
  h.update(JSON.stringify({ scheme: 1, options: { ...options, context: spec.remote ? context : undefined } }));
  if (!spec.remote) {
    const ctx = await readContext(spec);
    h.update(`\0dockerfile ${ctx.dockerfile}\0`);
    if (ctx.generated) h.update(ctx.generated);
    for (const e of ctx.entries) {
      h.update(`\0${e.type} ${e.path} ${e.mode.toString(8)} ${e.size} ${e.linkTarget ?? ''}\0`);
      if (e.type === 'file') h.update(await cachedDigest(e));
    }
  }
  return h.digest('hex');
}

/**
 * File digests of this process, by path, kept while the file's inode, size and times are unchanged:
 * a repeated apply (`dom0 up` repairs) stats an unchanged context instead of reading it.
 */
const digests = new Map<string, { statKey: string; digest: string }>();

async function cachedDigest(e: ContextEntry): Promise<string> {
  const known = digests.get(e.abs);
  if (known?.statKey === e.statKey) return known.digest;
  const digest = await fileDigest(e.abs);
  digests.set(e.abs, { statKey: e.statKey, digest });
  return digest;
}

function fileDigest(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const f = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => f.update(c))
      .on('end', () => res(f.digest('hex')))
      .on('error', rej);
  });
}

// ---------------------------------------------------------------------------------------------
// The tar stream: ustar headers, a pax `path`/`linkpath` record for names that do not fit.

const BLOCK = 512;

/** The context as an uncompressed tar, read file by file (nothing held in memory but one chunk). */
export async function* contextTar(ctx: LocalContext): AsyncGenerator<Buffer> {
  for (const e of ctx.entries) {
    yield* header({ ...e, path: e.type === 'dir' ? `${e.path}/` : e.path });
    if (e.type === 'file') {
      let sent = 0;
      for await (const chunk of createReadStream(e.abs) as AsyncIterable<Buffer>) {
        // A file that grew since it was listed: send what the header announced, no more.
        const part = chunk.subarray(0, Math.max(0, e.size - sent));
        sent += part.length;
        if (part.length > 0) yield part;
      }
      yield Buffer.alloc(e.size - sent + padding(e.size), 0);
    }
  }
  if (ctx.generated) {
    const now = Math.floor(Date.now() / 1000);
    yield* header({ path: GENERATED_DOCKERFILE, type: 'file', mode: 0o644, size: ctx.generated.length, mtimeSeconds: now });
    yield Buffer.concat([ctx.generated, Buffer.alloc(padding(ctx.generated.length), 0)]);
  }
  yield Buffer.alloc(2 * BLOCK, 0);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

type HeaderEntry = Pick<ContextEntry, 'path' | 'type' | 'mode' | 'size' | 'mtimeSeconds' | 'linkTarget'>;

function* header(e: HeaderEntry): Generator<Buffer> {
  const split = splitPath(e.path);
  const link = e.linkTarget ?? '';
  const pax: string[] = [];
  if (!split) pax.push(paxRecord('path', e.path));
  if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(''), 'utf8');
    yield block({ name: 'PaxHeader', prefix: '', type: 'x', mode: 0o644, size: body.length, mtimeSeconds: e.mtimeSeconds, link: '' });
    yield Buffer.concat([body, Buffer.alloc(padding(body.length), 0)]);
  }
  const type = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
  const { name, prefix } = split ?? { name: e.path.slice(0, 100), prefix: '' };
  yield block({ name, prefix, type, mode: e.mode, size: e.type === 'file' ? e.size : 0, mtimeSeconds: e.mtimeSeconds, link: link.slice(0, 100) });
}

/** A pax record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let n = Buffer.byteLength(rest);
  while (String(n).length + Buffer.byteLength(rest) !== n) n = String(n).length + Buffer.byteLength(rest);
  return `${n}${rest}`;
}

function block(h: { name: string; prefix: string; type: string; mode: number; size: number; mtimeSeconds: number; link: string }): Buffer {
  const b = Buffer.alloc(BLOCK, 0);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, 0); // uid and gid 0, as the docker CLI sends a context
  octal(b, 116, 8, 0);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, Math.max(0, h.mtimeSeconds));
  b.write('        ', 148, 8, 'ascii');
  b.write(h.type, 156, 1, 'ascii');
  b.write(h.link, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return b;
}

function octal(b: Buffer, offset: number, size: number, value: number): void {
  const s = value.toString(8);
  if (s.length > size - 1) throw new Error(`a build context file is too large for a tar header (${value} bytes)`);
  b.write(`${s.padStart(size - 1, '0')}\u0000`, offset, size, 'ascii');
}

/** ustar's `name` (100 bytes) and `prefix` (155) for a path, or undefined when it needs a pax record. */
function splitPath(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/', path.length - 2); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(name) <= 100 && Buffer.byteLength(prefix) <= 155) return { name, prefix };
  }
  return undefined;
}
