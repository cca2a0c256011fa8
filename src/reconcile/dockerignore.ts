// .dockerignore, as the docker CLI reads it (moby's patternmatcher): one pattern a line, `#`
// comments, `!` re-includes, `*` and `?` within one path segment, `**` across segments, and a
// pattern that matches a directory excludes everything under it. The last matching pattern wins.

interface Pattern {
  re: RegExp;
  exclusion: boolean;
}

export class DockerIgnore {
  private constructor(private readonly patterns: readonly Pattern[]) {}

  /** `text`: the .dockerignore file (undefined: none). `keep`: paths always sent (the Dockerfile, .dockerignore). */
  static parse(text: string | undefined, keep: readonly string[] = []): DockerIgnore {
    const patterns: Pattern[] = [];
    for (const raw of (text ?? '').split(/\r?\n/)) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const exclusion = line.startsWith('!');
      if (exclusion) line = line.slice(1).trim();
      const p = clean(line);
      if (p === '') continue;
      patterns.push({ re: compile(p), exclusion });
    }
    // As the docker CLI does: the Dockerfile and .dockerignore are sent even when ignored.
    if (patterns.length > 0) for (const k of keep) patterns.push({ re: compile(escapeGlob(clean(k))), exclusion: true });
    return new DockerIgnore(patterns);
  }

  /** Whether any `!` pattern exists: then an excluded directory may still hold included files. */
  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** `path`: relative to the context, `/`-separated. */
  ignores(path: string): boolean {
    const parents = parentPaths(path);
    let matched = false;
    for (const p of this.patterns) {
      // A pattern matches the path itself or one of its parent directories.
      if (p.re.test(path) || parents.some((d) => p.re.test(d))) matched = !p.exclusion;
    }
    return matched;
  }
}

/** Like Go's filepath.Clean on a relative path: no leading `/`, `.` and empty segments dropped, `..` resolved. */
function clean(p: string): string {
  const out: string[] = [];
  for (const seg of p.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

function parentPaths(path: string): string[] {
  const segs = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join('/'));
  return out;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** A pattern as an anchored regular expression over `/`-separated paths. */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` also matches no directory at all; `**` alone, anything.
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
