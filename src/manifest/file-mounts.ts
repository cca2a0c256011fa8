// Compose `secrets` and `configs` on one host: each is a file, bind-mounted read-only into the
// containers that reference it (as Compose does without a Swarm). The loader never reads the
// file: only its path reaches the plan, so a secret's content never appears anywhere.

import { statSync } from 'node:fs';
import { posix } from 'node:path';
import type { Path } from './diagnostics.js';
import type { Model } from './model.js';
import type { ParsedFileRef } from './schema.js';
import { didYouMean } from './suggest.js';
import type { Mount } from './types.js';

export type FileKind = 'secrets' | 'configs';

const SINGULAR: Record<FileKind, string> = { secrets: 'secret', configs: 'config' };

export interface FileMountContext {
  report(path: Path, message: string, atKey?: boolean): void;
  warn?(path: Path, message: string, atKey?: boolean): void;
  /** The manifest-relative (or ~) path → the bind mount source; reports its own errors. */
  bindSource(file: string, at: Path): { local: string; source: string };
}

/** Checks every top-level definition once; returns the usable ones: name → bind source. */
export function fileDefinitions(kind: FileKind, model: Model, ctx: FileMountContext): Map<string, string> {
  const out = new Map<string, string>();
  const one = SINGULAR[kind];
  for (const [name, d] of model[kind]) {
    if (!d) continue;
    const at: Path = [kind, name];
    if (d.external) {
      ctx.report([...at, 'external'], `external ${kind} need a Swarm; on one host use \`file:\``);
      continue;
    }
    if (d.environment !== undefined) {
      ctx.report([...at, 'environment'], `${kind} from \`environment\` are not supported yet; write the value to a file and use \`file:\``);
      continue;
    }
    if (d.file === undefined) {
      ctx.report(at, `${one} \`${name}\` needs \`file:\` (the path of the file to mount)`, true);
      continue;
    }
    if (d.name !== undefined) ctx.warn?.([...at, 'name'], `warning: \`name\` of a ${one} is ignored on one host (it names a Swarm object)`, true);
    const { local, source } = ctx.bindSource(d.file, [...at, 'file']);
    const problem = notRegularFile(local);
    if (problem) {
      ctx.report([...at, 'file'], `${one} file ${d.file} ${problem}`);
      continue;
    }
    out.set(name, source);
  }
  return out;
}

function notRegularFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? undefined : 'is not a regular file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
  }
}

/** Default mount point: /run/secrets/<name> for secrets (a relative target is a name there), /<name> for configs. */
export function fileTarget(kind: FileKind, ref: ParsedFileRef): string {
  const t = ref.target ?? ref.source;
  if (posix.isAbsolute(t)) return t;
  return kind === 'secrets' ? posix.join('/run/secrets', t) : posix.join('/', t);
}

/** A service's references → read-only bind mounts. `at` is the service's path. */
export function fileMounts(
  kind: FileKind,
  refs: readonly ParsedFileRef[],
  declared: ReadonlyMap<string, string>,
  model: Model,
  ctx: FileMountContext,
  at: Path,
  taken: Set<string>, // the entry's mount targets so far; the engine refuses a duplicate
): Mount[] {
  const out: Mount[] = [];
  refs.forEach((ref, i) => {
    const here: Path = [...at, kind, i];
    if (!model[kind].has(ref.source)) {
      ctx.report(here, `${SINGULAR[kind]} \`${ref.source}\` is not declared under top-level \`${kind}\`${didYouMean(ref.source, model[kind].keys())}`);
      return;
    }
    const ignored = (['uid', 'gid', 'mode'] as const).filter((k) => ref[k] !== undefined);
    if (ignored.length > 0) {
      const keys = ignored.map((k) => `\`${k}\``).join(', ');
      ctx.warn?.(here, `warning: ${keys} cannot be applied to a file-based ${SINGULAR[kind]} (a bind mount keeps the file's owner and mode); ignored, as Compose does`);
    }
    const source = declared.get(ref.source);
    if (source === undefined) return; // the definition's error is already reported
    const target = fileTarget(kind, ref);
    if (taken.has(target)) {
      ctx.report(here, `${SINGULAR[kind]} \`${ref.source}\` would be mounted at ${target}, where something else is already mounted; set another \`target\``);
      return;
    }
    taken.add(target);
    out.push({ type: 'bind', source, target, readOnly: true });
  });
  return out;
}
