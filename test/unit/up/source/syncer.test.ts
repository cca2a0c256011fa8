// The syncer against a local http server: discovery of referenced files, the signed index, the
// sha256 pin, ETag revalidation, and that every kind of failure keeps the version in use.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Log } from '../../../../src/log.js';
import { collect } from '../../../../src/up/source/collect.js';
import { dirReader } from '../../../../src/up/source/dir-source.js';
import { formatIndex, sha256Hex, signIndex } from '../../../../src/up/source/index-file.js';
import { parseSource } from '../../../../src/up/source/location.js';
import { readSourceStatus } from '../../../../src/up/source/store.js';
import { SourceSyncer, type SyncerOptions } from '../../../../src/up/source/syncer.js';

const admin = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

/** What the server serves: path → body; `mode` breaks it on purpose. */
let served = new Map<string, string>();
let mode: 'ok' | '500' | 'slow' | 'huge' = 'ok';
const requests: Array<{ path: string; ifNoneMatch?: string; auth?: string }> = [];
let server: Server;
let base = '';

function etagOf(body: string): string {
  return `"${sha256Hex(body).slice(0, 16)}"`;
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/^\/farm\//, '');
    requests.push({ path, ...(req.headers['if-none-match'] ? { ifNoneMatch: req.headers['if-none-match'] } : {}), ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    if (mode === '500') return void res.writeHead(500).end('oops');
    if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('late'), 2000);
    if (mode === 'huge') return void res.writeHead(200, { 'content-length': String(5 * 1024 * 1024) }).end();
    const body = served.get(path);
    if (body === undefined) return void res.writeHead(404).end();
    const etag = etagOf(body);
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/farm/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const events: Array<{ level: string; event: string; msg: string }> = [];
const log = Object.fromEntries(
  ['info', 'warn', 'error', 'debug'].map((level) => [level, (o: { event: string }, msg: string) => events.push({ level, event: o.event, msg })]),
) as unknown as Log;

const MANIFEST = (image: string) => `name: syncer-test
include: [more.yaml]
secrets:
  db: {file: ./secrets/db.txt}
services:
  web:
    image: ${image}
    env_file: [app.env]
    secrets: [db]
`;
const MORE = 'services:\n  side:\n    image: busybox:latest\n    label_file: labels.txt\n';

function fleet(image = 'busybox:latest'): Map<string, string> {
  return new Map([
    ['dom0.yaml', MANIFEST(image)],
    ['more.yaml', MORE],
    ['app.env', 'A=1\n'],
    ['labels.txt', 'team=farm\n'],
    ['secrets/db.txt', 's3cret\n'],
    ['.env', 'X=1\n'],
    ['unrelated.txt', 'not referenced\n'],
  ]);
}

function signed(files: Map<string, string>, key = admin.privateKey, at?: string): Map<string, string> {
  const referenced = new Map([...files].filter(([k]) => k !== 'unrelated.txt').map(([k, v]) => [k, Buffer.from(v)]));
  return new Map([...files, ['dom0.yaml.sig', signIndex(formatIndex('dom0.yaml', referenced, at), key)]]);
}

let stateDir = '';
function syncer(extra: Partial<SyncerOptions> = {}, spec = base): SourceSyncer {
  const location = parseSource(spec);
  if ('error' in location) throw new Error(location.error);
  return new SourceSyncer({ location, stateDir, log, intervalMs: 60_000, timeoutMs: 500, ...extra });
}
const current = (s: SourceSyncer, rel = 'dom0.yaml') => readFileSync(join(dirname(s.manifestFile), rel), 'utf8');

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'dom0-syncer-'));
  mode = 'ok';
  served = fleet();
  requests.length = 0;
  events.length = 0;
});

