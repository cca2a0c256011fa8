// Top-level `include:`, as compose-go does it: each item (a path, or `{path, project_directory,
// env_file}` where `path` may list several files merged as -f files are) is loaded as a project
// of its own, with its own `.env` and its relative paths resolved beside it, and its entries and
// resources are added to the including file. A name the including file defines too is an error
// naming both files, unless both definitions are identical; an include cycle is an error.

import { dirname, resolve } from 'node:path';
import type { Lookup } from './interpolate.js';
import { projectEnvironment, type Sink, type SideFileReader } from './layer.js';
import { stripTags } from './merge.js';
import { childOrigin, markChild, originAt, placeOf, type Origin } from './provenance.js';
import { rebaseProject } from './relative-paths.js';
import { SECTIONS } from './schema.js';
import type { Layer } from './layer.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What an included project brings: its composed tree and where that came from. */
export interface Project {
  value: Obj;
  origin: Origin;
}

export interface IncludeContext {
  processEnv: Record<string, string | undefined>;
  readFile: SideFileReader;
  sink: Sink;
  /** The including project's directory: include paths are relative to it. */
  workingDir: string;
  /** Files being included, outermost first, to find cycles. */
  stack: readonly string[];
  /** Loads the files of an included project (compose.ts). */
  loadProject(files: string[], projectDir: string, env: Lookup, stack: readonly string[], at: Origin): Project | undefined;
}

const RESOURCES = [...SECTIONS, 'volumes', 'networks', 'secrets', 'configs', 'registries'];

const SINGULAR: Readonly<Record<string, string>> = {
  services: 'service',
  jobs: 'job',
  volume_containers: 'volume container',
  volumes: 'volume',
  networks: 'network',
  secrets: 'secret',
  configs: 'config',
  registries: 'registry',
};

function report(ctx: IncludeContext, origin: Origin, message: string, atKey = false): void {
  ctx.sink.errors.push({ ...placeOf(origin, atKey), message });
}

/** Applies the layer's `include:` in place (and removes the key). */
export function applyIncludes(layer: Layer, ctx: IncludeContext): void {
  if (!Object.hasOwn(layer.value, 'include')) return;
  const raw = stripTags(layer.value.include);
  const incOrigin = childOrigin(layer.value, layer.origin, 'include');
  delete layer.value.include;
  if (raw === null || raw === undefined) return;
  if (!Array.isArray(raw)) {
    report(ctx, incOrigin, 'include must be a list of paths or of mappings with `path`');
    return;
  }
  raw.forEach((item, i) => {
    const at = childOrigin(raw, incOrigin, i);
    const spec = parseItem(item, ctx.workingDir);
    if (typeof spec === 'string') {
      report(ctx, at, spec);
      return;
    }
    const cyclic = spec.paths.find((p) => ctx.stack.includes(p));
    if (cyclic) {
      report(ctx, at, `include cycle: ${[...ctx.stack.slice(ctx.stack.indexOf(cyclic)), cyclic].join(' → ')}`);
      return;
    }
    const env = projectEnvironment(ctx.processEnv, spec.projectDir, ctx.readFile, ctx.sink, spec.envFiles);
    const project = ctx.loadProject(spec.paths, spec.projectDir, env, ctx.stack, at);
    if (!project) return;
    rebaseProject(project.value, spec.projectDir);
    importResources(layer, project, spec.paths, ctx);
  });
}

interface ItemSpec {
  paths: string[];
  projectDir: string;
  envFiles?: string[];
}

function parseItem(item: unknown, dir: string): ItemSpec | string {
  const strings = (v: unknown): string[] | undefined =>
    typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  if (typeof item === 'string') {
    if (item === '') return 'an include path must not be empty';
    const path = resolve(dir, item);
    return { paths: [path], projectDir: dirname(path) };
  }
  if (!isObj(item)) return 'an include item must be a path or a mapping with `path`';
  const unknown = Object.keys(item).filter((k) => !['path', 'project_directory', 'env_file'].includes(k));
  if (unknown.length > 0) return `unknown key ${unknown.map((k) => `\`${k}\``).join(', ')} in include (expected path, project_directory, env_file)`;
  const paths = strings(item.path)?.map((p) => resolve(dir, p));
  if (!paths || paths.some((p) => p === dir)) return 'include `path` must be a path or a list of paths';
  if (item.project_directory !== undefined && typeof item.project_directory !== 'string') return 'include `project_directory` must be a path';
  const envFiles = item.env_file === undefined ? undefined : strings(item.env_file)?.map((p) => resolve(dir, p));
  if (item.env_file !== undefined && !envFiles) return 'include `env_file` must be a path or a list of paths';
  const projectDir = typeof item.project_directory === 'string' ? resolve(dir, item.project_directory) : dirname(paths[0]!);
  return { paths, projectDir, ...(envFiles ? { envFiles } : {}) };
}

function importResources(layer: Layer, project: Project, paths: string[], ctx: IncludeContext): void {
  for (const section of RESOURCES) {
    const theirs = project.value[section];
    if (!isObj(theirs)) continue;
    let ours = layer.value[section];
    if (ours === undefined || ours === null) {
      ours = {};
      layer.value[section] = ours;
      markChild(layer.value, section, originAt(project.value, project.origin, [section]));
    }
    if (!isObj(ours)) continue; // reported by the schema
    for (const [name, def] of Object.entries(theirs)) {
      const from = originAt(project.value, project.origin, [section, name]);
      if (Object.hasOwn(ours, name)) {
        if (equal(stripTags(ours[name]), def)) continue;
        const mine = childOrigin(ours, childOrigin(layer.value, layer.origin, section), name);
        const there = placeOf(from, true);
        report(
          ctx,
          mine,
          `${SINGULAR[section] ?? section} ${JSON.stringify(name)} is defined here and in the included ${paths.length > 1 ? 'files' : 'file'} (${there.file}:${there.line}:${there.col}); rename one of them`,
          true,
        );
        continue;
      }
      ours[name] = def;
      markChild(ours, name, from);
    }
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}
