// POSIX-like word splitting for `command: echo "a b"`, as Compose does for string commands.

import type { ParseResult } from './durations.js';

export function shellSplit(input: string): ParseResult<string[]> {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < input.length && '\\"$`\n'.includes(input[i + 1]!)) {
        const n = input[++i]!;
        if (n !== '\n') cur += n;
      } else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < input.length) {
        const n = input[++i]!;
        if (n !== '\n') cur += n;
      }
      inWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  // The command is not echoed: it may carry a password (`mysql -pSECRET`).
  if (quote) return { ok: false, error: `unterminated ${quote} quote in the command` };
  if (inWord) words.push(cur);
  return { ok: true, value: words };
}
