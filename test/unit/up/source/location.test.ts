import { describe, expect, it } from 'vitest';
import { fileUrl, parseSource, redactUrl } from '../../../../src/up/source/location.js';
import { scrub } from '../../../../src/redact.js';

describe('source locations', () => {
  it.each([
    ['http://h/farm/dom0.yaml', 'http://h/farm/', 'dom0.yaml'],
    ['http://h/farm/', 'http://h/farm/', 'dom0.yaml'],
    ['https://h:8443/a/b/fleet-a.yml', 'https://h:8443/a/b/', 'fleet-a.yml'],
  ])('%s → base %s, manifest %s', (spec, base, manifest) => {
    const l = parseSource(spec);
    if ('error' in l || l.kind !== 'http') throw new Error('expected http');
    expect(l.base.href).toBe(base);
    expect(l.manifest).toBe(manifest);
  });

  it('moves userinfo into an Authorization header and keeps it, and query tokens, out of logs', () => {
    const l = parseSource('https://farm:hunter2-pw@h/f/dom0.yaml?token=tok-9f8e7d');
    if ('error' in l || l.kind !== 'http') throw new Error('expected http');
    expect(l.authorization).toBe(`Basic ${Buffer.from('farm:hunter2-pw').toString('base64')}`);
    expect(l.display).toBe('https://***@h/f/dom0.yaml?token=***');
    expect(fileUrl(l, 'secrets/db.txt').href).toBe('https://h/f/secrets/db.txt?token=tok-9f8e7d');
    expect(fileUrl(l, 'dom0.yaml.sig').href).not.toContain('hunter2');
    expect(scrub('GET https://h/f/x?token=tok-9f8e7d failed (hunter2-pw)')).not.toMatch(/tok-9f8e7d|hunter2-pw/);
  });

  it.each([
    ['http://u:p@h/x', 'http://***@h/x'],
    ['http://h/x?a=1&b=2', 'http://h/x?a=***&b=***'],
    ['http://h/x', 'http://h/x'],
    ['/srv/farm', '/srv/farm'],
  ])('redactUrl(%s)', (u, want) => expect(redactUrl(u)).toBe(want));

  it.each([
    ['/srv/farm/', '/srv/farm', 'dom0.yaml'],
    ['/srv/farm/fleet.yaml', '/srv/farm', 'fleet.yaml'],
    ['file:///srv/farm/dom0.yaml', '/srv/farm', 'dom0.yaml'],
  ])('directory %s → %s + %s', (spec, dir, manifest) => {
    const l = parseSource(spec);
    if ('error' in l || l.kind !== 'dir') throw new Error('expected dir');
    expect([l.dir, l.manifest]).toEqual([dir, manifest]);
  });
});
