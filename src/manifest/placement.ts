// deploy.placement.constraints in Swarm's syntax: `KEY == VALUE` or `KEY != VALUE`, all of an
// entry's constraints must hold (AND). Keys: node.hostname, node.platform.os, node.platform.arch,
// engine.labels.KEY (dockerd --label), node.labels.KEY (on a dom0 host: the host's labels file over
// the engine's labels), node.id and node.role (Swarm only: dom0 warns and treats them as met).
// dom0's extension for a farm: VALUE may be a glob (`*`, `?`, `[...]`), e.g. node.hostname == web-*.
// Matching is case-insensitive, as Swarm's is.
import type { ParseResult } from './durations.js';

export type PlacementSubject = 'hostname' | 'os' | 'arch' | 'engine-label' | 'node-label' | 'id' | 'role';

export interface PlacementConstraint {
  /** As written, trimmed: what plan shows as the reason. */
  text: string;
  subject: PlacementSubject;
  /** The label's key (engine-label, node-label). */
  key?: string;
  op: '==' | '!=';
  value: string;
}

/** The subjects that have no meaning outside a Swarm cluster. */
export const SWARM_ONLY_SUBJECTS: ReadonlySet<PlacementSubject> = new Set(['id', 'role']);

const KEY = /^[a-z_][a-z0-9\-_.]*$/i;

const FIXED: Readonly<Record<string, PlacementSubject>> = {
  'node.hostname': 'hostname',
  'node.platform.os': 'os',
  'node.platform.arch': 'arch',
  'node.id': 'id',
  'node.role': 'role',
};

const KNOWN = 'node.hostname, node.labels.KEY, engine.labels.KEY, node.platform.os, node.platform.arch, node.role, node.id';

export function parsePlacementConstraint(input: string): ParseResult<PlacementConstraint> {
  const text = input.trim();
  const bad = (why: string): ParseResult<PlacementConstraint> => ({ ok: false, error: `invalid placement constraint ${JSON.stringify(input)}: ${why}` });
  const at = [text.indexOf('=='), text.indexOf('!=')].filter((i) => i >= 0);
  if (at.length === 0) return bad('expected `KEY == VALUE` or `KEY != VALUE`');
  const i = Math.min(...at);
  const op = text.slice(i, i + 2) as '==' | '!=';
  const rawKey = text.slice(0, i).trim();
  const value = text.slice(i + 2).trim();
  if (!rawKey) return bad('the key before the operator is missing');
  if (!KEY.test(rawKey)) return bad(`invalid key ${JSON.stringify(rawKey)}`);
  if (!value) return bad('the value after the operator is missing');
  if (/[=!]=/.test(value)) return bad('one operator per constraint (list several constraints instead)');
  const globError = checkGlob(value);
  if (globError) return bad(globError);
  const lower = rawKey.toLowerCase();
  const fixed = FIXED[lower];
  if (fixed) return { ok: true, value: { text, subject: fixed, op, value } };
  for (const [prefix, subject] of [['engine.labels.', 'engine-label'], ['node.labels.', 'node-label']] as const) {
    if (lower.startsWith(prefix)) {
      const key = rawKey.slice(prefix.length);
      if (!key) return bad(`the label key after ${prefix} is missing`);
      return { ok: true, value: { text, subject, key, op, value } };
    }
  }
  return bad(`unknown key ${JSON.stringify(rawKey)}; expected one of ${KNOWN}`);
}

/** Whether `value` matches `pattern`: a literal, or dom0's glob (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`), ignoring case. */
export function globMatch(pattern: string, value: string): boolean {
  return globRegExp(pattern).test(value);
}

function checkGlob(pattern: string): string | undefined {
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) return `unclosed \`[\` in ${JSON.stringify(pattern)}`;
      i = end + 1;
    } else i++;
  }
  return undefined;
}

/** The index of the `]` closing the class opened at `open`, or -1. A `]` first in the class is literal. */
function classEnd(p: string, open: number): number {
  let j = open + 1;
  if (p[j] === '!' || p[j] === '^') j++;
  if (p[j] === ']') j++;
  const end = p.indexOf(']', j);
  return end;
}

const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

function globRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[' && classEnd(pattern, i) > 0) {
      const end = classEnd(pattern, i);
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      // keep ranges (a-z), escape everything else
      const parts = body.replace(/(.)-(.)/g, '\u0000$1\u0001$2\u0000').split('\u0000');
      const cls = parts.map((part) => (part.includes('\u0001') ? part.split('\u0001').map(escape).join('-') : escape(part))).join('');
      re += `[${negate ? '^' : ''}${cls}]`;
      i = end + 1;
      continue;
    } else re += escape(c);
    i++;
  }
  return new RegExp(`^${re}$`, 'is');
}
