import { describe, expect, it } from 'vitest';
import { interpolate, interpolateTree } from '../../../src/manifest/interpolate.js';

const env: Record<string, string> = { NAME: 'web', EMPTY: '', PORT: '8080', NESTED: 'inner' };
const lookup = (n: string): string | undefined => (Object.hasOwn(env, n) ? env[n] : undefined);

describe('interpolate', () => {
  it.each([
    ['plain', 'plain'],
    ['$NAME', 'web'],
    ['${NAME}', 'web'],
    ['pre-${NAME}-post', 'pre-web-post'],
    ['$NAME.example', 'web.example'],
    ['${PORT}:80', '8080:80'],
    ['$$', '$'],
    ['$$NAME', '$NAME'],
    ['a$$b', 'a$b'],
    ['$${NAME}', '${NAME}'],
    // :- and - (default)
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${NAME:-dflt}', 'web'],
    ['${UNSET-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${UNSET:-}', ''],
    ['${UNSET:-${NESTED}}', 'inner'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-a b c}', 'a b c'],
    // :+ and + (alternative)
    ['${NAME:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    // :? and ? when the variable is set
    ['${NAME:?required}', 'web'],
    ['${EMPTY?required}', ''],
  ])('%j → %j', (input, out) => {
    const r = interpolate(input, lookup);
    expect(r).toMatchObject({ ok: true, value: out });
  });

  it.each([
    ['${UNSET:?set it please}', 'required variable UNSET is missing a value: set it please'],
    ['${EMPTY:?must not be empty}', 'required variable EMPTY is missing a value: must not be empty'],
    ['${UNSET?}', 'required variable UNSET is missing a value'],
    ['${UNSET?msg with ${NAME}}', 'required variable UNSET is missing a value: msg with web'],
  ])('%j fails with %j', (input, error) => {
    expect(interpolate(input, lookup)).toMatchObject({ ok: false, error });
  });

  it.each([['${'], ['${NAME'], ['${}'], ['${1abc}'], ['${NAME!}'], ['${NAME:}'], ['${NAME:-x\n}']])('rejects %j', (input) => {
    const r = interpolate(input, lookup);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('invalid interpolation format');
  });

  it('reports unset variables without a default', () => {
    expect(interpolate('${A}-$B-${C:-x}-${NAME}', lookup)).toEqual({ ok: true, value: '--x-web', unset: ['A', 'B'] });
  });

  it('does not evaluate an unused default', () => {
    expect(interpolate('${NAME:-${UNSET}}', lookup)).toEqual({ ok: true, value: 'web', unset: [] });
  });

  it('bounds nesting', () => {
    const deep = '${A:-'.repeat(100) + 'x' + '}'.repeat(100);
    const r = interpolate(deep, lookup);
    expect(!r.ok && r.error).toContain('nested deeper');
  });
});

// The cases of compose-go's template/template_test.go, each block named after its Go test; the
// mapping is theirs: FOO=first, BAR="" (set, empty), anything else unset.
describe('compose-go template_test.go', () => {
  const defaults: Record<string, string> = { FOO: 'first', BAR: '' };
  const mapping = (n: string): string | undefined => (Object.hasOwn(defaults, n) ? defaults[n] : undefined);
  const ok = (input: string) => {
    const r = interpolate(input, mapping);
    if (!r.ok) expect.fail(`${JSON.stringify(input)} failed: ${r.error}`);
    return r.value;
  };
  const err = (input: string) => {
    const r = interpolate(input, mapping);
    if (r.ok) expect.fail(`${JSON.stringify(input)} did not fail`);
    return r.error;
  };

  it.each([
    // TestEscaped, TestSubstituteNoMatch
    ['$${foo}', '${foo}'],
    ['foo', 'foo'],
    // TestUnescaped: a $ that starts nothing is kept
    ['a $ string', 'a $ string'],
    ['^REGEX$', '^REGEX$'],
    ['$}', '$}'],
    ['$', '$'],
    // TestNonBraced
    ['$FOO-bar', 'first-bar'],
    // TestNoValueNoDefault, TestValueNoDefault
    ['This ${missing} var', 'This  var'],
    ['This ${BAR} var', 'This  var'],
    ['This $FOO var', 'This first var'],
    ['This ${FOO} var', 'This first var'],
    // TestNoValueWithDefault, TestEmptyValueWithSoftDefault, TestValueWithSoftDefault, TestEmptyValueWithHardDefault
    ['ok ${missing:-def}', 'ok def'],
    ['ok ${missing-def}', 'ok def'],
    ['ok ${BAR:-def}', 'ok def'],
    ['ok ${FOO:-def}', 'ok first'],
    ['ok ${BAR-def}', 'ok '],
    // TestPresentValueWithUnset(2), TestPresentValueWithNonEmpty, TestPresentValueAndNonEmptyWithNonEmpty,
    // TestPresentValueWithSet, TestPresentValueAndNotEmptyWithSet
    ['ok ${UNSET_VAR:+presence_value}', 'ok '],
    ['ok ${UNSET_VAR+presence_value}', 'ok '],
    ['ok ${FOO:+presence_value}', 'ok presence_value'],
    ['ok ${FOO+presence_value}', 'ok presence_value'],
    ['ok ${BAR+presence_value}', 'ok presence_value'],
    ['ok ${BAR:+presence_value}', 'ok '],
    // TestNonAlphanumericDefault
    ['ok ${BAR:-/non:-alphanumeric}', 'ok /non:-alphanumeric'],
    // TestInterpolationExternalInterference
    ['-ok ${BAR:-defaultValue}', '-ok defaultValue'],
    ['+ok ${UNSET:-${BAR-defaultValue}}', '+ok '],
    ['-ok ${FOO:-defaultValue}', '-ok first'],
    [':-ok ${UNSET-defaultValue}', ':-ok defaultValue'],
    [':-ok ${BAR-defaultValue}', ':-ok '],
    [':?ok ${BAR-defaultValue}', ':?ok '],
    [':?ok ${BAR:-defaultValue}', ':?ok defaultValue'],
    [':+ok ${BAR:-defaultValue}', ':+ok defaultValue'],
    ['+ok ${BAR-defaultValue}', '+ok '],
    ['?ok ${BAR:-defaultValue}', '?ok defaultValue'],
    // TestDefaultsWithNestedExpansion
    ['ok ${UNSET_VAR-$FOO}', 'ok first'],
    ['ok ${UNSET_VAR-${FOO}}', 'ok first'],
    ['ok ${UNSET_VAR-${FOO} ${FOO}}', 'ok first first'],
    ['ok ${BAR:-$FOO}', 'ok first'],
    ['ok ${BAR:-${FOO}}', 'ok first'],
    ['ok ${BAR:-${FOO} ${FOO}}', 'ok first first'],
    ['ok ${BAR+$FOO}', 'ok first'],
    ['ok ${BAR+$FOO ${FOO:+second}}', 'ok first second'],
    // TestDefaultsForMandatoryVariables
    ['ok ${FOO:?err}', 'ok first'],
    ['ok ${FOO?err}', 'ok first'],
    ['ok ${BAR?err}', 'ok '],
    // TestPrecedence (the operator right after the name wins)
    ['${UNSET_VAR-myerror?msg}', 'myerror?msg'],
    ['${FOO?bar-baz}', 'first'],
    ['${BAR:-default_value_for_empty_var}', 'default_value_for_empty_var'],
    ['${UNSET_VAR-default_value_for_unset_var}', 'default_value_for_unset_var'],
  ])('%j → %j', (input, want) => {
    expect(ok(input)).toBe(want);
  });

  // TestInvalid
  it.each([['${'], ['${}'], ['${ }'], ['${ foo}'], ['${foo }'], ['${foo!}']])('%j is an invalid template', (input) => {
    expect(err(input)).toContain('invalid interpolation format');
  });

  it.each([
    // TestMandatoryVariableErrors, TestMandatoryVariableErrorsWithNestedExpansion, TestPrecedence
    ['not ok ${UNSET_VAR:?Mandatory Variable Unset}', 'required variable UNSET_VAR is missing a value: Mandatory Variable Unset'],
    ['not ok ${BAR:?Mandatory Variable Empty}', 'required variable BAR is missing a value: Mandatory Variable Empty'],
    ['not ok ${UNSET_VAR:?}', 'required variable UNSET_VAR is missing a value'],
    ['not ok ${UNSET_VAR?Mandatory Variable Unset}', 'required variable UNSET_VAR is missing a value: Mandatory Variable Unset'],
    ['not ok ${UNSET_VAR?}', 'required variable UNSET_VAR is missing a value'],
    ['not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}', 'required variable UNSET_VAR is missing a value: Mandatory Variable first'],
    ['not ok ${UNSET_VAR?Mandatory Variable ${FOO}}', 'required variable UNSET_VAR is missing a value: Mandatory Variable first'],
    ['${UNSET_VAR?bar-baz}', 'required variable UNSET_VAR is missing a value: bar-baz'],
  ])('%j fails: %j', (input, message) => {
    expect(err(input)).toBe(message);
  });
});

// Beyond compose-go's own tests: what its pattern (`\$(?:\$|NAME|\{NAME(:?[-+?](.*))?\}|)`, greedy to
// the line's last `}`, then cut at the first balanced `}`) does with shell text and braces.
describe('compose-go pattern semantics', () => {
  const vars: Record<string, string> = { JSON: '{"b":2}', SET: 'v', EMPTY: '' };
  const look = (n: string): string | undefined => (Object.hasOwn(vars, n) ? vars[n] : undefined);

  it.each([
    // a $ not followed by a name, `{` or `$` stays
    ['$(hostname)', '$(hostname)'],
    ["awk '{print $1}'", "awk '{print $1}'"],
    ['exit $?', 'exit $?'],
    ['costs 5$ only', 'costs 5$ only'],
    ['$ 5', '$ 5'],
    ['a$-b$@c$*d$#', 'a$-b$@c$*d$#'],
    ['$$$', '$$'],
    ['sh -c "echo $$HOME $(id -u)"', 'sh -c "echo $HOME $(id -u)"'],
    // defaults holding braces
    ['${JSON:-{"a":1}}', '{"b":2}'],
    ['${NOPE:-{"a":1}}', '{"a":1}'],
    ['${NOPE:-{"a":{"b":1}}} tail', '{"a":{"b":1}} tail'],
    ['${SET:-{}}x', 'vx'],
    ['${SET:-a} }', 'v }'],
    ['${NOPE:-a}${SET}${NOPE-b}', 'avb'],
    // nesting and the other operators
    ['${A:-${B:-c}}', 'c'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}|${EMPTY+alt}', '|alt'],
    ['${SET?err}', 'v'],
    ['${EMPTY?err}', ''],
    // lowercase names are names too
    ['$set ${set:-low}', ' low'],
    // each line stands alone
    ['${NOPE:-a}\n${NOPE:-b}}', 'a\nb}'],
  ])('%j → %j', (input, want) => {
    expect(interpolate(input, look)).toMatchObject({ ok: true, value: want });
  });

  it('does not warn about a variable an operator handles', () => {
    expect(interpolate('${U1:-x}${U2+y}${U3-z}$U4${U5}', look).unset).toEqual(['U4', 'U5']);
  });

  it('never echoes the value in an error', () => {
    const r = interpolate('hunter2${ oops}', look);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).not.toContain('hunter2');
  });

  it('stays linear on a long hostile line', () => {
    const line = '${A:-x}'.repeat(50_000) + '${B:-' + '{'.repeat(20_000);
    const t = Date.now();
    interpolate(line, look);
    expect(Date.now() - t).toBeLessThan(2000);
  });
});

describe('interpolateTree', () => {
  it('interpolates string values, never keys, with paths for events', () => {
    const errors: unknown[] = [];
    const unset: unknown[] = [];
    const out = interpolateTree({ $NAME: ['${NAME}', 1, true, null, { k: '${U}' }], bad: '${' }, lookup, {
      onError: (path, message) => errors.push([path, message]),
      onUnset: (path, name) => unset.push([path, name]),
    });
    expect(out).toEqual({ $NAME: ['web', 1, true, null, { k: '' }], bad: '${' });
    expect(unset).toEqual([[['$NAME', 4, 'k'], 'U']]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as unknown[])[0]).toEqual(['bad']);
  });
});
