import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, soleCommand } from '../../../src/cli/commands.js';

describe('soleCommand: the one command module a command line needs (#12)', () => {
  it.each([
    [['validate'], 'validate'],
    [['-f', 'x.yaml', 'validate'], 'validate'],
    [['--file', 'apply', 'plan'], 'plan'], // a value that looks like a command is the value
    [['--file=x.yaml', 'graph', '--json'], 'graph'],
    [['--profile', 'dev', '--log-level', 'debug', 'apply', '--json'], 'apply'],
    [['--fleet', 'health', 'health'], 'health'],
    [['-fx.yaml', 'status'], 'status'],
    [['health', '--state-dir', '/tmp'], 'health'],
    [['up', '--help'], 'up'],
    // every command: help lists them, completion reads them, a typo is suggested among them
    [[], undefined],
    [['--help'], undefined],
    [['help', 'plan'], undefined],
    [['completion', 'bash'], undefined],
    [['__complete-entries'], undefined],
    [['valdate'], undefined],
    [['--', 'validate'], undefined],
    [['-f', 'x.yaml'], undefined],
    [['toString'], undefined],
  ])('%j → %s', (args, want) => expect(soleCommand(args)).toBe(want));

  it.each(Object.keys(COMMANDS))('COMMANDS.%s loads the module that registers that command', async (name) => {
    const program = new Command('dom0');
    (await COMMANDS[name]!())(program);
    expect(program.commands.map((c) => c.name())).toContain(name);
  });
});
