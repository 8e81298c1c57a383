/**
 * What a stopped or failed deploy left on a host, as the task job says it (task-job.ts): the
 * rollback as data, and in words what no rollback word says ("DEST left as it was", files in
 * place whose --then has not run).
 */
import { deployData, type DeployData, type Rollback } from '../core/deploy.js';

/** What putting a host's pushes back did: rollback done or failed, DESTs left as they were, DESTs already final. */
export interface Undone {
  rollback: Rollback | undefined;
  kept: string[];
  unknown: string[];
  final: string[];
}

/** The deploy data saying an undo: the rollback, and in words what no rollback word says. */
export function undoneData(undone: Undone, extra?: string): DeployData | undefined {
  const notes: string[] = [];
  if (undone.kept.length > 0 && undone.rollback === undefined) notes.push(`${undone.kept.join(', ')} left as it was`);
  if (undone.unknown.length > 0) notes.push(`cleanup did not finish for ${undone.unknown.join(', ')}: .NAME.muster-* files may remain beside it`);
  if (extra !== undefined) notes.push(extra);
  if (undone.rollback === undefined && notes.length === 0) return undefined;
  return deployData(undone.rollback, notes.length > 0 ? notes.join('; ') : undefined);
}

/** Files in place whose `--then` has not succeeded, in words: a file's is run again by the next push; a tree's is not recorded. */
export function notActive(dests: readonly string[], trees: ReadonlySet<string>): string {
  const retried = dests.every((dest) => !trees.has(dest));
  return `${dests.join(', ')} in place but --then has not succeeded${retried ? ': the next push runs it again' : ''}`;
}
