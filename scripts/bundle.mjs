#!/usr/bin/env node
// The dom0 command as shipped: dist/cli/main.js (tsc's output) and its dependencies bundled by
// esbuild into dist/bundle/, an ESM entry (dom0.mjs) plus chunks that load only when a command
// needs them (the Docker adapter with dockerode, each command's module). One module graph
// instead of ~300 files makes start-up several times cheaper (issue #12). `npm run build` runs it;
// package.json "bin" and the image (Dockerfile copies dist/bundle/) both run this bundle, through
// the dom0 script written beside it.
//
//   node scripts/bundle.mjs        (after tsc; DOM0_REVISION=<git sha> compiles the revision in)
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist', 'bundle');
const require = createRequire(import.meta.url);
const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const dockerode = JSON.parse(readFileSync(require.resolve('dockerode/package.json'), 'utf8')).version;

// The CommonJS dependencies (dockerode, ssh2, pino) use require, __filename and __dirname.
const banner = [
  "import { createRequire as __dom0_createRequire } from 'node:module';",
  "import { fileURLToPath as __dom0_fileURLToPath } from 'node:url';",
  "import { dirname as __dom0_dirname } from 'node:path';",
  'const require = __dom0_createRequire(import.meta.url);',
  'const __filename = __dom0_fileURLToPath(import.meta.url);',
  'const __dirname = __dom0_dirname(__filename);',
].join(' ');

// dockerode requires its BuildKit session module (gRPC, protobuf: ~1 MB) at load; only
// buildImage({ version: '2' }) calls it, which dom0 never asks for. Its BuildKit progress decoder
// (protobufjs, ~300 kB) serves only followProgress, which dom0 does not call (build-stream.ts reads
// build output itself). Stubbed, an engine command loads a third less code (issue #12).
const BUILDKIT_STUBS = {
  session: "module.exports = function withSession(_docker, _auth, handler) { handler(new Error('BuildKit sessions are not in dom0 (buildImage version 2)')); };",
  buildkit: "module.exports = { followProgress() { throw new Error('BuildKit progress decoding is not in dom0'); } };",
};
const noBuildKitSession = {
  name: 'no-buildkit-session',
  setup(b) {
    b.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (a) =>
      /dockerode[\\/]lib[\\/]docker\.js$/.test(a.importer) ? { path: a.path.slice(2), namespace: 'dom0-stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'dom0-stub' }, (a) => ({ contents: BUILDKIT_STUBS[a.path], loader: 'js' }));
  },
};

// docker-modem requires its ssh transport (ssh2, ~70 ms of CPU to load) at load; it is called only
// for an ssh:// DOCKER_HOST. Deferred to that first call.
const lazySsh = {
  name: 'lazy-ssh',
  setup(b) {
    b.onLoad({ filter: /docker-modem[\\/]lib[\\/]modem\.js$/ }, (a) => {
      const src = readFileSync(a.path, 'utf8');
      const out = src.replace("ssh = require('./ssh'),", "ssh = function () { return require('./ssh').apply(this, arguments); },");
      if (out === src) throw new Error(`${a.path}: the lazy-ssh rewrite no longer applies (docker-modem changed)`);
      return { contents: out, loader: 'js', resolveDir: path.dirname(a.path) };
    });
  },
};

const result = await build({
  plugins: [noBuildKitSession, lazySsh],
  write: false,
  entryPoints: { dom0: path.join(ROOT, 'dist', 'cli', 'main.js') },
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ssh2 (with tweetnacl and bcrypt-pbkdf, over half the Docker adapter's code) is needed only
  // for an ssh:// DOCKER_HOST: it gets its own CommonJS bundle below, which docker-modem's
  // deferred require finds, so no other command compiles it (issue #12). ssh2 loads cpu-features
  // and its .node addon inside try/catch and falls back to JavaScript.
  external: ['ssh2', 'cpu-features', '*.node'],
  legalComments: 'none',
  logLevel: 'warning',
  define: {
    __DOM0_VERSION__: JSON.stringify(version),
    __DOM0_DOCKERODE_VERSION__: JSON.stringify(dockerode),
    __DOM0_REVISION__: JSON.stringify(process.env.DOM0_REVISION ?? ''),
  },
  banner: { js: banner },
});
// Others run dom0 from this directory while it is rebuilt (tests, the benchmark): every file is
// written aside and renamed into place, the entry last, and chunks of earlier builds stay a while
// (their names are content hashes), so a running dom0 never finds a file missing or half-written.
const fresh = new Set();
const put = (file, data, mode = 0o644) => {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
  fresh.add(file);
};
const entry = path.join(OUT, 'dom0.mjs');
// The command (package.json "bin", /usr/local/bin/dom0 in the image) starts node with a young
// generation of 1 MB semi-spaces: dom0 allocates little, and for `up`, which lives for weeks, this
// is most of the difference to bare node's RSS (issue #12). `up` also gets --optimize-for-size:
// V8 then gives memory back after the churn of edits, kills and engine restarts instead of keeping
// the old generation it grew (8-minute soak: RSS +7 % instead of +16 % over the first sample); it
// costs a one-shot command ~8 % of its start-up, so only a command line with an "up" word gets it
// (a false match only costs that). Every other command lives well under a second: V8's optimizing
// tiers (Maglev, TurboFan) compile code it then barely runs, so --max-opt=1 stops at Sparkplug
// (no-op apply at N = 50: wall −11 %, CPU −24 %, RSS −6 MB; N = 200 CPU −30 %; validate −11 %).
// A shell script, not `#!/usr/bin/env -S node --flag`: busybox's env (Alpine, the image) has no -S.
const WRAPPER = `#!/bin/sh
# dom0: the bundle beside this script, run by node with dom0's flags (scripts/bundle.mjs)
flags=--max-semi-space-size=1
case " $* " in *" up "*) flags="$flags --optimize-for-size" ;; *) flags="$flags --max-opt=1" ;; esac
exec node $flags "$(dirname "$(readlink -f "$0")")/dom0.mjs" "$@"
`;
for (const f of result.outputFiles.filter((o) => o.path !== entry)) put(f.path, f.contents);
put(entry, result.outputFiles.find((o) => o.path === entry).contents, 0o755);
put(path.join(OUT, 'dom0'), WRAPPER, 0o755);
// pino-pretty (loaded with a runtime require, only when a log is pretty: a TTY, DOM0_LOG_FORMAT=
// pretty) and ssh2 (required by docker-modem's ssh transport, only for an ssh:// DOCKER_HOST) are
// outside the ESM bundle: each gets its own CommonJS bundle where node's lookup from the bundle's
// files finds it first (dist/bundle/node_modules/NAME), in the repo and in the image, which has no
// other node_modules.
for (const name of ['pino-pretty', 'ssh2']) {
  const dir = path.join(OUT, 'node_modules', name);
  const cjs = await build({
    write: false,
    entryPoints: [require.resolve(name)],
    outfile: path.join(dir, 'index.js'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['cpu-features', '*.node'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  put(path.join(dir, 'index.js'), cjs.outputFiles[0].contents);
  put(path.join(dir, 'package.json'), `${JSON.stringify({ name, private: true, main: 'index.js' })}\n`);
}
const STALE_MS = 10 * 60_000;
for (const name of readdirSync(path.join(OUT, 'chunks'))) {
  const file = path.join(OUT, 'chunks', name);
  if (name.endsWith('.mjs') && !fresh.has(file) && Date.now() - statSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true });
}
// earlier builds copied dockerode's .proto files here (BuildKit progress decoding, now stubbed)
rmSync(path.join(OUT, 'chunks', 'proto'), { recursive: true, force: true });
