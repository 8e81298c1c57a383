/**
 * The remote half of `muster adopt`: every asked path of one host read in ONE
 * remote command (one connection, one exec per host, whatever the number of
 * paths): for each path a header line — its mode, owner and size, or why it
 * cannot be adopted — then, for a regular file, its bytes in base64 on one line
 * (the files adopted are configs: small, and base64 keeps the framing a
 * matter of lines). The bytes never reach the outcome's stdout, so neither the
 * display nor the journal can show a secret.
 */
import { createHash } from 'node:crypto';
import type { Job } from '../run/engine.js';
import { shScript } from './push.js';

/** What one host has at one path. */
export type LiveFile =
  | { kind: 'file'; mode: string; owner: string; content: Buffer; sha256: string }
  | { kind: 'missing' }
  | { kind: 'other'; what: string };

/** The most bytes of output one host may send back (all its paths together, base64). */
export const ADOPT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

const readScript = `for p in "$@"; do
  if [ -L "$p" ] && [ ! -e "$p" ]; then echo 'other a dangling symlink'; continue; fi
  if [ ! -e "$p" ]; then echo missing; continue; fi
  if [ -d "$p" ]; then echo 'other a directory (adopt takes files)'; continue; fi
  if [ ! -f "$p" ]; then echo 'other not a regular file'; continue; fi
  if ! s=$(stat -L -c '%a %U:%G' -- "$p" 2>/dev/null); then echo 'other cannot stat it'; continue; fi
  if ! b=$(base64 -w0 < "$p" 2>/dev/null); then echo 'other cannot read it'; continue; fi
  printf 'file %s\\n%s\\n' "$s" "$b"
done`;

/** Parses what the read script printed for `paths`; undefined when it is not that (a broken host shell). */
export function parseLiveFiles(stdout: string, paths: readonly string[]): Map<string, LiveFile> | undefined {
  const lines = stdout.split('\n');
  const out = new Map<string, LiveFile>();
  let at = 0;
  for (const path of paths) {
    const line = lines[at++];
    if (line === undefined) return undefined;
    if (line === 'missing') out.set(path, { kind: 'missing' });
    else if (line.startsWith('other ')) out.set(path, { kind: 'other', what: line.slice(6) });
    else {
      const head = /^file ([0-7]{3,4}) (\S+:\S+)$/.exec(line);
      const data = lines[at++];
      if (!head || data === undefined || !/^[A-Za-z0-9+/=]*$/.test(data)) return undefined;
      const content = Buffer.from(data, 'base64');
      out.set(path, { kind: 'file', mode: (head[1] ?? '').padStart(4, '0'), owner: head[2] ?? '', content, sha256: createHash('sha256').update(content).digest('hex') });
    }
  }
  return out;
}

/** The per-host job: every path's `LiveFile` as the outcome's data; `failed` when the host's answer cannot be read. */
export function adoptReadJob(paths: readonly string[], options: { sudo?: boolean } = {}): Job<Map<string, LiveFile>> {
  return async (session, { signal }) => {
    const result = await session.exec(shScript(readScript, paths), { signal, sudo: options.sudo ?? false, maxOutputBytes: ADOPT_MAX_OUTPUT_BYTES });
    const stderr = result.stderr.toString('utf8');
    if (result.stdoutTruncated) return { status: 'failed', exitCode: result.exitCode, stdout: '', stderr, message: `the files are larger than ${ADOPT_MAX_OUTPUT_BYTES / 1024 / 1024} MiB together` };
    const files = result.exitCode === 0 ? parseLiveFiles(result.stdout.toString('utf8'), paths) : undefined;
    if (!files) return { status: 'failed', exitCode: result.exitCode, stdout: '', stderr, message: 'cannot read the files' };
    return { status: 'ok', exitCode: 0, stdout: '', stderr: '', data: files };
  };
}
