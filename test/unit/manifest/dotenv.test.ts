// parseDotenv against compose-go's dotenv tests (dotenv/godotenv_test.go, parser_test.go,
// godotenv_var_expansion_test.go); each block names the Go test it ports.
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/manifest/dotenv.js';

const none = (): undefined => undefined;
const envOf =
  (env: Record<string, string>) =>
  (n: string): string | undefined =>
    Object.hasOwn(env, n) ? env[n] : undefined;

function values(text: string, env: Record<string, string> = {}): Record<string, string> {
  const r = parseDotenv(text, envOf(env));
  if (!r.ok) expect.fail(`${JSON.stringify(text)} failed at ${r.line}:${r.col}: ${r.error}`);
  return r.values;
}

function failure(text: string, env: Record<string, string> = {}) {
  const r = parseDotenv(text, envOf(env));
  if (r.ok) expect.fail(`${JSON.stringify(text)} parsed: ${JSON.stringify(r.values)}`);
  return r;
}

describe('TestParsing', () => {
  it.each([
    // unquoted, spaces around `=`, quotes
    ['FOO=bar', 'FOO', 'bar'],
    ['FOO =bar', 'FOO', 'bar'],
    ['FOO= bar', 'FOO', 'bar'],
    ['FOO="bar"', 'FOO', 'bar'],
    ["FOO='bar'", 'FOO', 'bar'],
    // escaped double quotes, single quotes inside double quotes
    ['FOO="escaped\\"bar"', 'FOO', 'escaped"bar'],
    ['FOO="\\"quoted\\""', 'FOO', '"quoted"'],
    [`FOO="'d'"`, 'FOO', "'d'"],
    // yaml style
    ['OPTION_A: 1', 'OPTION_A', '1'],
    ['OPTION_A: Foo=bar', 'OPTION_A', 'Foo=bar'],
    ['OPTION_A=1:B', 'OPTION_A', '1:B'],
    // export
    ['export OPTION_A=2', 'OPTION_A', '2'],
    ["export OPTION_B='\\n'", 'OPTION_B', '\\n'],
    ['export exportFoo=2', 'exportFoo', '2'],
    ['exportFOO=2', 'exportFOO', '2'],
    ['export_FOO =2', 'export_FOO', '2'],
    ['export.FOO= 2', 'export.FOO', '2'],
    ['export\tOPTION_A=2', 'OPTION_A', '2'],
    ['  export OPTION_A=2', 'OPTION_A', '2'],
    ['\texport OPTION_A=2', 'OPTION_A', '2'],
    ['export OPTION_A="export A"', 'OPTION_A', 'export A'],
    // escapes: in double quotes only
    ['FOO="bar\\nbaz"', 'FOO', 'bar\nbaz'],
    ['FOO=a\\tb', 'FOO', 'a\\tb'],
    ['FOO="a\\tb"', 'FOO', 'a\tb'],
    ['KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', 'KEY', 'Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ'],
    // names and values
    ['FOO.BAR=foobar', 'FOO.BAR', 'foobar'],
    ['FOO=foobar=', 'FOO', 'foobar='],
    ['FOO=bar ', 'FOO', 'bar'],
    // inline comments
    ['FOO=bar # this is foo', 'FOO', 'bar'],
    ['FOO=bar #this is foo', 'FOO', 'bar'],
    ['FOO=bar #', 'FOO', 'bar'],
    ['FOO=123#not-an-inline-comment', 'FOO', '123#not-an-inline-comment'],
    ['FOO="bar#baz"', 'FOO', 'bar#baz'],
    ['FOO="bar#baz"#', 'FOO', 'bar#baz'],
    ['FOO="bar#baz" # comment', 'FOO', 'bar#baz'],
    ["FOO='bar#baz' # comment", 'FOO', 'bar#baz'],
    ['FOO="bar#baz#bang" # comment', 'FOO', 'bar#baz#bang'],
    ['FOO="ba#r"', 'FOO', 'ba#r'],
    ["FOO='ba#r'", 'FOO', 'ba#r'],
    // newlines and backslashes
    ['FOO="bar\\n\\ b\\az"', 'FOO', 'bar\n\\ b\x07z'],
    ['FOO="bar\\\\\\n\\ b\\az"', 'FOO', 'bar\\\n\\ b\x07z'],
    ['FOO="bar\\\\r\\ b\\az"', 'FOO', 'bar\\r\\ b\x07z'],
    ['FOO="bar\\nbaz\\\\"', 'FOO', 'bar\nbaz\\'],
    // leading whitespace
    [' KEY =value', 'KEY', 'value'],
    ['   KEY=value', 'KEY', 'value'],
    ['\tKEY=value', 'KEY', 'value'],
    // XSI octal escapes; other escapes stay as written
    ['KEY="\\0123"', 'KEY', 'S'],
    ['KEY="\\x07"', 'KEY', '\\x07'],
    ['KEY="\\u12e4"', 'KEY', '\\u12e4'],
    ['KEY="\\U00101234"', 'KEY', '\\U00101234'],
  ])('%j → %s=%j', (line, key, value) => {
    expect(values(line)).toEqual({ [key]: value });
  });

  it('rejects lol$wut', () => {
    expect(failure('lol$wut')).toMatchObject({ line: 1, col: 4 });
  });

  it('accepts `="value"` but drops the nameless variable', () => {
    expect(values('="value"\nA=1')).toEqual({ A: '1' });
  });
});

