// Top-level `include:` as compose-go does it (behaviours of its include tests).
import { describe, expect, it } from 'vitest';
import { compose, DIR, loadErrors, loadOk } from './compose-helpers.js';

const A = `${DIR}/compose.yaml`;
const LIB = `${DIR}/lib/compose.yaml`;
const services = (t: Record<string, unknown>) => t.services as Record<string, Record<string, unknown>>;

describe('include', () => {
  it('adds the included services and resources; relative paths resolve beside the included file', () => {
    const r = compose({
      [A]: 'include:\n  - lib/compose.yaml\nservices:\n  web: {image: busybox, depends_on: [db]}\n',
      [LIB]: 'services:\n  db:\n    image: busybox\n    volumes: ["./data:/data", "dbdata:/var/lib"]\n    env_file: db.env\nvolumes:\n  dbdata: {}\nsecrets:\n  pw: {file: ./pw.txt}\n',
    }, [A]);
    expect(r.errors).toEqual([]);
    expect(Object.keys(services(r.value))).toEqual(['web', 'db']);
    expect(services(r.value).db).toEqual({ image: 'busybox', volumes: [`${DIR}/lib/data:/data`, 'dbdata:/var/lib'], env_file: `${DIR}/lib/db.env` });
    expect(r.value.volumes).toEqual({ dbdata: {} });
    expect(r.value.secrets).toEqual({ pw: { file: `${DIR}/lib/pw.txt` } });
    expect(r.value.include).toBeUndefined();
  });

  it('the included project interpolates with its own .env, the process environment first', () => {
    const r = compose(
      {
        [A]: 'include:\n  - lib/compose.yaml\n',
        [LIB]: 'services:\n  db: {image: "${IMG}", user: "${WHO}"}\n',
        [`${DIR}/lib/.env`]: 'IMG=postgres\nWHO=lib\n',
      },
      [A],
      { WHO: 'process' },
    );
    expect(r.errors).toEqual([]);
    expect(services(r.value).db).toEqual({ image: 'postgres', user: 'process' });
  });

  it('the long form: several paths merged, project_directory and env_file', () => {
    const r = compose(
      {
        [A]: 'include:\n  - path: [lib/compose.yaml, lib/override.yaml]\n    project_directory: shared\n    env_file: lib/custom.env\n',
        [LIB]: 'services:\n  db: {image: "${IMG}", volumes: ["./d:/d"]}\n',
        [`${DIR}/lib/override.yaml`]: 'services:\n  db: {user: nobody}\n',
        [`${DIR}/lib/custom.env`]: 'IMG=custom\n',
      },
      [A],
    );
    expect(r.errors).toEqual([]);
    expect(services(r.value).db).toEqual({ image: 'custom', volumes: [`${DIR}/shared/d:/d`], user: 'nobody' });
  });

  it('includes nest', () => {
    const r = compose({ [A]: 'include: [lib/compose.yaml]\n', [LIB]: 'include: [inner.yaml]\nservices:\n  db: {image: busybox}\n', [`${DIR}/lib/inner.yaml`]: 'services:\n  cache: {image: busybox}\n' }, [A]);
    expect(r.errors).toEqual([]);
    expect(Object.keys(services(r.value)).sort()).toEqual(['cache', 'db']);
  });

  it('an identical definition in both is no conflict', () => {
    const r = compose({ [A]: 'include: [lib/compose.yaml]\nnetworks:\n  back: {}\n', [LIB]: 'networks:\n  back: {}\nservices:\n  db: {image: busybox}\n' }, [A]);
    expect(r.errors).toEqual([]);
  });
});

describe('include errors', () => {
  const cases: Array<[name: string, files: Record<string, string>, errors: string[]]> = [
    [
      'a service defined in both files, naming both',
      { [A]: 'include:\n  - lib/compose.yaml\nservices:\n  db: {image: busybox}\n', [LIB]: 'services:\n  db: {image: postgres}\n' },
      [`${A}:4:3: service "db" is defined here and in the included file (${LIB}:2:3); rename one of them`],
    ],
    ['a missing file', { [A]: 'include:\n  - nope.yaml\n' }, [`${A}:2:5: cannot read included file ${DIR}/nope.yaml: no such file`]],
    ['a cycle', { [A]: 'include: [lib/compose.yaml]\n', [LIB]: 'include: [../compose.yaml]\n' }, [`${LIB}:1:11: include cycle: ${A} → ${LIB} → ${A}`]],
    ['not a list', { [A]: 'include: lib/compose.yaml\n' }, [`${A}:1:10: include must be a list of paths or of mappings with \`path\``]],
    ['an unknown key', { [A]: 'include:\n  - {path: lib/compose.yaml, bogus: 1}\n' }, [`${A}:2:5: unknown key \`bogus\` in include (expected path, project_directory, env_file)`]],
  ];
  it.each(cases)('%s', (_name, files, errors) => {
    expect(compose(files, [A]).errors).toEqual(errors);
  });
});

describe('include through the whole load', () => {
  it('an invalid value of the included file is reported in that file', () => {
    expect(loadErrors({ [A]: 'include: [lib/compose.yaml]\nservices:\n  web: {image: busybox}\n', [LIB]: 'services:\n  db:\n    image: busybox\n    restart: sometimes\n' }, [A])).toEqual([
      `${LIB}:4:14: invalid restart policy "sometimes": expected no, always, unless-stopped or on-failure[:N]`,
    ]);
  });

  it('a bind of the included file resolves beside it; the fleet is still the including file’s', () => {
    const m = loadOk({ [A]: 'include: [lib/compose.yaml]\n', [LIB]: 'services:\n  db: {image: busybox, volumes: ["./data:/data"]}\n' }, [A]);
    expect(m.name).toBe('app');
    expect(m.origin).toBe(A);
    expect(m.services[0]!.volumes).toEqual([expect.objectContaining({ type: 'bind', source: `${DIR}/lib/data`, target: '/data' })]);
  });
});
