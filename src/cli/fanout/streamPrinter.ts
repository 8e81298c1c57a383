/**
 * `--stream`: each host's output printed as it comes, `host: line`, driven by the
 * engine's events (an `output` event says which host it came from; `host-done`
 * flushes a last line that had no newline).
 */
import { assertNever, type RunEvent } from '../../run/events.js';
import { lineStream, type LineStream } from '../../report/lineStream.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../../transport/outputCapture.js';
import type { Writers } from './writers.js';

/**
 * An event handler that prints `output` events line by line, each prefixed with
 * its host, stdout to `out.stdout` and stderr to `out.stderr`; lines of
 * different hosts never interleave mid-line (see `lineStream`). A line longer
 * than `maxLineBytes` (default: the output cap, 1 MiB) is printed cut there.
 * With `prefix: false` (`-N`) the lines are printed bare.
 */
export function streamPrinter(out: Writers, options: { maxLineBytes?: number; prefix?: boolean } = {}): (event: RunEvent) => void {
  const cap = { maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_OUTPUT_BYTES };
  const prefixOf = (host: string): string | undefined => (options.prefix === false ? undefined : host);
  const streams = new Map<string, Record<'stdout' | 'stderr', LineStream>>();
  const streamsOf = (host: string): Record<'stdout' | 'stderr', LineStream> => {
    let pair = streams.get(host);
    if (!pair) {
      pair = { stdout: lineStream(prefixOf(host), (text) => out.stdout.write(text), cap), stderr: lineStream(prefixOf(host), (text) => out.stderr.write(text), cap) };
      streams.set(host, pair);
    }
    return pair;
  };
  return (event) => {
    switch (event.type) {
      case 'output':
        streamsOf(event.host)[event.stream].push(event.chunk);
        return;
      case 'host-done': {
        const pair = streams.get(event.outcome.host);
        pair?.stdout.flush();
        pair?.stderr.flush();
        streams.delete(event.outcome.host);
        return;
      }
      case 'batch-started':
      case 'host-started':
      case 'host-connected':
      case 'aborted':
        return;
      default:
        assertNever(event);
    }
  };
}
