// Pulls the fleet's images per pull_policy: each distinct image once, several at a time.
import { limiter } from '../concurrency.js';
import type { Engine, RegistryAuth } from '../engine/engine.js';
import type { Log } from '../log.js';
import type { Manifest, PullPolicy } from '../manifest/types.js';
import { entries } from '../manifest/types.js';

export interface PullOutcome {
  /** Images that could not be had: entries using them fail. */
  failed: Map<string, string>;
  pulled: string[];
}

export function registryHost(ref: string): string {
  const first = ref.split('/')[0]!;
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

const HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'];

export function authFor(manifest: Manifest, ref: string): RegistryAuth | undefined {
  const host = registryHost(ref);
  const keys = host === 'docker.io' ? HUB_ALIASES : [host];
  for (const k of keys) {
    const c = manifest.registries[k];
    if (c) return { username: c.username, password: c.password, identitytoken: c.identityToken, serveraddress: host };
  }
  return undefined;
}

function wants(policies: PullPolicy[], present: boolean): 'pull' | 'skip' | 'absent-never' {
  if (policies.includes('always')) return 'pull';
  if (present) return 'skip';
  if (policies.every((p) => p === 'never')) return 'absent-never';
  return 'pull';
}

export async function pullImages(
  manifest: Manifest,
  engine: Engine,
  log: Log,
  opts: { concurrency?: number } = {},
): Promise<PullOutcome> {
  const byImage = new Map<string, PullPolicy[]>();
  for (const e of entries(manifest)) byImage.set(e.image, [...(byImage.get(e.image) ?? []), e.pullPolicy]);
  const run = limiter(opts.concurrency ?? 4);
  const failed = new Map<string, string>();
  const pulled: string[] = [];
  await Promise.all(
    [...byImage].map(([ref, policies]) =>
      run(async () => {
        const present = (await engine.inspectImage(ref)) !== undefined;
        const decision = wants(policies, present);
        if (decision === 'skip') return;
        if (decision === 'absent-never') {
          failed.set(ref, `image ${ref} is not present and pull_policy is never`);
          return;
        }
        const started = Date.now();
        try {
          await engine.pullImage(ref, { auth: authFor(manifest, ref) });
          pulled.push(ref);
          log.info({ event: 'pull', image: ref, durationMs: Date.now() - started }, `pulled ${ref}`);
        } catch (e) {
          const msg = (e as Error).message;
          if (present) {
            log.warn({ event: 'pull-failed', image: ref, error: msg }, `pull of ${ref} failed; using the local image`);
          } else {
            failed.set(ref, msg);
            log.error({ event: 'pull-failed', image: ref, error: msg }, `pull of ${ref} failed`);
          }
        }
      }),
    ),
  );
  return { failed, pulled };
}
