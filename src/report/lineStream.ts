/**
 * `--stream`: output lines as they arrive, each prefixed with its host
 * (`web01: line`), like pdsh. Chunks are cut at newlines so lines of different
 * hosts never interleave mid-line. Terminal control characters are made
 * visible (`escapeControls`), as in the gathered view.
 */
import { escapeControls } from './escapeControls.js';

export interface LineStream {
  /** Adds a chunk of output; complete lines are written at once. */
  push(chunk: Buffer | string): void;
  /** Writes a last line that had no newline, if any. */
  flush(): void;
}

/**
 * A line splitter for one host's stream that calls `write` with `prefix: line\n`
 * for every complete line. Multi-byte characters split across chunks are kept whole.
 */
export function lineStream(prefix: string, write: (text: string) => void): LineStream {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  return {
    push(chunk) {
      pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const end = pending.lastIndexOf('\n');
      if (end < 0) return;
      // Escaped with the newline still there, so a CRLF line keeps its \r.
      const lines = escapeControls(pending.slice(0, end + 1)).slice(0, -1).split('\n');
      pending = pending.slice(end + 1);
      write(lines.map((line) => `${prefix}: ${line}\n`).join(''));
    },
    flush() {
      pending += decoder.decode();
      if (pending !== '') write(`${prefix}: ${escapeControls(pending)}\n`);
      pending = '';
    },
  };
}
