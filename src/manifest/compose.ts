// A project of several Compose files, composed as compose-go does: each file is read and
// interpolated on its own (layer.ts), its `extends` resolved and its `include`s added, then the
// files are merged in order, each onto the result of those before (merge.ts).

import type { Lookup } from './interpolate.js';
import { applyIncludes, type Project } from './include.js';
import { resolveExtends } from './extends.js';
import { loadLayer, type Layer, type ManifestReader, type SideFileReader, type Sink } from './layer.js';
import { mergeTrees, stripTags } from './merge.js';
import { placeOf, type Origin } from './provenance.js';
import { basename, dirname, resolve } from 'node:path';

export const STDIN = '-';
/** How stdin is named in diagnostics. */
export const STDIN_NAME = '<stdin>';

export interface ComposeInput {
  file: string; // absolute path, or STDIN
  text?: string | Buffer; // when already read (stdin, the last-good manifest)
}

export interface ComposeOptions {
  processEnv: Record<string, string | undefined>;
  env: Lookup;
  readFile: SideFileReader;
  readManifest: ManifestReader;
  sink: Sink;
  /** Where relative paths of every file resolve, and `include` paths: the first file's directory. */
  projectDir: string;
}

export function composeProject(inputs: readonly ComposeInput[], opts: ComposeOptions, stack: readonly string[] = [], at?: Origin): Project | undefined {
  const { sink } = opts;
  const layers: Layer[] = [];
  let failed = false;
  for (const input of inputs) {
    const stdin = input.file === STDIN;
    const text = input.text ?? (stdin ? undefined : opts.readManifest(input.file));
    const name = stdin ? STDIN_NAME : input.file;
    if (text === undefined || (typeof text === 'object' && !Buffer.isBuffer(text))) {
      const why = text === undefined ? 'no such file' : text.error;
      if (at) sink.errors.push({ ...placeOf(at), message: `cannot read included file ${name}: ${why}` });
      else sink.errors.push({ file: name, line: 1, col: 1, message: /^too large/.test(why) ? `manifest is ${why}` : `cannot read manifest: ${why}` });
      failed = true;
      continue;
    }
    const layer = loadLayer(text, name, stdin ? opts.projectDir : dirname(resolve(input.file)), opts.env, sink);
    if (layer) layers.push(layer);
    else failed = true;
  }
  if (failed || layers.length === 0) return undefined;

  const files = new Map<string, Layer | undefined>();
  for (const layer of layers) {
    resolveExtends(layer, { env: opts.env, readManifest: opts.readManifest, sink, files });
    applyIncludes(layer, {
      processEnv: opts.processEnv,
      readFile: opts.readFile,
      sink,
      workingDir: opts.projectDir,
      stack: [...stack, resolve(layer.dir, basename(layer.file))],
      loadProject: (paths, projectDir, env, inner, where) =>
        composeProject(
          paths.map((file) => ({ file })),
          { ...opts, env, projectDir },
          inner,
          where,
        ),
    });
  }

  const first = layers[0]!;
  let value = stripTags(first.value) as Record<string, unknown>;
  for (const layer of layers.slice(1)) {
    value = mergeTrees(value, layer.value, { base: first.origin, over: layer.origin }, (o, message) => sink.errors.push({ ...placeOf(o), message }));
  }
  return { value, origin: first.origin };
}
