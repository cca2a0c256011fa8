// `dom0 status` on a Swarm: a row per service or job: tasks running (or complete) of wanted, the
// last update's state, and whether the service matches the manifest.
import type { SwarmEngine } from '../../engine/swarm-engine.js';
import type { Manifest } from '../../manifest/types.js';
import { checkSwarm } from './execute-swarm.js';
import { observeSwarm } from './observe-swarm.js';
import { planSwarm } from './plan-swarm.js';
import { isJob, wantedReplicas } from './wait-swarm.js';

export interface SwarmStatusRow {
  name: string;
  kind: 'service' | 'job';
  service: string;
  /** "2/3 running", "1/1 complete", "missing". */
  tasks: string;
  update?: string;
  sync: 'in sync' | 'drifted' | 'missing' | 'not dom0\'s';
}

export async function statusSwarm(m: Manifest, engine: SwarmEngine): Promise<SwarmStatusRow[]> {
  await checkSwarm(engine);
  const o = await observeSwarm(engine, m);
  const plan = planSwarm(m, o);
  const rows: SwarmStatusRow[] = [];
  for (const a of plan.actions.filter((x) => x.action !== 'remove')) {
    const s = o.services.find((x) => x.name === a.service);
    const sync = a.action === 'create' ? 'missing' : a.action === 'blocked' ? 'not dom0\'s' : a.action === 'keep' ? 'in sync' : 'drifted';
    if (!s) {
      rows.push({ name: a.name, kind: a.kind, service: a.service, tasks: 'missing', sync });
      continue;
    }
    const tasks = await engine.listTasks({ service: s.id });
    const job = isJob(s);
    const n = tasks.filter((t) => (job ? t.state === 'complete' : t.desiredState === 'running' && t.state === 'running')).length;
    rows.push({ name: a.name, kind: a.kind, service: a.service, tasks: `${n}/${wantedReplicas(s)} ${job ? 'complete' : 'running'}`, ...(s.updateState ? { update: s.updateState } : {}), sync });
  }
  return rows;
}
