// The source index (`dom0.yaml.sig`, written by `dom0 source sign`): the sha256 of the manifest
// and of every file it references, optionally signed with ed25519. One file, so the list and its
// signature can never come from two different moments; the signature covers every byte above its
// own line. A host that checks the index and then each file against it applies a consistent,
// untampered set or nothing. `signed` (optional: indexes of an older `dom0 source sign` have none)
// is when it was made, by the admin's clock; a host refuses an index older than the one in place
// (replay.ts). The format stays version 1: this parser has always refused unknown lines, so an
// older host refuses an index with a `signed` line instead of half-reading it.
//
//   dom0-source-index 1
//   signed 2026-05-01T10:00:00.000Z
//   manifest dom0.yaml
//   file 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b dom0.yaml
//   file 0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8 app.env
//   signature ed25519 <base64 of 64 bytes>
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export const INDEX_SUFFIX = '.sig';
const MAGIC = 'dom0-source-index 1';

export interface SourceIndex {
  manifest: string;
  /** When the admin signed it (RFC 3339, UTC), when the index says. */
  signedAt?: string;
  /** Relative path → sha256 hex. */
  files: Map<string, string>;
  /** The bytes the signature covers (every line before `signature`). */
  signed: Buffer;
  signature?: Buffer;
}

export function sha256Hex(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A path the index can hold: relative, '/'-separated, no '..', no control characters. */
export function validIndexPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || /[\x00-\x1f\x7f\\]/.test(p)) return false;
  return p.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Milliseconds since the epoch of a signing time as `dom0 source sign` writes it (UTC, RFC 3339, at most ms); undefined for anything else. */
export function signingTimeMs(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(s)) return undefined;
  const ms = Date.parse(s);
  // Date.parse rolls 02-30 over into March: only a time that reads back the same is one.
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === s.slice(0, 19) ? ms : undefined;
}

/** The index's text without its signature; `signedAt` (a signingTimeMs-valid time) adds the `signed` line. */
export function formatIndex(manifest: string, files: ReadonlyMap<string, Buffer>, signedAt?: string): string {
  const lines = [MAGIC, ...(signedAt !== undefined ? [`signed ${signedAt}`] : []), `manifest ${manifest}`];
  for (const rel of [...files.keys()].sort()) lines.push(`file ${sha256Hex(files.get(rel)!)} ${rel}`);
  return `${lines.join('\n')}\n`;
}

export function signIndex(unsigned: string, key: KeyObject): string {
  const sig = sign(null, Buffer.from(unsigned, 'utf8'), key);
  return `${unsigned}signature ed25519 ${sig.toString('base64')}\n`;
}

/** Throws an Error naming what is wrong; never trusts anything it has not checked. */
export function parseIndex(bytes: Buffer): SourceIndex {
  const text = bytes.toString('utf8');
  if (!text.startsWith(`${MAGIC}\n`)) throw new Error(`not a dom0 source index (it must start with "${MAGIC}")`);
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the index does not end with a newline (truncated?)');
  lines.pop();
  let manifest: string | undefined;
  let signedAt: string | undefined;
  let signature: Buffer | undefined;
  let signedLength = text.length;
  const files = new Map<string, string>();
  let offset = 0;
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 1}`;
    if (signature !== undefined) throw new Error(`${at}: nothing may follow the signature`);
    if (i === 0) {
      offset += line.length + 1;
      continue;
    }
    const [word] = line.split(' ', 1);
    const rest = line.slice((word ?? '').length + 1);
    if (word === 'manifest') {
      if (manifest !== undefined || !validIndexPath(rest)) throw new Error(`${at}: bad manifest line`);
      manifest = rest;
    } else if (word === 'signed') {
      if (signedAt !== undefined || signingTimeMs(rest) === undefined) throw new Error(`${at}: bad signed line (signed <UTC time, RFC 3339: 2026-05-01T10:00:00.000Z>)`);
      signedAt = rest;
    } else if (word === 'file') {
      const m = /^([0-9a-f]{64}) (.+)$/.exec(rest);
      if (!m || !validIndexPath(m[2]!)) throw new Error(`${at}: bad file line (file <sha256 hex> <relative path>)`);
      if (files.has(m[2]!)) throw new Error(`${at}: ${m[2]} is listed twice`);
      files.set(m[2]!, m[1]!);
    } else if (word === 'signature') {
      const m = /^ed25519 ([A-Za-z0-9+/]+={0,2})$/.exec(rest);
      if (!m) throw new Error(`${at}: bad signature line (signature ed25519 <base64>)`);
      signature = Buffer.from(m[1]!, 'base64');
      if (signature.length !== 64) throw new Error(`${at}: an ed25519 signature is 64 bytes, not ${signature.length}`);
      signedLength = offset;
    } else {
      throw new Error(`${at}: unknown line "${word}"`);
    }
    offset += Buffer.byteLength(line, 'utf8') + 1;
  }
  if (manifest === undefined) throw new Error('the index names no manifest');
  if (!files.has(manifest)) throw new Error(`the index lists no hash for its manifest ${manifest}`);
  const signed = signature ? bytes.subarray(0, signedLength) : bytes;
  return { manifest, files, signed, ...(signedAt !== undefined ? { signedAt } : {}), ...(signature ? { signature } : {}) };
}

/** Throws unless the index carries a signature `key` made. */
export function verifyIndex(index: SourceIndex, key: KeyObject): void {
  if (!index.signature) throw new Error('the index is not signed (and --source-pubkey requires a signature)');
  if (!verify(null, index.signed, key, index.signature)) throw new Error('bad signature: the index was not signed by the key in --source-pubkey (or was changed after signing)');
}

// DER prefix of an ed25519 SubjectPublicKeyInfo; the 32 key bytes follow.
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** A public key file: PEM (openssl pkey -pubout), or the raw 32 bytes, as such, base64 or hex. */
export function parsePublicKey(data: Buffer): KeyObject {
  const text = data.toString('utf8').trim();
  let key: KeyObject;
  if (text.includes('-----BEGIN')) {
    key = createPublicKey(text);
  } else {
    const raw =
      data.length === 32 ? data : /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/]{43}=$/.test(text) ? Buffer.from(text, 'base64') : undefined;
    if (!raw) throw new Error('not an ed25519 public key: expected PEM, or 32 raw bytes (as such, in hex or in base64)');
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

export function parsePrivateKey(data: Buffer): KeyObject {
  const key = createPrivateKey(data.toString('utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

/** The 32 raw bytes of an ed25519 public key, base64 (what `dom0 source keygen` prints). */
export function rawPublicKey(key: KeyObject): string {
  return (key.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_ED25519.length).toString('base64');
}
