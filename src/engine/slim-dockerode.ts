// Imported before dockerode: dockerode loads gRPC and protobuf at start-up for BuildKit sessions,
// which dom0 never opens. Putting a stub in the module cache first saves every command about
// 0.1 s and several MB. Where the module cannot be resolved (the bundled image), this does nothing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  const path = require.resolve('dockerode/lib/session.js');
  require.cache[path] ??= {
    id: path,
    filename: path,
    loaded: true,
    exports: () => {
      throw new Error('BuildKit sessions are not used by dom0');
    },
  } as unknown as NodeJS.Module;
} catch {
  // bundled: dockerode is inlined, nothing to stub
}
