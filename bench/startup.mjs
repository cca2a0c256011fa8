#!/usr/bin/env node
// Start-up cost of the commands that never touch the engine, against bare node (issue #12):
// wall time and peak RSS of `node -e 0`, `dom0 --help`, `validate`, `graph` and `health` on the
// example manifest, interleaved (the order rotates every rep so drift cancels), medians reported.
// Targets: wall ≤ 3× bare node; peak RSS of validate and health ≤ 1.5× bare node's.
//
//   npm run build && node bench/startup.mjs [--reps 15] [--out bench/startup]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const { values: argv } = parseArgs({ options: { reps: { type: 'string', default: '15' }, out: { type: 'string' } } });
const reps = Number(argv.reps);
const out = argv.out ?? path.join(ROOT, 'bench', 'startup');
if (!existsSync(CLI)) throw new Error('run `npm run build` first');
if (!existsSync('/usr/bin/time')) execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'time'], { stdio: 'inherit' });

const state = mkdtempSync(path.join(tmpdir(), 'dom0-startup-'));
const manifest = path.join(ROOT, 'dom0.yaml');
const CASES = {
  'node -e 0': ['node', '-e', '0'],
  'dom0 --help': ['node', CLI, '--help'],
  'dom0 validate': ['node', CLI, 'validate', '-f', manifest],
  'dom0 graph': ['node', CLI, 'graph', '-f', manifest],
  'dom0 health': ['node', CLI, 'health', '--state-dir', state],
};
writeFileSync(path.join(state, 'heartbeat'), `${Date.now()}\n`);

function once(cmd) {
  const timeFile = path.join(state, 'time.txt');
  const t0 = process.hrtime.bigint();
  spawnSync('/usr/bin/time', ['-v', '-o', timeFile, ...cmd], { stdio: 'ignore', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, 'utf8'))?.[1] ?? NaN);
  return { ms, rssKb };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const names = Object.keys(CASES);
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) once(CASES[n]); // warm the file cache
for (let r = 0; r < reps; r++) {
  for (let i = 0; i < names.length; i++) {
    const n = names[(i + r) % names.length];
    samples[n].push(once(CASES[n]));
  }
}

const base = { ms: median(samples['node -e 0'].map((s) => s.ms)), rssKb: median(samples['node -e 0'].map((s) => s.rssKb)) };
const rows = names.map((n) => {
  const ms = median(samples[n].map((s) => s.ms));
  const rssKb = median(samples[n].map((s) => s.rssKb));
  return { command: n, wallMs: Math.round(ms), wallRatio: +(ms / base.ms).toFixed(2), rssMb: +(rssKb / 1024).toFixed(1), rssRatio: +(rssKb / base.rssKb).toFixed(2) };
});
const md = [
  `# Start-up: dom0 commands that never reach the engine, against bare node`,
  '',
  `${new Date().toISOString()}, node ${process.version}, ${reps} interleaved reps, medians (bench/startup.mjs).`,
  'Targets (issue #12): wall ≤ 3× bare node; peak RSS of validate and health ≤ 1.5× bare node.',
  '',
  '| command | wall (ms) | × node | peak RSS (MB) | × node |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| \`${r.command}\` | ${r.wallMs} | ${r.wallRatio} | ${r.rssMb} | ${r.rssRatio} |`),
  '',
];
writeFileSync(`${out}.md`, md.join('\n'));
writeFileSync(`${out}.json`, `${JSON.stringify({ reps, node: process.version, rows }, null, 2)}\n`);
process.stdout.write(md.join('\n'));
