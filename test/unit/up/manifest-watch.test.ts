import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { currentHash, ManifestWatch } from '../../../src/up/manifest-watch.js';

const root = mkdtempSync(join(tmpdir(), 'dom0-manifest-watch-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let watch: ManifestWatch | undefined;
afterEach(() => watch?.stop());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A watched manifest; `fired` holds the ms from `mark()` to each change seen. */
function watched(pollMs = 60_000) {
  const dir = join(root, `d${n++}`);
  const file = join(dir, 'dom0.yaml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, 'services: {}\n');
  const fired: number[] = [];
  let t0 = Date.now();
  watch = new ManifestWatch(file, () => fired.push(Date.now() - t0), { pollMs });
  watch.start(currentHash(file));
  return { dir, file, fired, mark: () => (t0 = Date.now()) };
}

describe('ManifestWatch', () => {
  it.each([
    ['an in-place write', (w: ReturnType<typeof watched>) => writeFileSync(w.file, 'services: {a: {image: x}}\n')],
    [
      'an editor write-and-rename',
      (w: ReturnType<typeof watched>) => {
        writeFileSync(join(w.dir, '.dom0.yaml.swp'), 'services: {b: {image: x}}\n');
        renameSync(join(w.dir, '.dom0.yaml.swp'), w.file);
      },
    ],
  ])('fires once, within the debounce (not the poll), for %s', async (_what, edit) => {
    const w = watched();
    w.mark();
    edit(w);
    await sleep(600);
    expect(w.fired).toHaveLength(1);
    expect(w.fired[0]).toBeLessThan(400);
  });

  it('fires nothing when the content did not change', async () => {
    const w = watched();
    writeFileSync(w.file, 'services: {}\n');
    await sleep(400);
    expect(w.fired).toEqual([]);
  });

  it('the poll sees a change fs.watch missed (a file replaced behind a bind mount)', async () => {
    const w = watched(100);
    watch!.stop();
    watch = new ManifestWatch(w.file, () => w.fired.push(1), { pollMs: 100 });
    watch.start('a hash that is not the file\'s');
    await sleep(500);
    expect(w.fired).toEqual([1]);
  });
});
