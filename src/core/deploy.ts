/**
 * The result of a deploy (push, apply) as a value: what became of a host's
 * previous file. It lives in core because three layers share it and none may
 * import another for it: ops writes it (the task job) and keeps it (the history
 * journal), report says it in words (report/deploy.ts). The run layer carries it
 * as an outcome's opaque `data` and knows nothing of deploys.
 */

/** The previous file was put back (`done`), or putting it back did not work (`failed`). */
export type Rollback = 'done' | 'failed';

/**
 * The `data` of a deploy job's outcome, present when the host's pushes were put
 * back or a stop left something to say. Tagged, because readers meet every command's data (facts, drift, …) and
 * another command's data may well have a `rollback` field of its own.
 */
export interface DeployData {
  kind: 'deploy';
  rollback?: Rollback;
  /**
   * What a stopped or half-done deploy left, in words no rollback word says
   * ("/etc/app.conf left as it was", "… in place but --then has not succeeded"):
   * said after the engine's "interrupted" or "timed out", which replace the job's message.
   */
  note?: string;
}

/**
 * The deploy data recording `rollback` (and a note): the one way deploy data is made, by the
 * deploy jobs and by the history reading it back, so both carry the same tag.
 */
export function deployData(rollback: Rollback | undefined, note?: string): DeployData {
  return { kind: 'deploy', ...(rollback !== undefined ? { rollback } : {}), ...(note !== undefined ? { note } : {}) };
}

/** The note a deploy outcome's `data` carries, if any (see `DeployData.note`). */
export function deployNote(data: unknown): string | undefined {
  return deployDataOf(data)?.note;
}

/**
 * The rollback an outcome's `data` records, if any. It works on any outcome (a
 * run's, a journaled one) whatever its data type: only data tagged as a deploy's
 * (`deployData`) has a rollback, everything else gives `undefined`.
 */
export function rollbackOf(data: unknown): Rollback | undefined {
  return deployDataOf(data)?.rollback;
}

/** `data` as a deploy's, when it carries the tag `deployData` puts on it. */
function deployDataOf(data: unknown): DeployData | undefined {
  if (typeof data !== 'object' || data === null || !('kind' in data) || data.kind !== 'deploy') return undefined;
  return data as DeployData;
}
