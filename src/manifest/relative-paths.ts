// The relative paths of a file that is not the project's first (an included project, the file
// an `extends` reads its base from) name places beside that file, as in Compose: they are made
// absolute against its directory before its definitions join the project, whose own relative
// paths resolve against the first file's directory. In place, on a fresh interpolated tree.

import { isAbsolute, resolve } from 'node:path';
import { SECTIONS } from './schema.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `.`-relative host paths only: `~` is the home directory, a bare name is a named volume. */
function rel(p: unknown, dir: string): unknown {
  return typeof p === 'string' && p.startsWith('.') ? resolve(dir, p) : p;
}

function relFile(p: unknown, dir: string): unknown {
  return typeof p === 'string' && p !== '' && !isAbsolute(p) && !p.startsWith('~') ? resolve(dir, p) : p;
}

/** A build context that is a URL (git, http) stays as it is. */
function relContext(p: unknown, dir: string): unknown {
  if (typeof p !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.startsWith('git@') || p.startsWith('github.com/')) return p;
  return relFile(p, dir);
}

function eachFile(v: unknown, dir: string): unknown {
  if (!Array.isArray(v)) return relFile(v, dir);
  v.forEach((f, i) => {
    if (isObj(f)) f.path = relFile(f.path, dir);
    else v[i] = relFile(f, dir);
  });
  return v;
}

// Objects and lists are changed in place, so the places recorded for their children stay right.
export function rebaseService(s: Obj, dir: string): void {
  if (Array.isArray(s.volumes)) {
    const vols = s.volumes;
    vols.forEach((m, i) => {
      if (typeof m === 'string') {
        const at = m.indexOf(':');
        if (at > 0) vols[i] = `${String(rel(m.slice(0, at), dir))}${m.slice(at)}`;
      } else if (isObj(m) && (m.type === 'bind' || (m.type === undefined && typeof m.source === 'string' && m.source.startsWith('.')))) {
        m.source = relFile(m.source, dir);
      }
    });
  }
  if (s.env_file !== undefined) s.env_file = eachFile(s.env_file, dir);
  if (s.label_file !== undefined) s.label_file = eachFile(s.label_file, dir);
  if (typeof s.build === 'string') s.build = relContext(s.build, dir);
  else if (isObj(s.build)) s.build.context = relContext(s.build.context ?? '.', dir);
  if (isObj(s.extends) && s.extends.file !== undefined) s.extends.file = relFile(s.extends.file, dir);
}

export function rebaseProject(tree: Obj, dir: string): void {
  for (const section of SECTIONS) {
    const sec = tree[section];
    if (isObj(sec)) for (const s of Object.values(sec)) if (isObj(s)) rebaseService(s, dir);
  }
  for (const section of ['secrets', 'configs']) {
    const sec = tree[section];
    if (isObj(sec)) for (const d of Object.values(sec)) if (isObj(d) && d.file !== undefined) d.file = relFile(d.file, dir);
  }
  const regs = tree.registries;
  if (isObj(regs)) for (const r of Object.values(regs)) if (isObj(r) && r.password_file !== undefined) r.password_file = relFile(r.password_file, dir);
}
