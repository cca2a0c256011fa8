// The labels that say what dom0 owns. Labels on the engine, not a local file, are the truth.
export const LABEL = {
  fleet: 'io.dom0.fleet',
  kind: 'io.dom0.kind',
  name: 'io.dom0.name',
  hash: 'io.dom0.config-hash',
  spec: 'io.dom0.spec',
  restart: 'io.dom0.restart',
  dependsOn: 'io.dom0.depends-on',
} as const;

/** A replacement being created for `containerName`; renamed into place once the old one is gone. */
export function replacementName(containerName: string): string {
  return `${containerName}.dom0-next`;
}

export function isReplacementName(name: string): boolean {
  return name.endsWith('.dom0-next');
}