describe('beyond TestParsing: escapes and quotes', () => {
  it.each([
    // \$ in double quotes is a literal $ (godotenv TestExpanding "does not expand escaped variables")
    ['FOO="foo\\$BAR"', 'foo$BAR'],
    ['FOO="foo\\${BAR}"', 'foo${BAR}'],
    // \0 needs exactly three octal digits, at most \0377
    ['FOO="\\0"', '\\0'],
    ['FOO="\\012"', '\\012'],
    ['FOO="\\0101\\0102"', 'AB'],
    ['FOO="\\0400"', '\\0400'],
    ['FOO="\\0128"', '\\0128'],
    // \' in single quotes is a quote; other backslashes stay
    ["FOO='it\\'s'", "it's"],
    ["FOO='a\\nb\\\\c'", 'a\\nb\\\\c'],
    // a single-quoted value is never interpolated
    ["FOO='$X ${Y:?no}'", '$X ${Y:?no}'],
    // unquoted: only the first " #" starts a comment, a tab does not
    ['FOO=a\t#b', 'a\t#b'],
    // CRLF
    ['FOO=bar\r\nBAR=1\r\n', 'bar'],
  ])('%j → %j', (text, want) => {
    expect(values(text).FOO).toBe(want);
  });
});

// TestUnterminatedQuotes
describe('TestUnterminatedQuotes', () => {
  it.each([['KEY="'], ['KEY="value'], ['KEY="value\\"'], ["KEY=\"value'"], ["KEY='"], ["KEY='value"], ["KEY='value\\'"], ["KEY='value\""]])('%j', (text) => {
    const r = failure(text);
    expect(r.error).toContain('unterminated quoted value for KEY');
    expect(r).toMatchObject({ line: 1, col: 5 });
  });

  it('points at the opening quote, not the end of the file, and does not echo the value', () => {
    const r = failure('A=1\nPASSWORD="hunter2\nB=2\n');
    expect(r).toMatchObject({ line: 2, col: 10 });
    expect(r.error).not.toContain('hunter2');
  });
});

// TestLinesToIgnore, TestReadPlainEnv (fixtures/plain.env), TestLoadQuotedEnv (fixtures/quoted.env), TestUTF8BOM
describe('files', () => {
  it.each([['\n'], ['\r\n'], ['\t\t '], ['# Comment'], ['\t # comment']])('ignores %j', (text) => {
    expect(values(text)).toEqual({});
  });

  it('plain.env', () => {
    const text = 'OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\nOPTION_F =\nOPTION_G=\nOPTION_H=1 2\n'.replace('1 2', 'my string');
    expect(values(text)).toEqual({ OPTION_A: '1', OPTION_B: '2', OPTION_C: '3', OPTION_D: '4', OPTION_E: '5', OPTION_F: '', OPTION_G: '', OPTION_H: 'my string' });
  });

  it('quoted.env', () => {
    const text = [
      "OPTION_A='1'",
      "OPTION_B='2'",
      "OPTION_C=''",
      "OPTION_D='\\n'",
      'OPTION_E="1"',
      'OPTION_F="2"',
      'OPTION_G=""',
      'OPTION_H="\\n"',
      `OPTION_I = "echo 'asd'"`,
      "OPTION_J = 'first line",
      'second line',
      'third line',
      "and so on'",
      'OPTION_Z = "last value"',
      '',
    ].join('\n');
    expect(values(text)).toEqual({
      OPTION_A: '1',
      OPTION_B: '2',
      OPTION_C: '',
      OPTION_D: '\\n',
      OPTION_E: '1',
      OPTION_F: '2',
      OPTION_G: '',
      OPTION_H: '\n',
      OPTION_I: "echo 'asd'",
      OPTION_J: 'first line\nsecond line\nthird line\nand so on',
      OPTION_Z: 'last value',
    });
  });

  it('TestUTF8BOM', () => {
    expect(values('\uFEFFOPTION_A=1\nOPTION_B=2\n')).toEqual({ OPTION_A: '1', OPTION_B: '2' });
  });

  it('TestVariableStringValueSeparator', () => {
    expect(values('TEST_URLS="stratum+tcp://a:3333\nstratum+tcp://b:443"')).toEqual({ TEST_URLS: 'stratum+tcp://a:3333\nstratum+tcp://b:443' });
  });
});

