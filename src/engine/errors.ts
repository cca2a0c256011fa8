// Engine failures, normalized: callers branch on `kind`, never on Docker's message text.

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
