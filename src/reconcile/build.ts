// Builds: the images of entries with `build:`, made through the Engine API before containers are
// created (with the pulls, an image-producing phase). An image is built when it is absent (after a
// pull that could not bring it, as Compose does), or when the content hash of its build inputs
// differs from the one recorded in the image's io.dom0.build-hash label: an unchanged context
// builds nothing, so a no-op apply stays a no-op.

import type { Engine, ImageInfo } from '../engine/engine.js';
import type { Log } from '../log.js';
import type { BuildSpec, ContainerSpec, Manifest } from '../manifest/types.js';
import { scrub } from '../redact.js';
import { buildHash, contextTar, readContext } from './build-context.js';

export const BUILD_HASH_LABEL = 'io.dom0.build-hash';

/** The build inputs shown in a plan: build args by name only (their values may be secret). */
export interface BuildInputs {
  context: string;
  remote: boolean;
  dockerfile?: string;
  inlineDockerfile?: true;
  target?: string;
  args: string[];
  tags: string[];
  platform?: string;
  noCache?: true;
  pull?: true;
}

/** One image to build (or not), per distinct image of entries with `build:`. */
export interface BuildStep {
  /** The image reference the build is tagged with (the entries' `image`, or `<fleet>-<entry>`). */
  image: string;
  /** The entries that run this image. */
  entries: string[];
  action: 'build' | 'skip' | 'fail';
  reason: string;
  /** The content hash of the inputs (context files after .dockerignore, Dockerfile, options); absent when they could not be read. */
  hash?: string;
  /** The hash recorded on the local image, when it has one. */
  presentHash?: string;
  presentId?: string;
  inputs: BuildInputs;
}

/** The content hash of each built image's inputs, or why they could not be read. */
export type BuildHashes = ReadonlyMap<string, { hash: string } | { error: string }>;

/** The first entry building each image (entries sharing an image share its build). */
function buildGroups(manifest: Manifest): Map<string, { spec: BuildSpec; entries: ContainerSpec[] }> {
  const groups = new Map<string, { spec: BuildSpec; entries: ContainerSpec[] }>();
  const all = [...manifest.jobs, ...manifest.services];
  for (const e of all) if (e.build && !groups.has(e.image)) groups.set(e.image, { spec: e.build, entries: [] });
  for (const e of all) groups.get(e.image)?.entries.push(e);
  return groups;
}

/** Whether any entry builds its image. */
export function hasBuilds(manifest: Manifest): boolean {
  return [...manifest.jobs, ...manifest.services].some((e) => e.build !== undefined);
}

/** Reads every local context and hashes the inputs (the I/O half of deciding; planBuilds is the pure half). */
export async function hashBuilds(manifest: Manifest): Promise<BuildHashes> {
  const out = new Map<string, { hash: string } | { error: string }>();
  for (const [image, g] of buildGroups(manifest)) {
    try {
      out.set(image, { hash: await buildHash(g.spec) });
    } catch (e) {
      out.set(image, { error: `build context ${g.spec.context} cannot be read: ${scrub((e as Error).message)}` });
    }
  }
  return out;
}

export function buildInputs(b: BuildSpec): BuildInputs {
  const i: BuildInputs = { context: b.context, remote: b.remote, args: Object.keys(b.args), tags: b.tags };
  if (b.dockerfile !== undefined) i.dockerfile = b.dockerfile;
  if (b.dockerfileInline !== undefined) i.inlineDockerfile = true;
  if (b.target !== undefined) i.target = b.target;
  if (b.platform !== undefined) i.platform = b.platform;
  if (b.noCache) i.noCache = true;
  if (b.pull) i.pull = true;
  return i;
}

/**
 * The build decisions, from the local images as the pulls left them (`images`, by reference) and
 * the hashes of the inputs. Pure.
 */
export function planBuilds(manifest: Manifest, images: Readonly<Record<string, ImageInfo | undefined>>, hashes: BuildHashes): BuildStep[] {
  const out: BuildStep[] = [];
  for (const [image, g] of buildGroups(manifest)) {
    const present = images[image];
    const h = hashes.get(image);
    const step: BuildStep = { image, entries: g.entries.map((e) => e.name).sort(), action: 'skip', reason: '', inputs: buildInputs(g.spec) };
    if (present) step.presentId = present.id;
    const recorded = present?.labels[BUILD_HASH_LABEL];
    if (recorded !== undefined) step.presentHash = recorded;
    if (h && 'hash' in h) step.hash = h.hash;
    const decision = decideBuild(present !== undefined, recorded, h, g.entries.some((e) => e.pullPolicy === 'build'));
    step.action = decision.action;
    step.reason = decision.reason;
    out.push(step);
  }
  return out.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}

