// An Engine whose adapter loads on its first call. dockerode (with ssh2 and its protocol
// buffers) is the largest thing a command loads; validate, graph, config, health and --help never
// call the engine, so they never pay for it.
import type { Engine } from './engine.js';

export function lazyEngine(load: () => Promise<Engine>): Engine {
  let real: Engine | undefined;
  let loading: Promise<Engine> | undefined;
  const get = async (): Promise<Engine> => {
    loading ??= load().then((e) => (real = e));
    return loading;
  };
  return new Proxy({} as Engine, {
    get(_target, prop) {
      if (prop === 'calls') return real?.calls ?? {};
      // not a thenable: `await engine()` must not call a method named then
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        const e = await get();
        return (e[prop as keyof Engine] as (...a: unknown[]) => unknown).apply(e, args);
      };
    },
  });
}
