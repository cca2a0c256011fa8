#!/usr/bin/env node
// The dom0 command as shipped: dist/cli/main.js (tsc's output) and its dependencies bundled by
// esbuild into dist/bundle/, an ESM entry (dom0.mjs) plus chunks that load only when a command
// needs them (the Docker adapter with dockerode/ssh2, each command's module). One module graph
// instead of ~300 files makes start-up several times cheaper (issue #12). `npm run build` runs it;
// package.json "bin" and the image (Dockerfile copies dist/bundle/) both run this bundle.
//
//   node scripts/bundle.mjs        (after tsc; DOM0_REVISION=<git sha> compiles the revision in)
import { build } from 'esbuild';
import { chmodSync, cpSync, readFileSync, rmSync } from 'node:fs';
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

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: { dom0: path.join(ROOT, 'dist', 'cli', 'main.js') },
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ssh2 loads both inside try/catch and falls back to JavaScript.
  external: ['cpu-features', '*.node'],
  legalComments: 'none',
  logLevel: 'warning',
  define: {
    __DOM0_VERSION__: JSON.stringify(version),
    __DOM0_DOCKERODE_VERSION__: JSON.stringify(dockerode),
    __DOM0_REVISION__: JSON.stringify(process.env.DOM0_REVISION ?? ''),
  },
  banner: { js: banner },
});
// dockerode reads its .proto files from __dirname (BuildKit builds only); chunks live one level down.
cpSync(path.join(path.dirname(require.resolve('dockerode/package.json')), 'lib', 'proto'), path.join(OUT, 'chunks', 'proto'), { recursive: true });
chmodSync(path.join(OUT, 'dom0.mjs'), 0o755);
