import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors.js';
import { backoffMs, classifyPullError, DEFAULT_RETRY, RetriesExhausted, withRetry } from '../../../src/registry/retry.js';

describe('classifying pull failures', () => {
  // Messages as the engine (Docker 20.10) and dockerode produce them.
  it.each([
    [new EngineError('server', 'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused', 500), 'transient'],
    [new EngineError('server', 'read tcp 127.0.0.1:4444->127.0.0.1:5000: read: connection reset by peer', 500), 'transient'],
    [new EngineError('server', 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', 500), 'transient'],
    [new EngineError('server', 'received unexpected HTTP status: 503 Service Unavailable', 500), 'transient'],
    [new EngineError('server', 'received unexpected HTTP status: 502 Bad Gateway', 500), 'transient'],
    [new EngineError('server', 'toomanyrequests: You have reached your pull rate limit', 500), 'transient'],
    [new EngineError('timeout', 'the Docker engine at x timed out'), 'transient'],
    [new EngineError('stalled', 'pull of x stalled: no progress for 60s'), 'transient'],
    [new EngineError('unreachable', 'pull of x: the connection to the Docker engine closed before the pull finished'), 'transient'],
    [new EngineError('server', 'Get "http://127.0.0.1:5000/v2/": EOF', 500), 'transient'],
    [new EngineError('server', 'net/http: request canceled (Client.Timeout exceeded while awaiting headers)', 500), 'transient'],
    [new EngineError('auth', 'unauthorized: authentication required', 500), 'auth'],
    [new EngineError('server', 'Head "http://127.0.0.1:5000/v2/x/manifests/latest": no basic auth credentials', 500), 'auth'],
    [new EngineError('server', 'denied: requested access to the resource is denied', 500), 'auth'],
    [new EngineError('other', 'unauthorized: incorrect username or password', 401), 'auth'],
    [new EngineError('not-found', "pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", 404), 'auth'],
    [new EngineError('not-found', 'manifest for 127.0.0.1:5000/x:nosuch not found: manifest unknown: manifest unknown', 404), 'not-found'],
    [new EngineError('server', 'name unknown: repository name not known to registry', 500), 'not-found'],
    [new EngineError('invalid', 'invalid reference format', 400), 'fatal'],
    [new Error('something odd'), 'fatal'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
  ])('%s → %s', (e, kind) => {
    expect(classifyPullError(e)).toBe(kind);
  });
});

describe('backoff', () => {
  it('doubles from the base, stays within [nominal/2, nominal], never above the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 120_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (retry, baseMs, capExtra, r) => {
        const capMs = baseMs + capExtra;
        const nominal = Math.min(capMs, baseMs * 2 ** (retry - 1));
        const d = backoffMs(retry, { baseMs, capMs }, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(nominal / 2));
        expect(d).toBeLessThanOrEqual(Math.ceil(nominal));
        expect(d).toBeLessThanOrEqual(capMs);
      }),
    );
  });

  it('uses the defaults: 1 s base, 30 s cap', () => {
    const max = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, DEFAULT_RETRY, max))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const min = () => 0;
    expect([1, 2, 3].map((n) => backoffMs(n, DEFAULT_RETRY, min))).toEqual([500, 1000, 2000]);
    expect(DEFAULT_RETRY.attempts).toBe(4);
  });
});

describe('withRetry', () => {
  const policy = { attempts: 4, baseMs: 1000, capMs: 30_000 };
  const noSleep = async () => undefined;

  it('retries transient failures up to the attempt limit, then gives up with the last error', async () => {
    const delays: number[] = [];
    let n = 0;
    const p = withRetry(
      async () => {
        n++;
        throw new EngineError('server', `connection refused #${n}`);
      },
      policy,
      classifyPullError,
      { sleep: async (ms) => void delays.push(ms), random: () => 1 },
    );
    await expect(p).rejects.toBeInstanceOf(RetriesExhausted);
    await p.catch((e: RetriesExhausted) => {
      expect(e.attempts).toBe(4);
      expect((e.last as Error).message).toBe('connection refused #4');
    });
    expect(n).toBe(4);
    expect(delays).toEqual([1000, 2000, 4000]);
  });

  it('does not retry permanent failures', async () => {
    for (const e of [new EngineError('auth', 'unauthorized'), new EngineError('not-found', 'manifest unknown')]) {
      let n = 0;
      await expect(
        withRetry(async () => {
          n++;
          throw e;
        }, policy, classifyPullError, { sleep: noSleep }),
      ).rejects.toBe(e);
      expect(n).toBe(1);
    }
  });

  it('returns as soon as an attempt succeeds', async () => {
    let n = 0;
    const retries: number[] = [];
    const r = await withRetry(
      async (attempt) => {
        n++;
        if (attempt < 3) throw new EngineError('stalled', 'stalled');
        return 'ok';
      },
      policy,
      classifyPullError,
      { sleep: noSleep, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(r).toBe('ok');
    expect(n).toBe(3);
    expect(retries).toEqual([1, 2]);
  });
});
