/**
 * A fan-out whose selection matched no host: said on stderr, exit 1, unless `--allow-empty`.
 * A typo (`dc=dc9`, `web&db`) must not look like a run that went well.
 */
import type { RunResult } from '../../run/engine.js';

/** Says "no host matched" and sets exit code 1; returns the empty result the command would have had. */
export function refuseEmpty(selector: string): RunResult {
  process.stderr.write(`muster: no host matched ${selector === '' ? 'the selection' : `"${selector}"`}: nothing ran (add --allow-empty to make this exit 0)\n`);
  process.exitCode = 1;
  return { outcomes: [], aborted: false, interrupted: false, durationMs: 0 };
}
