// `extends:` as compose-go resolves it (behaviours of its extends tests, as table cases).
import { describe, expect, it } from 'vitest';
import { compose, DIR, loadErrors, loadOk } from './compose-helpers.js';

const A = `${DIR}/compose.yaml`;
const services = (t: Record<string, unknown>) => t.services as Record<string, Record<string, unknown>>;

describe('extends in the same file', () => {
  const cases: Array<[name: string, yaml: string, service: string, expected: Record<string, unknown>]> = [
    [
      'inherits what the service does not set',
      'services:\n  base: {image: busybox, restart: always, environment: [A=1]}\n  web: {extends: base, environment: [B=2]}\n',
      'web',
      { image: 'busybox', restart: 'always', environment: ['A=1', 'B=2'] },
    ],
    ['the long form {service}', 'services:\n  base: {image: busybox}\n  web: {extends: {service: base}, user: nobody}\n', 'web', { image: 'busybox', user: 'nobody' }],
    ['the service wins for a scalar', 'services:\n  base: {image: busybox, user: root}\n  web: {extends: base, user: nobody}\n', 'web', { image: 'busybox', user: 'nobody' }],
    ['command replaces', 'services:\n  base: {image: busybox, command: [a, b]}\n  web: {extends: base, command: [c]}\n', 'web', { image: 'busybox', command: ['c'] }],
    [
      'depends_on and volumes_from are not inherited',
      'services:\n  db: {image: busybox}\n  base: {image: busybox, depends_on: [db], volumes_from: [db], ports: ["80:80"]}\n  web: {extends: base}\n',
      'web',
      { image: 'busybox', ports: ['80:80'] },
    ],
    [
      'recursively',
      'services:\n  a0: {image: busybox, labels: {a: "1"}}\n  a1: {extends: a0, labels: {b: "2"}}\n  a2: {extends: a1, labels: {c: "3"}}\n',
      'a2',
      { image: 'busybox', labels: ['a=1', 'b=2', 'c=3'] },
    ],
    [
      'a base declared after the service',
      'services:\n  web: {extends: base, user: nobody}\n  base: {image: busybox}\n',
      'web',
      { image: 'busybox', user: 'nobody' },
    ],
    ['!reset drops an inherited value', 'services:\n  base: {image: busybox, ports: ["80:80"]}\n  web:\n    extends: base\n    ports: !reset []\n', 'web', { image: 'busybox' }],
    ['!override replaces an inherited value', 'services:\n  base: {image: busybox, ports: ["80:80"]}\n  web:\n    extends: base\n    ports: !override ["81:81"]\n', 'web', { image: 'busybox', ports: ['81:81'] }],
    ['a job extends a service', 'services:\n  app: {image: busybox, environment: [A=1]}\njobs:\n  migrate: {extends: app, command: [migrate]}\n', 'migrate', { image: 'busybox', environment: ['A=1'], command: ['migrate'] }],
  ];
  it.each(cases)('%s', (_name, yaml, name, expected) => {
    const r = compose({ [A]: yaml });
    expect(r.errors).toEqual([]);
    const section = name === 'migrate' ? (r.value.jobs as Record<string, unknown>) : services(r.value);
    expect(section[name]).toEqual(expected);
  });

  it('leaves the base itself as it was', () => {
    const r = compose({ [A]: 'services:\n  base: {image: busybox, environment: [A=1]}\n  web: {extends: base, environment: [B=2]}\n' });
    expect(services(r.value).base).toEqual({ image: 'busybox', environment: ['A=1'] });
  });
});

describe('extends from another file', () => {
  it('reads the base there; its relative paths name places beside that file', () => {
    const r = compose({
      [A]: 'services:\n  web:\n    extends: {file: common/base.yaml, service: app}\n    environment: [B=2]\n',
      [`${DIR}/common/base.yaml`]: 'services:\n  app:\n    image: busybox\n    env_file: app.env\n    volumes: ["./data:/data", "named:/named"]\n    environment: [A=1]\n',
    }, [A]);
    expect(r.errors).toEqual([]);
    expect(services(r.value).web).toEqual({
      image: 'busybox',
      env_file: `${DIR}/common/app.env`,
      volumes: [`${DIR}/common/data:/data`, 'named:/named'],
      environment: ['A=1', 'B=2'],
    });
  });

  it('the other file’s own extends are resolved there', () => {
    const r = compose({
      [A]: 'services:\n  web: {extends: {file: b.yaml, service: app}}\n',
      [`${DIR}/b.yaml`]: 'services:\n  root: {image: busybox}\n  app: {extends: root, user: nobody}\n',
    }, [A]);
    expect(r.errors).toEqual([]);
    expect(services(r.value).web).toEqual({ image: 'busybox', user: 'nobody' });
  });

  it('a missing file is an error at `file`', () => {
    const r = compose({ [A]: 'services:\n  web: {extends: {file: nope.yaml, service: app}}\n' }, [A]);
    expect(r.errors).toEqual([`${A}:2:25: cannot read ${DIR}/nope.yaml: no such file`]);
  });
});

describe('extends errors', () => {
  const cases: Array<[name: string, yaml: string, errors: string[]]> = [
    ['an unknown base', 'services:\n  web: {extends: nope}\n', [`${A}:2:18: web extends "nope", which is not defined`]],
    ['a cycle of two', 'services:\n  a1: {image: busybox, extends: a2}\n  a2: {extends: a1}\n', [`${A}:2:33: extends cycle: a1 → a2 → a1`]],
    ['a service extending itself', 'services:\n  web: {image: busybox, extends: web}\n', [`${A}:2:34: extends cycle: web → web`]],
    ['a number', 'services:\n  web: {image: busybox, extends: 3}\n', [`${A}:2:34: extends must be a service name or a mapping with \`service\` (and optionally \`file\`)`]],
  ];
  it.each(cases)('%s', (_name, yaml, errors) => {
    expect(compose({ [A]: yaml }).errors).toEqual(errors);
  });

  it('a cycle across files', () => {
    const r = compose({
      [A]: 'services:\n  web: {extends: {file: b.yaml, service: app}}\n',
      [`${DIR}/b.yaml`]: 'services:\n  app: {extends: {file: compose.yaml, service: web}}\n',
    }, [A]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^\/srv\/app\/compose\.yaml:2:18: extends cycle: web .*→ app \(\/srv\/app\/b\.yaml\) → web$/);
  });
});

describe('extends through the whole load', () => {
  it('a value inherited from the base is reported at the base', () => {
    const errs = loadErrors({ [A]: 'services:\n  base:\n    image: busybox\n    restart: sometimes\n  web:\n    extends: base\n' });
    // Reported once for the base and once for web: the same place, deduplicated.
    expect(errs).toEqual([`${A}:4:14: invalid restart policy "sometimes": expected no, always, unless-stopped or on-failure[:N]`]);
  });

  it('loads into a manifest', () => {
    const m = loadOk({ [A]: 'services:\n  base: {image: busybox, environment: {A: "1"}}\n  web: {extends: base, environment: {B: "2"}}\n' });
    expect(m.services.find((s) => s.name === 'web')!.environment).toEqual({ A: '1', B: '2' });
  });
});
