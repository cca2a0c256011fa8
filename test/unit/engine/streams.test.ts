import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { EngineEvent, PullProgress } from '../../../src/engine/engine.js';
import { demux, eventStream, followPull, StallWatch } from '../../../src/engine/streams.js';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('demux', () => {
  it.each([
    [Buffer.alloc(0), ''],
    [frame(1, 'out\n'), 'out\n'],
    [Buffer.concat([frame(1, 'a'), frame(2, 'é'), frame(1, 'c')]), 'aéc'],
    [Buffer.concat([frame(1, 'whole'), frame(1, 'cut').subarray(0, 5)]), 'whole'],
  ])('%#', (buf, text) => {
    expect(demux(buf)).toBe(text);
  });
});

describe('eventStream', () => {
  it('maps raw events, ends with the stream, and close aborts the request', async () => {
    const raw = new PassThrough();
    const abort = new AbortController();
    const s = eventStream(raw, abort);
    const seen: EngineEvent[] = [];
    s.on((e) => seen.push(e));
    raw.write('{"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"3"}},"timeNano":5}\n{"status":"start","id":"c2"');
    raw.end('}\n');
    await s.ended;
    expect(seen).toEqual([
      { type: 'container', action: 'die', id: 'c1', attributes: { exitCode: '3' }, timeNano: 5 },
      expect.objectContaining({ type: 'container', action: 'start', id: 'c2', attributes: {} }),
    ]);
    s.close();
    expect(abort.signal.aborted).toBe(true);
  });
});

describe('followPull', () => {
  it('reports progress and resolves at the end', async () => {
    const raw = new PassThrough();
    const progress: PullProgress[] = [];
    const p = followPull('img', raw, { onProgress: (x) => progress.push(x) }, new StallWatch('img', 0, new AbortController()));
    raw.end('{"status":"Downloading","id":"l1","progressDetail":{"current":1,"total":2}}\n');
    await p;
    expect(progress).toEqual([{ image: 'img', status: 'Downloading', layer: 'l1', current: 1, total: 2 }]);
  });

  it('an error inside the stream rejects, classified', async () => {
    const raw = new PassThrough();
    const p = followPull('img', raw, {}, new StallWatch('img', 0, new AbortController()));
    raw.write('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n');
    await expect(p).rejects.toMatchObject({ kind: 'not-found', message: 'pull of img failed: manifest unknown' });
  });

  it('a stream with no progress for the stall timeout is aborted as stalled', async () => {
    const raw = new PassThrough();
    const abort = new AbortController();
    const p = followPull('img', raw, {}, new StallWatch('img', 50, abort));
    await expect(p).rejects.toMatchObject({ kind: 'stalled', message: 'pull of img stalled: no progress for 0.1s' });
    expect(abort.signal.aborted).toBe(true);
  });
});
