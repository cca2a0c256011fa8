// Where dom0's state directory is: $DOM0_STATE_DIR, else /var/lib/dom0. Shared by up (last-good
// manifest, heartbeat) and reconcile's pulls (pull times); what is in it is src/up/state-dir.ts's.
export const DEFAULT_STATE_DIR = '/var/lib/dom0';

export function stateDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOM0_STATE_DIR || DEFAULT_STATE_DIR;
}
