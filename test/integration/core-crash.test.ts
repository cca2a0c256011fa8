// dom0 SIGKILLed in the middle of an apply that recreates six services (concurrency 2): the next
// apply must finish the job — no duplicates, no `*.dom0-next` leftovers, every service running the
// new config, and the data in every anonymous volume intact. Several rounds, different kill moments.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  collectOutput,
  describeEngine,
  docker,
  execIn,
  spawnDom0,
  waitForExit,
  waitForOutput,
  containersOf,
} from '../support/engine.js';
import {
  actionMap,
  allContainerNames,
  applyJson,
  cleanupFleetAndVolumes,
  manifestFile,
  planJson,
  renderFixture,
  sleep,
  volumeAt,
} from './fixtures/core-helpers.js';
import { firstEngineEvent } from '../support/events.js';
import { writeFileSync } from 'node:fs';

const FLEET = 'dom0-core-crash';
const SERVICES = [1, 2, 3, 4, 5, 6].map((i) => `ccr-s${i}`);

type Moment =
  | { after: 'action'; nth: number } // the nth "action" log line (an entry finished)
  | { after: 'event'; action: 'create' | 'destroy'; replacement: boolean } // an engine event of the fleet
  | { after: 'delay'; ms: number }; // this long after the "apply-started" log line
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const ROUNDS: Moment[] = [
  { after: 'action', nth: 1 },
  // a replacement exists, the old container still runs
  { after: 'event', action: 'create', replacement: true },
  // the old container is gone, the replacement is not yet renamed into place
  { after: 'event', action: 'destroy', replacement: false },
  { after: 'action', nth: 3 },
  { after: 'delay', ms: rand(100, 700) },
  { after: 'delay', ms: rand(700, 1500) },
];
const describeMoment = (m: Moment) =>
  m.after === 'action'
    ? `after action log line #${m.nth}`
    : m.after === 'event'
      ? `on the first ${m.action} event of ${m.replacement ? 'a *.dom0-next replacement' : 'an old container'}`
      : `${m.ms} ms after apply-started`;

/** Resolves on the first container event of the fleet matching the moment. */
function engineEvent(m: Extract<Moment, { after: 'event' }>): Promise<{ promise: Promise<string>; stop: () => void }> {
  return engineEventOf(FLEET, m);
}

describeEngine('core: crash in the middle of an apply', () => {
  let file: string;
  const volumes: Record<string, string> = {};

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-crash.yaml', { ROUND: '0' }));
    await applyJson(file);
    for (const s of SERVICES) {
      expect(await execIn(s, ['sh', '-c', `echo data-of-${s} > /data/proof`])).toMatchObject({ code: 0 });
    }
    for (const c of await containersOf(FLEET)) volumes[c.name] = volumeAt(c, '/data');
    expect(Object.keys(volumes).sort()).toEqual(SERVICES);
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET, [], Object.values(volumes));
  });

  ROUNDS.forEach((moment, i) => {
    const round = i + 1;
    it(`round ${round}: SIGKILL ${describeMoment(moment)}, then apply converges`, { timeout: 180_000 }, async () => {
      writeFileSync(file, renderFixture('core-crash.yaml', { ROUND: String(round) }));
      const p = await planJson(file);
      expect(Object.values(actionMap(p.json.actions)).every((a) => a === 'recreate')).toBe(true);

      // ---- the interrupted apply
      const watch = moment.after === 'event' ? await engineEvent(moment) : undefined;
      const child = spawnDom0(['apply', '--concurrency', '2', '--timeout', '60', '-f', file]);
      const out = collectOutput(child);
      let seen = '';
      try {
        if (moment.after === 'action') {
          const re = new RegExp(`("event":"action"[^\\n]*\\n[^]*){${moment.nth}}`);
          await waitForOutput(child, out, re, 60_000);
        } else if (moment.after === 'event') {
          seen = await Promise.race([watch!.promise, waitForExit(child).then(() => '(apply exited first)')]);
        } else {
          await waitForOutput(child, out, '"event":"apply-started"', 60_000);
          await sleep(moment.ms);
        }
      } finally {
        watch?.stop();
      }
      const killedWhileRunning = child.exitCode === null && child.signalCode === null;
      child.kill('SIGKILL');
      const exit = await waitForExit(child);
      const actionsDone = out.stderr.split('\n').filter((l) => l.includes('"event":"action"')).length;
      const midway = await containersOf(FLEET);
      const recreated = midway.filter((c) => !c.name.endsWith('.dom0-next') && (c.inspect.Config.Env ?? []).includes(`ROUND=${round}`));
      const leftovers = Object.keys(await allContainerNames()).filter((n) => n.startsWith('ccr-') && n.endsWith('.dom0-next'));
      console.info(
        `[core-crash] round ${round}: killed ${killedWhileRunning ? 'while running' : 'after it exited'}${seen ? ` (${seen})` : ''} ` +
          `(${exit.signal ?? `exit ${exit.code}`}), ${actionsDone}/6 actions logged, ${recreated.length}/6 in place, left behind: ${leftovers.join(', ') || 'no replacements'}`,
      );

      // the round only proves something if dom0 really died mid-apply
      expect(killedWhileRunning, 'apply finished before the kill moment').toBe(true);
      expect(exit.signal).toBe('SIGKILL');

      // ---- recovery
      const r = await applyJson(file);
      expect(r.json.converged).toBe(true);
      for (const a of r.json.actions) expect(a.status, `${a.name}: ${a.error ?? ''}`).toBe('ok');

      const fleet = await containersOf(FLEET);
      // exactly one container per entry, under its own name
      const perEntry: Record<string, string[]> = {};
      for (const c of fleet) (perEntry[c.labels['io.dom0.name'] ?? '?'] ??= []).push(c.name);
      expect(perEntry).toEqual(Object.fromEntries(SERVICES.map((s) => [s, [s]])));
      // no unfinished replacement anywhere
      const names = Object.keys(await allContainerNames()).filter((n) => n.startsWith('ccr-'));
      expect(names.sort()).toEqual([...SERVICES].sort());

      for (const c of fleet) {
        expect(c.running, c.name).toBe(true);
        expect(c.inspect.Config.Env, c.name).toContain(`ROUND=${round}`);
        // the same anonymous volume, carried over every time, with its data
        expect(volumeAt(c, '/data'), c.name).toBe(volumes[c.name]);
        expect(await execIn(c.name, ['cat', '/data/proof']), c.name).toMatchObject({
          code: 0,
          stdout: `data-of-${c.name}\n`,
        });
      }

      const settled = await planJson(file);
      expect(actionMap(settled.json.actions)).toEqual(Object.fromEntries(SERVICES.map((s) => [s, 'keep'])));
    });
  });
});

