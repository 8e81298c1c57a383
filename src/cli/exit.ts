/** The exit codes of DESIGN.md, in one place. */
import { MusterError } from '../core/errors.js';

export const exitCodes = {
  ok: 0,
  /** Some host failed, differs, or a check failed. */
  failed: 1,
  /** Usage or inventory error. */
  usage: 2,
  /** Aborted by the failure threshold (--max-fail). */
  aborted: 3,
  interrupted: 130,
} as const;

/** The exit code for an expected failure that reached the CLI boundary. */
export function exitCodeFor(_error: MusterError): number {
  return exitCodes.usage;
}
