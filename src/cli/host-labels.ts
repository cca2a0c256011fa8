// `--host-labels FILE` on plan, apply and up: the host labels file for deploy.placement.constraints.
// The flag becomes DOM0_HOST_LABELS for this process, so every apply of `up` (its loop and its
// status page's plan) reads the same file as `plan` does, and re-reads it each time.
import type { Command } from 'commander';
import { readHostLabels } from '../reconcile/host-facts.js';
import { UsageError } from './errors.js';

export interface HostLabelsFlag {
  hostLabels?: string;
}

export function addHostLabelsOption(cmd: Command): Command {
  return cmd.option('--host-labels <file>', 'this host\'s labels for deploy.placement (KEY=VALUE lines; default $DOM0_HOST_LABELS, else /etc/dom0/host-labels if present)');
}

/** Also checks the file now: one that was named but cannot be read or parsed is a usage error (exit 2), before any change. */
export function useHostLabels(o: HostLabelsFlag, env: NodeJS.ProcessEnv = process.env): void {
  if (o.hostLabels) env.DOM0_HOST_LABELS = o.hostLabels;
  if (!env.DOM0_HOST_LABELS) return;
  try {
    readHostLabels(env.DOM0_HOST_LABELS);
  } catch (e) {
    throw new UsageError(`${o.hostLabels ? '--host-labels' : 'DOM0_HOST_LABELS'}: ${(e as Error).message}`);
  }
}
