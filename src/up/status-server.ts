// `dom0 up --listen`: a read-only HTTP server for people and monitoring. `/` the status page,
// `/api/state` its data as JSON, `/api/stream` the same pushed as server-sent events, `/metrics`
// Prometheus text, `/healthz` the signal of `dom0 health`. Only GET and HEAD are answered:
// nothing here changes the fleet. An optional bearer token guards every path.
import { timingSafeEqual } from 'node:crypto';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Engine } from '../engine/engine.js';
import type { Log } from '../log.js';
import type { Manifest } from '../manifest/types.js';
import { previewPlan } from '../reconcile/preview.js';
import { status, type StatusRow } from '../reconcile/status.js';
import { graphSvg } from './graph-svg.js';
import type { Journal, JournalEvent, LastApply, RollbackState } from './journal.js';
import { renderMetrics } from './metrics.js';
import { STATUS_PAGE } from './status-page.js';
import type { SourceStatus } from './source/store.js';

export interface StatusSource {
  manifest(): Manifest | undefined;
  engine: Engine;
  journal: Journal;
  stateDir: string;
  /** Why dom0 is not healthy (as `dom0 health` says it), or undefined. */
  healthProblem(): string | undefined;
  /** Farm mode: the manifest source's state (undefined without --source). */
  source?(): SourceStatus | undefined;
}

export interface PageEntry {
  name: string;
  kind: string;
  state: string;
  health?: string;
  image: string;
  uptime?: string;
  restarts: number;
  sync: string;
  /** A scheduled job's next run. */
  nextRun?: string;
}

export interface PageState {
  fleet?: string;
  file?: string;
  now: string;
  engineConnected: boolean;
  lastApply?: LastApply;
  lastSuccessfulApply?: string;
  entries: PageEntry[];
  plan: Array<{ name: string; kind: string; action: string; reasons: string[] }>;
  planError?: string;
  graph: string;
  events: readonly JournalEvent[];
  /** Farm mode: where the manifest comes from and whether the last check of it succeeded. */
  source?: SourceStatus;
  /** A rollback in force (src/up/rollback.ts). */
  rollback?: RollbackState;
}

/** "127.0.0.1:9000", "[::1]:9000", ":9000" (every address) or a unix socket path. */
export type ListenAddress = { path: string } | { host: string; port: number };

export function parseListenAddress(s: string): ListenAddress | { error: string } {
  if (s.includes('/')) return { path: s };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { error: `--listen takes HOST:PORT (127.0.0.1:9000, [::1]:9000, :9000) or a unix socket path, not "${s}"` };
  }
  const host = m[1] ?? m[2] ?? '';
  if (host !== '' && host !== 'localhost' && !isIP(host)) return { error: `--listen: "${host}" is not an IP address (use 127.0.0.1, ::1 or 0.0.0.0)` };
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export function isLoopback(a: ListenAddress): boolean {
  return 'path' in a || a.host === 'localhost' || a.host === '::1' || a.host.startsWith('127.');
}

/** How often connected pages get a fresh state without an event; the plan is recomputed less often. */
const PUSH_EVERY_MS = 1000;
const PLAN_EVERY_MS = 5000;

