import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Argument, Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { completionScript, ENTRIES_COMMAND, programSpec, SHELLS } from '../../../src/cli/completion.js';
import { DOM0_CLI, REPO_ROOT } from '../../support/engine.js';

const cli = (args: string[], cwd = REPO_ROOT) => spawnSync(process.execPath, [DOM0_CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** A small program shaped like dom0's: the spec is read from it, nothing hard-coded. */
function toyProgram(): Command {
  const p = new Command('toy').option('-f, --file <file>', 'manifest').option('--log-level <level>', 'level').option('-q, --quiet', 'quiet');
  p.command('plan').description('show the plan\nsecond line').option('--json', 'json');
  p.command('logs').argument('[entry...]', 'entries').option('-n, --tail <n>', 'lines');
  p.command('pick').addArgument(new Argument('<shell>').choices(['a', 'b']));
  p.command('secret', { hidden: true });
  return p;
}

describe('completion spec from the commander program', () => {
  const spec = programSpec(toyProgram());

  it.each([
    ['plan', { entries: false, choices: [], flags: ['--json'] }],
    ['logs', { entries: true, choices: [], flags: ['-n', '--tail'] }],
    ['pick', { entries: false, choices: ['a', 'b'], flags: [] }],
  ])('%s: entries / choices / options', (name, want) => {
    const c = spec.commands.find((x) => x.name === name)!;
    expect({ entries: c.entries, choices: c.choices, flags: c.options.flatMap((o) => o.flags) }).toEqual(want);
  });

  it('hidden commands are left out; descriptions are one line; the global -f is the file option', () => {
    expect(spec.commands.map((c) => c.name)).toEqual(['plan', 'logs', 'pick']);
    expect(spec.commands[0]!.description).toBe('show the plan');
    expect(spec.options.find((o) => o.file)?.flags).toEqual(['-f', '--file']);
    expect(spec.options.find((o) => o.flags.includes('-q'))?.takesValue).toBe(false);
  });

  it.each(SHELLS.map((s) => [s]))('%s: a new command completes without touching the generator', (shell) => {
    const p = toyProgram();
    p.command('brand-new-command').option('--shiny', 'x');
    const script = completionScript(shell, programSpec(p));
    expect(script).toContain('brand-new-command');
    expect(script).toContain(shell === 'fish' ? '-l shiny' : '--shiny');
    expect(script).not.toMatch(/\bsecret\b/);
    expect(script).toContain(ENTRIES_COMMAND);
  });
});

describe('dom0 completion (built CLI)', () => {
  // the commands `dom0 --help` lists (minus commander's own `help`)
  const help = cli(['--help']).stdout;
  const commands = help
    .slice(help.indexOf('Commands:'))
    .split('\n')
    .flatMap((l) => /^ {2}([a-z][\w-]*)/.exec(l)?.[1] ?? [])
    .filter((c) => c !== 'help');

  it('dom0 --help lists the commands (sanity for the next cases)', () => {
    expect(commands).toEqual(expect.arrayContaining(['validate', 'plan', 'apply', 'logs', 'completion']));
    expect(commands).not.toContain(ENTRIES_COMMAND);
  });

  const checkers: Record<(typeof SHELLS)[number], string> = { bash: 'bash', zsh: 'zsh', fish: 'fish' };
  it.each(SHELLS.map((s) => [s]))('%s: mentions every command and the entries callback; the shell parses it (-n)', (shell) => {
    const r = cli(['completion', shell]);
    expect(r.status, r.stderr).toBe(0);
    for (const c of commands) expect(r.stdout, c).toMatch(new RegExp(`(^|[\\s'(|])${c}[\\s')|:]`));
    expect(r.stdout).toContain(ENTRIES_COMMAND);
    const bin = checkers[shell];
    if (shell !== 'bash' && !has(bin)) return; // zsh/fish syntax only where installed; bash always
    const dir = mkdtempSync(path.join(tmpdir(), 'dom0-completion-'));
    try {
      const f = path.join(dir, `dom0.${shell}`);
      writeFileSync(f, r.stdout);
      const n = spawnSync(bin, ['-n', f], { encoding: 'utf8' });
      expect(n.status, n.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bash: completes commands, entry names from -f FILE, and the shell names', () => {
    const script = cli(['completion', 'bash']).stdout;
    const driver = `
dom0() { "${process.execPath}" "${DOM0_CLI}" "$@"; }
${script}
t() { COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _dom0; echo "\${COMPREPLY[*]}"; }
t dom0 lo
t dom0 -f dom0.yaml logs redis
t dom0 completion ''
t dom0 logs --fol
`;
    const r = spawnSync('bash', ['-c', driver], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['logs', 'redis redis-ambassador', 'bash zsh fish', '--follow']);
  });

  it('an unknown shell exits 2', () => {
    expect(cli(['completion', 'tcsh']).status).toBe(2);
  });

  const empty = mkdtempSync(path.join(tmpdir(), 'dom0-completion-empty-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it.each([
    ['dom0.yaml (-f)', ['-f', 'dom0.yaml'], REPO_ROOT, ['home-volume', 'www-content', 'fetch-site', 'redis', 'redis-ambassador', 'shell', 'web']],
    ['./dom0.yaml (default lookup)', [], REPO_ROOT, ['home-volume', 'www-content', 'fetch-site', 'redis', 'redis-ambassador', 'shell', 'web']],
    ['no manifest', ['-f', 'missing.yaml'], empty, []],
    ['an invalid manifest', ['-f', 'bad.yaml'], empty, []],
  ])(`${ENTRIES_COMMAND} on %s: the entry names, one per line; exit 0`, (_what, args, cwd, want) => {
    writeFileSync(path.join(empty, 'bad.yaml'), 'services: {web: {imagee: x}}\n');
    const r = cli([...args, ENTRIES_COMMAND], cwd);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([...want].sort());
  });
});
