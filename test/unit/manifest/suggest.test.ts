import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance, withSuggestionBudget } from '../../../src/manifest/suggest.js';

describe('editDistance', () => {
  it.each([
    ['image', 'image', 0],
    ['imag', 'image', 1],
    ['imagee', 'image', 1],
    ['imgae', 'image', 1], // transposition counts once
    ['servics', 'services', 1],
    ['intervall', 'interval', 1],
    ['conditon', 'condition', 1],
    ['drivr', 'driver', 1],
    ['extrenal', 'external', 1],
    ['abc', 'xyz', Infinity],
    ['ports', 'volumes', Infinity],
  ])('%s ↔ %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it('gives up on very long words instead of going quadratic', () => {
    expect(editDistance('a'.repeat(10_000), `${'a'.repeat(9_999)}b`)).toBe(Infinity);
  });
});

describe('closest / didYouMean', () => {
  const keys = ['image', 'command', 'entrypoint', 'environment', 'ports', 'restart', 'depends_on'];
  it.each([
    ['imgae', 'image'],
    ['comand', 'command'],
    ['enviroment', 'environment'],
    ['port', 'ports'],
    ['restrat', 'restart'],
    ['depends-on', 'depends_on'],
    ['dependson', 'depends_on'],
    ['zzz', undefined],
    ['build', undefined],
  ])('%s → %s', (word, hint) => {
    expect(closest(word, keys)).toBe(hint);
  });

  it('breaks ties alphabetically', () => {
    expect(closest('ab', ['ac', 'aa'])).toBe('aa');
  });

  it('formats a hint or nothing', () => {
    expect(didYouMean('imgae', keys)).toBe(' (did you mean `image`?)');
    expect(didYouMean('xyz', keys)).toBe('');
  });

  it('stops suggesting when the per-load budget is spent', () => {
    expect(withSuggestionBudget(0, () => closest('imgae', keys))).toBeUndefined();
    expect(closest('imgae', keys)).toBe('image');
  });
});
