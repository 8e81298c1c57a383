import type { Readable } from 'node:stream';
import { characterBoundary } from '../core/bytes.js';
import type { ChunkSink, ExecResult } from './types.js';

/** Default cap on each of stdout and stderr kept in an `ExecResult`. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Collects one output stream up to a cap, remembering whether anything was cut, and passes
 * every chunk (cut or not) to the streaming callback.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(
    private readonly max: number = DEFAULT_MAX_OUTPUT_BYTES,
    private readonly onChunk?: ChunkSink,
  ) {}

  /** Adds one chunk; returns what the callback returned (a promise means: read no more until it settles). */
  push(chunk: Buffer): void | Promise<void> {
    // A callback typed to return nothing may still return something (`chunks.push`): only a promise counts.
    const returned: unknown = this.onChunk?.(chunk);
    const wait = returned instanceof Promise ? returned as Promise<void> : undefined;
    if (this.truncated) return wait;
    const room = this.max - this.kept;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return wait;
    }
    const end = characterBoundary(chunk, room);
    if (end > 0) {
      this.chunks.push(chunk.subarray(0, end));
      this.kept += end;
    }
    // Cut between characters, and once cut nothing more is kept: a later chunk that would
    // fit the few bytes the cut left must not be glued on after a gap.
    this.truncated = true;
    return wait;
  }

  /** Everything kept, as one buffer. */
  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}

/**
 * Feeds a readable stream's chunks to `push` (an `OutputCapture`'s), pausing the stream
 * while a promise `push` returns is pending: that is how a slow consumer holds back the
 * sender (ssh flow control, a pipe's) instead of output piling up unread in memory.
 */
export function feed(stream: Readable, push: ChunkSink): void {
  stream.on('data', (chunk: Buffer) => {
    const wait: unknown = push(chunk);
    if (!(wait instanceof Promise)) return;
    stream.pause();
    // The consumer reports its own failure (it owns the promise); reading just goes on.
    const resume = (): void => void stream.resume();
    wait.then(resume, resume);
  });
}

/** The result of a finished command, from its status and its two captured streams. */
export function execResult(exitCode: number | null, signal: string | null, stdout: OutputCapture, stderr: OutputCapture): ExecResult {
  return {
    exitCode,
    signal,
    stdout: stdout.buffer(),
    stderr: stderr.buffer(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
  };
}
