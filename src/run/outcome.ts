/**
 * Per-host outcomes: every operation yields exactly one per selected host.
 * The library returns these as values; only the CLI turns them into an exit code.
 */
import { isUtf8 } from 'node:buffer';

export type Status = 'ok' | 'changed' | 'failed' | 'unreachable' | 'timeout' | 'skipped';

/** Statuses that count as failures for `--max-fail` and for the exit code. */
export const failureStatuses: ReadonlySet<Status> = new Set(['failed', 'unreachable', 'timeout']);

/**
 * One host's result. `T` is what the operation found, as a value (diff's file
 * state; later facts, drift): results travel in `data`, never through `stdout`.
 */
export interface Outcome<T = unknown> {
  host: string;
  status: Status;
  exitCode: number | null;
  /** The output as text (UTF-8; bytes that are not valid UTF-8 read as U+FFFD here: see `stdoutBytes`). */
  stdout: string;
  stderr: string;
  /**
   * The exact bytes, only when they are not valid UTF-8 (binary output, a Latin-1 file):
   * then `stdout` cannot hold them, and `--json` carries these instead (`stdoutBase64`).
   */
  stdoutBytes?: Buffer;
  stderrBytes?: Buffer;
  /** Set when stdout/stderr were capped; says how much was cut. */
  truncated?: string;
  durationMs: number;
  /** One line saying why, for people: "connection refused", "timed out after 2.0s", "unchanged". */
  message?: string;
  /** The operation's own result for this host, when it has one. */
  data?: T;
}

/** The output fields of an outcome, from what a command printed: text, plus the exact bytes of a stream that is not UTF-8. */
export type OutputFields = Pick<Outcome, 'stdout' | 'stderr' | 'stdoutBytes' | 'stderrBytes'>;

/**
 * Turns a command's two output streams into an outcome's output fields: each as UTF-8
 * text, and, for a stream that is not valid UTF-8, its bytes as well, so that nothing
 * the host sent is lost on the way to `--json`.
 */
export function outputFields(stdout: Buffer, stderr: Buffer): OutputFields {
  // Most hosts print little or nothing: no decoding, checking or spreading for an empty stream.
  const fields: OutputFields = { stdout: stdout.length === 0 ? '' : stdout.toString('utf8'), stderr: stderr.length === 0 ? '' : stderr.toString('utf8') };
  if (stdout.length > 0 && !isUtf8(stdout)) fields.stdoutBytes = stdout;
  if (stderr.length > 0 && !isUtf8(stderr)) fields.stderrBytes = stderr;
  return fields;
}
