// An in-memory Engine: containers, networks, volumes, images and events kept in maps, so execute,
// down and status run in unit tests without Docker. Any call can be told to fail (`failOn`), and
// what a started container does (keeps running, or exits with a code) is scripted (`onStart`).
import type {
  BuildRequest,
  ContainerDetails,
  ContainerFile,
  ContainerState,
  CreateContainerRequest,
  CreateNetworkRequest,
  CreateVolumeRequest,
  Engine,
  EngineEvent,
  EngineInfo,
  EventStream,
  ExecRequest,
  ExecResult,
  ImageInfo,
  MountInfo,
  NetworkInfo,
  PullOptions,
  VolumeInfo,
} from '../../src/engine/engine.js';
import { EngineError } from '../../src/engine/errors.js';

export interface MemoryContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  state: ContainerState;
  exitCode?: number;
  startedAt?: string;
  labels: Record<string, string>;
  mounts: MountInfo[];
  hasHealthcheck: boolean;
  health?: 'starting' | 'healthy' | 'unhealthy';
  restartCount: number;
  created: number;
  /** How many times it was started. */
  starts: number;
  /** Files written into it (putFile), by path. */
  files?: Map<string, ContainerFile>;
  /** Commands run in it (exec), in order. */
  execs?: ExecRequest[];
}

/** What a started container does: keep running (undefined), or exit with a code (after `afterMs`). */
export type StartBehaviour = { exit: number; afterMs?: number } | undefined;

type Op = Exclude<keyof Engine, 'calls'>;

interface Failure {
  op: Op;
  when: (args: unknown[]) => boolean;
  error: () => Error;
  times: number;
}

export class MemoryEngine implements Engine {
  readonly containers = new Map<string, MemoryContainer>();
  readonly networks = new Map<string, NetworkInfo>();
  readonly volumes = new Map<string, VolumeInfo>();
  readonly images = new Map<string, ImageInfo>();
  /** Every event emitted, in order. */
  readonly events_: EngineEvent[] = [];
  /** Every call, in order, as `op arg` (for asserting what execute did). */
  readonly log: string[] = [];
  readonly calls: Record<string, number> = {};
  /** What a container does when started; default: runs until stopped. */
  onStart: (c: MemoryContainer) => StartBehaviour = () => undefined;
  /** What an exec does; default: exits 0 without output. */
  onExec: (c: MemoryContainer, req: ExecRequest) => ExecResult = () => ({ exitCode: 0, output: '' });

  private seq = 0;
  private failures: Failure[] = [];
  private listeners = new Set<{ label?: string; fn: (e: EngineEvent) => void }>();

  /** A local image (the ID defaults to one derived from the ref). */
  addImage(ref: string, over: Partial<ImageInfo> = {}): ImageInfo {
    const info: ImageInfo = { id: `sha256:${hex(ref)}`, repoTags: [ref], repoDigests: [], created: '', volumes: [], labels: {}, ...over };
    this.images.set(ref, info);
    return info;
  }

  /**
   * Makes `op` throw (an EngineError 'server' by default) when `when(args)` holds, `times` times
   * (default: always).
   */
  failOn(op: Op, opts: { when?: (args: unknown[]) => boolean; error?: () => Error; times?: number } = {}): void {
    this.failures.push({
      op,
      when: opts.when ?? (() => true),
      error: opts.error ?? (() => new EngineError('server', `${op} failed (injected)`, 500)),
      times: opts.times ?? Infinity,
    });
  }

