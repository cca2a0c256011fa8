// Lifecycle hooks and written secrets: which steps run post_start / pre_stop (hookSteps, pure),
// and what execute and down do with them on the in-memory engine.
import { describe, expect, it } from 'vitest';
import type { LifecycleHook, Manifest } from '../../../src/manifest/types.js';
import { apply, type ApplyOptions } from '../../../src/reconcile/apply.js';
import { down } from '../../../src/reconcile/down.js';
import { hookSteps } from '../../../src/reconcile/hooks.js';
import { observe } from '../../../src/reconcile/observe.js';
import { plan } from '../../../src/reconcile/plan.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { job, manifest, svc, vol } from './build.js';

const hook = (...command: string[]): LifecycleHook => ({ command, privileged: false, environment: { HOOK_ENV: 'hook-env-value' } });
const hooked = svc('web', { postStart: [hook('touch', '/started')], preStop: [hook('touch', '/stopping')] });

describe('hookSteps', () => {
  it.each([
    ['create', hooked, { action: 'create' }, undefined, { postStart: true }],
    ['start of a stopped one', hooked, { action: 'start' }, 'exited', { postStart: true }],
    ['recreate of a running one', hooked, { action: 'recreate', replace: true }, 'running', { preStop: true, postStart: true }],
    ['recreate of a stopped one', hooked, { action: 'recreate', replace: true }, 'exited', { postStart: true }],
    ['recreate that adopts', hooked, { action: 'recreate', replace: true, adopt: true }, 'running', { postStart: true }],
    ['restart', hooked, { action: 'restart' }, 'running', { preStop: true, postStart: true }],
    ['keep', hooked, { action: 'keep' }, 'running', {}],
    ['blocked', hooked, { action: 'blocked' }, 'running', {}],
    ['no hooks', svc('web'), { action: 'recreate', replace: true }, 'running', {}],
    ['a job', job('init', { postStart: [hook('true')] }), { action: 'run' }, undefined, {}],
    ['a volume container', vol('home'), { action: 'create' }, undefined, {}],
  ] as const)('%s', (_name, e, a, state, want) => {
    expect(hookSteps(e, a, state ? { state } : undefined)).toEqual(want);
  });

  it('the plan carries the steps, never a hook environment value', async () => {
    const e = new MemoryEngine();
    e.addImage('busybox:latest');
    const m = manifest({ services: [hooked] });
    const p = plan(m, await observe(e, m));
    expect(p.actions[0]).toMatchObject({ action: 'create', postStart: true });
    expect(JSON.stringify(p)).not.toContain('hook-env-value');
  });
});

const opts: ApplyOptions = { pull: { stateDir: null, env: {} }, sleep: async () => undefined };

function engine(): MemoryEngine {
  const e = new MemoryEngine();
  e.addImage('busybox:latest');
  return e;
}

/** The calls that matter here, container IDs as the container's state at the time is not needed. */
const steps = (e: MemoryEngine) => e.log.filter((l) => /^(createContainer|putFile|startContainer|stopContainer|restartContainer|exec|removeContainer)/.test(l)).map((l) => l.split(' ')[0] + (l.startsWith('exec') || l.startsWith('putFile') ? ` ${l.split(' ').slice(2).join(' ')}` : ''));

