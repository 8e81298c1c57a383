import type { ExecResult } from './types.js';

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
    private readonly onChunk?: (chunk: Buffer) => void,
  ) {}

  /** Adds one chunk. */
  push(chunk: Buffer): void {
    this.onChunk?.(chunk);
    const room = this.max - this.kept;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.truncated = true;
  }

  /** Everything kept, as one buffer. */
  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
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
