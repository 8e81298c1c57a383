/**
 * When a command reads the host's local copy (docs/local-copy.md) instead of the inventory:
 * with `--from-local-copy[=DIR]`, and by default on a host with no inventory (no `-i`, no
 * `$MUSTER_INVENTORY`, no muster.yaml or inventory/ here or above) that holds
 * /etc/muster/inventory.json. Every command reading it says so on stderr, once: which
 * publish, and how long ago it was last confirmed — loudly when that is past the stale limit.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MusterError, UsageError } from '../core/errors.js';
import { defaultLocalCopyDir, localCopyPath, readLocalCopy, type LocalCopy } from '../inventory/localCopy.js';
import type { Inventory } from '../inventory/types.js';

/** The options that decide where the inventory comes from. */
export interface SourceOptions {
  inventory?: string;
  fromLocalCopy?: string;
  quiet?: boolean;
}

let noticed = false;

/** The copy's folder when the command must read it: asked for, or the default where no inventory is. */
export function localCopyDirFor(options: SourceOptions, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (options.fromLocalCopy !== undefined) {
    if (options.inventory !== undefined) throw new UsageError('Give -i/--inventory or --from-local-copy, not both');
    return options.fromLocalCopy === '' ? defaultLocalCopyDir : options.fromLocalCopy;
  }
  if (options.inventory !== undefined || (env['MUSTER_INVENTORY'] ?? '') !== '') return undefined;
  if (inventoryAbove(cwd)) return undefined;
  return existsSync(localCopyPath(defaultLocalCopyDir)) ? defaultLocalCopyDir : undefined;
}

/** Reads the copy in `dir` and says on stderr (once per process) which it is and how old. */
export async function inventoryFromLocalCopy(dir: string, options: SourceOptions): Promise<Inventory> {
  const copy = await readLocalCopy(dir);
  if (!noticed && (copy.stale || !options.quiet)) process.stderr.write(`${localCopyNotice(copy)}\n`);
  noticed = true;
  return copy.inventory;
}

/**
 * Refuses a writing command (`set`) the copy: it is what a publish wrote, read-only here.
 * Said also where the copy would be read by default, rather than "no inventory found".
 */
export function refuseLocalCopy(options: SourceOptions, what: string): void {
  const dir = localCopyDirFor(options);
  if (dir === undefined) return;
  // Not a usage error: nothing about the command line is wrong (no "add --help").
  throw new MusterError(`${what} cannot write the local copy (${localCopyPath(dir)}): it is read-only; edit the git inventory and publish it`);
}

/**
 * `muster: the local copy (revision 7, published 2026-12-02T16:50:57Z by alice@ops1, confirmed 2 min ago)`,
 * or, past the limit, `muster: STALE local copy: revision 7, last confirmed 3 h ago (older than 10 min): the brokers may be down`.
 */
export function localCopyNotice(copy: Pick<LocalCopy, 'header' | 'ageMs' | 'maxAgeMs' | 'stale'>): string {
  const { header } = copy;
  if (copy.stale) {
    return `muster: STALE local copy: revision ${header.revision}, last confirmed ${ago(copy.ageMs)} (older than ${limitText(copy.maxAgeMs)}): the brokers may be down`;
  }
  return `muster: the local copy (revision ${header.revision}, published ${header.publishedAt.replace(/\.\d+Z$/, 'Z')} by ${header.by}, confirmed ${ago(copy.ageMs)})`;
}

/** `just now`, `40 s ago`, `2 min ago`, `3 h ago`, `5 days ago`: rounded down, as an age is. */
export function ago(ms: number): string {
  if (ms < 1000) return 'just now';
  return `${span(ms)} ago`;
}

/** The limit as set: `10 min`, `2 h`, `90 s` (never rounded: `90s` is not `1 min`). */
function limitText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

function span(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} days`;
}

/** Whether muster.yaml or inventory/ is in `cwd` or a folder above (inventory/find.ts's walk). */
function inventoryAbove(cwd: string): boolean {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isKind(join(dir, 'muster.yaml'), 'file') || isKind(join(dir, 'inventory'), 'dir')) return true;
    if (dirname(dir) === dir) return false;
  }
}

function isKind(path: string, kind: 'file' | 'dir'): boolean {
  try {
    const info = statSync(path);
    return kind === 'file' ? info.isFile() : info.isDirectory();
  } catch {
    return false;
  }
}
