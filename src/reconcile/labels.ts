// The labels that say what dom0 owns. Labels on the engine, not a local file, are the truth.
import { RESERVED_SUFFIX } from '../manifest/rules.js';

export const LABEL = {
  fleet: 'io.dom0.fleet',
  kind: 'io.dom0.kind',
  name: 'io.dom0.name',
  hash: 'io.dom0.config-hash',
  spec: 'io.dom0.spec',
  restart: 'io.dom0.restart',
  dependsOn: 'io.dom0.depends-on',
  /** The manifest the container was applied from (Manifest.origin). */
  origin: 'io.dom0.origin',
  /** The name dom0 gave the container. */
  containerName: 'io.dom0.container-name',
  /** On volumes dom0 creates to back an entry's anonymous paths: the entry and the path. */
  entry: 'io.dom0.entry',
  /** On named volumes and networks dom0 creates: the manifest key they were made for. */
  volumeKey: 'io.dom0.volume',
  networkKey: 'io.dom0.network',
  path: 'io.dom0.path',
} as const;

/** The suffix of a replacement's temporary name: reserved (the loader rejects entries using it). */
export const REPLACEMENT_SUFFIX = RESERVED_SUFFIX;

/** A replacement being created for `containerName`; renamed into place once the old one is gone. */
export function replacementName(containerName: string): string {
  return `${containerName}${REPLACEMENT_SUFFIX}`;
}

export function isReplacementName(name: string): boolean {
  return name.endsWith(REPLACEMENT_SUFFIX);
}
