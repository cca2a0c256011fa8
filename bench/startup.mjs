#!/usr/bin/env node
// Start-up cost of the commands that never touch the engine, against bare node (issue #12):
// wall time and peak RSS of `node -e 0`, `dom0 --help`, `validate`, `graph` and `health` on the
// example manifest, interleaved (the order rotates every rep so drift cancels), medians reported.
// Targets: wall ≤ 3× bare node; peak RSS of validate and health ≤ 1.5× bare node's.
// dom0 runs as installed: package.json's "bin" (the bundle), executed through its #! line.
// bench/run.mjs imports measureStartup() and puts its targets into the report.
//
//   npm run build && node bench/startup.mjs [--reps 15] [--out bench/startup]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin.dom0;
export const WALL_LIMIT = 3;
export const RSS_LIMIT = 1.5;

function once(state, cmd) {
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

/** Medians of wall and peak RSS per command, and each against bare node. `cli`: the dom0 to run (default: the bin). */
export function measureStartup({ reps = 15, cli = path.join(ROOT, BIN) } = {}) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  if (!existsSync('/usr/bin/time')) execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'time'], { stdio: 'inherit' });
  const state = mkdtempSync(path.join(tmpdir(), 'dom0-startup-'));
  const manifest = path.join(ROOT, 'dom0.yaml');
  writeFileSync(path.join(state, 'heartbeat'), `${Date.now()}\n`);
  const CASES = {
    'node -e 0': ['node', '-e', '0'],
    'dom0 --help': [cli, '--help'],
    'dom0 validate': [cli, 'validate', '-f', manifest],
    'dom0 graph': [cli, 'graph', '-f', manifest],
    'dom0 health': [cli, 'health', '--state-dir', state],
  };
  const names = Object.keys(CASES);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) once(state, CASES[n]); // warm the file cache
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < names.length; i++) {
      const n = names[(i + r) % names.length];
      samples[n].push(once(state, CASES[n]));
    }
  }

  const base = { ms: median(samples['node -e 0'].map((s) => s.ms)), rssKb: median(samples['node -e 0'].map((s) => s.rssKb)) };
  const rows = names.map((n) => {
    const ms = median(samples[n].map((s) => s.ms));
    const rssKb = median(samples[n].map((s) => s.rssKb));
    return { command: n, wallMs: Math.round(ms), wallRatio: +(ms / base.ms).toFixed(2), rssMb: +(rssKb / 1024).toFixed(1), rssRatio: +(rssKb / base.rssKb).toFixed(2) };
  });
  const targets = rows
    .filter((r) => r.command !== 'node -e 0')
    .flatMap((r) => [
      ...(r.command === 'dom0 --help' ? [] : [{ what: `\`${r.command}\` wall ≤ ${WALL_LIMIT} × bare node`, ratio: r.wallRatio, limit: WALL_LIMIT, met: r.wallRatio <= WALL_LIMIT }]),
      ...(r.command === 'dom0 validate' || r.command === 'dom0 health'
        ? [{ what: `\`${r.command}\` peak RSS ≤ ${RSS_LIMIT} × bare node`, ratio: r.rssRatio, limit: RSS_LIMIT, met: r.rssRatio <= RSS_LIMIT }]
        : []),
    ]);
  return { reps, node: process.version, cli: path.relative(ROOT, cli), rows, targets };
}

export function startupMarkdown(r) {
  return [
    '| command | wall (ms) | × node | peak RSS (MB) | × node |',
    '|---|---|---|---|---|',
    ...r.rows.map((x) => `| \`${x.command}\` | ${x.wallMs} | ${x.wallRatio} | ${x.rssMb} | ${x.rssRatio} |`),
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...r.targets.map((t) => `| ${t.what} | ${t.ratio} × | ${t.met ? 'met' : 'MISSED'} |`),
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values: argv } = parseArgs({ options: { reps: { type: 'string', default: '15' }, out: { type: 'string' } } });
  const out = argv.out ?? path.join(ROOT, 'bench', 'startup');
  const r = measureStartup({ reps: Number(argv.reps) });
  const md = [
    `# Start-up: dom0 commands that never reach the engine, against bare node`,
    '',
    `${new Date().toISOString()}, node ${r.node}, \`${r.cli}\` run through its #! line, ${r.reps} interleaved reps, medians (bench/startup.mjs).`,
    'Targets (issue #12): wall ≤ 3× bare node; peak RSS of validate and health ≤ 1.5× bare node.',
    '',
    startupMarkdown(r),
  ].join('\n');
  writeFileSync(`${out}.md`, md);
  writeFileSync(`${out}.json`, `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(md);
}
