/**
 * When sudo said no, the outcome says why in muster's words, with what to do:
 * "a password is required" alone left a user guessing which flag gives it.
 */
import type { Outcome } from '../../run/outcome.js';

const refusals: [RegExp, string][] = [
  [/^sudo: (?:a password is required|a terminal is required)/m, 'sudo wants a password here: add -K (or --sudo-password-file FILE)'],
  [/^sudo: \d+ incorrect password attempts?/m, 'sudo refused the password'],
  [/^sudo: no askpass program specified|^sudo: unable to run \/usr\/bin\/printenv/m, 'sudo could not be given the password (no /usr/bin/printenv on the host?)'],
  [/is not in the sudoers file|is not allowed to execute|may not run sudo/m, 'sudo does not allow this user that command here'],
  [/^sudo: unknown user/m, 'sudo: no such --sudo-user on this host'],
];

/** The outcome with a message naming sudo's refusal, when a failed host's stderr shows one. */
export function explainSudoRefusal(outcome: Outcome): Outcome {
  if (outcome.status !== 'failed' || outcome.message !== undefined) return outcome;
  const found = refusals.find(([pattern]) => pattern.test(outcome.stderr));
  return found ? { ...outcome, message: found[1] } : outcome;
}
