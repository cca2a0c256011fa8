import { describe, expect, it } from 'vitest';
import { EngineError, normalizeError, pullStreamError } from '../../../src/engine/errors.js';

describe('normalizeError', () => {
  it.each([
    [{ code: 'ENOENT' }, 'unreachable', 'cannot reach the Docker engine at H: the socket does not exist'],
    [{ code: 'EACCES' }, 'unreachable', 'cannot reach the Docker engine at H: permission denied on the socket'],
    [{ code: 'ECONNREFUSED' }, 'unreachable', 'cannot reach the Docker engine at H: connection refused'],
    [{ code: 'EPIPE' }, 'unreachable', 'cannot reach the Docker engine at H: the connection broke'],
    [{ code: 'ETIMEDOUT' }, 'timeout', 'the Docker engine at H timed out'],
    [Object.assign(new Error('x'), { name: 'AbortError' }), 'other', 'aborted'],
    [{ statusCode: 404, json: { message: 'No such container: c' } }, 'not-found', 'No such container: c'],
    [{ statusCode: 409, json: { message: 'name in use' } }, 'conflict', 'name in use'],
    [{ statusCode: 401, json: 'unauthorized' }, 'auth', 'unauthorized'],
    [{ statusCode: 400, reason: 'bad parameter' }, 'invalid', 'bad parameter'],
    [{ statusCode: 500, message: '(HTTP code 500) server error - Get "https://r.io/v2/": unauthorized: authentication required' }, 'auth', 'Get "https://r.io/v2/": unauthorized: authentication required'],
    [{ statusCode: 500, json: { message: 'manifest unknown' } }, 'not-found', 'manifest unknown'],
    [{ statusCode: 502, json: { message: 'bad gateway' } }, 'server', 'bad gateway'],
    [new Error('something odd'), 'other', 'something odd'],
  ])('%o → %s', (e, kind, message) => {
    const n = normalizeError(e, 'H');
    expect(n).toBeInstanceOf(EngineError);
    expect([n.kind, n.message]).toEqual([kind, message]);
  });

  it('passes an EngineError through', () => {
    const e = new EngineError('stalled', 's');
    expect(normalizeError(e, 'H')).toBe(e);
  });
});

describe('pullStreamError', () => {
  it.each([
    ['unauthorized: authentication required', 'auth'],
    ['pull access denied for x', 'auth'],
    ['manifest unknown', 'not-found'],
    ['net/http: TLS handshake timeout', 'timeout'],
    ['read tcp: connection reset by peer', 'server'],
    ['toomanyrequests: slow down', 'server'],
    ['something else', 'other'],
  ])('%s → %s', (message, kind) => {
    const e = pullStreamError('r.io/app:1', message);
    expect([e.kind, e.message]).toEqual([kind, `pull of r.io/app:1 failed: ${message}`]);
  });
});
