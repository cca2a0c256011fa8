// The output of POST /build, read: each line of the builder's output handed on, the image ID
// from the `aux` message, and an `error` inside the stream (a failing RUN, a missing file) as the
// build's failure.
import type { Readable } from 'node:stream';
import { EngineError, normalizeError } from './errors.js';
import { LineSplitter, onJsonLines } from './ndjson.js';

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Reads a build's stream to its end; resolves with the built image's ID. */
export function followBuild(tag: string, stream: Readable, onOutput?: (line: string) => void): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let done = false;
    let imageId: string | undefined;
    const lines = new LineSplitter();
    const finish = (e?: unknown) => {
      if (done) return;
      done = true;
      if (e) {
        stream.destroy();
        reject(e);
        return;
      }
      for (const l of lines.end()) emit(l);
      if (imageId) resolve(imageId);
      else reject(new EngineError('other', `build of ${tag}: the engine reported no image ID`));
    };
    const emit = (line: string) => {
      const t = line.replace(/\s+$/, '');
      if (t !== '') onOutput?.(t);
    };
    onJsonLines<BuildMessage>(stream, (msg) => {
      if (done) return;
      const failure = msg.errorDetail?.message ?? msg.error;
      if (failure) {
        finish(new EngineError('invalid', `build of ${tag} failed: ${failure.trim()}`));
        return;
      }
      if (msg.aux?.ID) imageId = msg.aux.ID;
      const text = msg.stream ?? (msg.status ? `${msg.status}\n` : '');
      for (const l of lines.push(text)) emit(l);
      // The classic builder ends with "Successfully built <short id>" (older engines send no aux).
      const m = /Successfully built ([0-9a-f]{12,})/.exec(text);
      if (m && !imageId) imageId = m[1];
    });
    stream.on('error', (e) => finish(normalizeError(e, tag)));
    stream.on('end', () => finish());
    stream.on('close', () => {
      if (!done) setImmediate(() => finish(new EngineError('unreachable', `build of ${tag}: the connection to the Docker engine closed before the build finished`)));
    });
  });
}
