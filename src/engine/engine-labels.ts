// `docker info`'s Labels are "key=value" strings (dockerd --label, daemon.json "labels"); a
// label without "=" is a key with an empty value. A key given twice keeps its last value, as
// dockerd itself warns and does.
export function parseEngineLabels(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    if (eq === 0) continue;
    if (eq < 0) out[l] = '';
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}
