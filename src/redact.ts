// Secrets never reach logs or plan output: values whose key looks secret are replaced.
export const REDACTED = '[redacted]';

const SECRET_KEY = /(PASSWORD|PASSWD|PASS$|PWD|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|CERT|SALT|SESSION|COOKIE)/i;

export function looksSecret(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Known secret strings (registry passwords, tokens) to scrub from any text, e.g. error messages. */
const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function scrub(text: string): string {
  let out = text;
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}
