/**
 * What a host has at each of its managed paths, in ONE exec: the shell's own
 * tests classify every path (no process each), then one `stat` and one
 * `sha256sum` cover all the regular files together, and a folder costs its two
 * `find`s. The contents of files that differ are a second exec (`readContents`),
 * one `cat` of them all, cut by the sizes the first answer gave. Every path is a
 * positional parameter quoted by `shellQuote`, never spliced into the script.
 */
import type { Session } from '../transport/types.js';
import { manifestOf, sha256, shScript, type DirManifest } from './push.js';

/** A managed path as the probe is asked about it. */
export interface ProbeItem {
  path: string;
  kind: 'file' | 'dir' | 'absent';
}

/** What is at a managed path on the host. */
export type PathState =
  | { kind: 'file'; sha256: string; mode: string; owner: string; size: number }
  | { kind: 'dir'; manifest: DirManifest }
  | { kind: 'missing' }
  /** Missing, and so is the folder it would go in. */
  | { kind: 'noparent' }
  /** Nothing there, as an `absent: true` file wants. */
  | { kind: 'absent' }
  /** Something there that `absent: true` says must not be. */
  | { kind: 'present'; what: string }
  | { kind: 'other'; what: string }
  | { kind: 'unreadable'; reason: string; mode: string; owner: string };

const probeScript = `n=$#
i=0
there() { [ -e "$1" ] || [ -L "$1" ]; }
gone() { q=\${1%/*}; if [ -d "\${q:-/}" ]; then echo "= $i missing"; else echo "= $i noparent"; fi; }
for a do
  i=$((i+1)) k=\${a%%/*} p=/\${a#*/}
  case $k in
  a) if [ -d "$p" ]; then echo "= $i present a directory"; elif there "$p"; then echo "= $i present a file"; else echo "= $i absent"; fi ;;
  f) if ! there "$p"; then gone "$p"
     elif [ -d "$p" ]; then echo "= $i other a directory"
     elif [ ! -e "$p" ]; then echo "= $i other a dangling symlink"
     elif [ ! -f "$p" ]; then echo "= $i other not a regular file"
     else echo "= $i file"; set -- "$@" "$p"; fi ;;
  d) if ! there "$p"; then gone "$p"
     elif [ -L "$p" ] || [ ! -d "$p" ]; then echo "= $i other not a directory"
     else echo "= $i dir"; (cd -- "$p" && find . -printf '%y %m %u:%g %P\\t%l\\n' && echo '-- sums' && find . -type f -print0 | xargs -0 -r sha256sum); echo "= $i end"; fi ;;
  esac
done
shift $n
[ $# -gt 0 ] || exit 0
echo '== stat'
stat -L -c '%a %U:%G %s %n' -- "$@"
echo '== sums'
sha256sum -- "$@" 2>&1
exit 0`;

/** Runs the probe: one state per item, in order. Rejects like `session.exec`; throws on an answer it cannot read. */
export async function probe(session: Session, items: readonly ProbeItem[], options: { signal: AbortSignal; sudo?: boolean }): Promise<PathState[]> {
  const args = items.map((item) => `${item.kind === 'file' ? 'f' : item.kind === 'dir' ? 'd' : 'a'}${item.path}`);
  const result = await session.exec(shScript(probeScript, args), { signal: options.signal, sudo: options.sudo ?? false, maxOutputBytes: 64 * 1024 * 1024 });
  if (result.exitCode !== 0) throw new Error(`the drift probe failed (exit ${String(result.exitCode)}): ${result.stderr.toString('utf8').trim().split('\n').pop() ?? ''}`);
  return parseProbe(result.stdout.toString('utf8'), items);
}

/** Parses the probe's answer (exported for the tests). */
export function parseProbe(text: string, items: readonly ProbeItem[]): PathState[] {
  const states: (PathState | undefined)[] = items.map(() => undefined);
  const regular = new Map<string, number>();
  const lines = text.split('\n');
  let index = 0;
  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line.startsWith('== ')) break;
    const match = /^= (\d+) (\S+)(?: (.*))?$/.exec(line);
    if (!match) continue;
    const at = Number(match[1]) - 1;
    const word = match[2] ?? '';
    const rest = match[3] ?? '';
    const item = items[at];
    if (!item) continue;
    switch (word) {
      case 'missing':
      case 'noparent':
      case 'absent':
        states[at] = { kind: word };
        break;
      case 'present':
      case 'other':
        states[at] = { kind: word, what: rest };
        break;
      case 'file':
        regular.set(item.path, at);
        break;
      case 'dir': {
        const block: string[] = [];
        for (index += 1; index < lines.length && lines[index] !== `= ${at + 1} end`; index += 1) block.push(lines[index] ?? '');
        states[at] = { kind: 'dir', manifest: parseManifest(block) };
        break;
      }
    }
  }
  // `== stat`: MODE OWNER SIZE NAME; `== sums`: HASH  NAME, or sha256sum's complaint about NAME.
  const meta = new Map<string, { mode: string; owner: string; size: number }>();
  const sums = new Map<string, string>();
  const complaints = new Map<string, string>();
  let part = '';
  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line.startsWith('== ')) {
      part = line.slice(3);
      continue;
    }
    if (part === 'stat') {
      const match = /^(\S+) (\S+) (\d+) (\/.*)$/.exec(line);
      if (match) meta.set(match[4] ?? '', { mode: match[1] ?? '', owner: match[2] ?? '', size: Number(match[3]) });
    } else if (part === 'sums') {
      if (/^[0-9a-f]{64} {2}\//.test(line)) sums.set(line.slice(66), line.slice(0, 64));
      else {
        const match = /^sha256sum: (\/.*): ([^:]+)$/.exec(line);
        if (match) complaints.set(match[1] ?? '', match[2] ?? '');
      }
    }
  }
  for (const [path, at] of regular) {
    const info = meta.get(path) ?? { mode: '', owner: '', size: 0 };
    const sum = sums.get(path);
    states[at] = sum !== undefined
      ? { kind: 'file', sha256: sum, ...info }
      : { kind: 'unreadable', reason: complaints.get(path) ?? 'not read', mode: info.mode, owner: info.owner };
  }
  return states.map((state, at) => {
    if (!state) throw new Error(`the drift probe gave no answer for ${items[at]?.path ?? '?'}`);
    return state;
  });
}

/** A folder's listing and checksums, as the probe prints them, in the form push's manifests take. */
function parseManifest(block: readonly string[]): DirManifest {
  const split = block.indexOf('-- sums');
  return split < 0 ? manifestOf(block, []) : manifestOf(block.slice(0, split), block.slice(split + 1));
}

const readScript = 'exec cat -- "$@"';

/**
 * Reads the files `wanted` (path and the size and checksum the probe gave) in one
 * exec: one `cat`, cut by size. A file whose bytes do not match its checksum (it
 * changed meanwhile, or could not be read) comes back null.
 */
export async function readContents(session: Session, wanted: readonly { path: string; size: number; sha256: string }[], options: { signal: AbortSignal; sudo?: boolean }): Promise<(Buffer | null)[]> {
  if (wanted.length === 0) return [];
  const total = wanted.reduce((sum, file) => sum + file.size, 0);
  const result = await session.exec(shScript(readScript, wanted.map((file) => file.path)), { signal: options.signal, sudo: options.sudo ?? false, maxOutputBytes: total + 1 });
  let offset = 0;
  return wanted.map((file) => {
    const data = result.stdout.subarray(offset, offset + file.size);
    offset += file.size;
    return data.length === file.size && sha256(data) === file.sha256 ? Buffer.from(data) : null;
  });
}
