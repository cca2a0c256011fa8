// Files the manifest names (the manifest itself, `.env`, `env_file`, `password_file`): regular
// files only, read with a byte cap. A FIFO, a device (/dev/zero) or a directory is an error at
// once instead of a hang or an unbounded read; opening with O_NONBLOCK keeps even the open of a
// FIFO without a writer from blocking.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Cap for `.env`, `env_file` and `password_file`. */
export const MAX_SIDE_FILE_BYTES = 1024 * 1024;

export type CappedRead = { ok: true; bytes: Buffer } | { ok: false; missing: boolean; error: string };

export function readCapped(path: string, maxBytes: number): CappedRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, missing: true, error: 'no such file' };
    return { ok: false, missing: false, error: code === 'EACCES' ? 'permission denied' : (e as Error).message };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, missing: false, error: `not a regular file (${kindOf(st)})` };
    if (st.size > maxBytes) return { ok: false, missing: false, error: `too large (${st.size} bytes; the limit is ${maxBytes})` };
    // The size can change under us: read to the end, but never more than one byte past the cap.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      total += got;
      if (total > maxBytes) return { ok: false, missing: false, error: `too large (more than ${maxBytes} bytes)` };
    }
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } catch (e) {
    return { ok: false, missing: false, error: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** A side file as text; `undefined` when it does not exist, `{ error }` when it cannot be used. */
export function readSideFile(path: string): string | undefined | { error: string } {
  const r = readCapped(path, MAX_SIDE_FILE_BYTES);
  if (!r.ok) return r.missing ? undefined : { error: r.error };
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(r.bytes);
  } catch {
    return { error: 'not valid UTF-8' };
  }
}
