/**
 * The agent's version: the package's. The packaged agent is one bundled file far from any
 * package.json, so the bundler writes the version in (`MUSTER_AGENT_VERSION`); run from the
 * source tree it is read from the nearest package.json named muster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const MUSTER_AGENT_VERSION: string | undefined;

/** The folder of muster's package.json above this module (the source tree or an installed package). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string | undefined {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string };
      if (pkg.name === 'muster') return dir;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

let cached: string | undefined;

/** The version this agent reports (`ping`) and packages itself as. */
export function agentVersion(): string {
  if (typeof MUSTER_AGENT_VERSION === 'string') return MUSTER_AGENT_VERSION;
  if (cached === undefined) {
    const root = packageRoot();
    cached = root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version : '0.0.0';
  }
  return cached;
}
