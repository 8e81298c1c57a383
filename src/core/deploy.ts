/**
 * The result of a deploy (push, apply) as a value: what became of a host's
 * previous file. It lives in core because three layers share it and none may
 * import another for it: ops writes it (the task job) and keeps it (the history
 * journal), report says it in words (report/deploy.ts). The run layer carries it
 * as an outcome's opaque `data` and knows nothing of deploys.
 */

/** The previous file was put back (`done`), or putting it back did not work (`failed`). */
export type Rollback = 'done' | 'failed';

/** The `data` of a deploy job's outcome, present when the host's pushes were put back. */
export interface DeployData {
  rollback: Rollback;
}

/**
 * The rollback an outcome's `data` records, if any. Read by shape, so it works on
 * any outcome (a run's, a journaled one) whatever its data type: `undefined` for
 * everything that is not deploy data.
 */
export function rollbackOf(data: unknown): Rollback | undefined {
  if (typeof data !== 'object' || data === null || !('rollback' in data)) return undefined;
  const { rollback } = data;
  return rollback === 'done' || rollback === 'failed' ? rollback : undefined;
}
