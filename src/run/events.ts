/**
 * What the fan-out engine reports while it runs. A discriminated union on `type`:
 * a handler that switches on it and ends with `assertNever` fails to compile when
 * a new kind is added.
 */
import type { Outcome } from './outcome.js';

export type RunEvent =
  /** A batch begins; `batch` is 1-based, `of` the number of batches planned. */
  | { type: 'batch-started'; batch: number; of: number; hosts: string[] }
  /** A host takes a slot and starts connecting. `index` is its place in the target list. */
  | { type: 'host-started'; host: string; index: number }
  /** The host's session is open; its job starts now (and its --timeout clock with it). */
  | { type: 'host-connected'; host: string; index: number }
  /** Output of a host's job as it comes (a job's `output` sink): for `--stream` and live views. */
  | { type: 'output'; host: string; stream: 'stdout' | 'stderr'; chunk: Buffer }
  /** The host has its outcome. `done` counts finished hosts so far, of `total`. */
  | { type: 'host-done'; index: number; outcome: Outcome; done: number; total: number }
  /** No further host will start: the failure threshold was exceeded, or the run was interrupted. */
  | { type: 'aborted'; reason: 'threshold' | 'interrupted'; message: string };

/** Ends an exhaustive `switch` over a union: compiling fails when a case is missing. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
