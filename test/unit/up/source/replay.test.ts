// Replay protection's decision: which index may replace the version in place, by signing time.
import { describe, expect, it } from 'vitest';
import { replayRefusal, type Signing } from '../../../../src/up/source/replay.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const T1 = '2026-05-01T10:00:00.000Z';
const T2 = '2026-05-01T10:00:00.001Z';

describe('replayRefusal: the index signed last wins, never an older one', () => {
  it.each<[string, Partial<Signing>, Signing, RegExp | undefined]>([
    ['nothing in place', {}, { version: A, signedAt: T1 }, undefined],
    ['nothing in place, no time', {}, { version: A }, undefined],
    ['newer, other content', { version: A, signedAt: T1 }, { version: B, signedAt: T2 }, undefined],
    ['newer, the same content (re-signed)', { version: A, signedAt: T1 }, { version: A, signedAt: T2 }, undefined],
    ['newer, another precision', { version: A, signedAt: '2026-05-01T10:00:00Z' }, { version: B, signedAt: '2026-05-01T10:00:00.5Z' }, undefined],
    ['equal, the same content (the index in place, read again)', { version: A, signedAt: T1 }, { version: A, signedAt: T1 }, undefined],
    ['equal instant written otherwise, the same content', { version: A, signedAt: '2026-05-01T10:00:00Z' }, { version: A, signedAt: '2026-05-01T10:00:00.000Z' }, undefined],
    ['present after missing (an index of an older dom0 in place)', { version: A }, { version: B, signedAt: T1 }, undefined],
    ['missing after missing', { version: A }, { version: B }, undefined],
    [
      'older, other content',
      { version: A, signedAt: T2 },
      { version: B, signedAt: T1 },
      /^index signed at 2026-05-01T10:00:00\.000Z is older than the running version's \(2026-05-01T10:00:00\.001Z\): a replay of an old version\? \(to go back to an old version, sign it again\)$/,
    ],
    ['older, the same content', { version: A, signedAt: T2 }, { version: A, signedAt: T1 }, /is older than the running version's/],
    ['equal, other content', { version: A, signedAt: T1 }, { version: B, signedAt: T1 }, /the same time as the running version, with other content/],
    ['missing after present', { version: A, signedAt: T1 }, { version: B }, /no signing time, but the running version's was signed at 2026-05-01T10:00:00\.000Z: a replay/],
    ['missing after present, the same content', { version: A, signedAt: T1 }, { version: A }, /no signing time/],
    ['a time that is not one', { version: A, signedAt: T1 }, { version: B, signedAt: 'yesterday' }, /not a time/],
  ])('%s', (_what, inPlace, incoming, refused) => {
    const why = replayRefusal(inPlace, incoming);
    if (refused) expect(why).toMatch(refused);
    else expect(why).toBeUndefined();
  });
});
