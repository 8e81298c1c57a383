/**
 * Where a push writes, read as cp, scp and `clush -c --dest` read DEST: ending in
 * `/`, it is the folder to put SRC in (DEST/NAME, NAME being SRC's last name); a
 * file's DEST that is a directory on the host means the same (the job finds that
 * out from the host's answer). A tree (`-r`) is swapped in whole AT DEST, so a
 * DEST without `/` is the tree itself — which is why a top-level folder (`/tmp`,
 * `/opt`) is refused there: it would be replaced by SRC, never what was meant.
 */
import { basename, posix, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

/** SRC's last name, as cp and scp name the copy (`./site/` → `site`). */
function nameOf(src: string): string {
  return basename(resolve(src));
}

/** DEST with a trailing `/` resolved to DEST/NAME; any other DEST as it is. */
export function destFor(dest: string, src: string): string {
  return dest.endsWith('/') ? `${dest.replace(/\/+$/, '')}/${nameOf(src)}` : dest;
}

/** A file's DEST found to be a directory on the host: the file goes into it. */
export function intoDirectory(dest: string, src: string): string {
  return posix.join(dest, nameOf(src));
}

/** Refuses, before any host is touched, a DEST that is not absolute. */
export function checkPushDest(dest: string): void {
  if (!dest.startsWith('/')) throw new UsageError(`Invalid DEST "${dest}": give an absolute remote path, e.g. /etc/app/app.conf, or a folder ending in / (/etc/app/)`);
}

/** Refuses, before any host is touched, a tree's DEST (no trailing `/`) that is a top-level folder: the tree would replace it whole. */
export function checkTreeDest(dest: string, src: string): void {
  if (dest.endsWith('/') || posix.dirname(dest) !== '/') return;
  throw new UsageError(`Invalid DEST "${dest}" with -r: the tree is swapped in whole at DEST, and ${dest} is a top-level folder; ` +
    `to push into it, end it with / (${dest}/ gives ${destFor(`${dest}/`, src)})`);
}
