// The layer table of DESIGN.md, enforced: each folder of src/ may import only the
// folders its row names. A new import that points up the table fails `npm run lint`.
// Tests are exempt: a test may bring up a lab or drive the CLI whatever its layer.
const allowed = {
  cli: ['report', 'ops', 'history', 'serve', 'provision', 'render', 'bindings', 'run', 'broker', 'ca', 'agent', 'transport', 'inventory', 'lab', 'core'],
  report: ['run', 'core'],
  ops: ['run', 'history', 'transport', 'render', 'inventory', 'core'],
  serve: ['provision', 'history', 'report', 'render', 'inventory', 'bindings', 'core'],
  // The journal stores outcomes: it knows their type (run/outcome.ts), nothing else of run.
  history: ['run', 'core'],
  provision: ['render', 'inventory', 'core'],
  render: ['inventory', 'core'],
  bindings: ['inventory', 'core'],
  run: ['transport', 'core'],
  broker: ['ca', 'inventory', 'core'],
  ca: ['core'],
  agent: ['transport', 'bindings', 'inventory', 'core'],
  transport: ['core'],
  inventory: ['core'],
  lab: ['core'],
  core: [],
};

const layers = Object.keys(allowed);
module.exports = {
  forbidden: [
    ...layers.map((layer) => ({
      name: `layer-${layer}`,
      comment: `src/${layer} may import only: ${allowed[layer].join(', ') || 'nothing of ours'}`,
      severity: 'error',
      from: { path: `^src/${layer}/`, pathNot: '\\.test(-helper)?\\.ts$' },
      to: { path: `^src/(?!(?:${[layer, ...allowed[layer]].join('|')})/)[^/]+/` },
    })),
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