  byName(name: string): MemoryContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  private enter(op: Op, ...args: unknown[]): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    this.log.push(`${op}${args.length ? ' ' + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : ''}`);
    const f = this.failures.find((x) => x.op === op && x.times > 0 && x.when(args));
    if (f) {
      f.times--;
      throw f.error();
    }
  }

  private find(idOrName: string): MemoryContainer | undefined {
    return this.containers.get(idOrName) ?? this.byName(idOrName);
  }

  private must(idOrName: string): MemoryContainer {
    const c = this.find(idOrName);
    if (!c) throw new EngineError('not-found', `No such container: ${idOrName}`, 404);
    return c;
  }

  /** Tests: queue events instead of delivering them (a real engine delivers them a moment late). */
  holdEvents = false;
  readonly heldEvents: EngineEvent[] = [];

  /** Delivers the held events, in order, and stops holding. */
  releaseEvents(): void {
    this.holdEvents = false;
    for (const e of this.heldEvents.splice(0)) this.deliver(e);
  }

  private emit(c: MemoryContainer, action: string): void {
    const e: EngineEvent = { type: 'container', action, id: c.id, attributes: { ...c.labels, name: c.name }, timeNano: Date.now() * 1e6 };
    this.events_.push(e);
    if (this.holdEvents) this.heldEvents.push(e);
    else this.deliver(e);
  }

  private deliver(e: EngineEvent): void {
    const labels = e.attributes;
    for (const l of this.listeners) {
      if (l.label && !matchesLabel(labels, l.label)) continue;
      l.fn(e);
    }
  }

  async ping(): Promise<void> {
    this.enter('ping');
  }

  async version() {
    this.enter('version');
    return { version: 'memory', apiVersion: '1.45' };
  }

  /** What info() returns; a test sets the host's name and labels here. */
  hostInfo: EngineInfo = { name: 'memory-host', labels: {}, os: 'linux', arch: 'x86_64', swarm: 'inactive' };

  async info(): Promise<EngineInfo> {
    this.enter('info');
    return { ...this.hostInfo, labels: { ...this.hostInfo.labels } };
  }

  async listContainers() {
    this.enter('listContainers');
    return [...this.containers.values()].map((c) => ({
      id: c.id,
      name: c.name,
      image: c.image,
      imageId: c.imageId,
      state: c.state,
      status: c.state === 'exited' ? `Exited (${c.exitCode ?? 0}) 1 second ago` : c.state === 'running' ? 'Up 1 second' : c.state,
      health: c.health,
      exitCode: c.state === 'exited' ? c.exitCode : undefined,
      labels: { ...c.labels },
      mounts: c.mounts.map((m) => ({ ...m })),
      created: c.created,
    }));
  }

  async inspectContainer(idOrName: string): Promise<ContainerDetails | undefined> {
    this.enter('inspectContainer', idOrName);
    const c = this.find(idOrName);
    if (!c) return undefined;
    return {
      id: c.id,
      name: c.name,
      image: c.image,
      imageId: c.imageId,
      state: c.state,
      status: c.state,
      health: c.health,
      exitCode: c.exitCode,
      labels: { ...c.labels },
      mounts: c.mounts.map((m) => ({ ...m })),
      created: c.created,
      startedAt: c.startedAt,
      restartCount: c.restartCount,
      oomKilled: false,
      hasHealthcheck: c.hasHealthcheck,
    };
  }

  async createContainer(req: CreateContainerRequest): Promise<string> {
    this.enter('createContainer', req.name);
    if (this.byName(req.name)) throw new EngineError('conflict', `Conflict. The container name "/${req.name}" is already in use`, 409);
    const body = req.body as {
      Image: string;
      Labels?: Record<string, string>;
      Volumes?: Record<string, object>;
      Healthcheck?: { Test?: string[] };
      HostConfig?: { Binds?: string[]; Mounts?: Array<{ Type: string; Source?: string; Target: string; ReadOnly?: boolean }> };
    };
    const image = this.images.get(body.Image);
    if (!image) throw new EngineError('not-found', `No such image: ${body.Image}`, 404);
    const id = `c${String(++this.seq).padStart(3, '0')}${hex(req.name).slice(0, 8)}`;
    const mounts: MountInfo[] = [];
    for (const b of body.HostConfig?.Binds ?? []) {
      const [source, destination, opts] = b.split(':') as [string, string, string | undefined];
      const named = !source.startsWith('/');
      if (named) this.ensureVolume(source);
      mounts.push({ type: named ? 'volume' : 'bind', name: named ? source : undefined, source, destination, rw: !opts?.includes('ro') });
    }
    for (const m of body.HostConfig?.Mounts ?? []) {
      const name = m.Type === 'volume' ? (m.Source ?? this.anonymousVolume()) : undefined;
      if (name) this.ensureVolume(name);
      mounts.push({ type: m.Type, name, source: m.Source ?? '', destination: m.Target, rw: !m.ReadOnly });
    }
    const paths = [...Object.keys(body.Volumes ?? {}), ...image.volumes];
    for (const p of paths) {
      if (mounts.some((m) => m.destination === p)) continue;
      const name = this.anonymousVolume();
      mounts.push({ type: 'volume', name, source: name, destination: p, rw: true });
    }
    const c: MemoryContainer = {
      id,
      name: req.name,
      image: body.Image,
      imageId: image.id,
      state: 'created',
      labels: { ...image.labels, ...(body.Labels ?? {}) },
      mounts,
      hasHealthcheck: !!body.Healthcheck?.Test?.length && body.Healthcheck.Test[0] !== 'NONE',
      restartCount: 0,
      created: Math.floor(Date.now() / 1000),
      starts: 0,
    };
    this.containers.set(id, c);
    this.emit(c, 'create');
    return id;
  }

  private anonymousVolume(): string {
    const name = hex(`anon-${++this.seq}`);
    this.ensureVolume(name);
    return name;
  }

  private ensureVolume(name: string): void {
    if (!this.volumes.has(name)) this.volumes.set(name, { name, labels: {} });
  }

  async startContainer(id: string): Promise<void> {
    this.enter('startContainer', id);
    const c = this.must(id);
    if (c.state === 'running') return;
    this.run(c);
  }

  private run(c: MemoryContainer): void {
    c.state = 'running';
    c.exitCode = undefined;
    c.startedAt = new Date().toISOString();
    c.starts++;
    if (c.hasHealthcheck) c.health = 'starting';
    this.emit(c, 'start');
    const b = this.onStart(c);
    if (b) {
      const starts = c.starts;
      setTimeout(() => {
        if (c.state !== 'running' || c.starts !== starts || !this.containers.has(c.id)) return;
        this.exit(c, b.exit, 'die');
      }, b.afterMs ?? 1);
    }
  }

  private exit(c: MemoryContainer, code: number, action: string): void {
    c.state = 'exited';
    c.exitCode = code;
    if (c.health) c.health = undefined;
    this.emit(c, action);
  }

  /** Marks a running container healthy or unhealthy (a health_status event follows). */
  setHealth(name: string, health: 'healthy' | 'unhealthy'): void {
    const c = this.must(name);
    c.health = health;
    this.emit(c, `health_status: ${health}`);
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    this.enter('stopContainer', id, ...(timeoutSeconds === undefined ? [] : [timeoutSeconds]));
    const c = this.must(id);
    if (c.state === 'running' || c.state === 'restarting' || c.state === 'paused') {
      this.exit(c, 137, 'die');
      this.emit(c, 'stop');
    }
  }

  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    this.enter('restartContainer', id, ...(timeoutSeconds === undefined ? [] : [timeoutSeconds]));
    const c = this.must(id);
    if (c.state === 'running') this.exit(c, 0, 'die');
    c.restartCount++;
    this.run(c);
    this.emit(c, 'restart');
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    this.enter('removeContainer', id);
    const c = this.must(id);
    if (c.state === 'running' && !opts.force) throw new EngineError('conflict', `container ${c.name} is running`, 409);
    if (c.state === 'running') this.exit(c, 137, 'die');
    this.containers.delete(c.id);
    if (opts.volumes) for (const m of c.mounts) if (m.type === 'volume' && m.name && m.name.length === 64) this.volumes.delete(m.name);
    this.emit(c, 'destroy');
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    this.enter('renameContainer', id, newName);
    const c = this.must(id);
    const other = this.byName(newName);
    if (other && other !== c) throw new EngineError('conflict', `name ${newName} is in use`, 409);
    c.name = newName;
    this.emit(c, 'rename');
  }

  async streamLogs(id: string): Promise<void> {
    this.enter('streamLogs', id);
    this.must(id);
  }

  async containerLogs(id: string, _tailLines: number): Promise<string> {
    this.enter('containerLogs', id);
    this.must(id);
    return '';
  }

  async copyPath(fromId: string, path: string, toId: string): Promise<void> {
    this.enter('copyPath', fromId, path, toId);
    this.must(fromId);
    this.must(toId);
  }

  async putFile(id: string, file: ContainerFile): Promise<void> {
    this.enter('putFile', id, file.path); // never the content
    const c = this.must(id);
    (c.files ??= new Map()).set(file.path, { ...file });
  }

  async exec(id: string, req: ExecRequest): Promise<ExecResult> {
    this.enter('exec', id, req.command.join(' '));
    const c = this.must(id);
    if (c.state !== 'running') throw new EngineError('conflict', `container ${c.id} is not running`, 409);
    (c.execs ??= []).push({ ...req });
    return this.onExec(c, req);
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    this.enter('inspectImage', ref);
    const i = this.images.get(ref) ?? [...this.images.values()].find((x) => x.id === ref);
    return i ? { ...i } : undefined;
  }

  /** Every build, in order, with the context's tar entries read (names, in order). */
  readonly builds: Array<Omit<BuildRequest, 'context' | 'onOutput' | 'signal'> & { entries?: string[] }> = [];

  async buildImage(req: BuildRequest): Promise<string> {
    this.enter('buildImage', req.tags[0]);
    let entries: string[] | undefined;
    let content = '';
    if (req.context) {
      const chunks: Buffer[] = [];
      for await (const c of req.context) chunks.push(Buffer.from(c));
      const tar = Buffer.concat(chunks);
      entries = tarNames(tar);
      content = tar.toString('base64');
    }
    const { context: _c, onOutput, signal: _s, ...rest } = req;
    this.builds.push({ ...rest, entries });
    onOutput?.(`Step 1/1 : FROM scratch`);
    // The same inputs give the same image ID, as the engine's build cache would.
    const id = `sha256:${hex(JSON.stringify({ ...rest, content }))}`;
    for (const t of req.tags) this.addImage(t, { id, repoTags: req.tags, labels: { ...req.labels } });
    return id;
  }

  async pullImage(ref: string, _opts?: PullOptions): Promise<void> {
    this.enter('pullImage', ref);
    if (!this.images.has(ref)) this.addImage(ref);
  }

  async listNetworks(): Promise<NetworkInfo[]> {
    this.enter('listNetworks');
    return [...this.networks.values()].map((n) => ({ ...n, labels: { ...n.labels } }));
  }

  async createNetwork(req: CreateNetworkRequest): Promise<string> {
    this.enter('createNetwork', req.name);
    if ([...this.networks.values()].some((n) => n.name === req.name)) throw new EngineError('conflict', `network ${req.name} exists`, 409);
    const id = `n${hex(req.name).slice(0, 11)}`;
    this.networks.set(id, { id, name: req.name, labels: { ...req.labels } });
    return id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.enter('removeNetwork', idOrName);
    const n = this.networks.get(idOrName) ?? [...this.networks.values()].find((x) => x.name === idOrName);
    if (!n) throw new EngineError('not-found', `network ${idOrName} not found`, 404);
    this.networks.delete(n.id);
  }

  async inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    this.enter('inspectVolume', name);
    const v = this.volumes.get(name);
    return v ? { name: v.name, labels: { ...v.labels } } : undefined;
  }

  async listVolumes(opts: { label: string }): Promise<VolumeInfo[]> {
    this.enter('listVolumes', opts.label);
    return [...this.volumes.values()].filter((v) => matchesLabel(v.labels, opts.label)).map((v) => ({ name: v.name, labels: { ...v.labels } }));
  }

  async createVolume(req: CreateVolumeRequest): Promise<void> {
    this.enter('createVolume', req.name);
    if (!this.volumes.has(req.name)) this.volumes.set(req.name, { name: req.name, labels: { ...req.labels } });
  }

  async removeVolume(name: string): Promise<void> {
    this.enter('removeVolume', name);
    const inUse = [...this.containers.values()].some((c) => c.mounts.some((m) => m.name === name));
    if (inUse) throw new EngineError('conflict', `volume ${name} is in use`, 409);
    this.volumes.delete(name);
  }

  async events(opts: { label?: string } = {}): Promise<EventStream> {
    this.enter('events', ...(opts.label ? [opts.label] : []));
    const fns = new Set<(e: EngineEvent) => void>();
    const entry = { label: opts.label, fn: (e: EngineEvent) => fns.forEach((f) => f(e)) };
    this.listeners.add(entry);
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    return {
      on: (fn) => {
        fns.add(fn);
        return () => fns.delete(fn);
      },
      ended,
      close: () => {
        this.listeners.delete(entry);
        end();
      },
    };
  }
}

function matchesLabel(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf('=');
  if (i < 0) return filter in labels;
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}

/** A stable 64-hex-digit string derived from `s`. */
function hex(s: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (const ch of `${round}:${s}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** The entry names of an uncompressed ustar/pax archive, in order (pax `path` records win). */
function tarNames(tar: Buffer): string[] {
  const out: string[] = [];
  let pending: string | undefined;
  for (let i = 0; i + 512 <= tar.length; ) {
    const h = tar.subarray(i, i + 512);
    if (h.every((b) => b === 0)) break;
    const field = (o: number, n: number) => h.subarray(o, o + n).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const data = tar.subarray(i + 512, i + 512 + size);
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      pending = m?.[1];
    } else {
      const prefix = field(345, 155);
      out.push(pending ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)));
      pending = undefined;
    }
    i += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
