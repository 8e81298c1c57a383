/**
 * Deploys (push, apply) in words: the one place that says what became of a
 * host's previous file. A deploy job and the engine give plain messages ("test
 * failed (exit 1): nginx -t", "timed out after 5.0s") and the rollback as data
 * (`DeployData`); `withDeployMessages` says both as one message ("timed out after
 * 5.0s; rolled back") once, before the run is shown, written as JSON Lines or
 * journaled, so the history keeps what people saw. `deploySummary` lists the
 * hosts by what happened to them.
 */
import { deployNote, rollbackOf, type Rollback } from '../core/deploy.js';
import { foldNodeset } from '../core/nodeset.js';
import type { RunResult } from '../run/engine.js';
import { failureStatuses, type Outcome } from '../run/outcome.js';

/** What a rollback is called, in messages and in the summary. */
const rollbackWords: Readonly<Record<Rollback, string>> = { done: 'rolled back', failed: 'ROLLBACK FAILED' };

/**
 * An outcome's message with its rollback said: `MESSAGE; rolled back`,
 * `MESSAGE; ROLLBACK FAILED`, or the rollback alone when there is no message
 * (a failed test: its output says why), then the data's note if any ("interrupted;
 * /etc/app.conf left as it was"). Without deploy data, the message as it is.
 */
export function deployMessage(outcome: Pick<Outcome, 'message' | 'data'>): string | undefined {
  const rollback = rollbackOf(outcome.data);
  const parts = [outcome.message, rollback === undefined ? undefined : rollbackWords[rollback], deployNote(outcome.data)];
  const said = parts.filter((part): part is string => part !== undefined && part !== '');
  return said.length === 0 ? undefined : said.join('; ');
}

/**
 * The run with every outcome's message said by `deployMessage`. Push and apply
 * give their runs through it before the run is presented, written as JSON Lines
 * or journaled, so every form of the run says the rollback the same way.
 */
export function withDeployMessages<T>(result: RunResult<T>): RunResult<T> {
  return {
    ...result,
    outcomes: result.outcomes.map((outcome) => {
      const message = deployMessage(outcome);
      return message === undefined ? outcome : { ...outcome, message };
    }),
  };
}

/**
 * The lines after a deploy's gathered blocks: which hosts changed (with `check`:
 * would change), were rolled back, failed to roll back, failed otherwise, were
 * not started; each folded with its count, labels aligned, empty rows left out.
 *
 * ```
 * changed:     web[01-17] (17)
 * rolled back: web18 (1)
 * ```
 */
export function deploySummary(result: Pick<RunResult, 'outcomes'>, check: boolean): string {
  const hosts = (keep: (outcome: Outcome) => boolean): string[] => result.outcomes.filter(keep).map((outcome) => outcome.host);
  const rows: [string, string[]][] = [
    [check ? 'would change' : 'changed', hosts((o) => o.status === 'changed')],
    [rollbackWords.done, hosts((o) => rollbackOf(o.data) === 'done')],
    [rollbackWords.failed, hosts((o) => rollbackOf(o.data) === 'failed')],
    ['failed', hosts((o) => failureStatuses.has(o.status) && rollbackOf(o.data) === undefined)],
    ['not started', hosts((o) => o.status === 'skipped')],
  ];
  const shown = rows.filter(([, names]) => names.length > 0);
  if (shown.length === 0) return '';
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  return shown.map(([label, names]) => `${`${label}:`.padEnd(width)} ${foldNodeset(names)} (${names.length})\n`).join('');
}
