// A tar archive holding one regular file: what PUT /containers/{id}/archive takes to write a
// secret or config into a container. Plain ustar, built by hand (one header, the data, the end).
import type { ContainerFile } from './engine.js';

const BLOCK = 512;
const MAX_ID = 0o7777777; // what a 7-digit octal uid/gid field holds

/** The archive of `file`, its path relative to the root (extracted at "/"). */
export function singleFileTar(file: ContainerFile, mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const data = Buffer.from(file.content, 'utf8');
  const { name, prefix } = splitPath(file.path);
  for (const [what, v] of [['uid', file.uid ?? 0], ['gid', file.gid ?? 0]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_ID) throw new Error(`${what} ${v} of ${file.path} is out of range (0-${MAX_ID})`);
  }
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, file.mode & 0o7777);
  octal(h, 108, 8, file.uid ?? 0);
  octal(h, 116, 8, file.gid ?? 0);
  octal(h, 124, 12, data.length);
  octal(h, 136, 12, mtimeSeconds);
  h.write('        ', 148, 8, 'ascii'); // the checksum counts its own field as spaces
  h.write('0', 156, 1, 'ascii'); // regular file
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([h, data, Buffer.alloc(pad + 2 * BLOCK, 0)]);
}

function octal(h: Buffer, offset: number, size: number, value: number): void {
  h.write(`${value.toString(8).padStart(size - 1, '0')}\u0000`, offset, size, 'ascii');
}

/** ustar keeps a path in `name` (100 bytes) and, when longer, a directory part in `prefix` (155). */
function splitPath(path: string): { name: string; prefix: string } {
  const rel = path.replace(/^\/+/, '');
  if (rel === '' || rel.endsWith('/')) throw new Error(`${path} is not a file path`);
  if (Buffer.byteLength(rel) <= 100) return { name: rel, prefix: '' };
  for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
    const prefix = rel.slice(0, i);
    const name = rel.slice(i + 1);
    if (Buffer.byteLength(name) <= 100 && Buffer.byteLength(prefix) <= 155) return { name, prefix };
  }
  throw new Error(`${path} is too long for a tar header`);
}