// TestParseBytes, TestDash, TestParseVariable, TestErrorParsing
describe('names', () => {
  it('TestParseBytes: brackets, dots and any script', () => {
    expect(values('\na=b\na[1]=c\na.propertyKey=d\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\n')).toEqual({
      a: 'b',
      'a[1]': 'c',
      'a.propertyKey': 'd',
      'árvíztűrő-TÜKÖRFÚRÓGÉP': 'ÁRVÍZTŰRŐ-tükörfúrógép',
    });
  });

  it('TestDash, and a digit first', () => {
    expect(values('VAR-WITH-DASHES=dashes\nVAR.WITH.DOTS=dots\nVAR_WITH_UNDERSCORES=underscores\n1ST=one\n')).toEqual({
      'VAR-WITH-DASHES': 'dashes',
      'VAR.WITH.DOTS': 'dots',
      VAR_WITH_UNDERSCORES: 'underscores',
      '1ST': 'one',
    });
  });

  it('TestParseVariable: an unexpected character, with its position and without the text', () => {
    const r = failure('%!(EXTRA string)=foo');
    expect(r).toMatchObject({ line: 1, col: 1 });
    expect(r.error).toContain('unexpected character in a variable name');
    expect(r.error).not.toContain('EXTRA');
  });

  it('TestErrorParsing: a key with a space', () => {
    expect(failure('A=1\n\n# c\nKEY NAME=x\n')).toMatchObject({ line: 4, col: 1, error: 'a variable name cannot contain a space' });
  });
});

