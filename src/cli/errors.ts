// Named errors; only the CLI turns them into exit codes.
import type { Diagnostic } from '../manifest/types.js';

export const EXIT = { ok: 0, notConverged: 1, invalid: 2 } as const;

/** The manifest is invalid: nothing was changed on the engine. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'} in the manifest`);
  }
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The fleet did not converge; the message says why. */
export class NotConvergedError extends Error {
  override readonly name = 'NotConvergedError';
}
