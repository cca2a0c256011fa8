import { describe, expect, it } from 'vitest';
import { fleetName, fleetNameFromDir, fleetOverride, invalidFleetName, normalizeFleetName } from '../../../src/manifest/fleet-name.js';

describe('normalizeFleetName (compose-go NormalizeProjectName)', () => {
  it.each([
    ['fleet', 'fleet'],
    ['My Fleet', 'myfleet'],
    ['my.app', 'myapp'],
    ['web_01-prod', 'web_01-prod'],
    ['__-x', 'x'],
    ['-_9lives', '9lives'],
    ['.hidden', 'hidden'],
    ['Ünïcödé', 'ncd'],
    ['___', ''],
    ['', ''],
    ['a_-', 'a_-'],
  ])('%j → %j', (raw, want) => {
    expect(normalizeFleetName(raw)).toBe(want);
  });
});

describe('fleetNameFromDir', () => {
  it.each([
    ['/srv/fleet', 'fleet'],
    ['/etc/dom0', 'dom0'],
    ['/home/Ann/My Project', 'myproject'],
    ['/srv/fleet/', 'fleet'],
    ['/', 'dom0'],
    ['/srv/...', 'dom0'],
    ['/tmp/dom0-XyZ123', 'dom0-xyz123'],
  ])('%j → %j', (dir, want) => {
    expect(fleetNameFromDir(dir)).toBe(want);
  });
});

describe('fleetName precedence: --fleet > $DOM0_FLEET > name: > directory', () => {
  it.each([
    [{ flag: 'a', env: 'b', manifest: 'c', hostDir: '/srv/d' }, 'a'],
    [{ env: 'b', manifest: 'c', hostDir: '/srv/d' }, 'b'],
    [{ flag: '', env: 'b', manifest: 'c', hostDir: '/srv/d' }, 'b'],
    [{ manifest: 'c', hostDir: '/srv/d' }, 'c'],
    [{ env: '', manifest: 'c', hostDir: '/srv/d' }, 'c'],
    [{ hostDir: '/srv/d' }, 'd'],
    [{ hostDir: '/' }, 'dom0'],
  ])('%j → %j', (s, want) => {
    expect(fleetName(s)).toBe(want);
  });
});

describe('explicit names are validated like name:', () => {
  it.each(['fleet', 'a.b', 'x_y-z', '9'])('%j is valid', (n) => expect(invalidFleetName(n)).toBeUndefined());
  it.each(['My', '-x', '.x', 'a b', 'a/b', ''])('%j is invalid', (n) => expect(invalidFleetName(n)).toMatch(/invalid fleet name/));

  it.each([
    [undefined, undefined, { ok: true }],
    ['', '', { ok: true }],
    ['prod', 'ignored', { ok: true, name: 'prod' }],
    [undefined, 'staging', { ok: true, name: 'staging' }],
  ] as const)('--fleet %j, DOM0_FLEET %j → %j', (flag, env, want) => {
    expect(fleetOverride(flag, env)).toEqual(want);
  });

  it('names the source of a bad name', () => {
    expect(fleetOverride('Bad', undefined)).toMatchObject({ ok: false, error: expect.stringMatching(/^--fleet: invalid fleet name "Bad"/) });
    expect(fleetOverride(undefined, 'a b')).toMatchObject({ ok: false, error: expect.stringMatching(/^DOM0_FLEET: invalid fleet name "a b"/) });
  });
});
