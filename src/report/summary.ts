/**
 * The one-line summary every fan-out command ends with:
 * `100 hosts: 97 ok, 2 failed, 1 unreachable in 3.2s`.
 */
import { formatDuration } from '../core/duration.js';
import type { Outcome, Status } from '../run/outcome.js';
import { statusOrder } from './gather.js';

/** How many outcomes have each status. */
export type StatusCounts = Record<Status, number>;

/** Counts outcomes by status; every status is present, zero when absent. */
export function countStatuses(outcomes: readonly Outcome[]): StatusCounts {
  const counts: StatusCounts = { ok: 0, changed: 0, failed: 0, unreachable: 0, timeout: 0, skipped: 0 };
  for (const outcome of outcomes) counts[outcome.status] += 1;
  return counts;
}

/** What the summary needs from a run (a `RunResult` fits). */
export interface SummaryInput {
  outcomes: readonly Outcome[];
  durationMs: number;
  aborted?: boolean;
  interrupted?: boolean;
  stopMessage?: string;
}

/**
 * Formats the summary line: the host count, then each non-zero status count in
 * display order (ok, changed, skipped, failed, timeout, unreachable), the run's
 * duration, and why it stopped early if it did:
 * `20 hosts: 5 ok, 3 failed, 12 skipped in 1.4s (aborted: failure threshold exceeded (3 > 2))`.
 */
export function formatSummary(run: SummaryInput): string {
  const counts = countStatuses(run.outcomes);
  const total = run.outcomes.length;
  const parts = statusOrder.filter((status) => counts[status] > 0).map((status) => `${counts[status]} ${status}`);
  let line = `${total} host${total === 1 ? '' : 's'}: ${parts.length > 0 ? parts.join(', ') : 'nothing to do'} in ${formatDuration(run.durationMs)}`;
  if (run.interrupted) line += ' (interrupted)';
  else if (run.aborted) line += ` (aborted: ${run.stopMessage ?? 'failure threshold exceeded'})`;
  return line;
}