describe('collect: the files the loader reads, and the bind-mounted secrets', () => {
  it('finds .env, include, env_file, label_file and secrets file:, not unrelated files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom0-collect-'));
    for (const [rel, body] of fleet()) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), body);
    }
    const c = await collect('dom0.yaml', dirReader(dir));
    expect([...c.files.keys()].sort()).toEqual(['.env', 'app.env', 'dom0.yaml', 'labels.txt', 'more.yaml', 'secrets/db.txt']);
  });

  it.each([
    ['env_file: ../x.env', 'name: a\nservices:\n  s:\n    image: busybox\n    env_file: ../x.env\n'],
    ['a secret file ../../etc/shadow', 'name: a\nsecrets:\n  s: {file: ../../etc/shadow}\nservices: {}\n'],
  ])('refuses %s (outside the source)', async (_what, text) => {
    await expect(collect('dom0.yaml', async (rel) => (rel === 'dom0.yaml' ? Buffer.from(text) : null))).rejects.toThrow(/outside the source/);
  });
});

describe('SourceSyncer over http', () => {
  it('unverified: materializes the fleet, then revalidates every file with If-None-Match', async () => {
    const s = syncer();
    expect(await s.syncOnce()).toBe('changed');
    const firstDir = s.manifestFile;
    expect(current(s)).toBe(MANIFEST('busybox:latest'));
    expect(current(s, 'secrets/db.txt')).toBe('s3cret\n');
    expect(existsSync(join(dirname(s.manifestFile), 'unrelated.txt'))).toBe(false);
    requests.length = 0;
    expect(await s.syncOnce()).toBe('unchanged');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.ifNoneMatch === etagOf(served.get(r.path)!))).toBe(true);
    served.set('app.env', 'A=2\n');
    expect(await s.syncOnce()).toBe('changed');
    expect(current(s, 'app.env')).toBe('A=2\n');
    expect(s.manifestFile).toBe(firstDir); // one path for every version: the fleet's identity and bind sources stay
    expect(readSourceStatus(stateDir)).toMatchObject({ state: 'ok', integrity: 'none', files: 6, failures: 0 });
  });

  it('signed: applies a signed fleet; a 304 on the index costs one request', async () => {
    served = signed(fleet());
    const s = syncer({ pubkey: admin.publicKey });
    expect(await s.syncOnce()).toBe('changed');
    requests.length = 0;
    expect(await s.syncOnce()).toBe('unchanged');
    expect(requests).toEqual([{ path: 'dom0.yaml.sig', ifNoneMatch: etagOf(served.get('dom0.yaml.sig')!) }]);
    expect(s.status().etag).toBe(etagOf(served.get('dom0.yaml.sig')!));
    served = signed(fleet('busybox:1.36'));
    expect(await s.syncOnce()).toBe('changed');
    expect(current(s)).toContain('busybox:1.36');
  });

  const good = () => signed(fleet());
  it.each<[string, () => void, RegExp]>([
    ['a tampered manifest under a new index', () => ((served = signed(fleet('busybox:1.36'))), served.set('dom0.yaml', MANIFEST('evil:latest'))), /dom0.yaml does not match its sha256/],
    ['a tampered secret under a new index', () => ((served = signed(fleet('busybox:1.36'))), served.set('secrets/db.txt', 'stolen\n')), /secrets\/db.txt does not match/],
    ['an index signed by another key', () => (served = signed(fleet('evil:1'), other.privateKey)), /bad signature/],
    ['an unsigned index', () => served.set('dom0.yaml.sig', formatIndex('dom0.yaml', new Map([['dom0.yaml', Buffer.from(served.get('dom0.yaml')!)]]))), /not signed/],
    ['no index', () => served.delete('dom0.yaml.sig'), /has no dom0.yaml.sig/],
    ['a listed file gone', () => ((served = signed(fleet('busybox:1.36'))), served.delete('app.env')), /app.env is listed .* does not have it/],
    ['HTTP 500', () => (mode = '500'), /HTTP 500/],
    ['a slow server', () => (mode = 'slow'), /no answer within 500 ms/],
    ['a huge body', () => (mode = 'huge'), /too large/],
    ['an invalid manifest, signed', () => (served = signed(new Map([...fleet(), ['dom0.yaml', 'name: syncer-test\nservices:\n  web: {imag: x}\n']]))), /invalid manifest/],
    ['a relative bind mount (data inside the source dir)', () => (served = signed(new Map([...fleet(), ['dom0.yaml', MANIFEST('busybox:latest').replace('    secrets: [db]\n', '    secrets: [db]\n    volumes: ["./data:/data"]\n')]]))), /bind mounts relative to a manifest from a source \(web: \.\/data\)/],
    ['a manifest without name:', () => (served = signed(new Map([...fleet(), ['dom0.yaml', MANIFEST('busybox:latest').replace('name: syncer-test\n', '')]]))), /sets no `name:`/],
  ])('%s: rejected, the last good version stays', async (_what, breakIt, why) => {
    served = good();
    const s = syncer({ pubkey: admin.publicKey });
    expect(await s.syncOnce()).toBe('changed');
    const before = s.status().version;
    breakIt();
    expect(await s.syncOnce()).toBe('failed');
    expect(current(s)).toBe(MANIFEST('busybox:latest'));
    expect(s.status()).toMatchObject({ state: 'error', version: before, failures: 1 });
    expect(s.status().lastError).toMatch(why);
    expect(readSourceStatus(stateDir)?.state).toBe('error');
    expect(events.find((e) => e.event === 'source-error')?.msg).toMatch(/keeping the last good version/);
    mode = 'ok';
    served = good();
    expect(await s.syncOnce()).toBe('unchanged');
    expect(s.status()).toMatchObject({ state: 'ok', failures: 0 });
    expect(events.some((e) => e.event === 'source-recovered')).toBe(true);
  });

  it('a file changed under an unchanged signed index is not even fetched: the verified copy stays', async () => {
    served = signed(fleet());
    const s = syncer({ pubkey: admin.publicKey });
    expect(await s.syncOnce()).toBe('changed');
    served.set('dom0.yaml', MANIFEST('evil:latest'));
    expect(await s.syncOnce()).toBe('unchanged');
    expect(current(s)).toBe(MANIFEST('busybox:latest'));
  });

  it('sha256 pin: of the index, covering every file', async () => {
    served = signed(fleet());
    const pin = { sha256: sha256Hex(served.get('dom0.yaml.sig')!) };
    expect(await syncer(pin).syncOnce()).toBe('changed');
    served.set('app.env', 'A=9\n');
    const s = syncer(pin); // a new run checks every file again
    expect(await s.syncOnce()).toBe('failed');
    expect(s.status().lastError).toMatch(/app.env does not match/);
  });

  it('sha256 pin of a manifest alone: fine without references, refused with them', async () => {
    const lone = 'name: syncer-test\nservices:\n  web: {image: busybox:latest}\n';
    served = new Map([['dom0.yaml', lone]]);
    expect(await syncer({ sha256: sha256Hex(lone) }).syncOnce()).toBe('changed');
    served = fleet();
    const s = syncer({ sha256: sha256Hex(served.get('dom0.yaml')!) });
    expect(await s.syncOnce()).toBe('failed');
    expect(s.status().lastError).toMatch(/a pin on the manifest alone cannot cover them/);
    served.set('dom0.yaml', lone);
    expect(await s.syncOnce()).toBe('failed');
    expect(s.status().lastError).toMatch(/matches neither/);
  });

  it('a server that is down at the first check: pending → error, nothing materialized', async () => {
    const s = syncer({}, 'http://127.0.0.1:1/farm/');
    expect(await s.syncOnce()).toBe('failed');
    expect(s.status()).toMatchObject({ state: 'error', failures: 1 });
    expect(s.status().version).toBeUndefined();
    expect(s.status().lastError).toMatch(/ECONNREFUSED/);
  });

  it('credentials in the URL: sent as Basic auth, never in the status or the logs', async () => {
    const s = syncer({}, `${base.replace('http://', 'http://farm:pw-7c1d2e@')}dom0.yaml?token=tk-55aa66bb`);
    mode = '500';
    expect(await s.syncOnce()).toBe('failed');
    expect(requests[0]!.auth).toBe(`Basic ${Buffer.from('farm:pw-7c1d2e').toString('base64')}`);
    const text = JSON.stringify([s.status(), events, readFileSync(join(stateDir, 'source.json'), 'utf8')]);
    expect(text).not.toMatch(/pw-7c1d2e|tk-55aa66bb/);
    expect(text).toContain('token=***');
  });

  it('a new run picks up the version already on disk (boot with the source down)', async () => {
    served = signed(fleet());
    expect(await syncer({ pubkey: admin.publicKey }).syncOnce()).toBe('changed');
    mode = '500';
    const again = syncer({ pubkey: admin.publicKey });
    expect(again.status().version).toMatch(/^[0-9a-f]{64}$/);
    expect(await again.syncOnce()).toBe('failed');
    expect(current(again)).toBe(MANIFEST('busybox:latest'));
  });
});

