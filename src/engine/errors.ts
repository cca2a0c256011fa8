// Engine failures, normalized: callers branch on `kind`, never on Docker's message text.
// normalizeError and pullStreamError turn what the Docker API (through dockerode and its modem)
// throws or streams into an EngineError.

export type EngineErrorKind =
  | 'unreachable' // socket missing, refused, permission denied, engine gone mid-call
  | 'not-found'
  | 'conflict' // name in use, container running, ...
  | 'auth' // registry refused the credentials
  | 'timeout'
  | 'stalled' // a stream stopped making progress
  | 'server' // 5xx, registry or engine trouble that may pass
  | 'invalid' // the engine rejected the request (400)
  | 'other';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }

  /** Worth retrying: the same call may succeed later. */
  get transient(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout' || this.kind === 'stalled' || this.kind === 'server';
  }
}

export function isEngineError(e: unknown, kind?: EngineErrorKind): e is EngineError {
  return e instanceof EngineError && (kind === undefined || e.kind === kind);
}

/** A failed Docker API call as an EngineError; `where` (the engine address or the image) goes into the message. */
export function normalizeError(e: unknown, where: string): EngineError {
  if (e instanceof EngineError) return e;
  const err = e as { code?: string; statusCode?: number; json?: { message?: string } | string; message?: string; reason?: string };
  const code = err?.code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'EHOSTUNREACH') {
    const why =
      code === 'ENOENT'
        ? 'the socket does not exist'
        : code === 'EACCES'
          ? 'permission denied on the socket'
          : code === 'ECONNREFUSED'
            ? 'connection refused'
            : 'the connection broke';
    return new EngineError('unreachable', `cannot reach the Docker engine at ${where}: ${why}`);
  }
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return new EngineError('timeout', `the Docker engine at ${where} timed out`);
  if ((err as { name?: string })?.name === 'AbortError') return new EngineError('other', 'aborted');
  // For streaming calls (pulls) the modem puts the engine's message only in `message`, after an
  // "(HTTP code 500) server error - " prefix; `reason` is then just "server error".
  const httpCause = /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(err?.message ?? '')?.[1]?.trim();
  const serverMsg =
    typeof err?.json === 'string' ? err.json : err?.json?.message ?? (httpCause || undefined) ?? err?.reason ?? err?.message ?? String(e);
  const status = err?.statusCode;
  const kind: EngineErrorKind =
    status === 404
      ? 'not-found'
      : status === 409
        ? 'conflict'
        : status === 401 || status === 403
          ? 'auth'
          : status === 400
            ? 'invalid'
            : status !== undefined && status >= 500
              ? /unauthori[sz]ed|authentication required|no basic auth credentials|denied/i.test(serverMsg)
                ? 'auth'
                : /not found|manifest unknown|name unknown/i.test(serverMsg)
                  ? 'not-found'
                  : 'server'
              : 'other';
  return new EngineError(kind, String(serverMsg).trim(), status);
}

/** An error message inside a pull's progress stream, classified by its text (the stream has no status code). */
export function pullStreamError(ref: string, message: string): EngineError {
  const m = message.toLowerCase();
  let kind: EngineErrorKind = 'other';
  if (/unauthori[sz]ed|authentication required|no basic auth credentials|denied|\b401\b|\b403\b/.test(m)) kind = 'auth';
  else if (/not found|manifest unknown|name unknown|\b404\b/.test(m)) kind = 'not-found';
  else if (/timeout|timed out/.test(m)) kind = 'timeout';
  else if (/connection refused|connection reset|broken pipe|eof|no such host|i\/o|\b50\d\b|server error|toomanyrequests|unavailable|bad gateway/.test(m)) kind = 'server';
  return new EngineError(kind, `pull of ${ref} failed: ${message}`);
}
