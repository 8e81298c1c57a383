/**
 * Per-host outcomes: every operation yields exactly one per selected host.
 * The library returns these as values; only the CLI turns them into an exit code.
 */

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
  stdout: string;
  stderr: string;
  /** Set when stdout/stderr were capped; says how much was cut. */
  truncated?: string;
  durationMs: number;
  /** One line saying why, for people: "connection refused", "timed out after 2.0s", "unchanged". */
  message?: string;
  /** The operation's own result for this host, when it has one. */
  data?: T;
}
