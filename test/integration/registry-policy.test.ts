// pull_policy always: a new image pushed under the same tag is pulled on the next apply and that
// service — only that one — is recreated; `missing` keeps what it has.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, cleanupFleet, containersOf, describeEngine } from '../support/engine.js';
import {
  applyWith,
  baseEnv,
  buildVariant,
  ensureRegistry,
  events,
  imageId,
  outcome,
  pushImage,
  registerAuthSecrets,
  removeImage,
  tagLocal,
  workspace,
  type RegistryInfo,
  registriesYaml,
} from '../support/registry.js';

const FLEET = 'dom0-reg-policy';

describeEngine('pull_policy always', () => {
  let reg: RegistryInfo;
  let always: string;
  let missing: string;
  const ids: string[] = [];
  let file: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    reg = ensureRegistry();
    registerAuthSecrets(reg.user, reg.password, reg.addr);
    await cleanupFleet(FLEET);
    always = `${reg.addr}/dom0-test/reg-policy-always:latest`;
    missing = `${reg.addr}/dom0-test/reg-policy-missing:latest`;
    ids.push(await buildVariant('dom0-reg-build/policy:v1'));
    await pushImage('dom0-reg-build/policy:v1', always, reg);
    await pushImage('dom0-reg-build/policy:v1', missing, reg);
    const ws = workspace('reg-policy');
    env = baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password });
    file = ws.write(
      [
        `name: ${FLEET}`,
        ...registriesYaml(reg.addr, reg.user),
        'services:',
        '  reg-pol-always:',
        `    image: ${always}`,
        '    pull_policy: always',
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '  reg-pol-missing:',
        `    image: ${missing}`,
        '    command: ["sleep", "3600"]',
        '  reg-pol-plain:',
        `    image: ${BUSYBOX}`,
        '    command: ["sleep", "3600"]',
        '    depends_on: [reg-pol-missing]',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await cleanupFleet(FLEET);
    await cleanupFleet(`${FLEET}-daily`);
    for (const id of ids) await removeImage(id).catch(() => undefined);
  });

  it('recreates only the `always` service when a new image was pushed under its tag', async () => {
    const first = await applyWith(file, env);
    expect(first.json.converged).toBe(true);
    const before = Object.fromEntries((await containersOf(FLEET)).map((c) => [c.name, c]));
    expect(before['reg-pol-always']!.inspect.Image).toBe(ids[0]);

    // v2 under both tags in the registry; locally the tags still point at v1
    ids.push(await buildVariant('dom0-reg-build/policy:v2'));
    await pushImage('dom0-reg-build/policy:v2', always, reg);
    await pushImage('dom0-reg-build/policy:v2', missing, reg);
    await tagLocal(ids[0]!, always);
    await tagLocal(ids[0]!, missing);
    expect(ids[1]).not.toBe(ids[0]);

    const second = await applyWith(file, env);
    expect(second.json.converged).toBe(true);
    expect(outcome(second, 'reg-pol-always').action).toBe('recreate');
    expect(outcome(second, 'reg-pol-always').reasons.join(' ')).toMatch(/image: new image ID/);
    expect(outcome(second, 'reg-pol-missing').action).toBe('keep');
    expect(outcome(second, 'reg-pol-plain').action).toBe('keep');
    const pulls = events(second.stderr, 'pull').filter((l) => l.result !== 'present');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ image: always, result: 'pulled', changed: true, previousImageId: ids[0], imageId: ids[1] });

    const after = Object.fromEntries((await containersOf(FLEET)).map((c) => [c.name, c]));
    expect(after['reg-pol-always']!.id).not.toBe(before['reg-pol-always']!.id);
    expect(after['reg-pol-always']!.inspect.Image).toBe(ids[1]);
    expect(after['reg-pol-missing']!.id).toBe(before['reg-pol-missing']!.id);
    expect(after['reg-pol-missing']!.inspect.Image).toBe(ids[0]);
    expect(after['reg-pol-plain']!.id).toBe(before['reg-pol-plain']!.id);
    expect(await imageId(missing)).toBe(ids[0]);
  });

  it('pulls again on the next apply, finds nothing new, and keeps everything', async () => {
    const third = await applyWith(file, env);
    expect(third.json.actions.map((a) => a.action)).toEqual(['keep', 'keep', 'keep']);
    const pulls = events(third.stderr, 'pull').filter((l) => l.result !== 'present');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ image: always, result: 'up-to-date', fromCache: true, changed: false });
  });

  it('daily: pulls when there is no recorded pull, records it in the state dir, then skips while fresh', async () => {
    const ws = workspace('reg-policy-daily');
    const daily = ws.write(
      [
        `name: ${FLEET}-daily`,
        'pull_policy: daily',
        ...registriesYaml(reg.addr, reg.user),
        'services:',
        '  reg-pol-daily:',
        `    image: ${missing}`,
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
      ].join('\n'),
    );
    const dailyEnv = baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password });
    const first = await applyWith(daily, dailyEnv);
    expect(events(first.stderr, 'pull').find((l) => l.image === missing)).toMatchObject({ result: 'pulled', policy: 'every_1d' });
    const stateFile = path.join(ws.stateDir, 'pulls.json');
    expect(existsSync(stateFile)).toBe(true);
    const recorded = JSON.parse(readFileSync(stateFile, 'utf8')) as { images: Record<string, { pulledAt: string; imageId: string }> };
    expect(recorded.images[missing]).toMatchObject({ imageId: ids[1] });
    const second = await applyWith(daily, dailyEnv);
    const skipped = events(second.stderr, 'pull').find((l) => l.image === missing);
    expect(skipped).toMatchObject({ result: 'present', reason: 'pull_policy every_1d: pulled recently' });
  });
});
