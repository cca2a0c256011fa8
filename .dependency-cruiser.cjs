// Layer rules for dom0 (`npm run lint:layers`, part of `npm test`). Layers, top to bottom:
//   src/cli → src/up → src/reconcile → src/registry → src/engine → src/manifest → shared src/*.ts
// A module may import its own layer or any layer below it, never one above. src/index.ts is the
// package's public entry and re-exports from every layer. Only the engine adapter talks to
// dockerode.
/** @type {string[]} top first */
const LAYERS = ['cli', 'up', 'reconcile', 'registry', 'engine', 'manifest'];

const upward = LAYERS.slice(1).map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer} may not import ${LAYERS.slice(0, i + 1).join(', ')} (layers: ${LAYERS.join(' → ')} → shared)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(0, i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-upward-from-shared',
      comment: 'shared src/*.ts files import no layer (src/index.ts, the public entry, excepted)',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: { path: `^src/(${LAYERS.join('|')})/` },
    },
    {
      name: 'dockerode-only-in-engine-adapter',
      comment: 'only src/engine/docker-engine.ts talks to dockerode (and docker-modem under it)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/engine/docker-engine\\.ts$' },
      to: { path: '(^|/)node_modules/(@types/)?(dockerode|docker-modem)/|^(dockerode|docker-modem)$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve cannot be checked',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true, pathNot: '^(dockerode|docker-modem)$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
