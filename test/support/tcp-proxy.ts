// A small TCP proxy for tests: listens on 127.0.0.1 and forwards to a target (e.g. the test
// registry on 127.0.0.1:5000), and can make the target look slow or stalled — the bytes coming
// back from the target (the download direction) can be throttled, delayed or frozen.
//
//   const proxy = await TcpProxy.start({ target: { host: '127.0.0.1', port: 5000 } });
//   proxy.bytesPerSecond = 512 * 1024;          // slow registry
//   proxy.freezeAfter(1_000_000);                // the first connection that carries 1 MB freezes
//   ... pull 127.0.0.1:${proxy.port}/repo:tag ...
//   await proxy.close();
//
// The engine treats 127.0.0.0/8 as insecure registries, so plain HTTP on any port works.

import net from 'node:net';
import { sleep } from '../../src/backoff.js';

export interface TcpProxyOptions {
  target: { host: string; port: number };
  /** Listen port (default 0: any free port). */
  port?: number;
  host?: string;
}

interface FreezeRule {
  afterBytes: number;
  /** How many connections to freeze before the rule is spent. */
  remaining: number;
  /** Unfreeze after this long; undefined = stays frozen until the connection closes. */
  durationMs?: number;
}

interface Conn {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  down: number; // bytes sent to the client
  frozenUntil: number; // epoch ms; Infinity = until closed; 0 = not frozen
  closed: boolean;
}

const CHUNK = 16 * 1024;


export class TcpProxy {
  /** Added latency per forwarded chunk (download direction), ms. */
  delayMs = 0;
  /** Download bandwidth limit per connection, bytes/s (0 = unlimited). */
  bytesPerSecond = 0;
  /** Freezes every connection's download direction while true. */
  frozen = false;
  /** Accept connections and close them at once (a registry that resets connections). */
  reject = false;

  private readonly conns = new Set<Conn>();
  private rules: FreezeRule[] = [];
  private nextId = 1;
  /** Connections accepted so far. */
  connections = 0;
  /** Bytes forwarded to clients so far. */
  bytesDown = 0;
  /** Connections a freeze rule has frozen so far. */
  frozenConnections = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly opts: TcpProxyOptions,
  ) {}

  static async start(opts: TcpProxyOptions): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, opts);
    server.on('connection', (s) => proxy.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** "127.0.0.1:PORT", for image references. */
  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  /**
   * The next `connections` connections (default 1) that carry more than `afterBytes` towards the
   * client freeze there — for `durationMs`, or until they close.
   */
  freezeAfter(afterBytes: number, opts: { connections?: number; durationMs?: number } = {}): void {
    this.rules.push({ afterBytes, remaining: opts.connections ?? 1, durationMs: opts.durationMs });
  }

  /** Drops pending freeze rules and unfreezes every connection. */
  unfreeze(): void {
    this.frozen = false;
    this.rules = [];
    for (const c of this.conns) c.frozenUntil = 0;
  }

  /** Closes every open connection (both sides), keeps listening. */
  resetConnections(): void {
    for (const c of this.conns) {
      c.client.destroy();
      c.upstream.destroy();
    }
  }

  async close(): Promise<void> {
    this.resetConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    if (this.reject) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.opts.target.port, this.opts.target.host);
    const c: Conn = { id: this.nextId++, client, upstream, down: 0, frozenUntil: 0, closed: false };
    this.conns.add(c);
    const close = () => {
      if (c.closed) return;
      c.closed = true;
      this.conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    // The client going away, or a reset either side, ends both. The target closing normally only
    // ends the client once everything it sent has been delivered (throttled, delayed or frozen).
    client.on('error', close);
    client.on('close', close);
    upstream.on('error', close);
    client.pipe(upstream);
    let delivered = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      upstream.pause();
      delivered = delivered.then(() => this.deliver(c, chunk)).then(() => {
        if (!c.closed) upstream.resume();
      }, close);
    });
    upstream.on('end', () => {
      void delivered.then(() => {
        if (!c.closed) client.end();
      });
    });
  }

  private async waitWhileFrozen(c: Conn): Promise<void> {
    while (!c.closed && (this.frozen || c.frozenUntil > Date.now())) await sleep(50);
    if (c.frozenUntil !== 0 && c.frozenUntil <= Date.now()) c.frozenUntil = 0;
  }

  private async deliver(c: Conn, chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length && !c.closed; off += CHUNK) {
      const piece = chunk.subarray(off, Math.min(chunk.length, off + CHUNK));
      await this.waitWhileFrozen(c);
      if (c.closed) return;
      if (this.delayMs > 0) await sleep(this.delayMs);
      if (this.bytesPerSecond > 0) await sleep((piece.length / this.bytesPerSecond) * 1000);
      if (c.closed) return;
      const ok = c.client.write(piece);
      c.down += piece.length;
      this.bytesDown += piece.length;
      if (!ok) await new Promise<void>((r) => (c.closed ? r() : c.client.once('drain', () => r())));
      const rule = this.rules.find((r) => r.remaining > 0);
      if (rule && c.frozenUntil === 0 && c.down >= rule.afterBytes) {
        rule.remaining--;
        this.frozenConnections++;
        c.frozenUntil = rule.durationMs === undefined ? Infinity : Date.now() + rule.durationMs;
      }
    }
  }
}
