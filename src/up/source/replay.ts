// Replay protection. A signature proves the admin signed an index, not that it is the latest one:
// whoever serves the files could serve an older signed index and take the hosts back to it. So a
// host remembers the signing time of the version in place (store.ts) and refuses any index signed
// earlier. The times are the admin's clock, compared only with each other, never with the host's
// clock: a skewed admin clock matters only if it goes backwards between two signings. To go back
// to an old version, the admin signs it again.
import { signingTimeMs } from './index-file.js';

export interface Signing {
  /** The content: sha256 of the file list (the syncer's version). */
  version: string;
  signedAt?: string;
}

/**
 * Why `incoming` must not replace the version in place, or undefined when it may. An index without
 * a signing time after one with is refused too: dropping the line would otherwise let every index
 * an older `dom0 source sign` made replay. The same time is accepted only for the same content (the
 * index in place, read again); with other content it is refused, as one of the two is not the latest.
 */
export function replayRefusal(inPlace: Partial<Signing>, incoming: Signing): string | undefined {
  const was = inPlace.signedAt !== undefined ? signingTimeMs(inPlace.signedAt) : undefined;
  if (was === undefined) return undefined;
  if (incoming.signedAt === undefined) {
    return `the index has no signing time, but the running version's was signed at ${inPlace.signedAt}: a replay of an index made before dom0 wrote signing times? (sign it again with a current dom0)`;
  }
  const now = signingTimeMs(incoming.signedAt);
  if (now === undefined) return `the index's signing time ${incoming.signedAt} is not a time`;
  if (now < was) {
    return `index signed at ${incoming.signedAt} is older than the running version's (${inPlace.signedAt}): a replay of an old version? (to go back to an old version, sign it again)`;
  }
  if (now === was && incoming.version !== inPlace.version) {
    return `index signed at ${incoming.signedAt}, the same time as the running version, with other content: one of them is not the latest (sign it again)`;
  }
  return undefined;
}
