// deploy.endpoint_mode → EndpointSpec.Mode, and long-syntax port `mode:` → EndpointSpec.Ports[].PublishMode,
// as `docker stack deploy` maps them; dnsrr with a port on the ingress mesh (which Swarm refuses)
// is an error at the key, before the engine is touched; one host keeps rejecting `mode: ingress`.
import { describe, expect, it } from 'vitest';
import type { ServiceInfo } from '../../../src/engine/swarm-engine.js';
import { loadManifestText } from '../../../src/manifest/load.js';
import type { Manifest } from '../../../src/manifest/types.js';
import type { ObservedSwarm } from '../../../src/reconcile/swarm/observe-swarm.js';
import { planSwarm } from '../../../src/reconcile/swarm/plan-swarm.js';
import { desiredService } from '../../../src/reconcile/swarm/service-spec.js';
import { FILE, loadErrors, loadOk } from '../manifest/helpers.js';

const head = 'name: sw\ntarget: swarm\n';
const app = (extra: string) => `services:\n  app:\n    image: busybox:latest\n${extra}`;
type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function desired(yaml: string) {
  const m = loadOk(yaml).manifest;
  return desiredService(m, m.services[0]!);
}
const endpoint = (extra: string) => desired(head + app(extra)).spec.EndpointSpec as J;

describe('EndpointSpec mapping', () => {
  it.each<[string, string, unknown]>([
    ['no ports, no endpoint_mode: vip', '', { Mode: 'vip', Ports: [] }],
    ['endpoint_mode vip', '    deploy: {endpoint_mode: vip}\n', { Mode: 'vip', Ports: [] }],
    ['endpoint_mode dnsrr', '    deploy: {endpoint_mode: dnsrr}\n', { Mode: 'dnsrr', Ports: [] }],
    ['endpoint_mode DNSRR (any case, as docker stack deploy lowercases it)', '    deploy: {endpoint_mode: DNSRR}\n', { Mode: 'dnsrr', Ports: [] }],
    ['short syntax: ingress', '    ports: ["8080:80"]\n', { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] }],
    ['long syntax without mode: ingress', '    ports: [{target: 80, published: 8080}]\n', { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] }],
    ['long syntax mode ingress', '    ports: [{target: 80, published: 8080, mode: ingress}]\n', { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] }],
    ['long syntax mode host', '    ports: [{target: 80, published: 8080, mode: host}]\n', { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] }],
    ['host mode, no published port (the node picks one)', '    ports: [{target: 80, mode: host, protocol: udp}]\n', { Mode: 'vip', Ports: [{ Protocol: 'udp', TargetPort: 80, PublishMode: 'host' }] }],
    [
      'mixed, in order; a short-syntax range is ingress per port',
      '    ports:\n      - "9000-9001:90-91"\n      - {target: 81, published: 8081, mode: host}\n      - {target: 53, published: 53, protocol: udp, mode: ingress}\n',
      { Mode: 'vip', Ports: [
        { Protocol: 'tcp', TargetPort: 90, PublishedPort: 9000, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 91, PublishedPort: 9001, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'host' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
      ] },
    ],
    ['dnsrr with host-mode ports only', '    ports: [{target: 80, published: 8080, mode: host}]\n    deploy: {endpoint_mode: dnsrr}\n', { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] }],
  ])('%s', (_n, extra, want) => {
    expect(endpoint(extra)).toEqual(want);
  });

  it('a job takes endpoint_mode too', () => {
    const m = loadOk(head + 'jobs:\n  once:\n    image: busybox:latest\n    deploy: {endpoint_mode: dnsrr}\n').manifest;
    expect(desiredService(m, m.jobs[0]!).spec.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: [] });
  });

  it('the read settings: endpointMode and ports with modes; unset when not written', () => {
    const m = loadOk(head + app('    ports: ["80", {target: 81, mode: host}]\n    deploy: {endpoint_mode: vip}\n')).manifest;
    expect(m.swarmDeploy?.app).toMatchObject({ endpointMode: 'vip', ports: [{ containerPort: 80, protocol: 'tcp', mode: 'ingress' }, { containerPort: 81, protocol: 'tcp', mode: 'host' }] });
    const bare = loadOk(head + app('')).manifest.swarmDeploy?.app;
    expect(bare && 'endpointMode' in bare).toBe(false);
    expect(bare && 'ports' in bare).toBe(false);
  });
});

