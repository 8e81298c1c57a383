/**
 * `--json` as the run goes: each host's record the moment the host finishes (in the
 * order hosts finish, not the order they were given), and with `--stream` each chunk of
 * output before it (report/jsonChunks.ts). The presenter then writes only the records of
 * hosts that never finished (not started) and the summary record.
 *
 * Only for jobs whose outcome is final when the host is done (runFanout): a command that
 * rewrites outcomes after the run (diff compares hosts with each other) keeps its records
 * until the end.
 */
import { assertNever, type RunEvent } from '../../run/events.js';
import type { Outcome } from '../../run/outcome.js';
import { chunkRecords, type ChunkRecords } from '../../report/jsonChunks.js';
import { jsonLine } from '../../report/jsonLines.js';
import type { Writer } from './writers.js';

export interface LiveJson {
  onEvent(event: RunEvent): void;
  /** The hosts whose record was written. */
  readonly written: ReadonlySet<string>;
}

export function liveJson(stdout: Writer, options: { chunks: boolean; record: (outcome: Outcome) => unknown }): LiveJson {
  const written = new Set<string>();
  const streams = new Map<string, Record<'stdout' | 'stderr', ChunkRecords>>();
  const streamsOf = (host: string): Record<'stdout' | 'stderr', ChunkRecords> => {
    let pair = streams.get(host);
    if (!pair) streams.set(host, (pair = { stdout: chunkRecords(host, 'stdout'), stderr: chunkRecords(host, 'stderr') }));
    return pair;
  };
  const emit = (record: unknown): void => {
    if (record !== undefined) stdout.write(jsonLine(record));
  };
  return {
    written,
    onEvent(event) {
      switch (event.type) {
        case 'output':
          if (options.chunks) emit(streamsOf(event.host)[event.stream].push(event.chunk));
          return;
        case 'host-done': {
          const pair = streams.get(event.outcome.host);
          if (pair) {
            emit(pair.stdout.flush());
            emit(pair.stderr.flush());
            streams.delete(event.outcome.host);
          }
          emit(options.record(event.outcome));
          written.add(event.outcome.host);
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
    },
  };
}
