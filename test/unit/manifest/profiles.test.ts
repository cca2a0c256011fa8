// `profiles:` as Compose selects them (compose-go's HasProfile / WithProfiles behaviours).
import { describe, expect, it } from 'vitest';
import { activeProfiles, isActive } from '../../../src/manifest/profiles.js';
import { DIR, loadErrors, loadOk } from './compose-helpers.js';

const A = `${DIR}/compose.yaml`;

describe('isActive', () => {
  const cases: Array<[profiles: string[], active: string[], expected: boolean]> = [
    [[], [], true],
    [[], ['debug'], true],
    [['debug'], [], false],
    [['debug'], ['debug'], true],
    [['debug', 'test'], ['test'], true],
    [['debug'], ['test'], false],
    [['debug'], ['*'], true],
    [['debug'], ['other', '*'], true],
  ];
  it.each(cases)('profiles %j with %j active: %s', (profiles, active, expected) => {
    expect(isActive(profiles, active)).toBe(expected);
  });
});

describe('activeProfiles', () => {
  const env = (e: Record<string, string>) => (n: string) => e[n];
  const cases: Array<[name: string, flags: string[] | undefined, e: Record<string, string>, expected: string[]]> = [
    ['none', undefined, {}, []],
    ['COMPOSE_PROFILES, comma-separated', undefined, { COMPOSE_PROFILES: 'a, b,,a' }, ['a', 'b']],
    ['DOM0_PROFILES wins over COMPOSE_PROFILES', undefined, { COMPOSE_PROFILES: 'a', DOM0_PROFILES: 'b' }, ['b']],
    ['--profile wins over both', ['c', 'd'], { COMPOSE_PROFILES: 'a', DOM0_PROFILES: 'b' }, ['c', 'd']],
    ['--profile takes a comma list too', ['c,d'], {}, ['c', 'd']],
    ['no --profile given: the environment', [], { COMPOSE_PROFILES: 'a' }, ['a']],
  ];
  it.each(cases)('%s', (_name, flags, e, expected) => {
    expect(activeProfiles(flags, env(e))).toEqual(expected);
  });
});

describe('profiles in a manifest', () => {
  const yaml = [
    'services:',
    '  web: {image: busybox}',
    '  debug: {image: busybox, profiles: [debug]}',
    '  admin: {image: busybox, profiles: [admin, debug]}',
    'jobs:',
    '  seed: {image: busybox, profiles: [test]}',
  ].join('\n');

  const cases: Array<[name: string, profiles: string[] | undefined, env: Record<string, string>, services: string[], jobs: string[], disabled: string[] | undefined]> = [
    ['no profile: only entries without profiles', undefined, {}, ['web'], [], ['admin', 'debug', 'seed']],
    ['--profile debug', ['debug'], {}, ['admin', 'debug', 'web'], [], ['seed']],
    ['--profile admin', ['admin'], {}, ['admin', 'web'], [], ['debug', 'seed']],
    ['COMPOSE_PROFILES=test', undefined, { COMPOSE_PROFILES: 'test' }, ['web'], ['seed'], ['admin', 'debug']],
    ['*: everything', ['*'], {}, ['admin', 'debug', 'web'], ['seed'], undefined],
  ];
  it.each(cases)('%s', (_name, profiles, env, services, jobs, disabled) => {
    const m = loadOk({ [A]: yaml }, [A], { env, ...(profiles ? { profiles } : {}) });
    expect(m.services.map((s) => s.name)).toEqual(services);
    expect(m.jobs.map((s) => s.name)).toEqual(jobs);
    expect(m.disabled).toEqual(disabled);
  });

  it('COMPOSE_PROFILES may come from .env', () => {
    const m = loadOk({ [A]: yaml, [`${DIR}/.env`]: 'COMPOSE_PROFILES=debug\n' }, [A]);
    expect(m.services.map((s) => s.name)).toEqual(['admin', 'debug', 'web']);
  });

  it('an inactive entry is not validated beyond its profiles', () => {
    const m = loadOk({ [A]: 'services:\n  web: {image: busybox}\n  dbg: {image: busybox, profiles: [debug], restart: sometimes}\n' }, [A]);
    expect(m.disabled).toEqual(['dbg']);
  });
});

describe('dependencies on inactive entries', () => {
  it('a required dependency is an error naming the profile', () => {
    expect(loadErrors({ [A]: 'services:\n  web: {image: busybox, depends_on: [db]}\n  db: {image: busybox, profiles: [data]}\n' }, [A])).toEqual([
      `${A}:2:38: web depends on "db", which is not part of this run (its profile data is not active): activate one with --profile data, or declare the dependency \`required: false\``,
    ]);
  });

  it('required: false drops the dependency', () => {
    const m = loadOk({ [A]: 'services:\n  web: {image: busybox, depends_on: {db: {condition: service_started, required: false}}}\n  db: {image: busybox, profiles: [data]}\n' }, [A]);
    expect(m.services.map((s) => s.name)).toEqual(['web']);
    expect(m.services[0]!.dependsOn).toEqual([]);
  });

  it('activating the profile makes it fine', () => {
    const m = loadOk({ [A]: 'services:\n  web: {image: busybox, depends_on: [db]}\n  db: {image: busybox, profiles: [data]}\n' }, [A], { profiles: ['data'] });
    expect(m.services.map((s) => s.name)).toEqual(['db', 'web']);
  });
});

describe('profiles errors', () => {
  const cases: Array<[name: string, yaml: string, error: string]> = [
    ['not a list', 'services:\n  web: {image: busybox, profiles: debug}\n', `${A}:2:35: profiles must be a list of profile names`],
    ['an invalid name', 'services:\n  web: {image: busybox, profiles: [-x]}\n', `${A}:2:35: invalid profile name "-x"`],
  ];
  it.each(cases)('%s', (_name, yaml, error) => {
    const errs = loadErrors({ [A]: yaml }, [A]);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain(error);
  });
});

describe('profiles with several files', () => {
  it('an override file may give an entry profiles', () => {
    const m = loadOk({ [A]: 'services:\n  web: {image: busybox}\n  dbg: {image: busybox}\n', [`${DIR}/b.yaml`]: 'services:\n  dbg: {profiles: [debug]}\n' });
    expect(m.services.map((s) => s.name)).toEqual(['web']);
    expect(m.disabled).toEqual(['dbg']);
  });
});
