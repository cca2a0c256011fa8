// The engine address, resolved as the docker CLI resolves it.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contextName, DEFAULT_DOCKER_HOST, EndpointError, resolveDockerEndpoint } from '../../../src/engine/docker-endpoint.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const files = (m: Record<string, string>) => (p: string) => (p in m ? Buffer.from(m[p]!) : undefined);
const meta = (name: string, host: string, skip = false) =>
  JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: skip } } });

const CFG = '/home/op/.docker';
const store = {
  [`${CFG}/config.json`]: JSON.stringify({ currentContext: 'lab' }),
  [`${CFG}/contexts/meta/${sha('lab')}/meta.json`]: meta('lab', 'tcp://10.0.0.5:2376'),
  [`${CFG}/contexts/tls/${sha('lab')}/docker/ca.pem`]: 'CA-lab',
  [`${CFG}/contexts/tls/${sha('lab')}/docker/cert.pem`]: 'CERT-lab',
  [`${CFG}/contexts/tls/${sha('lab')}/docker/key.pem`]: 'KEY-lab',
  [`${CFG}/contexts/meta/${sha('plain')}/meta.json`]: meta('plain', 'tcp://10.0.0.6:2375'),
  [`${CFG}/contexts/meta/${sha('insecure')}/meta.json`]: meta('insecure', 'tcp://10.0.0.7:2376', true),
  [`${CFG}/contexts/meta/${sha('remote')}/meta.json`]: meta('remote', 'ssh://ops@box.example'),
  ['/certs/ca.pem']: 'CA-env',
  ['/certs/cert.pem']: 'CERT-env',
  ['/certs/key.pem']: 'KEY-env',
  [`${CFG}/ca.pem`]: 'CA-home',
};
const read = files(store);
const HOME = { HOME: '/home/op' };

describe('which context (docker CLI order)', () => {
  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['DOCKER_HOST wins over DOCKER_CONTEXT and currentContext', { ...HOME, DOCKER_HOST: 'unix:///x.sock', DOCKER_CONTEXT: 'plain' }, 'default'],
    ['DOCKER_CONTEXT wins over currentContext', { ...HOME, DOCKER_CONTEXT: 'plain' }, 'plain'],
    ['currentContext of config.json', HOME, 'lab'],
    ['DOCKER_CONFIG moves config.json', { DOCKER_CONFIG: '/elsewhere' }, 'default'],
    ['an empty DOCKER_HOST is unset', { ...HOME, DOCKER_HOST: '' }, 'lab'],
  ])('%s', (_w, env, name) => expect(contextName(env, read)).toBe(name));
});

describe('resolveDockerEndpoint', () => {
  it.each<[string, NodeJS.ProcessEnv, object]>([
    ['nothing set: the default socket', { DOCKER_CONFIG: '/none' }, { host: DEFAULT_DOCKER_HOST, source: 'default', tls: undefined }],
    ['DOCKER_HOST unix', { DOCKER_HOST: 'unix:///run/d.sock' }, { host: 'unix:///run/d.sock', source: 'DOCKER_HOST', tls: undefined }],
    ['DOCKER_HOST tcp, no TLS', { DOCKER_HOST: 'tcp://127.0.0.1:2375' }, { host: 'tcp://127.0.0.1:2375', tls: undefined }],
    [
      'DOCKER_TLS_VERIFY with DOCKER_CERT_PATH',
      { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      { tls: { verify: true, ca: Buffer.from('CA-env'), cert: Buffer.from('CERT-env'), key: Buffer.from('KEY-env') } },
    ],
    ['DOCKER_TLS_VERIFY without a cert path: ~/.docker', { ...HOME, DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1' }, { tls: { verify: true, ca: Buffer.from('CA-home') } }],
    ['DOCKER_TLS alone: TLS without verification', { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: '/certs' }, { tls: { verify: false } }],
    [
      'a context with TLS files',
      HOME,
      { host: 'tcp://10.0.0.5:2376', source: 'context "lab"', tls: { verify: true, ca: Buffer.from('CA-lab'), cert: Buffer.from('CERT-lab'), key: Buffer.from('KEY-lab') } },
    ],
    ['a context without TLS', { ...HOME, DOCKER_CONTEXT: 'plain' }, { host: 'tcp://10.0.0.6:2375', tls: undefined }],
    ['a context with SkipTLSVerify', { ...HOME, DOCKER_CONTEXT: 'insecure' }, { tls: { verify: false } }],
    ['an ssh context', { ...HOME, DOCKER_CONTEXT: 'remote' }, { host: 'ssh://ops@box.example', tls: undefined }],
  ])('%s', (_w, env, want) => expect({ tls: undefined, ...resolveDockerEndpoint(env, read) }).toMatchObject(want));

  it('an unknown context is an error that says how to list them', () => {
    expect(() => resolveDockerEndpoint({ ...HOME, DOCKER_CONTEXT: 'nope' }, read)).toThrow(EndpointError);
    expect(() => resolveDockerEndpoint({ ...HOME, DOCKER_CONTEXT: 'nope' }, read)).toThrow(/docker context "nope" not found .*docker context ls/);
  });

  it('a context whose meta.json is not JSON is an error naming the file', () => {
    const bad = files({ [`${CFG}/contexts/meta/${sha('x')}/meta.json`]: '{' });
    expect(() => resolveDockerEndpoint({ ...HOME, DOCKER_CONTEXT: 'x' }, bad)).toThrow(/meta\.json is not valid JSON/);
  });
});
