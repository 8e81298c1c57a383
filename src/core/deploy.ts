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
 * back. Tagged, because readers meet every command's data (facts, drift, …) and
 * another command's data may well have a `rollback` field of its own.
 */
export interface DeployData {
  kind: 'deploy';
  rollback: Rollback;
}

/**
 * The deploy data recording `rollback`: the one way deploy data is made, by the
 * deploy jobs and by the history reading it back, so both carry the same tag.
 */
export function deployData(rollback: Rollback): DeployData {
  return { kind: 'deploy', rollback };
}

/**
 * The rollback an outcome's `data` records, if any. It works on any outcome (a
 * run's, a journaled one) whatever its data type: only data tagged as a deploy's
 * (`deployData`) has a rollback, everything else gives `undefined`.
 */
export function rollbackOf(data: unknown): Rollback | undefined {
  if (typeof data !== 'object' || data === null || !('kind' in data) || data.kind !== 'deploy') return undefined;
  return (data as DeployData).rollback;
}
