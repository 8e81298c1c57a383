/**
 * The `--json` output of fan-out commands: JSON Lines, one record per host in
 * input order, then one summary record. Every record has a `type` field.
 */
import { rollbackOf, type Rollback } from '../core/deploy.js';
import type { Outcome } from '../run/outcome.js';
import { countStatuses, type StatusCounts, type SummaryInput } from './summary.js';

/**
 * One host's result as written by `--json`. Each stream is either `stdout` (the output is
 * valid UTF-8: the text, exact) or `stdoutBase64` (it is not: the exact bytes, base64),
 * never both, so that no byte a host sent is lost or silently replaced; same for stderr.
 */
export interface HostRecord {
  type: 'host';
  host: string;
  status: Outcome['status'];
  exitCode: number | null;
  stdout?: string;
  stdoutBase64?: string;
  stderr?: string;
  stderrBase64?: string;
  durationMs: number;
  message?: string;
  truncated?: string;
  /** Deploys: what became of the previous file (the outcome's `DeployData`). */
  rollback?: Rollback;
}

/** The last record of a `--json` run. */
export interface SummaryRecord extends StatusCounts {
  type: 'summary';
  hosts: number;
  durationMs: number;
  aborted: boolean;
  interrupted: boolean;
  stopMessage?: string;
  /** The exit code muster returns for this run. */
  exitCode: number;
}

/** The JSON Lines record of one outcome (durations rounded to whole milliseconds). */
export function hostRecord(outcome: Outcome): HostRecord {
  const rollback = rollbackOf(outcome.data);
  return {
    type: 'host',
    host: outcome.host,
    status: outcome.status,
    exitCode: outcome.exitCode,
    ...(outcome.stdoutBytes ? { stdoutBase64: outcome.stdoutBytes.toString('base64') } : { stdout: outcome.stdout }),
    ...(outcome.stderrBytes ? { stderrBase64: outcome.stderrBytes.toString('base64') } : { stderr: outcome.stderr }),
    durationMs: Math.round(outcome.durationMs),
    ...(outcome.message !== undefined ? { message: outcome.message } : {}),
    ...(outcome.truncated !== undefined ? { truncated: outcome.truncated } : {}),
    ...(rollback !== undefined ? { rollback } : {}),
  };
}

/** The summary record: counts of every status, duration, how the run ended and its exit code. */
export function summaryRecord(run: SummaryInput, exitCode: number): SummaryRecord {
  return {
    type: 'summary',
    hosts: run.outcomes.length,
    ...countStatuses(run.outcomes),
    durationMs: Math.round(run.durationMs),
    aborted: run.aborted ?? false,
    interrupted: run.interrupted ?? false,
    ...(run.stopMessage !== undefined ? { stopMessage: run.stopMessage } : {}),
    exitCode,
  };
}

/** One JSON Lines line: the record as JSON and a newline (every `--json` output is made of these). */
export function jsonLine(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}
