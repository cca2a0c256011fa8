// Secrets never reach logs or plan output: values whose key looks secret are replaced.
export const REDACTED = '[redacted]';

const SECRET_KEY = /(PASSWORD|PASSWD|PASS$|PWD|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|CERT|SALT|SESSION|COOKIE)/i;

export function looksSecret(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Known secret strings (registry passwords, tokens) to scrub from any text, e.g. error messages,
 * each with the forms it takes inside JSON (NDJSON log lines): `"`, `\` and control characters
 * escaped, and non-ASCII characters either as they are or as \uXXXX escapes.
 */
const knownSecrets = new Map<string, string[]>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4 && !knownSecrets.has(value)) knownSecrets.set(value, encodedForms(value));
}

export function encodedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const ascii = json.replace(/[^\x00-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // Longest first, so a form is never left half-replaced by a shorter one it contains.
  return [...new Set([value, json, ascii, ascii.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`)])].sort((a, b) => b.length - a.length);
}

export function scrub(text: string): string {
  let out = text;
  for (const forms of knownSecrets.values()) {
    for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  }
  return out;
}
