import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/manifest/dotenv.js';
import { shellSplit } from '../../../src/manifest/shell.js';

describe('shellSplit', () => {
  it.each([
    ['echo hello', ['echo', 'hello']],
    ['  spaced   out  ', ['spaced', 'out']],
    ['sh -c "echo hi > /x"', ['sh', '-c', 'echo hi > /x']],
    ["sh -c 'echo $HOME'", ['sh', '-c', 'echo $HOME']],
    ['a\\ b c', ['a b', 'c']],
    ['say "a \\"quoted\\" word"', ['say', 'a "quoted" word']],
    ['empty "" arg', ['empty', '', 'arg']],
    ['', []],
  ])('%j', (input, words) => {
    expect(shellSplit(input)).toEqual({ ok: true, value: words });
  });

  it('rejects an unterminated quote', () => {
    expect(shellSplit('echo "oops').ok).toBe(false);
  });
});

describe('parseDotenv', () => {
  const lookup = (n: string): string | undefined => ({ HOME: '/root', FROM_ENV: 'env' })[n];
  it('parses KEY=VALUE, comments, export, quotes and bare keys', () => {
    const text = [
      '# comment',
      '',
      'A=1',
      'export B=two',
      'C="double # not a comment\\nnext"',
      "D='single $HOME'",
      'E=unquoted # trailing comment',
      'F=${HOME}/x',
      'G=$A-suffix',
      'FROM_ENV',
      'NOT_IN_ENV',
      'H=',
      'I="multi',
      'line"',
    ].join('\n');
    expect(parseDotenv(text, lookup)).toEqual({
      ok: true,
      values: {
        A: '1',
        B: 'two',
        C: 'double # not a comment\nnext',
        D: 'single $HOME',
        E: 'unquoted',
        F: '/root/x',
        G: '1-suffix',
        FROM_ENV: 'env',
        H: '',
        I: 'multi\nline',
      },
      unset: [],
    });
  });

  it('reports the line of a bad entry', () => {
    expect(parseDotenv('A=1\nB@D=2\n', lookup)).toMatchObject({ ok: false, line: 2, col: 2, error: expect.stringContaining('unexpected character in a variable name') });
    // an unterminated quote is reported where it opens
    expect(parseDotenv('A="open\n', lookup)).toMatchObject({ ok: false, line: 1, col: 3 });
  });
});
