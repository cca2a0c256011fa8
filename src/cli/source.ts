// Farm mode's manifest source. `dom0 source sign DIR` and `dom0 source keygen FILE` for the
// admin; the `--source*` options of `dom0 up` and the syncer they start (src/up/source/).
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { Log } from '../log.js';
import { loadManifest } from '../manifest/load.js';
import { collect, setsName } from '../up/source/collect.js';
import { dirReader } from '../up/source/dir-source.js';
import { formatIndex, parseIndex, parsePrivateKey, parsePublicKey, rawPublicKey, sha256Hex, signIndex, signingTimeMs } from '../up/source/index-file.js';
import { DEFAULT_MANIFEST_NAME, indexName, parseSource } from '../up/source/location.js';
import { SourceSyncer } from '../up/source/syncer.js';
import { ManifestError, UsageError } from './errors.js';
import { durationFlag } from './flags.js';
import { out } from './format.js';

export interface SourceFlags {
  source?: string;
  sourceInterval: number;
  sourceTimeout: number;
  sourcePubkey?: string;
  sourceSha256?: string;
  sourceCa?: string;
}

/** The `--source*` options of `dom0 up`. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--source <url|dir>', 'farm mode: take the manifest and its files from an http(s) URL or a directory, polled; -f is not used (docs/farm.md)').env('DOM0_SOURCE'))
    .addOption(
      new Option('--source-interval <duration>', 'how often to poll the source (±20% at random)').env('DOM0_SOURCE_INTERVAL').argParser(durationFlag('--source-interval')).default(30_000, '30s'),
    )
    .addOption(new Option('--source-timeout <duration>', 'one request to the source').argParser(durationFlag('--source-timeout')).default(10_000, '10s'))
    .addOption(new Option('--source-pubkey <file>', "ed25519 public key (PEM or raw): accept only what the source's signed index (dom0 source sign) covers").env('DOM0_SOURCE_PUBKEY'))
    .addOption(new Option('--source-sha256 <hex>', "accept only this sha256 of the source's index (or of a manifest that references no file)").env('DOM0_SOURCE_SHA256'))
    .option('--source-ca <file>', 'extra CA certificates (PEM) for an https source');
}

function readFlagFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The syncer `--source` asks for, or undefined without it; every bad flag is a usage error. */
export function openSource(o: SourceFlags, files: readonly string[] | undefined, fleet: string | undefined, log: Log, stateDir: string): SourceSyncer | undefined {
  const others = (['sourcePubkey', 'sourceSha256', 'sourceCa'] as const).filter((k) => o[k] !== undefined);
  if (!o.source) {
    if (others.length > 0) throw new UsageError(`--${others[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --source`);
    return undefined;
  }
  if (files && files.length > 0) throw new UsageError('--source and -f exclude each other: with a source, the manifest comes from it');
  const location = parseSource(o.source);
  if ('error' in location) throw new UsageError(location.error);
  let pubkey;
  if (o.sourcePubkey) {
    try {
      pubkey = parsePublicKey(readFlagFile('--source-pubkey', o.sourcePubkey));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--source-pubkey ${o.sourcePubkey}: ${(e as Error).message}`);
    }
  }
  const sha256 = o.sourceSha256?.toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new UsageError('--source-sha256 takes 64 hex digits');
  return new SourceSyncer({
    location,
    stateDir,
    log,
    intervalMs: o.sourceInterval,
    timeoutMs: o.sourceTimeout,
    ...(pubkey ? { pubkey } : {}),
    ...(sha256 ? { sha256 } : {}),
    ...(o.sourceCa ? { ca: readFlagFile('--source-ca', o.sourceCa) } : {}),
    ...(fleet ? { fleet } : {}),
  });
}

/** Before the first apply: the freshest version the source gives within its timeout, else the last one fetched. */
export async function bootSource(s: SourceSyncer, log: Log): Promise<void> {
  const r = await s.syncOnce();
  const st = s.status();
  if (r === 'failed' && st.version) {
    log.warn({ event: 'source-last-good', source: st.source, version: st.version }, `the manifest source is not usable at boot: running the last version fetched (${st.version.slice(0, 12)})`);
  } else if (r === 'failed') {
    log.error({ event: 'source-none', source: st.source }, 'the manifest source is not usable and no version was ever fetched: waiting for it');
  }
  s.start();
}

/**
 * Once the loop's boot apply is done (`started`), every new version reloads it; one that came in
 * while it booted does at once. Never before: a reload then would race the boot apply.
 */
export function followSource(s: SourceSyncer, started: Promise<void>, reload: (why: string) => void): void {
  const booted = s.status().version;
  void started.then(() => {
    const why = 'new version from the manifest source';
    s.onChange = () => reload(why);
    if (s.status().version !== booted) reload(why);
  }, () => undefined);
}

export function sourceCommand(program: Command): void {
  const source = program.command('source').description('farm mode: sign a manifest source for `dom0 up --source`, make a signing key (docs/farm.md)');
  source
    .command('sign <dir>')
    .description("write DIR/<manifest>.sig: the time, and the sha256 of the manifest and of every file it references, signed with --key (ed25519); without --key, unsigned (pin it with --source-sha256)")
    .option('--key <file>', 'ed25519 private key, PEM (dom0 source keygen, or openssl genpkey -algorithm ed25519)')
    .option('--manifest <name>', 'the manifest in DIR', DEFAULT_MANIFEST_NAME)
    .action(async (dir: string, o: { key?: string; manifest: string }) => {
      const key = o.key ? keyOrUsage(() => parsePrivateKey(readFlagFile('--key', o.key!)), '--key') : undefined;
      const r = await loadManifest(join(dir, o.manifest));
      if (!r.ok) throw new ManifestError(r.diagnostics);
      let c;
      try {
        c = await collect(o.manifest, dirReader(dir));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (!setsName(c.files.get(c.manifest)!)) process.stderr.write(`dom0: warning: ${o.manifest} sets no \`name:\`: every host will need dom0 up --fleet NAME\n`);
      const file = join(dir, indexName(o.manifest));
      const signedAt = new Date().toISOString();
      const previous = previousSigningTime(file);
      if (previous !== undefined && signingTimeMs(previous)! > signingTimeMs(signedAt)!) {
        throw new UsageError(
          `${file} was signed at ${previous}, later than this machine's clock (${signedAt}): hosts running it would refuse the new index as a replay; set the clock right (hosts compare signing times only with each other)`,
        );
      }
      const unsigned = formatIndex(c.manifest, c.files, signedAt);
      const text = key ? signIndex(unsigned, key) : unsigned;
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o644 });
      renameSync(tmp, file);
      out(`${file}: ${c.files.size} file${c.files.size === 1 ? '' : 's'} (${[...c.files.keys()].sort().join(', ')}), ${key ? `signed at ${signedAt}` : `not signed (made at ${signedAt})`}\n`);
      out(`sha256 ${sha256Hex(text)} (for --source-sha256)\n`);
    });
  source
    .command('keygen <file>')
    .description('make an ed25519 key pair: FILE (private, PEM, mode 0600: keep it off the hosts) and FILE.pub (public, PEM: give it to every host)')
    .action((file: string) => {
      if (existsSync(file) || existsSync(`${file}.pub`)) throw new UsageError(`${file} or ${file}.pub exists: not overwriting a key`);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
      writeFileSync(`${file}.pub`, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644, flag: 'wx' });
      out(`${file} (private) and ${file}.pub (public; raw: ${rawPublicKey(publicKey)})\n`);
    });
}

/** The signing time of the index DIR already has, if any (not verified: only the admin's own clock is checked against it). */
function previousSigningTime(file: string): string | undefined {
  try {
    return parseIndex(readFileSync(file)).signedAt;
  } catch {
    return undefined;
  }
}

function keyOrUsage<T>(f: () => T, flag: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

