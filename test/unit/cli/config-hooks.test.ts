// `dom0 config` prints lifecycle hooks in Compose shape, their environment redacted like a
// service's, and no trace of a secret written into the container.
import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../../src/cli/config.js';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';

const VALUE = 'config-hooks-secret-value';

describe('dom0 config: hooks and written secrets', () => {
  it('prints post_start/pre_stop, redacts secret-looking hook environment, leaves out written secrets', () => {
    const r = loadManifestText(
      `secrets:\n  tok: {environment: TOK}\nservices:\n  web:\n    image: busybox\n    secrets: [tok]\n` +
        `    post_start: [{command: "echo hi", user: "1000", environment: {API_TOKEN: "${VALUE}", MODE: fast}}]\n    pre_stop: [{command: [sleep, "1"], working_dir: /tmp}]\n`,
      '/srv/dom0.yaml',
      { env: { TOK: VALUE }, readFile: () => undefined },
    );
    if (!r.ok) expect.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
    const web = (renderConfig(r.manifest) as { services: Record<string, Record<string, unknown>> }).services.web!;
    expect(web.post_start).toEqual([{ command: ['echo', 'hi'], user: '1000', environment: { API_TOKEN: '[redacted]', MODE: 'fast' } }]);
    expect(web.pre_stop).toEqual([{ command: ['sleep', '1'], working_dir: '/tmp' }]);
    expect(web).not.toHaveProperty('file_copies');
    expect(JSON.stringify(renderConfig(r.manifest))).not.toContain(VALUE);
  });
});