describe('no needless updates: the spec hash of what was deployed before stays', () => {
  it('no endpoint_mode and endpoint_mode vip hash alike, with no endpoint_mode field group', () => {
    const a = desired(head + app('    ports: ["8080:80"]\n'));
    const b = desired(head + app('    ports: ["8080:80"]\n    deploy: {endpoint_mode: vip}\n'));
    expect(b.hash).toBe(a.hash);
    expect(Object.keys(a.fields)).not.toContain('endpoint_mode');
  });

  it('short syntax and long syntax without mode (ingress, as always sent) hash alike', () => {
    expect(desired(head + app('    ports: [{target: 80, published: 8080}]\n')).hash).toBe(desired(head + app('    ports: ["8080:80"]\n')).hash);
  });

  it('dnsrr changes only the endpoint_mode group; mode host only the ports group', () => {
    const base = desired(head + app('    ports: [{target: 80, published: 8080}]\n'));
    const changed = (d: ReturnType<typeof desired>) => Object.keys({ ...base.fields, ...d.fields }).filter((k) => base.fields[k] !== d.fields[k]);
    expect(changed(desired(head + app('    ports: [{target: 80, published: 8080, mode: host}]\n')))).toEqual(['ports']);
    expect(changed(desired(head + app('    ports: [{target: 80, published: 8080, mode: host}]\n    deploy: {endpoint_mode: dnsrr}\n')))).toEqual(['ports', 'endpoint_mode']);
  });
});

describe('diagnostics', () => {
  it.each<[string, string, string]>([
    ['a short-syntax port', app('    ports: ["8080:80"]\n    deploy:\n      endpoint_mode: dnsrr\n'), ':8:7: deploy.endpoint_mode dnsrr cannot be used with a port published on the ingress routing mesh (ports[0]'],
    ['a long-syntax port without mode', app('    ports:\n      - {target: 80, mode: host}\n      - {target: 81}\n    deploy: {endpoint_mode: dnsrr}\n'), ':9:14: deploy.endpoint_mode dnsrr cannot be used with a port published on the ingress routing mesh (ports[1]'],
    ['a port with mode ingress', app('    ports: [{target: 80, mode: ingress}]\n    deploy: {endpoint_mode: dnsrr}\n'), ':7:14: deploy.endpoint_mode dnsrr cannot be used'],
  ])('dnsrr with %s is an error at the endpoint_mode key', (_n, body, want) => {
    const errs = loadErrors(head + body);
    expect(errs, errs.join('\n')).toHaveLength(1);
    expect(errs[0]).toContain(want);
    expect(errs[0]).toContain('publish it with the long syntax and `mode: host`, or use endpoint_mode vip');
  });

  it.each<[string, string, string]>([
    ['endpoint_mode bogus', app('    deploy:\n      endpoint_mode: rr\n'), ':7:22: deploy.endpoint_mode must be vip or dnsrr, not "rr"'],
    ['port mode bogus', app('    ports:\n      - {target: 80, mode: mesh}\n'), ':7:28: port `mode` must be `host` (or `ingress`, on a Swarm)'],
  ])('%s is an error at its value', (_n, body, want) => {
    expect(loadErrors(head + body).join('\n')).toContain(want);
  });

  it.each<[string, string, string | undefined]>([
    ['a published range for one container port', app('    ports: ["8000-8010:80"]\n'), ':6:13: a range of published ports (8000-8010) for one container port has no meaning on a Swarm'],
    ['a long-syntax published range for one target', app('    ports:\n      - {target: 80, published: "9000-9001"}\n'), ':7:9: a range of published ports (9000-9001)'],
    ['a range onto a range of the same length', app('    ports: ["8000-8001:80-81"]\n'), undefined],
    ['a host address (short syntax)', app('    ports: ["127.0.0.1:6379:6379"]\n'), ":6:13: a published port's host address (127.0.0.1) has no meaning on a Swarm: it would listen on every address"],
    ['a host address (long syntax)', app('    ports:\n      - {target: 80, published: 8080, host_ip: "::1", mode: host}\n'), ":7:9: a published port's host address (::1) has no meaning on a Swarm"],
  ])('%s', (_n, body, want) => {
    if (want === undefined) loadOk(head + body);
    else expect(loadErrors(head + body).join('\n')).toContain(want);
    // one host picks a free port of the range: no error there
    loadOk('name: sw\n' + body);
  });

  it('one host: mode ingress is an error at its value, as before (message and line:col)', () => {
    const yaml = 'name: sw\nservices:\n  app:\n    image: busybox\n    ports:\n      - {target: 80, published: 8080, mode: ingress}\n      - target: 81\n        mode: ingress\n      - {target: 82, mode: host}\n';
    expect(loadErrors(yaml)).toEqual([
      `${FILE}:6:45: port \`mode\` must be \`host\`: ingress is a Swarm feature`,
      `${FILE}:8:15: port \`mode\` must be \`host\`: ingress is a Swarm feature`,
    ]);
    // the same manifest for a swarm, by the flag
    const r = loadManifestText(yaml, FILE, { env: {}, readFile: () => undefined, target: 'swarm' });
    expect(r.ok).toBe(true);
  });

  it('one host: mode host and endpoint_mode load as before (endpoint_mode ignored with a warning), and ports keep no mode', () => {
    const { manifest, warnings } = loadOk('name: sw\nservices:\n  app:\n    image: busybox\n    ports: [{target: 80, published: 8080, mode: host}]\n    deploy: {endpoint_mode: dnsrr}\n');
    expect(manifest.services[0]!.ports).toEqual([{ containerPort: 80, hostPort: '8080', protocol: 'tcp' }]);
    expect(warnings.map((w) => w.message).join('\n')).toContain('deploy.endpoint_mode is ignored');
  });
});

