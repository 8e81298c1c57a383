/**
 * Unified diffs for what push --check and diff show. Text files go through the
 * render layer's Myers diff (pure, in-process); binary contents are named, not
 * dumped; whole trees (push -r --check) use GNU `diff -ruN`, which every Linux
 * box muster runs from has, rather than re-implementing a tree walk and diff.
 */
import { execFile } from 'node:child_process';
import { unifiedDiff } from '../render/diff.js';

/** One side of a diff: a content (null = absent, shown as /dev/null, like git) and its label. */
export interface DiffSide {
  content: Buffer | null;
  label: string;
}

/** Whether a content looks binary: a NUL byte in its first 8 KiB, as git and GNU diff decide. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8192).includes(0);
}

/**
 * The unified diff turning `before` into `after`; empty when they are equal.
 * Binary contents give one line, `Binary files A and B differ`.
 */
export function contentDiff(before: DiffSide, after: DiffSide): string {
  const labelA = before.content === null ? '/dev/null' : before.label;
  const labelB = after.content === null ? '/dev/null' : after.label;
  const a = before.content ?? Buffer.alloc(0);
  const b = after.content ?? Buffer.alloc(0);
  if (a.equals(b)) return '';
  if (isBinary(a) || isBinary(b)) return `Binary files ${labelA} and ${labelB} differ\n`;
  const diff = unifiedDiff(a.toString('utf8'), b.toString('utf8'), { before: labelA, after: labelB });
  // An empty side has no last line to end with a newline: the note would be noise.
  return a.length === 0 || b.length === 0 ? diff.replace(/^# the files differ in their final newline\n/m, '') : diff;
}

/**
 * A recursive unified diff (`diff -ruN`) of two local directories, run from `cwd`
 * so the paths in the output are the relative names given (e.g. `a` and `b`).
 */
export function unifiedDiffDirs(cwd: string, before: string, after: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LC_ALL: 'C' };
    execFile('diff', ['-ruN', before, after], { cwd, env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) }, (error, stdout, stderr) => {
      // diff exits 0 when equal, 1 when different, 2 on trouble.
      const code = (error as { code?: unknown } | null)?.code;
      if (!error || code === 1) resolve(stdout);
      else reject(new Error(`diff failed: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}
