// A tiny Docker Engine API client: raw HTTP/1.1 over the engine's unix socket with node:http.
// Used by the floor (bench/floor.mjs) and by the harness for cleanup and checks. No dockerode.
import http from 'node:http';

/** The socket path from DOCKER_HOST (unix:// only: the bench talks to nothing else). */
export function socketPathFromEnv(env = process.env) {
  const h = env.DOCKER_HOST && env.DOCKER_HOST !== '' ? env.DOCKER_HOST : 'unix:///var/run/docker.sock';
  if (h.startsWith('unix://')) return h.slice('unix://'.length);
  if (h.startsWith('/')) return h;
  throw new Error(`DOCKER_HOST must be a unix socket (unix:///path), not ${h}`);
}

export class ApiError extends Error {
  constructor(method, path, status, message) {
    super(`${method} ${path}: ${status} ${message}`);
    this.status = status;
  }
}

export class EngineApi {
  constructor(socketPath = socketPathFromEnv()) {
    this.socketPath = socketPath;
    // one socket per in-flight request, kept alive between them: full parallelism, no reconnects
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    /** Calls made, by operation name. */
    this.calls = {};
  }

  /** Resolves to { status, body } (body parsed as JSON when it is JSON, else text). */
  request(method, path, { body, op, timeoutMs = 600_000 } = {}) {
    const key = op ?? `${method} ${path.split('?')[0]}`;
    this.calls[key] = (this.calls[key] ?? 0) + 1;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path,
          headers: payload
            ? { 'Content-Type': 'application/json', 'Content-Length': payload.length, Host: 'docker' }
            : { Host: 'docker' },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed = text;
            if ((res.headers['content-type'] ?? '').includes('json') && text.length) {
              try {
                parsed = JSON.parse(text);
              } catch {
                /* keep text */
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Like request, but a status ≥ 400 not listed in `ok` is an error; resolves to the body. */
  async call(method, path, { body, op, ok = [] } = {}) {
    const r = await this.request(method, path, { body, op });
    if (r.status >= 400 && !ok.includes(r.status)) {
      const msg = typeof r.body === 'object' && r.body?.message ? r.body.message : String(r.body).trim();
      throw new ApiError(method, path, r.status, msg);
    }
    return r.body;
  }

  /**
   * A live /events stream. onEvent gets each decoded event. Resolves once the engine has
   * answered (so events after that point are seen); close() ends it.
   */
  events(filters, onEvent) {
    this.calls.events = (this.calls.events ?? 0) + 1;
    const q = encodeURIComponent(JSON.stringify(filters));
    return new Promise((resolve, reject) => {
      const req = http.request(
        { socketPath: this.socketPath, method: 'GET', path: `/events?filters=${q}`, headers: { Host: 'docker' } },
        (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            reject(new Error(`GET /events: ${res.statusCode}`));
            res.resume();
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            buf += chunk;
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              try {
                onEvent(JSON.parse(line));
              } catch {
                /* ignore a bad line */
              }
            }
          });
          res.on('error', () => undefined);
          resolve({ close: () => req.destroy() });
        },
      );
      req.on('error', (e) => {
        if (e.code !== 'ECONNRESET') reject(e);
      });
      req.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}

/** Runs fn over items with at most `n` in flight; resolves to the results in order. */
export async function mapLimit(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
