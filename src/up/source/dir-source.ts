// A source that is a directory on this host (baked into a custom dom0 image, a mounted medium),
// and the admin's own directory that `dom0 source sign` reads: files read with a byte cap.
import { join } from 'node:path';
import { readCapped } from '../../manifest/read-file.js';
import type { SourceReader } from './collect.js';

/** Cap of one file of a source (the manifest's own cap). */
export const MAX_SOURCE_FILE_BYTES = 4 * 1024 * 1024;

export function dirReader(dir: string): SourceReader {
  return async (rel) => {
    const r = readCapped(join(dir, rel), MAX_SOURCE_FILE_BYTES);
    if (r.ok) return r.bytes;
    if (r.missing) return null;
    throw new Error(`${join(dir, rel)}: ${r.error}`);
  };
}
