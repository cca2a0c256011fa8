// Where `dom0 up --source` reads the fleet: an http(s) URL naming the manifest (a URL ending in
// "/" means its dom0.yaml), or a directory (its dom0.yaml) or a manifest file on this host, such
// as one baked into a custom dom0 image. Every other file is relative to the manifest.
// Credentials in the URL (user:password@, query values) are kept out of every log line.
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerSecret } from '../../redact.js';
import { INDEX_SUFFIX } from './index-file.js';

export const DEFAULT_MANIFEST_NAME = 'dom0.yaml';

export type SourceLocation =
  | { kind: 'http'; base: URL; manifest: string; display: string; authorization?: string }
  | { kind: 'dir'; dir: string; manifest: string; display: string };

export function parseSource(spec: string): SourceLocation | { error: string } {
  if (/^https?:\/\//i.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      return { error: `--source: not a valid URL: ${redactUrl(spec)}` };
    }
    let authorization: string | undefined;
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      registerSecret(password);
      registerSecret(url.password);
      authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      registerSecret(authorization.slice(6));
      url.username = '';
      url.password = '';
    }
    for (const v of url.searchParams.values()) registerSecret(v);
    const path = url.pathname;
    const manifest = path.endsWith('/') ? DEFAULT_MANIFEST_NAME : decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    const base = new URL(url.href);
    base.pathname = path.slice(0, path.lastIndexOf('/') + 1);
    return { kind: 'http', base, manifest, display: redactUrl(spec), ...(authorization ? { authorization } : {}) };
  }
  let path = spec;
  if (/^file:/i.test(spec)) {
    try {
      path = fileURLToPath(spec);
    } catch {
      return { error: `--source: not a valid file URL: ${spec}` };
    }
  }
  if (path === '') return { error: '--source: empty' };
  let isDir = path.endsWith('/');
  const abs = resolve(path);
  try {
    isDir ||= statSync(abs).isDirectory();
  } catch {
    // not there yet (a mount that comes later): a name ending in .yaml/.yml is the manifest
    isDir = !/\.ya?ml$/i.test(abs);
  }
  return isDir
    ? { kind: 'dir', dir: abs, manifest: DEFAULT_MANIFEST_NAME, display: abs }
    : { kind: 'dir', dir: dirname(abs), manifest: basename(abs), display: abs };
}

/** The index's name next to the manifest. */
export function indexName(manifest: string): string {
  return `${manifest}${INDEX_SUFFIX}`;
}

/** The URL of a file relative to the manifest; it keeps the source URL's query (a token for the whole source). */
export function fileUrl(loc: Extract<SourceLocation, { kind: 'http' }>, rel: string): URL {
  const u = new URL(rel.split('/').map(encodeURIComponent).join('/'), loc.base);
  u.search = loc.base.search;
  return u;
}

/** user:password@ and query values replaced: a URL fit for logs, status and errors. */
export function redactUrl(text: string): string {
  return text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@')
    .replace(/([?&][^=&#]*)=[^&#]*/g, '$1=***');
}
