/**
 * The UI's stylesheet and script: plain files in the package's `templates/ui/`
 * (package.json "files" ships `templates`), read once when the UI starts. They
 * are found by walking up from this module, because it runs from two depths:
 * dist/serve/ui/ (tsc) and dist/bundle/ (the esbuild bundle bin/muster.js prefers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../core/errors.js';

/** The asset names the pages link to, and their types. */
export const assetTypes: Readonly<Record<string, string>> = {
  'ui.css': 'text/css; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
};

/** The folder holding the assets: the first `templates/ui` above this module. */
export function assetDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from, up = 0; up < 6; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'templates', 'ui');
    if (existsSync(join(candidate, 'ui.css'))) return candidate;
  }
  throw new EnvironmentError(`Cannot find the web UI's files (templates/ui/ui.css) above ${from}: is the package installed whole?`);
}

/** Every asset's bytes, by name; read at start so a missing file stops `serve --ui` at once, not at the first page. */
export function loadAssets(dir = assetDir()): Map<string, Buffer> {
  return new Map(Object.keys(assetTypes).map((name) => [name, readFileSync(join(dir, name))]));
}
