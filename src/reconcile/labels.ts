// The labels that say what dom0 owns. Labels on the engine, not a local file, are the truth.
import { dirname } from 'node:path';
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

/**
 * Compose's labels, written next to dom0's so that `docker compose ls/ps`, Portainer and Dockge
 * group the fleet as a project. dom0 never reads them back: its own labels stay the truth, and
 * they are not part of the hashed spec (an existing container gets them at its next create).
 */
export const COMPOSE_LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  oneoff: 'com.docker.compose.oneoff',
  containerNumber: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/**
 * `origin` is the manifest's path as the host sees it. Jobs are not one-off: they are declared
 * entries that `up` runs, as a Compose service that exits (`service_completed_successfully`),
 * not an ad-hoc `compose run` (which Compose hides from `ps` and `ls`).
 */
export function composeLabels(fleet: string, entry: string, configHash: string, origin: string): Record<string, string> {
  return {
    [COMPOSE_LABEL.project]: fleet,
    [COMPOSE_LABEL.service]: entry,
    [COMPOSE_LABEL.oneoff]: 'False',
    [COMPOSE_LABEL.containerNumber]: '1',
    [COMPOSE_LABEL.configHash]: configHash,
    [COMPOSE_LABEL.workingDir]: dirname(origin),
    [COMPOSE_LABEL.configFiles]: origin,
  };
}

/** The suffix of a replacement's temporary name: reserved (the loader rejects entries using it). */
export const REPLACEMENT_SUFFIX = RESERVED_SUFFIX;

/** A replacement being created for `containerName`; renamed into place once the old one is gone. */
export function replacementName(containerName: string): string {
  return `${containerName}${REPLACEMENT_SUFFIX}`;
}

export function isReplacementName(name: string): boolean {
  return name.endsWith(REPLACEMENT_SUFFIX);
}
