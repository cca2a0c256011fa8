// A manifest entry as a Swarm ServiceSpec: table cases per mapped key.
import { describe, expect, it } from 'vitest';
import { desiredService, secretName, serviceName } from '../../../src/reconcile/swarm/service-spec.js';
import { loadOk } from '../manifest/helpers.js';

const head = 'name: sw\ntarget: swarm\n';

function spec(body: string, entry = 'app') {
  const { manifest } = loadOk(head + body, { env: { TOKEN: 'hunter2-secret' } });
  const e = [...manifest.jobs, ...manifest.services].find((x) => x.name === entry)!;
  return desiredService(manifest, e);
}
const svc = (extra: string) => spec(`services:\n  app:\n    image: busybox:latest\n${extra}`);
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const task = (d: { spec: J }) => d.spec.TaskTemplate as J;
const cs = (d: { spec: J }) => task(d).ContainerSpec as J;

describe('service spec mapping', () => {
  it.each<[string, string, (d: ReturnType<typeof spec>) => unknown, unknown]>([
    ['name', '', (d) => d.spec.Name, 'sw_app'],
    ['image', '', (d) => cs(d).Image, 'busybox:latest'],
    ['command → Args', '    command: ["sleep", "5"]\n', (d) => cs(d).Args, ['sleep', '5']],
    ['entrypoint → Command', '    entrypoint: ["/bin/sh", "-c"]\n', (d) => cs(d).Command, ['/bin/sh', '-c']],
    ['environment (sorted)', '    environment: {B: "2", A: "1"}\n', (d) => cs(d).Env, ['A=1', 'B=2']],
    ['labels carry the fleet', '    labels: {x: y}\n', (d) => [cs(d).Labels.x, cs(d).Labels['io.dom0.fleet'], cs(d).Labels['io.dom0.name']], ['y', 'sw', 'app']],
    ['replicas default 1', '', (d) => d.spec.Mode, { Replicated: { Replicas: 1 } }],
    ['deploy.replicas', '    deploy: {replicas: 3}\n', (d) => d.spec.Mode, { Replicated: { Replicas: 3 } }],
    ['deploy.mode global', '    deploy: {mode: global}\n', (d) => d.spec.Mode, { Global: {} }],
    ['placement constraints', '    deploy: {placement: {constraints: ["node.role==manager"]}}\n', (d) => task(d).Placement, { Constraints: ['node.role==manager'] }],
    ['resources', '    deploy: {resources: {limits: {cpus: "0.5", memory: 64m}, reservations: {memory: 32m}}}\n', (d) => task(d).Resources, { Limits: { NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024 }, Reservations: { MemoryBytes: 32 * 1024 * 1024 } }],
    ['healthcheck in ns', '    healthcheck: {test: ["CMD", "true"], interval: 2s, timeout: 1s, retries: 3, start_period: 5s}\n', (d) => cs(d).Healthcheck, { Test: ['CMD', 'true'], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 5e9 }],
    ['update_config default: roll back on failure', '', (d) => d.spec.UpdateConfig, { Parallelism: 1, FailureAction: 'rollback', Monitor: 5e9, Order: 'stop-first' }],
    ['update_config from deploy', '    deploy: {update_config: {parallelism: 2, delay: 1s, order: start-first}}\n', (d) => d.spec.UpdateConfig, { Parallelism: 2, Delay: 1e9, FailureAction: 'rollback', Monitor: 5e9, Order: 'start-first' }],
    ['rollback_config from deploy', '    deploy: {rollback_config: {parallelism: 0, failure_action: continue}}\n', (d) => d.spec.RollbackConfig, { Parallelism: 0, FailureAction: 'continue', Order: 'stop-first' }],
    ['ports: ingress', '    ports: ["8080:80", "53:53/udp"]\n', (d) => (d.spec.EndpointSpec as J).Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }, { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' }]],
    ['restart no → none', '    restart: "no"\n', (d) => task(d).RestartPolicy, { Condition: 'none' }],
    ['restart on-failure:3', '    restart: on-failure:3\n', (d) => task(d).RestartPolicy, { Condition: 'on-failure', MaxAttempts: 3 }],
    ['restart always → any', '    restart: always\n', (d) => task(d).RestartPolicy, { Condition: 'any' }],
    ['default network, aliased by entry', '', (d) => task(d).Networks, [{ Target: 'sw', Aliases: ['app'] }]],
    ['deploy.labels on the service', '    deploy: {labels: {team: a}}\n', (d) => d.spec.Labels.team, 'a'],
  ])('%s', (_n, extra, pick, want) => {
    expect(pick(svc(extra))).toEqual(want);
  });

  it('a named volume mounts by its engine name, with the fleet labels', () => {
    const d = spec('volumes:\n  data: {}\nservices:\n  app:\n    image: busybox\n    volumes: ["data:/data:ro"]\n');
    expect(cs(d).Mounts[0]).toMatchObject({ Type: 'volume', Source: 'sw_data', Target: '/data', ReadOnly: true, VolumeOptions: { Labels: { 'io.dom0.fleet': 'sw', 'io.dom0.volume': 'data' } } });
  });

  it('a volume container becomes named volumes, one per path, mounted where its paths were', () => {
    const d = spec('volume_containers:\n  store: {image: busybox, paths: [/srv, /etc/x]}\nservices:\n  app:\n    image: busybox\n    volumes_from: ["store:ro"]\n');
    const m = cs(d).Mounts as J[];
    expect(m.map((x) => [x.Type, x.Target, x.ReadOnly, /^sw_store_[0-9a-f]{12}$/.test(x.Source)])).toEqual([
      ['volume', '/srv', true, true],
      ['volume', '/etc/x', true, true],
    ]);
  });

  it('an anonymous volume becomes a named one (an update would leave a per-task volume behind)', () => {
    const d = svc('    volumes: ["/cache"]\n');
    expect(cs(d).Mounts[0]).toMatchObject({ Type: 'volume', Target: '/cache' });
    expect(cs(d).Mounts[0].Source).toMatch(/^sw_app_[0-9a-f]{12}$/);
  });

  it('a job is a replicated job, run once, with no update config', () => {
    const d = spec('jobs:\n  app:\n    image: busybox\n    command: ["true"]\n');
    expect(d.spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(d.spec.UpdateConfig).toBeUndefined();
    expect(task(d).RestartPolicy).toEqual({ Condition: 'none' });
  });

  it('a secret from the environment is a versioned Swarm secret; its value is in no label', () => {
    const d = spec('secrets:\n  token: {environment: TOKEN}\nservices:\n  app:\n    image: busybox\n    secrets: [token]\n');
    expect(d.secrets).toHaveLength(1);
    expect(d.secrets[0]!.name).toBe(secretName('sw', '/run/secrets/token', d.secrets[0]!.digest));
    expect(cs(d).Secrets[0]).toMatchObject({ File: { Name: '/run/secrets/token', UID: '0', GID: '0', Mode: 0o444 }, SecretName: d.secrets[0]!.name });
    expect(JSON.stringify(d.spec.Labels)).not.toContain('hunter2');
  });

  it('environment values never appear in the labels (digests only)', () => {
    expect(JSON.stringify(svc('    environment: {PASSWORD: hunter2-in-env}\n').spec.Labels)).not.toContain('hunter2');
  });

  const baseFields: Record<string, string> = { image: 'busybox:latest', command: '["sleep", "5"]', environment: '{A: "1"}' };
  const yamlOf = (f: Record<string, string>) => `services:\n  app:\n${Object.entries(f).map(([k, v]) => `    ${k}: ${v}\n`).join('')}`;
  it.each([
    ['image', { image: 'busybox:1.36' }],
    ['command', { command: '["sleep", "9"]' }],
    ['environment', { environment: '{A: "2"}' }],
    ['replicas', { deploy: '{replicas: 2}' }],
    ['healthcheck', { healthcheck: '{test: ["CMD", "false"]}' }],
  ])('changing %s changes the hash and only that field group', (field, change) => {
    const base = spec(yamlOf(baseFields));
    const changed = spec(yamlOf({ ...baseFields, ...change }));
    expect(changed.hash).not.toBe(base.hash);
    const diff = Object.keys({ ...base.fields, ...changed.fields }).filter((k) => base.fields[k] !== changed.fields[k]);
    expect(diff).toEqual([field]);
  });

  it('the same entry gives the same hash (stable)', () => {
    expect(svc('    command: ["x"]\n').hash).toBe(svc('    command: ["x"]\n').hash);
    expect(serviceName('sw', 'app')).toBe('sw_app');
  });
});
