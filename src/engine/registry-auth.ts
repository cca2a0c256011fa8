// The X-Registry-Auth header the engine adapter sends with a pull: base64url of the auth
// config's JSON. Every form of it is registered as a secret, so it can never be logged either.
import { registerSecret } from '../redact.js';
import type { RegistryAuth } from './engine.js';

export function registryAuthHeader(auth: RegistryAuth): string {
  const clean: Record<string, string> = {};
  for (const k of ['username', 'password', 'identitytoken', 'serveraddress'] as const) {
    const v = auth[k];
    if (v !== undefined) clean[k] = v;
  }
  const json = JSON.stringify(clean);
  const b64 = Buffer.from(json).toString('base64');
  const b64url = b64.replace(/\+/g, '-').replace(/\//g, '_');
  registerSecret(b64);
  registerSecret(b64url);
  registerSecret(b64url.replace(/=+$/, ''));
  return b64url;
}
