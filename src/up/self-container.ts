// dom0's own container ID, when it runs in one: found in the paths Docker bind-mounts into every
// container (/etc/hostname, /etc/resolv.conf), so it needs no access to anything but /proc.
import { readFileSync } from 'node:fs';

export function selfContainerId(mountinfo = '/proc/self/mountinfo'): string | undefined {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return undefined;
  }
  const m = /\/containers\/([0-9a-f]{64})\/(?:hostname|resolv\.conf|hosts)/.exec(text);
  return m?.[1];
}
