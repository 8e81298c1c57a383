// `npm run bundle` (part of `npm run build`): the CLI as a few ESM files in dist/bundle/,
// so a command loads a handful of files instead of ~200 modules (zod alone is ~100).
// Dynamic imports stay separate chunks (`muster ls` never loads ssh2 or liquidjs);
// native and optional packages stay external. bin/muster.js uses the bundle only when
// it is at least as new as the tsc output, so a later `tsc` alone never runs stale code.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
rmSync(`${root}dist/bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  external: ['better-sqlite3', 'ssh2', 'cpu-features'],
  // Bundled CommonJS packages (commander) call require() for Node built-ins.
  banner: { js: "import { createRequire as __musterRequire } from 'node:module'; const require = __musterRequire(import.meta.url);" },
  logLevel: 'warning',
});
