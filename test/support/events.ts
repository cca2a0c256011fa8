// Waiting for one engine event in a test (e.g. to SIGKILL dom0 at that very moment).
import type Docker from 'dockerode';
import { LineSplitter } from '../../src/engine/ndjson.js';

export interface RawEngineEvent {
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * Follows the engine's container events of `fleet` (only `actions`) and resolves with what `match`
 * returns for the first event it accepts (a non-undefined string). The stream breaking (an engine
 * restart) just leaves the promise pending: race it with a timeout. Call stop() when done.
 */
export async function firstEngineEvent(
  client: Docker,
  fleet: string,
  actions: string[],
  match: (e: RawEngineEvent, name: string) => string | undefined,
): Promise<{ promise: Promise<string>; stop: () => void }> {
  const stream = (await client.getEvents({
    filters: { type: ['container'], label: [`io.dom0.fleet=${fleet}`], event: actions },
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  const lines = new LineSplitter();
  const promise = new Promise<string>((resolve) => {
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) {
        try {
          const e = JSON.parse(line) as RawEngineEvent;
          const hit = match(e, e.Actor?.Attributes?.name ?? '');
          if (hit !== undefined) resolve(hit);
        } catch {
          /* not JSON */
        }
      }
    });
  });
  return { promise, stop: () => stream.destroy?.() };
}