describe('replay protection: an index signed before the one in place is refused', () => {
  const T1 = '2026-05-01T10:00:00.000Z';
  const T2 = '2026-05-01T11:00:00.000Z';
  const T3 = '2026-05-01T12:00:00.000Z';

  // The second index is read by a new run on the same state dir: the time in place survives a reboot.
  it.each<[string, string | undefined, string | undefined, string, 'changed' | 'unchanged' | RegExp]>([
    ['newer', T2, T3, 'busybox:1.36', 'changed'],
    ['newer, the same content (re-signed)', T2, T3, 'busybox:latest', 'unchanged'],
    ['equal, the same content (the index in place, read again)', T2, T2, 'busybox:latest', 'unchanged'],
    ['present after missing', undefined, T1, 'busybox:1.36', 'changed'],
    ['missing after missing', undefined, undefined, 'busybox:1.36', 'changed'],
    ['older', T2, T1, 'busybox:1.36', /dom0\.yaml\.sig: index signed at 2026-05-01T10:00:00\.000Z is older than the running version's \(2026-05-01T11:00:00\.000Z\): a replay of an old version\?/],
    ['older, the same content', T2, T1, 'busybox:latest', /is older than the running version's/],
    ['equal, other content', T2, T2, 'busybox:1.36', /the same time as the running version, with other content/],
    ['missing after present', T2, undefined, 'busybox:1.36', /no signing time, but the running version's was signed at 2026-05-01T11:00:00\.000Z/],
  ])('%s', async (_what, inPlace, incoming, image, want) => {
    served = signed(fleet(), admin.privateKey, inPlace);
    expect(await syncer({ pubkey: admin.publicKey }).syncOnce()).toBe('changed');
    served = signed(fleet(image), admin.privateKey, incoming);
    const s = syncer({ pubkey: admin.publicKey });
    const before = s.status().version;
    expect(s.status().signedAt).toBe(inPlace);
    if (typeof want === 'string') {
      expect(await s.syncOnce()).toBe(want);
      expect(current(s)).toBe(MANIFEST(image));
      expect([s.status().state, s.status().signedAt]).toEqual(['ok', incoming]);
      expect(readSourceStatus(stateDir)?.signedAt).toBe(incoming);
      return;
    }
    expect(await s.syncOnce()).toBe('failed');
    expect(current(s)).toBe(MANIFEST('busybox:latest'));
    expect(s.status()).toMatchObject({ state: 'error', version: before, signedAt: inPlace, failures: 1 });
    expect(s.status().lastError).toMatch(want);
    expect(events.find((e) => e.event === 'source-error')?.msg).toMatch(/keeping the last good version/);
  });

  it('a refused replay is refused at every poll; a newer index then applies', async () => {
    served = signed(fleet(), admin.privateKey, T2);
    const s = syncer({ pubkey: admin.publicKey });
    expect(await s.syncOnce()).toBe('changed');
    served = signed(fleet('busybox:1.35'), admin.privateKey, T1);
    expect(await s.syncOnce()).toBe('failed');
    expect(await s.syncOnce()).toBe('failed');
    expect(s.status()).toMatchObject({ state: 'error', failures: 2 });
    served = signed(fleet('busybox:1.36'), admin.privateKey, T3);
    expect(await s.syncOnce()).toBe('changed');
    expect(current(s)).toBe(MANIFEST('busybox:1.36'));
    expect(s.status()).toMatchObject({ state: 'ok', signedAt: T3, failures: 0 });
    expect(events.some((e) => e.event === 'source-recovered')).toBe(true);
  });

  it('the same content signed again, later: the later time holds, so the earlier index is refused after it', async () => {
    served = signed(fleet(), admin.privateKey, T1);
    const s = syncer({ pubkey: admin.publicKey });
    expect(await s.syncOnce()).toBe('changed');
    const first = served;
    served = signed(fleet(), admin.privateKey, T2);
    expect(await s.syncOnce()).toBe('unchanged');
    expect(s.status().signedAt).toBe(T2);
    served = first;
    expect(await s.syncOnce()).toBe('failed');
    expect(s.status().lastError).toMatch(/index signed at 2026-05-01T10:00:00\.000Z is older/);
  });

  it('sha256 pin of an index: the same check; a pin of a newer index applies', async () => {
    served = signed(fleet(), admin.privateKey, T2);
    expect(await syncer({ pubkey: admin.publicKey }).syncOnce()).toBe('changed');
    served = signed(fleet('busybox:1.35'), admin.privateKey, T1);
    const old = syncer({ sha256: sha256Hex(served.get('dom0.yaml.sig')!) });
    expect(await old.syncOnce()).toBe('failed');
    expect(old.status().lastError).toMatch(/is older than the running version's/);
    served = signed(fleet('busybox:1.36'), admin.privateKey, T3);
    expect(await syncer({ sha256: sha256Hex(served.get('dom0.yaml.sig')!) }).syncOnce()).toBe('changed');
  });

  it('a directory source: the same check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom0-dirsrc-'));
    const write = (files: Map<string, string>) => {
      for (const [rel, body] of files) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), body);
      }
    };
    write(signed(fleet(), admin.privateKey, T2));
    const s = syncer({ pubkey: admin.publicKey }, dir);
    expect(await s.syncOnce()).toBe('changed');
    write(signed(fleet('busybox:1.35'), admin.privateKey, T1));
    expect(await s.syncOnce()).toBe('failed');
    expect(current(s)).toBe(MANIFEST('busybox:latest'));
    expect(s.status().lastError).toMatch(/is older than the running version's/);
  });

  it('without an index (unverified) there is nothing to check: the version applies and holds no time', async () => {
    served = signed(fleet(), admin.privateKey, T2);
    expect(await syncer({ pubkey: admin.publicKey }).syncOnce()).toBe('changed');
    served = fleet('busybox:1.36');
    const s = syncer();
    expect(await s.syncOnce()).toBe('changed');
    expect(s.status().signedAt).toBeUndefined();
  });
});

describe('SourceSyncer over a directory', () => {
  it('reads a directory source, signed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom0-dirsrc-'));
    for (const [rel, body] of signed(fleet())) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), body);
    }
    expect(await syncer({ pubkey: admin.publicKey }, dir).syncOnce()).toBe('changed');
    writeFileSync(join(dir, 'app.env'), 'A=tampered\n');
    const s = syncer({ pubkey: admin.publicKey }, dir);
    expect(await s.syncOnce()).toBe('failed');
    expect(current(s, 'app.env')).toBe('A=1\n');
  });
});
