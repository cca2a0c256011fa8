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

  it.each([['${'], ['${NAME'], ['${}'], ['${1abc}'], ['${NAME!}'], ['${NAME:}'], ['costs 5$'], ['$ 5'], ['$1']])('rejects %j', (input) => {
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