export class StatusServer {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private planCache: { at: number; value: Pick<PageState, 'plan' | 'planError'> } | undefined;
  private pushing: Promise<void> | undefined;
  private pushAgain = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly src: StatusSource,
    private readonly log: Log,
    private readonly token?: string,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.unsubscribe = src.journal.onChange(() => {
      if (this.clients.size) void this.push();
    });
  }

  async listen(addr: ListenAddress): Promise<string> {
    if ('path' in addr && existsSync(addr.path) && lstatSync(addr.path).isSocket()) unlinkSync(addr.path);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      if ('path' in addr) this.server.listen(addr.path, resolve);
      else this.server.listen(addr.port, addr.host, resolve);
    });
    this.timer = setInterval(() => {
      if (this.clients.size) void this.push();
    }, PUSH_EVERY_MS);
    const a = this.server.address();
    return typeof a === 'string' ? a : a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : '?';
  }

  /** Live event-stream clients (the leak probe reads it). */
  get streamClients(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const c of this.clients) c.end();
    this.clients.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    if (!this.token) return true;
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? '');
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dom0');
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('read-only: nothing here changes the fleet\n');
      return;
    }
    if (!this.authorized(req, url)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer', 'Content-Type': 'text/plain' }).end('a bearer token is needed (Authorization: Bearer …, or ?token=… for the page)\n');
      return;
    }
    try {
      switch (url.pathname) {
        case '/':
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:" }).end(STATUS_PAGE);
          return;
        case '/api/state':
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(await this.state()));
          return;
        case '/api/stream': {
          res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
          // Listening for the hang-up before reading the state: a client gone meanwhile must not
          // join the set for good (the soak saw one stay per such hang-up).
          let gone = false;
          res.on('close', () => {
            gone = true;
            this.clients.delete(res);
          });
          const first = `data: ${JSON.stringify(await this.state())}\n\n`;
          if (gone) return;
          res.write(first);
          this.clients.add(res);
          return;
        }
        case '/metrics': {
          const m = this.src.manifest();
          const rows = m ? await status(m, this.src.engine).catch(() => undefined) : undefined;
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(this.src.journal, rows, m?.name, this.src.source?.()));
          return;
        }
        case '/healthz': {
          const problem = this.src.healthProblem();
          res.writeHead(problem ? 503 : 200, { 'Content-Type': 'text/plain' }).end(`${problem ?? 'ok'}\n`);
          return;
        }
        default:
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      }
    } catch (e) {
      this.log.warn({ event: 'status-page-error', path: url.pathname, error: (e as Error).message }, 'status page request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error\n');
    }
  }

  /** One push at a time; an event during a push makes one more. */
  private async push(): Promise<void> {
    if (this.pushing) {
      this.pushAgain = true;
      return;
    }
    this.pushing = (async () => {
      do {
        this.pushAgain = false;
        const data = `data: ${JSON.stringify(await this.state())}\n\n`;
        for (const c of this.clients) c.write(data);
      } while (this.pushAgain);
    })()
      .catch(() => undefined)
      .finally(() => (this.pushing = undefined));
    await this.pushing;
  }

  async state(): Promise<PageState> {
    const { journal } = this.src;
    const m = this.src.manifest();
    let rows: StatusRow[] = [];
    let engineConnected = journal.engineConnected;
    if (m) {
      try {
        rows = await status(m, this.src.engine);
        engineConnected = true;
      } catch {
        engineConnected = false;
      }
    }
    const entries: PageEntry[] = rows.map((r) => {
      if (r.state === 'running') journal.sawRunning(r.name);
      const restarting = journal.restarting.has(r.name) && r.state !== 'running';
      return {
        name: r.name,
        kind: r.kind,
        state: restarting ? 'restarting' : r.state === '-' ? 'missing' : r.state,
        ...(r.health ? { health: r.health } : {}),
        image: r.image,
        ...(r.status ? { uptime: r.status } : {}),
        restarts: journal.restarts.get(r.name) ?? 0,
        sync: r.sync,
        ...(r.nextRun ? { nextRun: r.nextRun } : {}),
      };
    });
    const states = new Map(entries.map((e) => [e.name, e.state]));
    return {
      ...(m ? { fleet: m.name, file: m.file } : {}),
      now: new Date().toISOString(),
      engineConnected,
      ...(journal.lastApply ? { lastApply: journal.lastApply } : {}),
      ...(journal.lastSuccessfulApply ? { lastSuccessfulApply: journal.lastSuccessfulApply } : {}),
      entries,
      ...(await this.planOf(m, engineConnected)),
      graph: m ? graphSvg(m, (n) => states.get(n)) : '',
      events: journal.events(),
      ...(this.src.source?.() ? { source: this.src.source()! } : {}),
      ...(journal.rollback ? { rollback: journal.rollback } : {}),
    };
  }

  private async planOf(m: Manifest | undefined, connected: boolean): Promise<Pick<PageState, 'plan' | 'planError'>> {
    if (!m || !connected) return { plan: [] };
    const now = Date.now();
    const lastApplyAt = this.src.journal.lastApply ? Date.parse(this.src.journal.lastApply.time) : 0;
    if (this.planCache && now - this.planCache.at < PLAN_EVERY_MS && this.planCache.at > lastApplyAt) return this.planCache.value;
    let value: Pick<PageState, 'plan' | 'planError'>;
    try {
      const p = await previewPlan(m, this.src.engine, this.src.stateDir);
      value = { plan: p.actions.map((a) => ({ name: a.name, kind: a.kind, action: a.action, reasons: [...a.reasons] })) };
    } catch (e) {
      value = { plan: [], planError: (e as Error).message };
    }
    this.planCache = { at: now, value };
    return value;
  }
}
