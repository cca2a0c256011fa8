// `dom0 up --listen`: the status page in a real browser (Debian's chromium driven by
// playwright-core), /metrics scraped and parsed, /healthz, the token, and nothing that writes.
// The page sees every entry, a killed service go running → restarting → running, and an invalid
// edit appear with its FILE:LINE:COL.
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, describeEngine, docker, spawnDom0, tmpDir } from '../support/engine.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait.js';

const FLEET = 'dom0-status-page';
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'sp-token-7f3a9c1e';

const MANIFEST = `name: ${FLEET}
volume_containers:
  spg-data:
    image: busybox:latest
    paths: [/data]
jobs:
  spg-seed:
    image: busybox:latest
    command: ["sh", "-c", "echo seeded > /data/seed"]
    volumes_from: [spg-data]
services:
  spg-db:
    image: busybox:latest
    command: ["sleep", "3600"]
    volumes_from: [spg-data]
    restart: always
    depends_on:
      spg-seed: {condition: service_completed_successfully}
  spg-web:
    image: busybox:latest
    command: ["sleep", "3600"]
    depends_on: [spg-db]
`;


/** Prometheus text format → samples by "name{labels}"; throws on a line that is not the format. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describeEngine('status page, metrics and healthz (dom0 up --listen)', () => {
  const dir = tmpDir('dom0-status-page-');
  const file = path.join(dir, 'dom0.yaml');
  let port = 0;
  let base = '';
  let up: ChildProcess;
  let browser: Browser;
  let page: Page;
  const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    await cleanupFleet(FLEET);
    writeFileSync(file, MANIFEST);
    writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    up = spawnDom0(['up', '-f', file, '--listen', `127.0.0.1:${port}`, '--listen-token-file', path.join(dir, 'token'), '--state-dir', path.join(dir, 'state')]);
    up.stderr?.resume();
    up.stdout?.resume();
    await waitFor('the fleet converged', async () => {
      const r = await fetch(`${base}/api/state`, auth);
      const s = (await r.json()) as { lastApply?: { result: string } };
      return s.lastApply?.result === 'converged' ? true : undefined;
    }, 90_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    up?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await cleanupFleet(FLEET);
  }, 60_000);

  it('every path wants the token; only GET and HEAD are answered', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(401);
    expect((await fetch(`${base}/metrics?token=wrong`)).status).toBe(401);
    const healthz = await fetch(`${base}/healthz`, auth);
    expect(healthz.status).toBe(200);
    expect(await healthz.text()).toBe('ok\n');
    for (const method of ['POST', 'PUT', 'DELETE']) expect((await fetch(`${base}/`, { ...auth, method })).status).toBe(405);
  });

  it('/metrics is Prometheus text with the fleet in it', async () => {
    const r = await fetch(`${base}/metrics`, auth);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(await r.text());
    expect(m.get('dom0_applies_total{result="converged"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('dom0_apply_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(m.get('dom0_apply_duration_seconds_bucket{le="+Inf"}')).toBe(m.get('dom0_apply_duration_seconds_count'));
    expect(m.get(`dom0_entries{fleet="${FLEET}",kind="service",state="running"}`)).toBe(2);
    expect(m.get(`dom0_entries{fleet="${FLEET}",kind="volume",state="created"}`)).toBe(1);
    expect(m.get('dom0_engine_connected')).toBe(1);
    expect(m.get('dom0_last_successful_apply_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 300);
  });

  it('the page shows every entry, the plan and the graph', async () => {
    await page.goto(`${base}/?token=${TOKEN}`);
    for (const name of ['spg-data', 'spg-seed', 'spg-db', 'spg-web']) {
      await page.locator(`#entries tr[data-entry="${name}"]`).waitFor({ timeout: 15_000 });
    }
    expect(await page.locator('#entries tr[data-entry="spg-web"] .state').textContent()).toBe('running');
    expect(await page.locator('#entries tr[data-entry="spg-seed"] .state').textContent()).toBe('exited');
    await expect.poll(() => page.locator('#plan').textContent(), { timeout: 15_000 }).toContain('nothing to do');
    expect(await page.locator('#graph svg g.node').count()).toBe(4);
    expect(await page.locator('#fleet').textContent()).toBe(FLEET);
  });

  it('a killed service turns running → restarting → running on the page', async () => {
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const note = () => {
        const s = document.querySelector('#entries tr[data-entry="spg-db"] .state')?.textContent ?? '';
        if (s && seen[seen.length - 1] !== s) seen.push(s);
      };
      note();
      new MutationObserver(note).observe(document.querySelector('#entries tbody')!, { childList: true, subtree: true, characterData: true });
    });
    await docker().getContainer('spg-db').kill();
    const seen = await waitFor(
      'spg-db seen running, restarting, running',
      async () => {
        const s = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
        const i = s.indexOf('restarting');
        return s[0] === 'running' && i > 0 && s.slice(i).includes('running') ? s : undefined;
      },
      30_000,
    );
    expect(seen[0]).toBe('running');
    await expect.poll(() => page.locator('#entries tr[data-entry="spg-db"] td').nth(6).textContent(), { timeout: 10_000 }).toBe('1');
  });

  it('an invalid edit appears in the events with its line and column; nothing changes', async () => {
    writeFileSync(file, MANIFEST.replace('    command: ["sleep", "3600"]\n    depends_on: [spg-db]', '    command: ["sleep", "3600"]\n    depends_on: [spg-db]\n    restrat: always'));
    const line = MANIFEST.split('\n').length; // the typo is the new last line
    await expect.poll(() => page.locator('#events').textContent(), { timeout: 30_000 }).toContain(`${file}:${line}:5: unknown key \`restrat\``);
    expect(await page.locator('#entries tr[data-entry="spg-web"] .state').textContent()).toBe('running');
    const m = parseMetrics(await (await fetch(`${base}/metrics`, auth)).text());
    expect(m.get('dom0_manifest_invalid_total')).toBeGreaterThanOrEqual(1);
  });
});