// A container_name change is a recreate under a new name: killed between its steps, the old
// container (an orphan of the same entry) and the new one must not overwrite each other in the
// next apply (this once failed every later apply with "unexpected action remove").
describeEngine('core: crash in the middle of a container_name change', () => {
  const FLEET_CN = 'dom0-core-crash-cn';
  const manifestFor = (round: number) =>
    `name: ${FLEET_CN}\nservices:\n  ccn-app:\n    image: busybox:latest\n    container_name: ccn-app-v${round}\n` +
    `    command: ["sleep", "2147483647"]\n    init: true\n    volumes: ["/data"]\n`;
  let file: string;
  const moments: Array<Extract<Moment, { after: 'event' }> | Extract<Moment, { after: 'delay' }>> = [
    { after: 'event', action: 'create', replacement: true },
    { after: 'event', action: 'destroy', replacement: false },
    { after: 'delay', ms: rand(50, 400) },
  ];

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET_CN);
    file = manifestFile(manifestFor(0));
    await applyJson(file);
    expect(await execIn('ccn-app-v0', ['sh', '-c', 'echo kept > /data/proof'])).toMatchObject({ code: 0 });
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET_CN);
  });

  moments.forEach((moment, i) => {
    const round = i + 1;
    it(`round ${round}: SIGKILL ${describeMoment(moment)}, then apply converges`, { timeout: 120_000 }, async () => {
      writeFileSync(file, manifestFor(round));
      const watch = moment.after === 'event' ? await engineEventOf(FLEET_CN, moment) : undefined;
      const child = spawnDom0(['apply', '-f', file]);
      const out = collectOutput(child);
      try {
        if (watch) await Promise.race([watch.promise, waitForExit(child)]);
        else {
          await waitForOutput(child, out, '"event":"apply-started"', 60_000);
          await sleep((moment as { ms: number }).ms);
        }
      } finally {
        watch?.stop();
      }
      child.kill('SIGKILL');
      await waitForExit(child);

      const r = await applyJson(file);
      expect(r.json.converged, JSON.stringify(r.json.actions)).toBe(true);
      const again = await applyJson(file);
      expect(again.json.converged).toBe(true);
      const fleet = await containersOf(FLEET_CN);
      expect(fleet.map((c) => c.name)).toEqual([`ccn-app-v${round}`]);
      expect(fleet[0]!.running).toBe(true);
      expect(await execIn(`ccn-app-v${round}`, ['cat', '/data/proof'])).toMatchObject({ code: 0, stdout: 'kept\n' });
      expect(actionMap((await planJson(file)).json.actions)).toEqual({ 'ccn-app': 'keep' });
    });
  });
});

/** engineEvent for another fleet. */
function engineEventOf(fleet: string, m: Extract<Moment, { after: 'event' }>): Promise<{ promise: Promise<string>; stop: () => void }> {
  return firstEngineEvent(docker(), fleet, [m.action], (e, name) =>
    e.Action === m.action && name.endsWith('.dom0-next') === m.replacement ? name : undefined,
  );
}