// TestExpanding, TestSubstitutions*, TestExpandingEnvironmentWithLookup, TestInheritedEnvVariable*
describe('interpolation and the environment', () => {
  it.each([
    ['FOO=test\nBAR=$FOO', { FOO: 'test', BAR: 'test' }],
    ['FOO=test\nBAR=${FOO}bar', { FOO: 'test', BAR: 'testbar' }],
    ['BAR=$FOO', { BAR: '' }],
    ['FOO=test\nBAR="quote $FOO"', { FOO: 'test', BAR: 'quote test' }],
    ["BAR='quote $FOO'", { BAR: 'quote $FOO' }],
    ['FOO=test\nBAR="foo\\${FOO} ${FOO}"', { FOO: 'test', BAR: 'foo${FOO} test' }],
  ])('TestExpanding %j', (text, want) => {
    expect(values(text)).toEqual(want);
  });

  const substitutions = 'OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n';
  const substitutionsDefault = substitutions.replace('OPTION_A=1', 'OPTION_A=${OPTION_A:-1}');

  it('TestSubstitutions', () => {
    expect(values(substitutions)).toEqual({ OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' });
  });

  it('TestSubstitutionsWithEnvFilePrecedence: the environment wins for the lines below', () => {
    expect(values(substitutions, { OPTION_A: '5' })).toEqual({ OPTION_A: '1', OPTION_B: '5', OPTION_C: '5', OPTION_D: '5_5', OPTION_E: '' });
  });

  it('TestSubstitutionsWithEnvFileDefaultValuePrecedence', () => {
    expect(values(substitutionsDefault, { OPTION_A: '5' })).toEqual({ OPTION_A: '5', OPTION_B: '5', OPTION_C: '5', OPTION_D: '5_5', OPTION_E: '' });
  });

  it('TestSubstitutionsWithUnsetVarEnvFileDefaultValuePrecedence', () => {
    expect(values(substitutionsDefault)).toEqual({ OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' });
  });

  it('TestExpandingEnvironmentWithLookup', () => {
    expect(values('TEST=$ME', { ME: 'YES' })).toEqual({ TEST: 'YES' });
  });

  it('TestInheritedEnvVariable*: a bare name is taken from the environment when set there', () => {
    const env = { VAR_TO_BE_LOADED_FROM_OS_ENV: 'SOME_RANDOM_VALUE' };
    expect(values('VAR_TO_BE_LOADED_FROM_OS_ENV\nfoo=bar\nbar=baz\n', env)).toEqual({ ...env, foo: 'bar', bar: 'baz' });
    expect(values('VARIABLE_NOT_FOUND\n', env)).toEqual({});
    // dom0: also without a newline after it (compose-go turns that last line into a nameless value)
    expect(values('VAR_TO_BE_LOADED_FROM_OS_ENV', env)).toEqual(env);
  });

  // godotenv_var_expansion_test.go: TestExpandIfEmptyOrUnset, TestExpandIfUnset, TestErrorIfEmptyOrUnset, TestErrorIfUnset
  it.each([
    ['RESULT=${UNSET_VAR:-Default Value}', 'Default Value'],
    ['RESULT=${EMPTY_VAR:-Default Value}', 'Default Value'],
    ['RESULT=${TEST_VAR:-Default Value}', 'Test Value'],
    ['RESULT=${UNSET_VAR-Default Value}', 'Default Value'],
    ['RESULT=${EMPTY_VAR-Default Value}', ''],
    ['RESULT=${TEST_VAR-Default Value}', 'Test Value'],
    ['RESULT=${TEST_VAR:?Default Value}', 'Test Value'],
    ['RESULT=${EMPTY_VAR?Test error}', ''],
    ['RESULT=${TEST_VAR?Default Value}', 'Test Value'],
  ])('%j → %j', (line, want) => {
    expect(values(`EMPTY_VAR=\nTEST_VAR=Test Value\n${line}`).RESULT).toBe(want);
  });

  it.each([
    ['RESULT=${UNSET_VAR:?Test error}', 'RESULT: required variable UNSET_VAR is missing a value: Test error'],
    ['RESULT=${EMPTY_VAR:?Test error}', 'RESULT: required variable EMPTY_VAR is missing a value: Test error'],
    ['RESULT=${UNSET_VAR?Test error}', 'RESULT: required variable UNSET_VAR is missing a value: Test error'],
    ['RESULT="${UNSET_VAR:?in quotes}"', 'RESULT: required variable UNSET_VAR is missing a value: in quotes'],
  ])('%j fails the file', (line, error) => {
    expect(failure(`EMPTY_VAR=\n${line}\n`)).toMatchObject({ line: 2, error });
  });

  it('a malformed ${ fails the file without echoing the value', () => {
    const r = failure('DB_PASSWORD=s3cr3t${oops\n');
    expect(r.error).toContain('DB_PASSWORD: invalid interpolation format');
    expect(r.error).not.toContain('s3cr3t');
  });

  it('a $ that starts nothing is kept', () => {
    expect(values('CMD=echo $(hostname) $1 $?\nRE="^a$"')).toEqual({ CMD: 'echo $(hostname) $1 $?', RE: '^a$' });
  });

  it('a plain file needs no environment', () => {
    expect(parseDotenv('A=1', none)).toEqual({ ok: true, values: { A: '1' }, unset: [] });
  });

  it('lists the variables that are set nowhere, where their value starts (compose-go warns about them)', () => {
    const r = parseDotenv('A=1\nB=$A$NOPE\nC="x ${ALSO}"\nD=${NOPE:-d}${E-e}\nBARE\n', none);
    expect(r).toEqual({
      ok: true,
      values: { A: '1', B: '1', C: 'x ', D: 'de' },
      unset: [
        { name: 'NOPE', line: 2, col: 3 },
        { name: 'ALSO', line: 3, col: 3 },
      ],
    });
  });
});

describe('size', () => {
  it('stays linear on a 1 MiB file of short lines, each referring to an unset variable', () => {
    const text = 'K=$U\n'.repeat(200_000);
    const t = Date.now();
    const r = parseDotenv(text, none);
    expect(Date.now() - t).toBeLessThan(3000);
    expect(r.ok && r.unset.length).toBe(200_000);
    expect(r.ok && r.unset[199_999]).toEqual({ name: 'U', line: 200_000, col: 3 });
  });
});
