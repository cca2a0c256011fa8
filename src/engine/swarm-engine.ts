// The slice of the Engine API a Swarm target uses: services, their tasks, secrets, overlay
// networks and volumes, in dom0's own types. A ServiceSpec is sent as the API's own JSON (the
// wire format is the contract, as CreateContainerRequest's body is); docker-engine.ts implements it.
import type { CreateNetworkRequest, CreateVolumeRequest, Engine, NetworkInfo, VolumeInfo } from './engine.js';

export interface SwarmInfo {
  /** "active" on a swarm node; "inactive" when the engine is in no swarm. */
  state: string;
  /** This node manages the swarm: only a manager takes service calls. */
  manager: boolean;
  nodeId?: string;
}

/** The Engine API's ServiceSpec (Name, Labels, TaskTemplate, Mode, UpdateConfig, RollbackConfig, EndpointSpec). */
export type ServiceSpec = Record<string, unknown> & { Name: string; Labels: Record<string, string> };

export interface ServiceInfo {
  id: string;
  name: string;
  /** The object version: an update must send the one it read. */
  version: number;
  labels: Record<string, string>;
  spec: ServiceSpec;
  /** The spec before the last update (what a rollback returns to), when there is one. */
  previousSpec?: ServiceSpec;
  /** The last update's state: updating, paused, completed, rollback_started, rollback_paused, rollback_completed. */
  updateState?: string;
  updateMessage?: string;
  /** When the last update started: a new value tells this update's status from an earlier one's. */
  updateStartedAt?: string;
  /** A job's current run (bumped by each update of a job service). */
  jobIteration?: number;
  createdAt: string;
  updatedAt: string;
}

export type TaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting'
  | 'running' | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

export interface TaskInfo {
  id: string;
  serviceId: string;
  /** A job's task: the run of the job it belongs to (ServiceInfo.jobIteration). */
  jobIteration?: number;
  desiredState: string;
  state: TaskState;
  /** When the task reached its current state. */
  timestamp: string;
  createdAt: string;
  exitCode?: number;
  error?: string;
  message?: string;
}

export interface SwarmObjectInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export type SwarmObjectFilter = { label: string; name?: undefined } | { name: string; label?: undefined };

export interface CreateSwarmObjectRequest {
  name: string;
  labels: Record<string, string>;
  /** The value: text (sent as UTF-8) or bytes (sent as they are); base64-encoded on the wire, never logged. */
  data: string | Uint8Array;
}

/** The container calls are for what Swarm leaves behind: its tasks' stopped containers hold their volumes. */
export interface SwarmEngine extends Pick<Engine, 'listContainers' | 'removeContainer'> {
  swarmInfo(): Promise<SwarmInfo>;
  /** Services carrying a label ("key" or "key=value"). */
  listServices(opts: { label: string }): Promise<ServiceInfo[]>;
  inspectService(idOrName: string): Promise<ServiceInfo | undefined>;
  createService(spec: ServiceSpec): Promise<string>;
  /** `rollback`: return to the previous spec (the engine keeps it), ignoring `spec`'s content. */
  updateService(id: string, version: number, spec: ServiceSpec, opts?: { rollback?: boolean }): Promise<void>;
  removeService(id: string): Promise<void>;
  listTasks(opts: { service?: string; label?: string }): Promise<TaskInfo[]>;

  /** By label, or by name (an `external` one: Swarm matches a name prefix, callers compare exactly). */
  listSecrets(opts: SwarmObjectFilter): Promise<SwarmObjectInfo[]>;
  createSecret(req: CreateSwarmObjectRequest): Promise<string>;
  removeSecret(id: string): Promise<void>;
  listConfigs(opts: SwarmObjectFilter): Promise<SwarmObjectInfo[]>;
  createConfig(req: CreateSwarmObjectRequest): Promise<string>;
  removeConfig(id: string): Promise<void>;

  /** Networks of every driver (overlay ones included). */
  listNetworks(): Promise<NetworkInfo[]>;
  createNetwork(req: CreateNetworkRequest): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;
  listVolumes(opts: { label: string }): Promise<VolumeInfo[]>;
  inspectVolume(name: string): Promise<VolumeInfo | undefined>;
  createVolume(req: CreateVolumeRequest): Promise<void>;
  removeVolume(name: string): Promise<void>;
}
