// The `dom0 up` phases of `npm run bench` (issue #12), called from bench/run.mjs:
//   edit  — bench/edit-latency.mjs on the bench engine (20 edits; --quick: 5)
//   idle  — idle CPU of an N = 50 fleet over 60 s (bench/soak.mjs runIdleCpu), on the bench engine
//   soak  — bench/soak.mjs for --soak-minutes (default 60) on its own private engine, which it restarts
// Each phase's figures and met/missed go to results.json (`upPhases`) and a section of results.md.
import { editLatencyMarkdown, runEditLatency } from './edit-latency.mjs';
import { dom0Cli, engineSh, SOAK_ADDRESS_POOL, SOAK_ENGINE_DIR } from './up-harness.mjs';
import { EngineApi, socketPathFromEnv } from './engine-api.mjs';
import { runIdleCpu, runSoak, soakEngine, soakMarkdown } from './soak.mjs';

export const UP_PHASES = ['edit', 'idle', 'soak'];

/** `phases`: a subset of UP_PHASES; `host`: the bench engine; a phase that fails is recorded, not thrown. */
export async function runUpPhases({ phases, host, cli: mainJs, quick = false, soakMinutes = 60, say, onResult = () => undefined }) {
  const out = {};
  const cli = dom0Cli(mainJs);
  const api = new EngineApi(socketPathFromEnv({ DOCKER_HOST: host }));
  const attempt = async (name, fn) => {
    say(`dom0 up phase: ${name}`);
    try {
      out[name] = await fn();
    } catch (e) {
      out[name] = { error: e.message, met: false };
      say(`dom0 up phase ${name} failed: ${e.message}`);
    }
    onResult(out);
  };
  try {
    if (phases.includes('edit')) await attempt('edit', () => runEditLatency({ api, host, cli, edits: quick ? 5 : 20 }));
    if (phases.includes('idle')) await attempt('idle', () => runIdleCpu({ api, host, cli, n: 50, seconds: 60 }));
    if (phases.includes('soak')) {
      await attempt('soak', async () => {
        engineSh('start', SOAK_ENGINE_DIR, SOAK_ADDRESS_POOL);
        const engine = soakEngine();
        const sapi = new EngineApi(socketPathFromEnv({ DOCKER_HOST: engine.host }));
        try {
          return await runSoak({ api: sapi, engine, cli, minutes: soakMinutes });
        } finally {
          sapi.close();
        }
      });
    }
  } finally {
    api.close();
  }
  return out;
}

export function upPhasesMarkdown(r) {
  if (!r || !Object.keys(r).length) return '';
  const L = [];
  for (const [name, x] of Object.entries(r)) if (x.error) L.push(`**dom0 up phase ${name} failed**: ${x.error}`, '');
  L.push(editLatencyMarkdown(r.edit?.error ? undefined : r.edit));
  L.push(soakMarkdown(r.soak?.error ? undefined : r.soak, r.idle?.error ? undefined : r.idle));
  return L.filter(Boolean).join('\n');
}
