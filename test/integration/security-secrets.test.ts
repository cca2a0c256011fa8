// Secrets never reach dom0's output: env values under secret-looking keys (DB_PASSWORD, API_TOKEN,
// SECRET_KEY) and a registry password in the manifest. Everything validate, plan, plan --json,
// apply --json (with NDJSON logs at --log-level debug), status --json and down print — stdout and
// stderr, before and after an env change — is searched for every secret value: none may appear.
// The plan after the change names the changed keys with the value `[redacted]`.
//
// The registry (127.0.0.1:5999) is never contacted: no image comes from it.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, docker, runDom0, tmpDir, writeManifest, type RunResult } from '../support/engine.js';

const FLEET = 'dom0-sec-secrets';
const rnd = () => randomBytes(6).toString('hex');

/** Distinct, unguessable values: none can appear by accident (in an ID, a hash, a timestamp). */
const S = {
  dbPassword: `dbpw-${rnd()}`,
  apiToken: `tok-${rnd()}`,
  secretKey: `sk-${rnd()}`,
  registryPassword: `regpw-${rnd()}`,
  dbPasswordNew: `dbpw2-${rnd()}`,
  workerToken: `wtok-${rnd()}`,
};

function manifest(v: 1 | 2): string {
  return `version: 1
name: ${FLEET}

registries:
  "127.0.0.1:5999":
    username: dom0-test
    password: "${S.registryPassword}"

services:
  sec-app:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
    environment:
      DB_PASSWORD: "${v === 1 ? S.dbPassword : S.dbPasswordNew}"
      API_TOKEN: "${S.apiToken}"
      SECRET_KEY: "${S.secretKey}"
      MODE: "plain-${v}"
  sec-worker:
    image: busybox:latest
    command: ["sleep", "2147483647"]
    init: true
${v === 1 ? '' : `    environment:\n      WORKER_TOKEN: "${S.workerToken}"\n`}`;
}

interface PlanJson {
  actions: Array<{ name: string; action: string; reasons: string[] }>;
}

describeEngine('security: secret values never appear in dom0 output', () => {
  const dir = tmpDir('dom0-sec-secrets-');
  const file = writeManifest(dir, manifest(1));
  const outputs: Array<{ cmd: string; r: RunResult }> = [];
  const run = async (args: string[], expectCode = 0) => {
    const r = await runDom0([...args.slice(0, 1), '-f', file, ...args.slice(1)], { timeoutMs: 180_000 });
    outputs.push({ cmd: args.join(' '), r });
    expect(r.code, `dom0 ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(expectCode);
    return r;
  };
  let planAfter: RunResult;
  let planAfterJson: PlanJson;
  let labelsAfterApply = '';

  beforeAll(async () => {
    await cleanupFleet(FLEET);
    await run(['validate']);
    await run(['plan']);
    await run(['plan', '--json']);
    await run(['apply', '--json', '--log-level', 'debug']);
    labelsAfterApply = JSON.stringify((await docker().getContainer('sec-app').inspect()).Config.Labels);
    await run(['status', '--json']);
    await run(['status']);

    writeManifest(dir, manifest(2));
    await run(['validate']);
    planAfter = await run(['plan']);
    planAfterJson = JSON.parse((await run(['plan', '--json'])).stdout) as PlanJson;
    await run(['apply', '--json', '--log-level', 'debug']);
    await run(['status', '--json']);
    await run(['down', '--log-level', 'debug']);
  }, 600_000);

  afterAll(() => cleanupFleet(FLEET));

  it('ran every command (validate, plan, plan --json, apply --json, status, down)', () => {
    expect(outputs.map((o) => o.cmd)).toEqual([
      'validate',
      'plan',
      'plan --json',
      'apply --json --log-level debug',
      'status --json',
      'status',
      'validate',
      'plan',
      'plan --json',
      'apply --json --log-level debug',
      'status --json',
      'down --log-level debug',
    ]);
    // apply logged at debug level, as NDJSON
    const applyLog = outputs.find((o) => o.cmd.startsWith('apply'))!.r.stderr.split('\n').filter(Boolean);
    expect(applyLog.length).toBeGreaterThan(0);
    const levels = applyLog.map((l) => (JSON.parse(l) as { level: number }).level);
    expect(levels).toContain(20); // pino debug
  });

  describe.each(Object.entries(S))('%s', (key, value) => {
    it('appears in no output of any command', () => {
      const hits = outputs.filter((o) => (o.r.stdout + o.r.stderr).includes(value));
      const where = hits.map((o) => {
        const text = o.r.stdout + o.r.stderr;
        const at = text.indexOf(value);
        return `dom0 ${o.cmd}: …${text.slice(Math.max(0, at - 120), at + value.length + 40)}…`;
      });
      expect(where, `${key} leaked`).toEqual([]);
    });
  });

  it('the io.dom0.spec label holds digests of env values, never the values', () => {
    expect(labelsAfterApply).toContain('DB_PASSWORD');
    expect(labelsAfterApply).not.toContain(S.dbPassword);
    expect(labelsAfterApply).toMatch(/sha256:[0-9a-f]{64}/);
  });

  it('plan names the changed secret key, never its value (labels hold digests of env values)', () => {
    const app = planAfterJson.actions.find((a) => a.name === 'sec-app')!;
    expect(app.action).toBe('recreate');
    expect(app.reasons).toContain('environment.DB_PASSWORD: changed');
    expect(app.reasons).toContain('environment.MODE: changed');
    expect(planAfter.stdout).toContain('environment.DB_PASSWORD: changed');
  });

  it('plan redacts a secret added to a service that had no environment', () => {
    const worker = planAfterJson.actions.find((a) => a.name === 'sec-worker')!;
    expect(worker.action).toBe('recreate');
    const reasons = worker.reasons.join('; ');
    expect(reasons).toContain('environment.WORKER_TOKEN: added');
    expect(reasons).not.toContain(S.workerToken);
  });
});
