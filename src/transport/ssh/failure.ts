/**
 * Why a connection failed, said once: ssh2 and socket errors mapped to a `ConnectFailure`
 * reason and a one-line message naming where muster tried to go.
 */
import { connectTimedOut } from '../connectTimeout.js';
import { failureFromText } from '../failureText.js';
import { ConnectError, type ConnectFailure } from '../types.js';

/** Builds the ConnectError of one connection attempt (the host is the inventory name). */
export type Fail = (reason: ConnectFailure, message: string, cause?: unknown) => ConnectError;

/** The `Fail` of one target: every error of its connection (jump hosts included) names it. */
export function failFor(hostName: string): Fail {
  return (reason, message, cause) =>
    new ConnectError(hostName, reason, message, cause === undefined ? undefined : { cause });
}

/** Maps an ssh2 / socket error to a ConnectError reason and a one-line message (exported for tests). */
export function classify(
  error: Error & { level?: string; code?: string },
  where: string,
  timeoutMs: number,
  fail: Fail,
): ConnectError {
  const code = error.code ?? '';
  if (error.level === 'client-timeout' || code === 'ETIMEDOUT') return fail('timeout', connectTimedOut(where, timeoutMs), error);
  if (code === 'ECONNREFUSED') return fail('refused', `connection to ${where} refused (is sshd running?)`, error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || error.level === 'client-dns') {
    return fail('dns', `cannot resolve ${where}: ${code || error.message}`, error);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return fail('timeout', `${where} is unreachable (${code})`, error);
  // A server disconnect during login: 14 is SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE (e.g. MaxAuthTries).
  if (String(error.code) === '14' || /too many authentication failures/i.test(error.message)) {
    return fail('auth', `${where} refused the login: ${error.message}`, error);
  }
  if (error.message.startsWith('ProxyCommand exited')) {
    const reason = failureFromText(error.message);
    return fail(reason === 'other' ? 'closed' : reason, `cannot connect to ${where}: ${error.message}`, error);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return fail('closed', `connection to ${where} reset during login`, error);
  return fail('other', `cannot connect to ${where}: ${error.message}`, error);
}