describe('the plan names a change of publish mode or endpoint mode', () => {
  const empty: ObservedSwarm = { services: [], secrets: [], configs: [], networks: [] };
  const deployed = (m: Manifest): ServiceInfo[] =>
    m.services.map((e) => {
      const d = desiredService(m, e);
      return { id: `id-${e.name}`, name: d.spec.Name, version: 3, labels: d.spec.Labels, spec: d.spec, createdAt: '', updatedAt: '' };
    });
  const load = (extra: string) => loadOk(head + app(extra)).manifest;
  const reasons = (before: string, after: string) => {
    const p = planSwarm(load(after), { ...empty, services: deployed(load(before)) });
    return p.actions.map((a) => [a.action, a.changed, a.reasons]);
  };

  it('ingress → host', () => {
    expect(reasons('    ports: ["8080:80", "53:53/udp"]\n', '    ports: [{target: 80, published: 8080, mode: host}, "53:53/udp"]\n')).toEqual([
      ['update', ['ports'], ['ports changed: 8080:80/tcp publish mode ingress → host']],
    ]);
  });

  it('host → ingress, with another port added', () => {
    expect(reasons('    ports: [{target: 80, published: 8080, mode: host}]\n', '    ports: ["8080:80", "9090:90"]\n')).toEqual([
      ['update', ['ports'], ['ports changed: 8080:80/tcp publish mode host → ingress; others added or removed']],
    ]);
  });

  it('a port added only: ports changed', () => {
    expect(reasons('    ports: ["8080:80"]\n', '    ports: ["8080:80", "9090:90"]\n')).toEqual([['update', ['ports'], ['ports changed']]]);
  });

  it('vip → dnsrr and back', () => {
    expect(reasons('', '    deploy: {endpoint_mode: dnsrr}\n')).toEqual([['update', ['endpoint_mode'], ['endpoint_mode vip → dnsrr']]]);
    expect(reasons('    deploy: {endpoint_mode: dnsrr}\n', '')).toEqual([['update', ['endpoint_mode'], ['endpoint_mode dnsrr → vip']]]);
  });

  it('unchanged: kept', () => {
    const x = '    ports: [{target: 80, published: 8080, mode: host}]\n    deploy: {endpoint_mode: dnsrr}\n';
    expect(reasons(x, x)).toEqual([['keep', undefined, ['up to date']]]);
  });
});
