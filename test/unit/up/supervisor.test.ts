// The supervisor restarts a dead service by its policy, then the running services bound to it by
// the rule plan uses (src/reconcile/restart-policy.ts boundTo): links, network_mode, depends_on
// with restart: true — and not a plain depends_on.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import type { Dependency } from '../../../src/manifest/types.js';
import { apply } from '../../../src/reconcile/apply.js';
import { Supervisor } from '../../../src/up/supervisor.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { manifest, svc } from '../reconcile/build.js';

const dep = (name: string, restart: boolean): Dependency => ({ name, condition: 'service_started', restart, required: true });

afterEach(() => {
  vi.useRealTimers();
});

describe('Supervisor', () => {
  it('restarts a dead service, then the services bound to it (links, network_mode, restart: true), not a plain dependent', async () => {
    const e = new MemoryEngine();
    e.addImage('busybox:latest');
    const m = manifest({
      services: [
        svc('db', { restart: { name: 'always' } }),
        svc('linked', { links: [{ name: 'db', alias: 'database' }], dependsOn: [{ ...dep('db', false), implicit: 'links' }] }),
        svc('netns', { networkMode: 'service:db', networks: {}, dependsOn: [{ ...dep('db', false), implicit: 'network_mode' }] }),
        svc('worker', { dependsOn: [dep('db', true)] }),
        svc('reader', { dependsOn: [dep('db', false)] }),
      ],
    });
    const r = await apply(m, e, { pull: { stateDir: null, env: {} }, sleep: async () => undefined });
    expect(r.converged).toBe(true);

    const db = e.byName('db')!;
    db.state = 'exited';
    db.exitCode = 1;
    e.log.length = 0;

    vi.useFakeTimers();
    const sup = new Supervisor(e, () => m, silentLogger(), { protect: new Set(), onDestroyed: () => undefined });
    await sup.sweep();
    await vi.advanceTimersByTimeAsync(1000); // the first restart waits 500 ms

    expect(e.byName('db')!.state).toBe('running');
    const restarted = e.log.filter((l) => l.startsWith('restartContainer ')).map((l) => [...e.containers.values()].find((c) => c.id === l.split(' ')[1])!.name);
    expect(restarted.sort()).toEqual(['linked', 'netns', 'worker']);
  });
});
