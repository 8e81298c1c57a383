/**
 * `--stream`: output lines as they arrive, each prefixed with its host
 * (`web01: line`), like pdsh. Chunks are cut at newlines so lines of different
 * hosts never interleave mid-line. Terminal control characters are made
 * visible (`escapeControls`), as in the gathered view.
 *
 * Cost is linear in the bytes received: each chunk is searched for newlines once,
 * and the start of an unfinished line is kept as chunks, joined only when the line
 * ends. A line longer than the cap is printed cut at the cap, with a note, as soon
 * as the cap is reached, and the rest of it is dropped: a host printing one endless
 * line costs at most the cap in memory.
 */
import { characterBoundary, formatBytes } from '../core/bytes.js';
import { escapeControls } from './escapeControls.js';

export interface LineStream {
  /** Adds a chunk of output; complete lines are written at once. */
  push(chunk: Buffer | string): void;
  /** Writes a last line that had no newline, if any. */
  flush(): void;
}

export interface LineStreamOptions {
  /** The longest line printed whole, in bytes; a longer one is cut there (default: no cap). */
  maxLineBytes?: number;
}

const newline = 0x0a;

/**
 * A line splitter for one host's stream that calls `write` with `prefix: line\n`
 * for every complete line (once per chunk, for all the lines it completed); with
 * `prefix` undefined, `line\n` alone (`-N`).
 * Multi-byte characters split across chunks are kept whole.
 */
export function lineStream(prefix: string | undefined, write: (text: string) => void, options: LineStreamOptions = {}): LineStream {
  const max = options.maxLineBytes ?? Number.POSITIVE_INFINITY;
  const lead = prefix === undefined ? '' : `${prefix}: `;
  /** The unfinished line so far. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** The current line was cut (and printed): drop the rest of it, up to its newline. */
  let dropping = false;

  // Lines are whole byte runs when decoded, so no decoder state is needed. A line cut or left
  // without a newline is escaped as it is, so a \r at its end shows (see formatLines).
  const format = (bytes: Buffer, note = ''): string => `${lead}${escapeControls(bytes.toString('utf8'))}${note}\n`;
  const takeLine = (): Buffer => {
    const line = pending.length === 1 ? pending[0] as Buffer : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return line;
  };
  /** Adds a piece of the current line; returns the line, cut, once it reached the cap. */
  const keep = (piece: Buffer): string | undefined => {
    if (dropping || piece.length === 0) return undefined;
    const room = max - pendingBytes;
    if (piece.length <= room) {
      pending.push(piece);
      pendingBytes += piece.length;
      return undefined;
    }
    pending.push(piece.subarray(0, characterBoundary(piece, room)));
    pendingBytes += (pending.at(-1) as Buffer).length;
    dropping = true;
    return format(takeLine(), ` … (line cut at ${formatBytes(max)})`);
  };

  /** The line that `piece` ends (its newline was found): printed, unless it was cut and printed already. */
  const endLine = (piece: Buffer): string | undefined => {
    const cut = keep(piece);
    const wasDropping = dropping;
    dropping = false;
    if (cut !== undefined) return cut;
    return wasDropping ? undefined : formatLines(takeLine());
  };
  /**
   * Whole lines (newlines between them, not after the last), none longer than the cap: formatted
   * in one pass. Escaped with a newline still after each, so a CRLF line keeps its \r.
   */
  const formatLines = (bytes: Buffer): string => {
    const lines = escapeControls(`${bytes.toString('utf8')}\n`).slice(0, -1).split('\n');
    return lines.map((line) => `${lead}${line}\n`).join('');
  };

  return {
    push(chunk) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const first = bytes.indexOf(newline);
      if (first < 0) {
        const cut = keep(bytes);
        if (cut !== undefined) write(cut);
        return;
      }
      const lines: string[] = [];
      const ended = endLine(bytes.subarray(0, first));
      if (ended !== undefined) lines.push(ended);
      const last = bytes.lastIndexOf(newline);
      // The lines in between: in one pass when none can be over the cap (a chunk no bigger than it).
      if (last > first && last - first - 1 <= max) lines.push(formatLines(bytes.subarray(first + 1, last)));
      else if (last > first) {
        let start = first + 1;
        for (let end = bytes.indexOf(newline, start); end >= 0 && end <= last; end = bytes.indexOf(newline, start)) {
          const line = endLine(bytes.subarray(start, end));
          if (line !== undefined) lines.push(line);
          start = end + 1;
        }
      }
      const cut = keep(bytes.subarray(last + 1));
      if (cut !== undefined) lines.push(cut);
      if (lines.length > 0) write(lines.join(''));
    },
    flush() {
      if (pendingBytes > 0) write(format(takeLine()));
      pending = [];
      pendingBytes = 0;
      dropping = false;
    },
  };
}