describe('execute and down run the hooks', () => {
  it('post_start after the start, with its user, workdir and environment', async () => {
    const e = engine();
    const m = manifest({ services: [svc('web', { postStart: [{ command: ['sh', '-c', 'x'], user: 'nobody', workingDir: '/tmp', privileged: true, environment: { A: '1' } }] })] });
    const r = await apply(m, e, opts);
    expect(r.outcomes[0]!.status).toBe('ok');
    expect(steps(e)).toEqual(['createContainer', 'startContainer', 'exec sh -c x']);
    expect(e.byName('web')!.execs).toEqual([{ command: ['sh', '-c', 'x'], user: 'nobody', workingDir: '/tmp', privileged: true, env: { A: '1' } }]);
  });

  it('a failing post_start fails the service (as in Compose), its dependents are skipped, and the message has the last output line', async () => {
    const e = engine();
    e.onExec = () => ({ exitCode: 3, output: 'first\nno such file\n' });
    const m = manifest({ services: [hooked, svc('api', { dependsOn: [{ name: 'web', condition: 'service_started', restart: false, required: true }] })] });
    const r = await apply(m, e, opts);
    const web = r.outcomes.find((o) => o.name === 'web')!;
    expect(web.status).toBe('failed');
    expect(web.error).toBe('post_start hook 1 (touch /started) exited 3: no such file');
    expect(r.outcomes.find((o) => o.name === 'api')!.status).toBe('skipped');
  });

  it('a recreate runs pre_stop in the old container before stopping it, post_start in the new one', async () => {
    const e = engine();
    await apply(manifest({ services: [hooked] }), e, opts);
    const old = e.byName('web')!;
    e.log.length = 0;
    const r = await apply(manifest({ services: [{ ...hooked, environment: { V: '2' } }] }), e, opts);
    expect(r.outcomes[0]).toMatchObject({ action: 'recreate', status: 'ok' });
    expect(steps(e)).toEqual(['createContainer', 'exec touch /stopping', 'stopContainer', 'removeContainer', 'startContainer', 'exec touch /started']);
    expect(old.execs!.map((x) => x.command.join(' '))).toEqual(['touch /started', 'touch /stopping']);
  });

  it('a failing pre_stop is a warning: the recreate goes on', async () => {
    const e = engine();
    await apply(manifest({ services: [hooked] }), e, opts);
    e.onExec = (_c, req) => (req.command[1] === '/stopping' ? { exitCode: 1, output: '' } : { exitCode: 0, output: '' });
    const r = await apply(manifest({ services: [{ ...hooked, environment: { V: '2' } }] }), e, opts);
    expect(r.outcomes[0]).toMatchObject({ action: 'recreate', status: 'ok' });
  });

  it('down runs pre_stop in each running service before stopping it', async () => {
    const e = engine();
    const m = manifest({ services: [hooked] });
    await apply(m, e, opts);
    e.log.length = 0;
    await down(m, e);
    expect(steps(e)).toEqual(['exec touch /stopping', 'stopContainer', 'removeContainer']);
  });

  it('down of a stopped service runs no hook', async () => {
    const e = engine();
    const m = manifest({ services: [hooked] });
    await apply(m, e, opts);
    await e.stopContainer(e.byName('web')!.id);
    e.log.length = 0;
    await down(m, e);
    expect(steps(e)).toEqual(['stopContainer', 'removeContainer']);
  });
});

describe('execute writes environment and content secrets before the first start', () => {
  const withSecret = (): Manifest => ({
    ...manifest({ services: [svc('web', { fileCopies: [{ target: '/run/secrets/db', digest: 'sha256:d', uid: 1000, mode: 0o400 }] })] }),
    fileContents: new Map([['sha256:d', 'the-secret-value']]),
  });

  it('putFile after create, before start, with owner and mode; the log shows the path only', async () => {
    const e = engine();
    const r = await apply(withSecret(), e, opts);
    expect(r.outcomes[0]!.status).toBe('ok');
    expect(steps(e)).toEqual(['createContainer', 'putFile /run/secrets/db', 'startContainer']);
    expect(e.byName('web')!.files!.get('/run/secrets/db')).toEqual({ path: '/run/secrets/db', content: 'the-secret-value', uid: 1000, gid: undefined, mode: 0o400 });
    expect(e.log.join('\n')).not.toContain('the-secret-value');
  });

  it('a failing putFile removes the new container: none is left to start without its secret', async () => {
    const e = engine();
    e.failOn('putFile', { times: 1 });
    const r = await apply(withSecret(), e, opts);
    expect(r.outcomes[0]!.status).toBe('failed');
    expect(e.byName('web')).toBeUndefined();
    const again = await apply(withSecret(), e, opts);
    expect(again.outcomes[0]).toMatchObject({ action: 'create', status: 'ok' });
  });
});
