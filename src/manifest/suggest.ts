// "did you mean" hints. Distances are bounded so hostile input (huge keys, thousands of
// candidates) cannot make this quadratic in the file size.

const MAX_LEN = 64;

// Comparisons left for the current load; a file with thousands of bad references still loads fast.
let budget = Infinity;

export function withSuggestionBudget<T>(comparisons: number, fn: () => T): T {
  const saved = budget;
  budget = comparisons;
  try {
    return fn();
  } finally {
    budget = saved;
  }
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), or Infinity above `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return Infinity;
  if (a.length > MAX_LEN || b.length > MAX_LEN) return a === b ? 0 : Infinity;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return Infinity;
    prev2 = prev;
    prev = cur;
  }
  const d = prev[b.length]!;
  return d > max ? Infinity : d;
}

/** The closest candidate within edit distance 2 (ties: alphabetical), if any. */
export function closest(word: string, candidates: Iterable<string>, max = 2): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (budget-- <= 0) break;
    if (c === word) continue;
    const d = editDistance(word, c, max);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= max ? best : undefined;
}

/** " (did you mean `x`?)" or "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean \`${c}\`?)`;
}