function decideBuild(
  present: boolean,
  recorded: string | undefined,
  h: { hash: string } | { error: string } | undefined,
  policyBuild: boolean,
): { action: BuildStep['action']; reason: string } {
  if (!h) return { action: 'fail', reason: 'the build inputs were not read' };
  if ('error' in h) return present ? { action: 'skip', reason: `${h.error}; using the local image` } : { action: 'fail', reason: h.error };
  if (!present) return { action: 'build', reason: 'image not present locally' };
  if (recorded === h.hash) return { action: 'skip', reason: `up to date: built from the same inputs (${short(h.hash)})` };
  if (recorded !== undefined) return { action: 'build', reason: `build inputs changed (${short(recorded)} → ${short(h.hash)})` };
  if (policyBuild) return { action: 'build', reason: 'pull_policy build: the local image was not built by dom0' };
  return { action: 'skip', reason: 'present locally, not built by dom0 (pull_policy missing; use pull_policy build to build it)' };
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

export interface ImageBuild {
  image: string;
  result: 'built' | 'present' | 'failed';
  reason: string;
  imageId?: string;
  previousId?: string;
  /** The local image after this step. */
  info?: ImageInfo;
  error?: string;
  durationMs?: number;
}

export interface BuildOutcome {
  /** Images that could not be built (and are not present), by reference: entries using them fail. */
  failed: Map<string, string>;
  built: string[];
  images: ImageBuild[];
}

/** Carries out the build steps one at a time (a build already uses the machine's cores). */
export async function executeBuilds(steps: readonly BuildStep[], manifest: Manifest, engine: Engine, log: Log, signal?: AbortSignal): Promise<BuildOutcome> {
  const out: BuildOutcome = { failed: new Map(), built: [], images: [] };
  const specs = buildGroups(manifest);
  for (const step of steps) {
    const row: ImageBuild = { image: step.image, result: 'present', reason: step.reason, imageId: step.presentId, previousId: step.presentId };
    out.images.push(row);
    if (step.action === 'skip') {
      log.debug({ event: 'build', image: step.image, result: 'present', reason: step.reason }, `${step.image}: not built (${step.reason})`);
      continue;
    }
    if (step.action === 'fail') {
      fail(row, out, step.reason, log);
      continue;
    }
    const spec = specs.get(step.image)!.spec;
    const started = Date.now();
    log.info({ event: 'build-started', image: step.image, context: spec.context, reason: step.reason }, `building ${step.image} (${step.reason})`);
    try {
      const local = spec.remote ? undefined : await readContext(spec);
      await engine.buildImage({
        tags: [step.image, ...spec.tags.filter((t) => t !== step.image)],
        ...(local ? { context: contextTar(local), dockerfile: local.dockerfile } : { remote: spec.context, dockerfile: spec.dockerfile }),
        args: spec.args,
        labels: { ...spec.labels, [BUILD_HASH_LABEL]: step.hash! },
        target: spec.target,
        network: spec.network,
        extraHosts: spec.extraHosts,
        shmSizeBytes: spec.shmSizeBytes,
        noCache: spec.noCache,
        pull: spec.pull,
        cacheFrom: spec.cacheFrom,
        platform: spec.platform,
        onOutput: (line) => buildOutput(log, step.image, line),
        signal,
      });
    } catch (e) {
      fail(row, out, `build of ${step.image} failed: ${scrub((e as Error).message).replace(/^build of \S+ failed: /, '')}`, log);
      continue;
    }
    const after = await engine.inspectImage(step.image);
    row.result = 'built';
    row.info = after;
    row.imageId = after?.id;
    row.durationMs = Date.now() - started;
    out.built.push(step.image);
    log.info(
      { event: 'build', image: step.image, result: 'built', imageId: after?.id, previousImageId: step.presentId, durationMs: row.durationMs },
      `built ${step.image} in ${(row.durationMs / 1000).toFixed(1)}s (image ${shortId(after?.id)})`,
    );
  }
  return out;
}

function fail(row: ImageBuild, out: BuildOutcome, error: string, log: Log): void {
  row.error = error;
  log.error({ event: 'build-failed', image: row.image, error }, error);
  // A failed rebuild leaves the image that was there: the entries keep running it.
  if (row.previousId) return;
  row.result = 'failed';
  out.failed.set(row.image, error);
}

/** The builder's "Step N/M" lines are progress; what the steps print is detail. */
function buildOutput(log: Log, image: string, line: string): void {
  if (/^Step \d+\/\d+ : /.test(line)) log.info({ event: 'build-progress', image, step: line }, `building ${image}: ${line}`);
  else log.debug({ event: 'build-output', image, line }, `${image}: ${line}`);
}

function shortId(id: string | undefined): string {
  return (id ?? '?').replace(/^sha256:/, '').slice(0, 12);
}
