// dom0's library API: load a manifest, plan against an engine, apply.
export { loadManifest, loadManifestText, formatDiagnostic } from './manifest/load.js';
export type * from './manifest/types.js';
export { DockerEngine } from './engine/docker-engine.js';
export type { Engine } from './engine/engine.js';
export { EngineError } from './engine/errors.js';
export { observe } from './reconcile/observe.js';
export { plan, type Plan, type Action, type ActionType } from './reconcile/plan.js';
export { apply, type ApplyOptions, type ApplyResult, type EntryOutcome } from './reconcile/apply.js';
export { status } from './reconcile/status.js';
export { down } from './reconcile/down.js';
export { configHash } from './reconcile/hash.js';
