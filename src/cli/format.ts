import { scrub } from '../redact.js';

// Plain-text tables for command output.
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** Command output goes to stdout with every known secret scrubbed. */
export function out(text: string): void {
  process.stdout.write(scrub(text));
}
