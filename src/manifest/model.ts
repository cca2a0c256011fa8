// The validated-but-not-yet-normalized manifest shared by normalize.ts and rules.ts.

import type { Path } from './diagnostics.js';
import type { Position } from './parse.js';
import type {
  ParsedContainer,
  ParsedFileObject,
  ParsedNetwork,
  ParsedRegistry,
  ParsedVolume,
  ParsedVolumeContainer,
  Section,
} from './schema.js';
import type { SwarmTarget } from './swarm.js';
import type { EntryKind, PullPolicy } from './types.js';

interface EntryBase<S, K, T> {
  section: S;
  kind: K;
  key: string;
  position: Position;
  spec?: T; // undefined when the entry failed validation
  fields: Partial<T>; // the fields that are valid on their own, for cross-entry rules
  invalid: ReadonlySet<string>; // fields present but invalid
}

export type Entry =
  | EntryBase<'volume_containers', 'volume', ParsedVolumeContainer>
  | EntryBase<'jobs', 'job', ParsedContainer>
  | EntryBase<'services', 'service', ParsedContainer>;

export const KIND_OF: Record<Section, EntryKind> = { volume_containers: 'volume', jobs: 'job', services: 'service' };

/** A declared key whose definition is `undefined` failed validation (already reported). */
export interface Model {
  file: string; // absolute
  dir: string;
  name: string;
  pullPolicy: PullPolicy;
  target?: SwarmTarget; // `target: swarm`
  entries: Entry[]; // in document order
  volumes: Map<string, ParsedVolume | undefined>;
  networks: Map<string, ParsedNetwork | undefined>;
  registries: Map<string, ParsedRegistry | undefined>;
  secrets: Map<string, ParsedFileObject | undefined>;
  configs: Map<string, ParsedFileObject | undefined>;
}

export type Reporter = (path: Path, message: string, atKey?: boolean) => void;

export function containerNameOf(e: Entry): string {
  return e.fields.container_name ?? e.key;
}
