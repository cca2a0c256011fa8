// Builders for normalized manifests and observed containers, for pure tests.
import type { ContainerSpec, Manifest, VolumeContainerSpec } from '../../../src/manifest/types.js';
import type { ObservedContainer } from '../../../src/reconcile/observe.js';
import { type Observed, toObserved } from '../../../src/reconcile/observe.js';
import { configHash, hashedSpec } from '../../../src/reconcile/hash.js';
import { LABEL } from '../../../src/reconcile/labels.js';

export function svc(name: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    kind: 'service',
    name,
    containerName: name,
    image: 'busybox:latest',
    environment: {},
    ports: [],
    expose: [],
    volumes: [],
    volumesFrom: [],
    links: [],
    dependsOn: [],
    restart: { name: 'no' },
    labels: {},
    privileged: false,
    capAdd: [],
    capDrop: [],
    devices: [],
    networks: { default: { aliases: [name] } },
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    tmpfs: [],
    init: false,
    readOnly: false,
    sysctls: {},
    ulimits: {},
    pullPolicy: 'missing',
    tty: false,
    stdinOpen: false,
    ...over,
  };
}

export function job(name: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return svc(name, { kind: 'job', ...over });
}

export function vol(name: string, paths: string[] = ['/data']): VolumeContainerSpec {
  return { kind: 'volume', name, containerName: name, image: 'busybox:latest', paths, command: ['/bin/true'], labels: {}, pullPolicy: 'missing' };
}

export function manifest(parts: { services?: ContainerSpec[]; jobs?: ContainerSpec[]; volumes?: VolumeContainerSpec[]; name?: string }): Manifest {
  const name = parts.name ?? 'fleet';
  return {
    file: '/tmp/dom0.yaml',
    name,
    origin: '/tmp/dom0.yaml',
    volumeContainers: parts.volumes ?? [],
    jobs: parts.jobs ?? [],
    services: parts.services ?? [],
    volumes: {},
    networks: {
      default: { key: 'default', name, driverOpts: {}, labels: {}, external: false, internal: false, attachable: false, enableIpv6: false },
    },
    registries: {},
    pullPolicy: 'missing',
  };
}

export const IMAGE_ID = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';

let seq = 0;
/** A container as the engine would list it, created by dom0 from `spec` (or given labels). */
export function container(
  spec: ContainerSpec | VolumeContainerSpec,
  over: {
    state?: ObservedContainer['state'];
    exitCode?: number;
    labels?: Record<string, string>;
    name?: string;
    fleet?: string;
    origin?: string;
    imageId?: string;
    mounts?: ObservedContainer['mounts'];
  } = {},
): ObservedContainer {
  const imageId = over.imageId ?? IMAGE_ID;
  const labels = over.labels ?? {
    [LABEL.fleet]: over.fleet ?? 'fleet',
    [LABEL.kind]: spec.kind,
    [LABEL.name]: spec.name,
    [LABEL.hash]: configHash(spec, imageId),
    [LABEL.spec]: JSON.stringify(hashedSpec(spec, imageId)),
    [LABEL.origin]: over.origin ?? '/tmp/dom0.yaml',
    [LABEL.containerName]: over.name ?? spec.containerName,
  };
  const state = over.state ?? (spec.kind === 'volume' ? 'created' : 'running');
  return toObserved({
    id: `id-${++seq}`,
    name: over.name ?? spec.containerName,
    image: spec.image,
    imageId,
    state,
    status: state === 'exited' ? `Exited (${over.exitCode ?? 0}) 1 second ago` : 'Up 1 second',
    exitCode: state === 'exited' ? (over.exitCode ?? 0) : undefined,
    labels,
    mounts: over.mounts ?? [],
    created: 0,
  });
}

/** What observe returns, from containers alone (no volumes or networks on the engine). */
export function observed(containers: ObservedContainer[], imageId: string | undefined = IMAGE_ID): Observed {
  return { containers, imageIds: { 'busybox:latest': imageId }, images: {}, volumes: [], namedVolumes: {}, networks: [] };
}
