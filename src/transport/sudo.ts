/** How every transport runs a command line as root: one wrapping, for commands and kill scripts alike. */
import { shellQuote } from '../core/shell.js';

/**
 * `line` as it is run: unchanged, or when `sudo` is set through `sudo -n -- sh -c` with the line
 * quoted as one argument, so that it keeps its shell syntax (pipes, `;`, `&`) and `-n` makes a
 * sudo that would ask for a password fail at once rather than hang.
 */
export function sudoLine(line: string, sudo: boolean): string {
  return sudo ? `sudo -n -- sh -c ${shellQuote(line)}` : line;
}
