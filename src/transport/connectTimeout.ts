/**
 * The connect deadline every transport shares: its default and the message of a connect that
 * ran out of it, so that `--connect-timeout` reads the same whichever transport ran.
 */

/** The connect timeout when neither the transport's options nor ssh_config give one. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The message of a connection to `where` that did not finish within `timeoutMs`: one wording
 * for every transport, and for a whole jump chain as for one hop of it.
 */
export function connectTimedOut(where: string, timeoutMs: number): string {
  return `connection to ${where} timed out after ${timeoutMs / 1000}s`;
}
