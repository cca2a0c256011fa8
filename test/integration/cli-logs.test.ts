// `dom0 logs` on the test engine: the fleet's logs interleaved in time order with entry prefixes,
// one entry, --tail, and --follow ending when the containers stop.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, logsOf, runDom0 } from '../support/engine.js';
import { waitFor } from '../support/wait.js';
import { applyJson, cleanupFleetAndVolumes, manifestFile } from './fixtures/core-helpers.js';

const FLEET = 'dom0-cli-logs';

// Two services writing alternately, a1 b1 a2 b2 a3, then idle; a job that writes to stdout and
// stderr and exits. The services take turns through marker files on a shared volume (each line
// 0.3 s before the marker that lets the other write), so the order holds whenever each starts.
const turn = (line: string, mark: string, after?: string) =>
  `${after ? `until [ -e /s/${after} ]; do sleep 0.05; done; ` : ''}${line}; sleep 0.3; touch /s/${mark}`;
const MANIFEST = `name: ${FLEET}
services:
  logs-a:
    image: busybox:latest
    volumes: ["turns:/s"]
    command: ["sh", "-c", "rm -f /s/*; ${turn('echo a1', 'a1')}; ${turn('echo a2', 'a2', 'b1')}; ${turn('echo a3', 'a3', 'b2')}; sleep 3600"]
  logs-b:
    image: busybox:latest
    volumes: ["turns:/s"]
    command: ["sh", "-c", "${turn('echo b1', 'b1', 'a1')}; ${turn('echo b2 >&2', 'b2', 'a2')}; sleep 3600"]
jobs:
  logs-job:
    image: busybox:latest
    command: ["sh", "-c", "echo job-out; echo job-err >&2; sleep 1; echo job-last"]
volumes:
  turns: {}
`;

describeEngine('dom0 logs', () => {
  let file: string;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(MANIFEST);
    await applyJson(file);
    await waitFor('every line written', async () => (await logsOf('logs-a')).stdout.includes('a3') && (await logsOf('logs-job')).stdout.includes('job-last'));
  }, 120_000);

  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('interleaves the fleet by time, each line prefixed with its entry', async () => {
    const r = await runDom0(['logs', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // the prefix is padded to the longest entry name (logs-job)
    expect(lines.filter((l) => !l.startsWith('logs-job'))).toEqual(['logs-a   | a1', 'logs-b   | b1', 'logs-a   | a2', 'logs-b   | b2', 'logs-a   | a3']);
    // stdout and stderr are separate pipes: the engine may stamp job-err before job-out
    expect(lines.filter((l) => l.startsWith('logs-job')).sort()).toEqual(['logs-job | job-err', 'logs-job | job-last', 'logs-job | job-out']);
  });

  it('one entry, --tail, timestamps, no prefix', async () => {
    const tail = await runDom0(['logs', '--tail', '1', 'logs-a', '-f', file]);
    expect(tail.stdout).toBe('logs-a | a3\n');
    const stamped = await runDom0(['logs', '-t', '--no-prefix', 'logs-b', '-f', file]);
    expect(stamped.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z b1\n\S+Z b2\n$/);
  });

  it('--follow follows until the containers stop; an unknown entry is exit 2', async () => {
    const follow = await runDom0(['logs', '--follow', 'logs-job', '-f', file], { timeoutMs: 30_000 });
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout.split('\n').filter(Boolean).sort()).toEqual(['logs-job | job-err', 'logs-job | job-last', 'logs-job | job-out']);
    const bad = await runDom0(['logs', 'logs-c', '-f', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no service or job "logs-c"');
  });
});
