// A status-page client that hangs up while dom0 is still reading the state for its first push
// must not stay in the stream's client set (the soak, bench/soak.mjs, saw one stay per hang-up).
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { Journal } from '../../../src/up/journal.js';
import { StatusServer } from '../../../src/up/status-server.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { manifest, svc } from '../reconcile/build.js';

const dir = mkdtempSync(join(tmpdir(), 'dom0-status-hangup-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An engine whose container listing takes `ms`: the state read for the first push is slow. */
class SlowEngine extends MemoryEngine {
  constructor(private readonly ms: number) {
    super();
  }
  override async listContainers() {
    await sleep(this.ms);
    return super.listContainers();
  }
}

async function serve() {
  const server = new StatusServer(
    { manifest: () => manifest({ services: [svc('a')] }), engine: new SlowEngine(300), journal: new Journal(), stateDir: dir, healthProblem: () => undefined },
    silentLogger(),
  );
  const where = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, port: Number(where.split(':').pop()) };
}

function connect(port: number): http.ClientRequest {
  const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', agent: false }, (res) => res.resume());
  req.on('error', () => undefined);
  return req;
}

describe('status page event stream', () => {
  it.each([
    ['hangs up while the first state is read', 30],
    ['hangs up after the first push', 1200],
  ])('forgets a client that %s', async (_what, hangUpAfterMs) => {
    const { server, port } = await serve();
    try {
      const req = connect(port);
      await sleep(hangUpAfterMs);
      req.destroy();
      await sleep(800);
      expect(server.streamClients).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('keeps a client that stays', async () => {
    const { server, port } = await serve();
    const req = connect(port);
    try {
      await sleep(1200);
      expect(server.streamClients).toBe(1);
    } finally {
      req.destroy();
      await server.close();
    }
  });
});
