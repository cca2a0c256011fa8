// One line about the manifest source, for `dom0 status`.
import type { SourceStatus } from './store.js';

/** `dom0 status`'s line about the source: in use, and whether its last check succeeded. */
export function sourceLine(s: SourceStatus): string {
  const version = s.version ? s.version.slice(0, 12) : 'none';
  if (s.state === 'error') {
    return `source ${s.source}: FAILING (${s.failures} check${s.failures === 1 ? '' : 's'} in a row, last at ${s.lastErrorAt}: ${(s.lastError ?? '').split('\n')[0]}); running the last good version ${version}${s.lastSuccessAt ? ` (last ok ${s.lastSuccessAt})` : ''}`;
  }
  return `source ${s.source}: ${s.state}, version ${version} (${s.integrity === 'none' ? 'not verified' : `verified: ${s.integrity}`})${s.signedAt ? `, signed at ${s.signedAt}` : ''}${s.lastSuccessAt ? `, checked ${s.lastSuccessAt}` : ''}`;
}
